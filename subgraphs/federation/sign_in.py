"""Checking a sign-in: a handle or email and a password, rate limited per account and per address.

Whatever is wrong (no such account, no password set, a wrong password) the
answer is the same sentence after the same scrypt work, so the form cannot be
used to learn who has an account. The per-account limit counts by the name
typed, not by the account found, for the same reason.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.cache import Cache
from shared.ratelimit import RateLimit
from subgraphs.federation.models import User
from subgraphs.federation.oauth_models import Password
from subgraphs.federation.passwords import dummy_hash, hash_password_async, needs_rehash, verify_password_async

FAILURES_PER_ACCOUNT = 5
FAILURES_PER_ADDRESS = 20
WINDOW = timedelta(minutes=15)

WRONG = "That handle or email and password do not match. Check both and try again."
TOO_MANY = "Too many failed sign-ins. Wait 15 minutes, then try again."


class SignInRefused(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class SignIn:
    def __init__(self, cache: Cache) -> None:
        seconds = WINDOW.total_seconds()
        self.per_account = RateLimit(cache, "sign-in:account", FAILURES_PER_ACCOUNT, seconds)
        self.per_address = RateLimit(cache, "sign-in:address", FAILURES_PER_ADDRESS, seconds)

    async def check(self, session: AsyncSession, identifier: str, password: str, address: str) -> User:
        """The user these credentials are for; SignInRefused (WRONG, 400, or TOO_MANY, 429) otherwise."""
        name = identifier.strip().lower()
        if await self.per_account.exceeded(name) or await self.per_address.exceeded(address):
            raise SignInRefused(TOO_MANY, 429)
        found = (
            await session.execute(
                select(User, Password)
                .outerjoin(Password, Password.user_id == User.id)
                .where(or_(User.handle == name, User.email == name))
                .limit(1)
            )
        ).first()
        user, stored = found if found is not None else (None, None)
        matches = await verify_password_async(password, stored.hash if stored is not None else dummy_hash())
        if user is None or stored is None or not matches:
            await self.per_account.hit(name)
            await self.per_address.hit(address)
            raise SignInRefused(WRONG, 400)
        await self.per_account.reset(name)
        if needs_rehash(stored.hash):
            stored.hash = await hash_password_async(password)
        return user
