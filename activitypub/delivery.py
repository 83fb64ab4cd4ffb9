"""Sending deliveries: signed POSTs to remote inboxes, retried on Mastodon's schedule, behind a breaker per host.

A worker claims a batch of due `ap_deliveries` rows through `shared.queue`
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two workers never hold the same
row; one writer at a time on SQLite) and sends them concurrently: at most
ACTIVITYPUB_DELIVERY_CONCURRENCY at once, and ACTIVITYPUB_DELIVERY_HOST_CONCURRENCY
to any one host. Every POST goes through `shared.outbound`.

Signatures are draft-cavage first, as Mastodon expects, and RFC 9421 for a
host known to want it: one that sent Accept-Signature (on an answer or a
refusal), or that refused one scheme and took the other. A 401 or 400 to one
scheme is followed at once by the other, within the same try, and the scheme
that worked is remembered for the host (`host_health`).

The answer decides the row (`delivery_policy`): 2xx, done; 410, the inbox's
followers are removed and the row is dead; another permanent 4xx, dead at
once; anything else, tried again on Mastodon's schedule and dead after the
last try. Dead rows stay, with their last error and status, as dead letters
for admins (`roseash activitypub deliveries --dead`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub import rfc9421
from activitypub.actor_signers import ActorSigners, Signer
from activitypub.as2 import ACTIVITY_JSON
from activitypub.delivery_policy import MAX_ATTEMPTS, Verdict, judge, retry_delay
from activitypub.host_health import HostHealth, HostState
from activitypub.models import ActivityDelivery, Follower, OutboxItem, RemoteActor
from activitypub.signatures import Scheme, SignatureError, sign_request
from shared import queue
from shared.config import Settings
from shared.db import utcnow
from shared.outbound import Outbound, OutboundError, OutboundResponse
from shared.queue import QueueStatus

logger = logging.getLogger("roseash.activitypub")

BATCH = 200
# Longer than a batch can take: sends stop starting after SEND_WINDOW, and each POST has its own total deadline.
LEASE = timedelta(minutes=15)
SEND_WINDOW = timedelta(minutes=5)
# What a refusal of the signature looks like: Mastodon answers 401, some servers 400.
SIGNATURE_REFUSED = frozenset({400, 401})


@dataclass(frozen=True, slots=True)
class Message:
    """What the deliveries of one activity send: its JSON, and who signs it (None: the actor is gone)."""

    body: bytes
    signer: Signer | None


class Deliverer:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings, signers: ActorSigners) -> None:
        self._sessions = sessions
        self._settings = settings
        self._signers = signers
        self._health = HostHealth(sessions)

    async def deliver(self, worker: str) -> int:
        """Send one batch of due deliveries as `worker`; return how many were claimed."""
        rows = await queue.claim(self._sessions, ActivityDelivery, worker, limit=BATCH, lease=LEASE)
        if not rows:
            return 0
        batch = _Batch(
            self._sessions,
            self._health,
            worker,
            messages=await self._messages({row.outbox_id for row in rows}),
            hosts=await self._health.load({row.host for row in rows}),
            concurrency=self._settings.activitypub_delivery_concurrency,
            host_concurrency=self._settings.activitypub_delivery_host_concurrency,
        )
        async with Outbound(self._settings) as http:
            outcomes = await asyncio.gather(*(batch.send(http, row) for row in rows), return_exceptions=True)
        for row, outcome in zip(rows, outcomes, strict=True):
            if isinstance(outcome, Exception):
                # Left claimed: once its lease runs out, another round takes it again.
                logger.error("delivery %d to %s failed unexpectedly", row.id, row.inbox, exc_info=outcome)
        # One statement for the batch's successes (one per status, nearly always 202), not a commit each.
        # Should the worker die first, they are sent again after the lease: deliveries are at least once.
        for status, row_ids in batch.delivered.items():
            await queue.complete_many(self._sessions, ActivityDelivery, row_ids, worker, last_status=status)
        await queue.release(self._sessions, ActivityDelivery, batch.untried, worker, at=utcnow())
        return len(rows)

    async def _messages(self, outbox_ids: Collection[int]) -> dict[int, Message]:
        async with self._sessions() as session:
            items = (
                await session.execute(
                    select(OutboxItem.id, OutboxItem.actor_name, OutboxItem.document).where(
                        OutboxItem.id.in_(outbox_ids)
                    )
                )
            ).all()
        signers = {name: await self._signers.signer(name) for name in {item.actor_name for item in items}}
        return {item.id: Message(orjson.dumps(item.document), signers[item.actor_name]) for item in items}


class _Batch:
    """One claimed batch being sent: its limits, the hosts' state, and what it did not get to."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        health: HostHealth,
        worker: str,
        *,
        messages: dict[int, Message],
        hosts: dict[str, HostState],
        concurrency: int,
        host_concurrency: int,
    ) -> None:
        self._sessions = sessions
        self._health = health
        self._worker = worker
        self._messages = messages
        self._hosts = hosts
        self._slots = asyncio.Semaphore(concurrency)
        self._host_slots = {host: asyncio.Semaphore(host_concurrency) for host in hosts}
        # Outcomes are written one at a time, while the POSTs overlap: concurrent writers on SQLite wait for
        # its file lock in sleeps, and even on PostgreSQL a batch went about 1.4x faster so (bench/ap).
        self._writing = asyncio.Lock()
        self._deadline = time.monotonic() + SEND_WINDOW.total_seconds()
        self.untried: list[int] = []
        # The rows sent, by the status that took them: completed together once the batch is over.
        self.delivered: dict[int, list[int]] = {}

    async def send(self, http: Outbound, row: ActivityDelivery) -> None:
        state = self._hosts[row.host]
        async with self._host_slots[row.host]:
            if state.tripped:
                # A host that failed over and over is probed by one delivery at a time; the others wait for its answer.
                async with state.probing, self._slots:
                    await self._try(http, row, state)
            else:
                async with self._slots:
                    await self._try(http, row, state)

    async def _try(self, http: Outbound, row: ActivityDelivery, state: HostState) -> None:
        if time.monotonic() > self._deadline:
            self.untried.append(row.id)
            return
        message = self._messages.get(row.outbox_id)
        if message is None:
            return  # its activity was deleted since the claim, and the row with it
        if message.signer is None:
            await self._give_up(row, "the actor who sent this activity no longer exists", None)
            return
        if state.is_open(utcnow()):
            reason = f"not sent: {row.host} failed {state.consecutive_failures} times in a row"
            await self._retry(row, f"{reason}; its circuit is open until {state.open_until}", None, state.open_until)
            return
        try:
            scheme, response, asked = await self._post(http, row.inbox, message, message.signer, state)
        except OutboundError as exc:
            await self._failed(row, state, exc)
            return
        self.delivered.setdefault(response.status, []).append(row.id)
        await self._health.succeeded(state, scheme, asked)

    async def _post(
        self, http: Outbound, inbox: str, message: Message, signer: Signer, state: HostState
    ) -> tuple[Scheme, OutboundResponse, str | None]:
        """POST with the host's scheme and, if the signature is refused, with the other one.

        Also returns the Accept-Signature the host sent, on its answer or on a refusal before it.
        """
        first = state.scheme or Scheme.CAVAGE
        try:
            response = await _signed_post(http, inbox, message.body, signer, first, state.accept_signature)
            return first, response, _accept_signature(response.headers)
        except OutboundError as exc:
            if exc.status not in SIGNATURE_REFUSED:
                raise
            # A refusal that says what it wants is answered in kind at once.
            refused_asked = _accept_signature(exc.headers)
        other = Scheme.RFC9421 if first is Scheme.CAVAGE else Scheme.CAVAGE
        accept_signature = refused_asked or state.accept_signature
        response = await _signed_post(http, inbox, message.body, signer, other, accept_signature)
        return other, response, _accept_signature(response.headers) or refused_asked

    async def _failed(self, row: ActivityDelivery, state: HostState, error: OutboundError) -> None:
        verdict = judge(error)
        if verdict is Verdict.GONE:
            await self._gone(row)
        elif verdict is Verdict.DEAD:
            await self._give_up(row, str(error), error.status)
        else:
            await self._health.failed(state, utcnow(), _accept_signature(error.headers))
            await self._retry(row, str(error), error.status, state.open_until)

    async def _retry(self, row: ActivityDelivery, error: str, status: int | None, not_before: datetime | None) -> None:
        """Try again on the schedule (never while the host's breaker is open), or give up after the last try."""
        if row.attempts >= MAX_ATTEMPTS:
            await self._give_up(row, f"{error} (after {row.attempts} tries)", status)
            return
        at = utcnow() + retry_delay(row.attempts, random.random())
        if not_before is not None:
            at = max(at, not_before)
        async with self._writing:
            await queue.retry(self._sessions, ActivityDelivery, row.id, self._worker, error, at=at, **_status(status))

    async def _give_up(self, row: ActivityDelivery, error: str, status: int | None) -> None:
        async with self._writing:
            await queue.retry(self._sessions, ActivityDelivery, row.id, self._worker, error, at=None, **_status(status))

    async def _gone(self, row: ActivityDelivery) -> None:
        """The inbox is gone for good (410): the followers behind it go, and so does everything queued for it."""
        reason = f"{row.inbox} is gone (HTTP 410); the followers behind it were removed"
        behind = select(RemoteActor.id).where(
            or_(RemoteActor.inbox == row.inbox, RemoteActor.shared_inbox == row.inbox)
        )
        async with self._sessions() as session, session.begin():
            await session.execute(delete(Follower).where(Follower.remote_actor_id.in_(behind)))
            await session.execute(
                update(ActivityDelivery)
                .where(
                    ActivityDelivery.host == row.host,
                    ActivityDelivery.inbox == row.inbox,
                    ActivityDelivery.status == QueueStatus.PENDING,
                )
                .values(status=QueueStatus.DEAD, last_error=reason, last_status=410, finished_at=utcnow())
            )
        logger.info("%s", reason)
        await self._give_up(row, reason, 410)


