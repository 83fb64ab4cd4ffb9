"""Can every field of the API schema be reached by some query plan? The common unsatisfiable shapes.

Starting from the root fields, walk (type, subgraph) states the way the
planner would: a field is reachable from a state when that subgraph resolves
it, or when another subgraph that resolves it can be entered through a
resolvable @key whose fields this subgraph has. @requires conditions must be
reachable the same way. A field no path reaches is reported with a query that
shows the way to it.

This is partial: keys are followed from subgraph to subgraph, but @requires
conditions are only checked one level deep, and @provides paths are not used
to reach anything. Full satisfiability (Apollo's query graph search) is future
work.
"""

from __future__ import annotations

from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLUnionType, get_named_type

from router.fieldset import FieldSet
from router.ownership import Ownership
from router.supergraph import Supergraph


def unsatisfiable(supergraph: Supergraph) -> list[str]:
    ownership = Ownership(supergraph)
    api = supergraph.api_schema
    problems: list[str] = []
    reported: set[tuple[str, str]] = set()
    seen: set[tuple[str, str]] = set()
    queue: list[tuple[str, str, tuple[str, ...]]] = []
    roots = [root for root in (api.query_type, api.mutation_type) if root is not None]

    def service(graph: str) -> str:
        return supergraph.graphs[graph].name

    def local(type_name: str, field_name: str, graph: str) -> bool:
        owner = ownership.field_owner_type(type_name, field_name, graph)
        if owner is None:
            return False
        requires = ownership.requires(owner, field_name, graph)
        return requires is None or _all_reachable(type_name, requires, graph)

    def _all_reachable(type_name: str, field_set: FieldSet, graph: str) -> bool:
        for selection in field_set.selections:
            name = getattr(getattr(selection, "name", None), "value", None)
            if name is None:
                continue
            if not any(ownership.field_owner_type(type_name, name, g) is not None for g in closure(type_name, graph)):
                return False
        return True

    def enterable(type_name: str, target: str, source: str) -> bool:
        entity = ownership.entity_target(type_name, target)
        if entity is None:
            return False
        return any(
            all(
                ownership.field_owner_type(type_name, s.name.value, source) is not None  # type: ignore[attr-defined]
                for s in key.selections
            )
            for key in ownership.keys(entity, target)
        )

    def enqueue(target_type: object, graph: str, path: tuple[str, ...]) -> None:
        target = get_named_type(target_type)  # type: ignore[arg-type]
        if isinstance(target, GraphQLObjectType):
            queue.append((target.name, graph, path))
        elif isinstance(target, GraphQLInterfaceType | GraphQLUnionType):
            if ownership.is_interface_object(target.name, graph):
                queue.append((target.name, graph, path))
            for object_type in ownership.possible_types_in_graph(target.name, graph):
                queue.append((object_type, graph, path))

    # Root fields are entry points: whichever subgraph resolves one starts a plan there.
    for root in roots:
        for field_name, definition in root.fields.items():
            for graph in ownership.field_graphs(root.name, field_name):
                enqueue(definition.type, graph, (root.name, field_name))
    closures: dict[tuple[str, str], list[str]] = {}

    def closure(type_name: str, graph: str) -> list[str]:
        """Every subgraph the objects of `type_name` in `graph` can move to, key after key."""
        found = closures.get((type_name, graph))
        if found is None:
            found = [graph]
            for current in found:  # grows while walked
                for other in ownership.graph_order:
                    if other not in found and enterable(type_name, other, current):
                        found.append(other)
            closures[(type_name, graph)] = found
        return found

    while queue:
        type_name, graph, path = queue.pop()
        if (type_name, graph) in seen:
            continue
        seen.add((type_name, graph))
        named = api.get_type(type_name)
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for field_name, definition in named.fields.items():
            reached = next((g for g in closure(type_name, graph) if local(type_name, field_name, g)), None)
            if reached is None:
                if (type_name, field_name) not in reported:
                    reported.add((type_name, field_name))
                    shown = " { ".join((*path[1:], field_name)) + " }" * (len(path) - 1)
                    problems.append(
                        f"The following supergraph API query:\n{{ {shown} }}\ncannot be satisfied by the subgraphs "
                        f'because from subgraph "{service(graph)}" field "{type_name}.{field_name}" can neither be '
                        "resolved there nor reached through a @key another subgraph can resolve."
                    )
                continue
            enqueue(definition.type, reached, (*path, field_name))
    return problems
