"""One subgraph's SDL read for composition: its types, fields and federation directives, by their spec names.

Federation directives may be imported under other names (`@link(import: [{name:
"@key", as: "@id"}])`) or used qualified (`@federation__key`); everything here
is keyed by the spec's own names, so the composer never sees the spelling.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    GraphQLError,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    parse,
    print_ast,
    value_from_ast_untyped,
)

FEDERATION_DIRECTIVES = (
    "key",
    "requires",
    "provides",
    "external",
    "shareable",
    "override",
    "inaccessible",
    "tag",
    "interfaceObject",
    "composeDirective",
    "authenticated",
    "requiresScopes",
    "policy",
    "cost",
    "listSize",
    "extends",
    "context",
    "fromContext",
)
# Types and fields a subgraph library adds for the router's use; they never reach the supergraph.
FEDERATION_MACHINERY = frozenset(
    {"_Service", "_Entity", "_Any", "FieldSet", "link__Import", "link__Purpose", "federation__FieldSet", "_FieldSet"}
)
MACHINERY_FIELDS = frozenset({"_service", "_entities"})
_FEDERATION_URL = re.compile(r"^https://specs\.apollo\.dev/federation/v(\d+)\.(\d+)$")


class SubgraphSchemaError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(slots=True)
class Field:
    name: str
    type: TypeNode
    description: str | None = None
    arguments: list[InputValueDefinitionNode] = field(default_factory=list)
    default_value: Any = None  # input fields
    external: bool = False
    requires: str | None = None
    provides: str | None = None
    shareable: bool = False
    override: str | None = None
    override_label: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    deprecated: DirectiveNode | None = None
    others: list[DirectiveNode] = field(default_factory=list)  # directives of no known spec (maybe composed)
    access: list[SpecDirective] = field(default_factory=list)  # authenticated, requiresScopes, policy, cost, listSize
    problems: list[tuple[str, str]] = field(default_factory=list)  # (code, the directive as written)
    node: Any = None


@dataclass(frozen=True, slots=True)
class SpecDirective:
    spec_name: str
    node: DirectiveNode


@dataclass(slots=True)
class Type:
    name: str
    kind: str  # object, interface, union, enum, input, scalar
    description: str | None = None
    keys: list[tuple[str, bool]] = field(default_factory=list)  # (fields, resolvable)
    extension: bool = False
    interface_object: bool = False
    shareable: bool = False
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    access: list[SpecDirective] = field(default_factory=list)
    others: list[DirectiveNode] = field(default_factory=list)
    specified_by: DirectiveNode | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (code, the directive as written)
    fields: dict[str, Field] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, Field] = field(default_factory=dict)  # enum values, as fields without types
    node: Any = None


@dataclass(slots=True)
class SubgraphSchema:
    name: str
    url: str
    sdl: str
    federation_version: tuple[int, int] | None
    types: dict[str, Type] = field(default_factory=dict)
    roots: dict[str, str] = field(default_factory=dict)  # operation -> type name in this subgraph
    compose_directives: list[str] = field(default_factory=list)
    unknown_directives: list[str] = field(default_factory=list)  # used, but neither defined nor federation's
    problems: list[tuple[str, str]] = field(default_factory=list)  # (code, message) found while reading
    federation_imports: dict[str, str] = field(default_factory=dict)  # "@cost" -> "@weight" as imported here
    feature_links: dict[str, str] = field(default_factory=dict)  # other features' directives -> their link URL
    directive_definitions: dict[str, DirectiveDefinitionNode] = field(default_factory=dict)
    contexts_set: set[str] = field(default_factory=set)  # names given by @context on some type
    contexts_used: list[tuple[str, str]] = field(default_factory=list)  # (context name, "Type.field(arg:)")
    redefined: list[tuple[str, str]] = field(default_factory=list)  # (code, message) for spec definitions

    def root_of(self, type_name: str) -> str | None:
        for operation, name in self.roots.items():
            if name == type_name:
                return operation
        return None


_KINDS = {
    ObjectTypeDefinitionNode: ("object", False),
    ObjectTypeExtensionNode: ("object", True),
    InterfaceTypeDefinitionNode: ("interface", False),
    InterfaceTypeExtensionNode: ("interface", True),
    UnionTypeDefinitionNode: ("union", False),
    UnionTypeExtensionNode: ("union", True),
    EnumTypeDefinitionNode: ("enum", False),
    EnumTypeExtensionNode: ("enum", True),
    InputObjectTypeDefinitionNode: ("input", False),
    InputObjectTypeExtensionNode: ("input", True),
    ScalarTypeDefinitionNode: ("scalar", False),
    ScalarTypeExtensionNode: ("scalar", True),
}


def read_subgraph(name: str, url: str, sdl: str) -> SubgraphSchema:
    try:
        document = parse(sdl)
    except GraphQLError as exc:
        raise SubgraphSchemaError("INVALID_GRAPHQL", f"[{name}] {exc.message}") from None
    names, version, unknown_imports = _directive_names(document)
    schema = SubgraphSchema(name=name, url=url, sdl=sdl, federation_version=version)
    schema.federation_imports, schema.feature_links = _imports(document)
    schema.directive_definitions = {
        d.name.value: d for d in document.definitions if isinstance(d, DirectiveDefinitionNode)
    }
    schema.redefined = _redefinitions(document, names)
    schema.problems += [
        ("INVALID_LINK_DIRECTIVE_USAGE", f'[{name}] Cannot import unknown element "{element}".')
        for element in unknown_imports
    ]
    schema.unknown_directives = _unknown_directives(document, names)
    schema.roots = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            for operation in definition.operation_types or ():
                schema.roots[operation.operation.value] = operation.type.name.value
            for directive in definition.directives or ():
                if names.get(directive.name.value) == "composeDirective":
                    schema.compose_directives.append(str(_args(directive).get("name", "")).lstrip("@"))
    for definition in document.definitions:
        kind_info = _KINDS.get(type(definition))
        if kind_info is None:
            continue
        kind, is_extension = kind_info
        type_name = definition.name.value
        if type_name in FEDERATION_MACHINERY or type_name.startswith(("link__", "federation__", "join__")):
            continue
        current = schema.types.get(type_name)
        if current is None:
            current = schema.types[type_name] = Type(type_name, kind, node=definition)
            current.extension = is_extension
        elif current.kind != kind:
            raise SubgraphSchemaError(
                "TYPE_KIND_MISMATCH", f"[{name}] type {type_name} is defined as both {current.kind} and {kind}"
            )
        else:
            current.extension = current.extension and is_extension
        if getattr(definition, "description", None) is not None and current.description is None:
            current.description = definition.description.value
        _read_type_directives(current, definition.directives, names)
        current.interfaces += [i.name.value for i in getattr(definition, "interfaces", None) or ()]
        current.members += [m.name.value for m in getattr(definition, "types", None) or ()]
        for value in getattr(definition, "values", None) or ():
            enum_value = Field(value.name.value, type=None, node=value)  # type: ignore[arg-type]
            if value.description is not None:
                enum_value.description = value.description.value
            _read_field_directives(enum_value, value.directives, names)
            current.values[value.name.value] = enum_value
        for directive in definition.directives or ():
            if names.get(directive.name.value) == "context":
                schema.contexts_set.add(str(_args(directive).get("name", "")))
        for field_node in getattr(definition, "fields", None) or ():
            if field_node.name.value in MACHINERY_FIELDS:
                continue
            for argument in getattr(field_node, "arguments", None) or ():
                for directive in argument.directives or ():
                    if names.get(directive.name.value) == "fromContext":
                        selection = str(_args(directive).get("field", ""))
                        context = selection.lstrip("$").split()[0] if selection.startswith("$") else ""
                        where = f"{type_name}.{field_node.name.value}({argument.name.value}:)"
                        schema.contexts_used.append((context, where))
            item = Field(field_node.name.value, field_node.type, node=field_node)
            if field_node.description is not None:
                item.description = field_node.description.value
            if isinstance(field_node, InputValueDefinitionNode):
                item.default_value = field_node.default_value
            else:
                item.arguments = list(field_node.arguments or ())
            _read_field_directives(item, field_node.directives, names)
            current.fields[item.name] = item
    # A type-level @shareable covers the type's fields.
    for item in schema.types.values():
        if item.shareable:
            for member in item.fields.values():
                member.shareable = True
    return schema


# What the federation spec defines, as the subgraph may not redefine it differently.
SPEC_DIRECTIVE_ARGUMENTS = {
    "key": {"fields": "FieldSet!"},
    "requires": {"fields": "FieldSet!"},
    "provides": {"fields": "FieldSet!"},
}
SPEC_SCALARS = frozenset({"FieldSet", "_Any"})


def _redefinitions(document: DocumentNode, names: dict[str, str]) -> list[tuple[str, str]]:
    """Definitions in the subgraph of federation's own directives and types that do not match the spec."""
    problems: list[tuple[str, str]] = []
    for definition in document.definitions:
        if isinstance(definition, DirectiveDefinitionNode):
            spec = names.get(definition.name.value)
            expected = SPEC_DIRECTIVE_ARGUMENTS.get(spec or "")
            for argument in definition.arguments or ():
                wanted = (expected or {}).get(argument.name.value)
                found = print_ast(argument.type)
                if wanted is not None and found != wanted:
                    problems.append(
                        (
                            "DIRECTIVE_DEFINITION_INVALID",
                            f'Invalid definition for directive "@{definition.name.value}": argument '
                            f'"{argument.name.value}" should have type "{wanted}" but found type "{found}"',
                        )
                    )
                    # Federation defines it too: an incompatible second definition is a duplicate.
                    problems.append(
                        ("INVALID_GRAPHQL", f'There can be only one directive named "@{definition.name.value}".')
                    )
        elif getattr(getattr(definition, "name", None), "value", None) in SPEC_SCALARS and not isinstance(
            definition, ScalarTypeDefinitionNode
        ):
            problems.append(
                (
                    "TYPE_DEFINITION_INVALID",
                    f"Invalid definition for type {definition.name.value}: {definition.name.value} should be a "
                    "ScalarType but is defined as another kind of type",
                )
            )
    return problems


