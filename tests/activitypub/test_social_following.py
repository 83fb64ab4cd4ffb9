"""Members follow accounts of a stand-in remote server by handle, and read their posts in the home timeline.

The remote's answers (Accept, Reject, Create, Update, Delete, Announce) arrive
at our real inbox, signed with an independent library.
"""

from __future__ import annotations

import socket

from activitypub.models import Following, FollowStatus, TimelineItem
from shared.outbox import ApActivity
from tests.activitypub.conftest import AP, Platform
from tests.activitypub.remote_instance import RemoteInstance
from tests.activitypub.social_kit import FOLLOW, TIMELINE, UNFOLLOW, Member, deliver, join

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def following(platform: Platform, remote: RemoteInstance, rosa: Member, name: str = "alice") -> dict:
    """`rosa` follows `name` on the remote, whose server accepts; returns our Follow."""
    remote.key(name)
    await rosa(FOLLOW, handle=f"{name}@{remote.domain}")
    follow = next(
        row.payload["activity"]
        for row in await platform.rows(ApActivity)
        if row.verb == "Follow" and row.payload["activity"]["object"] == remote.actor(name)
    )
    await deliver(platform, remote, "Accept", follow, name=name)
    return follow


async def test_following_by_handle_queues_a_follow_that_the_remote_accepts(
    platform: Platform, remote: RemoteInstance
) -> None:
    remote.key("alice")
    rosa = await join(platform, "rosa")
    handle = f"alice@{remote.domain}"
    followed = (await rosa(FOLLOW, handle=f" @{handle} "))["followRemote"]
    assert followed == {"handle": handle, "uri": remote.actor(), "displayName": None, "followStatus": "PENDING"}
    # Found by WebFinger, then the actor fetched signed as our instance actor.
    assert [r.path for r in remote.received if r.method == "GET"] == ["/.well-known/webfinger", "/users/alice"]
    assert 'keyId="' + f'{AP}/users/instance#main-key"' in remote.fetches()[0].headers["signature"]
    [queued] = await platform.rows(ApActivity)
    follow = queued.payload["activity"]
    assert (queued.actor, queued.verb) == ("rosa", "Follow")
    assert (follow["type"], follow["actor"], follow["object"]) == ("Follow", rosa.actor, remote.actor())
    assert queued.payload["inboxes"] == [f"{remote.actor()}/inbox"]
    [row] = await platform.rows(Following)
    assert (row.actor_name, row.status, row.follow_uri) == ("rosa", FollowStatus.PENDING, follow["id"])

    # Their server accepts, at rosa's own inbox as Mastodon sends it.
    accept = remote.activity("Accept", follow)
    assert (await platform.deliver(remote, f"{rosa.actor}/inbox", accept)).status_code == 202
    [row] = await platform.rows(Following)
    assert row.status == FollowStatus.ACCEPTED
    # Following again changes nothing and sends nothing.
    assert (await rosa(FOLLOW, handle=handle))["followRemote"]["followStatus"] == "ACCEPTED"
    assert await platform.count(ApActivity) == 1
    following_page = (await platform.client.get(f"{rosa.actor}/following?page=true")).json()
    assert following_page["orderedItems"] == [remote.actor()]


async def test_a_rejected_follow_is_forgotten(platform: Platform, remote: RemoteInstance) -> None:
    remote.key("alice")
    rosa = await join(platform, "rosa")
    await rosa(FOLLOW, handle=f"alice@{remote.domain}")
    [queued] = await platform.rows(ApActivity)
    await deliver(platform, remote, "Reject", queued.payload["activity"])
    assert await platform.count(Following) == 0


async def test_posts_of_followed_accounts_make_the_home_timeline(platform: Platform, remote: RemoteInstance) -> None:
    rosa = await join(platform, "rosa")
    await following(platform, remote, rosa)
    note = {**remote.note(None, '<p>Roses <script>alert("x")</script>bloom</p>'), "published": "2026-01-01T10:00:00Z"}
    await deliver(platform, remote, "Create", note)
    [post] = await rosa.timeline()
    assert post["uri"] == note["id"]
    assert post["content"] == "<p>Roses bloom</p>"
    assert post["author"] == {
        "__typename": "RemoteAccount",
        "handle": f"alice@{remote.domain}",
        "followStatus": "ACCEPTED",
    }
    assert post["publishedAt"].startswith("2026-01-01T10:00:00")

    await deliver(platform, remote, "Update", {**note, "content": "<p>Edited</p>", "updated": "2026-01-01T11:00:00Z"})
    [post] = await rosa.timeline()
    assert post["content"] == "<p>Edited</p>"

    boost = await deliver(platform, remote, "Announce", "https://elsewhere.example/statuses/1", to=[PUBLIC])
    boosted, edited = await rosa.timeline()
    assert (boosted["uri"], boosted["boostOf"], boosted["content"]) == (
        boost["id"],
        "https://elsewhere.example/statuses/1",
        "",
    )
    assert edited["uri"] == note["id"]

    await deliver(platform, remote, "Delete", {"id": note["id"], "type": "Tombstone"})
    await deliver(platform, remote, "Undo", boost)
    assert await rosa.timeline() == []


