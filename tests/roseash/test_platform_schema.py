"""schema/ never drifts from the platform's subgraphs (CI runs this on every change)."""

from __future__ import annotations

from pathlib import Path

from roseash.platform_schema import api_sdl, compose_platform
from tests.router.sdl_normal import normal_sdl

SCHEMA = Path(__file__).resolve().parents[2] / "schema"


def test_committed_schema_matches_the_subgraphs() -> None:
    result = compose_platform()
    supergraph, api = SCHEMA / "supergraph.graphql", SCHEMA / "api.graphql"
    if result.supergraph is None:
        # Until a domain contributes a query there is no supergraph to commit.
        assert [e.code for e in result.errors] == ["NO_QUERIES"]
        assert not supergraph.exists()
        assert not api.exists()
        return
    assert supergraph.exists(), "run `roseash compose` and commit schema/"
    assert normal_sdl(supergraph.read_text()) == normal_sdl(result.supergraph), "schema/ is stale: roseash compose"
    assert api.read_text() == api_sdl(result.supergraph), "schema/api.graphql is stale: run `roseash compose`"
