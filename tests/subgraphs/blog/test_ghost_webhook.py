"""Ghost's webhooks at the blog's POST /ghost/webhook, sent over HTTP the way Ghost sends them."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from shared.outbound import Outbound
from shared.outbox import ApActivity
from shared.resources import Resources
from subgraphs.blog.app import create_app
from subgraphs.blog.ghost_client import ContentAPI
from subgraphs.blog.ghost_sync import import_site
from subgraphs.blog.ghost_webhook import MAX_BODY, PATH
from subgraphs.blog.models import Kind, Post, Status
from tests.helpers import serving
from tests.subgraphs.blog.ghost_standin import KEY, GhostSite, deliver, object_id, signed_headers, webhook_request

SECRET = "whsec-0123456789abcdef"


@dataclasses.dataclass
class Blog:
    client: httpx.AsyncClient
    url: str
    resources: Resources

    async def send(self, payload: dict[str, Any], *, secret: str = SECRET, at: float | None = None) -> httpx.Response:
        return await deliver(self.client, self.url, payload, secret, at=at)

    async def post_raw(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return await self.client.post(self.url, content=body, headers=headers)


async def serve_blog(resources: Resources) -> AsyncIterator[Blog]:
    async with serving(create_app(resources)) as base, httpx.AsyncClient(timeout=30) as client:
        yield Blog(client, base + PATH, resources)


@pytest.fixture
async def blog(resources: Resources) -> AsyncIterator[Blog]:
    resources.settings = dataclasses.replace(resources.settings, ghost_webhook_secret=SECRET)
    async for served in serve_blog(resources):
        yield served


@pytest.fixture
def site() -> GhostSite:
    return GhostSite.seeded()


async def outbox(resources: Resources) -> list[tuple[str, str]]:
    async with resources.sessions() as session:
        rows = (await session.scalars(select(ApActivity).order_by(ApActivity.id))).all()
    return [(row.verb, row.object_id) for row in rows]


async def by_ghost_id(resources: Resources, ghost_id: str) -> Post | None:
    async with resources.sessions() as session:
        return await session.scalar(select(Post).where(Post.ghost_id == ghost_id))


async def count_posts(resources: Resources) -> int:
    async with resources.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Post)) or 0


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


# Signatures

GOOD = object_id(3, 1)


@pytest.mark.parametrize(
    ("tamper", "detail"),
    [
        (lambda body, headers: headers.pop("X-Ghost-Signature"), "the X-Ghost-Signature header is missing"),
        (lambda body, headers: headers.update({"X-Ghost-Signature": "sha256=abc, t=1"}), "is malformed"),
        (lambda body, headers: headers.update({"X-Ghost-Signature": "garbage"}), "is malformed"),
        (
            lambda body, headers: headers.update({"X-Ghost-Signature": headers["X-Ghost-Signature"].split(",")[0]}),
            "is malformed",
        ),
        (
            lambda body, headers: headers.update(
                {"X-Ghost-Signature": headers["X-Ghost-Signature"].replace(", t=1", ", t=2")}
            ),
            "does not match",
        ),
    ],
)
async def test_missing_malformed_or_wrong_signatures_are_refused(
    blog: Blog, site: GhostSite, tamper: Any, detail: str
) -> None:
    body, headers = webhook_request(site.payload(GOOD), SECRET)
    tamper(body, headers)
    refused = problem(await blog.post_raw(body, headers), 401)
    assert detail in refused["detail"]
    assert refused["code"] == "UNAUTHENTICATED"
    assert await count_posts(blog.resources) == 0


async def test_a_body_changed_after_signing_or_another_secret_is_refused(blog: Blog, site: GhostSite) -> None:
    body, headers = webhook_request(site.payload(GOOD), SECRET)
    changed = body.replace(b"Post number 1", b"Post number 9")
    assert "does not match" in problem(await blog.post_raw(changed, headers), 401)["detail"]
    assert (
        "does not match"
        in problem(await blog.send(site.payload(GOOD), secret="another-secret-entirely"), 401)["detail"]
    )
    assert await count_posts(blog.resources) == 0


@pytest.mark.parametrize(
    ("seconds", "detail"),
    [
        (-301, "more than 5 minutes ago"),
        (-3600, "more than 5 minutes ago"),
        (90, "signed in the future"),
        # Correctly signed by someone with the secret, but past what a date can hold: refused, not a crash.
        (5 * 10**11, "is malformed"),
    ],
)
async def test_stale_and_future_timestamps_are_refused(blog: Blog, site: GhostSite, seconds: int, detail: str) -> None:
    refused = problem(await blog.send(site.payload(GOOD), at=time.time() + seconds), 401)
    assert detail in refused["detail"]
    assert await count_posts(blog.resources) == 0


async def test_a_delivery_signed_a_few_minutes_ago_is_accepted(blog: Blog, site: GhostSite) -> None:
    response = await blog.send(site.payload(GOOD), at=time.time() - 240)
    assert response.json() == {"status": "created", "resource": "post"}


async def test_without_a_secret_the_endpoint_is_not_configured(resources: Resources, site: GhostSite) -> None:
    async for blog in serve_blog(resources):
        refused = problem(await blog.send(site.payload(GOOD)), 503)
        assert refused["detail"] == "the Ghost webhook is not configured: set GHOST_WEBHOOK_SECRET"


# The four events


async def test_the_life_of_a_post_and_what_the_fediverse_hears(blog: Blog, site: GhostSite) -> None:
    resources = blog.resources
    published = site.payload(GOOD)  # post.published
    body, headers = webhook_request(published, SECRET)
    assert (await blog.post_raw(body, headers)).json() == {"status": "created", "resource": "post"}
    post = await by_ghost_id(resources, GOOD)
    assert post is not None
    assert (post.status, post.title, post.slug) == (Status.PUBLISHED, "Post number 1", "post-number-1")

    # The same delivery again (Ghost retries): nothing changes, nothing is said twice.
    assert (await blog.post_raw(body, headers)).json() == {"status": "unchanged", "resource": "post"}
    assert await outbox(resources) == [("Create", post.id)]

    edited = site.payload(GOOD, site.edit(GOOD, title="Post number 1, revised"))  # post.edited
    assert (await blog.send(edited)).json()["status"] == "updated"
    # An older version arriving late changes nothing.
    assert (await blog.send(published)).json()["status"] == "unchanged"
    post = await by_ghost_id(resources, GOOD)
    assert post is not None
    assert (post.title, post.version) == ("Post number 1, revised", 2)

    unpublished = site.payload(GOOD, site.edit(GOOD, status="draft"))  # post.unpublished
    assert (await blog.send(unpublished)).json()["status"] == "updated"
    post = await by_ghost_id(resources, GOOD)
    assert post is not None
    assert (post.status, post.published_at) == (Status.DRAFT, None)
    assert (await blog.send(unpublished)).json()["status"] == "unchanged"

    republished = site.payload(GOOD, site.edit(GOOD, status="published"))
    assert (await blog.send(republished)).json()["status"] == "updated"

    deleted = site.deletion(GOOD)  # post.deleted: current is empty, previous is the post
    assert (await blog.send(deleted)).json() == {"status": "deleted", "resource": "post"}
    assert await by_ghost_id(resources, GOOD) is None
    assert (await blog.send(deleted)).json()["status"] == "unchanged"
    # A delivery from before the deletion, arriving after it, does not bring the post back.
    assert (await blog.send(republished)).json()["status"] == "skipped"
    assert await by_ghost_id(resources, GOOD) is None

    assert [verb for verb, _ in await outbox(resources)] == ["Create", "Update", "Delete", "Create", "Delete"]
    assert {object_id for _, object_id in await outbox(resources)} == {post.id}


async def test_unknown_drafts_and_members_only_posts_are_not_brought_in(blog: Blog, site: GhostSite) -> None:
    site.posts.append(site.document(50, "A draft", "<p>Not yet.</p>", status="draft"))
    assert (await blog.send(site.payload(object_id(3, 50)))).json()["status"] == "skipped"
    members = object_id(3, 37)
    assert (await blog.send(site.payload(members))).json()["status"] == "skipped"
    assert await count_posts(blog.resources) == 0
    assert await outbox(blog.resources) == []


async def test_a_post_becoming_members_only_leaves_the_public_blog(blog: Blog, site: GhostSite) -> None:
    await blog.send(site.payload(GOOD))
    assert (await blog.send(site.payload(GOOD, site.edit(GOOD, visibility="paid")))).json()["status"] == "updated"
    post = await by_ghost_id(blog.resources, GOOD)
    assert post is not None
    assert post.status == Status.DRAFT
    assert [verb for verb, _ in await outbox(blog.resources)] == ["Create", "Delete"]


async def test_pages_are_applied_but_not_federated(blog: Blog, site: GhostSite) -> None:
    page_id = object_id(4, 101)
    assert (await blog.send(site.payload(page_id))).json() == {"status": "created", "resource": "page"}
    page = await by_ghost_id(blog.resources, page_id)
    assert page is not None
    assert (page.kind, page.slug) == (Kind.PAGE, "about-us")
    assert (await blog.send(site.deletion(page_id))).json() == {"status": "deleted", "resource": "page"}
    assert await outbox(blog.resources) == []


async def test_ghost_firing_published_and_edited_at_once_creates_one_post(blog: Blog, site: GhostSite) -> None:
    # Publishing in Ghost fires post.published and post.edited together, with the same post.
    answers = await asyncio.gather(blog.send(site.payload(GOOD)), blog.send(site.payload(GOOD)))
    assert sorted(answer.json()["status"] for answer in answers) == ["created", "unchanged"]
    assert await count_posts(blog.resources) == 1
    assert len(await outbox(blog.resources)) == 1


async def test_imported_posts_are_announced_only_when_they_change(
    blog: Blog, resources: Resources, site: GhostSite
) -> None:
    async with serving(site.app()) as url:
        site.url = url
        settings = dataclasses.replace(resources.settings, outbound_allow_private=True)
        async with Outbound(settings) as http:
            await import_site(resources.sessions, ContentAPI(http, url, KEY), lambda *progress: None)
        assert await outbox(resources) == []
        edited = site.payload(GOOD, site.edit(GOOD, html="<p>Corrected.</p>"))
        assert (await blog.send(edited)).json()["status"] == "updated"
    post = await by_ghost_id(resources, GOOD)
    assert post is not None
    assert await outbox(resources) == [("Update", post.id)]


# Everything else


@pytest.mark.parametrize(
    "payload",
    [
        {"tag": {"current": {"id": object_id(2, 1), "name": "News"}, "previous": {}}},
        {"member": {"current": {"id": "m1", "email": "someone@example.org"}, "previous": {}}},
        {},
    ],
)
async def test_events_about_other_things_are_accepted_and_ignored(blog: Blog, payload: dict[str, Any]) -> None:
    response = await blog.send(payload)
    assert response.status_code == 202
    assert response.json() == {"status": "ignored", "reason": "only post and page events are applied"}


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"<html>not json</html>", "the body is not JSON"),
        (b"[]", "the body must be a JSON object"),
        (b'{"post": [], "page": {}}', "the body must be about one post or one page, not both"),
        (b'{"post": []}', "post must be an object with current and previous"),
        (b'{"post": {"current": "x"}}', "post.current must be an object ({} when the post was deleted)"),
        (b'{"post": {"current": {}, "previous": []}}', "post.previous must be an object"),
        (b'{"post": {"current": {}, "previous": {}}}', "Ghost post (no id): id must be a string"),
        (b'{"page": {"current": {"id": "p1", "slug": "x"}}}', "Ghost page p1 ('x'): updated_at is missing"),
        (
            b'{"post": {"current": {"id": "p1", "updated_at": "2024-01-01T00:00:00Z", "title": 5}}}',
            "Ghost post p1: title must be a string or null, not int",
        ),
    ],
)
async def test_wrong_shapes_are_refused_naming_what_is_wrong(blog: Blog, body: bytes, detail: str) -> None:
    # Signed properly: what is refused is the shape, not the signature.
    refused = problem(await blog.post_raw(body, signed_headers(body, SECRET)), 400)
    assert detail in refused["detail"]
    assert refused["code"] == "BAD_USER_INPUT"
    assert await count_posts(blog.resources) == 0


async def test_an_oversized_body_is_refused_before_anything_else(blog: Blog) -> None:
    refused = problem(await blog.post_raw(b"x" * (MAX_BODY + 1), {"Content-Type": "application/json"}), 413)
    assert "over 5000000 bytes" in refused["detail"]
