"""Issued tokens: JWT access tokens (RFC 9068), their records, finding one again, revoking families.

Access tokens are verified by anyone holding our JWKS, without asking us, so
a revoked one works elsewhere until it expires (ten minutes); introspection
and our userinfo endpoint consult the record, which knows. Refresh tokens are
random strings, stored hashed beside the access token issued with them.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from shared.db import utcnow
from subgraphs.federation.oauth_models import IssuedToken, secret_hash
from subgraphs.federation.oauth_policy import ACCESS_TOKEN_LIFETIME, REFRESH_TOKEN_LIFETIME
from subgraphs.federation.signing_keys import ALGORITHM

if TYPE_CHECKING:
    from subgraphs.federation.login_sessions import EndUser

logger = logging.getLogger("roseash.oauth")

TokenKind = Literal["access_token", "refresh_token"]


class AccessTokens(JWTBearerTokenGenerator):
    """authlib's RFC 9068 generator with our audience and claims: `roles` and `sid` in tokens for a user.

    The claims are those the platform's verifiers expect: iss, sub (the user's
    id, or for client credentials the client's), aud, exp, iat, jti,
    client_id, scope, and for users roles and sid; header typ at+jwt and kid.
    """

    def __init__(self, issuer: str, audience: str, signing_key: Callable[[], RSAKey]) -> None:
        super().__init__(
            issuer,
            alg=ALGORITHM,
            refresh_token_generator=_new_refresh_token,
            expires_generator=int(ACCESS_TOKEN_LIFETIME.total_seconds()),
        )
        self._audience = audience
        self._signing_key = signing_key

    def get_jwks(self) -> KeySet:
        # A set of one: joserfc then names the key in the header's kid.
        return KeySet([self._signing_key()])

    def get_audiences(self, client: ClientMixin, user: EndUser | None, scope: str) -> str:
        return self._audience

    def get_extra_claims(
        self, client: ClientMixin, grant_type: str, user: EndUser | None, scope: str
    ) -> dict[str, Any]:
        if user is None:
            return {}
        return {"roles": list(user.user.roles), "sid": user.session_id}


def _new_refresh_token(**_: Any) -> str:
    return secrets.token_urlsafe(32)


def record(
    db: Session, token: dict[str, Any], key: RSAKey, *, client_id: str, family_id: str, end_user: EndUser | None
) -> IssuedToken:
    """Keep what a token response issued: the access token by its jti, the refresh token by its hash."""
    claims = jwt.decode(token["access_token"], key, algorithms=[ALGORITHM]).claims
    refresh = token.get("refresh_token")
    issued_at = datetime.fromtimestamp(claims["iat"], tz=UTC)
    row = IssuedToken(
        jti=claims["jti"],
        family_id=family_id,
        client_id=client_id,
        user_id=end_user.user.id if end_user else None,
        login_session_id=end_user.session_id if end_user else None,
        auth_time=end_user.auth_time if end_user else None,
        scope=claims.get("scope") or "",
        issued_at=issued_at,
        expires_at=datetime.fromtimestamp(claims["exp"], tz=UTC),
        refresh_hash=secret_hash(refresh) if refresh else None,
        refresh_expires_at=issued_at + REFRESH_TOKEN_LIFETIME if refresh else None,
    )
    db.add(row)
    db.flush()
    return row


@dataclass(frozen=True, slots=True)
class TokenView(TokenMixin):
    """One of a record's two tokens, as authlib's endpoints ask about it."""

    row: IssuedToken
    kind: TokenKind

    @property
    def expires_at(self) -> datetime:
        if self.kind == "access_token":
            return self.row.expires_at
        return self.row.refresh_expires_at or self.row.expires_at

    def check_client(self, client: ClientMixin) -> bool:
        return self.row.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.expires_at - utcnow()).total_seconds()))

    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        # A rotated refresh token is spent: presenting it again is reuse.
        spent = self.kind == "refresh_token" and self.row.refresh_used_at is not None
        return self.row.revoked_at is not None or spent


def find(db: Session, keys: KeySet, token: str, hint: str | None) -> TokenView | None:
    """The record of `token`, whichever kind it is; `hint` says which to try first."""
    order: tuple[TokenKind, ...] = (
        ("refresh_token", "access_token") if hint == "refresh_token" else ("access_token", "refresh_token")
    )
    for kind in order:
        row = _find_refresh(db, token) if kind == "refresh_token" else _find_access(db, keys, token)
        if row is not None:
            return TokenView(row, kind)
    return None


def _find_refresh(db: Session, token: str) -> IssuedToken | None:
    return db.scalar(select(IssuedToken).where(IssuedToken.refresh_hash == secret_hash(token)))


def _find_access(db: Session, keys: KeySet, token: str) -> IssuedToken | None:
    try:
        claims = jwt.decode(token, keys, algorithms=[ALGORITHM]).claims
    except (JoseError, ValueError):  # not a JWT, not signed by a key of ours
        return None
    jti = claims.get("jti")
    return db.get(IssuedToken, jti) if isinstance(jti, str) else None


def revoke_where(db: Session, *conditions: ColumnElement[bool]) -> None:
    """Revoke every family with a token matching all `conditions`: refresh tokens stop working, records say so."""
    families = select(IssuedToken.family_id).where(*conditions)
    # Rows already loaded keep their old revoked_at: nothing reads them again in the request that revokes.
    db.execute(
        update(IssuedToken)
        .where(IssuedToken.family_id.in_(families), IssuedToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def revoke_family(db: Session, family_id: str, reason: str) -> None:
    logger.warning("revoking token family %s: %s", family_id, reason)
    revoke_where(db, IssuedToken.family_id == family_id)
