"""What the social hub tests share: members asking the federation subgraph, and the stand-in server delivering."""

from __future__ import annotations

from typing import Any

from subgraphs.federation.schema import schema
from tests.activitypub.conftest import AP, Platform
from tests.activitypub.remote_instance import RemoteInstance
from tests.subgraphs.graphql import execute, member

SHARED_INBOX = f"{AP}/inbox"

FOLLOW = "mutation($handle: String!) { followRemote(handle: $handle) { handle uri displayName followStatus } }"
UNFOLLOW = "mutation($handle: String!) { unfollowRemote(handle: $handle) { handle followStatus } }"
COMPOSE = "mutation($input: ComposeStatusInput!) { composeStatus(input: $input) { id uri content inReplyTo } }"
STATUS = """
  id uri url content summary publishedAt inReplyTo boostOf
  author { __typename ... on RemoteAccount { handle followStatus } ... on User { handle } }
"""
TIMELINE = f"""query($first: Int! = 20, $after: String) {{
  homeTimeline(first: $first, after: $after) {{ edges {{ node {{ {STATUS} }} }} pageInfo {{ hasNextPage endCursor }} }}
}}"""
NOTIFICATIONS = f"""{{
  notifications {{ edges {{ node {{ id kind createdAt account {{ handle followStatus }} status {{ {STATUS} }} }} }} }}
}}"""


class Member:
    """A member of ours, asking the federation subgraph as themself."""

    def __init__(self, platform: Platform, handle: str, user_id: str) -> None:
        self.platform = platform
        self.handle = handle
        self.user_id = user_id
        self.actor = f"{AP}/users/{handle}"

    async def ask(self, query: str, **variables: Any) -> dict[str, Any]:
        """The whole response, errors included."""
        return await execute(schema, self.platform.resources, query, member(self.user_id), **variables)

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        """The data of a request expected to succeed."""
        body = await self.ask(query, **variables)
        assert "errors" not in body, body
        return body["data"]

    async def timeline(self) -> list[dict[str, Any]]:
        return [edge["node"] for edge in (await self(TIMELINE))["homeTimeline"]["edges"]]

    async def notifications(self) -> list[dict[str, Any]]:
        return [edge["node"] for edge in (await self(NOTIFICATIONS))["notifications"]["edges"]]


async def join(platform: Platform, handle: str) -> Member:
    return Member(platform, handle, await platform.register(handle))


async def deliver(
    platform: Platform, remote: RemoteInstance, kind: str, obj: Any, *, name: str = "alice", **extra: Any
) -> dict[str, Any]:
    """`kind` of `obj` from the remote's `name`, signed, to our shared inbox; returns the activity."""
    activity = remote.activity(kind, obj, name=name, **extra)
    response = await platform.deliver(remote, SHARED_INBOX, activity, name=name)
    assert response.status_code == 202, response.text
    return activity
