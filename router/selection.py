"""Subgraph selection sets under construction, merged as the planner adds to them, then printed once."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import ArgumentNode, DirectiveNode, print_ast


@dataclass(slots=True)
class FieldItem:
    name: str
    alias: str | None
    arguments: str  # printed "(a: 1, b: $v)" or ""
    directives: str  # printed " @include(if: $v)" or ""
    selection: Selection | None
    variables: frozenset[str] = frozenset()  # used by the arguments and directives
    internal: bool = False  # added by the planner (a key or a requirement), not asked by the client


@dataclass(slots=True)
class FragmentItem:
    type_condition: str | None
    directives: str
    selection: Selection
    variables: frozenset[str] = frozenset()


# Where a field the planner needs goes when the client uses its name for something else
# (`{ id: title }`): the executor reads keys and requirements from here first.
INTERNAL_PREFIX = "__key_"


@dataclass(slots=True)
class Selection:
    """An ordered, merging selection set: adding the same field twice reuses the first."""

    items: dict[tuple[str, str, str], FieldItem | FragmentItem] = field(default_factory=dict)

    def add_field(
        self,
        name: str,
        alias: str | None = None,
        arguments: str = "",
        directives: str = "",
        composite: bool = False,
        variables: frozenset[str] = frozenset(),
        internal: bool = False,
    ) -> Selection | None:
        key = ("f", alias or name, directives)
        item = self.items.get(key)
        if isinstance(item, FieldItem) and (item.name != name or item.arguments != arguments):
            # The response key is taken by a different field: the planner's field steps aside.
            if internal:
                return self.add_field(name, INTERNAL_PREFIX + name, arguments, directives, composite, variables, True)
            if item.internal:
                del self.items[key]
                item.alias = INTERNAL_PREFIX + item.name
                self.items[("f", item.alias, directives)] = item
                item = None
        if item is None:
            item = FieldItem(
                name, alias, arguments, directives, Selection() if composite else None, variables, internal
            )
            self.items[key] = item
        assert isinstance(item, FieldItem)
        return item.selection

    def add_fragment(
        self, type_condition: str | None, directives: str = "", variables: frozenset[str] = frozenset()
    ) -> Selection:
        key = ("t", type_condition or "", directives)
        item = self.items.get(key)
        if item is None:
            item = FragmentItem(type_condition, directives, Selection(), variables)
            self.items[key] = item
        assert isinstance(item, FragmentItem)
        return item.selection

    def add_typename(self) -> None:
        self.add_field("__typename")

    def is_empty(self) -> bool:
        return not self.items

    def print(self, variables: set[str] | None = None) -> str:
        """The selection set as GraphQL; adds the variables it uses to `variables`."""
        parts: list[str] = []
        for item in self.items.values():
            if isinstance(item, FieldItem):
                if item.selection is not None and item.selection.is_empty():
                    # Every child moved to another subgraph; ask for the typename
                    # so the object itself (and its nullness) still arrives.
                    item.selection.add_typename()
                head = f"{item.alias}:{item.name}" if item.alias else item.name
                body = item.selection.print(variables) if item.selection is not None else ""
                if variables is not None:
                    variables |= item.variables
                parts.append(f"{head}{item.arguments}{item.directives}{body}")
            else:
                if item.selection.is_empty():
                    continue
                condition = f" on {item.type_condition}" if item.type_condition else ""
                parts.append(f"...{condition}{item.directives}{item.selection.print(variables)}")
                if variables is not None:
                    variables |= item.variables
        return "{" + " ".join(parts) + "}"


def print_arguments(arguments: tuple[ArgumentNode, ...] | None) -> str:
    if not arguments:
        return ""
    return "(" + ", ".join(print_ast(argument) for argument in arguments) + ")"


def print_directives(directives: tuple[DirectiveNode, ...] | None) -> str:
    if not directives:
        return ""
    return "".join(" " + print_ast(directive) for directive in directives)
