"""The router, the pages' one source of data, called with the viewer's access token.

The sidecar's GraphQL client does the calling (over HTTP, or in the embedded
default through a transport onto the router in this process); the token goes
in through the transport, which adds it to the request the client sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from activitypub.graphql_client import RouterClient, RouterError

__all__ = ["Router", "RouterError"]


class Router:
    def __init__(self, url: str, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = url
        self._transport = transport

    async def query(self, query: str, variables: Mapping[str, Any], token: str | None) -> dict[str, Any]:
        """The `data` of the answer, asked as the bearer of `token` (anonymously without); RouterError otherwise."""
        transport = self._transport if token is None else _Bearer(token, self._transport)
        return await RouterClient(self.url, transport).query(query, variables)


class _Bearer(httpx.AsyncBaseTransport):
    """Sends each request with Authorization: Bearer `token`, through `inner` or, without one, the network."""

    def __init__(self, token: str, inner: httpx.AsyncBaseTransport | None) -> None:
        self._authorization = f"Bearer {token}"
        self._inner = inner or httpx.AsyncHTTPTransport()
        self._owned = inner is None  # a shared transport stays open for the next caller

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.headers["Authorization"] = self._authorization
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        if self._owned:
            await self._inner.aclose()