BUILT_IN_DIRECTIVES = frozenset({"deprecated", "specifiedBy", "oneOf", "include", "skip", "link"})


def _unknown_directives(document: DocumentNode, names: dict[str, str]) -> list[str]:
    defined = {d.name.value for d in document.definitions if isinstance(d, DirectiveDefinitionNode)}
    known = defined | BUILT_IN_DIRECTIVES | set(names)
    unknown: list[str] = []

    def visit(node: Any) -> None:
        for directive in getattr(node, "directives", None) or ():
            if directive.name.value not in known and directive.name.value not in unknown:
                unknown.append(directive.name.value)
        for child in (*(getattr(node, "fields", None) or ()), *(getattr(node, "values", None) or ())):
            visit(child)
        for argument in getattr(node, "arguments", None) or ():
            if hasattr(argument, "type"):
                visit(argument)

    for definition in document.definitions:
        if not isinstance(definition, DirectiveDefinitionNode | SchemaDefinitionNode | SchemaExtensionNode):
            visit(definition)
    return unknown


def _args(directive: DirectiveNode) -> dict[str, Any]:
    return {a.name.value: value_from_ast_untyped(a.value) for a in directive.arguments or ()}


def _links(document: DocumentNode) -> Iterator[tuple[str, dict[str, Any], list[tuple[str, str]]]]:
    """Each `@link` on the schema: its URL, its arguments, and its imports as (name, local name)."""
    for definition in document.definitions:
        if not isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for directive in definition.directives or ():
            if directive.name.value != "link":
                continue
            args = _args(directive)
            imports = []
            for item in args.get("import") or ():
                imported = item if isinstance(item, str) else str(item.get("name", ""))
                imports.append((imported, imported if isinstance(item, str) else str(item.get("as", imported))))
            yield str(args.get("url", "")), args, imports


