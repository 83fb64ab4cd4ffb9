"""Steps the newsletter tests share: operations, a subscriber's double opt-in, reading links out of mail."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from shared.auth import ANONYMOUS, Viewer
from shared.contracts.posts import PostSummary
from shared.db import utcnow
from shared.resources import Resources
from subgraphs.account.models import Delivery, Issue, Newsletter, Subscription
from subgraphs.account.schema import schema
from subgraphs.account.sending import send_newsletter_mail
from tests.smtp_server import Mailbox
from tests.subgraphs.graphql import admin, execute

ADMIN = admin("a1")

CREATE = """mutation($input: CreateNewsletterInput!) {
  createNewsletter(input: $input) { id name description cadence createdAt subscriberCount }
}"""
UPDATE = """mutation($input: UpdateNewsletterInput!) {
  updateNewsletter(input: $input) { id name description cadence }
}"""
SUBSCRIBE = """mutation($id: ID!, $email: String!) {
  subscribe(newsletterId: $id, email: $email) { email newsletter { id name } }
}"""
CONFIRM = (
    "mutation($token: String!) { confirmSubscription(token: $token) { email status confirmedAt newsletter { id } } }"
)
UNSUBSCRIBE = "mutation($token: String!) { unsubscribe(token: $token) { email status } }"
SEND = """mutation($id: ID!) {
  sendNewsletterIssue(newsletterId: $id) { id number subject html text deliveries { pending sent failed } }
}"""
COUNT = "query($id: ID!) { newsletter(id: $id) { subscriberCount } }"


async def run(resources: Resources, query: str, viewer: Viewer = ANONYMOUS, **variables: Any) -> dict[str, Any]:
    return await execute(schema, resources, query, viewer, **variables)


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    return body["errors"][0]


async def create_newsletter(resources: Resources, name: str = "Weekly digest", cadence: str = "WEEKLY") -> str:
    body = await run(resources, CREATE, ADMIN, input={"name": name, "cadence": cadence, "description": "Posts."})
    return str(body["data"]["createNewsletter"]["id"])


async def subscriber_count(resources: Resources, newsletter_id: str) -> int:
    return int((await run(resources, COUNT, ADMIN, id=newsletter_id))["data"]["newsletter"]["subscriberCount"])


def link_token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def confirm_link(message: EmailMessage) -> str:
    text = message.get_body(("plain",))
    assert text is not None
    found = re.search(r"https?://\S+/newsletters/confirm\?token=\S+", text.get_content())
    assert found, text.get_content()
    return found.group(0)


def unsubscribe_link(message: EmailMessage) -> str:
    return str(message["List-Unsubscribe"]).strip("<>")


async def subscribe_and_confirm(
    resources: Resources, mailbox: Mailbox, newsletter_id: str, email: str, viewer: Viewer = ANONYMOUS
) -> None:
    """The double opt-in a subscriber goes through: ask, get the mail, follow its link."""
    assert "errors" not in await run(resources, SUBSCRIBE, viewer, id=newsletter_id, email=email)
    await send_newsletter_mail(resources)
    token = link_token(confirm_link(mailbox.to(email)[-1]))
    assert (await run(resources, CONFIRM, token=token))["data"]["confirmSubscription"]["status"] == "CONFIRMED"


def post(number: int, title: str | None = None, **fields: Any) -> PostSummary:
    """A post published a week ago plus `number` hours: in number order, and well inside an issue's lookback."""
    values: dict[str, Any] = {
        "id": f"p{number}",
        "slug": f"post-{number}",
        "title": title or f"Post {number}",
        "excerpt": f"What post {number} is about.",
        "path": f"/blog/post-{number}/",
        "feature_image": None,
        "published_at": utcnow() - timedelta(days=7) + timedelta(hours=number),
    }
    values.update(fields)
    return PostSummary(**values)


async def table_counts(resources: Resources) -> dict[str, int]:
    """How many rows each newsletter table holds: what 'nothing written' is checked against."""
    async with resources.sessions() as session:
        return {
            model.__tablename__: int(await session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Newsletter, Subscription, Issue, Delivery)
        }
