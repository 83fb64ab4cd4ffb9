"""Reading a Ghost site's Content API, page by page, through the outbound helper.

The Content API (https://docs.ghost.org/content-api/) serves published posts,
pages, public tags and authors at `<site>/ghost/api/content/<resource>/`. The
key goes in the `key` query parameter; `Accept-Version` names the API version
we speak; browse answers carry `meta.pagination` (`page, limit, pages, total,
next, prev`). Every failure becomes a `GhostError` whose message is one line a
person can act on, and never shows the key.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from shared.outbound import Outbound, OutboundError

Resource = Literal["authors", "tags", "posts", "pages"]

ACCEPT_VERSION = "v5.0"
PAGE_SIZE = 15  # Ghost's own default: a page of posts with their HTML is a modest transaction
_API_PATH = "/ghost/api/content"
_KEY = re.compile(r"^[A-Za-z0-9]{8,128}$")


class GhostError(Exception):
    """The Ghost site cannot be read: a wrong URL or key, an unreachable host, an unexpected answer."""


@dataclass(frozen=True, slots=True)
class GhostPage:
    resource: Resource
    items: list[dict[str, Any]]
    page: int
    total: int
    next: int | None


def site_url(raw: str) -> str:
    """The site's address as given (`https://example.com` or `https://example.com/blog`), checked and trimmed."""
    # The address itself is not echoed: what was pasted in its place may be a secret.
    wrong = "the Ghost site address must be an http:// or https:// URL, like https://blog.example.org"
    try:
        url = httpx.URL(raw.strip())
    except httpx.InvalidURL:
        raise GhostError(wrong) from None
    if url.scheme not in ("http", "https") or not url.host:
        raise GhostError(wrong)
    if url.userinfo or url.query or url.fragment:
        raise GhostError(
            "the Ghost site address must have no credentials, query or fragment; give the Content API key on its own"
        )
    path = url.path.rstrip("/")
    # People paste the API's own address too; it names the same site.
    for suffix in (_API_PATH, "/ghost"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    return str(url.copy_with(path=path or "/")).rstrip("/")


def content_key(raw: str) -> str:
    key = raw.strip()
    if ":" in key:
        raise GhostError("that is an Admin API key (id:secret); give the site's Content API key instead")
    if not _KEY.fullmatch(key):
        raise GhostError("a Content API key is letters and digits only, like 22444f78447824223cefc48062")
    return key


class ContentAPI:
    """`async for page in ContentAPI(http, url, key).pages("posts"): ...`"""

    def __init__(self, http: Outbound, url: str, key: str) -> None:
        self.site = site_url(url)
        self._key = content_key(key)
        self._http = http

    async def pages(self, resource: Resource) -> AsyncIterator[GhostPage]:
        number: int | None = 1
        while number is not None:
            page = await self._page(resource, number)
            yield page
            # A `next` that does not move forward would loop for ever; only a later page counts.
            number = page.next if page.next is not None and page.next > number else None

    async def _page(self, resource: Resource, number: int) -> GhostPage:
        url = f"{self.site}{_API_PATH}/{resource}/"
        params: dict[str, str | int] = {"key": self._key, "limit": PAGE_SIZE, "page": number}
        if resource in ("posts", "pages"):
            params.update(include="tags,authors", formats="html")
        try:
            response = await self._http.get(url, headers={"Accept-Version": ACCEPT_VERSION}, params=params)
            body = response.json()
        except OutboundError as exc:
            raise GhostError(_explain(exc)) from None
        # `url` carries no key (that travels in `params`), so it may be shown.
        shown = url
        if not isinstance(body, dict) or not isinstance(body.get(resource), list):
            raise GhostError(f"{shown} did not answer like a Ghost Content API: no {resource!r} list")
        items = body[resource]
        if not all(isinstance(item, dict) for item in items):
            raise GhostError(f"{shown} did not answer like a Ghost Content API: {resource!r} holds non-objects")
        meta = body.get("meta")
        pagination = meta.get("pagination") if isinstance(meta, dict) else None
        if not isinstance(pagination, dict) or not isinstance(pagination.get("total"), int):
            raise GhostError(f"{shown} did not answer like a Ghost Content API: no meta.pagination")
        following = pagination.get("next")
        return GhostPage(
            resource=resource,
            items=items,
            page=number,
            total=pagination["total"],
            next=following if isinstance(following, int) else None,
        )


def _explain(exc: OutboundError) -> str:
    if exc.status in (401, 403):
        return f"Ghost refused the Content API key (HTTP {exc.status} from {exc.url}); check the key"
    if exc.status == 404:
        return f"no Ghost Content API at {exc.url} (HTTP 404); check the site address"
    if exc.status is not None:
        return f"Ghost answered HTTP {exc.status} for {exc.url}; try again later"
    return f"cannot read {exc.url}: {exc.reason}"
