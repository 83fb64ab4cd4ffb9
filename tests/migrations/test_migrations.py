"""The one alembic history, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from migrations.runner import downgrade_async, upgrade_async
from roseash.services import import_models
from shared.db import Base, create_engine
from tests.conftest import Backend


async def tables(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def test_upgrade_downgrade_upgrade_round_trip(backend: Backend) -> None:
    import_models()
    expected = set(Base.metadata.tables)
    await upgrade_async(backend.database_url)
    assert await tables(backend.database_url) == expected
    await downgrade_async(backend.database_url, "base")
    assert await tables(backend.database_url) == set()
    await upgrade_async(backend.database_url)
    assert await tables(backend.database_url) == expected


async def test_upgrading_twice_is_a_no_op(backend: Backend) -> None:
    await upgrade_async(backend.database_url)
    await upgrade_async(backend.database_url)


async def test_migrations_match_the_models(backend: Backend) -> None:
    """A model changed without a migration (or the reverse) shows up here."""
    import_models()
    await upgrade_async(backend.database_url)
    engine = create_engine(backend.database_url)
    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata)
        )
    await engine.dispose()
    assert diff == []
