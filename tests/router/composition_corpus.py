"""The composition corpus: sets of subgraph SDLs and what the reference composer made of them.

Three kinds of case, each a folder with one `<subgraph>.graphql` per subgraph:

- `failing`: `composition/failing/<case>/`, sets that must not compose; `case.json` says in
  `description` which rule they break;
- `passing`: `composition/passing/<case>/`, sets that must compose and exercise a merging rule;
- `scenario`: every router scenario under `scenarios/` (their SDLs only).

`make oracle` (tests/router/record_composition.py) composes every case with
@theguild/federation-composition and writes `composition/fixtures/<kind>-<case>.json`:

    {"kind", "case", "description", "digest", "versions", "subgraphs": [name, ...],
     "urls": {name: url}, "supergraph", "api_schema"}         when it composed
    {..., "errors": [{"code", "message"}, ...]}                when it did not

Subgraphs are composed in the order of `subgraphs` (sorted by name), each at
`http://<name>.test/graphql`, so a recording does not depend on the machine. The digest
covers the subgraph SDLs (names and bytes): a case changed since its recording is stale,
and loading its expectation raises until the oracle runs again. Fixtures are never edited
by hand.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tests.router import corpus

ROOT = Path(__file__).parent / "composition"
FIXTURES = ROOT / "fixtures"
KINDS = ("failing", "passing", "scenario")
FOLDERS = {"failing": ROOT / "failing", "passing": ROOT / "passing", "scenario": corpus.SCENARIOS}


class CompositionCorpusError(Exception):
    """The composition corpus or its fixtures are inconsistent (missing, stale or malformed)."""


def subgraph_url(name: str) -> str:
    """The URL every recording gives a subgraph, so supergraphs are the same on every machine."""
    return f"http://{name}.test/graphql"


@dataclass(frozen=True)
class Case:
    kind: str
    name: str
    path: Path
    description: str
    subgraph_names: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.kind}-{self.name}"

    @property
    def must_compose(self) -> bool:
        return self.kind != "failing"

    def sdl(self, subgraph: str) -> str:
        return (self.path / f"{subgraph}.graphql").read_text()

    def subgraphs(self) -> list[tuple[str, str]]:
        """(name, SDL) of every subgraph, in the order the composer receives them."""
        return [(name, self.sdl(name)) for name in self.subgraph_names]

    def digest(self) -> str:
        """A hash of the subgraph SDLs, the only input of composition."""
        sha = hashlib.sha256()
        for name, sdl in self.subgraphs():
            sha.update(name.encode() + b"\0" + sdl.encode() + b"\0")
        return sha.hexdigest()


@dataclass(frozen=True)
class CompositionError:
    code: str
    message: str


@dataclass(frozen=True)
class Expectation:
    """What the reference made of a case: a supergraph and API schema, or errors."""

    supergraph: str | None
    api_schema: str | None
    errors: tuple[CompositionError, ...]

    @property
    def composed(self) -> bool:
        return self.supergraph is not None

    @property
    def codes(self) -> list[str]:
        """The distinct error codes, sorted."""
        return sorted({e.code for e in self.errors})


def _description(path: Path, config_name: str) -> str:
    config = path / config_name
    return json.loads(config.read_text()).get("description", "") if config.exists() else ""


def _load_case(kind: str, path: Path) -> Case:
    names = tuple(sorted(p.stem for p in path.glob("*.graphql")))
    if not names:
        raise CompositionCorpusError(f"{kind}/{path.name}: no <subgraph>.graphql")
    config = "scenario.json" if kind == "scenario" else "case.json"
    return Case(kind, path.name, path, _description(path, config), names)


@cache
def cases(kind: str | None = None) -> tuple[Case, ...]:
    """Every case of one kind (or of all kinds), in a stable order."""
    if kind is None:
        return tuple(c for k in KINDS for c in cases(k))
    if kind == "scenario":
        return tuple(_load_case(kind, s.path) for s in corpus.scenarios())
    folder = FOLDERS[kind]
    if not folder.exists():
        return ()
    return tuple(_load_case(kind, p) for p in sorted(folder.iterdir()) if p.is_dir())


def case(case_id: str) -> Case:
    for c in cases():
        if c.id == case_id:
            return c
    raise CompositionCorpusError(f"no composition case {case_id!r}")


def fixture_path(c: Case) -> Path:
    return FIXTURES / f"{c.id}.json"


def fixture(c: Case) -> dict[str, Any]:
    """The recorded fixture of a case; raises if it is missing or recorded from other SDLs."""
    path = fixture_path(c)
    if not path.exists():
        raise CompositionCorpusError(f"{c.id}: no fixture at {path}; run `make oracle`")
    recorded = json.loads(path.read_text())
    if recorded.get("digest") != c.digest():
        raise CompositionCorpusError(f"{c.id}: the fixture is stale (the case changed); run `make oracle`")
    if recorded.get("subgraphs") != list(c.subgraph_names):
        raise CompositionCorpusError(f"{c.id}: the fixture composed other subgraphs; run `make oracle`")
    return recorded


def expectation(c: Case) -> Expectation:
    """What composing the case must give, as the reference recorded it."""
    recorded = fixture(c)
    if "supergraph" in recorded:
        return Expectation(recorded["supergraph"], recorded["api_schema"], ())
    errors = tuple(CompositionError(e["code"], e["message"]) for e in recorded.get("errors", ()))
    if not errors:
        raise CompositionCorpusError(f"{c.id}: the fixture has neither a supergraph nor errors")
    return Expectation(None, None, errors)


def orphan_fixtures() -> list[Path]:
    """Fixtures of cases that no longer exist."""
    known = {fixture_path(c) for c in cases()}
    return sorted(p for p in FIXTURES.glob("*.json") if p not in known)