def _imports(document: DocumentNode) -> tuple[dict[str, str], dict[str, str]]:
    """Federation elements as imported here, and directives imported from other features (name -> link URL)."""
    federation: dict[str, str] = {}
    features: dict[str, str] = {}
    for url, _, imports in _links(document):
        for imported, local in imports:
            if _FEDERATION_URL.match(url):
                federation[imported] = local
            elif imported.startswith("@"):
                features[local.lstrip("@")] = url
    return federation, features


def _directive_names(document: DocumentNode) -> tuple[dict[str, str], tuple[int, int] | None, list[str]]:
    """{name as written in this SDL: spec name}, the federation version linked (None: Federation 1),
    and imports that name nothing federation defines."""
    names: dict[str, str] = {}
    unknown: list[str] = []
    version: tuple[int, int] | None = None
    for url, args, imports in _links(document):
        match = _FEDERATION_URL.match(url)
        if match is None:
            continue
        version = (int(match[1]), int(match[2]))
        prefix = str(args.get("as") or "federation")
        for spec_name in FEDERATION_DIRECTIVES:
            names[f"{prefix}__{spec_name}"] = spec_name
        for imported, local in imports:
            if imported.startswith("@") and imported[1:] in FEDERATION_DIRECTIVES:
                names[local.lstrip("@")] = imported[1:]
            elif imported.startswith("@"):
                unknown.append(imported)
    if version is None:
        # Federation 1 style: the directives go by their own names.
        names.update({spec_name: spec_name for spec_name in FEDERATION_DIRECTIVES})
    return names, version, unknown


