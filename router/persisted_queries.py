"""Automatic persisted queries: clients send a query's SHA-256 instead of its text once the router knows it.

The protocol Apollo Client and others speak: `extensions.persistedQuery =
{version: 1, sha256Hash}`. A hash the router does not know is answered with
PERSISTED_QUERY_NOT_FOUND, and the client sends the text with the hash, which
is checked and stored in the shared cache (Redis in production, so every router
process learns it once).
"""

from __future__ import annotations

import hashlib
from typing import Any

from shared.cache import Cache

TTL_SECONDS = 7 * 24 * 3600


class PersistedQueryError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class PersistedQueries:
    def __init__(self, cache: Cache, max_bytes: int) -> None:
        self.cache = cache
        self.max_bytes = max_bytes

    async def resolve(self, query: str | None, extensions: Any) -> str | None:
        """The query text to run: as sent, or looked up by hash. None when no query was given at all."""
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if persisted is None:
            return query
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise PersistedQueryError("PERSISTED_QUERY_NOT_SUPPORTED", "only persisted query version 1 is supported")
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or len(digest) != 64:
            raise PersistedQueryError("BAD_REQUEST", "persistedQuery.sha256Hash must be a SHA-256 hex digest")
        key = f"apq:{digest.lower()}"
        if query is None:
            stored = await self.cache.get(key)
            if stored is None:
                raise PersistedQueryError("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
            return stored.decode()
        if hashlib.sha256(query.encode()).hexdigest() != digest.lower():
            raise PersistedQueryError("BAD_REQUEST", "provided sha does not match query")
        if len(query.encode()) <= self.max_bytes:
            await self.cache.set(key, query.encode(), ttl=TTL_SECONDS)
        return query
