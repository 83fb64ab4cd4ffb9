"""Federation 2 composition rules: what makes a set of subgraphs refuse to compose.

Each rule reports with the reference composers' error codes and names the
subgraph (as `[name]`), the type and the field. Rules about one subgraph run
first; rules that compare subgraphs run on the set.
"""

from __future__ import annotations

from collections.abc import Callable

from graphql import (
    FieldNode,
    GraphQLError,
    InlineFragmentNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    SelectionSetNode,
    TypeNode,
    print_ast,
)

from router.fieldset import parse_field_set
from router.subgraph_schema import Field, SubgraphSchema, Type

BUILT_IN_TYPES = frozenset({"String", "Int", "Float", "Boolean", "ID"})
Report = Callable[[str, str], None]


def _named(type_node: TypeNode) -> str:
    while isinstance(type_node, NonNullTypeNode | ListTypeNode):
        type_node = type_node.type
    assert isinstance(type_node, NamedTypeNode)
    return type_node.name.value


def check_subgraph(subgraph: SubgraphSchema, report: Report) -> None:
    name = subgraph.name
    if name == "_" or not name.strip():
        report("INVALID_SUBGRAPH_NAME", f'[{name}] Invalid name "{name}" for a subgraph: this name is reserved')
    for operation, default in (("query", "Query"), ("mutation", "Mutation")):
        chosen = subgraph.roots.get(operation, default)
        if chosen != default and default in subgraph.types:
            report(
                f"ROOT_{operation.upper()}_USED",
                f'[{name}] The schema has a type named "{default}" but it is not set as the {operation} root type '
                f'("{chosen}" is instead): this is not supported by federation.',
            )
    for code, message in subgraph.problems:
        report(code, message)
    for code, message in subgraph.redefined:
        report(code, f"[{name}] {message}")
    field_set_broken = any(code == "TYPE_DEFINITION_INVALID" and "FieldSet" in m for code, m in subgraph.redefined)
    for item in subgraph.types.values():
        for code, written in item.problems:
            report(
                code,
                f'[{name}] On type "{item.name}", for {written}: Invalid value for argument "fields": '
                "must be a string.",
            )
        if field_set_broken and item.keys:
            report(
                "INVALID_GRAPHQL",
                f'[{name}] Invalid value for "@key(fields:)" of type "FieldSet!" in '
                f'application of "@key" to "{item.name}".',
            )
    for context, where in subgraph.contexts_used:
        if context not in subgraph.contexts_set:
            report("CONTEXT_NOT_SET", f'[{name}] Context "{context}" is used at location "{where}" but is never set.')
    for directive in subgraph.unknown_directives:
        report("INVALID_GRAPHQL", f'[{name}] Unknown directive "@{directive}".')
    query = subgraph.types.get(subgraph.roots.get("query", "Query"))
    if query is not None and query.inaccessible:
        report(
            "QUERY_ROOT_TYPE_INACCESSIBLE",
            f'[{name}] Type "{query.name}" is @inaccessible but is the root query type, '
            "which must be in the API schema.",
        )
    _check_references(subgraph, report)
    _check_inaccessible(subgraph, report)
    for item in subgraph.types.values():
        if item.kind in ("object", "interface"):
            _check_keys(subgraph, item, report)
            for field in item.fields.values():
                _check_field(subgraph, item, field, report)
        if item.kind == "object":
            _check_implements(subgraph, item, report)
    _check_external_used(subgraph, report)


def _check_references(subgraph: SubgraphSchema, report: Report) -> None:
    known = set(subgraph.types) | BUILT_IN_TYPES | {"_Any", "FieldSet", "link__Import", "federation__FieldSet"}
    reported: set[str] = set()

    def need(type_name: str) -> None:
        if type_name not in known and type_name not in reported:
            reported.add(type_name)
            report("INVALID_GRAPHQL", f"[{subgraph.name}] Unknown type {type_name}")

    for item in subgraph.types.values():
        for field in item.fields.values():
            need(_named(field.type))
            for argument in field.arguments:
                need(_named(argument.type))
        for other in item.interfaces + item.members:
            need(other)


