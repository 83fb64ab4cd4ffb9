"""Cursor pagination for Relay connections: opaque cursors over a stable (created_at, id) order."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson
from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from shared.errors import BadUserInput

T = TypeVar("T")
MAX_PAGE = 100


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    cursors: Sequence[str]
    has_next: bool

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None


def encode_cursor(created_at: datetime, row_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([created_at.isoformat(), row_id])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, row_id = orjson.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(stamp), str(row_id)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise BadUserInput("the cursor is not one this API gave out", field="after") from None


async def paginate(
    session: AsyncSession,
    statement: Select[Any],
    created_at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[str],
    first: int,
    after: str | None,
) -> Page[Any]:
    """Newest first; `after` continues from a cursor of an earlier page."""
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE}", field="first")
    if after is not None:
        stamp, last_id = decode_cursor(after)
        statement = statement.where(or_(created_at < stamp, and_(created_at == stamp, row_id < last_id)))
    rows = list((await session.scalars(statement.order_by(created_at.desc(), row_id.desc()).limit(first + 1))).all())
    items = rows[:first]
    return Page(
        items=items,
        cursors=[encode_cursor(getattr(r, created_at.key), getattr(r, row_id.key)) for r in items],
        has_next=len(rows) > first,
    )
