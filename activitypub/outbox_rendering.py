"""From an `ap_activities` row to the activity we send: Create, Update or Delete of an Article, or one rendered already.

A domain writes what changed (verb, object type, object id); the object
itself is fetched through the router when the activity is rendered, so the
sidecar reads no domain table and sends the object as it is now. Objects are
rendered per object type (`RENDERERS`): a new kind of object (an Event, when
the events domain exists) is a renderer added there. Rows that carry their
activity already (an Accept, with its one inbox) are sent as they are.

Object ids are ours for good, so they are built from the domain's id, which
never changes, not from the slug: `{actor}/posts/{post id}`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from activitypub.as2 import AS_NAMESPACE
from activitypub.graphql_client import RouterClient
from activitypub.urls import Urls
from shared.outbox import ApActivity

PUBLIC = f"{AS_NAMESPACE}#Public"
# The one term beyond ActivityStreams that articles use, declared as Mastodon declares it.
CONTEXT: list[Any] = [AS_NAMESPACE, {"Hashtag": "as:Hashtag"}]

POST_QUERY = """
query ActivityPubPost($id: ID!) {
  post(id: $id) { id title excerpt html url featureImage publishedAt updatedAt tags { name url } }
}
"""

_NOT_IN_HASHTAGS = re.compile(r"\W+")


class UnknownActivity(Exception):
    """An outbox row that no renderer knows how to turn into an activity."""


@dataclass(frozen=True, slots=True)
class Rendered:
    activity: dict[str, Any]
    # The inboxes the row names itself (an Accept goes to one follower); None: the actor's followers.
    inboxes: list[str] | None = None

    @property
    def public(self) -> bool:
        """Addressed to everyone, so listed in the actor's outbox collection."""
        audience = [*_listed(self.activity.get("to")), *_listed(self.activity.get("cc"))]
        return PUBLIC in audience


Renderer = Callable[[ApActivity, Urls, RouterClient], Awaitable[Rendered | None]]


async def render(row: ApActivity, urls: Urls, router: RouterClient) -> Rendered | None:
    """The activity for `row`, or None when there is nothing to send (the post is no longer public).

    Raises UnknownActivity for a row no renderer takes, and RouterError when the router cannot answer.
    """
    activity = row.payload.get("activity")
    if isinstance(activity, dict):
        inboxes = row.payload.get("inboxes")
        return Rendered(activity, [str(inbox) for inbox in inboxes] if isinstance(inboxes, list) else None)
    renderer = RENDERERS.get(row.object_type)
    if renderer is None:
        raise UnknownActivity(f"no renderer for {row.verb} of {row.object_type}")
    return await renderer(row, urls, router)


def post_uri(urls: Urls, actor: str, post_id: str) -> str:
    return f"{urls.actor(actor)}/posts/{post_id}"


async def article_activity(row: ApActivity, urls: Urls, router: RouterClient) -> Rendered | None:
    actor = urls.actor(row.actor)
    audience = {"to": [PUBLIC], "cc": [urls.followers(row.actor)]}
    envelope = {"@context": CONTEXT, "id": f"{actor}/activities/{row.id}", "type": row.verb, "actor": actor}
    if row.verb == "Delete":
        # The post is gone or private now: a Tombstone needs nothing of it but its id.
        tombstone = {"id": post_uri(urls, row.actor, row.object_id), "type": "Tombstone"}
        return Rendered({**envelope, **audience, "object": tombstone})
    if row.verb not in ("Create", "Update"):
        raise UnknownActivity(f"no renderer for {row.verb} of {row.object_type}")
    post = (await router.query(POST_QUERY, {"id": row.object_id}))["post"]
    if post is None:
        return None  # unpublished or deleted since; the Delete queued then tells followers
    article = article_document(urls, row.actor, post, edited=row.verb == "Update")
    published = article["updated"] if row.verb == "Update" else article["published"]
    return Rendered({**envelope, "published": published, **audience, "object": article})


def article_document(urls: Urls, actor: str, post: dict[str, Any], *, edited: bool) -> dict[str, Any]:
    """A blog post as an Article, from the router's answer to POST_QUERY."""
    document: dict[str, Any] = {
        "id": post_uri(urls, actor, post["id"]),
        "type": "Article",
        "attributedTo": urls.actor(actor),
        "name": post["title"],
        "content": post["html"],
        "mediaType": "text/html",
        "url": post["url"],
        "published": post["publishedAt"],
        "to": [PUBLIC],
        "cc": [urls.followers(actor)],
        "tag": [tag for tag in map(hashtag, post["tags"]) if tag is not None],
    }
    if post["excerpt"]:
        # Mastodon shows an Article as its name, summary and link; summary is HTML, the excerpt plain text.
        document["summary"] = f"<p>{html.escape(post['excerpt'])}</p>"
    if post["featureImage"]:
        document["image"] = {"type": "Image", "url": post["featureImage"]}
    if edited:
        # Only on Update: Mastodon reads `updated` on a Create as an edit that never happened.
        document["updated"] = post["updatedAt"]
    return document


def hashtag(tag: dict[str, Any]) -> dict[str, Any] | None:
    """A blog tag as a Hashtag; hashtags are one word, so "Open Source" is #OpenSource. None when nothing is left."""
    word = _NOT_IN_HASHTAGS.sub("", tag["name"])
    return {"type": "Hashtag", "href": tag["url"], "name": f"#{word}"} if word else None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


RENDERERS: dict[str, Renderer] = {"Article": article_activity}
