"""Our composer over the composition corpus, against what @theguild/federation-composition recorded.

Sets that compose must give the same supergraph up to ordering; sets that fail
must fail with the same error codes.
"""

from __future__ import annotations

import difflib

import pytest

from router.composer import SubgraphSource, compose
from tests.router import composition_corpus as corpus
from tests.router.sdl_normal import normal_sdl

# Rules not implemented yet, each with what is missing. Strict: a case that starts
# passing must leave this list.
KNOWN_GAPS: dict[str, str] = {}


def _cases() -> list[object]:
    params = []
    for case in corpus.cases():
        if case.kind == "scenario":
            continue  # the router scenarios have their own test (test_composer.py)
        marks = [pytest.mark.xfail(reason=KNOWN_GAPS[case.id], strict=True)] if case.id in KNOWN_GAPS else []
        params.append(pytest.param(case, id=case.id, marks=marks))
    return params


@pytest.mark.parametrize("case", _cases())
def test_like_the_reference(case: corpus.Case) -> None:
    expected = corpus.expectation(case)
    result = compose([SubgraphSource(name, corpus.subgraph_url(name), sdl) for name, sdl in case.subgraphs()])
    if expected.composed:
        assert result.errors == []
        assert result.supergraph is not None
        ours, theirs = normal_sdl(result.supergraph), normal_sdl(expected.supergraph or "")
        assert ours == theirs, "\n".join(difflib.unified_diff(theirs.splitlines(), ours.splitlines(), lineterm=""))
    else:
        assert result.supergraph is None
        assert sorted({e.code for e in result.errors}) == expected.codes
        for error in result.errors:
            assert error.message, error.code
