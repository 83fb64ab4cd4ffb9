"""The client's response, produced in one pass over the merged data with a shape compiled per operation.

Only what the client asked for comes out, under its aliases, with `__typename`
where asked, `@skip`/`@include` applied, and nulls propagated as the GraphQL
spec's "Handling Execution Errors" says: a null in a non-null position nulls
the nearest nullable parent, and is an error unless one is already reported
at or below that position.

Everything that depends only on the operation (and on the outcome of its
`@skip`/`@include` conditions) is compiled once into `ResponseShape`: per
object type and selection, the response keys in order and how to complete
each value. A request then only walks its data.

Selections the viewer may not have (router/authorization.py) are compiled as
DENIED: null whatever the data holds, with an UNAUTHORIZED_FIELD_OR_TYPE error
at their path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    is_non_null_type,
    value_from_ast,
)
from graphql import GraphQLBoolean as Boolean

_NULLED = object()  # a non-null position got null: the parent must be nulled too

LEAF, OBJECT, LIST, ABSTRACT, META, TYPENAME, DENIED = range(7)
# Apollo Router's words and code for a selection the viewer is not authorized for.
UNAUTHORIZED = "Unauthorized field or type"
UNAUTHORIZED_CODE = "UNAUTHORIZED_FIELD_OR_TYPE"

# A response path, built only when an error needs it: (parent, key) pairs back to the root.
Path = tuple[Any, str | int] | None


@dataclass(slots=True)
class ValueShape:
    kind: int
    nonnull: bool
    label: str  # "Type.field", for error messages
    item: ValueShape | None = None  # LIST
    object: ObjectShape | None = None  # OBJECT
    abstract: str = ""  # ABSTRACT: the interface or union; LEAF: the enum, if it is one
    selections: tuple[SelectionSetNode, ...] = ()  # ABSTRACT: compiled per runtime type on demand
    by_type: dict[str, ObjectShape] = field(default_factory=dict)
    # Enums: the values clients may see. A value outside (say @inaccessible) is no value of the type.
    enum_values: frozenset[str] | None = None


@dataclass(slots=True)
class ObjectShape:
    typename: str
    # (response key, how to complete it); a None shape outputs the typename.
    fields: list[tuple[str, ValueShape]] = field(default_factory=list)


class ResponseShape:
    """The response of one operation, compiled for one outcome of its @skip/@include conditions.

    `denied` holds the ids of the field nodes and fragments the viewer may not have.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
        denied: frozenset[int] = frozenset(),
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.denied = denied
        self._objects: dict[tuple[tuple[int, ...], str], ObjectShape] = {}
        root = schema.get_root_type(operation.operation)
        assert root is not None
        self.root = self._object_shape(root, (operation.selection_set,))

    # -- compiling -----------------------------------------------------------

    def _object_shape(self, object_type: GraphQLObjectType, selections: tuple[SelectionSetNode, ...]) -> ObjectShape:
        key = (tuple(map(id, selections)), object_type.name)
        shape = self._objects.get(key)
        if shape is not None:
            return shape
        shape = self._objects[key] = ObjectShape(object_type.name)
        for response_key, collected in self._collect(object_type, selections).items():
            nodes = [node for node, refused in collected if not refused]
            name = collected[0][0].name.value
            if not nodes:
                # __typename too, when only a denied fragment asks for it: it would name the type withheld.
                definition = object_type.fields.get(name)
                nonnull = definition is None or is_non_null_type(definition.type)
                shape.fields.append((response_key, ValueShape(DENIED, nonnull, "")))
            elif name == "__typename":
                shape.fields.append((response_key, ValueShape(TYPENAME, False, "")))
            elif name in ("__schema", "__type"):
                shape.fields.append((response_key, ValueShape(META, False, "")))
            else:
                definition = object_type.fields[name]
                sub = tuple(n.selection_set for n in nodes if n.selection_set is not None)
                shape.fields.append(
                    (response_key, self._value_shape(definition.type, sub, f"{object_type.name}.{name}"))
                )
        return shape

    def _value_shape(self, type_: GraphQLOutputType, sub: tuple[SelectionSetNode, ...], label: str) -> ValueShape:
        nonnull = isinstance(type_, GraphQLNonNull)
        if nonnull:
            type_ = type_.of_type  # type: ignore[union-attr]
        if isinstance(type_, GraphQLList):
            return ValueShape(LIST, nonnull, label, item=self._value_shape(type_.of_type, sub, label))
        if isinstance(type_, GraphQLObjectType):
            return ValueShape(OBJECT, nonnull, label, object=self._object_shape(type_, sub))
        if isinstance(type_, GraphQLInterfaceType | GraphQLUnionType):
            return ValueShape(ABSTRACT, nonnull, label, abstract=type_.name, selections=sub)
        if isinstance(type_, GraphQLEnumType):
            return ValueShape(LEAF, nonnull, label, abstract=type_.name, enum_values=frozenset(type_.values))
        return ValueShape(LEAF, nonnull, label)

    def _collect(
        self, object_type: GraphQLObjectType, selections: tuple[SelectionSetNode, ...]
    ) -> dict[str, list[tuple[FieldNode, bool]]]:
        """The field nodes by response key, each with whether it is refused (denied, or in a denied fragment)."""
        grouped: dict[str, list[tuple[FieldNode, bool]]] = {}
        visited: set[tuple[str, bool]] = set()
        for selection_set in selections:
            self._collect_into(object_type, selection_set, grouped, visited, False)
        return grouped

    def _collect_into(
        self,
        object_type: GraphQLObjectType,
        selection_set: SelectionSetNode,
        grouped: dict[str, list[tuple[FieldNode, bool]]],
        visited: set[tuple[str, bool]],
        refused: bool,
    ) -> None:
        denied = self.denied
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            refuse = refused or id(selection) in denied
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append((selection, refuse))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition.name.value if selection.type_condition else None
                if self._applies(condition, object_type):
                    self._collect_into(object_type, selection.selection_set, grouped, visited, refuse)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                # A fragment spread where it is refused may be spread again where it is not.
                if (name, refuse) in visited:
                    continue
                visited.add((name, refuse))
                fragment = self.fragments[name]
                if self._applies(fragment.type_condition.name.value, object_type):
                    self._collect_into(object_type, fragment.selection_set, grouped, visited, refuse)

    def _applies(self, condition: str | None, object_type: GraphQLObjectType) -> bool:
        if condition is None or condition == object_type.name:
            return True
        abstract = self.schema.get_type(condition)
        if isinstance(abstract, GraphQLInterfaceType | GraphQLUnionType):
            return self.schema.is_sub_type(abstract, object_type)
        return False

    def _included(self, node: Any) -> bool:
        for directive in node.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            argument = next((a for a in directive.arguments or () if a.name.value == "if"), None)
            value = value_from_ast(argument.value, Boolean, self.variables) if argument else None
            if name == "skip" and value is True:
                return False
            if name == "include" and value is not True:
                return False
        return True

    def runtime_shape(self, shape: ValueShape, typename: Any) -> ObjectShape | str:
        """The object shape for an abstract value's runtime type, or the error message when there is none."""
        found = shape.by_type.get(typename) if isinstance(typename, str) else None
        if found is not None:
            return found
        runtime = self.schema.get_type(typename) if isinstance(typename, str) else None
        if not isinstance(runtime, GraphQLObjectType):
            # The wording is graphql-js's, which clients and tests already know.
            return f'Abstract type "{shape.abstract}" was resolved to a non-object type "{typename}".'
        abstract = self.schema.get_type(shape.abstract)
        assert isinstance(abstract, GraphQLInterfaceType | GraphQLUnionType)
        if not self.schema.is_sub_type(abstract, runtime):
            return f'Runtime Object type "{typename}" is not a possible type for "{shape.abstract}".'
        found = shape.by_type[typename] = self._object_shape(runtime, shape.selections)
        return found

    # -- running -------------------------------------------------------------

    def complete(self, data: dict[str, Any], errors: list[dict[str, Any]]) -> dict[str, Any] | None:
        run = _Run(self, errors)
        result = run.object(self.root, data, None)
        return None if result is _NULLED else result


