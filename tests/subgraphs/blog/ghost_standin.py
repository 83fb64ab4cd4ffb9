"""A stand-in Ghost site: the Content API as documented, and webhooks signed the way Ghost signs them.

Content API (https://docs.ghost.org/content-api/): `GET /ghost/api/content/<resource>/`
with the key in `?key=`; 403 without a key and 401 with an unknown one; `limit`
(default 15, or `all`) and `page`, answered with `meta.pagination`; `include=tags,authors`
adds tags, authors, primary_tag and primary_author; `formats` picks html and plaintext;
members-only posts come without their HTML; errors are `{"errors": [{"message", "type"}]}`.

Webhooks (core/server/services/webhooks/webhook-trigger.js and serialize.js): the body
is JSON.stringify of `{"post": {"current": ..., "previous": ...}}` in the Admin API's shape
(with `status`), `previous` holding the changed fields, or everything when deleted; the
header is `X-Ghost-Signature: sha256=<hex HMAC-SHA256 of body + ts>, t=<ts>`, ts in ms.
Written here from those sources, not from our receiver, so it checks the receiver.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

KEY = "22444f78447824223cefc48062"  # the shape of a real Content API key (26 hex digits)
SITE_TITLE = "The Co-op Gazette"
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
POSTS = 37
MEMBERS_ONLY = 37  # the last post is for members: the Content API serves it without its HTML

TAG_NAMES = ("News", "Food", "Market", "Co-op", "Technology", "Events")


def ghost_time(moment: datetime) -> str:
    """Ghost's date format: 2019-11-26T02:43:13.000+00:00."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+00:00"


def object_id(kind: int, n: int) -> str:
    """A 24-hex-digit id like Ghost's ObjectIds."""
    return f"{0x65A0B000 + kind:08x}{n:016x}"


def ghost_error(status: int, message: str, kind: str, context: str | None = None) -> JSONResponse:
    error = {"message": message, "context": context, "type": kind, "details": None, "property": None}
    return JSONResponse({"errors": [{**error, "help": None, "code": None, "id": object_id(9, status)}]}, status)


