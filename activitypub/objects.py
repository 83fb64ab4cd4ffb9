"""Our objects at their ids: a peer that fetches a post or a status gets it, as actors are served.

Mastodon fetches an object by its id to resolve a reply or a boost of it, or
when a user pastes its address in search. The blog's posts are read through
the router, so a draft or a deleted post is not found; a member's status is
served only when it is public or unlisted, since an unsigned fetch proves no
follower. A browser is sent to the web page instead.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from activitypub.as2 import as2_response, negotiate
from activitypub.graphql_client import RouterError
from activitypub.local_actors import page_path
from activitypub.outbox_rendering import CONTEXT, POST_QUERY, article_document
from activitypub.sidecar import Sidecar
from activitypub.social_statuses import status_note
from shared.http import problem_response

logger = logging.getLogger("roseash.activitypub")

# The actor whose posts are the blog's (`subgraphs/blog` records its activities as it).
BLOG = "blog"


def _answer(request: Request, document: dict[str, Any], page_url: str) -> Response:
    media_type = negotiate(request.headers.get("accept"))
    if media_type is None:
        response: Response = RedirectResponse(page_url, status_code=302)
        response.headers["Vary"] = "Accept"
        return response
    return as2_response(document, media_type=media_type)


def _not_found(what: str) -> Response:
    return problem_response(404, "Not Found", detail=f"there is no {what} here")


def routes(sidecar: Sidecar) -> list[BaseRoute]:
    async def post_endpoint(request: Request) -> Response:
        post_id = request.path_params["post_id"]
        try:
            post = (await sidecar.router.query(POST_QUERY, {"id": post_id}))["post"]
        except RouterError as exc:
            logger.warning("post %s: cannot read it through the router: %s", post_id, exc)
            return problem_response(503, "Service Unavailable", detail="the post cannot be read just now")
        if post is None:
            return _not_found(f"post {post_id!r}")
        edited = datetime.fromisoformat(post["updatedAt"]) > datetime.fromisoformat(post["publishedAt"])
        article = article_document(sidecar.urls, BLOG, post, edited=edited)
        return _answer(request, {"@context": CONTEXT, **article}, post["url"])

    async def status_endpoint(request: Request) -> Response:
        name, status_id = request.path_params["name"], request.path_params["status_id"]
        async with sidecar.resources.sessions() as session:
            actor = await sidecar.local.find(session, name)
            note = await status_note(session, sidecar.urls, name, status_id) if actor is not None else None
        if actor is None or note is None:
            return _not_found(f"status {status_id!r} of {name!r}")
        # A status has no page of its own on the site; its author's is the nearest.
        return _answer(request, note, sidecar.urls.page(page_path(actor)))

    return [
        Route(f"/users/{BLOG}/posts/{{post_id}}", post_endpoint, methods=["GET"]),
        Route("/users/{name}/statuses/{status_id}", status_endpoint, methods=["GET"]),
    ]
