"""Run an operation against one subgraph's schema as a given viewer, the way its HTTP view would."""

from __future__ import annotations

from typing import Any

import strawberry.federation
from starlette.requests import Request

from shared.auth import ANONYMOUS, Viewer
from shared.context import Context
from shared.resources import Resources


def member(user_id: str) -> Viewer:
    return Viewer(user_id=user_id, roles=frozenset({"member"}))


def editor(user_id: str) -> Viewer:
    return Viewer(user_id=user_id, roles=frozenset({"member", "editor"}))


def admin(user_id: str) -> Viewer:
    return Viewer(user_id=user_id, roles=frozenset({"member", "admin"}))


async def execute(
    schema: strawberry.federation.Schema,
    resources: Resources,
    query: str,
    viewer: Viewer = ANONYMOUS,
    **variables: Any,
) -> dict[str, Any]:
    """The response body, with each error's extensions flattened beside its message."""
    async with resources.sessions() as session:
        request = Request({"type": "http", "headers": []})
        context = Context(request, session, viewer, resources.cache, "test", resources.settings)
        result = await schema.execute(query, variable_values=variables, context_value=context)
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [{"message": e.message, **(e.extensions or {})} for e in result.errors]
    return body
