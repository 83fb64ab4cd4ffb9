"""Demo data, loaded once per database.

Each domain offers a seed function; a row in `seed_runs` records that it ran,
so `roseash seed` and every start of the embedded default are safe to repeat.
The seed and its record commit together, so a failed seed is retried next time.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, UTCDateTime, utcnow

logger = logging.getLogger("roseash.seeds")


class SeedRun(Base):
    __tablename__ = "seed_runs"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True, slots=True)
class Seed:
    name: str
    load: Callable[[AsyncSession], Awaitable[None]]


async def run_seeds(sessions: async_sessionmaker[AsyncSession], seeds: Sequence[Seed]) -> list[str]:
    """Run each seed not yet recorded; return the names that ran now."""
    ran: list[str] = []
    for seed in seeds:
        async with sessions() as session, session.begin():
            if await session.scalar(select(SeedRun.name).where(SeedRun.name == seed.name)):
                continue
            await seed.load(session)
            session.add(SeedRun(name=seed.name, applied_at=utcnow()))
        logger.info("loaded demo data: %s", seed.name)
        ran.append(seed.name)
    return ran
