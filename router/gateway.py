"""The router as a library: a supergraph in, GraphQL responses out.

Everything that depends only on the operation's text (parsing, validation
against the API schema, planning, the subgraph request texts) is done once and
cached by text and operation name; a request then only coerces its variables,
runs the plan and shapes the answer.

When the operation selects something @authenticated or @requiresScopes guards,
what the viewer may have also depends on which of those requirements the viewer
meets: the plan without the denied selections is made once per such auth state
and kept with the operation. Supergraphs without these directives, and
operations that touch nothing guarded, skip all of it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    VariableNode,
    execute,
    get_operation_ast,
    parse,
    validate,
    visit,
)
from graphql.execution.values import get_variable_values
from graphql.language import Visitor

from router.authorization import Access, Guards, without
from router.executor import Execution
from router.fetcher import Fetcher
from router.limits import LimitExceeded, Limits, check_shape, check_size
from router.plan import QueryPlan
from router.planner import PlanError, Planner
from router.response import ResponseShape
from router.supergraph import Supergraph, load_supergraph
from shared.auth import ANONYMOUS, Viewer

# Parsed documents and plans take several times their text in memory; this bounds the whole cache.
MAX_CACHED_TEXT = 8 * 1024 * 1024
# Compiled response shapes, and plans for auth states, kept per operation.
MAX_VARIANTS = 64


@dataclass(frozen=True, slots=True)
class Result:
    """A response body, and whether it is a request error (no execution happened)."""

    body: dict[str, Any]
    request_error: bool = False


@dataclass(frozen=True, slots=True)
class Variant:
    """The operation as one auth state may have it: its plan, the selections denied, the compiled shapes."""

    plan: QueryPlan
    denied: frozenset[int]
    # By the values of the condition variables, which pick the compiled response shape.
    shapes: dict[tuple[Any, ...], ResponseShape]


@dataclass(frozen=True, slots=True)
class Prepared:
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    full: Variant  # for a viewer denied nothing
    # The variables @skip/@include read: their values pick the compiled response shape.
    condition_variables: tuple[str, ...]
    # What in the operation asks something of the viewer (None: nothing), and its variants by auth state.
    guards: Guards | None
    variants: dict[tuple[bool, ...], Variant]

    @property
    def plan(self) -> QueryPlan:
        return self.full.plan


class RequestError(Exception):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors[0]["message"] if errors else "request error")
        self.errors = errors


def _condition_variables(document: DocumentNode) -> tuple[str, ...]:
    """The variables @skip and @include read, whose values decide which fields the response has."""
    names: set[str] = set()

    class Conditions(Visitor):
        def enter_directive(self, node: DirectiveNode, *_: object) -> None:
            if node.name.value in ("skip", "include"):
                for argument in node.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        names.add(argument.value.name.value)

    visit(document, Conditions())
    return tuple(sorted(names))


def _planning_failed(exc: PlanError) -> dict[str, Any]:
    return {"message": f"cannot plan this operation: {exc}", "extensions": {"code": "QUERY_PLANNING_FAILED"}}


def _graphql_error(error: GraphQLError, code: str) -> dict[str, Any]:
    formatted = dict(error.formatted)
    formatted["extensions"] = {**(formatted.get("extensions") or {}), "code": code}
    return formatted


class Gateway:
    def __init__(
        self,
        supergraph: Supergraph,
        *,
        subgraph_urls: Mapping[str, str] | None = None,
        fetcher: Fetcher | None = None,
        cache_size: int = 1000,
        limits: Limits | None = None,
    ) -> None:
        self.supergraph = supergraph
        self.planner = Planner(supergraph)
        self.access = Access(supergraph)
        overrides = dict(subgraph_urls or {})
        self.urls = {enum: overrides.get(graph.name, graph.url) for enum, graph in supergraph.graphs.items()}
        self.fetcher = fetcher or Fetcher()
        self._cache: OrderedDict[tuple[str, str | None], Prepared | RequestError] = OrderedDict()
        self._cache_size = cache_size
        self._cache_bytes = 0  # texts held by the cache: large documents must not pile up unbounded
        self.limits = limits or Limits()

    @classmethod
    def from_sdl(cls, sdl: str, **options: Any) -> Gateway:
        return cls(load_supergraph(sdl), **options)

    def set_subgraph_timeout(self, name: str, seconds: float) -> None:
        """How long to wait for the subgraph called `name` (as the supergraph names it)."""
        graph = self.supergraph.graph_by_name(name)
        self.fetcher.set_timeout(self.urls[graph.enum_value], seconds)

    async def close(self) -> None:
        await self.fetcher.close()

    def prepare(self, query: str, operation_name: str | None = None) -> Prepared:
        """Parse, validate and plan, once per (text, operation name); raises RequestError."""
        try:
            check_size(query, self.limits)
        except LimitExceeded as exc:
            # Not cached: an oversized text must not occupy the cache either.
            raise RequestError([{"message": exc.message, "extensions": {"code": exc.code}}]) from None
        key = (query, operation_name)
        cached = self._cache.get(key)
        if cached is None:
            try:
                cached = self._prepare(query, operation_name)
            except RequestError as exc:
                cached = exc
            self._cache[key] = cached
            self._cache_bytes += len(query)
            while len(self._cache) > self._cache_size or self._cache_bytes > MAX_CACHED_TEXT:
                (evicted, _), _ = self._cache.popitem(last=False)
                self._cache_bytes -= len(evicted)
        else:
            self._cache.move_to_end(key)
        if isinstance(cached, RequestError):
            raise cached
        return cached

    def _prepare(self, query: str, operation_name: str | None) -> Prepared:
        try:
            document = parse(query, max_tokens=self.limits.max_tokens, allow_empty_selection_sets=False)
        except GraphQLError as exc:
            code = "MAX_TOKENS_EXCEEDED" if "tokens" in exc.message else "GRAPHQL_PARSE_FAILED"
            raise RequestError([_graphql_error(exc, code)]) from None
        operation = get_operation_ast(document, operation_name)
        if operation is not None:
            # Before validation: the limits exist to spare us work on hostile documents.
            try:
                check_shape(document, operation, self.limits)
            except LimitExceeded as exc:
                raise RequestError([{"message": exc.message, "extensions": {"code": exc.code}}]) from None
        errors = validate(self.supergraph.api_schema, document)
        if errors:
            raise RequestError([_graphql_error(e, "GRAPHQL_VALIDATION_FAILED") for e in errors])
        if operation is None:
            message = (
                f'Unknown operation named "{operation_name}".'
                if operation_name
                else "Must provide operation name if query contains multiple operations."
            )
            raise RequestError([{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}])
        try:
            plan = self.planner.plan(document, operation)
        except PlanError as exc:
            raise RequestError([_planning_failed(exc)]) from None
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        guards = self.access.guards(operation, fragments) if self.access.enabled else None
        full = Variant(plan, frozenset(), {})
        return Prepared(operation, fragments, full, _condition_variables(document), guards, {})

    def _variant(self, prepared: Prepared, viewer: Viewer) -> Variant:
        """What `viewer` may have of the operation, planned once per auth state; raises PlanError."""
        assert prepared.guards is not None
        state = prepared.guards.state(viewer)
        if all(state):
            return prepared.full
        variant = prepared.variants.get(state)
        if variant is None:
            denied = prepared.guards.denied(state)
            document, operation = without(prepared.operation, prepared.fragments, denied)
            if len(prepared.variants) >= MAX_VARIANTS:
                prepared.variants.clear()  # many scope combinations: keep memory bounded
            variant = prepared.variants[state] = Variant(self.planner.plan(document, operation), denied, {})
        return variant

    async def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        headers: Mapping[str, str] | None = None,
        viewer: Viewer = ANONYMOUS,
    ) -> Result:
        try:
            prepared = self.prepare(query, operation_name)
        except RequestError as exc:
            return Result({"errors": exc.errors}, request_error=True)
        variant = prepared.full
        if prepared.guards is not None:
            try:
                variant = self._variant(prepared, viewer)
            except PlanError as exc:
                return Result({"errors": [_planning_failed(exc)]}, request_error=True)
        coerced = get_variable_values(
            self.supergraph.api_schema, prepared.operation.variable_definitions or (), dict(variables or {})
        )
        if isinstance(coerced, list):
            return Result({"errors": [_graphql_error(e, "BAD_USER_INPUT") for e in coerced]}, request_error=True)
        values = coerced.coerced
        execution = Execution(variant.plan, self.fetcher, self.urls, values, headers or {})
        await execution.run()
        if variant.plan.introspection is not None:
            introspected = execute(
                self.supergraph.api_schema, variant.plan.introspection, variable_values=dict(variables or {})
            )
            if isinstance(introspected.data, dict):
                execution.data.update(introspected.data)
        signature = tuple(values.get(name) for name in prepared.condition_variables)
        shape = variant.shapes.get(signature)
        if shape is None:
            if len(variant.shapes) >= MAX_VARIANTS:
                variant.shapes.clear()  # many condition outcomes: keep memory bounded
            shape = variant.shapes[signature] = ResponseShape(
                self.supergraph.api_schema, prepared.fragments, prepared.operation, values, variant.denied
            )
        data = shape.complete(execution.data, execution.errors)
        body: dict[str, Any] = {}
        if execution.errors:
            body["errors"] = execution.errors
        body["data"] = data
        return Result(body)
