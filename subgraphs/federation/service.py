"""Users: registration, profiles, roles and passwords, with the rules for who may see and change what."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared import validation
from shared.auth import Viewer
from shared.cache import Cache
from shared.errors import BadUserInput, Conflict, Forbidden, NotFound, Unauthenticated
from shared.pagination import Page, paginate
from shared.ratelimit import RateLimit
from shared.validation import http_url, line
from subgraphs.federation import login_sessions
from subgraphs.federation.models import User
from subgraphs.federation.oauth_models import Password
from subgraphs.federation.passwords import check_new_password, hash_password_async, verify_password_async

ROLES = ("member", "editor", "admin")
# Handles share a namespace with the platform's own Fediverse actors and web paths.
RESERVED_HANDLES = frozenset(
    {"admin", "blog", "market", "events", "cart", "account", "federation", "instance", "root", "support", "www", "api"}
)
_HANDLE = re.compile(r"^[a-z0-9_]{3,30}$")
# Wrong current passwords allowed per user in a window, so a stolen token cannot guess the password.
_PASSWORD_GUESSES = 5
_PASSWORD_GUESS_WINDOW = 15 * 60.0


def normalise_handle(raw: str) -> str:
    handle = raw.strip().lower()
    if not _HANDLE.match(handle):
        raise BadUserInput("handle must be 3 to 30 letters, digits or underscores", field="handle")
    if handle in RESERVED_HANDLES:
        raise BadUserInput(f"handle {handle!r} is reserved", field="handle")
    return handle


def normalise_email(raw: str) -> str:
    return validation.email(raw, field="email")


def normalise_display_name(raw: str) -> str:
    return line(raw, field="displayName", label="display name", max_length=100)


def normalise_avatar_url(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    return http_url(raw, field="avatarUrl", label="avatar URL")


def can_see_email(viewer: Viewer, user: User) -> bool:
    return viewer.user_id == user.id or viewer.has_role("admin")


async def register(
    session: AsyncSession, *, handle: str, email: str, display_name: str, password: str | None = None
) -> User:
    """A new member; with a password they can sign in straight away, without one once they or an admin set one."""
    user = User(
        handle=normalise_handle(handle),
        email=normalise_email(email),
        display_name=normalise_display_name(display_name),
        roles=["member"],
    )
    if password is not None:
        check_new_password(password)
    if await session.scalar(select(User.id).where(User.handle == user.handle)):
        raise Conflict(f"handle {user.handle!r} is taken", field="handle")
    if await session.scalar(select(User.id).where(User.email == user.email)):
        raise Conflict("an account with this email exists", field="email")
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:  # a concurrent registration won the race
        raise Conflict("handle or email is taken", field="handle") from None
    if password is not None:
        session.add(Password(user_id=user.id, hash=await hash_password_async(password)))
        await session.flush()
    return user


async def change_password(
    session: AsyncSession, cache: Cache, viewer: Viewer, *, current_password: str | None, new_password: str
) -> User:
    """The signed-in user changes their own password, giving the current one if they have one."""
    if viewer.user_id is None:
        raise Unauthenticated("sign in to change your password")
    user = await session.get(User, viewer.user_id)
    if user is None:
        raise NotFound("no such user", id=viewer.user_id)
    check_new_password(new_password, field="newPassword")
    stored = await session.get(Password, user.id)
    if stored is not None:
        guesses = RateLimit(cache, "password-change", _PASSWORD_GUESSES, _PASSWORD_GUESS_WINDOW)
        if await guesses.exceeded(user.id):
            raise Forbidden("too many wrong passwords; wait 15 minutes, then try again")
        if not await verify_password_async(current_password or "", stored.hash):
            await guesses.hit(user.id)
            raise BadUserInput("the current password is wrong", field="currentPassword")
    await _store_password(session, user, new_password)
    return user


async def set_password(session: AsyncSession, viewer: Viewer, user_id: str, new_password: str) -> User:
    """An admin sets someone's password (an imported author's first, or a forgotten one)."""
    if not viewer.has_role("admin"):
        raise Forbidden("only admins may set another user's password")
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("no such user", id=user_id)
    await _store_password(session, user, check_new_password(new_password, field="newPassword"))
    return user


async def _store_password(session: AsyncSession, user: User, password: str) -> None:
    hashed = await hash_password_async(password)
    stored = await session.get(Password, user.id)
    if stored is None:
        session.add(Password(user_id=user.id, hash=hashed))
    else:
        stored.hash = hashed
    await session.flush()
    # Whoever was signed in with the old password is no longer.
    await session.run_sync(login_sessions.end_all_for_user, user.id)


async def update_profile(
    session: AsyncSession,
    viewer: Viewer,
    user_id: str,
    *,
    display_name: str | None = None,
    avatar_url: str | None = None,
    clear_avatar: bool = False,
) -> User:
    if not viewer.is_authenticated:
        raise Unauthenticated("sign in to change a profile")
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("no such user", id=user_id)
    if viewer.user_id != user.id and not viewer.has_role("admin"):
        raise Forbidden("only the user or an admin may change this profile")
    if display_name is not None:
        user.display_name = normalise_display_name(display_name)
    if clear_avatar:
        user.avatar_url = None
    elif avatar_url is not None:
        user.avatar_url = normalise_avatar_url(avatar_url)
    await session.flush()
    return user


async def set_roles(session: AsyncSession, viewer: Viewer, user_id: str, roles: Sequence[str]) -> User:
    if not viewer.has_role("admin"):
        raise Forbidden("only admins may change roles")
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise BadUserInput(f"unknown roles: {', '.join(unknown)}", field="roles")
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("no such user", id=user_id)
    if viewer.user_id == user.id and "admin" not in roles:
        raise Conflict("admins cannot remove their own admin role", field="roles")
    user.roles = [role for role in ROLES if role in roles]
    await session.flush()
    return user


async def users_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[User | None]:
    rows = (await session.scalars(select(User).where(User.id.in_(ids)))).all()
    found = {row.id: row for row in rows}
    return [found.get(i) for i in ids]


async def user_by_handle(session: AsyncSession, handle: str) -> User | None:
    return await session.scalar(select(User).where(User.handle == handle.strip().lower()))


async def list_users(session: AsyncSession, viewer: Viewer, first: int, after: str | None) -> Page[User]:
    if not viewer.has_role("admin"):
        raise Forbidden("only admins may list users")
    return await paginate(session, select(User), User.created_at, User.id, first, after)
