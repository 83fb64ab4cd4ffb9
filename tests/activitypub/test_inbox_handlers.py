"""What each activity a remote server delivers does: follows answered (or left pending), replies and
reactions kept for the domains, accounts updated, moved, blocked, deleted and reported."""

from __future__ import annotations

from activitypub.models import (
    Block,
    Follower,
    FollowStatus,
    InboxActivity,
    Reaction,
    ReactionKind,
    RemoteActor,
    Reply,
    Report,
)
from shared.outbox import ApActivity
from tests.activitypub.conftest import AP, PUBLIC_URL, Platform
from tests.activitypub.remote_instance import RemoteInstance

INBOX = f"{AP}/inbox"
BLOG = f"{AP}/users/blog"
POST = f"{PUBLIC_URL}/blog/hello/"  # one of ours: the blog owns its URLs


async def deliver(platform: Platform, remote: RemoteInstance, kind: str, obj: object, **extra: object) -> dict:
    activity = remote.activity(kind, obj, **extra)
    response = await platform.deliver(remote, INBOX, activity)
    assert response.status_code == 202, response.text
    return activity


async def test_a_follow_is_accepted_and_the_accept_queued_for_delivery(
    platform: Platform, remote: RemoteInstance
) -> None:
    follow = await deliver(platform, remote, "Follow", BLOG)
    [follower] = await platform.rows(Follower)
    assert (follower.actor_name, follower.status, follower.follow_uri) == ("blog", FollowStatus.ACCEPTED, follow["id"])
    [queued] = await platform.rows(ApActivity)
    assert (queued.actor, queued.verb, queued.object_type, queued.status) == ("blog", "Accept", "Follow", "pending")
    accept = queued.payload["activity"]
    assert accept["type"] == "Accept"
    assert accept["actor"] == BLOG
    assert accept["id"].startswith(f"{BLOG}#accepts/follows/")
    assert accept["object"] == {"id": follow["id"], "type": "Follow", "actor": remote.actor(), "object": BLOG}
    # Accepts go to the follower's own inbox.
    assert queued.payload["inboxes"] == [f"{remote.actor()}/inbox"]
    followers = (await platform.client.get(f"{BLOG}/followers?page=true")).json()
    assert followers["orderedItems"] == [remote.actor()]


async def test_a_follow_of_an_actor_that_approves_by_hand_waits(platform: Platform, remote: RemoteInstance) -> None:
    await deliver(platform, remote, "Follow", f"{AP}/users/instance")
    [follower] = await platform.rows(Follower)
    assert (follower.actor_name, follower.status) == ("instance", FollowStatus.PENDING)
    assert await platform.count(ApActivity) == 0
    # Following again does not accept it either.
    await deliver(platform, remote, "Follow", f"{AP}/users/instance")
    assert await platform.count(ApActivity) == 0


async def test_an_accepted_follower_who_follows_again_is_answered_again(
    platform: Platform, remote: RemoteInstance
) -> None:
    await deliver(platform, remote, "Follow", BLOG)
    again = await deliver(platform, remote, "Follow", BLOG)
    assert await platform.count(Follower) == 1
    accepts = await platform.rows(ApActivity)
    assert len(accepts) == 2
    assert accepts[1].payload["activity"]["object"]["id"] == again["id"]
    assert accepts[0].payload["activity"]["id"] != accepts[1].payload["activity"]["id"]


async def test_follows_of_actors_we_do_not_have_change_nothing(platform: Platform, remote: RemoteInstance) -> None:
    await deliver(platform, remote, "Follow", f"{AP}/users/nobody")
    await deliver(platform, remote, "Follow", "https://elsewhere.example/users/blog")
    assert await platform.count(Follower) == 0


async def test_undo_follow(platform: Platform, remote: RemoteInstance) -> None:
    follow = await deliver(platform, remote, "Follow", BLOG)
    await deliver(platform, remote, "Undo", follow)
    assert await platform.count(Follower) == 0
    # By id alone, as some servers send it.
    follow = await deliver(platform, remote, "Follow", BLOG)
    await deliver(platform, remote, "Undo", follow["id"])
    assert await platform.count(Follower) == 0


async def test_a_reply_to_our_post_is_kept_cleaned_and_follows_its_updates_and_deletion(
    platform: Platform, remote: RemoteInstance
) -> None:
    note = remote.note(POST, '<p>Lovely <script>alert("x")</script><a href="https://x.example">roses</a></p>')
    await deliver(platform, remote, "Create", note)
    [reply] = await platform.rows(Reply)
    assert (reply.uri, reply.in_reply_to) == (note["id"], POST)
    assert "<script>" not in reply.content
    assert "roses</a>" in reply.content
    assert reply.published_at.year == 2026
    await deliver(platform, remote, "Update", {**note, "content": "<p>Edited</p>", "updated": "2026-12-02T09:00:00Z"})
    [reply] = await platform.rows(Reply)
    assert reply.content == "<p>Edited</p>"
    assert reply.updated_at is not None
    await deliver(platform, remote, "Delete", {"id": note["id"], "type": "Tombstone"})
    assert await platform.count(Reply) == 0


