"""Posts in the blog subgraph: the editor's mutations by role, validation, concurrency, visibility and the outbox."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from shared.auth import Viewer
from shared.db import utcnow
from shared.errors import Conflict
from shared.outbox import ApActivity
from shared.resources import Resources
from subgraphs.blog import service
from subgraphs.blog.models import Kind
from subgraphs.blog.models import Post as PostRow
from subgraphs.blog.scheduler import publish_scheduled
from subgraphs.blog.schema import schema
from tests.subgraphs.graphql import admin, editor, execute, member

EDITOR = editor("e1")
FIELDS = "id slug title status version html excerpt readingTime publishedAt source tags { slug name } author { id }"
CREATE = f"mutation($input: ContentInput!) {{ createPost(input: $input) {{ {FIELDS} }} }}"
UPDATE = f"mutation($id: ID!, $v: Int!, $input: ContentInput!) {{ updatePost(id: $id, expectedVersion: $v, input: $input) {{ {FIELDS} }} }}"  # noqa: E501
PUBLISH = "mutation($id: ID!) { publishPost(id: $id) { status publishedAt version } }"
UNPUBLISH = "mutation($id: ID!) { unpublishPost(id: $id) { status publishedAt } }"
SCHEDULE = "mutation($id: ID!, $at: DateTime!) { schedulePost(id: $id, at: $at) { status publishedAt } }"
DELETE = "mutation($id: ID!) { deletePost(id: $id) { id } }"
BY_SLUG = "query($slug: String) { post(slug: $slug) { id title status } }"


async def run(resources: Resources, query: str, viewer: Viewer | None = None, **variables: Any) -> dict[str, Any]:
    if viewer is None:
        return await execute(schema, resources, query, **variables)
    return await execute(schema, resources, query, viewer, **variables)


async def create(resources: Resources, **fields: Any) -> dict[str, Any]:
    body = await run(resources, CREATE, EDITOR, input={"title": "A post", **fields})
    assert "errors" not in body, body
    return body["data"]["createPost"]


async def activities(resources: Resources) -> list[tuple[str, str]]:
    async with resources.sessions() as session:
        rows = (await session.scalars(select(ApActivity).order_by(ApActivity.id))).all()
    return [(row.verb, row.object_id) for row in rows]


async def count_posts(resources: Resources) -> int:
    async with resources.sessions() as session:
        return await session.scalar(select(func.count()).select_from(PostRow)) or 0


async def test_a_new_post_is_a_draft_with_derived_fields(resources: Resources) -> None:
    post = await create(
        resources, title="Crème brûlée, at last!", body="Hello **world**. " * 300, tags=["Food", "food ", "News"]
    )
    assert post["slug"] == "creme-brulee-at-last"
    assert post["status"] == "DRAFT"
    assert post["version"] == 1
    assert post["publishedAt"] is None
    assert "<strong>world</strong>" in post["html"]
    assert post["readingTime"] == 3
    assert post["excerpt"].startswith("Hello world. Hello world.")
    assert post["excerpt"].endswith("…")
    assert post["source"].startswith("Hello **world**")
    assert post["tags"] == [{"slug": "food", "name": "Food"}, {"slug": "news", "name": "News"}]
    assert post["author"] == {"id": "e1"}


async def test_slugs_are_unique_and_stay_when_the_title_changes(resources: Resources) -> None:
    first = await create(resources, title="Same title")
    second = await create(resources, title="Same title")
    assert (first["slug"], second["slug"]) == ("same-title", "same-title-2")
    renamed = await run(resources, UPDATE, EDITOR, id=first["id"], v=1, input={"title": "Another title"})
    assert renamed["data"]["updatePost"]["slug"] == "same-title"
    taken = await run(resources, UPDATE, EDITOR, id=first["id"], v=2, input={"slug": "same-title-2"})
    assert taken["errors"][0]["code"] == "CONFLICT"
    assert taken["errors"][0]["field"] == "slug"
    chosen = await run(resources, UPDATE, EDITOR, id=first["id"], v=2, input={"slug": "my-own-slug"})
    assert chosen["data"]["updatePost"]["slug"] == "my-own-slug"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 256}, "title"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"slug": "trailing-"}, "slug"),
        ({"excerpt": "x" * 301}, "excerpt"),
        ({"featureImage": "javascript:alert(1)"}, "featureImage"),
        ({"tags": ["ok", ""]}, "tags"),
        ({"tags": [f"tag {n}" for n in range(11)]}, "tags"),
    ],
)
async def test_bad_input_names_the_field_and_writes_nothing(
    resources: Resources, fields: dict[str, Any], field: str
) -> None:
    body = await run(resources, CREATE, EDITOR, input={"title": "Fine", **fields})
    [error] = body["errors"]
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", field)
    assert await count_posts(resources) == 0


async def test_a_title_is_required_to_create(resources: Resources) -> None:
    body = await run(resources, CREATE, EDITOR, input={"body": "text"})
    assert body["errors"][0]["field"] == "title"


@pytest.mark.parametrize(
    ("viewer", "code"),
    [(None, "UNAUTHENTICATED"), (member("m1"), "FORBIDDEN")],
)
async def test_only_editors_and_admins_change_posts(resources: Resources, viewer: Viewer | None, code: str) -> None:
    post = await create(resources)
    attempts = [
        (CREATE, {"input": {"title": "x"}}),
        (UPDATE, {"id": post["id"], "v": 1, "input": {"title": "y"}}),
        (PUBLISH, {"id": post["id"]}),
        (SCHEDULE, {"id": post["id"], "at": (utcnow() + timedelta(days=1)).isoformat()}),
        (UNPUBLISH, {"id": post["id"]}),
        (DELETE, {"id": post["id"]}),
    ]
    for query, variables in attempts:
        body = await run(resources, query, viewer, **variables)
        assert body["errors"][0]["code"] == code, query
    assert await count_posts(resources) == 1
    as_admin = await run(resources, PUBLISH, admin("a1"), id=post["id"])
    assert as_admin["data"]["publishPost"]["status"] == "PUBLISHED"


async def test_optimistic_concurrency_refuses_a_stale_edit(resources: Resources) -> None:
    post = await create(resources)
    first = await run(resources, UPDATE, EDITOR, id=post["id"], v=1, input={"title": "First editor"})
    assert first["data"]["updatePost"]["version"] == 2
    second = await run(resources, UPDATE, editor("e2"), id=post["id"], v=1, input={"title": "Second editor"})
    [error] = second["errors"]
    assert error["code"] == "CONFLICT"
    assert "version 2" in error["message"]
    found = await run(resources, BY_SLUG, EDITOR, slug=post["slug"])
    assert found["data"]["post"]["title"] == "First editor"


async def test_tag_changes_bump_the_version(resources: Resources) -> None:
    post = await create(resources, tags=["one"])
    changed = await run(resources, UPDATE, EDITOR, id=post["id"], v=1, input={"tags": ["two", "one"]})
    assert changed["data"]["updatePost"]["version"] == 2
    assert [t["slug"] for t in changed["data"]["updatePost"]["tags"]] == ["two", "one"]


async def test_drafts_are_for_editors_only(resources: Resources) -> None:
    post = await create(resources)
    assert (await run(resources, BY_SLUG, slug=post["slug"]))["data"]["post"] is None
    assert (await run(resources, BY_SLUG, member("m1"), slug=post["slug"]))["data"]["post"] is None
    assert (await run(resources, BY_SLUG, EDITOR, slug=post["slug"]))["data"]["post"]["status"] == "DRAFT"
    entities = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Post { title } } }"
    assert (await run(resources, entities, r=[{"__typename": "Post", "id": post["id"]}]))["data"]["_entities"] == [None]
    await run(resources, PUBLISH, EDITOR, id=post["id"])
    assert (await run(resources, BY_SLUG, slug=post["slug"]))["data"]["post"]["status"] == "PUBLISHED"
    by_slug = await run(resources, entities, r=[{"__typename": "Post", "slug": post["slug"]}])
    assert by_slug["data"]["_entities"] == [{"title": "A post"}]
    public = await run(resources, "query($slug: String) { post(slug: $slug) { source } }", slug=post["slug"])
    assert public["data"]["post"]["source"] is None


async def test_publishing_writes_the_outbox_in_the_same_transaction(resources: Resources) -> None:
    post = await create(resources)
    assert await activities(resources) == []
    published = await run(resources, PUBLISH, EDITOR, id=post["id"])
    assert published["data"]["publishPost"]["status"] == "PUBLISHED"
    again = await run(resources, PUBLISH, EDITOR, id=post["id"])
    assert again["data"]["publishPost"]["publishedAt"] == published["data"]["publishPost"]["publishedAt"]
    version = again["data"]["publishPost"]["version"]
    await run(resources, UPDATE, EDITOR, id=post["id"], v=version, input={"title": "Edited"})
    failed = await run(resources, UPDATE, EDITOR, id=post["id"], v=version, input={"title": "Stale"})
    assert failed["errors"][0]["code"] == "CONFLICT"
    await run(resources, UNPUBLISH, EDITOR, id=post["id"])
    await run(resources, UNPUBLISH, EDITOR, id=post["id"])  # a draft again: nothing to tell anyone
    await run(resources, DELETE, EDITOR, id=post["id"])
    assert await activities(resources) == [("Create", post["id"]), ("Update", post["id"]), ("Delete", post["id"])]


async def test_deleting_a_published_post_tells_the_fediverse(resources: Resources) -> None:
    post = await create(resources)
    await run(resources, PUBLISH, EDITOR, id=post["id"])
    assert (await run(resources, DELETE, EDITOR, id=post["id"]))["data"]["deletePost"] == {"id": post["id"]}
    assert await activities(resources) == [("Create", post["id"]), ("Delete", post["id"])]
    assert (await run(resources, DELETE, EDITOR, id=post["id"]))["errors"][0]["code"] == "NOT_FOUND"


async def test_scheduled_posts_go_public_when_due(resources: Resources) -> None:
    post = await create(resources)
    past = await run(resources, SCHEDULE, EDITOR, id=post["id"], at=(utcnow() - timedelta(minutes=1)).isoformat())
    assert past["errors"][0]["field"] == "at"
    soon = utcnow() + timedelta(hours=1)
    scheduled = await run(resources, SCHEDULE, EDITOR, id=post["id"], at=soon.isoformat())
    assert scheduled["data"]["schedulePost"]["status"] == "SCHEDULED"
    assert (await run(resources, BY_SLUG, slug=post["slug"]))["data"]["post"] is None
    assert await publish_scheduled(resources) == 0
    async with resources.sessions() as session, session.begin():
        row = await session.get(PostRow, post["id"])
        assert row is not None
        row.published_at = utcnow() - timedelta(seconds=1)  # the hour has passed
    assert await publish_scheduled(resources) == 1
    assert await publish_scheduled(resources) == 0
    assert (await run(resources, BY_SLUG, slug=post["slug"]))["data"]["post"]["status"] == "PUBLISHED"
    assert await activities(resources) == [("Create", post["id"])]
    cannot = await run(resources, SCHEDULE, EDITOR, id=post["id"], at=soon.isoformat())
    assert cannot["errors"][0]["code"] == "CONFLICT"


async def test_unknown_ids_are_not_found(resources: Resources) -> None:
    body = await run(resources, UPDATE, EDITOR, id="nope", v=1, input={"title": "x"})
    assert body["errors"][0]["code"] == "NOT_FOUND"
    page = await run(resources, 'mutation { createPage(input: {title: "About"}) { id } }', EDITOR)
    as_post = await run(resources, PUBLISH, EDITOR, id=page["data"]["createPage"]["id"])
    assert as_post["errors"][0]["code"] == "NOT_FOUND"


def test_sdl_declares_both_post_keys_and_contributes_user_posts() -> None:
    sdl = schema.execute_sync("{ _service { sdl } }").data["_service"]["sdl"]  # type: ignore[index]
    assert 'type Post @key(fields: "id") @key(fields: "slug")' in sdl
    assert 'type User @key(fields: "id")' in sdl
    assert "posts(first: Int! = 10, after: String = null): PostConnection!" in sdl
    assert "type PageInfo @shareable" in sdl


PAGE_MUTATIONS = (
    ('mutation { createPage(input: {title: "x"}) { id } }', False),
    ('mutation($id: ID!) { updatePage(id: $id, expectedVersion: 1, input: {title: "y"}) { id } }', True),
    ("mutation($id: ID!) { publishPage(id: $id) { id } }", True),
    ("mutation($id: ID!) { unpublishPage(id: $id) { id } }", True),
    ("mutation($id: ID!) { deletePage(id: $id) { id } }", True),
)


@pytest.mark.parametrize(("viewer", "code"), [(None, "UNAUTHENTICATED"), (member("m1"), "FORBIDDEN")])
async def test_only_editors_and_admins_change_pages(resources: Resources, viewer: Viewer | None, code: str) -> None:
    created = await run(resources, PAGE_MUTATIONS[0][0], EDITOR)
    page_id = created["data"]["createPage"]["id"]
    for query, takes_id in PAGE_MUTATIONS:
        body = await run(resources, query, viewer, **({"id": page_id} if takes_id else {}))
        assert body["errors"][0]["code"] == code, query
    for query, takes_id in PAGE_MUTATIONS[1:]:
        body = await run(resources, query, admin("a1"), **({"id": page_id} if takes_id else {}))
        assert "errors" not in body, (query, body)


async def test_two_editors_changing_tags_at_once_get_a_conflict_not_a_crash(resources: Resources) -> None:
    post = await create(resources, tags=["one"])
    async with resources.sessions() as first, resources.sessions() as second:
        await first.begin()
        await service.update(first, EDITOR, Kind.POST, post["id"], 1, service.Changes(tags=["two"]))

        async def later() -> None:
            async with second.begin():
                await service.update(second, editor("e2"), Kind.POST, post["id"], 1, service.Changes(tags=["three"]))

        racing = asyncio.create_task(later())
        await asyncio.sleep(0.2)  # the second editor now waits on the first's row
        await first.commit()
        with pytest.raises(Conflict):
            await racing
    found = await run(resources, BY_SLUG, EDITOR, slug=post["slug"])
    assert found["data"]["post"]["title"] == "A post"
    tags = await run(resources, "query($s: String) { post(slug: $s) { tags { name } } }", EDITOR, s=post["slug"])
    assert tags["data"]["post"]["tags"] == [{"name": "two"}]


async def test_each_mutation_in_one_request_answers_with_what_it_committed(resources: Resources) -> None:
    post = await create(resources, tags=["A"])
    body = await run(
        resources,
        'mutation($id: ID!) { b: updatePost(id: $id, expectedVersion: 1, input: {tags: ["B"]}) { tags { name } } '
        'c: updatePost(id: $id, expectedVersion: 2, input: {tags: ["C"]}) { tags { name } } }',
        EDITOR,
        id=post["id"],
    )
    assert body["data"] == {"b": {"tags": [{"name": "B"}]}, "c": {"tags": [{"name": "C"}]}}


async def test_an_update_that_changes_nothing_tells_no_one(resources: Resources) -> None:
    post = await create(resources, tags=["A"])
    await run(resources, PUBLISH, EDITOR, id=post["id"])
    version = (await run(resources, BY_SLUG, EDITOR, slug=post["slug"]))["data"]["post"]
    for _ in range(3):
        same = await run(resources, UPDATE, EDITOR, id=post["id"], v=2, input={"title": "A post", "tags": ["a"]})
        assert same["data"]["updatePost"]["version"] == 2, version
    assert await activities(resources) == [("Create", post["id"])]


async def test_tags_with_names_that_slug_alike_stay_distinct(resources: Resources) -> None:
    post = await create(resources, tags=["C++", "C#", "C", "日本", "中国"])
    assert [(t["slug"], t["name"]) for t in post["tags"]] == [
        ("c", "C++"),
        ("c-2", "C#"),
        ("c-3", "C"),
        ("日本", "日本"),
        ("中国", "中国"),
    ]
    again = await create(resources, title="Another", tags=["c#", "日本"])
    assert [t["slug"] for t in again["tags"]] == ["c-2", "日本"]


async def test_slugs_in_any_script_and_their_urls(resources: Resources) -> None:
    post = await create(resources, title="Ελληνική σαλάτα")
    assert post["slug"] == "ελληνικη-σαλατα"
    found = await run(resources, "query($s: String) { post(slug: $s) { url } }", EDITOR, s=post["slug"])
    assert found["data"]["post"]["url"].endswith("/blog/" + quote("ελληνικη-σαλατα") + "/")
    assert found["data"]["post"]["url"].isascii()


async def test_characters_a_database_or_feed_cannot_hold_are_dropped(resources: Resources) -> None:
    post = await create(resources, body="one\x00two\x0bthree", excerpt="ex\x00cerpt")
    assert post["source"] == "onetwothree"
    assert post["excerpt"] == "excerpt"


async def test_far_future_schedules_and_zone_less_cursors_are_bad_input(resources: Resources) -> None:
    post = await create(resources)
    far = await run(resources, SCHEDULE, EDITOR, id=post["id"], at="9999-12-31T23:59:59-05:00")
    assert far["errors"][0]["field"] == "at"
    cursor = base64.urlsafe_b64encode(b'["2024-01-01T00:00:00","abc"]').decode().rstrip("=")
    body = await run(resources, "query($a: String) { posts(after: $a) { edges { cursor } } }", a=cursor)
    assert body["errors"][0]["field"] == "after"
