"""Calling a subgraph that lives in the same process: its ASGI app, without a socket.

The embedded default serves every subgraph in the router's process; a POST
through the app itself costs no connection, no port and no HTTP parsing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message


async def post_asgi(app: ASGIApp, url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]:
    parts = urlsplit(url)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": parts.scheme or "http",
        "path": parts.path or "/",
        "raw_path": (parts.path or "/").encode(),
        "root_path": "",
        "query_string": parts.query.encode(),
        "headers": [
            (b"host", (parts.netloc or "in-process").encode()),
            (b"content-length", str(len(body)).encode()),
            *((name.lower().encode(), value.encode("latin-1")) for name, value in headers.items()),
        ],
        "client": ("127.0.0.1", 0),
        "server": ("in-process", 0),
        "state": {},
    }
    sent = False
    status = 500
    chunks: list[bytes] = []
    finished = asyncio.Event()

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await finished.wait()  # the "client" stays until the whole answer is in
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                finished.set()

    try:
        await app(scope, receive, send)
    except Exception:
        # The app's own error handling has answered (or could not): as over HTTP,
        # the caller sees a failed subgraph, not an exception.
        if not chunks:
            status = 500
    finally:
        finished.set()
    return status, b"".join(chunks)