def _accept_signature(headers: httpx.Headers | None) -> str | None:
    return headers.get("accept-signature") if headers is not None else None


async def _signed_post(
    http: Outbound, inbox: str, body: bytes, signer: Signer, scheme: Scheme, accept_signature: str | None
) -> OutboundResponse:
    headers = {"Content-Type": ACTIVITY_JSON}
    headers |= _signature(inbox, headers, body, signer, scheme, accept_signature)
    return await http.post(inbox, content=body, headers=headers)


def _signature(
    inbox: str, headers: dict[str, str], body: bytes, signer: Signer, scheme: Scheme, accept_signature: str | None
) -> dict[str, str]:
    """The signature headers; for RFC 9421, covering what the host's Accept-Signature asks when we can."""
    if scheme is Scheme.RFC9421 and accept_signature:
        with contextlib.suppress(SignatureError):
            for wanted in rfc9421.parse_accept_signature(accept_signature):
                # A request for components we cannot cover (a header we do not send) falls through to the next.
                with contextlib.suppress(SignatureError, ValueError):
                    return sign_request(
                        "POST",
                        inbox,
                        headers,
                        body,
                        key_id=signer.key_id,
                        private_key=signer.private_key,
                        scheme=scheme,
                        label=wanted.label,
                        components=wanted.components,
                    )
    return sign_request(
        "POST", inbox, headers, body, key_id=signer.key_id, private_key=signer.private_key, scheme=scheme
    )


def _status(status: int | None) -> dict[str, Any]:
    """The last answer's status, when the try got one; a try that sent nothing leaves the last one as it was."""
    return {"last_status": status} if status is not None else {}
