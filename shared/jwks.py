"""The issuer's signing keys: its JWKS, fetched over HTTP, cached, and fetched again when a token names a new key.

Concurrent callers share one fetch. A token naming a key we lack triggers a
fetch (the issuer may have rotated its keys), but at most once per
`min_interval`, so a flood of made-up key ids cannot become a flood of
requests to the issuer. When a fetch fails, keys fetched earlier stay in use.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey, import_key

logger = logging.getLogger("roseash.auth")

Key = RSAKey | ECKey

# How long a fetched key set is trusted when the issuer's Cache-Control says nothing, and the bounds on what it may say.
DEFAULT_TTL = 600.0
MIN_TTL = 60.0
MAX_TTL = 86_400.0
MAX_BYTES = 512 * 1024
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:,|$)", re.IGNORECASE)


class KeysUnavailable(Exception):
    """No key set can be had: the fetch failed and none was fetched before. The message says why, for logs."""


class JWKS:
    """The keys at `url`; `transport` is how they are fetched (the network by default)."""

    def __init__(
        self,
        url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 5.0,
        min_interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.min_interval = min_interval
        self._transport = transport
        self._clock = clock
        self._client: httpx.AsyncClient | None = None  # created on the first fetch, with the transport then set
        self._keys: dict[str, Key] | None = None
        self._expires = 0.0
        self._attempted = -math.inf
        self._failure = ""
        self._fetching: asyncio.Task[None] | None = None

    def use_transport(self, transport: httpx.AsyncBaseTransport) -> None:
        """Fetch through `transport` (an app in this process, say) instead of the network; before the first fetch."""
        if self._client is not None:
            raise RuntimeError("the JWKS client is already in use")
        self._transport = transport

    async def key(self, kid: str) -> Key | None:
        """The key called `kid`, or None when the issuer publishes no such key; raises KeysUnavailable."""
        now = self._clock()
        if self._keys is None or now >= self._expires:
            if self._keys is None and now - self._attempted < self.min_interval:
                raise KeysUnavailable(self._failure)  # it failed a moment ago: do not hammer the issuer
            await self._refresh()
        if self._keys is None:
            raise KeysUnavailable(self._failure)
        key = self._keys.get(kid)
        if key is None and self._clock() - self._attempted >= self.min_interval:
            await self._refresh()
            key = self._keys.get(kid)
        return key

    async def close(self) -> None:
        if self._fetching is not None:
            self._fetching.cancel()
        if self._client is not None:
            await self._client.aclose()

    async def _refresh(self) -> None:
        if self._fetching is None:
            self._fetching = asyncio.create_task(self._fetch())
        # Shielded: a caller that goes away must not cancel the fetch the others wait on.
        await asyncio.shield(self._fetching)

    async def _fetch(self) -> None:
        """Fetch and install the key set; a failure is logged and recorded, never raised."""
        self._attempted = self._clock()
        try:
            if self._client is None:
                self._client = httpx.AsyncClient(transport=self._transport, follow_redirects=False)
            async with asyncio.timeout(self.timeout):
                body, cache_control = await self._download(self._client)
            keys = _parse(body)
        except Exception as exc:  # whatever went wrong, there are no new keys; the log says what
            reason = "timed out" if isinstance(exc, TimeoutError) else str(exc) or type(exc).__name__
            self._failure = f"cannot fetch the JWKS at {self.url}: {reason}"
            logger.warning("%s", self._failure)
            if self._keys is not None:
                self._expires = self._clock() + self.min_interval  # the stale keys serve until the next attempt
            return
        finally:
            self._fetching = None
        self._keys = keys
        self._expires = self._clock() + _ttl(cache_control)

    async def _download(self, client: httpx.AsyncClient) -> tuple[bytes, str]:
        headers = {"accept": "application/jwk-set+json, application/json"}
        async with client.stream("GET", self.url, headers=headers, timeout=self.timeout) as response:
            if response.status_code != 200:
                raise ValueError(f"HTTP {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise ValueError(f"larger than {MAX_BYTES} bytes")
            return bytes(body), response.headers.get("cache-control", "")


def _parse(body: bytes) -> dict[str, Key]:
    """The signing keys of a JWKS document by key id; keys we cannot use are left out (RFC 7517 section 5)."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ValueError("the body is not JSON") from None
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError('the body is not a JWK set: no "keys" list')
    keys: dict[str, Key] = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("kty") not in ("RSA", "EC") or entry.get("use", "sig") != "sig":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid:
            continue  # tokens name their key, so a key without a name could never be chosen
        try:
            key = import_key(entry)
        except (JoseError, ValueError, TypeError) as exc:
            logger.warning("ignoring JWKS key %r: %s", kid, exc)
            continue
        assert isinstance(key, RSAKey | ECKey)
        keys[kid] = key
    return keys


def _ttl(cache_control: str) -> float:
    lowered = cache_control.lower()
    if "no-store" in lowered or "no-cache" in lowered:
        return MIN_TTL
    match = _MAX_AGE.search(cache_control)
    if match is None:
        return DEFAULT_TTL
    return min(max(float(match[1]), MIN_TTL), MAX_TTL)


class InvalidJWT(Exception):
    """The token is not a JWT signed by one of the issuer's keys; the message says why, for logs."""


# Asymmetric only: never `none`, never an HMAC that a public key could be abused to forge.
ALGORITHMS = ("RS256", "ES256")
_REGISTRY = jws.JWSRegistry(algorithms=list(ALGORITHMS), strict_check_header=False)


async def verified_claims(token: str, keys: JWKS, types: frozenset[str], *, typ_required: bool) -> dict[str, Any]:
    """The claims of `token` once its signature verifies with the issuer's key it names.

    `types` are the header `typ` values accepted (lowercase); without `typ_required`
    a token may also leave `typ` out. Raises InvalidJWT, or KeysUnavailable when the
    keys cannot be fetched. The claims themselves are the caller's to check.
    """
    try:
        signed = jws.extract_compact(token.encode(), registry=_REGISTRY)
    except (JoseError, ValueError) as exc:
        raise InvalidJWT(f"not a compact JWS: {exc}") from None
    header = signed.headers()
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise InvalidJWT(f"algorithm {algorithm!r} is not accepted (only {', '.join(ALGORITHMS)})")
    kind = header.get("typ")
    if (kind is not None or typ_required) and (not isinstance(kind, str) or kind.lower() not in types):
        raise InvalidJWT(f"typ {kind!r} is not one of {', '.join(sorted(types))}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidJWT("the header names no key (kid)")
    key = await keys.key(kid)
    if key is None:
        raise InvalidJWT(f"the issuer publishes no key {kid!r}")
    try:
        verified = jws.validate_compact(signed, key, registry=_REGISTRY)
    except JoseError as exc:
        raise InvalidJWT(f"key {kid!r} cannot check this token: {exc}") from None
    if not verified:
        raise InvalidJWT(f"the signature does not verify with key {kid!r}")
    try:
        claims = orjson.loads(signed.payload or b"")
    except orjson.JSONDecodeError:
        raise InvalidJWT("the payload is not JSON") from None
    if not isinstance(claims, dict):
        raise InvalidJWT("the payload is not a JSON object")
    return claims