@dataclass
class GhostSite:
    """The site's content, kept in Ghost's Admin shape; tests change it and read the request log."""

    url: str = "http://ghost.invalid"  # set once served: Ghost's URLs point at itself
    authors: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)
    # (resource, page number) answered with a 500, to break an import part-way.
    failing: set[tuple[str, int]] = field(default_factory=set)
    requests: list[Request] = field(default_factory=list)

    @classmethod
    def seeded(cls) -> GhostSite:
        site = cls()
        site.authors = [
            site._author(1, "Ada Lovelace", "ada", "https://images.example.org/ada.jpg"),
            # Ghost hands out gravatars protocol-relative.
            site._author(2, "Grace Hopper", "grace", "//www.gravatar.com/avatar/0bc83cb571cd1c50ba6f3e8a7?s=250"),
            # and uploaded pictures under the site's own address.
            site._author(3, "Tim Berners-Lee", "tim", "/content/images/2024/01/tim.png"),
        ]
        site.tags = [
            {"id": object_id(2, n), "name": name, "slug": name.lower(), "description": f"All about {name.lower()}."}
            | {"feature_image": None, "visibility": "public", "meta_title": None, "meta_description": None}
            for n, name in enumerate(TAG_NAMES, start=1)
        ]
        # Internal tags (#name) are for themes; the Content API's /tags/ leaves them out, posts carry them.
        site.tags.append(
            {"id": object_id(2, 99), "name": "#feature", "slug": "hash-feature", "description": None}
            | {"feature_image": None, "visibility": "internal", "meta_title": None, "meta_description": None}
        )
        for n in range(1, POSTS + 1):
            tags = [site.tags[n % 6], site.tags[(n + 1) % 6]] + ([site.tags[6]] if n % 5 == 0 else [])
            site.posts.append(
                site.document(
                    n,
                    f"Post number {n}",
                    f"<p>Story {n}: " + "the co-op grows and learns. " * (20 * n) + "</p>",
                    tags=tags,
                    authors=[site.authors[n % 3]],
                    visibility="members" if n == MEMBERS_ONLY else "public",
                )
            )
        for n, title in enumerate(("About us", "Contact", "Privacy"), start=1):
            site.pages.append(site.document(100 + n, title, f"<h2>{title}</h2><p>Who we are.</p>", page=True))
        return site

    def _author(self, n: int, name: str, slug: str, image: str) -> dict[str, Any]:
        return {
            "id": object_id(1, n),
            "name": name,
            "slug": slug,
            "profile_image": image,
            "cover_image": None,
            "bio": f"{name} writes for the co-op.",
            "website": None,
            "location": None,
            "facebook": None,
            "twitter": None,
            "meta_title": None,
            "meta_description": None,
        }

    def document(
        self,
        n: int,
        title: str,
        html: str,
        *,
        tags: list[dict[str, Any]] | None = None,
        authors: list[dict[str, Any]] | None = None,
        page: bool = False,
        visibility: str = "public",
        status: str = "published",
    ) -> dict[str, Any]:
        """A post or page as Ghost's Admin API serialises it."""
        published = START + timedelta(days=n)
        slug = title.lower().replace(" ", "-")
        return {
            "id": object_id(4 if page else 3, n),
            "uuid": f"5d6c3b2a-0000-4000-8000-{n:012x}",
            "title": title,
            "slug": slug,
            "html": html,
            "plaintext": title,
            "comment_id": object_id(3, n),
            "feature_image": f"https://images.example.org/{slug}.jpg",
            "feature_image_alt": None,
            "feature_image_caption": None,
            "featured": n % 7 == 0,
            "status": status,
            "visibility": visibility,
            "created_at": ghost_time(published - timedelta(hours=2)),
            "updated_at": ghost_time(published + timedelta(hours=1)),
            "published_at": ghost_time(published),
            "custom_excerpt": "A short one, by hand." if n % 4 == 0 else None,
            "codeinjection_head": None,
            "codeinjection_foot": None,
            "custom_template": None,
            "canonical_url": None,
            "tags": tags or [],
            "authors": authors or [self.authors[0]],
            "type": "page" if page else "post",
        }

    def find(self, ghost_id: str) -> dict[str, Any]:
        return next(doc for doc in self.posts + self.pages if doc["id"] == ghost_id)

    def edit(self, ghost_id: str, *, minutes: int = 60, **changes: Any) -> dict[str, Any]:
        """Change a post as an editor in Ghost would; `updated_at` moves by `minutes`. Returns `previous`."""
        doc = self.find(ghost_id)
        previous = {name: doc[name] for name in changes}
        stamp = datetime.fromisoformat(doc["updated_at"]) + timedelta(minutes=minutes)
        previous["updated_at"] = doc["updated_at"]
        doc.update(changes, updated_at=ghost_time(stamp))
        return previous

    # The Content API

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/ghost/api/content/{resource}/", self._browse, methods=["GET"])])

    async def _browse(self, request: Request) -> JSONResponse:
        self.requests.append(request)
        key = request.query_params.get("key")
        if not key:
            return ghost_error(
                403,
                "Authorization failed",
                "NoPermissionError",
                "Unable to determine the authenticated member or integration. Check the supplied Content API Key.",
            )
        if key != KEY:
            return ghost_error(401, "Unknown Content API Key", "UnauthorizedError")
        resource = request.path_params["resource"]
        if resource not in ("posts", "pages", "tags", "authors"):
            return ghost_error(404, "Resource not found", "NotFoundError")
        raw_limit, raw_page = request.query_params.get("limit", "15"), request.query_params.get("page", "1")
        if not (raw_limit == "all" or raw_limit.isdigit()) or not raw_page.isdigit():
            return ghost_error(400, "Validation error, cannot list posts.", "ValidationError")
        number = int(raw_page)
        if (resource, number) in self.failing:
            return ghost_error(500, "An unexpected error occurred, please try again.", "InternalServerError")
        everything = self._everything(resource)
        limit = (len(everything) or 1) if raw_limit == "all" else min(int(raw_limit), 100)
        pages = max(1, math.ceil(len(everything) / limit))
        chosen = everything[(number - 1) * limit : number * limit]
        include = set(filter(None, request.query_params.get("include", "").split(",")))
        formats = set(filter(None, request.query_params.get("formats", "html").split(",")))
        items = [self._content(resource, item, include, formats) for item in chosen]
        pagination = {
            "page": number,
            "limit": limit,
            "pages": pages,
            "total": len(everything),
            "next": number + 1 if number < pages else None,
            "prev": number - 1 if number > 1 else None,
        }
        return JSONResponse({resource: items, "meta": {"pagination": pagination}})

    def _everything(self, resource: str) -> list[dict[str, Any]]:
        if resource == "tags":
            return [tag for tag in self.tags if tag["visibility"] == "public"]
        if resource == "authors":
            return list(self.authors)
        documents = self.posts if resource == "posts" else self.pages
        # Published ones only, newest first: the Content API's default order.
        public = [doc for doc in documents if doc["status"] == "published"]
        return sorted(public, key=lambda doc: doc["published_at"], reverse=True)

    def _content(self, resource: str, item: dict[str, Any], include: set[str], formats: set[str]) -> dict[str, Any]:
        if resource in ("tags", "authors"):
            return {**item, "url": f"{self.url}/{resource[:-1]}/{item['slug']}/"}
        doc = copy.deepcopy(item)
        tags, authors = doc.pop("tags"), doc.pop("authors")
        del doc["status"], doc["type"]
        html, plaintext = doc.pop("html"), doc.pop("plaintext")
        gated = doc["visibility"] != "public"
        if "html" in formats:
            doc["html"] = "" if gated else html
        if "plaintext" in formats:
            doc["plaintext"] = "" if gated else plaintext
        doc["access"] = not gated
        doc["url"] = f"{self.url}/{doc['slug']}/"
        doc["excerpt"] = doc["custom_excerpt"] or plaintext[:500]
        doc["reading_time"] = 1
        if "tags" in include:
            doc["tags"] = [self._content("tags", tag, set(), set()) for tag in tags]
            doc["primary_tag"] = doc["tags"][0] if doc["tags"] else None
        if "authors" in include:
            doc["authors"] = [self._content("authors", author, set(), set()) for author in authors]
            doc["primary_author"] = doc["authors"][0] if doc["authors"] else None
        return doc

    # Webhooks

    def admin(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A post in the Admin API's shape, as webhooks carry it: with status, tags and authors."""
        shaped = copy.deepcopy(doc)
        del shaped["type"]
        shaped["url"] = f"{self.url}/{doc['slug']}/"
        shaped["tags"] = [self._content("tags", tag, set(), set()) for tag in doc["tags"]]
        shaped["authors"] = [self._content("authors", author, set(), set()) for author in doc["authors"]]
        shaped["primary_tag"] = shaped["tags"][0] if shaped["tags"] else None
        shaped["primary_author"] = shaped["authors"][0] if shaped["authors"] else None
        return shaped

    def payload(self, ghost_id: str, previous: dict[str, Any] | None = None) -> dict[str, Any]:
        """What `post.published`, `post.edited` or `post.unpublished` sends (`page.*` for pages)."""
        doc = self.find(ghost_id)
        return {doc["type"]: {"current": self.admin(doc), "previous": previous or {}}}

    def deletion(self, ghost_id: str) -> dict[str, Any]:
        """What `post.deleted` sends, and takes the post off the site."""
        doc = self.find(ghost_id)
        (self.posts if doc["type"] == "post" else self.pages).remove(doc)
        return {doc["type"]: {"current": {}, "previous": self.admin(doc)}}


def signature(secret: str, body: bytes, timestamp_ms: int) -> str:
    """`sha256=${hmac(secret).update(`${reqPayload}${ts}`).digest('hex')}, t=${ts}`, as webhook-trigger.js does."""
    message = body.decode() + str(timestamp_ms)
    return f"sha256={hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()}, t={timestamp_ms}"


def signed_headers(body: bytes, secret: str, *, at: float | None = None) -> dict[str, str]:
    """The headers Ghost sends with `body`, signed at `at` (seconds since the epoch; default now)."""
    timestamp_ms = int((time.time() if at is None else at) * 1000)
    return {
        "Content-Type": "application/json",
        "Content-Version": "v5.130",
        "X-Ghost-Signature": signature(secret, body, timestamp_ms),
    }


def webhook_request(payload: dict[str, Any], secret: str, *, at: float | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers Ghost sends for `payload`."""
    # JSON.stringify: no spaces, non-ASCII kept as it is.
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return body, signed_headers(body, secret, at=at)


async def deliver(
    client: httpx.AsyncClient, url: str, payload: dict[str, Any], secret: str, *, at: float | None = None
) -> httpx.Response:
    """POST a webhook to `url` the way Ghost does."""
    body, headers = webhook_request(payload, secret, at=at)
    return await client.post(url, content=body, headers=headers)
