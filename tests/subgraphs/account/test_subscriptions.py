"""Subscribing with double opt-in: the mailed link confirms, tokens expire and are replaced, nothing leaks."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from shared.auth import ANONYMOUS, Viewer
from shared.db import utcnow
from shared.errors import BadUserInput
from shared.resources import Resources
from shared.seeds import run_seeds
from subgraphs.account.app import create_app
from subgraphs.account.models import Delivery, Subscription
from subgraphs.account.sending import send_newsletter_mail
from subgraphs.account.tokens import token_hash
from subgraphs.federation import service as accounts
from subgraphs.federation.contracts import AUTHORS
from subgraphs.federation.seed import SEED as USERS
from tests.smtp_server import Mailbox
from tests.subgraphs.account.conftest import PUBLIC_URL
from tests.subgraphs.account.newsletter_support import (
    ADMIN,
    CONFIRM,
    SUBSCRIBE,
    confirm_link,
    create_newsletter,
    error_of,
    link_token,
    run,
    subscribe_and_confirm,
    subscriber_count,
    table_counts,
)
from tests.subgraphs.graphql import admin, editor, member

MY_NEWSLETTERS = """query($r: [_Any!]!) {
  _entities(representations: $r) {
    ... on User { newsletters { edges { node { email status newsletter { name } } } } }
  }
}"""


async def test_double_opt_in_from_the_mailed_link(resources: Resources, mailbox: Mailbox) -> None:
    newsletter_id = await create_newsletter(resources)
    asked = await run(resources, SUBSCRIBE, id=newsletter_id, email="  Ada@Example.ORG ")
    assert asked["data"]["subscribe"] == {
        "email": "ada@example.org",
        "newsletter": {"id": newsletter_id, "name": "Weekly digest"},
    }
    assert await subscriber_count(resources, newsletter_id) == 0
    assert await send_newsletter_mail(resources) == 1
    [mail] = mailbox.to("ada@example.org")
    assert mail["Subject"] == "Confirm your subscription to Weekly digest"
    assert mail["From"] == "Weekly digest <news@coop.example>"
    assert "List-Unsubscribe" not in mail  # nothing to leave yet
    link = confirm_link(mail)
    assert link.startswith(f"{PUBLIC_URL}/newsletters/confirm?token=")
    html = mail.get_body(("html",))
    assert html is not None
    assert link.replace("&", "&amp;") in html.get_content()
    token = link_token(link)
    # Only the hash is kept: the token itself is nowhere in the database once the mail is sent.
    async with resources.sessions() as session:
        subscription = await session.scalar(select(Subscription))
        delivery = await session.scalar(select(Delivery))
    assert subscription is not None
    assert subscription.confirm_token_hash == token_hash(token)
    assert delivery is not None
    assert delivery.link_token is None
    assert delivery.status == "done"
    confirmed = await run(resources, CONFIRM, token=token)
    assert confirmed["data"]["confirmSubscription"]["status"] == "CONFIRMED"
    assert confirmed["data"]["confirmSubscription"]["email"] == "ada@example.org"
    assert await subscriber_count(resources, newsletter_id) == 1
    listed = await run(
        resources,
        "query($id: ID!) { newsletter(id: $id) { subscribers { edges { node { email } } } } }",
        ADMIN,
        id=newsletter_id,
    )
    assert listed["data"]["newsletter"]["subscribers"]["edges"] == [{"node": {"email": "ada@example.org"}}]
    # A second click changes nothing and is no error.
    again = await run(resources, CONFIRM, token=token)
    assert again["data"]["confirmSubscription"] == confirmed["data"]["confirmSubscription"]
    assert await subscriber_count(resources, newsletter_id) == 1


async def test_subscribing_reveals_nothing_about_an_address(resources: Resources, mailbox: Mailbox) -> None:
    newsletter_id = await create_newsletter(resources)
    await subscribe_and_confirm(resources, mailbox, newsletter_id, "ada@example.org")
    fresh = await run(resources, SUBSCRIBE, id=newsletter_id, email="grace@example.org")
    known = await run(resources, SUBSCRIBE, id=newsletter_id, email="ada@example.org")
    assert fresh["data"]["subscribe"]["newsletter"] == known["data"]["subscribe"]["newsletter"]
    assert set(fresh) == set(known) == {"data"}
    await send_newsletter_mail(resources)
    # The subscribed address gets no second confirmation; the new one gets its first.
    assert len(mailbox.to("ada@example.org")) == 1
    assert len(mailbox.to("grace@example.org")) == 1


async def test_asking_again_while_pending_mails_a_new_link_that_replaces_the_old(
    resources: Resources, mailbox: Mailbox
) -> None:
    newsletter_id = await create_newsletter(resources)
    await run(resources, SUBSCRIBE, id=newsletter_id, email="ada@example.org")
    # Asked twice in a row: one mail, so nobody can flood someone else's inbox.
    await run(resources, SUBSCRIBE, id=newsletter_id, email="ada@example.org")
    await send_newsletter_mail(resources)
    [first] = mailbox.to("ada@example.org")
    async with resources.sessions() as session, session.begin():
        await session.execute(update(Subscription).values(confirm_sent_at=utcnow() - timedelta(minutes=5)))
    await run(resources, SUBSCRIBE, id=newsletter_id, email="ada@example.org")
    await send_newsletter_mail(resources)
    old_token, new_token = (link_token(confirm_link(m)) for m in mailbox.to("ada@example.org"))
    assert old_token == link_token(confirm_link(first))
    assert new_token != old_token
    replaced = await run(resources, CONFIRM, token=old_token)
    assert (error_of(replaced)["code"], error_of(replaced)["field"]) == ("BAD_USER_INPUT", "token")
    assert "newer one" in error_of(replaced)["message"]
    assert (await run(resources, CONFIRM, token=new_token))["data"]["confirmSubscription"]["status"] == "CONFIRMED"


async def test_a_superseded_confirmation_still_waiting_is_not_sent(resources: Resources, mailbox: Mailbox) -> None:
    newsletter_id = await create_newsletter(resources)
    await run(resources, SUBSCRIBE, id=newsletter_id, email="ada@example.org")
    async with resources.sessions() as session, session.begin():
        await session.execute(update(Subscription).values(confirm_sent_at=utcnow() - timedelta(minutes=5)))
    await run(resources, SUBSCRIBE, id=newsletter_id, email="ada@example.org")
    await send_newsletter_mail(resources)
    assert len(mailbox.to("ada@example.org")) == 1
    token = link_token(confirm_link(mailbox.to("ada@example.org")[0]))
    assert (await run(resources, CONFIRM, token=token))["data"]["confirmSubscription"]["status"] == "CONFIRMED"


async def test_an_expired_or_unknown_token_is_refused(resources: Resources, mailbox: Mailbox) -> None:
    newsletter_id = await create_newsletter(resources)
    await run(resources, SUBSCRIBE, id=newsletter_id, email="ada@example.org")
    await send_newsletter_mail(resources)
    token = link_token(confirm_link(mailbox.to("ada@example.org")[0]))
    async with resources.sessions() as session, session.begin():
        await session.execute(update(Subscription).values(confirm_expires_at=utcnow() - timedelta(seconds=1)))
    expired = await run(resources, CONFIRM, token=token)
    assert (error_of(expired)["code"], error_of(expired)["field"]) == ("BAD_USER_INPUT", "token")
    assert "expired" in error_of(expired)["message"]
    for bad in ("made-up-token", "", "x" * 500):
        refused = await run(resources, CONFIRM, token=bad)
        assert (error_of(refused)["code"], error_of(refused)["field"]) == ("BAD_USER_INPUT", "token")
    assert await subscriber_count(resources, newsletter_id) == 0


@pytest.mark.parametrize(
    "email",
    [
        "",
        "ada",
        "ada@",
        "@example.org",
        "ada@example",
        "a b@example.org",
        "é@example.org",
        "ada@exämple.org",
        "\u212a@example.org",  # the Kelvin sign, which lower-cases to an ASCII "k"
        "ada..b@example.org",
        "ada.@example.org",
        "ada@example.org\nbcc@example.org",
        "ada@-example.org",
        f"{'a' * 65}@example.org",
    ],
)
async def test_a_bad_address_names_the_field_and_writes_nothing(
    resources: Resources, mailbox: Mailbox, email: str
) -> None:
    newsletter_id = await create_newsletter(resources)
    before = await table_counts(resources)
    body = await run(resources, SUBSCRIBE, id=newsletter_id, email=email)
    assert (error_of(body)["code"], error_of(body)["field"]) == ("BAD_USER_INPUT", "email")
    assert await table_counts(resources) == before


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        (" Ada.Lovelace+news@Mail.Example.ORG\n", "ada.lovelace+news@mail.example.org"),
        ("o'brien@xn--bcher-kva.example", "o'brien@xn--bcher-kva.example"),
        ("é@example.org", None),
        ("ada@example.org\nbcc@example.org", None),
    ],
)
async def test_an_address_an_account_may_have_is_one_that_subscribes(
    resources: Resources, mailbox: Mailbox, email: str, expected: str | None
) -> None:
    """One rule for both, so a member can always subscribe with their account's address, and be known by it."""
    try:
        account: str | None = accounts.normalise_email(email)
    except BadUserInput:
        account = None
    newsletter_id = await create_newsletter(resources)
    body = await run(resources, SUBSCRIBE, id=newsletter_id, email=email)
    subscribed = body["data"]["subscribe"]["email"] if body["data"] else None
    assert account == subscribed == expected


