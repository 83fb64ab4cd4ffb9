"""Plan an operation into subgraph fetches.

The planner walks the client's selections, keeping each field in the fetch it
is already in when that subgraph can resolve it (so `@shareable` and
`@provides` fields cost nothing extra), and otherwise jumps: an `_entities`
fetch to a subgraph that can, keyed by a `@key` the current fetch can supply.
Key fields and `@requires` fields are planned exactly like client fields, so
chains of jumps (A → B → A → C) and requires-on-requires fall out of the same
recursion. Abstract types are expanded to the object types each subgraph knows,
so a fetch never names a type its subgraph lacks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
    print_ast,
    visit,
)
from graphql.language import Visitor

from router.ownership import Ownership
from router.plan import Fetch, PathStep, QueryPlan
from router.selection import INTERNAL_PREFIX, Selection, print_arguments, print_directives
from router.supergraph import Supergraph

INTROSPECTION_ROOT_FIELDS = frozenset({"__schema", "__type"})
_EXECUTION_DIRECTIVES = frozenset({"skip", "include"})


class PlanError(Exception):
    """The operation cannot be planned against this supergraph."""


@dataclass(slots=True)
class _Operation:
    fragments: dict[str, FragmentDefinitionNode]
    variable_types: dict[str, str]
    fetches: list[Fetch] = field(default_factory=list)
    entity_fetches: dict[tuple[int, str, tuple[PathStep, ...], str], Fetch] = field(default_factory=dict)
    touched: set[int] | None = None
    # Graphs of entity fetches whose keys or requirements are being planned: they cannot supply them.
    excluded: list[str] = field(default_factory=list)

    @property
    def internal(self) -> bool:
        """Whether the fields being planned are the planner's own (keys, requirements)."""
        return bool(self.excluded)


