"""Plans: cached per operation text and name, and printed readably by `roseash plan`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from router.gateway import Gateway, RequestError
from router.plan import render
from tests.router import corpus

QUERY = "query Page { topProducts { upc name reviews { body author { name } } } }"


def bench_gateway() -> Gateway:
    return Gateway.from_sdl(corpus.fixture("bench")["supergraph"])


def test_plans_are_cached_by_text_and_operation_name() -> None:
    gateway = bench_gateway()
    first = gateway.prepare(QUERY)
    assert gateway.prepare(QUERY) is first
    two = "query A { me { id } } query B { me { name } }"
    assert gateway.prepare(two, "A") is not gateway.prepare(two, "B")
    assert gateway.prepare(two, "A") is gateway.prepare(two, "A")


def test_entity_fetches_follow_the_fetch_that_supplies_their_keys() -> None:
    plan = bench_gateway().prepare(QUERY).plan
    fetches = plan.fetches
    assert [f.entity for f in fetches] == [False, True, True]
    products, reviews, users = fetches
    assert reviews.depends_on == {products.id}
    assert users.depends_on == {reviews.id}
    assert "_entities" in reviews.document


def test_rendering_names_services_paths_and_order() -> None:
    text = render(bench_gateway().prepare(QUERY).plan)
    assert text.startswith("QueryPlan (query) {")
    assert "Fetch(service: products)" in text
    assert "Flatten(path: topProducts) Fetch(service: reviews, entities: Product) after [0]" in text
    assert "Flatten(path: topProducts.reviews.author) Fetch(service: users, entities: User) after [1]" in text


def test_roseash_plan_prints_it(tmp_path: Path) -> None:
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(corpus.fixture("bench")["supergraph"])
    roseash = str(Path(sys.executable).with_name("roseash"))
    done = subprocess.run(
        [roseash, "plan", "-", "--supergraph", str(supergraph)],
        input=QUERY,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Fetch(service: products)" in done.stdout
    refused = subprocess.run(
        [roseash, "plan", "-", "--supergraph", str(supergraph)],
        input="{ nope }",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 1
    assert refused.stderr.strip() == "roseash: Cannot query field 'nope' on type 'Query'."


def test_fragments_that_would_expand_exponentially_are_refused() -> None:
    # 2**30 selections once expanded: measured fragment by fragment, it is refused without expanding it.
    levels = 30
    query = "{ ...F0 }\n" + "\n".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    query += f"\nfragment F{levels} on Query {{ __typename }}"
    with pytest.raises(RequestError) as refused:
        bench_gateway().prepare(query)
    assert refused.value.errors[0]["extensions"]["code"] == "MAX_SELECTIONS_EXCEEDED"