async def test_an_unknown_newsletter_is_not_found(resources: Resources) -> None:
    body = await run(resources, SUBSCRIBE, id="0" * 32, email="ada@example.org")
    assert (error_of(body)["code"], error_of(body)["field"]) == ("NOT_FOUND", "newsletterId")
    assert (await table_counts(resources))["newsletter_subscriptions"] == 0


@pytest.mark.parametrize(
    "viewer", [ANONYMOUS, member("m1"), editor("e1"), admin("a1")], ids=["anonymous", "member", "editor", "admin"]
)
async def test_anyone_may_subscribe_and_confirm(resources: Resources, mailbox: Mailbox, viewer: Viewer) -> None:
    newsletter_id = await create_newsletter(resources)
    await subscribe_and_confirm(resources, mailbox, newsletter_id, "ada@example.org", viewer)
    assert await subscriber_count(resources, newsletter_id) == 1


@pytest.mark.parametrize("viewer", [ANONYMOUS, member("m1"), editor("e1")], ids=["anonymous", "member", "editor"])
async def test_subscriber_counts_are_for_admins_only(resources: Resources, viewer: Viewer) -> None:
    newsletter_id = await create_newsletter(resources)
    query = "query($id: ID!) { newsletter(id: $id) { subscriberCount subscribers { edges { node { email } } } } }"
    assert (await run(resources, query, viewer, id=newsletter_id))["data"]["newsletter"] == {
        "subscriberCount": None,
        "subscribers": None,
    }
    assert (await run(resources, query, ADMIN, id=newsletter_id))["data"]["newsletter"] == {
        "subscriberCount": 0,
        "subscribers": {"edges": []},
    }


