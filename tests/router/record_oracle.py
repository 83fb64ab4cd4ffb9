"""Record the router corpus's fixtures: serve every scenario's subgraphs, run the Node oracle.

    python -m tests.router.record_oracle [scenario ...]     (`make oracle` runs it for all)

The oracle (oracle/record.mjs) composes each scenario with @theguild/federation-composition
and runs its queries through Apollo Gateway and Hive Gateway against the subgraphs served
here, on 127.0.0.1. Each fixture keeps the scenario's digest, so a scenario changed since
its recording fails the corpus test until this runs again. Fixtures are never edited by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.router import corpus
from tests.router.subgraph_kit import RequestLog

ORACLE = corpus.ROOT / "oracle"


def _manifest_entry(s: corpus.Scenario, urls: dict[str, str]) -> dict[str, Any]:
    live = next(url for name, url in urls.items() if name not in s.down)
    return {
        "name": s.name,
        "subgraphs": [{"name": n, "url": urls[n], "sdl": s.sdl(n)} for n in s.subgraph_names],
        "timeouts": s.timeouts,
        "requestsUrl": live.removesuffix("/graphql") + "/_kit/requests",
        "queries": [{"name": q.name, **q.request()} for q in s.queries],
    }


def _fixture(s: corpus.Scenario, urls: dict[str, str], recorded: dict[str, Any], versions: Any) -> dict:
    if recorded["compositionErrors"]:
        raise SystemExit(f"{s.name}: composition failed:\n  " + "\n  ".join(recorded["compositionErrors"]))
    return {
        "scenario": s.name,
        "digest": s.digest(),
        "versions": versions,
        "subgraphs": list(s.subgraph_names),
        "graphs": corpus.graph_names(recorded["supergraphSdl"]),
        "urls": urls,
        "timeouts": s.timeouts,
        "down": sorted(s.down),
        "supergraph": recorded["supergraphSdl"],
        "api_schema": recorded["apiSdl"],
        "results": recorded["queries"],
    }


async def _run_oracle(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Run record.mjs over the manifest; return what it recorded."""
    with tempfile.TemporaryDirectory() as tmp:
        manifest_path, results_path = Path(tmp, "manifest.json"), Path(tmp, "results.json")
        await asyncio.to_thread(manifest_path.write_text, json.dumps({"scenarios": entries}))
        # Node runs as a child while this event loop keeps serving the subgraphs.
        node = await asyncio.create_subprocess_exec(
            "node",
            "--no-warnings",
            str(ORACLE / "record.mjs"),
            str(manifest_path),
            str(results_path),
            env={**os.environ, "NODE_ENV": "production"},
        )
        if await node.wait() != 0:
            raise SystemExit(f"the oracle failed (exit {node.returncode})")
        return json.loads(await asyncio.to_thread(results_path.read_text))


async def record(names: list[str]) -> None:
    chosen = [corpus.scenario(n) for n in names] if names else list(corpus.scenarios())
    async with contextlib.AsyncExitStack() as stack:
        entries, served = [], {}
        for s in chosen:
            urls = await stack.enter_async_context(corpus.serve(s, RequestLog()))
            served[s.name] = urls
            entries.append(_manifest_entry(s, urls))
        results = await _run_oracle(entries)
    # Every fixture is built (and composition checked) before any is written.
    fixtures = [_fixture(s, served[s.name], results["scenarios"][s.name], results["versions"]) for s in chosen]
    corpus.FIXTURES.mkdir(exist_ok=True)
    for s, fixture in zip(chosen, fixtures, strict=True):
        text = json.dumps(fixture, indent=1, ensure_ascii=False) + "\n"
        await asyncio.to_thread(corpus.fixture_path(s.name).write_text, text)


def main() -> None:
    started = time.monotonic()
    asyncio.run(record(sys.argv[1:]))
    print(f"oracle: fixtures written in {time.monotonic() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
