"""Login sessions at the authorization server: who this browser is signed in as, for single sign-on.

The browser holds a random secret in a cookie; the table holds its hash and
the session's public id, the `sid` in tokens. Ending a session (logout, a
logout) revokes the token families it started, except those granted
offline_access, which OpenID Connect defines as outliving the sign-in; a
password change ends every session of the user and revokes all their tokens.
Either way the web apps are told (back-channel logout), and end theirs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared.db import utcnow
from subgraphs.federation import backchannel_logout, oauth_tokens
from subgraphs.federation.models import User
from subgraphs.federation.oauth_models import IssuedToken, LoginSession, secret_hash
from subgraphs.federation.oauth_policy import LOGIN_SESSION_LIFETIME

COOKIE = "roseash_sso"


@dataclass(frozen=True, slots=True)
class EndUser:
    """A signed-in user as authlib's grants see them: the user, and the login session their tokens belong to."""

    user: User
    session_id: str
    auth_time: datetime

    def get_user_id(self) -> str:
        return self.user.id


def start(db: Session, user: User) -> tuple[EndUser, str]:
    """A new login session for `user`, and the secret for the browser's cookie."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    row = LoginSession(
        secret_hash=secret_hash(secret),
        user_id=user.id,
        authenticated_at=now,
        expires_at=now + LOGIN_SESSION_LIFETIME,
    )
    db.add(row)
    db.flush()
    return EndUser(user=user, session_id=row.id, auth_time=now), secret


def current(db: Session, secret: str | None) -> EndUser | None:
    """The live session whose secret the browser presented, if any."""
    if not secret:
        return None
    row = db.scalar(select(LoginSession).where(LoginSession.secret_hash == secret_hash(secret)))
    if row is None or not _live(row):
        return None
    user = db.get(User, row.user_id)
    return EndUser(user=user, session_id=row.id, auth_time=row.authenticated_at) if user is not None else None


def is_live(db: Session, session_id: str) -> bool:
    row = db.get(LoginSession, session_id)
    return row is not None and _live(row)


def end(db: Session, session_ids: list[str]) -> None:
    if not session_ids:
        return
    ended = db.execute(
        update(LoginSession)
        .where(LoginSession.id.in_(session_ids), LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow())
        .returning(LoginSession.id, LoginSession.user_id)
    )
    backchannel_logout.announce(db, [(sid, owner) for sid, owner in ended])
    oauth_tokens.revoke_where(
        db, IssuedToken.login_session_id.in_(session_ids), ~IssuedToken.scope.contains("offline_access")
    )


def end_all_for_user(db: Session, user_id: str) -> None:
    """Sign `user_id` out everywhere and revoke all their tokens, offline ones too: their password changed."""
    ended = db.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow())
        .returning(LoginSession.id, LoginSession.user_id)
    )
    backchannel_logout.announce(db, [(sid, owner) for sid, owner in ended])
    oauth_tokens.revoke_where(db, IssuedToken.user_id == user_id)


def _live(row: LoginSession) -> bool:
    return row.ended_at is None and row.expires_at > utcnow()
