"""Users: registration, profiles and roles, with the rules for who may see and change what."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Viewer
from shared.errors import BadUserInput, Conflict, Forbidden, NotFound, Unauthenticated
from shared.pagination import Page, paginate
from subgraphs.federation.models import User

ROLES = ("member", "editor", "admin")
# Handles share a namespace with the platform's own Fediverse actors and web paths.
RESERVED_HANDLES = frozenset(
    {"admin", "blog", "market", "events", "cart", "account", "federation", "instance", "root", "support", "www", "api"}
)
_HANDLE = re.compile(r"^[a-z0-9_]{3,30}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalise_handle(raw: str) -> str:
    handle = raw.strip().lower()
    if not _HANDLE.match(handle):
        raise BadUserInput("handle must be 3 to 30 letters, digits or underscores", field="handle")
    if handle in RESERVED_HANDLES:
        raise BadUserInput(f"handle {handle!r} is reserved", field="handle")
    return handle


def normalise_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise BadUserInput("email must be an address like name@example.org", field="email")
    return email


def normalise_display_name(raw: str) -> str:
    name = raw.strip()
    if not 1 <= len(name) <= 100 or _CONTROL.search(name):
        raise BadUserInput("display name must be 1 to 100 printable characters", field="displayName")
    return name


def normalise_avatar_url(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    url = raw.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 500:
        raise BadUserInput("avatar URL must be an http(s) URL of at most 500 characters", field="avatarUrl")
    return url


def can_see_email(viewer: Viewer, user: User) -> bool:
    return viewer.user_id == user.id or viewer.has_role("admin")


async def register(session: AsyncSession, *, handle: str, email: str, display_name: str) -> User:
    user = User(
        handle=normalise_handle(handle),
        email=normalise_email(email),
        display_name=normalise_display_name(display_name),
        roles=["member"],
    )
    if await session.scalar(select(User.id).where(User.handle == user.handle)):
        raise Conflict(f"handle {user.handle!r} is taken", field="handle")
    if await session.scalar(select(User.id).where(User.email == user.email)):
        raise Conflict("an account with this email exists", field="email")
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:  # a concurrent registration won the race
        raise Conflict("handle or email is taken", field="handle") from None
    return user


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
