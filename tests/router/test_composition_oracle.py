"""The composition corpus and its oracle fixtures are complete and current (no composer of ours).

A case changed without rerunning `make oracle` fails here, as does a failing case the
reference composed or a passing case it refused.
"""

from __future__ import annotations

import re
import shutil

import pytest
from graphql import build_schema, parse

from tests.router import composition_corpus as cc
from tests.router import corpus

MINIMUM_FAILING = 45
MINIMUM_PASSING = 10


def test_enough_failing_cases() -> None:
    assert len(cc.cases("failing")) >= MINIMUM_FAILING


def test_enough_passing_cases() -> None:
    assert len(cc.cases("passing")) >= MINIMUM_PASSING


def test_every_scenario_is_a_case() -> None:
    assert [c.name for c in cc.cases("scenario")] == [s.name for s in corpus.scenarios()]


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in cc.cases()]
    assert len(ids) == len(set(ids))


def test_no_orphan_fixtures() -> None:
    assert cc.orphan_fixtures() == []


@pytest.mark.parametrize("case", cc.cases(), ids=lambda c: c.id)
def test_fixture_is_present_and_current(case: cc.Case) -> None:
    recorded = cc.fixture(case)  # raises when missing or stale
    assert recorded["kind"] == case.kind
    assert recorded["case"] == case.name
    assert recorded["urls"] == {n: cc.subgraph_url(n) for n in case.subgraph_names}


@pytest.mark.parametrize("case", cc.cases("failing") + cc.cases("passing"), ids=lambda c: c.id)
def test_case_says_what_it_exercises(case: cc.Case) -> None:
    assert len(case.description) > 20, f"{case.id}: give case.json a description"
    for _name, sdl in case.subgraphs():
        parse(sdl)  # the reference composes parsed documents: every case is GraphQL


@pytest.mark.parametrize("case", cc.cases("failing"), ids=lambda c: c.id)
def test_failing_case_recorded_errors(case: cc.Case) -> None:
    expected = cc.expectation(case)
    assert not expected.composed
    assert expected.errors
    for error in expected.errors:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]+", error.code), error
        assert error.message


@pytest.mark.parametrize("case", cc.cases("passing") + cc.cases("scenario"), ids=lambda c: c.id)
def test_composing_case_recorded_a_supergraph(case: cc.Case) -> None:
    expected = cc.expectation(case)
    assert expected.composed
    assert expected.errors == ()
    assert sorted(corpus.graph_names(expected.supergraph).values()) == sorted(case.subgraph_names)
    for name in case.subgraph_names:
        assert f'name: "{name}", url: "{cc.subgraph_url(name)}"' in expected.supergraph
    api = build_schema(expected.api_schema)
    assert api.query_type is not None
    assert "join__" not in expected.api_schema


@pytest.mark.parametrize("scenario", corpus.scenarios(), ids=lambda s: s.name)
def test_scenario_supergraph_matches_the_router_fixture(scenario: corpus.Scenario) -> None:
    # The router corpus recorded the same composition with the URLs the subgraphs were served at.
    router_fixture = corpus.fixture(scenario.name)
    expected = cc.expectation(cc.case(f"scenario-{scenario.name}"))
    supergraph = router_fixture["supergraph"]
    for name, url in router_fixture["urls"].items():
        supergraph = supergraph.replace(f'url: "{url}"', f'url: "{cc.subgraph_url(name)}"')
    assert expected.supergraph == supergraph
    assert expected.api_schema == router_fixture["api_schema"]


def test_codes_lists_distinct_codes_sorted() -> None:
    errors = tuple(cc.CompositionError(code, "message") for code in ("B_CODE", "A_CODE", "B_CODE"))
    assert cc.Expectation(None, None, errors).codes == ["A_CODE", "B_CODE"]


def test_changed_case_is_stale(tmp_path) -> None:
    case = cc.case("failing-key_unknown_field")
    copy = tmp_path / case.name
    shutil.copytree(case.path, copy)
    clone = cc.Case(case.kind, case.name, copy, case.description, case.subgraph_names)
    assert clone.digest() == case.digest()
    assert cc.expectation(clone) == cc.expectation(case)
    (copy / "a.graphql").write_text(case.sdl("a") + "\n")
    assert clone.digest() != case.digest()
    with pytest.raises(cc.CompositionCorpusError, match="stale"):
        cc.expectation(clone)


def test_missing_fixture_raises() -> None:
    case = cc.case("passing-override_with_label")
    ghost = cc.Case("passing", "no_such_case", case.path, case.description, case.subgraph_names)
    with pytest.raises(cc.CompositionCorpusError, match="no fixture"):
        cc.fixture(ghost)
