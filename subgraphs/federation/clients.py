"""OAuth clients: the platform's own web apps (from configuration) and partners (registered by admins).

First-party clients are public: they prove themselves with PKCE and their
exact redirect URI, hold no secret, and are never shown a consent page.
Partners are confidential: an admin registers one with its grant types and
scopes, and its secret is shown once and stored hashed.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from shared.auth import Viewer
from shared.db import utcnow
from shared.errors import BadUserInput, Conflict, Forbidden, NotFound, Unauthenticated
from shared.pagination import Page, paginate
from shared.validation import http_url, line
from subgraphs.federation import oauth_tokens
from subgraphs.federation.oauth_models import IssuedToken, OAuthClient, secret_hash
from subgraphs.federation.oauth_policy import API_SCOPES, FIRST_PARTY_GRANT_TYPES, GRANT_TYPES, SCOPES, USER_SCOPES

_MAX_URIS = 10
_CONFIDENTIAL_AUTH_METHODS = ("client_secret_basic", "client_secret_post")


@dataclass(frozen=True, slots=True)
class Client(ClientMixin):
    """A client as authlib's grants and endpoints ask about it."""

    client_id: str
    name: str
    first_party: bool
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    scopes: tuple[str, ...]
    secret_hash: str | None  # None for a public client

    @property
    def client_metadata(self) -> dict[str, Any]:
        # authlib's end-session endpoint reads the registered post-logout URIs here.
        return {"post_logout_redirect_uris": list(self.post_logout_redirect_uris)}

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # None makes redirect_uri a required parameter, as OAuth 2.1 and OpenID Connect want.
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scopes if this client may have them all (None: invalid_scope); none asked: its API scopes."""
        if not scope:
            return " ".join(s for s in self.scopes if s in API_SCOPES)
        requested = scope.split()
        if not set(requested) <= set(self.scopes):
            return None
        return " ".join(dict.fromkeys(requested))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return self.secret_hash is not None and hmac.compare_digest(secret_hash(client_secret), self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.secret_hash is None:
            return method == "none"
        return method in _CONFIDENTIAL_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


def first_party_clients(configured: Mapping[str, Sequence[str]]) -> dict[str, Client]:
    """The web apps named in OAUTH_FIRST_PARTY_CLIENTS; after logout they may return to their origin's root."""
    clients = {}
    for client_id, redirect_uris in configured.items():
        origins = dict.fromkeys(f"{parts.scheme}://{parts.netloc}/" for parts in map(urlsplit, redirect_uris))
        clients[client_id] = Client(
            client_id=client_id,
            name="Rose Ash",
            first_party=True,
            redirect_uris=tuple(redirect_uris),
            post_logout_redirect_uris=tuple(origins),
            grant_types=FIRST_PARTY_GRANT_TYPES,
            scopes=SCOPES,
            secret_hash=None,
        )
    return clients


def partner(row: OAuthClient) -> Client:
    return Client(
        client_id=row.client_id,
        name=row.name,
        first_party=False,
        redirect_uris=tuple(row.redirect_uris),
        post_logout_redirect_uris=tuple(row.post_logout_redirect_uris),
        grant_types=tuple(row.grant_types),
        scopes=tuple(row.scopes),
        secret_hash=row.secret_hash,
    )


def find_client(db: Session, first_party: Mapping[str, Client], client_id: str) -> Client | None:
    """A client by id, as long as it exists and is not revoked."""
    if client_id in first_party:
        return first_party[client_id]
    row = db.get(OAuthClient, client_id)
    return partner(row) if row is not None and row.revoked_at is None else None


# Managing partners (admins, through GraphQL).


