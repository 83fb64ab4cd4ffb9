"""The ActivityPub delivery benchmark: one post to 10,000 followers on 500 servers, against one POST per follower.

    python -m bench.ap.run [--followers 10000] [--servers 500] [--rounds 2] [--output bench/RESULTS.md]

The platform runs in this process on a fresh SQLite database (the embedded
default; `--database-url` names an empty PostgreSQL database instead), with
the followers inserted as rows. Stand-in inboxes run in another process
(`bench.ap.inboxes`): one uvicorn server listening on one port of 127.0.0.1
per remote server. Each round publishes a post and times the worker's real
code (fan-out, then signed POSTs through `shared.outbound`) until every
delivery is done, twice: once as the worker delivers (one POST per shared
inbox), and once as the reference, the same worker sending to every
follower's own inbox (one POST per follower). The results section of
bench/RESULTS.md is replaced (or appended), leaving the router's alone.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
from httpsig.verify import HeaderVerifier
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import delivery, fan_out
from activitypub.delivery_worker import ActivityPubWorker
from activitypub.graphql_client import RouterClient
from activitypub.instance_keys import InstanceKeys
from activitypub.models import ActivityDelivery, Follower, FollowStatus, OutboxItem, RemoteActor
from activitypub.urls import Urls
from bench.ap.report import Measurement, Report, render_section, write_section
from migrations.runner import upgrade_async
from roseash.embedded import create_platform_app
from roseash.services import register_contracts
from shared.auth import Viewer
from shared.config import Settings, load_settings
from shared.db import new_id, utcnow
from shared.queue import QueueStatus
from shared.resources import Resources
from subgraphs.blog import service
from subgraphs.blog.models import Kind

try:
    import uvloop
except ImportError:  # as in roseash.cli: asyncio's own loop works, only slower
    uvloop = None

HERE = Path(__file__).resolve().parent
PUBLIC_URL = "https://roseash.bench"
EDITOR = Viewer(user_id="bench", roles=frozenset({"member", "editor"}))
BODY = "A post for the delivery benchmark, long enough to look like one. " * 40


def log(message: str) -> None:
    print(f"[bench-ap {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Inboxes:
    """The stand-in inboxes' process, its ports, and the questions the benchmark asks it."""

    process: subprocess.Popen[bytes]
    control: str
    ports: list[int]

    async def reset(self) -> None:
        async with httpx.AsyncClient() as client:
            (await client.post(f"{self.control}/reset")).raise_for_status()

    async def counts(self) -> dict[str, int]:
        async with httpx.AsyncClient(timeout=30) as client:
            return dict((await client.get(f"{self.control}/stats")).json())

    async def sample(self) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=30) as client:
            return list((await client.get(f"{self.control}/sample")).json())

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def inboxes(servers: int) -> Iterator[Inboxes]:
    command = [sys.executable, "-m", "bench.ap.inboxes", "--servers", str(servers)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the stand-in inboxes did not start (exit {process.wait()})")
        ports = json.loads(line)
        yield Inboxes(process, f"http://127.0.0.1:{ports['control']}", ports["servers"])
    finally:
        process.terminate()
        process.wait(timeout=10)


async def add_followers(resources: Resources, ports: list[int], followers: int) -> None:
    """`followers` accepted followers of the blog, spread evenly over the servers, as rows."""
    now = utcnow()
    actors, follows = [], []
    for n in range(followers):
        server = f"http://127.0.0.1:{ports[n % len(ports)]}"
        uri = f"{server}/users/u{n}"
        actor_id = new_id()
        actors.append(
            {
                "id": actor_id,
                "uri": uri,
                "key_id": f"{uri}#main-key",
                "public_key_pem": "",
                "inbox": f"{uri}/inbox",
                "shared_inbox": f"{server}/inbox",
                "host": server.removeprefix("http://"),
                "preferred_username": f"u{n}",
                "document": {},
                "fetched_at": now,
            }
        )
        follows.append(
            {
                "actor_name": "blog",
                "remote_actor_id": actor_id,
                "follow_uri": f"{uri}/follows/1",
                "status": FollowStatus.ACCEPTED,
                "created_at": now,
                "accepted_at": now,
            }
        )
    async with resources.sessions() as session, session.begin():
        await session.execute(insert(RemoteActor), actors)
        await session.execute(insert(Follower), follows)


async def every_follower_inbox(session: AsyncSession, actor_name: str) -> list[str]:
    """The reference's addresses: each follower's own inbox, shared inbox or not."""
    statement = (
        select(RemoteActor.inbox)
        .join(Follower, Follower.remote_actor_id == RemoteActor.id)
        .where(Follower.actor_name == actor_name, Follower.status == FollowStatus.ACCEPTED)
        .order_by(RemoteActor.inbox)
    )
    return list((await session.scalars(statement)).all())


async def publish(resources: Resources, title: str) -> None:
    async with resources.sessions() as session, session.begin():
        post = await service.create(session, EDITOR, Kind.POST, service.Changes(title=title, body=BODY, tags=["Bench"]))
        await service.publish(session, EDITOR, Kind.POST, post.id)


async def measure(
    resources: Resources, worker: ActivityPubWorker, stand_ins: Inboxes, label: str, *, per_follower: bool
) -> Measurement:
    await stand_ins.reset()
    await publish(resources, label)
    addresses = every_follower_inbox if per_follower else fan_out.delivery_inboxes
    cpu, inbox_cpu, started = time.process_time(), stand_ins.cpu_seconds(), time.perf_counter()
    with mock.patch.object(fan_out, "delivery_inboxes", addresses):
        while await worker.fan_out():
            pass
    fanned_out = time.perf_counter()
    while await worker.deliver():
        pass
    finished = time.perf_counter()
    cpu, inbox_cpu = time.process_time() - cpu, stand_ins.cpu_seconds() - inbox_cpu
    counts = await stand_ins.counts()
    async with resources.sessions() as session:
        item = await session.scalar(select(OutboxItem.id).order_by(OutboxItem.id.desc()).limit(1))
        statuses = dict(
            (
                await session.execute(
                    select(ActivityDelivery.status, func.count())
                    .where(ActivityDelivery.outbox_id == item)
                    .group_by(ActivityDelivery.status)
                )
            ).all()
        )
    expected = "/users/u" if per_follower else "/inbox"
    if set(counts.values()) != {1} or not all(f"POST {expected}" in key for key in counts):
        raise RuntimeError(f"{label}: an inbox got other than one POST: {sorted(counts.items())[:5]}")
    if set(statuses) != {QueueStatus.DONE}:
        raise RuntimeError(f"{label}: deliveries not all done: {statuses}")
    return Measurement(
        label=label,
        posts=sum(counts.values()),
        inboxes=len(counts),
        fan_out_seconds=fanned_out - started,
        deliver_seconds=finished - fanned_out,
        cpu_seconds=cpu,
        inbox_cpu_seconds=inbox_cpu,
    )


async def verify_sample(resources: Resources, settings: Settings, stand_ins: Inboxes) -> int:
    """Check the sampled deliveries' signatures with pyhttpsig, and their Digest against the body."""
    public_pem = (await InstanceKeys(resources.sessions).get()).public_key_pem
    key_id = Urls.from_settings(settings).key_id("blog")
    sample = await stand_ins.sample()
    for request in sample:
        headers, body = request["headers"], base64.b64decode(request["body"])
        assert f'keyId="{key_id}"' in headers["signature"]
        required = ["(request-target)", "host", "date", "digest"]
        verifier = HeaderVerifier(
            headers, public_pem, required_headers=required, method="POST", path=request["path"], sign_header="signature"
        )
        if not verifier.verify():
            raise RuntimeError(f"a signature did not verify: {request['path']}")
        if headers["digest"] != "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode():
            raise RuntimeError(f"a Digest does not match its body: {request['path']}")
    return len(sample)


@contextlib.asynccontextmanager
async def platform(settings: Settings) -> AsyncIterator[tuple[Resources, ActivityPubWorker]]:
    await upgrade_async(settings.database_url)
    register_contracts()
    resources = Resources.open(settings)
    try:
        app = create_platform_app(resources)
        # The router in this process, as the embedded default's sidecar reaches it.
        router = RouterClient(f"{PUBLIC_URL}/graphql", httpx.ASGITransport(app=app))
        yield resources, ActivityPubWorker(resources, router)
    finally:
        await resources.close()


async def run(args: argparse.Namespace, workdir: Path, git: str) -> Report:
    settings = load_settings(
        {
            "DATABASE_URL": args.database_url or f"sqlite:///{workdir / 'bench.db'}",
            "VAR_DIR": str(workdir),
            "PUBLIC_URL": PUBLIC_URL,
            "OUTBOUND_ALLOW_PRIVATE": "true",
            "SEED_DEMO_DATA": "false",
        }
    )
    begun = time.perf_counter()
    with inboxes(args.servers) as stand_ins:
        async with platform(settings) as (resources, worker):
            log(f"{args.followers} followers on {args.servers} servers")
            await add_followers(resources, stand_ins.ports, args.followers)
            rounds = []
            for n in range(1, args.rounds + 1):
                reference = await measure(resources, worker, stand_ins, f"reference {n}", per_follower=True)
                log(f"round {n}: one POST per follower, {reference.total_seconds:.1f} s")
                ours = await measure(resources, worker, stand_ins, f"shared inboxes {n}", per_follower=False)
                log(f"round {n}: one POST per shared inbox, {ours.total_seconds:.2f} s")
                rounds.append((ours, reference))
            verified = await verify_sample(resources, settings, stand_ins)
    return Report(
        command=os.environ.get("BENCH_COMMAND") or "python -m bench.ap.run " + " ".join(sys.argv[1:]),
        started=datetime.now(UTC),
        minutes=(time.perf_counter() - begun) / 60,
        followers=args.followers,
        servers=args.servers,
        database="PostgreSQL" if args.database_url else "SQLite (the embedded default)",
        concurrency=settings.activitypub_delivery_concurrency,
        host_concurrency=settings.activitypub_delivery_host_concurrency,
        batch=delivery.BATCH,
        rounds=rounds,
        verified=verified,
        git=git,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--servers", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database-url", help="an empty PostgreSQL database to use instead of a fresh SQLite file")
    parser.add_argument("--output", type=Path, default=HERE.parent / "RESULTS.md")
    args = parser.parse_args()
    # The commit measured, marked -dirty when the working tree had changes on top of it.
    describe = ["git", "describe", "--always", "--dirty"]
    git = subprocess.run(describe, capture_output=True, text=True).stdout.strip()
    # uvloop when installed, as `roseash worker` runs.
    factory = uvloop.new_event_loop if uvloop is not None else None
    with tempfile.TemporaryDirectory(prefix="bench-ap-") as workdir, asyncio.Runner(loop_factory=factory) as runner:
        report = runner.run(run(args, Path(workdir), git))
    section = render_section(report)
    write_section(args.output, section)
    print(section)


if __name__ == "__main__":
    main()
