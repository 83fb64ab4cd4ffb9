"""`roseash serve`, what `make run` does: the whole platform in one process."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from roseash.services import subgraphs
from tests.conftest import Backend
from tests.roseash.test_cli import ROSEASH, free_port, stop, wait_healthy


async def start(env: dict[str, str], port: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        ROSEASH,
        "serve",
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def test_fresh_start_migrates_and_answers_health_within_seconds(backend: Backend) -> None:
    port = free_port()
    process = await start(backend.environ(), port)
    base = f"http://127.0.0.1:{port}"
    try:
        health = await wait_healthy(f"{base}/health", process, within=15)
        assert health.json() == {"status": "ok", "service": "platform"}
        async with httpx.AsyncClient(base_url=base) as client:
            assert (await client.get("/ready")).json()["checks"] == {"database": "ok", "cache": "ok"}
            for service in subgraphs():
                response = await client.post(
                    f"/subgraphs/{service.name}/graphql", json={"query": "{ _service { sdl } }"}
                )
                assert response.status_code == 200, service.name
            assert (await client.get("/activitypub/health")).status_code == 200
            # The router serves the committed supergraph, calling the subgraphs in process,
            # over the demo data loaded at start.
            answer = await client.post("/graphql", json={"query": '{ user(handle: "ada") { displayName roles } }'})
            assert answer.json() == {
                "data": {"user": {"displayName": "Ada Lovelace", "roles": ["MEMBER", "EDITOR", "ADMIN"]}}
            }
    finally:
        assert await stop(process) == 0


async def test_restart_reuses_the_database_and_seeds_once(backend: Backend) -> None:
    for _ in range(2):
        port = free_port()
        process = await start(backend.environ(), port)
        try:
            await wait_healthy(f"http://127.0.0.1:{port}/health", process, within=15)
            async with httpx.AsyncClient() as client:
                registered = await client.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json={
                        "query": 'mutation { register(input: {handle: "ada", email: "x@y.org", displayName: "X"}) '
                        "{ id } }"
                    },
                )
            # The demo user exists exactly once, whichever start this is.
            assert registered.json()["errors"][0]["extensions"]["code"] == "CONFLICT"
        finally:
            assert await stop(process) == 0
    if backend.name == "sqlite":
        assert (Path(backend.var_dir) / "test.db").exists()
