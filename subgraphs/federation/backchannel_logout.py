"""OpenID Connect Back-Channel Logout 1.0: telling our web apps that a login session ended.

When login sessions end (RP-initiated logout, a password change), the issuer
signs one logout token per web app that got tokens in each session and POSTs
it to that app's back-channel URI, its origin + BACKCHANNEL_PATH; the app
verifies the token and ends its own sessions with that `sid`. That is how
logging out anywhere ends every app's first-party session.

Tokens are signed inside the transaction that ends the sessions (it has the
signing key to hand), and sent once it commits: never for an ending that
rolled back. The commit waits for the deliveries, with a short timeout, so
when a logout answers the apps already know; a failed delivery is logged and
the app's session still ends within minutes, when its next refresh is refused.

The URIs come from our own configuration (OAUTH_FIRST_PARTY_CLIENTS), never
from a stranger, so deliveries do not go through `shared.outbound`, whose
guard against private addresses would stop a web app reached inside our own
network. The embedded default delivers in process (`use_transport`).

Ending sessions is synchronous code inside the federation app's requests; the
app tells it where to announce through `AnnounceEndedSessions`, so sessions
ended elsewhere (a script, a test calling the service directly) are not
announced.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import httpx
from joserfc import jwt
from sqlalchemy import event, select
from sqlalchemy.exc import MissingGreenlet
from sqlalchemy.orm import Session
from sqlalchemy.util import await_
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.db import utcnow
from subgraphs.federation import signing_keys
from subgraphs.federation.oauth_models import IssuedToken

if TYPE_CHECKING:
    from subgraphs.federation.oauth_server import Authority

logger = logging.getLogger("roseash.oauth")

BACKCHANNEL_PATH = "/auth/backchannel-logout"
EVENT = "http://schemas.openid.net/event/backchannel-logout"
TOKEN_TYPE = "logout+jwt"  # explicit typing (Back-Channel Logout 2.4), so no other JWT of ours passes for one
TOKEN_LIFETIME = timedelta(minutes=2)
TIMEOUT_SECONDS = 3.0

_PENDING = "backchannel_logout"
_announcing: contextvars.ContextVar[BackchannelLogout | None] = contextvars.ContextVar(
    "backchannel_logout", default=None
)


@dataclass(frozen=True, slots=True)
class Delivery:
    uri: str
    logout_token: str


@dataclass(frozen=True, slots=True)
class _Pending:
    channel: BackchannelLogout
    deliveries: list[Delivery]


class BackchannelLogout:
    """Logout tokens for the first-party clients, and their delivery."""

    def __init__(self, authority: Authority, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.issuer = authority.issuer
        # The origins a first-party client is sent back to after logout are the origins it is served at.
        self.uris = {
            client_id: list(dict.fromkeys(urljoin(uri, BACKCHANNEL_PATH) for uri in client.post_logout_redirect_uris))
            for client_id, client in authority.first_party.items()
        }
        self._transport = transport

    def use_transport(self, transport: httpx.AsyncBaseTransport) -> None:
        """Deliver through `transport` (the web app in this process) instead of the network."""
        self._transport = transport

    def deliveries(self, db: Session, ended: Sequence[tuple[str, str]]) -> list[Delivery]:
        """A logout token for each client that got tokens in each ended (sid, user id) session."""
        users = dict(ended)
        told = db.execute(
            select(IssuedToken.login_session_id, IssuedToken.client_id)
            .where(IssuedToken.login_session_id.in_(list(users)), IssuedToken.client_id.in_(list(self.uris)))
            .distinct()
        ).all()
        if not told:
            return []
        key = signing_keys.active_key(db)
        now = int(utcnow().timestamp())
        deliveries = []
        for sid, client_id in told:
            claims = {
                "iss": self.issuer,
                "sub": users[sid],
                "aud": client_id,
                "iat": now,
                "exp": now + int(TOKEN_LIFETIME.total_seconds()),
                "jti": secrets.token_urlsafe(16),
                "sid": sid,
                "events": {EVENT: {}},
            }
            header = {"alg": signing_keys.ALGORITHM, "typ": TOKEN_TYPE, "kid": key.kid}
            token = jwt.encode(header, claims, key, algorithms=[signing_keys.ALGORITHM])
            deliveries += [Delivery(uri, token) for uri in self.uris[client_id]]
        return deliveries

    async def deliver(self, deliveries: Sequence[Delivery]) -> None:
        """POST each logout token; failures are logged, never raised: the sessions have ended regardless."""
        async with httpx.AsyncClient(
            transport=self._transport, timeout=TIMEOUT_SECONDS, follow_redirects=False
        ) as client:
            await asyncio.gather(*(self._post(client, delivery) for delivery in deliveries))

    async def _post(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        try:
            response = await client.post(delivery.uri, data={"logout_token": delivery.logout_token})
        except httpx.HTTPError as exc:
            logger.warning("back-channel logout to %s failed: %s", delivery.uri, type(exc).__name__)
            return
        if response.status_code not in (200, 204):  # the spec asks for 200; some frameworks answer 204
            logger.warning("back-channel logout to %s answered HTTP %d", delivery.uri, response.status_code)


class AnnounceEndedSessions:
    """ASGI middleware: login sessions ended while this app serves a request are announced through `channel`."""

    def __init__(self, app: ASGIApp, channel: BackchannelLogout) -> None:
        self.app = app
        self.channel = channel

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _announcing.set(self.channel)
        try:
            await self.app(scope, receive, send)
        finally:
            _announcing.reset(token)


def install(app: Starlette, channel: BackchannelLogout) -> None:
    """Announce through `channel` the login sessions that end in `app`'s requests."""
    app.state.backchannel_logout = channel
    app.add_middleware(AnnounceEndedSessions, channel=channel)


def of(app: ASGIApp) -> BackchannelLogout:
    """The channel `install` gave the federation app, to give it a transport."""
    channel = getattr(getattr(app, "state", None), "backchannel_logout", None)
    if not isinstance(channel, BackchannelLogout):
        raise TypeError("this app announces no ended login sessions: it is not the federation app")
    return channel


def announce(db: Session, ended: Sequence[tuple[str, str]]) -> None:
    """Tell the web apps, once `db`'s transaction commits, that these (sid, user id) sessions ended."""
    channel = _announcing.get()
    if channel is None or not ended:
        return
    deliveries = channel.deliveries(db, ended)
    if not deliveries:
        return
    pending: _Pending = db.info.setdefault(_PENDING, _Pending(channel, []))
    pending.deliveries.extend(deliveries)
    if not event.contains(db, "after_commit", _deliver):
        event.listen(db, "after_commit", _deliver)
        event.listen(db, "after_rollback", _forget)


def _deliver(db: Session) -> None:
    pending: _Pending | None = db.info.pop(_PENDING, None)
    if pending is None:
        return
    try:
        # Commit hooks are synchronous; under asyncio they run in SQLAlchemy's greenlet, which can await.
        await_(pending.channel.deliver(pending.deliveries))
    except MissingGreenlet:
        logger.warning("back-channel logout not sent: the session was committed outside asyncio")


def _forget(db: Session) -> None:
    db.info.pop(_PENDING, None)
