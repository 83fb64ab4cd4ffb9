"""@authenticated and @requiresScopes: what of an operation a viewer may have, decided once per auth state.

The reference is Apollo Router, which enforces these directives (Apollo Gateway
does not): https://www.apollographql.com/docs/router/configuration/authorization/
("How it works"). A field is unauthorized when it, the type it returns or the
type it belongs to asks for something the viewer lacks; a fragment, when its
type condition does. @authenticated asks for any authenticated viewer (a user's
token or a client's); @requiresScopes(scopes: [["a", "b"], ["c"]]) for the
scopes a and b, or for c. Unauthorized selections are removed before planning,
so no subgraph is asked for them; the client gets null in their place and an
UNAUTHORIZED_FIELD_OR_TYPE error at each path (router/response.py), nulls
propagating as for any other error.

One difference: where Apollo Router refuses an interface's field whenever the
implementations' requirements differ, we refuse it unless the viewer meets all
of them. Nothing more is revealed, and a viewer entitled to everything is not
refused.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeInfo,
    TypeInfoVisitor,
    get_named_type,
    visit,
)
from graphql.language import Visitor

from router.supergraph import FieldMeta, Supergraph, TypeMeta
from shared.auth import Viewer


@dataclass(frozen=True, slots=True)
class Requirement:
    """What one directive asks of the viewer: authentication (no scopes), or all the scopes of any one set."""

    scopes: frozenset[frozenset[str]] | None = None

    def met_by(self, viewer: Viewer) -> bool:
        if self.scopes is None:
            return viewer.is_authenticated
        return any(required <= viewer.scopes for required in self.scopes)


AUTHENTICATED = Requirement()
Requirements = frozenset[Requirement]
NOTHING: Requirements = frozenset()


def _declared(meta: TypeMeta | FieldMeta) -> Requirements:
    found: set[Requirement] = set()
    if meta.authenticated:
        found.add(AUTHENTICATED)
    if meta.requires_scopes:
        found.add(Requirement(frozenset(frozenset(scopes) for scopes in meta.requires_scopes)))
    return frozenset(found)


class Guards:
    """The selections of one operation that ask something of the viewer, and which a given auth state denies."""

    __slots__ = ("_guarded", "requirements")

    def __init__(self, guarded: list[tuple[Node, Requirements]]) -> None:
        self.requirements = tuple({requirement for _, required in guarded for requirement in required})
        position = {requirement: number for number, requirement in enumerate(self.requirements)}
        # By node identity: the same text at two places may belong to different types.
        self._guarded = [(id(node), tuple(position[r] for r in required)) for node, required in guarded]

    def state(self, viewer: Viewer) -> tuple[bool, ...]:
        """Which of the operation's requirements the viewer meets: all that the decision depends on."""
        return tuple(requirement.met_by(viewer) for requirement in self.requirements)

    def denied(self, state: tuple[bool, ...]) -> frozenset[int]:
        """The ids of the selections (field nodes and fragments) a viewer in `state` may not have."""
        return frozenset(node for node, needs in self._guarded if not all(state[n] for n in needs))


class Access:
    """The supergraph's access requirements, by type and by field."""

    def __init__(self, supergraph: Supergraph) -> None:
        self.schema = supergraph.api_schema
        self._types: dict[str, Requirements] = {}
        self._fields: dict[tuple[str, str], Requirements] = {}
        for name, meta in supergraph.types.items():
            if declared := _declared(meta):
                self._types[name] = declared
            for field_name, field_meta in meta.fields.items():
                if declared := _declared(field_meta):
                    self._fields[name, field_name] = declared
        # Without any requirement in the supergraph, operations are not even looked at.
        self.enabled = bool(self._types or self._fields)
        self._resolved: dict[tuple[str, str], Requirements] = {}

    def guards(self, operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]) -> Guards | None:
        """What in `operation` asks something of the viewer; None when nothing does."""
        guarded: list[tuple[Node, Requirements]] = []
        type_info = TypeInfo(self.schema)
        of_field, of_type = self.of_field, self.of_type

        def guard(node: Node, required: Requirements) -> None:
            if required:
                guarded.append((node, required))

        class Walk(Visitor):
            def enter_field(self, node: FieldNode, *_: object) -> None:
                parent = type_info.get_parent_type()
                if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
                    guard(node, of_field(parent, node.name.value))

            def enter_inline_fragment(self, node: InlineFragmentNode, *_: object) -> None:
                if node.type_condition is not None:
                    guard(node, of_type(node.type_condition.name.value))

            def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
                definition = fragments.get(node.name.value)
                if definition is not None:
                    guard(node, of_type(definition.type_condition.name.value))

        visit(DocumentNode(definitions=(operation, *fragments.values())), TypeInfoVisitor(type_info, Walk()))
        return Guards(guarded) if guarded else None

    def of_type(self, name: str) -> Requirements:
        return self._types.get(name, NOTHING)

    def of_field(self, parent: GraphQLObjectType | GraphQLInterfaceType, name: str) -> Requirements:
        """What selecting `parent.name` asks; `__typename` asks nothing."""
        key = (parent.name, name)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = self._field(parent, name)
        return found

    def _field(self, parent: GraphQLObjectType | GraphQLInterfaceType, name: str) -> Requirements:
        definition = parent.fields.get(name)
        if definition is None:
            return NOTHING
        returned = get_named_type(definition.type)
        found = self.of_type(parent.name) | self._fields.get((parent.name, name), NOTHING) | self.of_type(returned.name)
        if isinstance(parent, GraphQLInterfaceType):
            # Any of the interface's objects may be behind it, and each may ask more than the interface says.
            for implementation in self.schema.get_possible_types(parent):
                found |= self._field(implementation, name)
        return found


def without(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode], denied: frozenset[int]
) -> tuple[DocumentNode, OperationDefinitionNode]:
    """The operation and its fragments less the denied selections: what is planned, and sent to the subgraphs."""
    pruned = _pruned(operation, denied)
    definitions = (pruned, *(_pruned(fragment, denied) for fragment in fragments.values()))
    return DocumentNode(definitions=definitions), pruned


def _pruned(node: Any, denied: frozenset[int]) -> Any:
    """`node` with the denied selections gone at any depth; untouched parts are shared, not copied."""
    selection_set: SelectionSetNode | None = getattr(node, "selection_set", None)
    if selection_set is None:
        return node
    kept: list[Any] = []
    changed = False
    for selection in selection_set.selections:
        if id(selection) in denied:
            changed = True
            continue
        pruned = _pruned(selection, denied)
        changed = changed or pruned is not selection
        kept.append(pruned)
    if not changed:
        return node
    # A selection set left empty is planned as `{ __typename }`: the object still arrives, its fields null.
    return replace(node, selection_set=SelectionSetNode(selections=tuple(kept)))
