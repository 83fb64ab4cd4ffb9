"""Record the composition corpus's fixtures with @theguild/federation-composition.

    python -m tests.router.record_composition [case-id ...]       (`make oracle` runs it for all)
    python -m tests.router.record_composition --dry-run [case-id ...]

A case id is `<kind>-<case>`: `failing-key_unknown_field`, `passing-override_label`,
`scenario-bench`. The oracle (oracle/compose.mjs) composes each case, and this writes
`composition/fixtures/<id>.json` (see composition_corpus). It refuses to write anything when a
failing case composes, a passing case or scenario does not, a subgraph is not GraphQL or the
composer throws: the corpus would then say something the reference does not. `--dry-run`
prints what the reference made of each case (composed, or its error codes) and writes nothing.
Recording everything also removes the fixtures of cases that no longer exist.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.router import composition_corpus as cc
from tests.router import corpus

COMPOSE = corpus.ROOT / "oracle" / "compose.mjs"


def _manifest_entry(c: cc.Case) -> dict[str, Any]:
    return {
        "id": c.id,
        "subgraphs": [{"name": n, "url": cc.subgraph_url(n), "sdl": sdl} for n, sdl in c.subgraphs()],
    }


def run_oracle(chosen: list[cc.Case]) -> dict[str, Any]:
    """Compose every chosen case with compose.mjs; return what it recorded."""
    with tempfile.TemporaryDirectory() as tmp:
        manifest_path, results_path = Path(tmp, "manifest.json"), Path(tmp, "results.json")
        manifest_path.write_text(json.dumps({"cases": [_manifest_entry(c) for c in chosen]}))
        node = subprocess.run(
            ["node", "--no-warnings", str(COMPOSE), str(manifest_path), str(results_path)],
            env={**os.environ, "NODE_ENV": "production"},
            check=False,
        )
        if node.returncode != 0:
            raise SystemExit(f"the composition oracle failed (exit {node.returncode})")
        return json.loads(results_path.read_text())


def problem(c: cc.Case, outcome: dict[str, Any]) -> str | None:
    """Why the outcome cannot be recorded for this case, if it cannot."""
    if "parseError" in outcome:
        return f"a subgraph is not GraphQL: {outcome['parseError']}"
    if "thrown" in outcome:
        return f"the composer threw: {outcome['thrown']}"
    if c.must_compose and "errors" in outcome:
        return "did not compose:\n      " + "\n      ".join(f"{e['code']}: {e['message']}" for e in outcome["errors"])
    if not c.must_compose and "errors" not in outcome:
        return "composed, but it is a failing case"
    if "errors" in outcome and any(not e["code"] for e in outcome["errors"]):
        return "an error without a code"
    return None


def summary(outcome: dict[str, Any]) -> str:
    if "errors" in outcome:
        return ", ".join(sorted({str(e["code"]) for e in outcome["errors"]}))
    return "composed" if "supergraphSdl" in outcome else next(iter(outcome))


def build_fixture(c: cc.Case, outcome: dict[str, Any], versions: dict[str, str]) -> dict[str, Any]:
    recorded: dict[str, Any] = {
        "kind": c.kind,
        "case": c.name,
        "description": c.description,
        "digest": c.digest(),
        "versions": versions,
        "subgraphs": list(c.subgraph_names),
        "urls": {n: cc.subgraph_url(n) for n in c.subgraph_names},
    }
    if "errors" in outcome:
        recorded["errors"] = [{"code": e["code"], "message": e["message"]} for e in outcome["errors"]]
    else:
        recorded["supergraph"] = outcome["supergraphSdl"]
        recorded["api_schema"] = outcome["apiSdl"]
    return recorded


def record(ids: list[str], dry_run: bool = False) -> None:
    chosen = [cc.case(i) for i in ids] if ids else list(cc.cases())
    results = run_oracle(chosen)
    outcomes = results["cases"]
    if dry_run:
        for c in chosen:
            print(f"{c.id}: {summary(outcomes[c.id])}")
        return
    problems = [f"  {c.id}: {p}" for c in chosen if (p := problem(c, outcomes[c.id]))]
    if problems:
        raise SystemExit("composition oracle: nothing written\n" + "\n".join(problems))
    cc.FIXTURES.mkdir(exist_ok=True)
    for c in chosen:
        text = json.dumps(build_fixture(c, outcomes[c.id], results["versions"]), indent=1, ensure_ascii=False)
        cc.fixture_path(c).write_text(text + "\n")
    if not ids:
        for orphan in cc.orphan_fixtures():
            orphan.unlink()


def main() -> None:
    ids = [a for a in sys.argv[1:] if a != "--dry-run"]
    started = time.monotonic()
    record(ids, dry_run="--dry-run" in sys.argv[1:])
    count = len(ids) or len(cc.cases())
    print(f"composition oracle: {count} cases in {time.monotonic() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
