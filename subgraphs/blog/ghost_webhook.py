"""POST /ghost/webhook: Ghost's post and page webhooks, verified, then applied in one transaction.

Ghost signs a delivery with the webhook's secret (core/server/services/webhooks/
webhook-trigger.js): `X-Ghost-Signature: sha256=<hex>, t=<ms>`, the hex being
HMAC-SHA256 over the exact body followed by the decimal timestamp, which is
milliseconds since the epoch. The request names no event: the body is
`{"post": {"current": {...}, "previous": {...}}}` (or `"page"`), `previous`
holding the fields that changed and, for a deletion, the whole post while
`current` is empty. So `post.published`, `post.edited` and `post.unpublished`
all mean "this is the post now" and `post.deleted` "it is gone", and applying
them by state (ghost_sync's rule) makes a replayed delivery change nothing.

Answers: 503 until GHOST_WEBHOOK_SECRET is set (the route exists, the server
is not ready for it; a 404 would tell Ghost's admin the URL is wrong); 401 for
a missing, malformed, wrong, stale or future signature; 413 for a body over
the limit; 400 for a body that is not a post or page delivery; 202 for events
about other things (tags, members, the site), which are not ours to apply and
must not make Ghost retry; 200 with the outcome otherwise.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shared.db import utcnow
from shared.errors import BadUserInput, Conflict, ErrorCode
from shared.http import problem_response
from shared.resources import Resources
from subgraphs.blog import ghost_sync
from subgraphs.blog.models import Kind

PATH = "/ghost/webhook"
SIGNATURE_HEADER = "X-Ghost-Signature"
MAX_AGE = timedelta(minutes=5)
# Ghost's clock and ours may disagree a little; a timestamp further ahead is not a clock, it is made up.
MAX_AHEAD = timedelta(minutes=1)
MAX_BODY = 5_000_000
_KINDS = {"post": Kind.POST, "page": Kind.PAGE}
_DIGEST = re.compile(r"[0-9a-fA-F]{64}")
_MILLISECONDS = re.compile(r"[0-9]{1,13}")  # up to the year 2286; more would overflow a datetime


class SignatureError(Exception):
    """Why a delivery's signature is refused, in words for Ghost's webhook log."""


def verify(secret: str, body: bytes, header: str | None, now: datetime) -> None:
    """Accept a delivery Ghost signed with `secret` in the last five minutes; raise SignatureError otherwise."""
    if not header:
        raise SignatureError(f"the {SIGNATURE_HEADER} header is missing")
    parts: dict[str, str] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        parts[name] = value
    digest, stamp = parts.get("sha256", ""), parts.get("t", "")
    if not _DIGEST.fullmatch(digest) or not _MILLISECONDS.fullmatch(stamp):
        raise SignatureError(f"the {SIGNATURE_HEADER} header is malformed; expected sha256=<hex>, t=<milliseconds>")
    expected = hmac.new(secret.encode(), body + stamp.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, digest.lower()):
        raise SignatureError("the signature does not match the body and timestamp; check the webhook's secret")
    sent = datetime.fromtimestamp(int(stamp) / 1000, UTC)
    if sent < now - MAX_AGE:
        raise SignatureError(f"the delivery was signed at {sent.isoformat()}, more than 5 minutes ago")
    if sent > now + MAX_AHEAD:
        raise SignatureError(f"the delivery is signed in the future ({sent.isoformat()}); check the clocks")


@dataclass(frozen=True, slots=True)
class Delivery:
    resource: str  # "post" or "page"
    current: dict[str, Any]
    previous: dict[str, Any]

    @property
    def kind(self) -> Kind:
        return _KINDS[self.resource]


def read_delivery(body: bytes) -> Delivery | None:
    """The post or page delivery in `body`; None for events about anything else."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadUserInput("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise BadUserInput('the body must be a JSON object, like {"post": {"current": {...}, "previous": {...}}}')
    named = [name for name in _KINDS if name in payload]
    if not named:
        return None
    if len(named) > 1:
        raise BadUserInput("the body must be about one post or one page, not both")
    resource = named[0]
    inner = payload[resource]
    if not isinstance(inner, dict):
        raise BadUserInput(f"{resource} must be an object with current and previous")
    current = inner.get("current")
    previous = {} if inner.get("previous") is None else inner["previous"]
    if not isinstance(current, dict):
        raise BadUserInput(f"{resource}.current must be an object ({{}} when the {resource} was deleted)")
    if not isinstance(previous, dict):
        raise BadUserInput(f"{resource}.previous must be an object")
    return Delivery(resource=resource, current=current, previous=previous)


async def apply_delivery(resources: Resources, delivery: Delivery) -> ghost_sync.Outcome:
    try:
        return await _apply(resources, delivery)
    except (Conflict, IntegrityError):
        # Ghost fires several webhooks for one change at once (published and edited); the
        # delivery that lost the race to write the post tries once more, and finds it done.
        try:
            return await _apply(resources, delivery)
        except (Conflict, IntegrityError):
            raise Conflict(f"this {delivery.resource} was being written at the same moment; try again") from None


async def _apply(resources: Resources, delivery: Delivery) -> ghost_sync.Outcome:
    async with resources.sessions() as session, session.begin():
        if not delivery.current:
            return await ghost_sync.delete_document(session, delivery.kind, delivery.previous, announce=True)
        return await ghost_sync.apply_document(session, delivery.kind, delivery.current, announce=True)


async def _read_body(request: Request) -> bytes | None:
    """The body, or None once it passes MAX_BODY (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return bytes(body)


def webhook_routes(resources: Resources) -> list[Route]:
    async def webhook(request: Request) -> Response:
        secret = resources.settings.ghost_webhook_secret
        if secret is None:
            return problem_response(
                503, "Service Unavailable", detail="the Ghost webhook is not configured: set GHOST_WEBHOOK_SECRET"
            )
        body = await _read_body(request)
        if body is None:
            return problem_response(413, "Content Too Large", detail=f"the body is over {MAX_BODY} bytes")
        try:
            verify(secret, body, request.headers.get(SIGNATURE_HEADER), utcnow())
        except SignatureError as exc:
            return problem_response(401, "Unauthorized", detail=str(exc), code=ErrorCode.UNAUTHENTICATED)
        delivery = read_delivery(body)
        if delivery is None:
            answer = {"status": "ignored", "reason": "only post and page events are applied"}
            return Response(orjson.dumps(answer), status_code=202, media_type="application/json")
        outcome = await apply_delivery(resources, delivery)
        answer = {"status": str(outcome), "resource": delivery.resource}
        return Response(orjson.dumps(answer), media_type="application/json")

    return [Route(PATH, webhook, methods=["POST"])]
