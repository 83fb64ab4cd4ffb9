"""`roseash activitypub deliveries`: what admins see of deliveries, dead letters above all, run as users run it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.activitypub.conftest import Platform
from tests.activitypub.delivery_kit import BLOG, follow, publish, run_until_idle, worker
from tests.activitypub.remote_instance import RemoteInstance
from tests.conftest import Backend

ROSEASH = str(Path(sys.executable).with_name("roseash"))


async def roseash(backend: Backend, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        ROSEASH, *args, env=backend.environ(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, stdout.decode(), stderr.decode()


async def test_dead_deliveries_are_listed_with_their_last_error(
    backend: Backend, platform: Platform, remote: RemoteInstance
) -> None:
    assert await roseash(backend, "activitypub", "deliveries", "--dead") == (0, "no dead deliveries\n", "")
    await follow(platform, remote)
    await run_until_idle(worker(platform))  # the Accept goes through
    remote.inbox_answers = [404]  # the Create finds no inbox
    await publish(platform)
    await run_until_idle(worker(platform))

    code, out, err = await roseash(backend, "activitypub", "deliveries", "--dead")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("#2 dead, 1 try: Create ")
    assert f"{BLOG}/activities/" in lines[0]
    assert lines[1].startswith(f"    to {remote.base_url}/inbox; given up ")
    assert lines[2] == f"    last error: {remote.base_url}/inbox: HTTP 404"
    assert len(lines) == 3

    code, out, _ = await roseash(backend, "activitypub", "deliveries")
    assert code == 0
    assert [line.split(",")[0] for line in out.splitlines() if line.startswith("#")] == ["#2 dead", "#1 done"]


async def test_a_limit_below_one_is_refused(backend: Backend) -> None:
    code, out, err = await roseash(backend, "activitypub", "deliveries", "--limit", "0")
    assert (code, out) == (2, "")
    assert err == "roseash: --limit must be at least 1\n"
