"""Cursor pagination for Relay connections: opaque cursors over a stable (sort key, id) order."""

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


def encode_cursor(key: Any, row_id: str) -> str:
    value = key.isoformat() if isinstance(key, datetime) else key
    return base64.urlsafe_b64encode(orjson.dumps([value, row_id])).decode().rstrip("=")


def decode_cursor(cursor: str, key_type: type) -> tuple[Any, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key, row_id = orjson.loads(base64.urlsafe_b64decode(padded))
        if key_type is datetime:
            key = datetime.fromisoformat(key)
            if key.tzinfo is None:  # ours always carry a zone
                raise ValueError(key)
        elif not isinstance(key, key_type):
            raise TypeError(key)
        return key, str(row_id)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise BadUserInput("the cursor is not one this API gave out", field="after") from None


def check_first(first: int) -> None:
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE}", field="first")


async def paginate(
    session: AsyncSession,
    statement: Select[Any],
    order: InstrumentedAttribute[Any],
    row_id: InstrumentedAttribute[str],
    first: int,
    after: str | None,
    *,
    descending: bool = True,
) -> Page[Any]:
    """Rows by `order` then id (newest first by default); `after` continues from an earlier page's cursor.

    `order` must not be null in the rows the statement selects.
    """
    check_first(first)
    if after is not None:
        key, last_id = decode_cursor(after, order.type.python_type)
        if descending:
            statement = statement.where(or_(order < key, and_(order == key, row_id < last_id)))
        else:
            statement = statement.where(or_(order > key, and_(order == key, row_id > last_id)))
    ordering = (order.desc(), row_id.desc()) if descending else (order.asc(), row_id.asc())
    rows = list((await session.scalars(statement.order_by(*ordering).limit(first + 1))).all())
    items = rows[:first]
    return Page(
        items=items,
        cursors=[encode_cursor(getattr(r, order.key), getattr(r, row_id.key)) for r in items],
        has_next=len(rows) > first,
    )
