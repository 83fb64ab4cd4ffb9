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


class _LeaderCancelled(Exception):
    """The request a flight was waiting on was cancelled; those who joined it send their own."""


class Fetcher:
    def __init__(self, *, timeout: float = 30.0, max_idle: int = 100) -> None:
        self._client = HTTPClient(max_idle=max_idle)
        self._local: dict[str, ASGIApp] = {}
        self._timeouts: dict[str, float] = {}
        self._in_flight: dict[tuple[str, bytes, tuple[tuple[str, str], ...]], asyncio.Future[tuple[int, bytes]]] = {}
        self.default_timeout = timeout

    def mount(self, url: str, app: ASGIApp) -> None:
        """Serve requests to `url` from `app` in this process (the embedded default's subgraphs)."""
        self._local[url] = app

    def set_timeout(self, url: str, seconds: float) -> None:
        self._timeouts[url] = seconds

    async def post(
        self,
        url: str,
        body: dict[str, Any],
        headers: Mapping[str, str] | None = None,
        *,
        share: bool = True,
    ) -> dict[str, Any]:
        """Send a GraphQL request; with `share` (queries only), join an identical one in flight.

        Each caller parses its own copy of the answer: callers go on to merge into
        what they got, and must not see each other's merges.
        """
        payload = orjson.dumps(body)
        forwarded = dict(sorted((headers or {}).items()))
        if not share:
            return _parse(*await self._exchange(url, payload, forwarded, idempotent=False))
        # The request id differs on every request but does not change the answer; whoever
        # joins a flight in progress shares the leader's answer (and its id in subgraph logs).
        key = (url, payload, tuple(h for h in forwarded.items() if h[0] != "x-request-id"))
        while True:
            pending = self._in_flight.get(key)
            if pending is None:
                break
            try:
                return _parse(*await asyncio.shield(pending))
            except _LeaderCancelled:
                continue  # the leader went away; lead a flight of our own
        future: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            answer = await self._exchange(url, payload, forwarded, idempotent=True)
        except asyncio.CancelledError:
            future.set_exception(_LeaderCancelled())
            future.exception()  # retrieved: nobody may have joined
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()
            raise
        else:
            future.set_result(answer)
            return _parse(*answer)
        finally:
            del self._in_flight[key]

    async def _exchange(
        self, url: str, payload: bytes, headers: dict[str, str], *, idempotent: bool
    ) -> tuple[int, bytes]:
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
                    return await post_asgi(local, url, payload, request_headers)
                return await self._client.post(url, payload, request_headers, idempotent=idempotent)
        except TimeoutError:
            raise SubgraphError(f"timed out after {timeout:g}s") from None
        except HTTPError as exc:
            raise SubgraphError(f"request failed: {exc}") from None

    async def close(self) -> None:
        await self._client.close()


def _parse(status: int, content: bytes) -> dict[str, Any]:
    try:
        parsed = orjson.loads(content)
    except orjson.JSONDecodeError:
        raise SubgraphError(f"answered HTTP {status} with a body that is not JSON") from None
    if not isinstance(parsed, dict) or ("data" not in parsed and "errors" not in parsed):
        raise SubgraphError(f"answered HTTP {status} without a GraphQL response")
    return parsed