def _read_type_directives(item: Type, directives: Any, names: dict[str, str]) -> None:
    for directive in directives or ():
        spec = names.get(directive.name.value)
        args = _args(directive)
        if spec == "key":
            fields = args.get("fields", "")
            if not isinstance(fields, str):
                item.problems.append(("KEY_INVALID_FIELDS_TYPE", f"@key(fields: {fields})"))
                continue
            item.keys.append((fields, args.get("resolvable", True) is not False))
        elif spec == "shareable":
            item.shareable = True
        elif spec == "interfaceObject":
            item.interface_object = True
        elif spec == "inaccessible":
            item.inaccessible = True
        elif spec == "tag":
            item.tags.append(str(args.get("name", "")))
        elif spec == "extends":
            item.extension = True
        elif spec in ("authenticated", "requiresScopes", "policy", "cost", "listSize"):
            item.access.append(SpecDirective(spec, directive))
        elif directive.name.value == "specifiedBy":
            item.specified_by = directive
        elif spec is None and directive.name.value not in BUILT_IN_DIRECTIVES:
            item.others.append(directive)


def _read_field_directives(item: Field, directives: Any, names: dict[str, str]) -> None:
    for directive in directives or ():
        spec = names.get(directive.name.value)
        args = _args(directive)
        if directive.name.value == "deprecated":
            item.deprecated = directive
        elif spec == "external":
            item.external = True
        elif spec == "requires":
            fields = args.get("fields", "")
            if not isinstance(fields, str):
                item.problems.append(("REQUIRES_INVALID_FIELDS_TYPE", f"@requires(fields: {fields})"))
            item.requires = str(fields) if isinstance(fields, str) else None
        elif spec == "provides":
            item.provides = str(args.get("fields", ""))
        elif spec == "shareable":
            item.shareable = True
        elif spec == "override":
            item.override = str(args.get("from", ""))
            label = args.get("label")
            item.override_label = str(label) if label is not None else None
        elif spec == "inaccessible":
            item.inaccessible = True
        elif spec == "tag":
            item.tags.append(str(args.get("name", "")))
        elif spec in ("authenticated", "requiresScopes", "policy", "cost", "listSize"):
            item.access.append(SpecDirective(spec, directive))
        elif spec is None and directive.name.value not in BUILT_IN_DIRECTIVES:
            item.others.append(directive)
