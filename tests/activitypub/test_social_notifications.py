"""A member hears of what a remote account does to them: a follow, a reply, a like and a boost of their status."""

from __future__ import annotations

from activitypub.models import Notification, Reaction, Reply
from tests.activitypub.conftest import AP, Platform
from tests.activitypub.remote_instance import RemoteInstance
from tests.activitypub.social_kit import COMPOSE, NOTIFICATIONS, deliver, join


async def test_follow_reply_like_and_boost_make_four_notifications(platform: Platform, remote: RemoteInstance) -> None:
    rosa = await join(platform, "rosa")
    status = (await rosa(COMPOSE, input={"content": "Roses *bloom*"}))["composeStatus"]
    await deliver(platform, remote, "Follow", rosa.actor)
    reply = remote.note(status["uri"], "<p>Lovely!</p>")
    await deliver(platform, remote, "Create", reply)
    like = await deliver(platform, remote, "Like", status["uri"])
    await deliver(platform, remote, "Announce", status["uri"])

    boosted, liked, replied, followed = await rosa.notifications()
    assert [n["kind"] for n in (boosted, liked, replied, followed)] == ["BOOST", "LIKE", "REPLY", "FOLLOW"]
    # rosa accepted alice's follow but does not follow her back.
    assert {n["account"]["handle"] for n in (boosted, liked, replied, followed)} == {f"alice@{remote.domain}"}
    assert followed["account"]["followStatus"] == "NONE"
    assert followed["status"] is None
    # A reply's status is the reply, which says what it answers.
    assert replied["status"]["uri"] == reply["id"]
    assert replied["status"]["content"] == "<p>Lovely!</p>"
    assert replied["status"]["inReplyTo"] == status["uri"]
    assert replied["status"]["author"]["__typename"] == "RemoteAccount"
    # A like's or boost's is rosa's own status.
    for reaction in (liked, boosted):
        assert reaction["status"]["id"] == status["id"]
        assert reaction["status"]["content"] == "<p>Roses <em>bloom</em></p>"
        assert reaction["status"]["author"] == {"__typename": "User", "handle": "rosa"}

    # An undone like, a deleted reply: their notifications go.
    await deliver(platform, remote, "Undo", like)
    await deliver(platform, remote, "Delete", {"id": reply["id"], "type": "Tombstone"})
    assert [n["kind"] for n in await rosa.notifications()] == ["BOOST", "FOLLOW"]


async def test_notifications_are_the_members_own(platform: Platform, remote: RemoteInstance) -> None:
    rosa = await join(platform, "rosa")
    linus = await join(platform, "linus")
    status = (await rosa(COMPOSE, input={"content": "mine"}))["composeStatus"]
    await deliver(platform, remote, "Follow", rosa.actor)
    await deliver(platform, remote, "Like", status["uri"])
    assert len(await rosa.notifications()) == 2
    assert await linus.notifications() == []
    # The query takes no member: there is no way to name someone else's.
    assert (await linus.ask('{ notifications(userId: "x") { edges { node { id } } } }'))["errors"][0][
        "code"
    ] == "GRAPHQL_VALIDATION_FAILED"


async def test_what_concerns_no_member_notifies_nobody(platform: Platform, remote: RemoteInstance) -> None:
    rosa = await join(platform, "rosa")
    await deliver(platform, remote, "Follow", f"{AP}/users/blog")  # a domain actor
    await deliver(platform, remote, "Like", "https://roseash.test/blog/hello/")  # a blog post, not a status
    await deliver(platform, remote, "Create", remote.note("https://roseash.test/blog/hello/", "<p>nice post</p>"))
    assert await platform.count(Reaction) == 1
    assert await platform.count(Reply) == 1
    assert await platform.count(Notification) == 0
    assert (await rosa(NOTIFICATIONS))["notifications"]["edges"] == []


async def test_a_repeated_delivery_notifies_once(platform: Platform, remote: RemoteInstance) -> None:
    rosa = await join(platform, "rosa")
    status = (await rosa(COMPOSE, input={"content": "once"}))["composeStatus"]
    reply = remote.note(status["uri"], "<p>again and again</p>")
    await deliver(platform, remote, "Create", reply)
    await deliver(platform, remote, "Create", reply)  # the same reply, in a new Create
    assert [n["kind"] for n in await rosa.notifications()] == ["REPLY"]
