"""Relay connections: the list shape every subgraph uses, with opaque cursors from shared.pagination."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry

from shared.pagination import Page

T = TypeVar("T")


# Every subgraph declares the same PageInfo, so composition needs it shareable.
@strawberry.federation.type(shareable=True)
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo


def connection(page: Page[Any], node: Callable[[Any], T]) -> Connection[T]:
    """A page of rows as a connection, each row made into its GraphQL type by `node`."""
    return Connection(
        edges=[Edge(cursor=cursor, node=node(row)) for row, cursor in zip(page.items, page.cursors, strict=True)],
        page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
    )
