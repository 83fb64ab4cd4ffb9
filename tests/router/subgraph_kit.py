"""A Federation 2 subgraph served from an SDL and fixed JSON data, for the router's test corpus.

A subgraph is three things on disk: `<name>.graphql` (the SDL exactly as composition
should read it), `<name>.json` (its data) and, only where fixed data cannot say it,
`<name>.py` (resolver hooks). The kit adds the federation machinery a real subgraph
library would add (`_service`, `_entities`, `_Any`, the directive definitions), builds
an executable schema with graphql-core and serves it over HTTP on 127.0.0.1.

Data (`<name>.json`):

- `"Query"` / `"Mutation"`: the root values; a field resolves to the key of the same name.
- `"<TypeName>"`: a list of entity records for `_entities`. A type with no list here is a
  stub: every representation resolves to itself (how a subgraph that only adds fields
  to someone else's entity behaves). A type with a list resolves only the records whose
  key fields match, and anything else to null.
- Anywhere, `{"@ref": "<TypeName>", <fields>}` stands for the record of that type whose
  fields match (or the stub itself when the type has no records), so data can point at
  entities without repeating them.

Hooks (`<name>.py`) define `RESOLVERS = {"Type.field": function}`; a function gets
`(parent, info, **arguments)`, may be async, and finds state shared by every subgraph
of the scenario in `info.context["state"]` (a dict). `"Type.__resolve_reference"` replaces
the data lookup for representations of that type.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    TypeDefinitionNode,
    build_ast_schema,
    graphql,
    is_abstract_type,
    parse,
    print_ast,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.helpers import serving

# What a subgraph library declares for the federation spec, so that build_schema accepts
# any Federation 2 SDL. Each directive is also declared under its `federation__` name,
# which is how an SDL uses a directive it did not import.
_FEDERATION_DIRECTIVES = """
directive @key(fields: FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
directive @requires(fields: FieldSet!) on FIELD_DEFINITION
directive @provides(fields: FieldSet!) on FIELD_DEFINITION
directive @external(reason: String) on OBJECT | FIELD_DEFINITION
directive @shareable repeatable on OBJECT | FIELD_DEFINITION
directive @override(from: String!, label: String) on FIELD_DEFINITION
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR \
| ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @tag(name: String!) repeatable on FIELD_DEFINITION | INTERFACE | OBJECT | UNION \
| ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA
directive @interfaceObject on OBJECT
directive @extends on OBJECT | INTERFACE
directive @composeDirective(name: String!) repeatable on SCHEMA
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @requiresScopes(scopes: [[Scope!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @policy(policies: [[Policy!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION \
| OBJECT | SCALAR
directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], \
requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
"""
_FEDERATION_SCALARS = ("FieldSet", "Scope", "Policy")
_SUPPORT = """
scalar _Any
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
directive @link(url: String!, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
type _Service { sdl: String }
"""

Resolver = Callable[..., Any]


def _support_sdl(defined: set[str]) -> str:
    """The federation definitions, leaving out any the subgraph SDL defines itself."""
    parts = [_SUPPORT]
    for name in _FEDERATION_SCALARS:
        parts.append(f"scalar {name}\nscalar federation__{name}")
    for line in _FEDERATION_DIRECTIVES.strip().splitlines():
        parts.append(line)
        prefixed = line.replace("directive @", "directive @federation__", 1)
        for name in _FEDERATION_SCALARS:
            prefixed = prefixed.replace(f"{name}!", f"federation__{name}!")
        parts.append(prefixed)
    kept = []
    for definition in parse("\n".join(parts)).definitions:
        if definition.name.value not in defined:  # type: ignore[attr-defined]
            kept.append(definition)
    return "\n".join(print_ast(d) for d in kept)


def _key_selections(document: DocumentNode) -> dict[str, list[SelectionSetNode]]:
    """Each type's resolvable @key field sets, parsed, from definitions and extensions alike."""
    keys: dict[str, list[SelectionSetNode]] = {}
    for definition in document.definitions:
        for directive in getattr(definition, "directives", None) or ():
            if directive.name.value not in ("key", "federation__key"):
                continue
            args = {a.name.value: a.value for a in directive.arguments}
            resolvable = args.get("resolvable")
            if resolvable is not None and getattr(resolvable, "value", True) is False:
                continue
            fields = args["fields"]
            assert isinstance(fields, StringValueNode)
            selection = parse("{" + fields.value + "}").definitions[0].selection_set  # type: ignore[attr-defined]
            keys.setdefault(definition.name.value, []).append(selection)  # type: ignore[attr-defined]
    return keys


@dataclass
class Subgraph:
    """One subgraph: its SDL as written, its data and hooks, and the executable schema."""

    name: str
    sdl: str
    data: dict[str, Any]
    resolvers: dict[str, Resolver] = field(default_factory=dict)
    schema: GraphQLSchema = field(init=False)
    keys: dict[str, list[SelectionSetNode]] = field(init=False)

    def __post_init__(self) -> None:
        document = parse(self.sdl)
        defined = {d.name.value for d in document.definitions if hasattr(d, "name") and d.name}  # type: ignore[attr-defined]
        declared = {d.name.value for d in document.definitions if isinstance(d, TypeDefinitionNode)}
        self.keys = _key_selections(document)
        object_types = {
            d.name.value
            for d in document.definitions
            if isinstance(d, ObjectTypeDefinitionNode | ObjectTypeExtensionNode)
        }
        # `_Entity` holds the object types with a resolvable key; an entity interface's
        # representations resolve to its implementations, which carry the key too.
        entities = sorted(name for name in self.keys if name in object_types)
        root = ["_service: _Service!"]
        extra = _support_sdl(defined)
        if entities:
            extra += f"\nunion _Entity = {' | '.join(entities)}"
            root.insert(0, "_entities(representations: [_Any!]!): [_Entity]!")
        query_keyword = "extend type" if "Query" in declared else "type"
        extra += f"\n{query_keyword} Query {{ {' '.join(root)} }}"
        declared.add("Query")
        # A Federation 1 style `extend type T` may have no `type T` anywhere: declare it.
        for d in document.definitions:
            if isinstance(d, ObjectTypeExtensionNode | InterfaceTypeExtensionNode) and d.name.value not in declared:
                keyword = "type" if isinstance(d, ObjectTypeExtensionNode) else "interface"
                extra += f"\n{keyword} {d.name.value}"
                declared.add(d.name.value)
        self.schema = build_ast_schema(parse(self.sdl + "\n" + extra), assume_valid_sdl=False)
        self.resolvers = {
            **self.resolvers,
            "Query._service": lambda _parent, _info: {"sdl": self.sdl},
            "Query._entities": lambda _parent, _info, representations: [
                self._entity_or_error(r) for r in representations
            ],
        }

    # Data lookups

    def records(self, typename: str) -> list[dict[str, Any]] | None:
        """The records of a type, or None when the subgraph holds it as a stub."""
        value = self.data.get(typename)
        return value if isinstance(value, list) else None

    def lookup(self, typename: str, **fields: Any) -> Any:
        """The record of a type with these field values (for hooks), as `@ref` would find it."""
        return self.deref({"@ref": typename, **fields})

    def deref(self, value: Any) -> Any:
        """Replace `@ref` stand-ins (at any list depth) with the records they name."""
        if isinstance(value, list):
            return [self.deref(v) for v in value]
        if isinstance(value, dict) and "@ref" in value:
            typename = value["@ref"]
            wanted = {k: v for k, v in value.items() if k != "@ref"}
            records = self.records(typename)
            if records is None:
                return {"__typename": typename, **wanted}
            for record in records:
                if all(self.deref(record.get(k)) == v for k, v in wanted.items()):
                    return {"__typename": typename, **record}
            return None
        return value

    def _matches(self, record: Any, representation: Any, selection: SelectionSetNode) -> bool:
        """Whether the record's key fields (per one key's selection) equal the representation's."""
        record = self.deref(record)
        for node in selection.selections:
            if isinstance(node, InlineFragmentNode):
                if not self._matches(record, representation, node.selection_set):
                    return False
                continue
            assert isinstance(node, FieldNode)
            name = node.name.value
            if not isinstance(representation, dict) or name not in representation:
                return False
            mine = self.deref(record.get(name)) if isinstance(record, dict) else None
            theirs = representation[name]
            if node.selection_set is None:
                if mine != theirs:
                    return False
            elif isinstance(theirs, list):
                if not isinstance(mine, list) or len(mine) != len(theirs):
                    return False
                if not all(self._matches(m, t, node.selection_set) for m, t in zip(mine, theirs, strict=True)):
                    return False
            elif theirs is None or mine is None:
                if theirs is not mine:
                    return False
            elif not self._matches(mine, theirs, node.selection_set):
                return False
        return True

    def _entity_or_error(self, representation: dict[str, Any]) -> Any:
        """One `_entities` item; a failure becomes that item's error (path `_entities.<i>`),
        as subgraph libraries report it, not a failure of the whole batch."""
        try:
            return self.resolve_reference(representation)
        except Exception as error:
            return error  # graphql-core raises an exception found in a list at its index

    def resolve_reference(self, representation: dict[str, Any]) -> Any:
        """`_entities` for one representation: the matching record with the representation merged in.

        Merging makes the fields the router sends (for `@requires` and `@external`) visible to
        this subgraph's resolvers, as a reference resolver receiving them would see them.
        """
        typename = representation["__typename"]
        hook = self.resolvers.get(f"{typename}.__resolve_reference")
        if hook is not None:
            return hook(representation)
        graphql_type = self.schema.get_type(typename)
        if graphql_type is None:
            return None
        if is_abstract_type(graphql_type):
            candidates = [t.name for t in self.schema.get_possible_types(graphql_type)]  # type: ignore[arg-type]
        else:
            candidates = [typename]
        keys = self.keys.get(typename, [])
        fields = {k: v for k, v in representation.items() if k != "__typename"}
        stub_only = True
        for candidate in candidates:
            records = self.records(candidate)
            if records is None:
                continue
            stub_only = False
            for record in records:
                candidate_keys = keys + self.keys.get(candidate, [])
                if any(self._matches(record, fields, key) for key in candidate_keys):
                    return {**_merge(record, fields), "__typename": record.get("__typename", candidate)}
        if stub_only and not is_abstract_type(graphql_type):
            return {**fields, "__typename": typename}
        return None

    # Execution

    def field_resolver(self, parent: Any, info: GraphQLResolveInfo, **arguments: Any) -> Any:
        hook = self.resolvers.get(f"{info.parent_type.name}.{info.field_name}")
        if hook is not None:
            return hook(parent, info, **arguments)
        if isinstance(parent, dict):
            return self.deref(parent.get(info.field_name))
        return None

    async def execute(self, body: Any, state: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return {"errors": [{"message": "POST a JSON object with a `query` string"}]}
        query, operation_name = body["query"], body.get("operationName")
        result = await graphql(
            self.schema,
            query,
            root_value=self.data.get(_operation_type(query, operation_name), {}),
            context_value={"state": state, "subgraph": self},
            variable_values=body.get("variables"),
            operation_name=operation_name,
            field_resolver=self.field_resolver,
        )
        return result.formatted  # type: ignore[return-value]


def _operation_type(query: str, operation_name: str | None) -> str:
    """ "Query" or "Mutation": which root value the requested operation starts from."""
    with contextlib.suppress(Exception):  # an unparsable query fails in graphql() with a proper error
        for definition in parse(query).definitions:
            if isinstance(definition, OperationDefinitionNode) and (
                operation_name is None or (definition.name and definition.name.value == operation_name)
            ):
                return definition.operation.value.capitalize()
    return "Query"


def _merge(record: Any, extra: Any) -> Any:
    """Deep-merge `extra` over `record` (dicts merge field by field; anything else is replaced)."""
    if isinstance(record, dict) and isinstance(extra, dict):
        merged = dict(record)
        for key, value in extra.items():
            merged[key] = _merge(record.get(key), value) if key in record else value
        return merged
    return extra


def load_subgraph(directory: Path, name: str) -> Subgraph:
    """Read `<name>.graphql`, `<name>.json` and the optional `<name>.py` from a scenario folder."""
    sdl = (directory / f"{name}.graphql").read_text()
    data_file = directory / f"{name}.json"
    data = json.loads(data_file.read_text()) if data_file.exists() else {}
    resolvers: dict[str, Resolver] = {}
    hooks_file = directory / f"{name}.py"
    if hooks_file.exists():
        spec = importlib.util.spec_from_file_location(f"_scenario_{directory.name}_{name}", hooks_file)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        resolvers = dict(module.RESOLVERS)
    return Subgraph(name, sdl, data, resolvers)


@dataclass
class RequestLog:
    """What the subgraphs received: counts per subgraph (how many fetches a plan made) and each
    request itself (`subgraph`, lower-cased `headers`, parsed `body`), to check what a router sends."""

    counts: dict[str, int] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)


def subgraph_app(subgraph: Subgraph, state: dict[str, Any], log: RequestLog | None = None) -> Starlette:
    """The subgraph over HTTP: POST a GraphQL request (or a batch, as a JSON list) to `/graphql`."""

    async def graphql_endpoint(request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        if log is not None:
            log.counts[subgraph.name] = log.counts.get(subgraph.name, 0) + 1
            log.requests.append({"subgraph": subgraph.name, "headers": dict(request.headers), "body": body})
        if body is None:
            return JSONResponse({"errors": [{"message": "the body is not JSON"}]}, status_code=400)
        if isinstance(body, list):
            return JSONResponse([await subgraph.execute(item, state) for item in body])
        return JSONResponse(await subgraph.execute(body, state))

    async def requests_endpoint(_request: Request) -> JSONResponse:
        return JSONResponse(log.counts if log is not None else {})

    return Starlette(
        routes=[
            Route("/graphql", graphql_endpoint, methods=["POST"]),
            Route("/_kit/requests", requests_endpoint, methods=["GET"]),
        ]
    )


@contextlib.asynccontextmanager
async def refused_url() -> AsyncIterator[str]:
    """A URL on 127.0.0.1 where connections are refused: the port is bound but never listens,
    so no other server can take it while the block runs."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/graphql"
    finally:
        sock.close()


@contextlib.asynccontextmanager
async def serve_subgraphs(
    subgraphs: list[Subgraph], down: set[str] = frozenset(), log: RequestLog | None = None
) -> AsyncIterator[dict[str, str]]:
    """Serve each subgraph on its own free port; yield {name: url}. Those in `down` refuse connections.

    The subgraphs share one state dict, so hooks of different subgraphs (such as mutations
    recording their order) see each other's writes.
    """
    state: dict[str, Any] = {}
    urls: dict[str, str] = {}
    async with contextlib.AsyncExitStack() as stack:
        for subgraph in subgraphs:
            if subgraph.name in down:
                urls[subgraph.name] = await stack.enter_async_context(refused_url())
            else:
                base = await stack.enter_async_context(serving(subgraph_app(subgraph, state, log)))
                urls[subgraph.name] = f"{base}/graphql"
        yield urls
