"""From outbox rows to deliveries: each `ap_activities` row becomes one activity and one delivery per inbox.

A worker claims rows (`shared.outbox`, on `shared.queue`), renders each
(`outbox_rendering`, through the router), and in one transaction lists the
activity in the actor's outbox (`ap_outbox`) and queues a delivery for every
inbox it goes to (`ap_deliveries`): one shared inbox per server, as
`follows.delivery_inboxes` gives them. Each delivery is then claimed and
retried on its own.

A row is processed at least once: if its worker died after the transaction
and before marking the row done, the row's outbox entry shows it was fanned
out, and it is not fanned out again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub.as2 import id_of
from activitypub.follows import delivery_inboxes
from activitypub.graphql_client import RouterClient, RouterError
from activitypub.models import ActivityDelivery, OutboxItem
from activitypub.outbox_rendering import Rendered, UnknownActivity, render
from activitypub.remote_actors import host_of
from activitypub.urls import Urls
from shared import outbox
from shared.db import utcnow
from shared.outbox import ApActivity
from shared.queue import QueueStatus, backoff

logger = logging.getLogger("roseash.activitypub")

BATCH = 20
# While the router cannot answer, a row waits longer each time, up to an hour, and is given up on after about a day.
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)
MAX_ATTEMPTS = 30


async def fan_out(sessions: async_sessionmaker[AsyncSession], urls: Urls, router: RouterClient, worker: str) -> int:
    """Fan out one batch of due outbox rows; return how many were claimed."""
    rows = await outbox.claim(sessions, worker, limit=BATCH)
    for row in rows:
        try:
            rendered = await render(row, urls, router)
        except UnknownActivity as exc:
            logger.error("outbox row %d cannot be sent: %s", row.id, exc)
            await outbox.retry(sessions, row.id, worker, str(exc), at=None)
            continue
        except RouterError as exc:
            logger.warning("outbox row %d waits for the router: %s", row.id, exc)
            at = utcnow() + backoff(row.attempts, base=RETRY_BASE, cap=RETRY_CAP)
            await outbox.retry(sessions, row.id, worker, str(exc), at=at if row.attempts < MAX_ATTEMPTS else None)
            continue
        if rendered is not None:
            await _record(sessions, row, rendered)
        await outbox.complete(sessions, row.id, worker)
    return len(rows)


async def _record(sessions: async_sessionmaker[AsyncSession], row: ApActivity, rendered: Rendered) -> None:
    """List the activity in the outbox and queue its deliveries, in one transaction."""
    activity = rendered.activity
    async with sessions() as session, session.begin():
        if await session.scalar(select(OutboxItem.id).where(OutboxItem.source_activity_id == row.id).limit(1)):
            return  # fanned out already, by a worker that died before it could mark the row done
        # An activity sent before under the same id (an Accept of a Follow answered again) is listed once.
        item = await session.scalar(select(OutboxItem).where(OutboxItem.uri == activity["id"]))
        if item is None:
            item = OutboxItem(
                uri=activity["id"],
                actor_name=row.actor,
                type=activity["type"],
                object_uri=id_of(activity.get("object")),
                document=activity,
                public=rendered.public,
                source_activity_id=row.id,
            )
            session.add(item)
            await session.flush()
        inboxes = rendered.inboxes if rendered.inboxes is not None else await delivery_inboxes(session, row.actor)
        now = utcnow()
        session.add_all(
            ActivityDelivery(
                outbox_id=item.id,
                inbox=inbox,
                host=host_of(inbox),
                status=QueueStatus.PENDING,
                attempts=0,
                available_at=now,
            )
            for inbox in dict.fromkeys(inboxes)
        )
