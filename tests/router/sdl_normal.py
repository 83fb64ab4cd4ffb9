"""Supergraph SDL in a canonical form, so two composers' outputs compare "up to ordering".

Definitions, fields, arguments, enum values, union members and repeated
directives are sorted; field sets inside `key`, `requires` and `provides` are
reprinted from their parse; subgraph URLs are left out (recordings ran on
other ports).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DirectiveNode,
    EnumValueDefinitionNode,
    StringValueNode,
    parse,
    print_ast,
)

from router.fieldset import parse_field_set, print_field_set

FIELD_SET_ARGUMENTS = frozenset({"key", "requires", "provides"})


def normal_sdl(sdl: str) -> str:
    document = parse(sdl, no_location=True)
    blocks = sorted(_definition(d) for d in document.definitions)
    return "\n".join(blocks)


def _directive(node: DirectiveNode) -> str:
    parts = []
    for argument in sorted(node.arguments or (), key=lambda a: a.name.value):
        value = argument.value
        if argument.name.value in FIELD_SET_ARGUMENTS and isinstance(value, StringValueNode):
            text = f'"{print_field_set(parse_field_set(value.value))}"'
        elif node.name.value == "join__graph" and argument.name.value == "url":
            continue
        else:
            text = print_ast(value)
        parts.append(f"{argument.name.value}: {text}")
    return f"@{node.name.value}({', '.join(parts)})" if parts else f"@{node.name.value}"


def _directives(nodes: Any) -> str:
    return " ".join(sorted(_directive(d) for d in nodes or ()))


def _definition(node: Any) -> str:
    kind = node.kind
    name = node.name.value if getattr(node, "name", None) is not None else ""
    head = f"{kind} {name}"
    if hasattr(node, "interfaces") and node.interfaces:
        head += " implements " + " & ".join(sorted(i.name.value for i in node.interfaces))
    if kind == "directive_definition":
        arguments = ", ".join(sorted(print_ast(a) for a in node.arguments or ()))
        locations = " | ".join(sorted(loc.value for loc in node.locations))
        return f"{head}({arguments}) repeatable={node.repeatable} on {locations}"
    if kind in ("schema_definition", "schema_extension"):
        operations = " ".join(sorted(print_ast(o) for o in node.operation_types or ()))
        return f"schema {_directives(node.directives)} {{{operations}}}"
    description = f'"{node.description.value}" ' if getattr(node, "description", None) else ""
    lines = [f"{description}{head} {_directives(node.directives)}"]
    members = getattr(node, "types", None)
    if members:
        lines.append("  = " + " | ".join(sorted(m.name.value for m in members)))
    for item in sorted(getattr(node, "fields", None) or getattr(node, "values", None) or (), key=_name):
        item_description = f'"{item.description.value}" ' if item.description else ""
        if isinstance(item, EnumValueDefinitionNode):
            lines.append(f"  {item_description}{item.name.value} {_directives(item.directives)}")
            continue
        arguments = sorted(print_ast(a) for a in getattr(item, "arguments", None) or ())
        default = f" = {print_ast(item.default_value)}" if getattr(item, "default_value", None) else ""
        argument_text = f"({', '.join(arguments)})" if arguments else ""
        lines.append(
            f"  {item_description}{item.name.value}{argument_text}: {print_ast(item.type)}{default} "
            f"{_directives(item.directives)}"
        )
    return "\n".join(lines)


def _name(node: Any) -> str:
    return str(node.name.value)
