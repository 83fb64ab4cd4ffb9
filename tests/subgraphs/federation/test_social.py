"""The social hub in the federation subgraph: who may use it, what it refuses, composing and members' statuses.

Following real remote accounts, and what their servers send, is tested against
a stand-in server in tests/activitypub/test_social_*.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.auth import ANONYMOUS, Viewer
from shared.outbox import ApActivity
from shared.resources import Resources
from shared.seeds import run_seeds
from subgraphs.federation.schema import schema
from subgraphs.federation.seed import SEED
from tests.subgraphs.graphql import execute, member

COMPOSE = "mutation($input: ComposeStatusInput!) { composeStatus(input: $input) { id uri content inReplyTo } }"
FOLLOW = "mutation($handle: String!) { followRemote(handle: $handle) { handle } }"
UNFOLLOW = "mutation($handle: String!) { unfollowRemote(handle: $handle) { handle } }"
TIMELINE = "{ homeTimeline { edges { node { id } } } }"
NOTIFICATIONS = "{ notifications { edges { node { id } } } }"
STATUSES = """query($handle: String!, $first: Int! = 20, $after: String) {
  user(handle: $handle) {
    statuses(first: $first, after: $after) {
      edges { node { id content author { ... on User { handle } } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""


class Hub:
    def __init__(self, resources: Resources, users: dict[str, str]) -> None:
        self.resources = resources
        self.users = users

    def viewer(self, who: str) -> Viewer:
        return member(self.users[who])

    async def __call__(self, query: str, viewer: Viewer = ANONYMOUS, **variables: Any) -> dict[str, Any]:
        return await execute(schema, self.resources, query, viewer, **variables)

    async def ok(self, query: str, who: str, **variables: Any) -> dict[str, Any]:
        body = await self(query, self.viewer(who), **variables)
        assert "errors" not in body, body
        return body["data"]

    async def error(self, query: str, who: str, **variables: Any) -> dict[str, Any]:
        body = await self(query, self.viewer(who), **variables)
        [error] = body["errors"]
        return error


@pytest.fixture
async def hub(resources: Resources) -> Hub:
    await run_seeds(resources.sessions, [SEED])
    users = {}
    for handle in ("ada", "grace", "linus"):
        found = await execute(schema, resources, "query($h: String) { user(handle: $h) { id } }", h=handle)
        users[handle] = found["data"]["user"]["id"]
    return Hub(resources, users)


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (TIMELINE, {}),
        (NOTIFICATIONS, {}),
        (FOLLOW, {"handle": "alice@example.org"}),
        (UNFOLLOW, {"handle": "alice@example.org"}),
        (COMPOSE, {"input": {"content": "hello"}}),
    ],
)
async def test_only_signed_in_members_use_the_hub(hub: Hub, query: str, variables: dict[str, Any]) -> None:
    partner = Viewer(client_id="partner", scopes=frozenset({"read", "write"}))
    gone = member("0" * 32)  # a token of an account that no longer exists
    for viewer in (ANONYMOUS, partner, gone):
        body = await hub(query, viewer, **variables)
        assert body["errors"][0]["code"] == "UNAUTHENTICATED", body
    async with hub.resources.sessions() as session:
        assert await session.get(ApActivity, 1) is None


async def test_a_new_member_has_an_empty_timeline_and_no_notifications(hub: Hub) -> None:
    assert (await hub.ok(TIMELINE, "linus"))["homeTimeline"]["edges"] == []
    assert (await hub.ok(NOTIFICATIONS, "linus"))["notifications"]["edges"] == []
    error = await hub.error("{ homeTimeline(first: 0) { edges { node { id } } } }", "linus")
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "first")


@pytest.mark.parametrize(
    ("handle", "fragment"),
    [
        ("", "user@host"),
        ("alice", "user@host"),
        ("alice@", "user@host"),
        ("@@example.org", "user@host"),
        ("alice@example.org/path", "user@host"),
        ("alice@127.0.0.1:8000", "this site"),  # PUBLIC_URL's host in these tests
        ("linus@127.0.0.1:8000", "this site"),
        # Fetches of what users give us never reach private addresses outside tests.
        ("alice@127.0.0.1:9", "loopback"),
        ("alice@10.0.0.1", "private"),
    ],
)
async def test_bad_handles_are_refused_by_field(hub: Hub, handle: str, fragment: str) -> None:
    error = await hub.error(FOLLOW, "linus", handle=handle)
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "handle")
    assert fragment in error["message"]


async def test_unfollowing_someone_not_followed_is_bad_input(hub: Hub) -> None:
    error = await hub.error(UNFOLLOW, "linus", handle="alice@example.org")
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "handle")
    assert "do not follow alice@example.org" in error["message"]


