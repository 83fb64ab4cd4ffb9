"""Navigation menus: trees replaced whole by editors, validated, read by anyone."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shared.resources import Resources
from subgraphs.blog import menus
from subgraphs.blog.schema import schema
from tests.subgraphs.graphql import editor, execute, member

SET = "mutation($name: String!, $items: [MenuItemInput!]!) { setMenu(name: $name, items: $items) { label } }"
READ = "query($name: String!) { menu(name: $name) { label url children { label url children { label } } } }"

TREE = [
    {"label": "Home", "url": "/"},
    {
        "label": "Blog",
        "url": "/blog/",
        "children": [{"label": "News", "url": "/blog/tag/news/"}, {"label": "Elsewhere", "url": "https://example.org"}],
    },
]


async def test_a_menu_is_a_tree_in_the_editors_order(resources: Resources) -> None:
    assert (await execute(schema, resources, READ, name="primary"))["data"]["menu"] == []
    saved = await execute(schema, resources, SET, editor("e1"), name="primary", items=TREE)
    assert saved["data"]["setMenu"] == [{"label": "Home"}, {"label": "Blog"}]
    menu = (await execute(schema, resources, READ, name="primary"))["data"]["menu"]
    assert menu == [
        {"label": "Home", "url": "/", "children": []},
        {
            "label": "Blog",
            "url": "/blog/",
            "children": [
                {"label": "News", "url": "/blog/tag/news/", "children": []},
                {"label": "Elsewhere", "url": "https://example.org", "children": []},
            ],
        },
    ]
    await execute(schema, resources, SET, editor("e1"), name="primary", items=[{"label": "Only", "url": "/only"}])
    assert [item["label"] for item in (await execute(schema, resources, READ, name="primary"))["data"]["menu"]] == [
        "Only"
    ]


async def test_only_editors_set_menus(resources: Resources) -> None:
    assert (await execute(schema, resources, SET, name="primary", items=TREE))["errors"][0]["code"] == "UNAUTHENTICATED"
    refused = await execute(schema, resources, SET, member("m1"), name="primary", items=TREE)
    assert refused["errors"][0]["code"] == "FORBIDDEN"


def nested(depth: int) -> dict[str, Any]:
    item: dict[str, Any] = {"label": "leaf", "url": "/"}
    for _ in range(depth - 1):
        item = {"label": "level", "url": "/", "children": [item]}
    return item


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([{"label": "x", "url": "javascript:alert(1)"}], "url"),
        ([{"label": "x", "url": "//evil.example/"}], "url"),
        ([{"label": "x", "url": "/\\evil.example/"}], "url"),
        ([{"label": " ", "url": "/"}], "label"),
        ([nested(4)], "items"),
        ([{"label": str(n), "url": "/"} for n in range(101)], "items"),
    ],
)
async def test_bad_menus_name_the_field_and_keep_the_old_menu(
    resources: Resources, items: list[dict[str, Any]], field: str
) -> None:
    await execute(schema, resources, SET, editor("e1"), name="primary", items=TREE)
    body = await execute(schema, resources, SET, editor("e1"), name="primary", items=items)
    assert (body["errors"][0]["code"], body["errors"][0]["field"]) == ("BAD_USER_INPUT", field)
    assert len((await execute(schema, resources, READ, name="primary"))["data"]["menu"]) == 2


async def test_menu_names_are_checked(resources: Resources) -> None:
    body = await execute(schema, resources, READ, name="no spaces allowed")
    assert body["errors"][0]["field"] == "name"


async def test_two_editors_saving_one_menu_at_once_leave_one_menu(resources: Resources) -> None:
    mine = [menus.Entry("Mine", "/mine")]
    theirs = [menus.Entry("Theirs", "/theirs"), menus.Entry("Also theirs", "/also")]
    async with resources.sessions() as first, resources.sessions() as second:
        await first.begin()
        await menus.set_menu(first, editor("e1"), "primary", mine)

        async def later() -> None:
            async with second.begin():
                await menus.set_menu(second, editor("e2"), "primary", theirs)

        racing = asyncio.create_task(later())
        await asyncio.sleep(0.2)  # the second editor now waits for the first
        await first.commit()
        await racing
    menu = (await execute(schema, resources, READ, name="primary"))["data"]["menu"]
    assert [item["label"] for item in menu] == ["Theirs", "Also theirs"]