def _check_inaccessible(subgraph: SubgraphSchema, report: Report) -> None:
    """@inaccessible may hide an element only where the API schema stays whole without it."""
    name = subgraph.name
    for item in subgraph.types.values():
        if item.inaccessible:
            continue
        if item.kind in ("object", "interface") and item.fields and all(f.inaccessible for f in item.fields.values()):
            report(
                "ONLY_INACCESSIBLE_CHILDREN",
                f'[{name}] Type "{item.name}" is in the API schema but all of its fields are @inaccessible.',
            )
        for field in item.fields.values():
            if field.inaccessible:
                for interface_name in item.interfaces:
                    interface = subgraph.types.get(interface_name)
                    if (
                        interface is not None
                        and field.name in interface.fields
                        and not (interface.inaccessible or interface.fields[field.name].inaccessible)
                    ):
                        report(
                            "IMPLEMENTED_BY_INACCESSIBLE",
                            f'[{name}] Field "{item.name}.{field.name}" is '
                            f'@inaccessible but implements the interface field "{interface_name}.{field.name}", '
                            "which is in the API schema.",
                        )
                continue
            for argument in field.arguments:
                hidden = any(d.name.value == "inaccessible" for d in argument.directives or ())
                coordinate = f"{item.name}.{field.name}({argument.name.value}:)"
                if hidden and isinstance(argument.type, NonNullTypeNode) and argument.default_value is None:
                    report(
                        "REQUIRED_INACCESSIBLE",
                        f'[{name}] Argument "{coordinate}" is @inaccessible but is a required argument of its field.',
                    )
                enum = subgraph.types.get(_named(argument.type))
                if argument.default_value is not None and enum is not None and enum.kind == "enum":
                    used = print_ast(argument.default_value)
                    value = enum.values.get(used)
                    if value is not None and value.inaccessible:
                        report(
                            "DEFAULT_VALUE_USES_INACCESSIBLE",
                            f'[{name}] Enum value "{enum.name}.{used}" is '
                            f'@inaccessible but is used in the default value of "{coordinate}", which is in the '
                            "API schema.",
                        )


def _check_implements(subgraph: SubgraphSchema, item: Type, report: Report) -> None:
    for interface_name in item.interfaces:
        interface = subgraph.types.get(interface_name)
        if interface is None or interface.kind != "interface":
            continue
        for fields, resolvable in interface.keys:
            if resolvable and not any(k == fields for k, _ in item.keys):
                report(
                    "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
                    f'[{subgraph.name}] Key @key(fields: "{fields}") on '
                    f'interface type "{interface_name}" is missing on implementation type "{item.name}".',
                )
        for field_name in interface.fields:
            if field_name not in item.fields:
                report(
                    "INVALID_GRAPHQL",
                    f"[{subgraph.name}] Interface field {interface_name}.{field_name} expected but "
                    f"{item.name} does not provide it.",
                )


def _parse(subgraph: SubgraphSchema, text: str, code: str, where: str, report: Report) -> SelectionSetNode | None:
    try:
        return parse_field_set(text)
    except GraphQLError as exc:
        report(code, f"[{subgraph.name}] {where}: {exc.message}")
        return None


def _check_keys(subgraph: SubgraphSchema, item: Type, report: Report) -> None:
    for fields, _ in item.keys:
        where = f'On type "{item.name}", for @key(fields: "{fields}")'
        if (
            item.kind == "interface"
            and subgraph.federation_version is not None
            and subgraph.federation_version < (2, 3)
        ):
            report(
                "KEY_UNSUPPORTED_ON_INTERFACE",
                f'[{subgraph.name}] Cannot use @key on interface "{item.name}": @key is not yet supported on '
                "interfaces before federation 2.3",
            )
            continue
        selection = _parse(subgraph, fields, "KEY_INVALID_FIELDS", where, report)
        if selection is not None:
            _check_key_selection(subgraph, item, selection, where, report)


