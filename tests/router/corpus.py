"""The router test corpus: scenarios, their queries, the recorded oracle fixtures, expected answers.

A scenario is a folder under `scenarios/`: one `<subgraph>.graphql` per subgraph (with its
`<subgraph>.json` data and optional `<subgraph>.py` hooks, see subgraph_kit), `queries.json`
and an optional `scenario.json`:

    {"description": "...", "subgraphs": {"<name>": {"down": true} | {"timeout_ms": 500}}}

`down` serves nothing for that subgraph (connections are refused); `timeout_ms` is the
per-subgraph timeout every gateway under test must use. Each entry of `queries.json` is
`{"name", "query", "variables"?, "operationName"?, "expect"?, "why"?, "expected"?}`.

`make oracle` records, for every query, what Apollo Gateway and Hive Gateway answered into
`fixtures/<scenario>.json`. Where they agree (same `data`, same presence of `errors`), that
is the expected answer. Where they disagree, the query must say which one the GraphQL or
Federation spec supports (`"expect": "apollo" | "hive"`) and why. Where both are wrong, it says
`"expect": "spec"`, gives the body the spec requires in `"expected"` and says why: the only
expected answers written by hand, and only where no reference gateway gives them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from graphql import EnumTypeDefinitionNode, StringValueNode, parse

from tests.router.subgraph_kit import RequestLog, Subgraph, load_subgraph, serve_subgraphs

ROOT = Path(__file__).parent
SCENARIOS = ROOT / "scenarios"
FIXTURES = ROOT / "fixtures"
GATEWAYS = ("apollo", "hive")
EXPECTATIONS = (*GATEWAYS, "spec")


class CorpusError(Exception):
    """The corpus or its fixtures are inconsistent (missing, stale or unannotated)."""


@dataclass(frozen=True)
class Query:
    scenario: str
    name: str
    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    expect: str | None = None
    why: str | None = None
    spec_body: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return f"{self.scenario}/{self.name}"

    def request(self) -> dict[str, Any]:
        """The GraphQL-over-HTTP request body for this query."""
        body: dict[str, Any] = {"query": self.query}
        if self.variables is not None:
            body["variables"] = self.variables
        if self.operation_name is not None:
            body["operationName"] = self.operation_name
        return body


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path
    description: str
    subgraph_names: tuple[str, ...]
    queries: tuple[Query, ...]
    down: frozenset[str] = frozenset()
    timeouts: dict[str, int] = field(default_factory=dict)

    def subgraphs(self) -> list[Subgraph]:
        return [load_subgraph(self.path, name) for name in self.subgraph_names]

    def sdl(self, subgraph: str) -> str:
        return (self.path / f"{subgraph}.graphql").read_text()

    def digest(self) -> str:
        """A hash of every file of the scenario: a fixture recorded from other files is stale."""
        sha = hashlib.sha256()
        for file in sorted(p for p in self.path.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            sha.update(file.relative_to(self.path).as_posix().encode() + b"\0")
            sha.update(file.read_bytes() + b"\0")
        return sha.hexdigest()


def _load_scenario(path: Path) -> Scenario:
    config_file = path / "scenario.json"
    config = json.loads(config_file.read_text()) if config_file.exists() else {}
    settings = config.get("subgraphs", {})
    entries = json.loads((path / "queries.json").read_text())
    names = [entry["name"] for entry in entries]
    if len(names) != len(set(names)):
        raise CorpusError(f"{path.name}: query names repeat")
    queries = tuple(
        Query(
            scenario=path.name,
            name=entry["name"],
            query=entry["query"],
            variables=entry.get("variables"),
            operation_name=entry.get("operationName"),
            expect=entry.get("expect"),
            why=entry.get("why"),
            spec_body=entry.get("expected"),
        )
        for entry in entries
    )
    return Scenario(
        name=path.name,
        path=path,
        description=config.get("description", ""),
        subgraph_names=tuple(sorted(p.stem for p in path.glob("*.graphql"))),
        queries=queries,
        down=frozenset(name for name, s in settings.items() if s.get("down")),
        timeouts={name: s["timeout_ms"] for name, s in settings.items() if "timeout_ms" in s},
    )


@cache
def scenarios() -> tuple[Scenario, ...]:
    return tuple(_load_scenario(p) for p in sorted(SCENARIOS.iterdir()) if (p / "queries.json").exists())


def scenario(name: str) -> Scenario:
    for s in scenarios():
        if s.name == name:
            return s
    raise CorpusError(f"no scenario {name!r}")


def all_queries() -> list[Query]:
    return [q for s in scenarios() for q in s.queries]


def fixture_path(name: str) -> Path:
    return FIXTURES / f"{name}.json"


def fixture(name: str) -> dict[str, Any]:
    """The recorded fixture of a scenario; raises if it is missing or recorded from other files."""
    path = fixture_path(name)
    if not path.exists():
        raise CorpusError(f"{name}: no fixture at {path}; run `make oracle`")
    recorded = json.loads(path.read_text())
    if recorded.get("digest") != scenario(name).digest():
        raise CorpusError(f"{name}: the fixture is stale (the scenario changed); run `make oracle`")
    return recorded


def graph_names(supergraph_sdl: str) -> dict[str, str]:
    """{join__Graph enum value: subgraph name}, read from the supergraph's `@join__graph`s."""
    graphs: dict[str, str] = {}
    for definition in parse(supergraph_sdl).definitions:
        if isinstance(definition, EnumTypeDefinitionNode) and definition.name.value == "join__Graph":
            for value in definition.values or ():
                for directive in value.directives or ():
                    if directive.name.value == "join__graph":
                        for argument in directive.arguments:
                            if argument.name.value == "name":
                                assert isinstance(argument.value, StringValueNode)
                                graphs[value.name.value] = argument.value.value
    return graphs