async def test_notes_that_are_not_replies_to_us_or_not_the_senders_are_not_kept(
    platform: Platform, remote: RemoteInstance
) -> None:
    await deliver(platform, remote, "Create", remote.note("https://elsewhere.example/notes/1", "<p>hi</p>"))
    remote.key("bob")
    bobs = remote.note(POST, "<p>written by bob</p>", name="bob")
    await deliver(platform, remote, "Create", bobs)  # alice delivering bob's note
    assert await platform.count(Reply) == 0


async def test_likes_and_boosts_of_our_objects_are_counted_and_undone(
    platform: Platform, remote: RemoteInstance
) -> None:
    like = await deliver(platform, remote, "Like", POST)
    await deliver(platform, remote, "Announce", POST)
    await deliver(platform, remote, "Like", "https://elsewhere.example/notes/1")  # not ours
    reactions = {(r.kind, r.object_uri) for r in await platform.rows(Reaction)}
    assert reactions == {(ReactionKind.LIKE, POST), (ReactionKind.ANNOUNCE, POST)}
    await deliver(platform, remote, "Undo", like)
    assert {r.kind for r in await platform.rows(Reaction)} == {ReactionKind.ANNOUNCE}


async def test_an_update_of_the_sender_refreshes_the_cached_actor(platform: Platform, remote: RemoteInstance) -> None:
    await deliver(platform, remote, "Follow", BLOG)
    changed = {**remote.document("alice"), "preferredUsername": "alice2", "inbox": f"{remote.actor()}/new-inbox"}
    await deliver(platform, remote, "Update", changed)
    [actor] = await platform.rows(RemoteActor)
    assert (actor.preferred_username, actor.inbox) == ("alice2", f"{remote.actor()}/new-inbox")
    # An update of someone else is not believed.
    remote.key("bob")
    await deliver(platform, remote, "Update", {**remote.document("bob"), "preferredUsername": "mallory"})
    assert {a.preferred_username for a in await platform.rows(RemoteActor)} == {"alice2"}


async def test_a_block_ends_the_follow_and_is_kept_until_undone(platform: Platform, remote: RemoteInstance) -> None:
    await deliver(platform, remote, "Follow", BLOG)
    block = await deliver(platform, remote, "Block", BLOG)
    assert await platform.count(Follower) == 0
    [kept] = await platform.rows(Block)
    assert kept.actor_name == "blog"
    await deliver(platform, remote, "Undo", block)
    assert await platform.count(Block) == 0


async def test_a_move_is_believed_only_when_the_new_account_claims_the_old(
    platform: Platform, remote: RemoteInstance
) -> None:
    remote.key("carol")  # does not name alice
    await deliver(platform, remote, "Move", remote.actor(), target=remote.actor("carol"))
    [alice] = await platform.rows(RemoteActor)
    assert alice.moved_to is None
    remote.key("bob")
    remote.also_known_as["bob"] = [remote.actor()]
    await deliver(platform, remote, "Move", remote.actor(), target=remote.actor("bob"))
    actors = {a.uri: a for a in await platform.rows(RemoteActor)}
    assert actors[remote.actor()].moved_to == remote.actor("bob")
    assert remote.actor("bob") in actors


async def test_a_report_of_our_objects_is_kept_for_admins(platform: Platform, remote: RemoteInstance) -> None:
    await deliver(platform, remote, "Flag", [BLOG, POST, "https://elsewhere.example/x"], content="spam")
    [report] = await platform.rows(Report)
    assert (report.content, report.object_uris) == ("spam", [BLOG, POST])
    await deliver(platform, remote, "Flag", ["https://elsewhere.example/x"], content="not about us")
    assert await platform.count(Report) == 1


async def test_a_deleted_account_takes_what_we_kept_of_it_along(platform: Platform, remote: RemoteInstance) -> None:
    await deliver(platform, remote, "Follow", BLOG)
    await deliver(platform, remote, "Like", POST)
    await deliver(platform, remote, "Create", remote.note(POST, "<p>hi</p>"))
    await deliver(platform, remote, "Delete", remote.actor())
    for model in (RemoteActor, Follower, Reaction, Reply):
        assert await platform.count(model) == 0, model


async def test_the_deletion_of_an_account_we_never_knew_is_accepted_without_a_fetch(
    platform: Platform, remote: RemoteInstance
) -> None:
    await deliver(platform, remote, "Delete", remote.actor())
    assert remote.fetches() == []
    assert await platform.count(InboxActivity) == 0
