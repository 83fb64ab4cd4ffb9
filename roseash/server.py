"""Serving: bind the port, prepare the database, run uvicorn and, embedded, the worker."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import signal
import socket
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from migrations.runner import upgrade_async
from roseash.services import PROCESSORS, SEEDS, load
from shared.db import check_database, describe_url
from shared.resources import Resources
from shared.seeds import run_seeds
from shared.worker import run_worker

logger = logging.getLogger("roseash.server")


class UserError(Exception):
    """A mistake the person running roseash can fix; shown as one line."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Server(uvicorn.Server):
    """uvicorn's server, shutting down gracefully on SIGINT or SIGTERM and then returning.

    uvicorn re-raises the signal after shutdown, which would kill the process
    before our cleanup (closing pools, stopping the worker) runs.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.handle_exit, signum, None)
        try:
            yield
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UserError(f"port {port} on {host} is already in use; stop what holds it or pass --port") from None
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


async def require_database(resources: Resources) -> None:
    try:
        await check_database(resources.engine)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        where = describe_url(resources.settings.database_url)
        raise UserError(f"cannot reach the database in DATABASE_URL ({where}): {reason}") from None


async def prepare_embedded(resources: Resources) -> None:
    """Migrate and load demo data once: what `roseash serve` does before it listens."""
    await upgrade_async(resources.settings.database_url)
    if resources.settings.seed_demo_data:
        await run_seeds(resources.sessions, [load(path) for path in SEEDS])


async def serve(app: ASGIApp, sock: socket.socket, resources: Resources, *, with_worker: bool) -> None:
    config = uvicorn.Config(app, log_config=None, lifespan="off", access_log=False, server_header=False)
    server = Server(config)
    stop = asyncio.Event()
    worker = (
        asyncio.create_task(run_worker(resources, [load(path) for path in PROCESSORS], stop)) if with_worker else None
    )
    host, port = sock.getsockname()[:2]
    logger.info("serving on http://%s:%d", host, port)
    # Requests allocate large, acyclic JSON trees that reference counting frees by itself;
    # the cycle collector scanning them every 700 allocations cost the router about a third
    # of its throughput under load (bench/RESULTS.md). Startup objects (schemas, plans'
    # machinery) are frozen out of its scans, and it runs less often.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)
    try:
        await server.serve(sockets=[sock])
    finally:
        stop.set()
        if worker is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
