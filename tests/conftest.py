"""Backends for the whole suite.

Every test that takes `backend` runs on the embedded default (SQLite, memory
cache) and, when DATABASE_URL and REDIS_URL point at real servers (as .ci/run
sets them), again on PostgreSQL and Redis. Each PostgreSQL test gets a fresh
database of its own, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from migrations.runner import upgrade_async
from roseash.services import register_contracts
from shared.cache import RedisCache
from shared.config import Settings, load_settings, normalise_database_url
from shared.resources import Resources

# Every process the platform runs registers the domains' contracts at start; so does the suite.
register_contracts()

SERVER_DATABASE_URL = os.environ.get("DATABASE_URL", "")
SERVER_REDIS_URL = os.environ.get("REDIS_URL", "")
HAS_SERVERS = SERVER_DATABASE_URL.startswith(("postgresql", "postgres")) and bool(SERVER_REDIS_URL)


@dataclass(frozen=True)
class Backend:
    name: str
    database_url: str
    redis_url: str | None
    var_dir: Path

    def environ(self) -> dict[str, str]:
        """Environment for a `roseash` subprocess on this backend."""
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update(DATABASE_URL=self.database_url, VAR_DIR=str(self.var_dir), LOG_FORMAT="text")
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return env

    def settings(self) -> Settings:
        return load_settings(self.environ())


async def _admin_connection() -> asyncpg.Connection:
    url = make_url(normalise_database_url(SERVER_DATABASE_URL)).set(drivername="postgresql")
    return await asyncpg.connect(url.render_as_string(hide_password=False))


@pytest.fixture(
    params=[
        pytest.param("embedded", id="sqlite"),
        pytest.param(
            "servers",
            id="postgresql",
            marks=pytest.mark.skipif(not HAS_SERVERS, reason="DATABASE_URL/REDIS_URL name no servers"),
        ),
    ]
)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "embedded":
        yield Backend("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'test.db'}", None, tmp_path)
        return
    name = f"roseash_test_{uuid.uuid4().hex[:12]}"
    admin = await _admin_connection()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = make_url(normalise_database_url(SERVER_DATABASE_URL))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        yield Backend("postgresql", url, SERVER_REDIS_URL, tmp_path)
    finally:
        admin = await _admin_connection()
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


# Migrating once per run and copying the result for each test is several times
# faster than migrating every test's database: backend name -> the migrated template.
_TEMPLATES: dict[str, str] = {}


async def migrate(backend: Backend) -> None:
    """Turn the backend's empty database into a copy of one migrated to the head."""
    target = make_url(backend.database_url).database or ""
    if backend.name == "sqlite":
        template = _TEMPLATES.get("sqlite")
        if template is None:
            template = str(Path(tempfile.mkdtemp(prefix="roseash-template-")) / "template.db")
            await upgrade_async(f"sqlite+aiosqlite:///{template}")
            _TEMPLATES["sqlite"] = template
        # The backup API copies a consistent database whatever is still in the WAL.
        with (
            contextlib.closing(sqlite3.connect(template)) as source,
            contextlib.closing(sqlite3.connect(target)) as copy,
        ):
            source.backup(copy)
        return
    template = _TEMPLATES.get("postgresql")
    if template is None:
        template = f"roseash_template_{uuid.uuid4().hex[:12]}"
        admin = await _admin_connection()
        try:
            await admin.execute(f'CREATE DATABASE "{template}"')
        finally:
            await admin.close()
        await upgrade_async(make_url(backend.database_url).set(database=template).render_as_string(hide_password=False))
        _TEMPLATES["postgresql"] = template
    admin = await _admin_connection()
    try:
        await admin.execute(f'DROP DATABASE "{target}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{target}" TEMPLATE "{template}"')
    finally:
        await admin.close()


def pytest_sessionfinish(session: pytest.Session) -> None:
    template = _TEMPLATES.pop("postgresql", None)
    if template is None:
        return

    async def drop() -> None:
        admin = await _admin_connection()
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        finally:
            await admin.close()

    asyncio.run(drop())


@pytest.fixture
async def resources(backend: Backend) -> AsyncIterator[Resources]:
    """Open resources on a migrated database; the Redis keys live under a per-test prefix."""
    await migrate(backend)
    opened = Resources.open(backend.settings())
    if backend.redis_url:
        await opened.cache.close()
        opened.cache = RedisCache(backend.redis_url, prefix=f"test:{uuid.uuid4().hex}:")
    try:
        yield opened
    finally:
        await opened.close()