async def test_a_members_newsletters_are_theirs_and_admins_to_see(resources: Resources, mailbox: Mailbox) -> None:
    await run_seeds(resources.sessions, [USERS])
    async with resources.sessions() as session:
        ada, grace = [await AUTHORS.user_id_by_handle(session, handle) for handle in ("ada", "grace")]
    assert ada is not None
    assert grace is not None
    newsletter_id = await create_newsletter(resources)
    other = await create_newsletter(resources, "Co-op monthly", "MONTHLY")
    third = await create_newsletter(resources, "Market news", "WEEKLY")
    await subscribe_and_confirm(resources, mailbox, newsletter_id, "ada@example.org", member(ada))
    # Asked for while signed in but never confirmed: not one of theirs.
    await run(resources, SUBSCRIBE, member(ada), id=other, email="ada@example.org")
    # Someone else's address, confirmed by its owner: still not the signed-in asker's.
    await subscribe_and_confirm(resources, mailbox, third, "ada@example.org", member(grace))

    def representations(user_id: str) -> list[dict[str, str]]:  # Strawberry consumes them: a fresh list each time
        return [{"__typename": "User", "id": user_id}]

    expected = {
        "newsletters": {
            "edges": [
                {"node": {"email": "ada@example.org", "status": "CONFIRMED", "newsletter": {"name": "Weekly digest"}}}
            ]
        }
    }
    for viewer in (member(ada), admin("a1")):
        assert (await run(resources, MY_NEWSLETTERS, viewer, r=representations(ada)))["data"]["_entities"] == [expected]
    for viewer in (ANONYMOUS, member(grace), editor("e1")):
        hidden = await run(resources, MY_NEWSLETTERS, viewer, r=representations(ada))
        assert hidden["data"]["_entities"] == [{"newsletters": None}]
    graces = await run(resources, MY_NEWSLETTERS, member(grace), r=representations(grace))
    assert graces["data"]["_entities"] == [{"newsletters": {"edges": []}}]