class Planner:
    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        self.api = supergraph.api_schema
        self.ownership = Ownership(supergraph)

    # -- entry point -------------------------------------------------------

    def plan(self, document: DocumentNode, operation: OperationDefinitionNode) -> QueryPlan:
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        # Defaults are kept: a nullable variable with a default may stand where a non-null value is expected.
        variable_types = {
            v.variable.name.value: print_ast(v.type) + (f"={print_ast(v.default_value)}" if v.default_value else "")
            for v in operation.variable_definitions or ()
        }
        op = _Operation(fragments, variable_types)
        operation_type = operation.operation.value
        if operation_type == "subscription":
            raise PlanError("subscriptions are not supported by this router")
        root_type = self.ownership.root_types.get(operation_type)
        api_root = self.api.get_root_type(operation.operation)
        if root_type is None or api_root is None:
            raise PlanError(f"the supergraph has no {operation_type} type")
        root_fields = self._root_fields(op, operation.selection_set, api_root.name)
        introspection = self._introspection_document(document, operation, root_fields)
        stages: list[list[Fetch]] = []
        roots: dict[str, Fetch] = {}
        previous: Fetch | None = None
        for field_node, wrapper_directives in root_fields:
            name = field_node.name.value
            if name in INTROSPECTION_ROOT_FIELDS or name == "__typename":
                continue
            graphs = self.ownership.field_graphs(root_type, name)
            if not graphs:
                raise PlanError(f"no subgraph resolves {root_type}.{name}")
            if operation_type == "mutation":
                # Mutations run strictly in order; neighbours in one subgraph share a fetch,
                # which runs its fields in order too.
                if previous is not None and previous.graph in graphs:
                    fetch = previous
                else:
                    fetch = self._new_fetch(op, graphs[0], entity=False, operation_type="mutation")
                    stages.append([])
                    previous = fetch
                stage_start = len(op.fetches)
                self._plan_root_field(op, fetch, root_type, field_node, wrapper_directives)
                stage = stages[-1]
                if fetch not in stage:
                    stage.append(fetch)
                stage.extend(f for f in op.fetches[stage_start:] if f not in stage)
                continue
            chosen = next((g for g in graphs if g in roots), graphs[0])
            fetch = roots.get(chosen)
            if fetch is None:
                fetch = roots[chosen] = self._new_fetch(op, chosen, entity=False)
            self._plan_root_field(op, fetch, root_type, field_node, wrapper_directives)
        if operation_type != "mutation":
            stages = [list(op.fetches)] if op.fetches else []
        for stage in stages:
            _check_acyclic(stage)
        for fetch in op.fetches:
            self._finish(op, fetch)
        stages = [_merge_alike(stage) for stage in stages]
        aliased = any(INTERNAL_PREFIX in fetch.document for fetch in op.fetches)
        for fetch in op.fetches:
            fetch.aliased_requirements = aliased
            fetch.flat_keys = fetch.flat_representation()
        return QueryPlan(operation_type=operation_type, stages=stages, introspection=introspection)

    def _root_fields(
        self, op: _Operation, selection_set: SelectionSetNode, root_name: str
    ) -> list[tuple[FieldNode, tuple[tuple, ...]]]:
        """Root fields in order, with the skip/include directives of each fragment they sat in."""
        found: list[tuple[FieldNode, tuple[tuple, ...]]] = []

        def walk(selections: SelectionSetNode, wrapper: tuple[tuple, ...]) -> None:
            for selection in selections.selections:
                if isinstance(selection, FieldNode):
                    found.append((selection, wrapper))
                    continue
                fragment = self._fragment(op, selection)
                if fragment is None:
                    continue
                condition, sub, directives = fragment
                if condition is not None and condition != root_name:
                    continue
                kept = _execution_directives(directives)
                walk(sub, (*wrapper, kept) if kept else wrapper)

        walk(selection_set, ())
        return found

    def _plan_root_field(
        self, op: _Operation, fetch: Fetch, root_type: str, field_node: FieldNode, wrapper: tuple[tuple, ...]
    ) -> None:
        position = fetch.selection
        for directives in wrapper:
            position = position.add_fragment(None, print_directives(directives), _variables(directives))
        self._plan_field(op, fetch, root_type, field_node, position, fetch.selection, (), None)

    def _introspection_document(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        root_fields: list[tuple[FieldNode, tuple[tuple, ...]]],
    ) -> DocumentNode | None:
        if not any(f.name.value in INTROSPECTION_ROOT_FIELDS for f, _ in root_fields):
            return None
        # The whole operation minus its non-introspection root fields, run by graphql-core.
        keep = [f for f, _ in root_fields if f.name.value in INTROSPECTION_ROOT_FIELDS]
        trimmed = OperationDefinitionNode(
            operation=operation.operation,
            name=operation.name,
            variable_definitions=operation.variable_definitions,
            directives=operation.directives,
            selection_set=SelectionSetNode(selections=tuple(keep)),
        )
        fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
        return DocumentNode(definitions=(trimmed, *fragments))

    # -- selections --------------------------------------------------------

    def _fragment(self, op: _Operation, selection: Node) -> tuple[str | None, SelectionSetNode, tuple] | None:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else None
            return condition, selection.selection_set, selection.directives or ()
        if isinstance(selection, FragmentSpreadNode):
            definition = op.fragments.get(selection.name.value)
            if definition is None:
                raise PlanError(f"unknown fragment {selection.name.value}")
            return (
                definition.type_condition.name.value,
                definition.selection_set,
                tuple(selection.directives or ()) + tuple(definition.directives or ()),
            )
        return None

    def _applies(self, condition: str | None, object_type: str) -> bool:
        return condition is None or condition == object_type or object_type in self.ownership.possible_types(condition)

    def _plan_selections(
        self,
        op: _Operation,
        fetch: Fetch,
        parent: str,
        selection_set: SelectionSetNode,
        position: Selection,
        anchor: Selection,
        path: tuple[PathStep, ...],
        provided: SelectionSetNode | None,
    ) -> None:
        named = self.api.get_type(parent)
        if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            self._plan_abstract(op, fetch, parent, selection_set, position, anchor, path, provided)
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self._plan_field(op, fetch, parent, selection, position, anchor, path, provided)
                continue
            fragment = self._fragment(op, selection)
            if fragment is None:
                continue
            condition, sub, directives = fragment
            if not self._applies(condition, parent):
                continue
            kept = _execution_directives(directives)
            inner = position.add_fragment(None, print_directives(kept), _variables(kept)) if kept else position
            self._plan_selections(op, fetch, parent, sub, inner, anchor, path, provided)

    def _plan_abstract(
        self,
        op: _Operation,
        fetch: Fetch,
        abstract: str,
        selection_set: SelectionSetNode,
        position: Selection,
        anchor: Selection,
        path: tuple[PathStep, ...],
        provided: SelectionSetNode | None,
    ) -> None:
        anchor.add_typename()
        if self.ownership.is_interface_object(abstract, fetch.graph):
            self._plan_interface_object(op, fetch, abstract, selection_set, position, anchor, path, provided)
            return
        runtime_types = self.ownership.possible_types_in_graph(abstract, fetch.graph)
        for object_type in runtime_types:
            narrowed = (*path[:-1], (path[-1][0], frozenset({object_type}))) if path else path
            self._plan_selections(
                op,
                fetch,
                object_type,
                selection_set,
                position.add_fragment(object_type),
                anchor.add_fragment(object_type),
                narrowed,
                provided,
            )

    def _plan_interface_object(
        self,
        op: _Operation,
        fetch: Fetch,
        interface: str,
        selection_set: SelectionSetNode,
        position: Selection,
        anchor: Selection,
        path: tuple[PathStep, ...],
        provided: SelectionSetNode | None,
    ) -> None:
        """Objects this subgraph sees only as an @interfaceObject: it does not know their real types.

        Interface fields it resolves stay here. The real type comes from an
        entity fetch to the interface's owner, which answers with the real
        `__typename`; anything else (type conditions, fields from elsewhere)
        is planned from there, per object type.
        """
        here: list[FieldNode] = []
        rest: list[Node] = []
        for selection in selection_set.selections:
            if (
                isinstance(selection, FieldNode)
                and selection.name.value != "__typename"
                and self._resolvable_here(fetch, interface, selection.name.value, path, provided)
            ):
                here.append(selection)
            else:
                rest.append(selection)
        for field_node in here:
            self._plan_field(op, fetch, interface, field_node, position, anchor, path, provided)
        # Even with nothing else asked, the real type is needed: an object the owner does not
        # know is no object of any type, and is an error (graphql-js: "resolved to a non-object type").
        owner = self.ownership.interface_owner(interface)
        if owner is None:
            raise PlanError(f"no subgraph owns interface {interface} with a @key, so its objects' types are unknown")
        refine = self._entity_fetch(op, fetch, interface, path, owner, anchor)
        refine.refines_typename = True
        refine.selection.add_typename()
        remaining = SelectionSetNode(selections=tuple(rest))
        for object_type in self.ownership.possible_types_in_graph(interface, owner):
            narrowed = (*path[:-1], (path[-1][0], frozenset({object_type}))) if path else path
            inner = refine.selection.add_fragment(object_type)
            self._plan_selections(op, refine, object_type, remaining, inner, inner, narrowed, None)

    def _plan_field(
        self,
        op: _Operation,
        fetch: Fetch,
        parent: str,
        field_node: FieldNode,
        position: Selection,
        anchor: Selection,
        path: tuple[PathStep, ...],
        provided: SelectionSetNode | None,
    ) -> None:
        name = field_node.name.value
        alias = field_node.alias.value if field_node.alias else None
        directives = print_directives(_execution_directives(field_node.directives))
        used = _variables((*(field_node.arguments or ()), *_execution_directives(field_node.directives)))
        if name == "__typename":
            position.add_field(name, alias, "", directives, variables=used, internal=op.internal)
            self._touch(op, fetch)
            return
        parent_type = self.api.get_type(parent)
        assert isinstance(parent_type, GraphQLObjectType | GraphQLInterfaceType)
        definition = parent_type.fields.get(name)
        if definition is None:
            raise PlanError(f"{parent}.{name} is not in the API schema")
        return_type = get_named_type(definition.type)
        composite = is_composite_type(return_type)
        arguments = print_arguments(field_node.arguments)
        key = alias or name
        child_path = (*path, (key, None))

        if self._resolvable_here(fetch, parent, name, path, provided):
            child = position.add_field(name, alias, arguments, directives, composite, used, op.internal)
            self._touch(op, fetch)
            if composite and child is not None and field_node.selection_set is not None:
                sub_provided = _provided_child(provided, parent, name) or self.ownership.provides(
                    self.ownership.field_owner_type(parent, name, fetch.graph) or parent, name, fetch.graph
                )
                self._plan_selections(
                    op, fetch, return_type.name, field_node.selection_set, child, child, child_path, sub_provided
                )
            return

        target_graph = self._choose_graph(op, fetch, parent, name, path)
        entity = self._entity_fetch(op, fetch, parent, path, target_graph, anchor)
        owner = self.ownership.field_owner_type(parent, name, target_graph) or parent
        requires = self.ownership.requires(owner, name, target_graph)
        if requires is not None:
            self._plan_requirements(op, fetch, parent, requires, anchor, path, entity)
        child = entity.selection.add_field(name, alias, arguments, directives, composite, used, op.internal)
        self._touch(op, entity)
        if composite and child is not None and field_node.selection_set is not None:
            sub_provided = self.ownership.provides(owner, name, target_graph)
            self._plan_selections(
                op, entity, return_type.name, field_node.selection_set, child, child, child_path, sub_provided
            )

    def _touch(self, op: _Operation, fetch: Fetch) -> None:
        if op.touched is not None:
            op.touched.add(fetch.id)

    def _resolvable_here(
        self,
        fetch: Fetch,
        parent: str,
        name: str,
        path: tuple[PathStep, ...],
        provided: SelectionSetNode | None,
    ) -> bool:
        if _provided_child(provided, parent, name, present=True) is not None:
            return True
        owner = self.ownership.field_owner_type(parent, name, fetch.graph)
        if owner is None:
            return False
        if self.ownership.requires(owner, name, fetch.graph) is None:
            return True
        # A field with @requires is resolved only through an entity fetch that
        # carries the required fields: this fetch, if it is one for this object.
        return (
            fetch.entity
            and fetch.path == path
            and fetch.target_type == owner
            and self._carries(fetch, self.ownership.requires(owner, name, fetch.graph))
        )

    def _carries(self, fetch: Fetch, requires: SelectionSetNode | None) -> bool:
        if requires is None:
            return True
        have = {item.name for item in fetch.representation.items.values() if hasattr(item, "name")}
        return all(isinstance(s, FieldNode) and s.name.value in have for s in requires.selections)

    def _choose_graph(self, op: _Operation, fetch: Fetch, parent: str, name: str, path: tuple[PathStep, ...]) -> str:
        candidates = [
            g
            for g in self.ownership.graph_order
            if self.ownership.field_owner_type(parent, name, g) is not None and g not in op.excluded
        ]
        if not candidates:
            raise PlanError(f"no subgraph resolves {parent}.{name} where this operation needs it")
        reachable = [g for g in candidates if self.ownership.entity_target(parent, g) is not None]
        if not reachable:
            raise PlanError(
                f"{parent}.{name} lives in {', '.join(self._service(g) for g in candidates)}, "
                f"which cannot resolve {parent} as an entity from {fetch.service}"
            )
        for graph in reachable:
            if (fetch.id, graph, path, parent) in op.entity_fetches:
                return graph
        for graph in reachable:
            target = self.ownership.entity_target(parent, graph)
            assert target is not None
            if any(self._field_set_here(fetch, parent, key) for key in self.ownership.keys(target, graph)):
                return graph
        return reachable[0]

    def _field_set_here(self, fetch: Fetch, parent: str, field_set: SelectionSetNode) -> bool:
        for selection in field_set.selections:
            if not isinstance(selection, FieldNode):
                return False
            if self.ownership.field_owner_type(parent, selection.name.value, fetch.graph) is None:
                return False
            if self.ownership.requires(parent, selection.name.value, fetch.graph) is not None:
                return False
        return True

    def _entity_fetch(
        self,
        op: _Operation,
        parent_fetch: Fetch,
        type_name: str,
        path: tuple[PathStep, ...],
        graph: str,
        anchor: Selection,
    ) -> Fetch:
        key = (parent_fetch.id, graph, path, type_name)
        existing = op.entity_fetches.get(key)
        if existing is not None:
            return existing
        target = self.ownership.entity_target(type_name, graph)
        if target is None:
            raise PlanError(f"subgraph {self._service(graph)} cannot resolve {type_name} as an entity")
        keys = self.ownership.keys(target, graph)
        chosen = next((k for k in keys if self._field_set_here(parent_fetch, type_name, k)), keys[0])
        entity = self._new_fetch(op, graph, entity=True)
        entity.path = path
        entity.target_type = target
        entity.type_filter = frozenset({type_name})
        entity.selection = entity.root.add_fragment(target)
        entity.depends_on.add(parent_fetch.id)
        op.entity_fetches[key] = entity
        anchor.add_typename()
        entity.representation.add_typename()
        self._plan_requirements(op, parent_fetch, type_name, chosen, anchor, path, entity)
        return entity

    def _plan_requirements(
        self,
        op: _Operation,
        fetch: Fetch,
        parent: str,
        field_set: SelectionSetNode,
        anchor: Selection,
        path: tuple[PathStep, ...],
        entity: Fetch,
    ) -> None:
        """Plan `field_set` on the objects at `path`, and make `entity` wait for whatever supplies it."""
        _add_field_set(entity.representation, field_set)
        outer = op.touched
        op.touched = set()
        op.excluded.append(entity.graph)
        try:
            self._plan_selections(op, fetch, parent, field_set, anchor, anchor, path, None)
            entity.depends_on |= op.touched - {entity.id}
        finally:
            op.excluded.pop()
            touched = op.touched
            op.touched = outer
            if outer is not None:
                outer |= touched

    # -- fetches -------------------------------------------------------------

    def _new_fetch(self, op: _Operation, graph: str, *, entity: bool, operation_type: str = "query") -> Fetch:
        fetch = Fetch(
            id=len(op.fetches),
            graph=graph,
            service=self._service(graph),
            entity=entity,
            operation_type=operation_type,
        )
        if not entity:
            fetch.selection = fetch.root
        op.fetches.append(fetch)
        return fetch

    def _service(self, graph: str) -> str:
        return self.supergraph.graphs[graph].name

    def _finish(self, op: _Operation, fetch: Fetch) -> None:
        used: set[str] = set()
        selection = fetch.root.print(used)
        variables = sorted(v for v in used if v in op.variable_types)
        definitions = [f"${v}:{op.variable_types[v]}" for v in variables]
        if fetch.entity:
            definitions.insert(0, "$representations:[_Any!]!")
            body = "{_entities(representations:$representations)" + selection + "}"
        else:
            body = selection
        head = fetch.operation_type + (f"({','.join(definitions)})" if definitions else "")
        fetch.document = head + body
        fetch.variable_names = tuple(variables)


