"""Per remote host: the circuit breaker, and the signature scheme the host takes.

Mastodon guards deliveries twice: a Stoplight per inbox, red after
STOPLIGHT_FAILURE_THRESHOLD = 10 failures in a row for a 60 s cool-off
(ActivityPub::DeliveryWorker), and DeliveryFailureTracker, which stops
delivering to a host whose deliveries kept failing on 7 different days, until
it is heard from again. At our scale one breaker per host does both jobs:

- closed: deliveries go out;
- open, after `THRESHOLD` failed tries in a row: nothing is sent until the
  cool-off ends. A delivery due meanwhile counts as a failed try and waits for
  its next one, as a Sidekiq job failing on a red light does;
- half-open, after the cool-off: one delivery at a time probes the host. A
  success closes the breaker; a failure opens it again for twice as long
  (1 minute, 2, 4... up to a day), so a host that stays down gets about one
  probe a day while its deliveries run out their tries, instead of a stream.

Only retried failures count (timeouts, lost connections, 5xx, 401...): a peer
that answers 404 or 410 is up, and so is one whose signed activity reaches our
inbox, which closes its breaker (`heard_from`). The state is kept in `ap_delivery_hosts`, so
every worker sees it; a worker reads it at the start of a batch and writes
what changes as it goes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub.models import DeliveryHost
from activitypub.signatures import Scheme
from shared.db import utcnow
from shared.queue import backoff

THRESHOLD = 10
COOL_OFF = timedelta(minutes=1)
MAX_COOL_OFF = timedelta(days=1)


@dataclass
class HostState:
    host: str
    scheme: Scheme | None = None
    accept_signature: str | None = None
    consecutive_failures: int = 0
    failing_since: datetime | None = None
    open_until: datetime | None = None
    # Within a batch: probes of a tripped host go one at a time, and writes of its state in order.
    probing: asyncio.Lock = field(default_factory=asyncio.Lock)
    saving: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def tripped(self) -> bool:
        """Failed often enough in a row that it is probed, one delivery at a time, rather than trusted."""
        return self.consecutive_failures >= THRESHOLD

    def is_open(self, now: datetime) -> bool:
        return self.open_until is not None and now < self.open_until


class HostHealth:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def load(self, hosts: Collection[str]) -> dict[str, HostState]:
        """The state of each of `hosts`; a host never seen is closed, with no scheme known."""
        async with self._sessions() as session:
            rows = (await session.scalars(select(DeliveryHost).where(DeliveryHost.host.in_(hosts)))).all()
        states = {host: HostState(host) for host in hosts}
        for row in rows:
            states[row.host] = HostState(
                row.host,
                scheme=Scheme(row.signature_scheme) if row.signature_scheme else None,
                accept_signature=row.accept_signature,
                consecutive_failures=row.consecutive_failures,
                failing_since=row.failing_since,
                open_until=row.open_until,
            )
        return states

    async def succeeded(self, state: HostState, scheme: Scheme, accept_signature: str | None) -> None:
        """A delivery to the host went through with `scheme`; its answer carried `accept_signature`, if any."""
        # A host asking for RFC 9421 gets it from now on, whichever scheme it took this time.
        wanted = Scheme.RFC9421 if accept_signature else scheme
        remembered = state.scheme or Scheme.CAVAGE
        asked = accept_signature or state.accept_signature
        if state.consecutive_failures == 0 and wanted is remembered and asked == state.accept_signature:
            return  # nothing new: most deliveries write nothing here
        state.scheme = wanted
        state.accept_signature = asked
        state.consecutive_failures = 0
        state.failing_since = state.open_until = None
        await self._save(state)

    async def failed(self, state: HostState, now: datetime, accept_signature: str | None = None) -> None:
        """A delivery to the host failed in a way worth retrying; past the threshold the breaker opens.

        A refusal's `accept_signature` is kept, so the next try signs as the host asked.
        """
        state.accept_signature = accept_signature or state.accept_signature
        state.consecutive_failures += 1
        state.failing_since = state.failing_since or now
        if state.tripped:
            reopenings = state.consecutive_failures - THRESHOLD + 1
            state.open_until = now + backoff(reopenings, base=COOL_OFF, cap=MAX_COOL_OFF)
        await self._save(state)

    async def heard_from(self, host: str) -> None:
        """A signed activity from the host arrived: it is up, so its breaker closes, as Mastodon's
        DeliveryFailureTracker forgets a host it hears from. The scheme it takes stays known."""
        async with self._sessions() as session, session.begin():
            # Read first: nearly every arrival is from a healthy host, and a read takes no write lock.
            failing = await session.scalar(select(DeliveryHost.consecutive_failures).where(DeliveryHost.host == host))
            if failing:
                await session.execute(
                    update(DeliveryHost)
                    .where(DeliveryHost.host == host)
                    .values(consecutive_failures=0, failing_since=None, open_until=None, updated_at=utcnow())
                )

    async def _save(self, state: HostState) -> None:
        values: dict[str, Any] = {
            "signature_scheme": state.scheme.value if state.scheme else None,
            "accept_signature": state.accept_signature,
            "consecutive_failures": state.consecutive_failures,
            "failing_since": state.failing_since,
            "open_until": state.open_until,
            "updated_at": utcnow(),
        }
        async with state.saving:
            # An update, or an insert for a host without a row; if another worker inserted it meanwhile, an update.
            for _ in range(2):
                try:
                    async with self._sessions() as session, session.begin():
                        statement = update(DeliveryHost).where(DeliveryHost.host == state.host).values(**values)
                        if not cast("CursorResult[Any]", await session.execute(statement)).rowcount:
                            session.add(DeliveryHost(host=state.host, **values))
                except IntegrityError:
                    continue
                return