def _check_key_selection(
    subgraph: SubgraphSchema, parent: Type, selection: SelectionSetNode, where: str, report: Report
) -> None:
    for node in selection.selections:
        if not isinstance(node, FieldNode):
            report("KEY_INVALID_FIELDS", f"[{subgraph.name}] {where}: fragments are not allowed in @key")
            continue
        if node.directives:
            directive = node.directives[0].name.value
            report("KEY_INVALID_FIELDS", f'[{subgraph.name}] {where}: Unknown directive "@{directive}".')
            continue
        field = parent.fields.get(node.name.value)
        if field is None:
            report(
                "KEY_INVALID_FIELDS",
                f'[{subgraph.name}] {where}: Cannot query field "{node.name.value}" on type "{parent.name}".',
            )
            continue
        if field.arguments:
            report(
                "KEY_FIELDS_HAS_ARGS",
                f"[{subgraph.name}] {where}: field {parent.name}.{field.name} cannot be included because it has "
                "arguments (fields with argument are not allowed in @key)",
            )
        target = subgraph.types.get(_named(field.type))
        if target is not None and target.kind in ("interface", "union"):
            report(
                "KEY_FIELDS_SELECT_INVALID_TYPE",
                f'[{subgraph.name}] {where}: field "{parent.name}.{field.name}" is a '
                f"{target.kind.capitalize()} type which is not allowed in @key",
            )
        elif target is not None and node.selection_set is not None:
            _check_key_selection(subgraph, target, node.selection_set, where, report)


def _check_field(subgraph: SubgraphSchema, parent: Type, field: Field, report: Report) -> None:
    name, coordinate = subgraph.name, f"{parent.name}.{field.name}"
    for code, written in field.problems:
        report(
            code,
            f'[{name}] On field "{coordinate}", for {written}: Invalid value for argument "fields": must be a string.',
        )
    if parent.kind == "interface":
        for directive, present, code in (
            ("requires", field.requires is not None, "REQUIRES_UNSUPPORTED_ON_INTERFACE"),
            ("provides", field.provides is not None, "PROVIDES_UNSUPPORTED_ON_INTERFACE"),
            ("override", field.override is not None, "OVERRIDE_ON_INTERFACE"),
        ):
            if present:
                report(
                    code,
                    f'[{name}] Cannot use @{directive} on field "{coordinate}" of parent type '
                    f'"{parent.name}": @{directive} is not yet supported within interfaces',
                )
        if field.shareable and not parent.interface_object:
            report(
                "INVALID_SHAREABLE_USAGE",
                f'[{name}] Invalid use of @shareable on field "{coordinate}": '
                "only object type fields can be marked with @shareable",
            )
        return
    if field.override is not None:
        if field.override == name:
            report(
                "OVERRIDE_FROM_SELF_ERROR",
                f'[{name}] Source and destination subgraphs "{name}" are the same for overridden field "{coordinate}"',
            )
        if field.external:
            report(
                "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                f'[{name}] @override cannot be used on field "{coordinate}" since it is also marked @external',
            )
    if field.requires is not None:
        where = f'On field "{coordinate}", for @requires(fields: "{field.requires}")'
        selection = _parse(subgraph, field.requires, "REQUIRES_INVALID_FIELDS", where, report)
        if selection is not None:
            _check_external_selection(subgraph, parent, selection, where, "REQUIRES", report)
    if field.provides is not None:
        where = f'On field "{coordinate}", for @provides(fields: "{field.provides}")'
        target = subgraph.types.get(_named(field.type))
        if target is None or target.kind not in ("object", "interface", "union"):
            report(
                "PROVIDES_ON_NON_OBJECT_FIELD",
                f'[{name}] Invalid @provides directive on field "{coordinate}": '
                f'field has type "{print_ast(field.type)}" which is not a Composite Type',
            )
            return
        selection = _parse(subgraph, field.provides, "PROVIDES_INVALID_FIELDS", where, report)
        if selection is not None:
            _check_external_selection(subgraph, target, selection, where, "PROVIDES", report)


