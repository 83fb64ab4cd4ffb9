import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table, insert, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from shared.db import NAMING_CONVENTION, UTCDateTime, check_database, create_engine, describe_url
from shared.resources import Resources
from tests.conftest import Backend


async def test_sqlite_pragmas_are_on(tmp_path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'x.db'}")
    async with engine.connect() as connection:
        assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
    await engine.dispose()


async def test_foreign_keys_are_enforced(backend: Backend) -> None:
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    parent = Table("parent", metadata, Column("id", Integer, primary_key=True))
    child = Table(
        "child",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("parent_id", ForeignKey("parent.id")),
    )
    engine = create_engine(backend.database_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(insert(child).values(id=1, parent_id=99))
    # The naming convention names the constraint, so migrations can drop it by name.
    assert {c.name for c in child.foreign_key_constraints} == {"fk_child_parent_id_parent"}
    assert parent.primary_key.name == "pk_parent"
    await engine.dispose()


async def test_timestamps_come_back_aware_and_in_utc(backend: Backend) -> None:
    metadata = MetaData()
    table = Table("stamps", metadata, Column("id", Integer, primary_key=True), Column("at", UTCDateTime))
    engine = create_engine(backend.database_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        plus_two = datetime(2026, 3, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
        await connection.execute(insert(table).values(id=1, at=plus_two))
        stored = (await connection.execute(select(table.c.at))).scalar_one()
    assert stored == datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    assert stored.utcoffset() == timedelta(0)
    with pytest.raises(StatementError, match="naive datetime"):
        async with engine.begin() as connection:
            await connection.execute(insert(table).values(id=2, at=datetime(2026, 3, 1)))
    await engine.dispose()


async def test_check_database_passes_on_a_live_database(resources: Resources) -> None:
    await check_database(resources.engine)


async def test_check_database_fails_on_an_unreachable_one() -> None:
    engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    with pytest.raises(OSError, match="Connect call failed"):
        await check_database(engine, seconds=3)
    await engine.dispose()


def test_describe_url_hides_the_password() -> None:
    assert "hunter2" not in describe_url("postgresql+asyncpg://u:hunter2@db/app")


async def test_one_session_takes_concurrent_operations_in_turn(resources: Resources) -> None:
    # GraphQL resolves sibling fields concurrently on the request's one session; asyncpg
    # refuses overlapping operations on a connection unless the session queues them.
    async with resources.sessions() as session:
        results = await asyncio.gather(*(session.scalar(text(f"SELECT {n}")) for n in range(20)))
    assert results == list(range(20))
