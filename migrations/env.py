"""Alembic environment: async engine, batch mode on SQLite, the URL from shared.config."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from roseash.services import import_models
from shared.config import load_settings
from shared.db import Base, UTCDateTime, create_engine

config = context.config
import_models()
target_metadata = Base.metadata


def _database_url() -> str:
    return config.attributes.get("database_url") or load_settings().database_url


def _render_item(kind: str, obj: object, autogen_context: object) -> str | bool:
    # Migrations stay plain SQLAlchemy: our UTC type is a DateTime with a zone.
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds tables.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_engine(_database_url(), pool_size=1)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
