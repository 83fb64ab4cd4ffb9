"""The client's response, produced in one pass over the operation's selections and the merged data.

Only what the client asked for comes out, under its aliases, with `__typename`
where asked, `@skip`/`@include` applied, and nulls propagated as the GraphQL
spec's "Handling Execution Errors" says: a null in a non-null position nulls
the nearest nullable parent, and is an error unless one is already reported
at or below that position.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
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
    value_from_ast,
)
from graphql import GraphQLBoolean as Boolean

_NULLED = object()  # a non-null position got null: the parent must be nulled too


class Shaper:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        errors: list[dict[str, Any]],
        field_cache: dict[tuple[tuple[int, ...], str], list[tuple[str, list[FieldNode]]]] | None = None,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.errors = errors
        self._error_paths = [tuple(e["path"]) for e in errors if e.get("path")]
        # Shared across requests of one operation when no @skip/@include can change the fields collected.
        self._field_cache = field_cache

    def shape(self, operation: OperationDefinitionNode, data: dict[str, Any]) -> dict[str, Any] | None:
        root = self.schema.get_root_type(operation.operation)
        assert root is not None
        result = self._object(root, [operation.selection_set], data, [])
        return None if result is _NULLED else result

    def _collect(
        self, object_type: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> list[tuple[str, list[FieldNode]]]:
        cache = self._field_cache
        if cache is not None:
            key = (tuple(map(id, selection_sets)), object_type.name)
            found = cache.get(key)
            if found is None:
                found = cache[key] = self._collect_fields(object_type, selection_sets)
            return found
        return self._collect_fields(object_type, selection_sets)

    def _collect_fields(
        self, object_type: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> list[tuple[str, list[FieldNode]]]:
        grouped: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        for selection_set in selection_sets:
            self._collect_into(object_type, selection_set, grouped, visited)
        return list(grouped.items())

    def _collect_into(
        self,
        object_type: GraphQLObjectType,
        selection_set: SelectionSetNode,
        grouped: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition.name.value if selection.type_condition else None
                if self._applies(condition, object_type):
                    self._collect_into(object_type, selection.selection_set, grouped, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in visited:
                    continue
                visited.add(name)
                fragment = self.fragments[name]
                if self._applies(fragment.type_condition.name.value, object_type):
                    self._collect_into(object_type, fragment.selection_set, grouped, visited)

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

    def _object(
        self,
        object_type: GraphQLObjectType,
        selection_sets: list[SelectionSetNode],
        data: dict[str, Any],
        path: list[str | int],
    ) -> dict[str, Any] | object:
        out: dict[str, Any] = {}
        for key, nodes in self._collect(object_type, selection_sets):
            name = nodes[0].name.value
            if name == "__typename":
                out[key] = object_type.name
                continue
            if name in ("__schema", "__type"):
                out[key] = data.get(key)
                continue
            field = object_type.fields[name]
            sub = [n.selection_set for n in nodes if n.selection_set is not None]
            value = self._value(field.type, data.get(key), sub, [*path, key], object_type.name, name)
            if value is _NULLED:
                return _NULLED
            out[key] = value
        return out

    def _value(
        self,
        type_: GraphQLOutputType,
        value: Any,
        sub: list[SelectionSetNode],
        path: list[str | int],
        parent_name: str,
        field_name: str,
    ) -> Any:
        if isinstance(type_, GraphQLNonNull):
            completed = self._value(type_.of_type, value, sub, path, parent_name, field_name)
            if completed is None or completed is _NULLED:
                if completed is None:
                    self._null_error(path, parent_name, field_name)
                return _NULLED
            return completed
        if value is None:
            return None
        if isinstance(type_, GraphQLList):
            if not isinstance(value, list):
                self._error(path, f"expected a list for {parent_name}.{field_name}")
                return None
            items = []
            for position, item in enumerate(value):
                completed = self._value(type_.of_type, item, sub, [*path, position], parent_name, field_name)
                if completed is _NULLED:
                    return None
                items.append(completed)
            return items
        if isinstance(type_, GraphQLObjectType):
            return self._object_or_null(type_, value, sub, path)
        if isinstance(type_, GraphQLInterfaceType | GraphQLUnionType):
            typename = value.get("__typename") if isinstance(value, dict) else None
            runtime = self.schema.get_type(typename) if isinstance(typename, str) else None
            if not isinstance(runtime, GraphQLObjectType):
                # The wording is graphql-js's, which clients and tests already know.
                self._error(path, f'Abstract type "{type_.name}" was resolved to a non-object type "{typename}".')
                return None
            if not self.schema.is_sub_type(type_, runtime):
                self._error(path, f'Runtime Object type "{typename}" is not a possible type for "{type_.name}".')
                return None
            return self._object_or_null(runtime, value, sub, path)
        return value

    def _object_or_null(
        self, object_type: GraphQLObjectType, value: Any, sub: list[SelectionSetNode], path: list[str | int]
    ) -> Any:
        if not isinstance(value, dict):
            self._error(path, f"expected an object of type {object_type.name}")
            return None
        completed = self._object(object_type, sub, value, path)
        return None if completed is _NULLED else completed

    def _null_error(self, path: list[str | int], parent_name: str, field_name: str) -> None:
        here = tuple(path)
        if any(p[: len(here)] == here for p in self._error_paths):
            return
        self._error(path, f"Cannot return null for non-nullable field {parent_name}.{field_name}.")

    def _error(self, path: list[str | int], message: str) -> None:
        self.errors.append({"message": message, "path": list(path)})
        self._error_paths.append(tuple(path))