async def test_the_timeline_keeps_only_what_every_follower_may_read(platform: Platform, remote: RemoteInstance) -> None:
    rosa = await join(platform, "rosa")
    await following(platform, remote, rosa)
    remote.key("bob")  # nobody follows bob
    await deliver(platform, remote, "Create", remote.note(None, "<p>bob's</p>", name="bob"), name="bob")
    direct = {**remote.note(None, "<p>just for rosa</p>"), "to": [rosa.actor]}
    await deliver(platform, remote, "Create", direct)
    followers_only = {**remote.note(None, "<p>for followers</p>"), "to": [f"{remote.actor()}/followers"]}
    await deliver(platform, remote, "Create", followers_only)
    not_theirs = {**remote.note(None, "<p>forged</p>"), "attributedTo": remote.actor("bob")}
    await deliver(platform, remote, "Create", not_theirs)
    assert [post["content"] for post in await rosa.timeline()] == ["<p>for followers</p>"]
    # Another member, who follows nobody, sees none of it.
    linus = await join(platform, "linus")
    assert await linus.timeline() == []


async def test_the_timeline_pages_newest_first(platform: Platform, remote: RemoteInstance) -> None:
    rosa = await join(platform, "rosa")
    await following(platform, remote, rosa)
    for day in (1, 2, 3):
        note = {**remote.note(None, f"<p>day {day}</p>"), "published": f"2026-01-0{day}T10:00:00Z"}
        await deliver(platform, remote, "Create", note)
    first = (await rosa(TIMELINE, first=2))["homeTimeline"]
    assert [edge["node"]["content"] for edge in first["edges"]] == ["<p>day 3</p>", "<p>day 2</p>"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await rosa(TIMELINE, first=2, after=first["pageInfo"]["endCursor"]))["homeTimeline"]
    assert [edge["node"]["content"] for edge in rest["edges"]] == ["<p>day 1</p>"]
    assert rest["pageInfo"]["hasNextPage"] is False
    # A post dated in the future is not pinned on top: it counts as published now.
    future = {**remote.note(None, "<p>from the future</p>"), "published": "2999-01-01T00:00:00Z"}
    await deliver(platform, remote, "Create", future)
    [newest, *_] = await rosa.timeline()
    assert newest["content"] == "<p>from the future</p>"
    assert not newest["publishedAt"].startswith("2999")


async def test_unfollowing_queues_an_undo_and_empties_the_timeline(platform: Platform, remote: RemoteInstance) -> None:
    rosa = await join(platform, "rosa")
    follow = await following(platform, remote, rosa)
    await deliver(platform, remote, "Create", remote.note(None, "<p>hello</p>"))
    unfollowed = (await rosa(UNFOLLOW, handle=f"@ALICE@{remote.domain}"))["unfollowRemote"]
    assert unfollowed == {"handle": f"alice@{remote.domain}", "followStatus": "NONE"}
    undo = next(row for row in await platform.rows(ApActivity) if row.verb == "Undo")
    assert undo.payload["inboxes"] == [f"{remote.actor()}/inbox"]
    assert undo.payload["activity"]["type"] == "Undo"
    assert undo.payload["activity"]["object"]["id"] == follow["id"]
    assert await platform.count(Following) == 0
    assert await platform.count(TimelineItem) == 0  # nobody follows alice any more
    again = await rosa.ask(UNFOLLOW, handle=f"alice@{remote.domain}")
    assert again["errors"][0]["code"] == "BAD_USER_INPUT"
    assert again["errors"][0]["field"] == "handle"


async def test_posts_stay_for_the_members_still_following(platform: Platform, remote: RemoteInstance) -> None:
    rosa = await join(platform, "rosa")
    linus = await join(platform, "linus")
    await following(platform, remote, rosa)
    await linus(FOLLOW, handle=f"alice@{remote.domain}")
    [linus_follow] = [r for r in await platform.rows(Following) if r.actor_name == "linus"]
    await deliver(platform, remote, "Accept", linus_follow.follow_uri)
    await deliver(platform, remote, "Create", remote.note(None, "<p>hello both</p>"))
    await rosa(UNFOLLOW, handle=f"alice@{remote.domain}")
    assert await rosa.timeline() == []
    assert [post["content"] for post in await linus.timeline()] == ["<p>hello both</p>"]


async def test_handles_that_cannot_be_followed(platform: Platform, remote: RemoteInstance) -> None:
    rosa = await join(platform, "rosa")
    remote.key("alice")

    async def refused(handle: str) -> str:
        body = await rosa.ask(FOLLOW, handle=handle)
        [error] = body["errors"]
        assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "handle"), error
        return str(error["message"])

    assert "user@host" in await refused("alice")
    assert "user@host" in await refused("alice@exa mple.org")
    assert "user@host" in await refused("https://example.org/users/alice")
    assert "this site" in await refused("rosa@roseash.test")
    assert "has no account nobody" in await refused(f"nobody@{remote.domain}")
    with socket.socket() as closed:  # a port nothing listens on: the server is down
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    assert "try again later" in await refused(f"alice@127.0.0.1:{port}")
    assert await platform.count(Following) == 0
    assert await platform.count(ApActivity) == 0
