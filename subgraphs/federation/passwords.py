"""Password hashing with scrypt: a salt per password, the parameters stored beside the hash.

A stored hash reads `scrypt$n$r$p$salt$hash` (salt and hash base64), so
raising the cost later leaves old hashes verifiable; `needs_rehash` says
when one should be replaced at the next sign-in. Hashing costs about 0.1 s of
CPU by design, so the async callers run it in a thread.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import secrets

from shared.errors import BadUserInput

# n=2**15, r=8, p=1: 32 MiB and about 0.1 s per hash on our machines.
N, R, P = 2**15, 8, 1
_SALT_BYTES = 16
_HASH_BYTES = 32
MIN_LENGTH = 8
MAX_LENGTH = 256


def check_new_password(password: str, *, field: str = "password") -> str:
    """Length is the only rule (NIST SP 800-63B): 8 to 256 characters, any characters at all."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise BadUserInput(f"a password must be {MIN_LENGTH} to {MAX_LENGTH} characters long", field=field)
    return password


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, N, R, P)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches `stored`, compared in constant time; a malformed `stored` matches nothing."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
        return hmac.compare_digest(digest, _unb64(expected))
    except ValueError:
        return False


def needs_rehash(stored: str) -> bool:
    return not stored.startswith(f"scrypt${N}${R}${P}$")


@functools.cache
def dummy_hash() -> str:
    """Verified against when there is no account or no password, so a wrong name takes as long as a wrong password."""
    return hash_password(secrets.token_urlsafe(16))


async def hash_password_async(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password: str, stored: str) -> bool:
    return await asyncio.to_thread(verify_password, password, stored)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # maxmem covers 128 * n * r bytes with room to spare; hashlib's default (32 MiB) is just short of n=2**15.
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r, dklen=_HASH_BYTES)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)
