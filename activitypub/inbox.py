"""The inboxes: each actor's own, and the shared one every server delivers to once.

A delivery is refused before anything is stored, in this order:
- 429 when the host named in its key id has sent too much this minute;
- 413 when its body is larger than ACTIVITYPUB_MAX_INBOX_BYTES;
- 400 when it is not an activity (JSON object with a type and an actor);
- 401 when its signature does not verify (either scheme, through the
  signature layer: covered components, Digest or Content-Digest, the time
  window, the key fetched with a signed GET and refetched once on failure),
  when it was addressed to another host, when the same signature was seen
  before (a replay), or when the key's owner is not the activity's actor.
Then, in one transaction, the activity's id is recorded (a second delivery of
it does nothing) and its handler runs. Types we do not handle are accepted
and ignored. Every answer that is not an error is 202, as Mastodon's is.
A verified delivery, whatever its type, closes the circuit breaker of its
actor's host (`host_health`): the host is up.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from activitypub import cavage, rfc9421
from activitypub.as2 import id_of, type_of
from activitypub.header_fields import HeaderFields
from activitypub.host_health import HostHealth
from activitypub.inbox_handlers import HANDLERS, PREPARATIONS, Arrival, Handler
from activitypub.models import InboxActivity
from activitypub.remote_actors import ActorDocument, RemoteActorError, SignerLookup, host_of
from activitypub.sidecar import Sidecar
from activitypub.signatures import CLOCK_SKEW_MARGIN, EXPIRATION_WINDOW_LIMIT, SignatureError, verify_request
from activitypub.target_uri import parse_target_uri
from activitypub.urls import Urls
from shared.http import problem_response
from shared.ratelimit import RateLimit

logger = logging.getLogger("roseash.activitypub")

# A signature may be accepted from an hour before its creation until an hour after its
# longest life; remembering it that long refuses every replay the time window would let in.
REPLAY_MEMORY_SECONDS = (EXPIRATION_WINDOW_LIMIT + 2 * CLOCK_SKEW_MARGIN).total_seconds()


class _Refused(Exception):
    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers or {}

    def response(self) -> Response:
        logger.info("inbox refused a delivery (%d): %s", self.status, self.reason)
        response = problem_response(self.status, _TITLES[self.status], detail=self.reason)
        response.headers.update(self.headers)
        return response


_TITLES = {400: "Bad Request", 401: "Unauthorized", 413: "Content Too Large", 429: "Too Many Requests"}


class _Duplicate(Exception):
    pass


@dataclass(frozen=True, slots=True)
class _Verified:
    """An activity whose request passed every check, and the lookup that knows who signed it."""

    activity: dict[str, Any]
    kind: str
    actor_uri: str
    signer: SignerLookup


class Inbox:
    def __init__(self, sidecar: Sidecar) -> None:
        self._sidecar = sidecar
        self._urls = sidecar.urls
        self._settings = sidecar.resources.settings
        self._health = HostHealth(sidecar.resources.sessions)
        self._limit = RateLimit(
            sidecar.resources.cache, "activitypub-inbox", self._settings.activitypub_inbox_rate_limit, 60.0
        )

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/inbox", self._shared_inbox, methods=["POST"]),
            Route("/users/{name}/inbox", self._actor_inbox, methods=["POST"]),
        ]

    async def _shared_inbox(self, request: Request) -> Response:
        return await self._receive(request, self._urls.shared_inbox)

    async def _actor_inbox(self, request: Request) -> Response:
        name = request.path_params["name"]
        async with self._sidecar.resources.sessions() as session:
            if await self._sidecar.local.find(session, name) is None:
                return problem_response(404, "Not Found", detail=f"there is no actor {name!r} here")
        return await self._receive(request, self._urls.inbox(name))

    async def _receive(self, request: Request, inbox_url: str) -> Response:
        try:
            verified = await self._verify(request, inbox_url)
            if verified is None:
                return _accepted()
            await self._health.heard_from(host_of(verified.actor_uri))
            handler = HANDLERS.get(verified.kind)
            if handler is None:
                return _accepted()
            activity_id = id_of(verified.activity)
            if activity_id is None:
                raise _Refused(400, "the activity has no id")
            prepare = PREPARATIONS.get(verified.kind)
            fetched = await prepare(self._sidecar.remote, verified.activity) if prepare is not None else None
            try:
                await self._handle(verified, handler, activity_id, fetched)
            except IntegrityError:
                # A concurrent delivery stored the same remote actor or reply first: again, now that it is there.
                await self._handle(verified, handler, activity_id, fetched)
        except _Refused as refused:
            return refused.response()
        except _Duplicate:
            pass
        return _accepted()

    async def _verify(self, request: Request, inbox_url: str) -> _Verified | None:
        """The checks of the module docstring, in its order; None for a request to accept and ignore."""
        headers = list(request.headers.items())
        fields = HeaderFields(headers)
        sender_host = _claimed_host(fields) or (request.client.host if request.client else "unknown")
        decision = await self._limit.hit(sender_host)
        if not decision.allowed:
            retry_after = {"Retry-After": f"{decision.retry_after:.0f}"}
            raise _Refused(429, f"{sender_host} sent too many requests; try again later", retry_after)
        body = await _read(request, self._settings.activitypub_max_inbox_bytes)
        try:
            activity = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise _Refused(400, "the body is not JSON") from None
        kind = type_of(activity)
        actor_uri = id_of(activity.get("actor")) if isinstance(activity, dict) else None
        if kind is None or actor_uri is None:
            raise _Refused(400, "the body is not an activity: it needs a type and an actor")
        deletes_itself = kind == "Delete" and id_of(activity.get("object")) == actor_uri
        if deletes_itself and await self._sidecar.remote.cached(actor_uri) is None:
            # An account we never knew is gone: nothing to do, and its key can no longer be fetched.
            return None
        host = fields.get("host")
        if not _addressed_here(host, self._urls):
            raise _Refused(401, f"the request is addressed to {host!r}, not to {self._urls.authority}")
        url = f"{inbox_url}?{request.url.query}" if request.url.query else inbox_url
        lookup = SignerLookup(self._sidecar.remote)
        try:
            await verify_request("POST", url, headers, body, lookup_key=lookup)
        except (SignatureError, RemoteActorError) as exc:
            raise _Refused(401, f"the signature cannot be accepted: {exc.reason}") from None
        if not await self._first_use(fields):
            raise _Refused(401, "this signed request was received before: a replay")
        if lookup.signer_uri != actor_uri:
            raise _Refused(401, f"signed by {lookup.signer_uri}, not by the activity's actor {actor_uri}")
        return _Verified(activity, kind, actor_uri, lookup)

    async def _handle(
        self, verified: _Verified, handler: Handler, activity_id: str, fetched: ActorDocument | None
    ) -> None:
        """Record the activity's id and run its handler, in one transaction; _Duplicate when seen before."""
        sidecar = self._sidecar
        async with sidecar.resources.sessions() as session, session.begin():
            session.add(InboxActivity(uri=activity_id, type=verified.kind, actor_uri=verified.actor_uri))
            try:
                await session.flush()
            except IntegrityError:
                raise _Duplicate from None
            try:
                sender = await verified.signer.signer(session)
            except RemoteActorError as exc:
                raise _Refused(401, exc.reason) from None
            arrival = Arrival(
                session, self._urls, sidecar.local, sidecar.remote, sender, verified.activity, activity_id, fetched
            )
            await handler(arrival)

    async def _first_use(self, fields: HeaderFields) -> bool:
        """Record the request's signature values; False when one was seen before.

        The values are the signature bytes, not the header text, so a replay with
        the header respelled (spaces, parameter order) is caught too.
        """
        if "signature-input" in fields:
            values = [signature.signature for signature in rfc9421.parse_signatures(fields)]
        else:
            encoded = cavage.parse_signature_header(fields.get("signature") or "")["signature"]
            values = [base64.b64decode(encoded.strip())]
        first = True
        for value in values:
            key = f"activitypub:signature:{hashlib.sha256(value).hexdigest()}"
            if await self._sidecar.resources.cache.incr(key, ttl=REPLAY_MEMORY_SECONDS) > 1:
                first = False
        return first


def routes(sidecar: Sidecar) -> list[BaseRoute]:
    return Inbox(sidecar).routes()


def _accepted() -> Response:
    return Response(status_code=202)


async def _read(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    too_large = _Refused(413, f"an activity may be at most {limit} bytes")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def _claimed_host(fields: HeaderFields) -> str | None:
    """The host the signature's key id names, read without verifying anything: what rate limits count by."""
    try:
        if "signature-input" in fields:
            key_ids: list[Any] = [signature.params.get("keyid") for signature in rfc9421.parse_signatures(fields)]
        else:
            key_ids = [cavage.parse_signature_header(fields.get("signature") or "").get("keyid")]
    except SignatureError:
        return None
    hosts = [host_of(key_id) for key_id in key_ids if isinstance(key_id, str)]
    return hosts[0] if hosts and hosts[0] else None


def _addressed_here(host: str | None, urls: Urls) -> bool:
    """Whether the Host header names us: draft-cavage signs it, so a request signed for another server
    (the same path on another host) must not verify here."""
    if host is None:
        return False
    try:
        return parse_target_uri(f"{parse_target_uri(urls.base).scheme}://{host}/").authority == urls.authority
    except SignatureError:
        return False
