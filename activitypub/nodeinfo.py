"""NodeInfo 2.0 and 2.1: what software this is and how much it is used, for crawlers and peers.

`/.well-known/nodeinfo` links both versions. The counts are real: members and
recent sign-ins from the federation domain, published posts from the blog,
each through its contract. They are cached for a few minutes, since anyone
may ask and every answer counts rows.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from activitypub.sidecar import Sidecar
from activitypub.webfinger import CORS
from shared.contracts import contracts
from shared.contracts.posts import PostStatistics
from shared.contracts.users import MemberStatistics
from shared.db import utcnow
from shared.http import problem_response

SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/{version}"
VERSIONS = ("2.0", "2.1")
SOFTWARE = "roseash"  # the schema allows [a-z0-9-] only
NODE_NAME = "Rose Ash"
USAGE_CACHE_KEY = "activitypub:nodeinfo:usage"
USAGE_CACHE_SECONDS = 300.0


def links(sidecar: Sidecar) -> dict[str, Any]:
    return {"links": [{"rel": SCHEMA.format(version=v), "href": sidecar.urls.nodeinfo(v)} for v in VERSIONS]}


def document(schema_version: str, usage: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": schema_version,
        "software": {"name": SOFTWARE, "version": version("roseash")},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        # Anyone may register (the federation domain's `register` mutation).
        "openRegistrations": True,
        "usage": usage,
        "metadata": {"nodeName": NODE_NAME},
    }


async def usage(sidecar: Sidecar) -> dict[str, Any]:
    cache = sidecar.resources.cache
    cached = await cache.get(USAGE_CACHE_KEY)
    if cached is not None:
        counted: dict[str, Any] = orjson.loads(cached)
        return counted
    async with sidecar.resources.sessions() as session:
        members = await contracts.get(MemberStatistics).member_counts(session, now=utcnow())
        posts = await contracts.get(PostStatistics).published_count(session)
    counted = {
        "users": {
            "total": members.total,
            "activeMonth": members.active_month,
            "activeHalfyear": members.active_halfyear,
        },
        "localPosts": posts,
    }
    await cache.set(USAGE_CACHE_KEY, orjson.dumps(counted), ttl=USAGE_CACHE_SECONDS)
    return counted


def routes(sidecar: Sidecar) -> list[BaseRoute]:
    async def well_known(request: Request) -> Response:
        return Response(orjson.dumps(links(sidecar)), media_type="application/json", headers=CORS)

    async def nodeinfo(request: Request) -> Response:
        schema_version = request.path_params["version"]
        if schema_version not in VERSIONS:
            return problem_response(404, "Not Found", detail=f"NodeInfo here is {' and '.join(VERSIONS)}")
        body = orjson.dumps(document(schema_version, await usage(sidecar)))
        media_type = f'application/json; profile="{SCHEMA.format(version=schema_version)}#"'
        return Response(body, media_type=media_type, headers=CORS)

    return [
        Route("/.well-known/nodeinfo", well_known, methods=["GET"]),
        Route("/nodeinfo/{version}", nodeinfo, methods=["GET"]),
    ]
