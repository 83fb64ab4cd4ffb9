"""The RSA keys that sign access and ID tokens: the one in use, the ones still published, rotation.

The newest key that is not retired signs. Rotating adds a key and retires the
others; a retired key stays in the JWKS until every token it signed has
expired (RETIRED_KEY_PUBLISHED), then rotation deletes it. The first key is
made on first need. Keys live in the database, which every process shares.

Like the rest of the OAuth machinery (authlib is synchronous), these take a
synchronous Session; async code calls them through `AsyncSession.run_sync`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from shared.db import utcnow
from subgraphs.federation.oauth_models import SigningKey
from subgraphs.federation.oauth_policy import RETIRED_KEY_PUBLISHED

ALGORITHM = "RS256"
_KEY_BITS = 2048
_PARAMETERS: dict[str, Any] = {"use": "sig", "alg": ALGORITHM}


@dataclass(frozen=True, slots=True)
class Rotation:
    kid: str
    retired: list[str]
    published_until: datetime


def active_key(db: Session) -> RSAKey:
    """The key to sign with now."""
    row = db.scalar(
        select(SigningKey)
        .where(SigningKey.retired_at.is_(None))
        .order_by(SigningKey.created_at.desc(), SigningKey.kid.desc())
        .limit(1)
    )
    return _load(row.kid, row.private_pem) if row is not None else _create(db)


def published_keys(db: Session) -> KeySet:
    """Every key a token of ours may still be signed with, private halves included; see `jwks` for the public set."""
    cutoff = utcnow() - RETIRED_KEY_PUBLISHED
    rows = db.scalars(
        select(SigningKey)
        .where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > cutoff))
        .order_by(SigningKey.created_at.desc(), SigningKey.kid.desc())
    ).all()
    keys = [_load(row.kid, row.private_pem) for row in rows] or [_create(db)]
    return KeySet(keys)


def jwks(db: Session) -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False) for key in published_keys(db).keys]}


def rotate(db: Session) -> Rotation:
    """Sign with a new key from now on; the others stay published until their tokens expire."""
    now = utcnow()
    db.execute(delete(SigningKey).where(SigningKey.retired_at <= now - RETIRED_KEY_PUBLISHED))
    retired = list(db.scalars(select(SigningKey.kid).where(SigningKey.retired_at.is_(None))).all())
    db.execute(update(SigningKey).where(SigningKey.retired_at.is_(None)).values(retired_at=now))
    key = _create(db)
    return Rotation(kid=str(key.kid), retired=retired, published_until=now + RETIRED_KEY_PUBLISHED)


def _create(db: Session) -> RSAKey:
    key = RSAKey.generate_key(_KEY_BITS, parameters=_PARAMETERS, private=True)
    kid = key.thumbprint()  # RFC 7638
    pem = key.as_pem(private=True).decode()
    db.add(SigningKey(kid=kid, private_pem=pem, created_at=utcnow()))
    db.flush()
    return _load(kid, pem)


@functools.lru_cache(maxsize=16)
def _load(kid: str, pem: str) -> RSAKey:
    # Parsing a private key checks it, which costs more than the signature it is for; keys never change.
    return RSAKey.import_key(pem, {"kid": kid, **_PARAMETERS})
