"""Navigation menus: named trees of links, replaced whole by an editor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Viewer
from shared.db import lock_for_transaction, new_id
from shared.errors import BadUserInput
from shared.validation import http_url, line
from subgraphs.blog.models import MenuItem
from subgraphs.blog.service import require_editor

MAX_DEPTH = 3
MAX_ITEMS = 100
MENU_NAME_LENGTH = 32


@dataclass(slots=True)
class Entry:
    """A menu item as editors give it and readers get it: label, link and children."""

    label: str
    url: str
    children: list[Entry] = field(default_factory=list)
    id: str | None = None


def _name(raw: str) -> str:
    name = raw.strip().lower()
    if not name or len(name) > MENU_NAME_LENGTH or not name.replace("-", "").isalnum():
        raise BadUserInput("a menu name is up to 32 letters, digits or hyphens, e.g. primary", field="name")
    return name


def _url(raw: str) -> str:
    url = raw.strip()
    # A path on our own site, or an absolute http(s) link; never "//host" or "/\host",
    # which browsers take to another site.
    if "\\" in url:
        raise BadUserInput("a menu link cannot contain a backslash", field="url")
    if url.startswith("/") and not url.startswith("//"):
        return line(url, field="url", label="a menu link", max_length=500)
    return http_url(url, field="url", label="a menu link that is not a /path")


async def menu(session: AsyncSession, name: str) -> list[Entry]:
    rows = (
        await session.scalars(select(MenuItem).where(MenuItem.menu == _name(name)).order_by(MenuItem.position))
    ).all()
    entries = {row.id: Entry(label=row.label, url=row.url, id=row.id) for row in rows}
    roots: list[Entry] = []
    for row in rows:
        parent = entries.get(row.parent_id) if row.parent_id else None
        (parent.children if parent else roots).append(entries[row.id])
    return roots


async def set_menu(session: AsyncSession, viewer: Viewer, name: str, items: Sequence[Entry]) -> list[Entry]:
    require_editor(viewer)
    menu_name = _name(name)
    rows: list[MenuItem] = []

    def add(entries: Sequence[Entry], parent: MenuItem | None, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise BadUserInput(f"menus nest at most {MAX_DEPTH} levels deep", field="items")
        for entry in entries:
            # Ids are given now so children can name their parent before anything is flushed.
            row = MenuItem(
                id=new_id(),
                menu=menu_name,
                label=line(entry.label, field="label", label="a menu label", max_length=100),
                url=_url(entry.url),
                position=len(rows),
                parent_id=parent.id if parent else None,
            )
            rows.append(row)
            if len(rows) > MAX_ITEMS:
                raise BadUserInput(f"a menu has at most {MAX_ITEMS} items", field="items")
            add(entry.children, row, depth + 1)

    add(items, None, 1)
    # Two editors saving the same menu at once would otherwise each delete only
    # the rows they can see, and the menu would end up with both sets.
    await lock_for_transaction(session, f"menu:{menu_name}")
    await session.execute(delete(MenuItem).where(MenuItem.menu == menu_name))
    session.add_all(rows)
    await session.flush()
    return await menu(session, menu_name)