# Expected answers


def has_errors(body: dict[str, Any] | None) -> bool:
    return bool(body and body.get("errors"))


def same_data(ours: Any, theirs: Any) -> bool:
    """Equal response data: maps with the same keys in the same order (the GraphQL spec orders
    response fields), lists item by item, numbers by value (JSON's 30 and 30.0 are one number:
    Node prints a Python subgraph's 30.0 as 30), and booleans only equal to booleans."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return list(ours) == list(theirs) and all(same_data(ours[k], theirs[k]) for k in ours)
    if isinstance(ours, list) and isinstance(theirs, list):
        return len(ours) == len(theirs) and all(same_data(a, b) for a, b in zip(ours, theirs, strict=True))
    if isinstance(ours, bool) or isinstance(theirs, bool):
        return type(ours) is type(theirs) and ours == theirs
    if isinstance(ours, int | float) and isinstance(theirs, int | float):
        return ours == theirs
    return type(ours) is type(theirs) and ours == theirs


def agree(results: dict[str, Any]) -> bool:
    """Whether the gateways gave the same `data` (key order included) and the same presence of `errors`."""
    bodies = [results[g].get("body") for g in GATEWAYS]
    if any(b is None for b in bodies):
        return all(b is None for b in bodies)
    first, *rest = bodies
    return all(same_data(b.get("data"), first.get("data")) and has_errors(b) == has_errors(first) for b in rest)


def expected(query: Query) -> dict[str, Any]:
    """The response body the router must match (in `data` and presence of `errors`) for a query.

    Where the gateways agree that is Apollo's body (equal data either way); where they
    disagree it is the body of the gateway the query's annotation names, or the body the
    annotation gives when the spec supports neither.
    """
    results = fixture(query.scenario)["results"].get(query.name)
    if results is None:
        raise CorpusError(f"{query.id}: not in the fixture; run `make oracle`")
    if agree(results):
        return results["apollo"]["body"]
    if _annotation_problem(query):
        raise CorpusError(f"{query.id}: {_annotation_problem(query)}")
    if query.expect == "spec":
        return query.spec_body  # type: ignore[return-value]
    body = results[query.expect]["body"]
    if body is None:
        raise CorpusError(f"{query.id}: the expected gateway ({query.expect}) gave no answer")
    return body


def annotation_problems() -> list[str]:
    """Disagreements without an annotation, and annotations where the gateways agree."""
    problems = []
    for s in scenarios():
        results = fixture(s.name)["results"]
        for q in s.queries:
            if q.name not in results:
                problems.append(f"{q.id}: not in the fixture")
            elif agree(results[q.name]):
                if q.expect or q.why:
                    problems.append(f"{q.id}: annotated, but the gateways agree")
            elif _annotation_problem(q):
                problems.append(f"{q.id}: {_annotation_problem(q)}")
    return problems


def _annotation_problem(query: Query) -> str | None:
    """What is missing from a disagreement's annotation, if anything."""
    if query.expect not in EXPECTATIONS or not query.why:
        return "Apollo and Hive disagree; say which one the spec supports with `expect` and `why`"
    if query.expect == "spec" and not isinstance(query.spec_body, dict):
        return '`"expect": "spec"` needs the body the spec requires in `expected`'
    return None


# Serving


@contextlib.asynccontextmanager
async def serve(s: Scenario, log: RequestLog | None = None) -> AsyncIterator[dict[str, str]]:
    """Serve a scenario's subgraphs on 127.0.0.1 for the block; yield {subgraph name: URL}."""
    async with serve_subgraphs(s.subgraphs(), down=set(s.down), log=log) as urls:
        yield urls
