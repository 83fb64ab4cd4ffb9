"""A small HTTP/1.1 client for subgraph calls: keep-alive pools over asyncio streams.

Measured on this machine against a loopback peer (bench/RESULTS.md, "Subgraph
HTTP clients"): httpx spent about 900 µs per sequential request and managed
about 500 requests/s from 50 tasks, aiohttp about 110 µs and 10,000/s, this
client about 30 µs and 29,000/s. The router only ever POSTs JSON to subgraphs it was
configured with, so it needs little of HTTP: fixed-length and chunked bodies,
keep-alive, and a retry when a pooled connection turns out to have been
closed by the peer before it answered.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit


class HTTPError(Exception):
    """The exchange failed; the message says how."""


@dataclass(slots=True)
class _Endpoint:
    host: str
    port: int
    tls: ssl.SSLContext | None
    path: str
    host_header: bytes


@dataclass(slots=True)
class _Pool:
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = field(default_factory=list)


class HTTPClient:
    def __init__(self, *, max_idle: int = 100) -> None:
        self._endpoints: dict[str, _Endpoint] = {}
        self._pools: dict[tuple[str, int, bool], _Pool] = {}
        self._max_idle = max_idle

    def _endpoint(self, url: str) -> _Endpoint:
        endpoint = self._endpoints.get(url)
        if endpoint is None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise HTTPError(f"not an http(s) URL: {url!r}")
            tls = ssl.create_default_context() if parts.scheme == "https" else None
            port = parts.port or (443 if tls else 80)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            default_port = port == (443 if tls else 80)
            host_header = parts.hostname if default_port else f"{parts.hostname}:{port}"
            endpoint = _Endpoint(parts.hostname, port, tls, path, host_header.encode())
            self._endpoints[url] = endpoint
        return endpoint

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, idempotent: bool = True
    ) -> tuple[int, bytes]:
        """POST `body`; return the status and the response body.

        A pooled connection the peer closed without answering is retried on another
        only when `idempotent`: the peer may have read the request before closing.
        """
        endpoint = self._endpoint(url)
        pool = self._pools.setdefault((endpoint.host, endpoint.port, endpoint.tls is not None), _Pool())
        request = self._request(endpoint, body, headers)
        while pool.idle:
            reader, writer = pool.idle.pop()
            if reader.at_eof() or writer.is_closing():
                writer.close()
                continue
            try:
                return await self._exchange(pool, reader, writer, request)
            except _StaleConnection:
                if not idempotent:
                    raise HTTPError("the connection closed before a response arrived") from None
                continue  # most likely closed by the peer while idle: try another
        try:
            reader, writer = await asyncio.open_connection(endpoint.host, endpoint.port, ssl=endpoint.tls)
        except OSError as exc:
            raise HTTPError(f"cannot connect to {endpoint.host}:{endpoint.port}: {exc.strerror or exc}") from None
        try:
            return await self._exchange(pool, reader, writer, request)
        except _StaleConnection:
            raise HTTPError("the connection closed before a response arrived") from None

    @staticmethod
    def _request(endpoint: _Endpoint, body: bytes, headers: Mapping[str, str]) -> bytes:
        lines = [
            b"POST " + endpoint.path.encode() + b" HTTP/1.1",
            b"host: " + endpoint.host_header,
            b"content-length: " + str(len(body)).encode(),
        ]
        for name, value in headers.items():
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                raise HTTPError(f"header {name!r} contains a line break")
            lines.append(f"{name}: {value}".encode("latin-1"))
        return b"\r\n".join(lines) + b"\r\n\r\n" + body

    async def _exchange(
        self,
        pool: _Pool,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        request: bytes,
    ) -> tuple[int, bytes]:
        try:
            writer.write(request)
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as exc:
                if not exc.partial:
                    raise _StaleConnection from None
                raise HTTPError("the connection closed in the middle of the response head") from None
            except asyncio.LimitOverrunError:
                raise HTTPError("the response head is too large") from None
            status, length, chunked, keep_alive = _parse_head(head)
            if status in (204, 304) or 100 <= status < 200:
                body = b""
            elif chunked:
                body = await _read_chunked(reader)
            elif length is not None:
                body = await reader.readexactly(length)
            else:
                body = await reader.read()
                keep_alive = False
        except (_StaleConnection, HTTPError):
            writer.close()
            raise
        except asyncio.IncompleteReadError:
            writer.close()
            raise HTTPError("the connection closed in the middle of the response body") from None
        except (asyncio.LimitOverrunError, ValueError):
            writer.close()
            raise HTTPError("the response is malformed (a line too long or a bad length)") from None
        except (OSError, asyncio.CancelledError) as exc:
            writer.close()
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise HTTPError(f"connection error: {exc.strerror or exc}") from None
        if keep_alive and len(pool.idle) < self._max_idle:
            pool.idle.append((reader, writer))
        else:
            writer.close()
        return status, body

    async def close(self) -> None:
        for pool in self._pools.values():
            for _, writer in pool.idle:
                writer.close()
            pool.idle.clear()


class _StaleConnection(Exception):
    pass


def _parse_head(head: bytes) -> tuple[int, int | None, bool, bool]:
    lines = head.split(b"\r\n")
    status_line = lines[0].split(b" ", 2)
    if len(status_line) < 2 or not status_line[0].startswith(b"HTTP/1."):
        raise HTTPError("the response is not HTTP/1.x")
    try:
        status = int(status_line[1])
    except ValueError:
        raise HTTPError("the response has no status code") from None
    keep_alive = status_line[0] == b"HTTP/1.1"
    length: int | None = None
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        value = value.strip().lower()
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                raise HTTPError("the response has a malformed content-length") from None
            if length < 0:
                raise HTTPError("the response has a negative content-length")
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value
        elif name == b"connection":
            keep_alive = value == b"keep-alive" or (keep_alive and value != b"close")
    return status, length, chunked, keep_alive


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";")[0].strip(), 16)
        except ValueError:
            raise HTTPError("the response has a malformed chunk size") from None
        if size < 0:
            raise HTTPError("the response has a negative chunk size")
        if size == 0:
            # Trailers, if any, end with an empty line.
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
