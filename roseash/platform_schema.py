"""The platform's own subgraphs as composition input, and the checked-in schema files they produce."""

from __future__ import annotations

from pathlib import Path

from graphql import print_schema

from roseash.services import load, subgraphs
from router.composer import Composition, SubgraphSource, compose
from router.supergraph import load_supergraph

SCHEMA_DIR = Path("schema")
DEFAULT_URL = "http://127.0.0.1:{port}/graphql"


def platform_sources(url_template: str = DEFAULT_URL) -> list[SubgraphSource]:
    """Each subgraph's `_service { sdl }`, read in process: no server needs to run."""
    sources = []
    for service in subgraphs():
        schema = load(f"subgraphs.{service.name}.schema:schema")
        result = schema.execute_sync("{ _service { sdl } }")
        assert result.data is not None, result.errors
        url = url_template.format(name=service.name, port=service.port)
        sources.append(SubgraphSource(service.name, url, result.data["_service"]["sdl"]))
    return sources


def compose_platform(url_template: str = DEFAULT_URL) -> Composition:
    return compose(platform_sources(url_template))


def api_sdl(supergraph_sdl: str) -> str:
    return print_schema(load_supergraph(supergraph_sdl).api_schema) + "\n"


def write_schema(directory: Path, supergraph_sdl: str) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    supergraph, api = directory / "supergraph.graphql", directory / "api.graphql"
    supergraph.write_text(supergraph_sdl)
    api.write_text(api_sdl(supergraph_sdl))
    return supergraph, api
