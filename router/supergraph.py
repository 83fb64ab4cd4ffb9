"""Load a supergraph SDL: the join metadata the planner needs, and the API schema clients see.

The input is what Apollo composition 2.x and @theguild/federation-composition
emit: `@link` v1.0 and `join` v0.2 to v0.5, with `inaccessible`, `tag`,
`authenticated`, `requiresScopes`, `policy`, `cost` and `listSize`. Anything
else is refused here, at start, with the line at fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    GraphQLError,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    build_ast_schema,
    parse,
    value_from_ast_untyped,
)
from graphql.language import Node

from router.dnf import conjunction
from router.fieldset import FieldSet, parse_field_set

SUPPORTED_LINK = {"v1.0"}
SUPPORTED_JOIN = {"v0.2", "v0.3", "v0.4", "v0.5"}
# Features whose directives we understand; an unknown feature `for: EXECUTION`
# or `for: SECURITY` would change what a request means, so it is refused.
KNOWN_FEATURES = {
    "link",
    "join",
    "inaccessible",
    "tag",
    "authenticated",
    "requiresScopes",
    "policy",
    "cost",
    "listSize",
    "context",
}
BUILT_IN_DIRECTIVES = {"deprecated", "specifiedBy", "oneOf", "include", "skip"}
# Where a directive may appear in operations: such directives belong to the API schema.
EXECUTABLE_LOCATIONS = frozenset(
    {
        "QUERY",
        "MUTATION",
        "SUBSCRIPTION",
        "FIELD",
        "FRAGMENT_DEFINITION",
        "FRAGMENT_SPREAD",
        "INLINE_FRAGMENT",
        "VARIABLE_DEFINITION",
    }
)
_LINK_URL = re.compile(r"^https://specs\.apollo\.dev/(?P<name>[A-Za-z_]+)/(?P<version>v\d+\.\d+)$")


class SupergraphError(ValueError):
    """The supergraph cannot be served; the message names the line and the fault."""


@dataclass(frozen=True, slots=True)
class Graph:
    enum_value: str  # as the join__Graph enum names it
    name: str  # the subgraph's own name
    url: str


@dataclass(frozen=True, slots=True)
class TypeJoin:
    graph: str
    key: FieldSet | None
    resolvable: bool
    is_interface_object: bool
    extension: bool


@dataclass(frozen=True, slots=True)
class FieldJoin:
    graph: str | None
    requires: FieldSet | None
    provides: FieldSet | None
    type: str | None
    external: bool
    override: str | None
    override_label: str | None
    used_overridden: bool


@dataclass(slots=True)
class FieldMeta:
    name: str
    joins: list[FieldJoin] = field(default_factory=list)
    # Access control carried from the subgraphs, enforced by the router.
    authenticated: bool = False
    requires_scopes: list[list[str]] = field(default_factory=list)
    policies: list[list[str]] = field(default_factory=list)


@dataclass(slots=True)
class TypeMeta:
    name: str
    kind: str  # object, interface, union, enum, input, scalar
    joins: list[TypeJoin] = field(default_factory=list)
    fields: dict[str, FieldMeta] = field(default_factory=dict)
    implements: dict[str, set[str]] = field(default_factory=dict)  # graph -> interfaces
    members: dict[str, set[str]] = field(default_factory=dict)  # graph -> union members
    authenticated: bool = False
    requires_scopes: list[list[str]] = field(default_factory=list)
    policies: list[list[str]] = field(default_factory=list)

    @property
    def graphs(self) -> set[str]:
        return {join.graph for join in self.joins}


@dataclass(slots=True)
class Supergraph:
    sdl: str
    graphs: dict[str, Graph]  # by enum value
    types: dict[str, TypeMeta]
    schema: GraphQLSchema  # the whole supergraph, join machinery included
    api_schema: GraphQLSchema  # what clients see
    api_sdl_document: DocumentNode

    def graph_by_name(self, name: str) -> Graph:
        for graph in self.graphs.values():
            if graph.name == name:
                return graph
        raise KeyError(name)


@dataclass(slots=True)
class _Names:
    """Directive names as this supergraph spells them (features may be imported under another name)."""

    join: str = "join"
    inaccessible: str = "inaccessible"
    tag: str = "tag"
    authenticated: str = "authenticated"
    requires_scopes: str = "requiresScopes"
    policy: str = "policy"
    spec_prefixes: set[str] = field(default_factory=set)
    spec_directives: set[str] = field(default_factory=set)


def load_supergraph(sdl: str) -> Supergraph:
    try:
        document = parse(sdl)
    except GraphQLError as exc:
        raise SupergraphError(f"supergraph SDL does not parse: {exc.message} at {_where(exc)}") from None
    names = _read_links(document)
    graphs = _read_graphs(document, names)
    types = _read_types(document, names, graphs)
    try:
        schema = build_ast_schema(document, assume_valid_sdl=True)
    except (GraphQLError, TypeError) as exc:
        raise SupergraphError(f"supergraph SDL is not a valid schema: {exc}") from None
    api_document = _api_document(document, names)
    try:
        api_schema = build_ast_schema(api_document)
    except (GraphQLError, TypeError) as exc:
        raise SupergraphError(f"the API schema derived from the supergraph is invalid: {exc}") from None
    return Supergraph(
        sdl=sdl,
        graphs=graphs,
        types=types,
        schema=schema,
        api_schema=api_schema,
        api_sdl_document=api_document,
    )


def _where(node_or_error: Node | GraphQLError | None) -> str:
    if isinstance(node_or_error, GraphQLError):
        if node_or_error.locations:
            location = node_or_error.locations[0]
            return f"line {location.line}, column {location.column}"
        return "an unknown position"
    if node_or_error is not None and node_or_error.loc is not None:
        location = node_or_error.loc.source.get_location(node_or_error.loc.start)
        return f"line {location.line}"
    return "an unknown line"


def _args(directive: DirectiveNode) -> dict[str, Any]:
    return {arg.name.value: value_from_ast_untyped(arg.value) for arg in directive.arguments or ()}


def _read_links(document: DocumentNode) -> _Names:
    names = _Names()
    schema_nodes = [d for d in document.definitions if isinstance(d, SchemaDefinitionNode | SchemaExtensionNode)]
    links = [d for node in schema_nodes for d in node.directives or () if d.name.value == "link"]
    if not links:
        if any(d.name.value == "core" for node in schema_nodes for d in node.directives or ()):
            raise SupergraphError(
                f"supergraph at {_where(schema_nodes[0])} uses @core (Federation 1 composition); "
                "recompose it with Federation 2 (@link and join v0.2 or newer)"
            )
        raise SupergraphError("supergraph SDL has no `schema @link(...)`: this is not a supergraph")
    seen: set[str] = set()
    for link in links:
        args = _args(link)
        url = str(args.get("url", ""))
        match = _LINK_URL.match(url)
        if match is None:
            if args.get("for") in ("EXECUTION", "SECURITY"):
                raise SupergraphError(
                    f"@link at {_where(link)} imports {url!r} for {args['for']}, which this router cannot honour"
                )
            continue  # a custom feature composed in with @composeDirective: metadata only
        feature, version = match["name"], match["version"]
        alias = str(args.get("as") or feature)
        seen.add(feature)
        if feature == "link" and version not in SUPPORTED_LINK:
            raise SupergraphError(f"@link at {_where(link)}: link {version} is not supported (only v1.0)")
        if feature == "join" and version not in SUPPORTED_JOIN:
            raise SupergraphError(f"@link at {_where(link)}: join {version} is not supported (v0.2 to v0.5 are)")
        if feature not in KNOWN_FEATURES:
            if args.get("for") in ("EXECUTION", "SECURITY"):
                raise SupergraphError(
                    f"@link at {_where(link)}: feature {feature} {version} is for {args['for']}, "
                    "and this router does not implement it"
                )
            continue
        names.spec_prefixes.add(alias)
        for item in args.get("import") or ():
            imported = item if isinstance(item, str) else item.get("name", "")
            local = imported if isinstance(item, str) else item.get("as", imported)
            if imported.startswith("@"):
                names.spec_directives.add(local.lstrip("@"))
                _rename(names, feature, imported.lstrip("@"), local.lstrip("@"))
        if feature == "join":
            names.join = alias
        elif feature in ("inaccessible", "tag", "authenticated", "policy"):
            # Unimported, a feature's directive is spelled @alias (its own name by default).
            if not any((i if isinstance(i, str) else i.get("name")) == f"@{feature}" for i in args.get("import") or ()):
                setattr(names, feature, alias)
                names.spec_directives.add(alias)
        elif feature == "requiresScopes" and not args.get("import"):
            names.requires_scopes = alias
            names.spec_directives.add(alias)
    if "join" not in seen:
        raise SupergraphError("supergraph SDL does not @link the join spec; it cannot be planned")
    return names


def _rename(names: _Names, feature: str, directive: str, local: str) -> None:
    attribute = {
        "inaccessible": "inaccessible",
        "tag": "tag",
        "authenticated": "authenticated",
        "requiresScopes": "requires_scopes",
        "policy": "policy",
    }.get(directive)
    if attribute is not None:
        setattr(names, attribute, local)


def _read_graphs(document: DocumentNode, names: _Names) -> dict[str, Graph]:
    enum_name = f"{names.join}__Graph"
    for definition in document.definitions:
        if isinstance(definition, EnumTypeDefinitionNode) and definition.name.value == enum_name:
            graphs: dict[str, Graph] = {}
            for value in definition.values or ():
                directive = _directive(value.directives, f"{names.join}__graph")
                if directive is None:
                    raise SupergraphError(
                        f"{enum_name}.{value.name.value} at {_where(value)} has no @{names.join}__graph(name:, url:)"
                    )
                args = _args(directive)
                graphs[value.name.value] = Graph(value.name.value, str(args["name"]), str(args.get("url") or ""))
            if not graphs:
                raise SupergraphError(f"enum {enum_name} at {_where(definition)} lists no subgraphs")
            return graphs
    raise SupergraphError(f"supergraph SDL has no enum {enum_name}: it names no subgraphs")


def _directive(directives: Any, name: str) -> DirectiveNode | None:
    for directive in directives or ():
        if directive.name.value == name:
            return directive
    return None


_KINDS: dict[type, str] = {
    ObjectTypeDefinitionNode: "object",
    ObjectTypeExtensionNode: "object",
    InterfaceTypeDefinitionNode: "interface",
    InterfaceTypeExtensionNode: "interface",
    UnionTypeDefinitionNode: "union",
    UnionTypeExtensionNode: "union",
    EnumTypeDefinitionNode: "enum",
    EnumTypeExtensionNode: "enum",
    InputObjectTypeDefinitionNode: "input",
    InputObjectTypeExtensionNode: "input",
}


def _is_spec_type(name: str, names: _Names) -> bool:
    prefix = name.split("__", 1)[0] if "__" in name else None
    return prefix is not None and (prefix in names.spec_prefixes or prefix in ("link", names.join))


def _read_types(document: DocumentNode, names: _Names, graphs: dict[str, Graph]) -> dict[str, TypeMeta]:
    types: dict[str, TypeMeta] = {}
    join = names.join
    for definition in document.definitions:
        if not hasattr(definition, "name") or isinstance(definition, SchemaDefinitionNode):
            continue
        name = definition.name.value
        kind = _KINDS.get(type(definition), "scalar")
        if _is_spec_type(name, names) or not isinstance(definition, TypeDefinitionNode | ObjectTypeExtensionNode):
            continue
        meta = types.setdefault(name, TypeMeta(name, kind))
        for directive in definition.directives or ():
            directive_name = directive.name.value
            args = _args(directive)
            if directive_name == f"{join}__type":
                graph = _graph_arg(args, graphs, directive)
                key = args.get("key")
                meta.joins.append(
                    TypeJoin(
                        graph=graph,
                        key=_field_set(key, directive) if key else None,
                        resolvable=args.get("resolvable", True) is not False,
                        is_interface_object=bool(args.get("isInterfaceObject", False)),
                        extension=bool(args.get("extension", False)),
                    )
                )
            elif directive_name == f"{join}__implements":
                graph = _graph_arg(args, graphs, directive)
                meta.implements.setdefault(graph, set()).add(str(args["interface"]))
            elif directive_name == f"{join}__unionMember":
                graph = _graph_arg(args, graphs, directive)
                meta.members.setdefault(graph, set()).add(str(args["member"]))
            else:
                _access(meta, directive_name, args, names)
        for field_node in getattr(definition, "fields", None) or ():
            field_meta = meta.fields.setdefault(field_node.name.value, FieldMeta(field_node.name.value))
            for directive in field_node.directives or ():
                args = _args(directive)
                if directive.name.value == f"{join}__field":
                    requires, provides = args.get("requires"), args.get("provides")
                    graph = args.get("graph")
                    field_meta.joins.append(
                        FieldJoin(
                            graph=_graph_arg(args, graphs, directive) if graph is not None else None,
                            requires=_field_set(requires, directive) if requires else None,
                            provides=_field_set(provides, directive) if provides else None,
                            type=args.get("type"),
                            external=bool(args.get("external", False)),
                            override=args.get("override"),
                            override_label=args.get("overrideLabel"),
                            used_overridden=bool(args.get("usedOverridden", False)),
                        )
                    )
                else:
                    _access(field_meta, directive.name.value, args, names)
    return types


def _access(meta: TypeMeta | FieldMeta, directive: str, args: dict[str, Any], names: _Names) -> None:
    # An element asking twice (a type and its extension, say) asks for both.
    if directive == names.authenticated:
        meta.authenticated = True
    elif directive == names.requires_scopes:
        scopes = args.get("scopes") or []
        meta.requires_scopes = conjunction([meta.requires_scopes, scopes]) if meta.requires_scopes else scopes
    elif directive == names.policy:
        policies = args.get("policies") or []
        meta.policies = conjunction([meta.policies, policies]) if meta.policies else policies


def _graph_arg(args: dict[str, Any], graphs: dict[str, Graph], directive: DirectiveNode) -> str:
    graph = args.get("graph")
    if graph not in graphs:
        raise SupergraphError(f"@{directive.name.value} at {_where(directive)} names unknown graph {graph!r}")
    return str(graph)


def _field_set(text: str, directive: DirectiveNode) -> FieldSet:
    try:
        return parse_field_set(text)
    except GraphQLError as exc:
        raise SupergraphError(
            f"@{directive.name.value} at {_where(directive)} has a malformed field set {text!r}: {exc.message}"
        ) from None


def _api_document(document: DocumentNode, names: _Names) -> DocumentNode:
    """The supergraph without join machinery, spec directives or @inaccessible elements."""
    inaccessible = names.inaccessible

    def visible(node: Any) -> bool:
        return _directive(getattr(node, "directives", None), inaccessible) is None

    def public_directives(node: Any) -> tuple[DirectiveNode, ...]:
        return tuple(d for d in node.directives or () if d.name.value in BUILT_IN_DIRECTIVES)

    definitions: list[Any] = []
    hidden_types = {
        d.name.value
        for d in document.definitions
        if hasattr(d, "name") and not isinstance(d, SchemaDefinitionNode) and not visible(d)
    }
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            definitions.append(
                SchemaDefinitionNode(
                    directives=(),
                    operation_types=tuple(
                        op for op in definition.operation_types or () if op.type.name.value not in hidden_types
                    ),
                )
            )
            continue
        if definition.kind == "directive_definition":
            name = definition.name.value
            executable = {loc.value for loc in definition.locations} & EXECUTABLE_LOCATIONS
            if (
                name in BUILT_IN_DIRECTIVES
                or name in names.spec_directives
                or _is_spec_type(name, names)
                or name in ("link", inaccessible, names.tag)
                or not executable
            ):
                continue
            definitions.append(definition)
            continue
        name = definition.name.value
        if _is_spec_type(name, names) or name in hidden_types:
            continue
        changes: dict[str, Any] = {"directives": public_directives(definition)}
        if getattr(definition, "fields", None) is not None:
            changes["fields"] = tuple(
                _strip_field(f, visible, public_directives) for f in definition.fields if visible(f)
            )
        if getattr(definition, "values", None) is not None:
            changes["values"] = tuple(
                v.__class__(
                    **{**_node_kwargs(v), "directives": public_directives(v)},
                )
                for v in definition.values
                if visible(v)
            )
        if getattr(definition, "types", None) is not None:
            changes["types"] = tuple(t for t in definition.types if t.name.value not in hidden_types)
        if getattr(definition, "interfaces", None) is not None:
            changes["interfaces"] = tuple(i for i in definition.interfaces if i.name.value not in hidden_types)
        definitions.append(definition.__class__(**{**_node_kwargs(definition), **changes}))
    return DocumentNode(definitions=tuple(definitions))


def _strip_field(node: Any, visible: Any, public_directives: Any) -> Any:
    changes: dict[str, Any] = {"directives": public_directives(node)}
    if getattr(node, "arguments", None) is not None:
        changes["arguments"] = tuple(
            a.__class__(**{**_node_kwargs(a), "directives": public_directives(a)}) for a in node.arguments if visible(a)
        )
    return node.__class__(**{**_node_kwargs(node), **changes})


def _node_kwargs(node: Any) -> dict[str, Any]:
    return {key: getattr(node, key) for key in node.keys if key != "loc"}