async def register_client(
    session: AsyncSession,
    viewer: Viewer,
    *,
    name: str,
    grant_types: Sequence[str],
    scopes: Sequence[str],
    redirect_uris: Sequence[str] = (),
    post_logout_redirect_uris: Sequence[str] = (),
) -> tuple[OAuthClient, str]:
    """A new partner client and its secret, which is never shown again."""
    _require_admin(viewer)
    grants = _grant_types(grant_types)
    row = OAuthClient(
        client_id=secrets.token_urlsafe(18),
        name=line(name, field="name", label="client name", max_length=100),
        grant_types=grants,
        scopes=_scopes(scopes, grants),
        redirect_uris=_uris(redirect_uris, "redirectUris", "redirect URI"),
        post_logout_redirect_uris=_uris(post_logout_redirect_uris, "postLogoutRedirectUris", "post-logout URI"),
        created_by=viewer.user_id,
    )
    if "authorization_code" in grants and not row.redirect_uris:
        raise BadUserInput("a client using authorization_code needs a redirect URI", field="redirectUris")
    secret = _new_secret(row)
    session.add(row)
    await session.flush()
    return row, secret


async def rotate_client_secret(session: AsyncSession, viewer: Viewer, client_id: str) -> tuple[OAuthClient, str]:
    """A new secret; the old one stops working at once."""
    row = await _live_client(session, viewer, client_id)
    secret = _new_secret(row)
    await session.flush()
    return row, secret


async def revoke_client(session: AsyncSession, viewer: Viewer, client_id: str) -> OAuthClient:
    """The client can no longer get tokens, and every token it holds is revoked."""
    row = await _live_client(session, viewer, client_id)
    row.revoked_at = utcnow()
    await session.flush()
    await session.run_sync(oauth_tokens.revoke_where, IssuedToken.client_id == client_id)
    return row


async def list_clients(session: AsyncSession, viewer: Viewer, first: int, after: str | None) -> Page[OAuthClient]:
    _require_admin(viewer)
    return await paginate(session, select(OAuthClient), OAuthClient.created_at, OAuthClient.client_id, first, after)


async def _live_client(session: AsyncSession, viewer: Viewer, client_id: str) -> OAuthClient:
    _require_admin(viewer)
    row = await session.get(OAuthClient, client_id)
    if row is None:
        raise NotFound("no such client", clientId=client_id)
    if row.revoked_at is not None:
        raise Conflict("this client is revoked", field="clientId")
    return row


def _new_secret(row: OAuthClient) -> str:
    secret = secrets.token_urlsafe(32)
    row.secret_hash = secret_hash(secret)
    return secret


def _require_admin(viewer: Viewer) -> None:
    if not viewer.is_authenticated:
        raise Unauthenticated("sign in to manage OAuth clients")
    if not viewer.has_role("admin"):
        raise Forbidden("only admins may manage OAuth clients")


def _grant_types(given: Sequence[str]) -> list[str]:
    grants = [g for g in GRANT_TYPES if g in given]
    if not grants:
        raise BadUserInput("give at least one grant type", field="grantTypes")
    if "refresh_token" in grants and "authorization_code" not in grants:
        raise BadUserInput("refresh_token goes with authorization_code", field="grantTypes")
    return grants


def _scopes(given: Sequence[str], grants: Sequence[str]) -> list[str]:
    scopes = [s for s in SCOPES if s in given]
    if not scopes:
        raise BadUserInput("give at least one scope", field="scopes")
    if "authorization_code" not in grants and set(scopes) & set(USER_SCOPES):
        raise BadUserInput(
            f"{', '.join(s for s in scopes if s in USER_SCOPES)} need a user: add the authorization_code grant",
            field="scopes",
        )
    return scopes


def _uris(given: Sequence[str], field: str, label: str) -> list[str]:
    if len(given) > _MAX_URIS:
        raise BadUserInput(f"give at most {_MAX_URIS} of them", field=field)
    uris = []
    for raw in given:
        uri = http_url(raw, field=field, label=label)
        parts = urlsplit(uri)
        if parts.fragment:
            raise BadUserInput(f"a {label} cannot have a #fragment", field=field)
        # Plain http only where nothing on the network can see it: the client's own machine (RFC 8252).
        if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
            raise BadUserInput(f"a {label} must use https (http only for localhost)", field=field)
        uris.append(uri)
    return list(dict.fromkeys(uris))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