class _Run:
    """One request's walk over its merged data."""

    __slots__ = ("error_paths", "errors", "shape")

    def __init__(self, shape: ResponseShape, errors: list[dict[str, Any]]) -> None:
        self.shape = shape
        self.errors = errors
        self.error_paths: list[tuple[Any, ...]] | None = None

    def object(self, shape: ObjectShape, data: dict[str, Any], path: Path) -> dict[str, Any] | object:
        out: dict[str, Any] = {}
        complete = self.value
        for key, value_shape in shape.fields:
            kind = value_shape.kind
            value = data.get(key)
            if kind == LEAF and value is not None and value_shape.enum_values is None:
                out[key] = value
            elif kind == TYPENAME:
                out[key] = shape.typename
            elif kind == META:
                out[key] = value
            elif kind == DENIED:
                self.error((path, key), UNAUTHORIZED, {"code": UNAUTHORIZED_CODE})
                if value_shape.nonnull:
                    return _NULLED
                out[key] = None
            else:
                completed = complete(value_shape, value, (path, key))
                if completed is _NULLED:
                    return _NULLED
                out[key] = completed
        return out

    def value(self, shape: ValueShape, value: Any, path: Path) -> Any:
        if value is None:
            if shape.nonnull:
                self.null_error(path, shape.label)
                return _NULLED
            return None
        kind = shape.kind
        if kind == LEAF:
            if shape.enum_values is not None and (not isinstance(value, str) or value not in shape.enum_values):
                return self.fail(shape, path, f'Enum "{shape.abstract}" cannot represent value: {value!r}')
            return value
        if kind == LIST:
            if type(value) is not list:
                return self.fail(shape, path, f"expected a list for {shape.label}")
            item = shape.item
            assert item is not None
            items = []
            append = items.append
            for position, element in enumerate(value):
                if element is not None and item.kind == LEAF and item.enum_values is None:
                    append(element)
                    continue
                completed = self.value(item, element, (path, position))
                if completed is _NULLED:
                    return _NULLED if shape.nonnull else None
                append(completed)
            return items
        if type(value) is not dict:
            return self.fail(shape, path, f"expected an object for {shape.label}")
        if kind == OBJECT:
            object_shape = shape.object
            assert object_shape is not None
        else:
            found = self.shape.runtime_shape(shape, value.get("__typename"))
            if isinstance(found, str):
                return self.fail(shape, path, found)
            object_shape = found
        completed = self.object(object_shape, value, path)
        if completed is _NULLED:
            return _NULLED if shape.nonnull else None
        return completed

    def fail(self, shape: ValueShape, path: Path, message: str) -> Any:
        self.error(path, message)
        return _NULLED if shape.nonnull else None

    def null_error(self, path: Path, label: str) -> None:
        here = _unwind(path)
        if self.error_paths is None:
            self.error_paths = [tuple(e["path"]) for e in self.errors if e.get("path")]
        if any(p[: len(here)] == here for p in self.error_paths):
            return
        self.error(path, f"Cannot return null for non-nullable field {label}.")

    def error(self, path: Path, message: str, extensions: dict[str, Any] | None = None) -> None:
        here = _unwind(path)
        error: dict[str, Any] = {"message": message, "path": list(here)}
        if extensions is not None:
            error["extensions"] = extensions
        self.errors.append(error)
        if self.error_paths is not None:
            self.error_paths.append(here)


def _unwind(path: Path) -> tuple[Any, ...]:
    keys: list[Any] = []
    while path is not None:
        path, key = path
        keys.append(key)
    return tuple(reversed(keys))
