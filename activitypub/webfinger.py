"""Discovery: WebFinger (RFC 7033) for `acct:` names, and host-meta (RFC 6415) pointing at it.

A peer that meets `@blog@example.org` asks WebFinger for
`acct:blog@example.org` and follows the `self` link to the actor. Mastodon
requires the round trip to close: the actor's `preferredUsername` at our
domain must give back the same actor, so every actor's acct name is its
preferredUsername. The actor's own id is accepted as a resource too.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from activitypub.as2 import ACTIVITY_JSON
from activitypub.local_actors import page_path
from activitypub.sidecar import Sidecar
from activitypub.urls import Urls
from shared.http import problem_response

JRD = "application/jrd+json"
XRD = "application/xrd+xml"
PROFILE_PAGE = "http://webfinger.net/rel/profile-page"
# Discovery documents are public and read by browser-based clients too.
CORS = {"Access-Control-Allow-Origin": "*"}


def requested_name(resource: str, urls: Urls) -> str | None:
    """The actor name a WebFinger resource asks for, when it is at our domain."""
    if resource.startswith(("https://", "http://")):
        return urls.actor_name(resource)
    account = resource.removeprefix("acct:").removeprefix("@")
    name, at, domain = account.rpartition("@")
    if not at or domain.lower() != urls.domain:
        return None
    return name.lower()


def document(urls: Urls, name: str, page: str) -> dict[str, object]:
    actor = urls.actor(name)
    return {
        "subject": f"acct:{name}@{urls.domain}",
        "aliases": [actor, page],
        "links": [
            {"rel": PROFILE_PAGE, "type": "text/html", "href": page},
            {"rel": "self", "type": ACTIVITY_JSON, "href": actor},
        ],
    }


def routes(sidecar: Sidecar) -> list[BaseRoute]:
    urls = sidecar.urls

    async def webfinger(request: Request) -> Response:
        resource = request.query_params.get("resource", "").strip()
        if not resource:
            return problem_response(
                400, "Bad Request", detail="give the account to look up as ?resource=acct:name@host"
            )
        name = requested_name(resource, urls)
        actor = None
        if name is not None:
            async with sidecar.resources.sessions() as session:
                actor = await sidecar.local.find(session, name)
        if actor is None:
            return problem_response(404, "Not Found", detail=f"no account here is {resource}")
        body = orjson.dumps(document(urls, actor.name, urls.page(page_path(actor))))
        return Response(body, media_type=JRD, headers=CORS)

    async def host_meta(request: Request) -> Response:
        template = quoteattr(f"{urls.webfinger}?resource={{uri}}")
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
            f'  <Link rel="lrdd" template={template}/>\n'
            "</XRD>\n"
        )
        return Response(body, media_type=XRD, headers=CORS)

    return [
        Route("/.well-known/webfinger", webfinger, methods=["GET"]),
        Route("/.well-known/host-meta", host_meta, methods=["GET"]),
    ]
