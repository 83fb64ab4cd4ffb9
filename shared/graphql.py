"""Strawberry schema construction and the GraphQL error policy every subgraph shares."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

import strawberry.federation
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.federation.schema_directives import RequiresScopes

from shared.errors import MASKED_MESSAGE, AppError, ErrorCode
from shared.logs import request_id_var

logger = logging.getLogger("roseash.graphql")

FEDERATION_VERSION = "2.11"


class ErrorPolicy(SchemaExtension):
    """Give every error a code, mask unexpected exceptions, and log them once.

    Parse and validation errors are told apart by the phase that produced
    them; after execution, an `AppError` keeps its message, any other
    exception becomes INTERNAL_SERVER_ERROR with the request id, so the client
    can quote it and we can find the logged traceback.
    """

    def on_parse(self) -> Iterator[None]:
        yield
        self._tag(self.execution_context.pre_execution_errors, ErrorCode.GRAPHQL_PARSE_FAILED)

    def on_validate(self) -> Iterator[None]:
        yield
        self._tag(self.execution_context.pre_execution_errors, ErrorCode.GRAPHQL_VALIDATION_FAILED)

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [self._apply(error) for error in result.errors]

    @staticmethod
    def _tag(errors: list[GraphQLError] | None, code: ErrorCode) -> None:
        for error in errors or ():
            if error.original_error is None:
                error.extensions = {"code": code, **(error.extensions or {})}

    def _apply(self, error: GraphQLError) -> GraphQLError:
        request_id = request_id_var.get()
        original = error.original_error
        if isinstance(original, GraphQLError):  # raised by a resolver as-is
            original = original.original_error
        if isinstance(original, AppError):
            extensions: dict[str, Any] = {**original.extensions, "code": original.code}
            return _rebuild(error, original.message, extensions, request_id)
        if original is not None:
            logger.error(
                "unexpected error in %s",
                ".".join(str(p) for p in error.path or ()) or "operation",
                exc_info=(type(original), original, original.__traceback__),
            )
            return _rebuild(error, MASKED_MESSAGE, {"code": ErrorCode.INTERNAL_SERVER_ERROR}, request_id)
        extensions = dict(error.extensions or {})
        if "code" not in extensions:
            # graphql-core's own errors: variable coercion before execution,
            # null where the schema promised a value during it.
            extensions["code"] = ErrorCode.BAD_USER_INPUT if error.path is None else ErrorCode.INTERNAL_SERVER_ERROR
        return _rebuild(error, error.message, extensions, request_id)


def _rebuild(error: GraphQLError, message: str, extensions: dict[str, Any], request_id: str | None) -> GraphQLError:
    if request_id:
        extensions["requestId"] = request_id
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={k: str(v) if isinstance(v, ErrorCode) else v for k, v in extensions.items()},
    )


# On a mutation that changes something on someone's behalf: a token must carry the
# `write` scope (partners granted only `read` cannot), which the router enforces.
WRITE = (RequiresScopes(scopes=[["write"]]),)


def federation_schema(
    query: type,
    mutation: type | None = None,
    types: Iterable[type] = (),
) -> strawberry.federation.Schema:
    """A Federation 2 schema with the shared error policy installed."""
    return strawberry.federation.Schema(
        query=query,
        mutation=mutation,
        types=list(types),
        extensions=[ErrorPolicy],
        federation_version=FEDERATION_VERSION,
    )
