"""The instance keypair, made on first use and kept in the database, and RSA keypairs for actors.

The blog, market, events and instance actors all publish the public half of
this one pair (each under its own key id) and sign with its private half.
The database is the one place it lives, so every process signs with the same
key and no key is ever in the repository or the environment.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub.keys import load_private_key, public_key_pem
from activitypub.models import InstanceKey

ROW_ID = "instance"
# What Mastodon generates for its accounts; every peer verifies it.
KEY_BITS = 2048


@dataclass(frozen=True, slots=True)
class KeyPair:
    private_key: rsa.RSAPrivateKey
    public_key_pem: str


def generate_keypair_pems() -> tuple[str, str]:
    """A new RSA keypair as (PKCS#8 private PEM, SubjectPublicKeyInfo public PEM). Takes a moment of CPU."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return private, public_key_pem(key)


def load_keypair(private_pem: str, public_pem: str) -> KeyPair:
    key = load_private_key(private_pem)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("an actor key must be RSA: draft-cavage signatures, which every peer reads, need one")
    return KeyPair(private_key=key, public_key_pem=public_pem)


class InstanceKeys:
    """The pair, loaded once per process; the first process to need it makes it."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._pair: KeyPair | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> KeyPair:
        if self._pair is None:
            async with self._lock:
                if self._pair is None:
                    self._pair = await self._load_or_create()
        return self._pair

    async def _load_or_create(self) -> KeyPair:
        async with self._sessions() as session:
            row = await session.get(InstanceKey, ROW_ID)
            if row is None:
                private_pem, public_pem = await asyncio.to_thread(generate_keypair_pems)
                session.add(InstanceKey(id=ROW_ID, private_key_pem=private_pem, public_key_pem=public_pem))
                try:
                    await session.commit()
                except IntegrityError:  # another process made it a moment ago: theirs is the one
                    await session.rollback()
                    row = await session.get(InstanceKey, ROW_ID)
                    assert row is not None
                else:
                    return load_keypair(private_pem, public_pem)
            return load_keypair(row.private_key_pem, row.public_key_pem)
