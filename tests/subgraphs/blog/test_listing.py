"""Lists in the blog: posts, pages and tags as Relay connections, filtered by tag, author and status."""

from __future__ import annotations

from typing import Any

from shared.resources import Resources
from subgraphs.blog.schema import schema
from tests.subgraphs.graphql import editor, execute, member

EDITOR = editor("e1")


async def make(
    resources: Resources, title: str, *, tags: tuple[str, ...] = (), publish: bool = True, by: str = "e1"
) -> str:
    created = await execute(
        schema,
        resources,
        "mutation($input: ContentInput!) { createPost(input: $input) { id } }",
        editor(by),
        input={"title": title, "tags": list(tags)},
    )
    post_id = created["data"]["createPost"]["id"]
    if publish:
        await execute(schema, resources, "mutation($id: ID!) { publishPost(id: $id) { id } }", editor(by), id=post_id)
    return post_id


async def titles(resources: Resources, query: str, viewer: Any = None, **variables: Any) -> tuple[list[str], Any]:
    body = await (
        execute(schema, resources, query, viewer, **variables)
        if viewer
        else execute(schema, resources, query, **variables)
    )
    assert "errors" not in body, body
    connection = next(iter(body["data"].values()))
    return [edge["node"]["title"] for edge in connection["edges"]], connection["pageInfo"]


POSTS = (
    "query($first: Int!, $after: String, $tag: String, $status: PostStatus) "
    "{ posts(first: $first, after: $after, tag: $tag, status: $status) "
    "{ edges { cursor node { title } } pageInfo { hasNextPage endCursor } } }"
)


async def test_published_posts_page_newest_first_with_opaque_cursors(resources: Resources) -> None:
    for n in range(5):
        await make(resources, f"Post {n}")
    await make(resources, "A draft", publish=False)
    first, info = await titles(resources, POSTS, first=2)
    assert first == ["Post 4", "Post 3"]
    assert info["hasNextPage"] is True
    rest, info = await titles(resources, POSTS, first=10, after=info["endCursor"])
    assert rest == ["Post 2", "Post 1", "Post 0"]
    assert info["hasNextPage"] is False
    bad = await execute(schema, resources, POSTS, first=2, after="garbage")
    assert bad["errors"][0]["field"] == "after"
    too_many = await execute(schema, resources, POSTS, first=101)
    assert too_many["errors"][0]["field"] == "first"


async def test_drafts_are_listed_for_editors_only(resources: Resources) -> None:
    await make(resources, "Published")
    await make(resources, "A draft", publish=False)
    drafts, _ = await titles(resources, POSTS, EDITOR, first=10, status="DRAFT")
    assert drafts == ["A draft"]
    refused = await execute(schema, resources, POSTS, member("m1"), first=10, status="DRAFT")
    assert refused["errors"][0]["code"] == "FORBIDDEN"


async def test_posts_by_tag_and_tag_counts(resources: Resources) -> None:
    await make(resources, "Leeks", tags=["Food", "Market"])
    await make(resources, "Apples", tags=["Food"])
    await make(resources, "Draft food", tags=["Food"], publish=False)
    food, _ = await titles(resources, POSTS, first=10, tag="food")
    assert food == ["Apples", "Leeks"]
    unknown = await execute(schema, resources, POSTS, first=10, tag="nope")
    assert unknown["errors"][0]["field"] == "tag"
    tags = await execute(
        schema,
        resources,
        "{ tags { edges { node { slug name postCount url posts(first: 1) { edges { node { title } } } } } } }",
    )
    nodes = [edge["node"] for edge in tags["data"]["tags"]["edges"]]
    assert [(n["slug"], n["postCount"]) for n in nodes] == [("food", 2), ("market", 1)]
    assert nodes[0]["url"].endswith("/blog/tag/food/")
    assert nodes[0]["posts"]["edges"] == [{"node": {"title": "Apples"}}]


async def test_user_posts_are_the_authors_published_posts(resources: Resources) -> None:
    await make(resources, "By one", by="u1")
    await make(resources, "By two", by="u2")
    await make(resources, "Draft by one", by="u1", publish=False)
    body = await execute(
        schema,
        resources,
        "query($r: [_Any!]!) { _entities(representations: $r) "
        "{ ... on User { posts { edges { node { title author { id } } } } } } }",
        r=[{"__typename": "User", "id": "u1"}, {"__typename": "User", "id": "u3"}],
    )
    assert body["data"]["_entities"] == [
        {"posts": {"edges": [{"node": {"title": "By one", "author": {"id": "u1"}}}]}},
        {"posts": {"edges": []}},
    ]


async def test_pages_stay_out_of_posts_and_have_no_tags(resources: Resources) -> None:
    await make(resources, "A post")
    created = await execute(
        schema,
        resources,
        'mutation { createPage(input: {title: "About us", body: "We are"}) { id slug version } }',
        EDITOR,
    )
    page = created["data"]["createPage"]
    tagged = await execute(
        schema,
        resources,
        'mutation($id: ID!) { updatePage(id: $id, expectedVersion: 1, input: {tags: ["x"]}) { id } }',
        EDITOR,
        id=page["id"],
    )
    assert tagged["errors"][0]["field"] == "tags"
    await execute(schema, resources, "mutation($id: ID!) { publishPage(id: $id) { id } }", EDITOR, id=page["id"])
    posts, _ = await titles(resources, POSTS, first=10)
    assert posts == ["A post"]
    pages, _ = await titles(resources, "{ pages { edges { node { title } } pageInfo { hasNextPage endCursor } } }")
    assert pages == ["About us"]
    found = await execute(
        schema, resources, '{ page(slug: "about-us") { title url html } post(slug: "about-us") { id } }'
    )
    assert found["data"]["page"]["url"].endswith("/pages/about-us/")
    assert found["data"]["page"]["html"] == "<p>We are</p>"
    assert found["data"]["post"] is None


async def test_tags_only_drafts_carry_stay_private(resources: Resources) -> None:
    await make(resources, "Secret plans", tags=("Merger with Acme",), publish=False)
    await make(resources, "Public news", tags=("News",))
    query = '{ tags { edges { node { name } } } acme: tag(slug: "merger-with-acme") { name } }'
    public = await execute(schema, resources, query)
    assert public["data"] == {"tags": {"edges": [{"node": {"name": "News"}}]}, "acme": None}
    for_editors = await execute(schema, resources, query, EDITOR)
    assert len(for_editors["data"]["tags"]["edges"]) == 2
    assert for_editors["data"]["acme"] == {"name": "Merger with Acme"}
    by_tag = await execute(schema, resources, POSTS, first=5, tag="merger-with-acme")
    assert by_tag["errors"][0]["field"] == "tag"
