"""An actor's outbox, followers and following: OrderedCollections, newest first, paged by cursor.

The collection itself gives the total and a link to its first page, as
Mastodon's do; each page links the next with `?cursor=`, the row id to
continue below, so a page never shifts when new items arrive. The outbox
lists the public activities in `ap_outbox` (the delivery side writes them);
followers and following list accepted follows only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from activitypub.as2 import ACTIVITY_JSON, CONTEXT, as2_response, negotiate
from activitypub.models import Follower, Following, FollowStatus, OutboxItem, RemoteActor
from activitypub.sidecar import Sidecar
from activitypub.urls import Urls
from shared.http import problem_response

PAGE_SIZE = 20


@dataclass(frozen=True, slots=True)
class Source:
    """One collection: its address, and a query of (row id, item) for an actor, over which pages run."""

    url: Callable[[Urls, str], str]
    rows: Callable[[str], Select[Any]]
    row_id: Any


def _outbox(name: str) -> Select[Any]:
    return select(OutboxItem.id, OutboxItem.document).where(OutboxItem.actor_name == name, OutboxItem.public)


def _followers(name: str) -> Select[Any]:
    return (
        select(Follower.id, RemoteActor.uri)
        .join(RemoteActor, RemoteActor.id == Follower.remote_actor_id)
        .where(Follower.actor_name == name, Follower.status == FollowStatus.ACCEPTED)
    )


def _following(name: str) -> Select[Any]:
    return (
        select(Following.id, RemoteActor.uri)
        .join(RemoteActor, RemoteActor.id == Following.remote_actor_id)
        .where(Following.actor_name == name, Following.status == FollowStatus.ACCEPTED)
    )


SOURCES: dict[str, Source] = {
    "outbox": Source(Urls.outbox, _outbox, OutboxItem.id),
    "followers": Source(Urls.followers, _followers, Follower.id),
    "following": Source(Urls.following, _following, Following.id),
}


def routes(sidecar: Sidecar) -> list[BaseRoute]:
    def endpoint(source: Source) -> Callable[[Request], Any]:
        async def collection(request: Request) -> Response:
            name = request.path_params["name"]
            cursor_text = request.query_params.get("cursor")
            cursor = int(cursor_text) if cursor_text is not None and cursor_text.isdigit() else None
            if cursor_text is not None and cursor is None:
                return problem_response(400, "Bad Request", detail="cursor must be one a page of this collection gave")
            async with sidecar.resources.sessions() as session:
                if await sidecar.local.find(session, name) is None:
                    return problem_response(404, "Not Found", detail=f"there is no actor {name!r} here")
                url = source.url(sidecar.urls, name)
                rows = source.rows(name)
                if cursor is None and "page" not in request.query_params:
                    total = await session.scalar(select(func.count()).select_from(rows.subquery()))
                    body: dict[str, Any] = {
                        "@context": CONTEXT,
                        "id": url,
                        "type": "OrderedCollection",
                        "totalItems": total or 0,
                        "first": f"{url}?page=true",
                    }
                else:
                    if cursor is not None:
                        rows = rows.where(source.row_id < cursor)
                    page = (await session.execute(rows.order_by(source.row_id.desc()).limit(PAGE_SIZE + 1))).all()
                    body = {
                        "@context": CONTEXT,
                        "id": f"{url}?cursor={cursor}" if cursor is not None else f"{url}?page=true",
                        "type": "OrderedCollectionPage",
                        "partOf": url,
                        "orderedItems": [item for _, item in page[:PAGE_SIZE]],
                    }
                    if len(page) > PAGE_SIZE:
                        body["next"] = f"{url}?cursor={page[PAGE_SIZE - 1][0]}"
            return as2_response(body, media_type=negotiate(request.headers.get("accept")) or ACTIVITY_JSON)

        return collection

    return [Route(f"/users/{{name}}/{kind}", endpoint(source), methods=["GET"]) for kind, source in SOURCES.items()]