async def test_composing_renders_a_little_markdown_safely(hub: Hub) -> None:
    written = "**Roses** and `code`, [a link](https://example.org) <script>alert(1)</script>\nnext line"
    status = (await hub.ok(COMPOSE, "linus", input={"content": written}))["composeStatus"]
    assert status["content"] == (
        '<p><strong>Roses</strong> and <code>code</code>, <a href="https://example.org" '
        'rel="nofollow noopener noreferrer">a link</a> &lt;script&gt;alert(1)&lt;/script&gt;<br>\nnext line</p>'
    )
    assert status["inReplyTo"] is None
    async with hub.resources.sessions() as session:
        queued = await session.get(ApActivity, 1)
    assert queued is not None
    assert (queued.actor, queued.verb, queued.object_id) == ("linus", "Create", status["id"])


@pytest.mark.parametrize(
    ("content", "fragment"),
    [("", "needs some text"), ("   \n ", "needs some text"), ("x" * 501, "at most 500"), ("a\x00b", "U+0000")],
)
async def test_bad_statuses_are_refused_and_nothing_is_queued(hub: Hub, content: str, fragment: str) -> None:
    error = await hub.error(COMPOSE, "linus", input={"content": content})
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "content")
    assert fragment in error["message"]
    async with hub.resources.sessions() as session:
        assert await session.get(ApActivity, 1) is None


async def test_replies_answer_only_statuses_the_member_can_see(hub: Hub) -> None:
    public = (await hub.ok(COMPOSE, "grace", input={"content": "for all"}))["composeStatus"]
    private = (await hub.ok(COMPOSE, "grace", input={"content": "for some", "visibility": "FOLLOWERS"}))[
        "composeStatus"
    ]
    answer = await hub.ok(COMPOSE, "linus", input={"content": "yes", "inReplyTo": public["id"]})
    assert answer["composeStatus"]["inReplyTo"] == public["uri"]
    own = await hub.ok(COMPOSE, "grace", input={"content": "and more", "inReplyTo": private["id"]})
    assert own["composeStatus"]["inReplyTo"] == private["uri"]
    for target in (private["id"], "nothing-like-it"):
        error = await hub.error(COMPOSE, "linus", input={"content": "hm", "inReplyTo": target})
        assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "inReplyTo")


async def test_members_statuses_show_followers_only_ones_to_the_member_alone(hub: Hub) -> None:
    for content, visibility in (("one", "PUBLIC"), ("two", "UNLISTED"), ("three", "FOLLOWERS")):
        await hub.ok(COMPOSE, "grace", input={"content": content, "visibility": visibility})

    async def listed(viewer: Viewer) -> list[str]:
        body = await hub(STATUSES, viewer, handle="grace")
        return [edge["node"]["content"] for edge in body["data"]["user"]["statuses"]["edges"]]

    assert await listed(hub.viewer("grace")) == ["<p>three</p>", "<p>two</p>", "<p>one</p>"]
    assert await listed(hub.viewer("linus")) == ["<p>two</p>", "<p>one</p>"]
    assert await listed(ANONYMOUS) == ["<p>two</p>", "<p>one</p>"]
    page = (await hub(STATUSES, ANONYMOUS, handle="grace", first=1))["data"]["user"]["statuses"]
    assert page["edges"][0]["node"]["author"] == {"handle": "grace"}
    after = page["pageInfo"]["endCursor"]
    rest = (await hub(STATUSES, ANONYMOUS, handle="grace", first=1, after=after))["data"]["user"]["statuses"]
    assert [edge["node"]["content"] for edge in rest["edges"]] == ["<p>one</p>"]


def test_sdl_declares_the_social_hub() -> None:
    sdl = schema.execute_sync("{ _service { sdl } }").data["_service"]["sdl"]  # type: ignore[index]
    for line in (
        'followRemote(handle: String!): RemoteAccount! @requiresScopes(scopes: [["write"]])',
        'unfollowRemote(handle: String!): RemoteAccount! @requiresScopes(scopes: [["write"]])',
        'composeStatus(input: ComposeStatusInput!): Status! @requiresScopes(scopes: [["write"]])',
        "homeTimeline(first: Int! = 20, after: String = null): StatusConnection!",
        "notifications(first: Int! = 20, after: String = null): NotificationConnection!",
        "statuses(first: Int! = 20, after: String = null): StatusConnection!",
        "union StatusAuthor = RemoteAccount | User",
    ):
        assert line in sdl, line
