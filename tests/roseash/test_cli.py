"""The `roseash` command as a user runs it: as a subprocess."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from roseash.services import SEEDS, load
from tests.conftest import Backend

ROSEASH = str(Path(sys.executable).with_name("roseash"))


def run(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    import subprocess

    done = subprocess.run([ROSEASH, *args], env=env, capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout, done.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def plain_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(VAR_DIR=str(tmp_path), LOG_FORMAT="text", **extra)
    return env


async def wait_healthy(url: str, process: asyncio.subprocess.Process, within: float = 20.0) -> httpx.Response:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise AssertionError(f"roseash exited with {process.returncode}")
            try:
                response = await client.get(url, timeout=1)
                if response.status_code == 200:
                    return response
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} did not answer 200 within {within}s")


async def stop(process: asyncio.subprocess.Process) -> int:
    process.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(process.wait(), timeout=15)


@pytest.fixture
def busy_port() -> Iterator[int]:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    yield int(holder.getsockname()[1])
    holder.close()


def assert_one_line(stderr: str, fragment: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("roseash: ")
    assert fragment in lines[0]
    assert "Traceback" not in stderr


def test_unknown_service_is_one_line(tmp_path: Path) -> None:
    code, _, stderr = run("serve", "nosuch", env=plain_env(tmp_path))
    assert code == 2
    assert_one_line(stderr, "unknown service 'nosuch'; choose one of: router, federation")


def test_port_in_use_is_one_line(tmp_path: Path, busy_port: int) -> None:
    code, _, stderr = run("serve", "blog", "--port", str(busy_port), env=plain_env(tmp_path))
    assert code == 1
    assert_one_line(stderr, f"port {busy_port} on 127.0.0.1 is already in use")


@pytest.mark.parametrize("command", [["migrate"], ["seed"], ["serve", "blog", "--port", "0"], ["worker"]])
def test_unreachable_database_is_one_line(tmp_path: Path, command: list[str]) -> None:
    env = plain_env(tmp_path, DATABASE_URL="postgresql://nobody:pw@127.0.0.1:1/none")
    code, _, stderr = run(*command, env=env)
    assert code == 1
    assert_one_line(
        stderr, "cannot reach the database in DATABASE_URL (postgresql+asyncpg://nobody:***@127.0.0.1:1/none)"
    )


def test_malformed_setting_is_one_line(tmp_path: Path) -> None:
    code, _, stderr = run("migrate", env=plain_env(tmp_path, DATABASE_URL="nonsense"))
    assert code == 2
    assert_one_line(stderr, "DATABASE_URL is not a database URL")


def test_malformed_supergraph_is_one_line_naming_the_line(tmp_path: Path) -> None:
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text('schema @link(url: "https://specs.apollo.dev/link/v1.0") {\n  query: Query\n')
    env = plain_env(tmp_path, SUPERGRAPH_PATH=str(supergraph))
    code, _, stderr = run("serve", "router", "--port", "0", env=env)
    assert code == 1
    assert_one_line(stderr, "does not parse: Syntax Error: Expected Name, found <EOF>. at line 3, column 1")


def test_migrate_then_seed(backend: Backend) -> None:
    env = backend.environ()
    assert run("migrate", env=env)[0] == 0
    assert run("migrate", "base", "--downgrade", env=env)[0] == 0
    assert run("migrate", env=env)[0] == 0
    code, stdout, _ = run("seed", env=env)
    names = ", ".join(load(path).name for path in SEEDS)
    assert (code, stdout.strip()) == (0, f"loaded: {names}")
    code, stdout, _ = run("seed", env=env)
    assert (code, stdout.strip()) == (0, "demo data already loaded; nothing to do")


async def test_serve_one_service(backend: Backend) -> None:
    assert run("migrate", env=backend.environ())[0] == 0
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        ROSEASH,
        "serve",
        "blog",
        "--port",
        str(port),
        env=backend.environ(),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        health = await wait_healthy(f"http://127.0.0.1:{port}/health", process)
        assert health.json() == {"status": "ok", "service": "blog"}
        async with httpx.AsyncClient() as client:
            ready = await client.get(f"http://127.0.0.1:{port}/ready")
            sdl = await client.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ _service { sdl } }"})
        assert ready.status_code == 200
        assert "type Query" in sdl.json()["data"]["_service"]["sdl"]
    finally:
        assert await stop(process) == 0


async def test_worker_runs_until_stopped(backend: Backend) -> None:
    assert run("migrate", env=backend.environ())[0] == 0
    process = await asyncio.create_subprocess_exec(
        ROSEASH, "worker", env=backend.environ(), stderr=asyncio.subprocess.PIPE
    )
    assert process.stderr is not None
    # Stop it only once it is running: a signal before then would find no handler yet.
    async with asyncio.timeout(30):
        while b"worker started" not in await process.stderr.readline():
            assert process.returncode is None
    assert await stop(process) == 0
    assert "worker stopped" in (await process.stderr.read()).decode()


def test_compose_from_files_then_check(tmp_path: Path) -> None:
    scenario = Path(__file__).resolve().parents[1] / "router" / "scenarios" / "bench"
    files = [
        f"--file={n}={scenario / f'{n}.graphql'}@http://{n}:4000/graphql"
        for n in ("users", "reviews", "products", "inventory")
    ]
    code, stdout, stderr = run("compose", *files, "--out", str(tmp_path / "schema"), env=plain_env(tmp_path))
    assert code == 0, stderr
    api = tmp_path / "schema" / "api.graphql"
    assert "type Query" in api.read_text()
    assert "join__" in (tmp_path / "schema" / "supergraph.graphql").read_text()
    code, stdout, _ = run("check", "--against", str(api), "--api", str(api), env=plain_env(tmp_path))
    assert (code, stdout.strip()) == (0, "0 breaking, 0 dangerous, 0 safe change(s)")
    shrunk = tmp_path / "shrunk.graphql"
    shrunk.write_text(api.read_text().replace("  me: User\n", ""))
    code, stdout, stderr = run("check", "--against", str(api), "--api", str(shrunk), env=plain_env(tmp_path))
    assert code == 1
    assert "breaking: Field Query.me was removed." in stdout
    assert_one_line(stderr, "1 breaking change(s)")


def test_compose_reports_composition_errors(tmp_path: Path) -> None:
    one, two = tmp_path / "one.graphql", tmp_path / "two.graphql"
    one.write_text("type Query { a: Thing } type Thing { id: ID }")
    two.write_text("type Query { b: Thing } interface Thing { id: ID }")
    code, _, stderr = run(
        "compose", f"--file=one={one}", f"--file=two={two}", "--out", str(tmp_path), env=plain_env(tmp_path)
    )
    assert code == 1
    assert stderr.splitlines()[0].startswith('TYPE_KIND_MISMATCH: Type "Thing" has mismatched kind')
    assert stderr.splitlines()[-1] == "roseash: composition failed with 1 error(s)"
