"""Outbox rows to activities (Article, Tombstone, Accept as queued), and fan-out when the router or a renderer fails."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from activitypub.fan_out import fan_out
from activitypub.graphql_client import RouterClient
from activitypub.models import ActivityDelivery, OutboxItem
from activitypub.outbox_rendering import PUBLIC, Rendered, UnknownActivity, article_document, hashtag, render
from activitypub.urls import Urls
from shared.db import utcnow
from shared.outbox import ApActivity, record_activity
from shared.queue import QueueStatus
from tests.activitypub.conftest import AP, PUBLIC_URL, Platform
from tests.activitypub.delivery_kit import BLOG, follow, publish, worker
from tests.activitypub.remote_instance import RemoteInstance

URLS = Urls(public_url=PUBLIC_URL, base=AP)
POST: dict[str, Any] = {
    "id": "p1",
    "title": "Notes & <queries>",
    "excerpt": "Fish & chips <3",
    "html": "<p>Fish &amp; chips</p>",
    "url": f"{PUBLIC_URL}/blog/notes/",
    "featureImage": None,
    "publishedAt": "2026-12-01T10:00:00+00:00",
    "updatedAt": "2026-12-02T10:00:00+00:00",
    "tags": [],
}
UNREACHABLE_ROUTER = RouterClient("http://127.0.0.1:9/graphql")


def row(verb: str, object_type: str = "Article", payload: dict[str, Any] | None = None) -> ApActivity:
    return ApActivity(id=7, actor="blog", verb=verb, object_type=object_type, object_id="p1", payload=payload or {})


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Gardens", "#Gardens"), ("Open Source", "#OpenSource"), ("C++", "#C"), ("café_au_lait", "#café_au_lait")],
)
def test_tags_become_one_word_hashtags(name: str, expected: str) -> None:
    assert hashtag({"name": name, "url": "https://t/"}) == {"type": "Hashtag", "href": "https://t/", "name": expected}


def test_a_tag_with_no_word_in_it_is_left_out() -> None:
    assert hashtag({"name": "+++", "url": "https://t/"}) is None


def test_an_article_carries_its_excerpt_as_html_and_its_image() -> None:
    article = article_document(URLS, "blog", {**POST, "featureImage": "https://img.example/a.jpg"}, edited=False)
    assert article["summary"] == "<p>Fish &amp; chips &lt;3</p>"
    assert article["image"] == {"type": "Image", "url": "https://img.example/a.jpg"}
    assert article["name"] == "Notes & <queries>"  # name is plain text in ActivityStreams
    assert "updated" not in article
    assert article_document(URLS, "blog", {**POST, "excerpt": ""}, edited=True)["updated"] == POST["updatedAt"]
    assert "summary" not in article_document(URLS, "blog", {**POST, "excerpt": ""}, edited=True)


async def test_a_delete_needs_no_router() -> None:
    rendered = await render(row("Delete"), URLS, UNREACHABLE_ROUTER)
    assert rendered is not None
    assert rendered.activity["object"] == {"id": f"{BLOG}/posts/p1", "type": "Tombstone"}
    assert rendered.activity["id"] == f"{BLOG}/activities/7"
    assert rendered.public
    assert rendered.inboxes is None


async def test_an_activity_queued_whole_is_sent_as_it_is_to_its_inboxes() -> None:
    accept = {"id": f"{BLOG}#accepts/follows/1", "type": "Accept", "actor": BLOG, "object": "https://peer/f/1"}
    queued = row("Accept", "Follow", {"activity": accept, "inboxes": ["https://peer/users/a/inbox"]})
    assert await render(queued, URLS, UNREACHABLE_ROUTER) == Rendered(accept, ["https://peer/users/a/inbox"])
    assert not Rendered(accept).public
    assert Rendered({**accept, "cc": PUBLIC}).public


@pytest.mark.parametrize(("verb", "object_type"), [("Create", "Event"), ("Like", "Article")])
async def test_a_row_no_renderer_knows_is_refused(verb: str, object_type: str) -> None:
    with pytest.raises(UnknownActivity, match=f"{verb} of {object_type}"):
        await render(row(verb, object_type), URLS, UNREACHABLE_ROUTER)


async def test_fan_out_waits_for_the_router_and_gives_up_on_the_unknown(platform: Platform) -> None:
    await publish(platform)
    async with platform.resources.sessions() as session, session.begin():
        await record_activity(session, actor="events", verb="Create", object_type="Event", object_id="e1")
    before = utcnow()
    assert await fan_out(platform.resources.sessions, URLS, UNREACHABLE_ROUTER, "w") == 2
    post, event = sorted(await platform.rows(ApActivity), key=lambda activity: activity.id)
    assert post.status == QueueStatus.PENDING
    assert post.available_at >= before + timedelta(minutes=1)
    assert "did not answer" in (post.last_error or "")
    assert (event.status, event.last_error) == (QueueStatus.DEAD, "no renderer for Create of Event")
    assert await platform.rows(OutboxItem) == []


async def test_a_row_fanned_out_by_a_worker_that_died_is_not_fanned_out_again(
    platform: Platform, remote: RemoteInstance
) -> None:
    await follow(platform, remote)
    await publish(platform)
    processor = worker(platform)
    assert await processor.fan_out() == 2
    # The worker died before marking its rows done: once their lease is over, they are claimed again.
    async with platform.resources.sessions() as session, session.begin():
        await session.execute(update(ApActivity).values(status=QueueStatus.PENDING))
    assert await processor.fan_out() == 2
    assert len(await platform.rows(OutboxItem)) == 2
    assert len(await platform.rows(ActivityDelivery)) == 2
