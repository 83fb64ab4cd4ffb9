"""Demo users, so a newcomer sees authors and roles in `make run`, and can sign in as any of them.

Every demo user's password is DEMO_PASSWORD, "roseash-demo": sign in as ada
(an admin), grace (an editor) or linus (a member). Passwords are a seed of
their own, so a database made before sign-in existed gets them too.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.seeds import Seed
from subgraphs.federation.models import User
from subgraphs.federation.oauth_models import Password
from subgraphs.federation.passwords import hash_password_async

DEMO_PASSWORD = "roseash-demo"

DEMO_USERS = (
    ("ada", "ada@example.org", "Ada Lovelace", ["member", "editor", "admin"]),
    ("grace", "grace@example.org", "Grace Hopper", ["member", "editor"]),
    ("linus", "linus@example.org", "Linus Pauling", ["member"]),
)


async def load(session: AsyncSession) -> None:
    for handle, email, name, roles in DEMO_USERS:
        session.add(User(handle=handle, email=email, display_name=name, roles=roles))


async def load_passwords(session: AsyncSession) -> None:
    handles = [handle for handle, *_ in DEMO_USERS]
    without = await session.scalars(
        select(User.id)
        .outerjoin(Password, Password.user_id == User.id)
        .where(User.handle.in_(handles), Password.user_id.is_(None))
    )
    for user_id in without.all():
        session.add(Password(user_id=user_id, hash=await hash_password_async(DEMO_PASSWORD)))


SEED = Seed("federation-users", load)
PASSWORDS_SEED = Seed("federation-demo-passwords", load_passwords)
