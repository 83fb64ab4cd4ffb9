"""Newsletters: created and changed by admins, listed with cursors, resolved as federation entities."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from shared.auth import ANONYMOUS, Viewer
from shared.resources import Resources
from tests.subgraphs.account.newsletter_support import (
    ADMIN,
    CREATE,
    UPDATE,
    create_newsletter,
    error_of,
    run,
    table_counts,
)
from tests.subgraphs.graphql import editor, member

LIST = """query($first: Int!, $after: String) {
  newsletters(first: $first, after: $after) { edges { cursor node { name } } pageInfo { hasNextPage endCursor } }
}"""
ENTITIES = """query($r: [_Any!]!) {
  _entities(representations: $r) { ... on Newsletter { id name cadence } }
}"""


async def test_an_admin_creates_and_changes_a_newsletter(resources: Resources) -> None:
    created = await run(
        resources,
        CREATE,
        ADMIN,
        input={"name": " Weekly digest ", "cadence": "WEEKLY", "description": " Posts.\nEvery Friday. "},
    )
    newsletter = created["data"]["createNewsletter"]
    assert newsletter["name"] == "Weekly digest"
    assert newsletter["description"] == "Posts.\nEvery Friday."
    assert newsletter["cadence"] == "WEEKLY"
    assert newsletter["subscriberCount"] == 0
    assert len(newsletter["id"]) == 32
    changed = await run(resources, UPDATE, ADMIN, input={"id": newsletter["id"], "cadence": "FORTNIGHTLY"})
    assert changed["data"]["updateNewsletter"] == {
        "id": newsletter["id"],
        "name": "Weekly digest",
        "description": "Posts.\nEvery Friday.",
        "cadence": "FORTNIGHTLY",
    }


@pytest.mark.parametrize(
    ("viewer", "code"),
    [(ANONYMOUS, "UNAUTHENTICATED"), (member("m1"), "FORBIDDEN"), (editor("e1"), "FORBIDDEN")],
    ids=["anonymous", "member", "editor"],
)
async def test_only_admins_create_or_change_newsletters(resources: Resources, viewer: Viewer, code: str) -> None:
    newsletter_id = await create_newsletter(resources)
    before = await table_counts(resources)
    created = await run(resources, CREATE, viewer, input={"name": "Another", "cadence": "MONTHLY"})
    changed = await run(resources, UPDATE, viewer, input={"id": newsletter_id, "name": "Renamed"})
    assert error_of(created)["code"] == code
    assert error_of(changed)["code"] == code
    assert await table_counts(resources) == before
    listed = await run(resources, LIST, first=10)
    assert [e["node"]["name"] for e in listed["data"]["newsletters"]["edges"]] == ["Weekly digest"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Tab\there"}, "name"),
        ({"name": "Nul\x00here"}, "name"),
        ({"description": "x" * 2001}, "description"),
        ({"description": "Nul\x00here"}, "description"),
        ({"description": "Lone \udc00 surrogate"}, "description"),
    ],
)
async def test_bad_input_names_the_field_and_writes_nothing(
    resources: Resources, change: dict[str, str], field: str
) -> None:
    newsletter_id = await create_newsletter(resources)
    before = await table_counts(resources)
    created = await run(resources, CREATE, ADMIN, input={"name": "Another", "cadence": "MONTHLY", **change})
    changed = await run(resources, UPDATE, ADMIN, input={"id": newsletter_id, "cadence": "MONTHLY", **change})
    for body in (created, changed):
        assert (error_of(body)["code"], error_of(body)["field"]) == ("BAD_USER_INPUT", field)
    assert await table_counts(resources) == before
    unchanged = await run(resources, "query($id: ID!) { newsletter(id: $id) { cadence } }", id=newsletter_id)
    assert unchanged["data"]["newsletter"]["cadence"] == "WEEKLY"


async def test_names_are_unique_and_unknown_newsletters_are_not_found(resources: Resources) -> None:
    await create_newsletter(resources, "Weekly digest")
    other = await create_newsletter(resources, "Co-op monthly", "MONTHLY")
    duplicate = await run(resources, CREATE, ADMIN, input={"name": "Weekly digest", "cadence": "MONTHLY"})
    renamed = await run(resources, UPDATE, ADMIN, input={"id": other, "name": "Weekly digest"})
    for body in (duplicate, renamed):
        assert (error_of(body)["code"], error_of(body)["field"]) == ("CONFLICT", "name")
    # Keeping its own name is not a clash.
    same = await run(resources, UPDATE, ADMIN, input={"id": other, "name": "Co-op monthly"})
    assert same["data"]["updateNewsletter"]["name"] == "Co-op monthly"
    missing = await run(resources, UPDATE, ADMIN, input={"id": "0" * 32, "name": "Nobody"})
    assert error_of(missing)["code"] == "NOT_FOUND"
    assert (await run(resources, '{ newsletter(id: "nope") { id } }'))["data"] == {"newsletter": None}


async def test_the_list_pages_with_opaque_cursors(resources: Resources) -> None:
    for name in ("First", "Second", "Third"):
        await create_newsletter(resources, name)
    page = (await run(resources, LIST, first=2))["data"]["newsletters"]
    assert [e["node"]["name"] for e in page["edges"]] == ["Third", "Second"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = (await run(resources, LIST, first=2, after=page["pageInfo"]["endCursor"]))["data"]["newsletters"]
    assert [e["node"]["name"] for e in rest["edges"]] == ["First"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert error_of(await run(resources, LIST, first=2, after="not-a-cursor"))["field"] == "after"
    assert error_of(await run(resources, LIST, first=0))["field"] == "first"


@pytest.fixture
def statements(resources: Resources) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(resources.engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(resources.engine.sync_engine, "before_cursor_execute", record)


async def test_entities_resolve_in_one_query(resources: Resources, statements: list[str]) -> None:
    ids = [await create_newsletter(resources, name) for name in ("One", "Two", "Three")]
    statements.clear()
    representations = [{"__typename": "Newsletter", "id": i} for i in [*ids, "unknown"]]
    body = await run(resources, ENTITIES, r=representations)
    assert [e and e["name"] for e in body["data"]["_entities"]] == ["One", "Two", "Three", None]
    assert len([s for s in statements if "FROM newsletters" in s]) == 1
