"""The tokens in newsletter links: random, and stored only as a hash, so a database leak opens no links."""

from __future__ import annotations

import hashlib
import secrets

# The longest token a link may carry; anything longer is not one of ours and is not hashed.
MAX_TOKEN = 128


def new_token() -> tuple[str, str]:
    """A fresh token and its hash."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
