"""A member's status federates: a Create of a Note queued for their followers' servers, signed with the member's
own key when the worker sends it (checked with an independent library), and listed in their outbox."""

from __future__ import annotations

from activitypub.models import Following
from shared.outbox import ApActivity
from tests.activitypub.conftest import AS2, Platform
from tests.activitypub.delivery_kit import activity, run_until_idle, worker
from tests.activitypub.remote_instance import RemoteInstance
from tests.activitypub.social_kit import COMPOSE, FOLLOW, SHARED_INBOX, Member, deliver, join

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def followed_by(platform: Platform, remote: RemoteInstance, rosa: Member, *names: str) -> None:
    for name in names:
        remote.key(name)
        response = await platform.deliver(
            remote, SHARED_INBOX, remote.activity("Follow", rosa.actor, name=name), name=name
        )
        assert response.status_code == 202, response.text


async def queued_create(platform: Platform) -> ApActivity:
    [row] = [row for row in await platform.rows(ApActivity) if row.verb == "Create"]
    return row


async def test_a_status_goes_once_to_each_followers_server_and_into_the_outbox(
    platform: Platform, remote: RemoteInstance
) -> None:
    rosa = await join(platform, "rosa")
    await followed_by(platform, remote, rosa, "alice", "bob")  # two followers on one server
    status = (await rosa(COMPOSE, input={"content": "Roses *bloom*\n\n<b>in spring</b>"}))["composeStatus"]
    assert status["uri"] == f"{rosa.actor}/statuses/{status['id']}"
    assert status["content"] == "<p>Roses <em>bloom</em></p>\n<p>&lt;b&gt;in spring&lt;/b&gt;</p>"

    row = await queued_create(platform)
    create = row.payload["activity"]
    assert (row.actor, row.object_type, row.object_id) == ("rosa", "Note", status["id"])
    assert row.payload["inboxes"] == [f"{remote.base_url}/inbox"]  # the shared inbox, once
    assert (create["type"], create["actor"], create["to"], create["cc"]) == (
        "Create",
        rosa.actor,
        [PUBLIC],
        [f"{rosa.actor}/followers"],
    )
    note = create["object"]
    assert (note["id"], note["type"], note["attributedTo"], note["content"]) == (
        status["uri"],
        "Note",
        rosa.actor,
        status["content"],
    )

    await run_until_idle(worker(platform))
    [delivered] = [d for d in remote.deliveries() if activity(d)["type"] == "Create"]
    assert activity(delivered) == create
    key = (await platform.client.get(rosa.actor, headers={"Accept": AS2})).json()["publicKey"]
    assert remote.verify_delivery(delivered, key["id"], key["publicKeyPem"]) == "cavage"
    assert key["id"] == f"{rosa.actor}#main-key"
    outbox = (await platform.client.get(f"{rosa.actor}/outbox?page=true")).json()
    assert [item["id"] for item in outbox["orderedItems"]] == [create["id"]]


async def test_visibility_addresses_as_mastodon_does(platform: Platform) -> None:
    rosa = await join(platform, "rosa")
    followers = f"{rosa.actor}/followers"
    unlisted = (await rosa(COMPOSE, input={"content": "quietly", "visibility": "UNLISTED"}))["composeStatus"]
    row = await queued_create(platform)
    assert (row.payload["activity"]["to"], row.payload["activity"]["cc"]) == ([followers], [PUBLIC])
    assert row.payload["inboxes"] == []  # no followers yet: nothing to send, but it is listed all the same
    await rosa(COMPOSE, input={"content": "only for you", "visibility": "FOLLOWERS"})
    private = next(r for r in await platform.rows(ApActivity) if r.verb == "Create" and r.id != row.id)
    assert (private.payload["activity"]["to"], private.payload["activity"]["cc"]) == ([followers], [])
    await run_until_idle(worker(platform))
    outbox = (await platform.client.get(f"{rosa.actor}/outbox?page=true")).json()
    assert [item["object"]["id"] for item in outbox["orderedItems"]] == [unlisted["uri"]]


async def test_a_reply_mentions_and_reaches_the_author_it_answers(platform: Platform, remote: RemoteInstance) -> None:
    rosa = await join(platform, "rosa")
    remote.key("alice")
    await rosa(FOLLOW, handle=f"alice@{remote.domain}")
    [following] = await platform.rows(Following)
    await deliver(platform, remote, "Accept", following.follow_uri)
    note = remote.note(None, "<p>What grows best?</p>")
    await deliver(platform, remote, "Create", note)
    [post] = await rosa.timeline()

    answer = {"content": "Roses!", "visibility": "FOLLOWERS", "inReplyTo": post["id"]}
    reply = (await rosa(COMPOSE, input=answer))["composeStatus"]
    assert reply["inReplyTo"] == note["id"]
    row = await queued_create(platform)
    sent = row.payload["activity"]["object"]
    assert sent["inReplyTo"] == note["id"]
    assert sent["cc"] == [remote.actor()]
    assert sent["tag"] == [{"type": "Mention", "href": remote.actor(), "name": f"@alice@{remote.domain}"}]
    # alice does not follow rosa, but the reply reaches her server.
    assert row.payload["inboxes"] == [f"{remote.base_url}/inbox"]
