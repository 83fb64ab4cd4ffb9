"""A small GraphQL client for the router: how the sidecar reads domain data without reading domain tables.

In production it posts to the router over HTTP. The embedded default gives it
an ASGI transport onto the router in the same process, so nothing goes
through a socket. The router is ours, so this is not a fetch of a URL someone
else gave us and does not go through `shared.outbound`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import orjson

TIMEOUT_SECONDS = 10.0


class RouterError(Exception):
    """The router could not answer: unreachable, an HTTP error, or GraphQL errors."""


class RouterClient:
    def __init__(self, url: str, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._url = url
        self._transport = transport

    async def query(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """The `data` of the answer; RouterError when there is none or the answer carries errors."""
        # A client per call: these calls are few (actor documents), and nothing stays open between them.
        async with httpx.AsyncClient(transport=self._transport, timeout=TIMEOUT_SECONDS) as client:
            try:
                response = await client.post(
                    self._url,
                    content=orjson.dumps({"query": query, "variables": dict(variables)}),
                    headers={
                        "Content-Type": "application/json",
                        "Accept": "application/graphql-response+json, application/json",
                    },
                )
            except httpx.HTTPError as exc:
                raise RouterError(f"the router at {self._url} did not answer: {type(exc).__name__}") from None
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise RouterError(f"the router answered HTTP {response.status_code} without JSON") from None
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            messages = "; ".join(str(error.get("message")) for error in errors if isinstance(error, dict))
            raise RouterError(f"the router answered with errors: {messages}")
        data = body.get("data") if isinstance(body, dict) else None
        if response.status_code != 200 or not isinstance(data, dict):
            raise RouterError(f"the router answered HTTP {response.status_code} without data")
        return data
