"""Where subgraph SDLs come from for composition: running subgraphs (`_service { sdl }`) or files."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

import orjson

from router.composer import SubgraphSource
from router.http_client import HTTPClient, HTTPError

SERVICE_QUERY = orjson.dumps({"query": "query SubgraphSDL { _service { sdl } }"})


class SourceError(Exception):
    """A subgraph's SDL could not be had; the message names the subgraph."""


async def fetch_sources(urls: Mapping[str, str], seconds: float = 10.0) -> list[SubgraphSource]:
    """Ask every subgraph for its SDL, concurrently."""
    client = HTTPClient()
    try:
        return list(await asyncio.gather(*(_fetch(client, name, url, seconds) for name, url in urls.items())))
    finally:
        await client.close()


async def _fetch(client: HTTPClient, name: str, url: str, seconds: float) -> SubgraphSource:
    try:
        async with asyncio.timeout(seconds):
            status, body = await client.post(url, SERVICE_QUERY, {"content-type": "application/json"})
    except TimeoutError:
        raise SourceError(f"subgraph {name} ({url}) did not answer within {seconds:g}s") from None
    except HTTPError as exc:
        raise SourceError(f"subgraph {name} ({url}): {exc}") from None
    try:
        sdl = orjson.loads(body)["data"]["_service"]["sdl"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise SourceError(f"subgraph {name} ({url}) answered HTTP {status} without _service {{ sdl }}") from None
    if not isinstance(sdl, str):
        raise SourceError(f"subgraph {name} ({url}) answered a _service.sdl that is not a string")
    return SubgraphSource(name, url, sdl)


def file_sources(files: Mapping[str, tuple[Path, str]]) -> list[SubgraphSource]:
    """{name: (SDL file, URL)} read from disk."""
    sources = []
    for name, (path, url) in files.items():
        try:
            sources.append(SubgraphSource(name, url, path.read_text()))
        except OSError as exc:
            raise SourceError(f"subgraph {name}: cannot read {path}: {exc.strerror}") from None
    return sources


def parse_pairs(pairs: list[str], what: str) -> dict[str, str]:
    """`name=value` arguments into a mapping, refusing malformed ones by name."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name or not value:
            raise SourceError(f"{what} must be given as name=value, got {pair!r}")
        parsed[name] = value
    return parsed
