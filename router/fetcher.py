"""Subgraph requests over HTTP: pooled keep-alive connections, timeouts, and one flight per identical request.

Identical requests in flight at the same moment (same subgraph, same body,
same forwarded headers but for the request id) are sent once and the answer
shared: under a burst of the same page, every client waits on one subgraph call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.types import ASGIApp

from router.asgi_client import post_asgi
from router.http_client import HTTPClient, HTTPError


class SubgraphError(Exception):
    """The subgraph did not give a GraphQL answer; the message says what happened instead."""


class Fetcher:
    def __init__(self, *, timeout: float = 30.0, max_idle: int = 100) -> None:
        self._client = HTTPClient(max_idle=max_idle)
        self._local: dict[str, ASGIApp] = {}
        self._timeouts: dict[str, float] = {}
        self._in_flight: dict[tuple[str, bytes, tuple[tuple[str, str], ...]], asyncio.Future[dict[str, Any]]] = {}
        self.default_timeout = timeout

    def mount(self, url: str, app: ASGIApp) -> None:
        """Serve requests to `url` from `app` in this process (the embedded default's subgraphs)."""
        self._local[url] = app

    def set_timeout(self, url: str, seconds: float) -> None:
        self._timeouts[url] = seconds

    async def post(self, url: str, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        payload = orjson.dumps(body)
        forwarded = tuple(sorted((headers or {}).items()))
        # The request id differs on every request but does not change the answer; whoever
        # joins a flight in progress shares the leader's answer (and its id in subgraph logs).
        key = (url, payload, tuple(h for h in forwarded if h[0] != "x-request-id"))
        pending = self._in_flight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            result = await self._send(url, payload, dict(forwarded))
        except BaseException as exc:
            future.set_exception(exc)
            # Mark retrieved: waiters (if any) re-raise it; none must not warn.
            future.exception()
            raise
        else:
            future.set_result(result)
            return result
        finally:
            del self._in_flight[key]

    async def _send(self, url: str, payload: bytes, headers: dict[str, str]) -> dict[str, Any]:
        timeout = self._timeouts.get(url, self.default_timeout)
        request_headers = {
            "content-type": "application/json",
            "accept": "application/graphql-response+json, application/json",
            **headers,
        }
        try:
            async with asyncio.timeout(timeout):
                local = self._local.get(url)
                if local is not None:
                    status, content = await post_asgi(local, url, payload, request_headers)
                else:
                    status, content = await self._client.post(url, payload, request_headers)
        except TimeoutError:
            raise SubgraphError(f"timed out after {timeout:g}s") from None
        except HTTPError as exc:
            raise SubgraphError(f"request failed: {exc}") from None
        try:
            parsed = orjson.loads(content)
        except orjson.JSONDecodeError:
            raise SubgraphError(f"answered HTTP {status} with a body that is not JSON") from None
        if not isinstance(parsed, dict) or ("data" not in parsed and "errors" not in parsed):
            raise SubgraphError(f"answered HTTP {status} without a GraphQL response")
        return parsed

    async def close(self) -> None:
        await self._client.close()
