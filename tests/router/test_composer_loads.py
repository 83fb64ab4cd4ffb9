"""Our composer's supergraphs load in Apollo Gateway and Hive Gateway, as the reference composer's do.

Recorded by `make oracle` (tests/router/record_loads.py); a changed composer
makes the recording stale, and this test says so.
"""

from __future__ import annotations

import json

import pytest

from tests.router import composition_corpus
from tests.router.record_loads import FIXTURE, digest, our_supergraph

RECORDED: dict[str, dict] = json.loads(FIXTURE.read_text())
CASES = [c for c in composition_corpus.cases() if c.kind in ("passing", "scenario")]


def outcome(answer: str) -> str:
    return "ok" if answer == "ok" else "refused"


def test_every_case_is_recorded() -> None:
    assert sorted(RECORDED) == sorted(c.id for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_loads_like_the_reference_supergraph(case: composition_corpus.Case) -> None:
    recorded = RECORDED[case.id]
    assert recorded["ours_digest"] == digest(our_supergraph(case)), "the composer changed: run `make oracle`"
    for gateway in ("apollo", "hive"):
        assert outcome(recorded["ours"][gateway]) == outcome(recorded["reference"][gateway]), gateway
    # Hive serves every supergraph in the corpus; Apollo refuses only the SECURITY features it cannot enforce.
    assert recorded["ours"]["hive"] == "ok"
