"""authlib's authorization server wired into Starlette.

authlib has no Starlette integration and its server is synchronous, so a
handler first reads the whole request (`Incoming.read`), then builds an
`OAuthServer` for that request around the synchronous face of its database
session and runs authlib inside `AsyncSession.run_sync`, where blocking-style
SQLAlchemy calls are carried over the async driver. One server per request
keeps the session out of globals; building one is a few small objects.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    JsonPayload,
    JsonRequest,
    OAuth2Payload,
    OAuth2Request,
)
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy.orm import Session
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from shared.config import Settings
from shared.db import new_id
from subgraphs.federation import oauth_tokens, signing_keys
from subgraphs.federation.clients import Client, find_client, first_party_clients
from subgraphs.federation.login_sessions import EndUser
from subgraphs.federation.oauth_endpoints import EndSession, Introspection, Revocation, UserInfoEndpoint
from subgraphs.federation.oauth_grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    OpenIDConnect,
    RefreshTokenGrant,
    S256Challenge,
)
from subgraphs.federation.oauth_policy import SCOPES

# Forms and token requests are small; anything bigger is not one.
MAX_BODY = 64 * 1024
_MAX_FIELDS = 100


@dataclass(frozen=True, slots=True)
class Authority:
    """What the server is, from settings: who it says it is, whom its tokens are for, its own web apps."""

    issuer: str
    audience: str
    first_party: dict[str, Client]

    @classmethod
    def from_settings(cls, settings: Settings) -> Authority:
        return cls(
            issuer=settings.oauth_issuer,
            audience=settings.oauth_audience,
            first_party=first_party_clients(settings.oauth_first_party_clients),
        )

    def url(self, path: str) -> str:
        """The public address of one of our paths; what clients were told, so what authlib checks requests by."""
        return self.issuer + path

    @property
    def secure(self) -> bool:
        return self.issuer.startswith("https://")


@dataclass(frozen=True, slots=True)
class Incoming:
    """A Starlette request read in full, for the synchronous authlib code to look at."""

    method: str
    uri: str
    headers: Headers
    query: tuple[tuple[str, str], ...]
    form: tuple[tuple[str, str], ...]
    body: bytes

    @classmethod
    async def read(cls, request: Request, uri: str) -> Incoming:
        """Read `request`, known publicly as `uri`; too big a body is a 413, a form that is not UTF-8 a 400."""
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                raise HTTPException(413, f"the request body is larger than {MAX_BODY} bytes")
        form: list[tuple[str, str]] = []
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            try:
                form = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=_MAX_FIELDS)
            except (UnicodeDecodeError, ValueError):
                raise HTTPException(400, "the form is not valid application/x-www-form-urlencoded UTF-8") from None
        query = tuple(request.query_params.multi_items())
        return cls(request.method, uri, request.headers, query, tuple(form), bytes(body))

    def form_value(self, name: str) -> str:
        return next((value for key, value in self.form if key == name), "")


class _Payload(OAuth2Payload):
    """Parameters as authlib reads them: the first of each name, and every value by name."""

    def __init__(self, pairs: tuple[tuple[str, str], ...]) -> None:
        self._data: dict[str, str] = {}
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            self._data.setdefault(key, value)
            self._datalist[key].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):
    def __init__(self, incoming: Incoming) -> None:
        super().__init__(incoming.method, incoming.uri, headers=incoming.headers)
        # The query carries an authorization request, the body a token request; our own
        # form fields (csrf, step, password...) share no names with OAuth's.
        self.payload = _Payload(incoming.query + incoming.form)
        self._args = _Payload(incoming.query).data
        self._form = _Payload(incoming.form).data

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _JsonPayload(JsonPayload):
    def __init__(self, body: bytes) -> None:
        self._body = body

    @property
    def data(self) -> Any:
        return orjson.loads(self._body) if self._body else {}


class StarletteJsonRequest(JsonRequest):
    def __init__(self, incoming: Incoming) -> None:
        super().__init__(incoming.method, incoming.uri, incoming.headers)
        self.payload = _JsonPayload(incoming.body)


class OAuthServer(AuthorizationServer):
    """The authorization server for one request.

    `db` is the synchronous face of the request's session; `browser` is who
    the browser's login session says is signed in, for logout.
    """

    def __init__(self, authority: Authority, db: Session, browser: EndUser | None = None) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.authority = authority
        self.db = db
        self.browser = browser
        self._signing_key: RSAKey | None = None
        self.register_token_generator(
            "default", oauth_tokens.AccessTokens(authority.issuer, authority.audience, self.signing_key)
        )
        self.register_grant(AuthorizationCodeGrant, [S256Challenge(required=True), OpenIDConnect(self)])
        self.register_grant(RefreshTokenGrant)
        self.register_grant(ClientCredentialsGrant)
        for endpoint in (Revocation, Introspection, UserInfoEndpoint, EndSession):
            self.register_endpoint(endpoint)

    def signing_key(self) -> RSAKey:
        if self._signing_key is None:
            self._signing_key = signing_keys.active_key(self.db)
        return self._signing_key

    def published_keys(self) -> KeySet:
        return signing_keys.published_keys(self.db)

    def query_client(self, client_id: str) -> Client | None:
        return find_client(self.db, self.authority.first_party, client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        if request.authorization_code is not None:
            family_id = request.authorization_code.family_id
        elif request.refresh_token is not None:
            family_id = request.refresh_token.row.family_id
        else:
            family_id = new_id()
        oauth_tokens.record(
            self.db,
            token,
            self.signing_key(),
            client_id=request.client.get_client_id(),
            family_id=family_id,
            end_user=request.user,
        )

    def create_oauth2_request(self, request: Incoming | OAuth2Request) -> OAuth2Request:
        return request if isinstance(request, OAuth2Request) else StarletteOAuth2Request(request)

    def create_json_request(self, request: Incoming) -> JsonRequest:
        return StarletteJsonRequest(request)

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        content = orjson.dumps(body) if isinstance(body, dict) else body
        return Response(content, status_code=status, headers=dict(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """authlib announces events here (a client authenticated, a token revoked); nothing listens."""
