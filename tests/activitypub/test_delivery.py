"""Deliveries end to end: stand-in servers follow the blog, an editor publishes, edits and deletes, the worker delivers.

Every signature the stand-ins receive is checked with independent libraries
(pyhttpsig, pyauth's http-message-signatures), never with our own code.
"""

from __future__ import annotations

from activitypub.models import OutboxItem
from activitypub.outbox_rendering import PUBLIC
from shared.queue import QueueStatus
from tests.activitypub.conftest import AP, AS2, PUBLIC_URL, Platform
from tests.activitypub.delivery_kit import (
    BLOG,
    activity,
    blog_key,
    deliveries,
    edit,
    follow,
    publish,
    remove,
    run_until_idle,
    worker,
)
from tests.activitypub.remote_instance import RemoteInstance


async def test_a_published_post_reaches_each_server_once_as_a_signed_create(
    platform: Platform, remote: RemoteInstance
) -> None:
    other = RemoteInstance()
    async with other.running():
        for name in ("alice", "bob", "carol"):
            await follow(platform, remote, name)
        await follow(platform, other, "dave")
        processor = worker(platform)
        await run_until_idle(processor)
        key_id, pem = await blog_key(platform)
        # Each Follow was answered with a signed Accept, to the follower's own inbox.
        for name in ("alice", "bob", "carol"):
            [accept] = remote.deliveries(f"/users/{name}/inbox")
            assert remote.verify_delivery(accept, key_id, pem) == "cavage"
            assert activity(accept)["type"] == "Accept"

        post_id = await publish(platform)
        await run_until_idle(processor)

        # Three followers on one server, one on another: one Create per shared inbox.
        [create] = remote.deliveries()
        [create_elsewhere] = other.deliveries()
        for server, delivery in ((remote, create), (other, create_elsewhere)):
            assert server.verify_delivery(delivery, key_id, pem) == "cavage"
    sent = activity(create)
    assert sent == activity(create_elsewhere)
    article = sent["object"]
    assert sent["type"] == "Create"
    assert sent["actor"] == BLOG
    assert sent["to"] == [PUBLIC]
    assert sent["cc"] == [f"{BLOG}/followers"]
    assert article["id"] == f"{BLOG}/posts/{post_id}"
    assert article["type"] == "Article"
    assert article["attributedTo"] == BLOG
    assert article["name"] == "Spring at the cooperative"
    assert article["content"] == "<p>We planted <strong>roses</strong>.</p>"
    assert article["summary"] == "<p>We planted roses.</p>"
    assert article["url"] == f"{PUBLIC_URL}/blog/spring-at-the-cooperative/"
    assert article["published"] == sent["published"]
    assert "updated" not in article
    assert (article["to"], article["cc"]) == ([PUBLIC], [f"{BLOG}/followers"])
    assert article["tag"] == [
        {"type": "Hashtag", "href": f"{PUBLIC_URL}/blog/tag/gardens/", "name": "#Gardens"},
        {"type": "Hashtag", "href": f"{PUBLIC_URL}/blog/tag/open-source/", "name": "#OpenSource"},
    ]
    assert create.headers["content-type"] == AS2
    assert all(row.status == QueueStatus.DONE for row in await deliveries(platform))

    # The outbox collection lists the Create, as sent; the Accepts are not public.
    outbox = (await platform.client.get(f"{BLOG}/outbox?page=true", headers={"Accept": AS2})).json()
    assert outbox["orderedItems"] == [sent]
    listed = await platform.rows(OutboxItem)
    assert sorted((item.type, item.public) for item in listed) == [("Accept", False)] * 4 + [("Create", True)]


async def test_an_edit_is_an_update_and_a_removal_a_delete(platform: Platform, remote: RemoteInstance) -> None:
    await follow(platform, remote)
    processor = worker(platform)
    post_id = await publish(platform)
    await run_until_idle(processor)
    await edit(platform, post_id, title="Spring at the cooperative, with photos")
    await run_until_idle(processor)
    await remove(platform, post_id)
    await run_until_idle(processor)

    key_id, pem = await blog_key(platform)
    create, update, delete = remote.deliveries()
    for delivery in (create, update, delete):
        remote.verify_delivery(delivery, key_id, pem)
    article_id = f"{BLOG}/posts/{post_id}"
    edited = activity(update)
    assert edited["type"] == "Update"
    assert edited["object"]["id"] == article_id
    assert edited["object"]["name"] == "Spring at the cooperative, with photos"
    assert edited["object"]["updated"] == edited["published"]
    assert activity(create)["id"] != edited["id"]
    deleted = activity(delete)
    assert deleted["type"] == "Delete"
    assert deleted["actor"] == BLOG
    assert deleted["object"] == {"id": article_id, "type": "Tombstone"}
    assert deleted["to"] == [PUBLIC]


async def test_a_post_unpublished_before_the_worker_ran_is_only_deleted(
    platform: Platform, remote: RemoteInstance
) -> None:
    await follow(platform, remote)
    processor = worker(platform)
    await run_until_idle(processor)
    post_id = await publish(platform)
    await remove(platform, post_id)
    await run_until_idle(processor)
    assert [activity(delivery)["type"] for delivery in remote.deliveries()] == ["Delete"]


async def test_without_followers_a_post_is_listed_and_sent_nowhere(platform: Platform) -> None:
    await publish(platform)
    await run_until_idle(worker(platform))
    assert await deliveries(platform) == []
    outbox = (await platform.client.get(f"{AP}/users/blog/outbox", headers={"Accept": AS2})).json()
    assert outbox["totalItems"] == 1


async def test_a_batch_completes_its_deliveries_with_the_status_each_got(
    platform: Platform, remote: RemoteInstance
) -> None:
    await follow(platform, remote)
    processor = worker(platform)
    await run_until_idle(processor)
    await publish(platform, "One")
    await publish(platform, "Two")
    remote.inbox_answers = [200]  # then 202
    await run_until_idle(processor)
    creates = (await deliveries(platform))[1:]
    assert sorted((row.status, row.last_status) for row in creates) == [
        (QueueStatus.DONE, 200),
        (QueueStatus.DONE, 202),
    ]
    assert all(row.finished_at is not None for row in creates)
