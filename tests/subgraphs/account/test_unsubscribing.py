"""Leaving a newsletter: with the link in any issue, over GraphQL, from a browser, or in one click (RFC 8058)."""

from __future__ import annotations

import httpx
import pytest

from shared.auth import ANONYMOUS, Viewer
from shared.resources import Resources
from subgraphs.account.app import create_app
from subgraphs.account.sending import send_newsletter_mail
from tests.smtp_server import Mailbox
from tests.subgraphs.account.conftest import PUBLIC_URL, StandInPosts
from tests.subgraphs.account.newsletter_support import (
    ADMIN,
    CONFIRM,
    SEND,
    SUBSCRIBE,
    UNSUBSCRIBE,
    confirm_link,
    create_newsletter,
    error_of,
    link_token,
    post,
    run,
    subscribe_and_confirm,
    subscriber_count,
    unsubscribe_link,
)
from tests.subgraphs.graphql import admin, editor, member


async def first_issue(resources: Resources, mailbox: Mailbox, posts: StandInPosts, *emails: str) -> str:
    """A newsletter whose first issue has reached `emails`; its id."""
    newsletter_id = await create_newsletter(resources)
    for email in emails:
        await subscribe_and_confirm(resources, mailbox, newsletter_id, email)
    posts.publish(post(1))
    assert "errors" not in await run(resources, SEND, ADMIN, id=newsletter_id)
    await send_newsletter_mail(resources)
    return newsletter_id


def client(resources: Resources) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(resources)), base_url="http://account")


@pytest.mark.parametrize(
    "viewer", [ANONYMOUS, member("m1"), editor("e1"), admin("a1")], ids=["anonymous", "member", "editor", "admin"]
)
async def test_the_token_from_an_issue_unsubscribes_whoever_presents_it(
    resources: Resources, mailbox: Mailbox, posts: StandInPosts, viewer: Viewer
) -> None:
    newsletter_id = await first_issue(resources, mailbox, posts, "ada@example.org", "grace@example.org")
    token = link_token(unsubscribe_link(mailbox.to("ada@example.org")[-1]))
    left = await run(resources, UNSUBSCRIBE, viewer, token=token)
    assert left["data"]["unsubscribe"] == {"email": "ada@example.org", "status": "UNSUBSCRIBED"}
    assert await subscriber_count(resources, newsletter_id) == 1
    # Twice is harmless.
    assert (await run(resources, UNSUBSCRIBE, viewer, token=token))["data"] == left["data"]
    posts.publish(post(2))
    await run(resources, SEND, ADMIN, id=newsletter_id)
    await send_newsletter_mail(resources)
    assert len(mailbox.to("ada@example.org")) == 2  # confirmation and issue 1; not issue 2
    assert len(mailbox.to("grace@example.org")) == 3


async def test_unknown_tokens_are_refused(resources: Resources) -> None:
    for token in ("made-up", ""):
        body = await run(resources, UNSUBSCRIBE, token=token)
        assert (error_of(body)["code"], error_of(body)["field"]) == ("BAD_USER_INPUT", "token")


async def test_coming_back_takes_a_new_opt_in(resources: Resources, mailbox: Mailbox, posts: StandInPosts) -> None:
    newsletter_id = await first_issue(resources, mailbox, posts, "ada@example.org")
    old_confirm = link_token(confirm_link(mailbox.to("ada@example.org")[0]))
    await run(resources, UNSUBSCRIBE, token=link_token(unsubscribe_link(mailbox.to("ada@example.org")[-1])))
    # The old confirmation link does not bring the subscription back.
    assert error_of(await run(resources, CONFIRM, token=old_confirm))["field"] == "token"
    await run(resources, SUBSCRIBE, id=newsletter_id, email="ada@example.org")
    assert await subscriber_count(resources, newsletter_id) == 0
    await send_newsletter_mail(resources)
    fresh = link_token(confirm_link(mailbox.to("ada@example.org")[-1]))
    assert (await run(resources, CONFIRM, token=fresh))["data"]["confirmSubscription"]["status"] == "CONFIRMED"
    assert await subscriber_count(resources, newsletter_id) == 1


async def test_one_click_unsubscribe(resources: Resources, mailbox: Mailbox, posts: StandInPosts) -> None:
    newsletter_id = await first_issue(resources, mailbox, posts, "ada@example.org", "grace@example.org")
    ada = unsubscribe_link(mailbox.to("ada@example.org")[-1]).removeprefix(PUBLIC_URL)
    grace = unsubscribe_link(mailbox.to("grace@example.org")[-1]).removeprefix(PUBLIC_URL)
    async with client(resources) as http:
        # As RFC 8058 has mail clients send it: form-encoded, or as multipart form data.
        urlencoded = await http.post(
            ada, content=b"List-Unsubscribe=One-Click", headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        multipart = await http.post(grace, files={"List-Unsubscribe": (None, "One-Click")})
        unknown = await http.post("/newsletters/unsubscribe?token=made-up", content=b"List-Unsubscribe=One-Click")
    assert urlencoded.status_code == multipart.status_code == 200
    assert "ada@example.org will receive no more of Weekly digest" in urlencoded.text
    assert unknown.status_code == 400
    assert await subscriber_count(resources, newsletter_id) == 0


async def test_opening_the_link_asks_before_unsubscribing(
    resources: Resources, mailbox: Mailbox, posts: StandInPosts
) -> None:
    newsletter_id = await first_issue(resources, mailbox, posts, "ada@example.org")
    link = unsubscribe_link(mailbox.to("ada@example.org")[-1]).removeprefix(PUBLIC_URL)
    token = link_token(link)
    async with client(resources) as http:
        page = await http.get(link)
        assert page.status_code == 200
        # A mail scanner opening the link changes nothing.
        assert await subscriber_count(resources, newsletter_id) == 1
        assert 'method="post"' in page.text
        assert f'action="?token={token}"' in page.text
        assert 'name="List-Unsubscribe" value="One-Click"' in page.text
        assert page.headers["content-security-policy"].startswith("default-src 'none'")
        pressed = await http.post(link, data={"List-Unsubscribe": "One-Click"})
        assert pressed.status_code == 200
        assert await subscriber_count(resources, newsletter_id) == 0
        after = await http.get(link)
        broken = await http.get("/newsletters/unsubscribe?token=made-up")
    assert "Already unsubscribed" in after.text
    assert broken.status_code == 400
