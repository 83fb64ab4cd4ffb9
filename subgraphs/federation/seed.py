"""Demo users, so a newcomer sees authors and roles in `make run`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.seeds import Seed
from subgraphs.federation.models import User

DEMO_USERS = (
    ("ada", "ada@example.org", "Ada Lovelace", ["member", "editor", "admin"]),
    ("grace", "grace@example.org", "Grace Hopper", ["member", "editor"]),
    ("linus", "linus@example.org", "Linus Pauling", ["member"]),
)


async def load(session: AsyncSession) -> None:
    for handle, email, name, roles in DEMO_USERS:
        session.add(User(handle=handle, email=email, display_name=name, roles=roles))


SEED = Seed("federation-users", load)
