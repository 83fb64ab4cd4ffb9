"""Record whether our composer's supergraphs load in Apollo Gateway and Hive Gateway (part of `make oracle`).

For every router scenario and every passing composition case, our supergraph
and the reference composer's are both loaded into both gateways; the fixture
keeps the outcomes and a digest of our supergraph, so a changed composer makes
the fixture stale until this is run again.

    python -m tests.router.record_loads
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
from pathlib import Path

from router.composer import SubgraphSource, compose
from tests.router import composition_corpus

ORACLE = Path(__file__).parent / "oracle"
FIXTURE = Path(__file__).parent / "composition" / "loads.json"


def our_supergraph(case: composition_corpus.Case) -> str:
    result = compose(
        [SubgraphSource(name, composition_corpus.subgraph_url(name), sdl) for name, sdl in case.subgraphs()]
    )
    if result.supergraph is None:
        raise SystemExit(f"{case.id}: our composer failed: {result.errors}")
    return result.supergraph


def digest(supergraph: str) -> str:
    return hashlib.sha256(supergraph.encode()).hexdigest()


def main() -> None:
    cases = [c for c in composition_corpus.cases() if c.kind in ("passing", "scenario")]
    entries, ours = [], {}
    for case in cases:
        ours[case.id] = our_supergraph(case)
        entries.append({"id": f"{case.id}/ours", "supergraph": ours[case.id]})
        reference = composition_corpus.expectation(case).supergraph
        entries.append({"id": f"{case.id}/reference", "supergraph": reference})
    with tempfile.TemporaryDirectory() as work:
        source, target = Path(work) / "in.json", Path(work) / "out.json"
        source.write_text(json.dumps(entries))
        subprocess.run(["node", str(ORACLE / "load.mjs"), str(source), str(target)], check=True, cwd=ORACLE)
        outcomes = json.loads(target.read_text())
    recorded = {
        case.id: {
            "ours_digest": digest(ours[case.id]),
            "ours": outcomes[f"{case.id}/ours"],
            "reference": outcomes[f"{case.id}/reference"],
        }
        for case in cases
    }
    FIXTURE.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")
    print(f"recorded {len(recorded)} cases into {FIXTURE}")


if __name__ == "__main__":
    main()
