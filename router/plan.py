"""Query plans: the fetches an operation needs, their order, and a readable rendering."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import DocumentNode

from router.selection import FieldItem, Selection

# One step of a merge path: the response key, and the object types kept there
# (None keeps every object; a set keeps only objects whose __typename is in it).
PathStep = tuple[str, frozenset[str] | None]


@dataclass(slots=True, eq=False)
class Fetch:
    id: int
    graph: str  # join__Graph enum value
    service: str  # subgraph name
    entity: bool
    path: tuple[PathStep, ...] = ()
    target_type: str | None = None  # the __typename representations carry
    type_filter: frozenset[str] | None = None  # concrete types at `path` this fetch resolves
    representation: Selection = field(default_factory=Selection)
    root: Selection = field(default_factory=Selection)
    selection: Selection = field(default_factory=Selection)  # where fields go: root, or `... on Target`
    depends_on: set[int] = field(default_factory=set)
    operation_type: str = "query"
    # Resolves @interfaceObject objects to their real type: the answer's __typename replaces the interface's.
    refines_typename: bool = False
    # Some key or required field had to be fetched under an internal alias somewhere in the plan.
    aliased_requirements: bool = False
    # The representation's field names when all are plain scalars read under their own names:
    # the executor then builds representations without walking selections.
    flat_keys: tuple[str, ...] | None = None
    # Other places the same request serves: entity fetches alike in all but path are sent as one.
    also: list[tuple[tuple[PathStep, ...], frozenset[str] | None]] = field(default_factory=list)

    def flat_representation(self) -> tuple[str, ...] | None:
        names: list[str] = []
        for item in self.representation.items.values():
            if not isinstance(item, FieldItem) or item.selection is not None:
                return None
            if item.name != "__typename":
                names.append(item.name)
        return None if self.aliased_requirements else tuple(names)

    @property
    def locations(self) -> list[tuple[tuple[PathStep, ...], frozenset[str] | None]]:
        return [(self.path, self.type_filter), *self.also]

    # Filled in when the plan is finished: the request text and the variables it sends.
    document: str = ""
    variable_names: tuple[str, ...] = ()


@dataclass(slots=True)
class QueryPlan:
    operation_type: str
    stages: list[list[Fetch]]  # run one after another; fetches within a stage by dependency
    introspection: DocumentNode | None = None  # the operation's introspection fields, run locally

    @property
    def fetches(self) -> list[Fetch]:
        return [fetch for stage in self.stages for fetch in stage]


def format_path(path: tuple[PathStep, ...]) -> str:
    parts: list[str] = []
    for key, types in path:
        parts.append(key if types is None else f"{key}|[{','.join(sorted(types))}]")
    return ".".join(parts) or "<root>"


def render(plan: QueryPlan) -> str:
    """The plan as people read it (`roseash plan`)."""
    lines = [f"QueryPlan ({plan.operation_type}) {{"]
    if plan.introspection is not None:
        lines.append("  Introspection: answered by the router")
    kind = "Sequence" if len(plan.stages) > 1 else None
    indent = "  "
    if kind:
        lines.append(f"{indent}{kind} {{")
        indent += "  "
    for number, stage in enumerate(plan.stages, start=1):
        if kind:
            lines.append(f"{indent}Stage {number} {{")
        inner = indent + ("  " if kind else "")
        for fetch in stage:
            after = f" after [{', '.join(str(d) for d in sorted(fetch.depends_on))}]" if fetch.depends_on else ""
            if fetch.entity:
                paths = ", ".join(format_path(path) for path, _ in fetch.locations)
                head = (
                    f"{inner}#{fetch.id} Flatten(path: {paths}) "
                    f"Fetch(service: {fetch.service}, entities: {fetch.target_type}){after}"
                )
            else:
                head = f"{inner}#{fetch.id} Fetch(service: {fetch.service}){after}"
            lines.append(head)
            lines.append(f"{inner}  {fetch.document}")
        if kind:
            lines.append(f"{indent}}}")
    if kind:
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines)
