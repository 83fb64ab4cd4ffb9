"""Actor documents: what a peer gets at an actor's id, and where a browser is sent instead.

Domain actors (blog, market, events) and the instance actor publish the one
instance key under their own key ids. A member's document takes their name,
bio and picture from the router, and their own key from `ap_member_actors`.
The document carries the properties Mastodon reads, `alsoKnownAs`,
`discoverable` and `indexable` among them.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from activitypub.as2 import CONTEXT, as2_response, negotiate
from activitypub.graphql_client import RouterError
from activitypub.local_actors import DOMAIN_ACTORS, ActorKind, LocalActor, page_path
from activitypub.sidecar import Sidecar
from shared.http import problem_response

logger = logging.getLogger("roseash.activitypub")

MEMBER_QUERY = """
query ActivityPubMember($handle: String!) {
  user(handle: $handle) { displayName avatarUrl createdAt profile { bio } }
}
"""


@dataclass(frozen=True, slots=True)
class Profile:
    """What differs between actors beyond their name."""

    type: str
    public_key_pem: str
    display_name: str
    summary: str | None = None
    icon_url: str | None = None
    published: str | None = None
    manually_approves_followers: bool = False
    discoverable: bool = True
    indexable: bool = True
    also_known_as: list[str] = field(default_factory=list)


class MemberGone(Exception):
    """The member was found a moment ago and is not there now."""


async def profile(sidecar: Sidecar, actor: LocalActor) -> Profile:
    if actor.kind is ActorKind.DOMAIN:
        domain = DOMAIN_ACTORS[actor.name]
        pair = await sidecar.instance_keys.get()
        return Profile("Organization", pair.public_key_pem, domain.display_name, domain.summary)
    if actor.kind is ActorKind.INSTANCE:
        # Signs our fetches; like Mastodon's, it is nobody to follow or find.
        pair = await sidecar.instance_keys.get()
        return Profile(
            "Application",
            pair.public_key_pem,
            "Rose Ash",
            manually_approves_followers=True,
            discoverable=False,
            indexable=False,
        )
    member = await sidecar.local.member(actor)
    user = (await sidecar.router.query(MEMBER_QUERY, {"handle": actor.name}))["user"]
    if user is None:
        raise MemberGone(actor.name)
    return Profile(
        "Person",
        member.public_key_pem,
        user["displayName"],
        summary=summary_html(user["profile"]["bio"]),
        icon_url=user["avatarUrl"],
        published=user["createdAt"],
        manually_approves_followers=member.manually_approves_followers,
        discoverable=member.discoverable,
        indexable=member.indexable,
        also_known_as=list(member.also_known_as),
    )


def document(sidecar: Sidecar, actor: LocalActor, about: Profile) -> dict[str, Any]:
    urls = sidecar.urls
    actor_id = urls.actor(actor.name)
    body: dict[str, Any] = {
        "@context": CONTEXT,
        "id": actor_id,
        "type": about.type,
        "preferredUsername": actor.name,
        "name": about.display_name,
        "url": urls.page(page_path(actor)),
        "inbox": urls.inbox(actor.name),
        "outbox": urls.outbox(actor.name),
        "followers": urls.followers(actor.name),
        "following": urls.following(actor.name),
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "publicKey": {"id": urls.key_id(actor.name), "owner": actor_id, "publicKeyPem": about.public_key_pem},
        "manuallyApprovesFollowers": about.manually_approves_followers,
        "discoverable": about.discoverable,
        "indexable": about.indexable,
        "alsoKnownAs": about.also_known_as,
    }
    if about.summary:
        body["summary"] = about.summary
    if about.icon_url:
        body["icon"] = {"type": "Image", "url": about.icon_url}
    if about.published:
        body["published"] = about.published
    return body


def summary_html(text: str) -> str | None:
    """A plain-text bio as the HTML `summary` is: escaped, in paragraphs, line breaks kept."""
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n") if block.strip()]
    return "".join(f"<p>{html.escape(block).replace(chr(10), '<br>')}</p>" for block in blocks) or None


def routes(sidecar: Sidecar) -> list[BaseRoute]:
    async def actor_endpoint(request: Request) -> Response:
        name = request.path_params["name"]
        async with sidecar.resources.sessions() as session:
            actor = await sidecar.local.find(session, name)
        if actor is None:
            return problem_response(404, "Not Found", detail=f"there is no actor {name!r} here")
        media_type = negotiate(request.headers.get("accept"))
        if media_type is None:
            response: Response = RedirectResponse(sidecar.urls.page(page_path(actor)), status_code=302)
            response.headers["Vary"] = "Accept"
            return response
        try:
            about = await profile(sidecar, actor)
        except MemberGone:
            return problem_response(404, "Not Found", detail=f"there is no actor {name!r} here")
        except RouterError as exc:
            logger.warning("actor %s: cannot read the member through the router: %s", name, exc)
            return problem_response(503, "Service Unavailable", detail="the member's profile cannot be read just now")
        return as2_response(document(sidecar, actor, about), media_type=media_type)

    return [Route("/users/{name}", actor_endpoint, methods=["GET"])]