def _execution_directives(directives: tuple | None) -> tuple:
    return tuple(d for d in directives or () if d.name.value in _EXECUTION_DIRECTIVES)


class _VariableCollector(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_variable(self, node: VariableNode, *_: object) -> None:
        self.names.add(node.name.value)


def _variables(nodes: tuple) -> frozenset[str]:
    """The variables that arguments or directives use."""
    collector = _VariableCollector()
    for node in nodes:
        visit(node, collector)
    return frozenset(collector.names)


def _add_field_set(target: Selection, field_set: SelectionSetNode) -> None:
    for selection in field_set.selections:
        if isinstance(selection, FieldNode):
            child = target.add_field(selection.name.value, None, "", "", composite=selection.selection_set is not None)
            if child is not None and selection.selection_set is not None:
                _add_field_set(child, selection.selection_set)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else None
            _add_field_set(target.add_fragment(condition), selection.selection_set)


def _provided_child(
    provided: SelectionSetNode | None, parent: str, name: str, present: bool = False
) -> SelectionSetNode | None:
    """The @provides sub-selection for `parent.name`; with `present`, an empty one if it is a leaf."""
    if provided is None:
        return None
    for selection in provided.selections:
        if isinstance(selection, FieldNode) and selection.name.value == name:
            if selection.selection_set is not None:
                return selection.selection_set
            return SelectionSetNode(selections=()) if present else None
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else None
            if condition in (None, parent):
                found = _provided_child(selection.selection_set, parent, name, present)
                if found is not None:
                    return found
    return None


def _merge_alike(stage: list[Fetch]) -> list[Fetch]:
    """Send entity fetches that differ only in where their objects are as one request.

    Two fetches to the same subgraph with the same document and representation
    are merged when neither waits, however indirectly, on the other; the merged
    fetch waits for what both waited for. Fewer, larger requests: the subgraph
    resolves all the objects in one batch.
    """
    by_id = {fetch.id: fetch for fetch in stage}

    def waits_on(fetch: Fetch, target: int, seen: set[int]) -> bool:
        for dependency in fetch.depends_on:
            if dependency == target:
                return True
            if dependency in by_id and dependency not in seen:
                seen.add(dependency)
                if waits_on(by_id[dependency], target, seen):
                    return True
        return False

    kept: list[Fetch] = []
    for fetch in stage:
        twin = next(
            (
                k
                for k in kept
                if k.entity
                and fetch.entity
                and k.graph == fetch.graph
                and k.document == fetch.document
                and k.target_type == fetch.target_type
                and k.representation.print() == fetch.representation.print()
                and k.refines_typename == fetch.refines_typename
                and not waits_on(fetch, k.id, set())
                and not waits_on(k, fetch.id, set())
            ),
            None,
        )
        if twin is None:
            kept.append(fetch)
            continue
        twin.also.extend(fetch.locations)
        twin.depends_on |= fetch.depends_on
        for other in stage:
            if fetch.id in other.depends_on:
                other.depends_on.discard(fetch.id)
                other.depends_on.add(twin.id)
        del by_id[fetch.id]
        twin.depends_on.discard(twin.id)
        try:
            _check_acyclic(kept + [f for f in stage if f.id in by_id and f not in kept])
        except PlanError:
            raise PlanError("merging alike fetches made a cycle") from None
    return kept


def _check_acyclic(fetches: list[Fetch]) -> None:
    ids = {f.id for f in fetches}
    state: dict[int, int] = {}
    by_id = {f.id: f for f in fetches}

    def visit_fetch(fetch_id: int) -> None:
        if state.get(fetch_id) == 2:
            return
        if state.get(fetch_id) == 1:
            raise PlanError("the plan's fetches depend on each other in a cycle")
        state[fetch_id] = 1
        for dependency in by_id[fetch_id].depends_on & ids:
            visit_fetch(dependency)
        state[fetch_id] = 2

    for fetch in fetches:
        visit_fetch(fetch.id)
