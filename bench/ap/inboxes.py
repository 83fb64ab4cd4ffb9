"""Stand-in inboxes for the delivery benchmark: one uvicorn process listening on many ports of 127.0.0.1.

    python -m bench.ap.inboxes --servers 500

Each port is one remote server (a distinct host, `127.0.0.1:port`, for the
per-host limits and breakers); every path on it is an inbox that answers 202
at once. One more port answers the benchmark's questions: `GET /stats` (how
many POSTs reached each host and path), `GET /sample` (a few requests whole,
to check their signatures) and `POST /reset`. The ports are printed as one
JSON line on stdout once the server is listening.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import socket
import sys
from collections import Counter
from typing import Any

import uvicorn

from roseash.server import bind

SAMPLE = 20


class Inboxes:
    """The ASGI app: counts what arrives; control requests come on `control_port`."""

    def __init__(self, control_port: int) -> None:
        self._control_port = control_port
        self._counts: Counter[str] = Counter()
        self._sample: list[dict[str, Any]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["server"][1] == self._control_port:
            await self._control(scope, send)
            return
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        self._counts[f"{headers.get('host')} {scope['method']} {scope['path']}"] += 1
        if len(self._sample) < SAMPLE:
            self._sample.append(
                {"path": scope["path"], "headers": headers, "body": base64.b64encode(bytes(body)).decode()}
            )
        await _answer(send, 202, b"")

    async def _control(self, scope: dict[str, Any], send: Any) -> None:
        if scope["path"] == "/reset":
            self._counts.clear()
            self._sample.clear()
            await _answer(send, 204, b"")
        elif scope["path"] == "/stats":
            await _answer(send, 200, json.dumps(self._counts).encode())
        else:
            await _answer(send, 200, json.dumps(self._sample).encode())


async def _answer(send: Any, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


async def serve(config: uvicorn.Config, sockets: list[socket.socket], ports: list[int]) -> None:
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=sockets))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    print(json.dumps({"control": ports[0], "servers": ports[1:]}), flush=True)
    await task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=500, help="how many remote servers (ports) to stand in for")
    args = parser.parse_args()
    sockets = [bind("127.0.0.1", 0) for _ in range(args.servers + 1)]
    ports = [sock.getsockname()[1] for sock in sockets]
    config = uvicorn.Config(Inboxes(ports[0]), log_config=None, lifespan="off", access_log=False)
    try:
        # uvloop when installed, as uvicorn would choose: the inboxes must not be what limits the sender.
        with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
            runner.run(serve(config, sockets, ports))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