async def test_the_mailed_link_asks_before_confirming_in_a_browser(resources: Resources, mailbox: Mailbox) -> None:
    newsletter_id = await create_newsletter(resources)
    await run(resources, SUBSCRIBE, id=newsletter_id, email="ada@example.org")
    await send_newsletter_mail(resources)
    path = confirm_link(mailbox.to("ada@example.org")[0]).removeprefix(PUBLIC_URL)
    token = link_token(path)
    transport = httpx.ASGITransport(app=create_app(resources))
    async with httpx.AsyncClient(transport=transport, base_url="http://account") as client:
        # A link checker's HEAD, or a mail scanner opening the link (Safe Links), confirms nothing.
        assert (await client.head(path)).status_code == 200
        page = await client.get(path)
        assert await subscriber_count(resources, newsletter_id) == 0
        pressed = await client.post(path)
        again = await client.get(path)
        broken = await client.get("/newsletters/confirm?token=made-up")
        missing = await client.post("/newsletters/confirm")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert "Subscribe to Weekly digest?" in page.text
    assert 'method="post"' in page.text
    assert f'action="?token={token}"' in page.text
    assert pressed.status_code == 200
    assert "ada@example.org will receive Weekly digest" in pressed.text
    assert await subscriber_count(resources, newsletter_id) == 1
    assert "Already subscribed" in again.text
    assert broken.status_code == missing.status_code == 400
    assert "This link does not work" in broken.text


async def test_an_expired_link_says_so_before_anything_is_pressed(resources: Resources, mailbox: Mailbox) -> None:
    newsletter_id = await create_newsletter(resources)
    await run(resources, SUBSCRIBE, id=newsletter_id, email="ada@example.org")
    await send_newsletter_mail(resources)
    path = confirm_link(mailbox.to("ada@example.org")[0]).removeprefix(PUBLIC_URL)
    async with resources.sessions() as session, session.begin():
        await session.execute(update(Subscription).values(confirm_expires_at=utcnow() - timedelta(seconds=1)))
    transport = httpx.ASGITransport(app=create_app(resources))
    async with httpx.AsyncClient(transport=transport, base_url="http://account") as client:
        page = await client.get(path)
    assert page.status_code == 400
    assert "expired" in page.text
    assert "<form" not in page.text