def _check_external_selection(
    subgraph: SubgraphSchema, parent: Type, selection: SelectionSetNode, where: str, prefix: str, report: Report
) -> None:
    """@requires and @provides select fields this subgraph declares @external (their leaves, at least)."""
    for node in selection.selections:
        if isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else parent.name
            target = subgraph.types.get(condition)
            if target is not None:
                _check_external_selection(subgraph, target, node.selection_set, where, prefix, report)
            continue
        if not isinstance(node, FieldNode):
            continue
        field = parent.fields.get(node.name.value)
        if field is None:
            report(
                f"{prefix}_INVALID_FIELDS",
                f'[{subgraph.name}] {where}: Cannot query field "{node.name.value}" on type "{parent.name}".',
            )
            continue
        if prefix == "PROVIDES" and field.arguments:
            report(
                "PROVIDES_FIELDS_HAS_ARGS",
                f"[{subgraph.name}] {where}: field {parent.name}.{field.name} cannot "
                "be included because it has arguments (fields with argument are not allowed in @provides)",
            )
            continue
        target = subgraph.types.get(_named(field.type))
        if node.selection_set is not None and target is not None and not field.external:
            _check_external_selection(subgraph, target, node.selection_set, where, prefix, report)
            continue
        if not field.external and not (target is not None and target.shareable and node.selection_set):
            verb = "should not be part of a @requires" if prefix == "REQUIRES" else "should not be part of a @provides"
            report(
                f"{prefix}_FIELDS_MISSING_EXTERNAL",
                f'[{subgraph.name}] {where}: field "{parent.name}.{field.name}" '
                f"{verb} since it is already provided by this subgraph (it is not marked @external)",
            )


def _check_external_used(subgraph: SubgraphSchema, report: Report) -> None:
    used: set[tuple[str, str]] = set()

    def mark(parent: Type | None, selection: SelectionSetNode | None) -> None:
        if parent is None or selection is None:
            return
        for node in selection.selections:
            if isinstance(node, InlineFragmentNode):
                condition = node.type_condition.name.value if node.type_condition else parent.name
                mark(subgraph.types.get(condition), node.selection_set)
            elif isinstance(node, FieldNode):
                used.add((parent.name, node.name.value))
                field = parent.fields.get(node.name.value)
                if field is not None and node.selection_set is not None:
                    mark(subgraph.types.get(_named(field.type)), node.selection_set)

    def parsed(text: str) -> SelectionSetNode | None:
        try:
            return parse_field_set(text)
        except GraphQLError:
            return None

    for item in subgraph.types.values():
        for fields, _ in item.keys:
            mark(item, parsed(fields))
        for field in item.fields.values():
            if field.requires:
                mark(item, parsed(field.requires))
            if field.provides:
                mark(subgraph.types.get(_named(field.type)), parsed(field.provides))
        for interface_name in item.interfaces:
            interface = subgraph.types.get(interface_name)
            for field_name in interface.fields if interface is not None else ():
                used.add((item.name, field_name))
    for item in subgraph.types.values():
        for field in item.fields.values():
            if field.external and (item.name, field.name) not in used:
                report(
                    "EXTERNAL_UNUSED",
                    f'[{subgraph.name}] Field "{item.name}.{field.name}" is marked @external '
                    "but is not used in any federation directive (@key, @provides, @requires) or to satisfy an "
                    "interface; the field declaration has no use and should be removed (or the field should not "
                    "be @external).",
                )


def key_fields(subgraph: SubgraphSchema, item: Type) -> set[str]:
    """Top-level fields of this subgraph's keys on `item`: shareable by nature."""
    names: set[str] = set()
    for fields, _ in item.keys:
        try:
            names |= {n.name.value for n in parse_field_set(fields).selections if isinstance(n, FieldNode)}
        except GraphQLError:
            continue
    return names
