"""The grants the server allows (RFC 9700, OAuth 2.1): authorization code with PKCE, refresh, client credentials.

There is no implicit and no password grant. Codes and refresh tokens are
claimed the moment they are looked up, with a conditional UPDATE, so two
requests racing with the same one cannot both win; the loser is treated as
reuse and revokes the family the first one started.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from authlib.oauth2.rfc6749 import InvalidRequestError, InvalidScopeError, OAuth2Request, grants, scope_to_list
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode, UserInfo
from joserfc.jwk import KeySet
from sqlalchemy import delete, select, update

from shared.db import utcnow
from subgraphs.federation import login_sessions, oauth_tokens
from subgraphs.federation.clients import Client
from subgraphs.federation.login_sessions import EndUser
from subgraphs.federation.models import User
from subgraphs.federation.oauth_models import AuthorizationCode, IssuedToken, secret_hash
from subgraphs.federation.oauth_policy import CODE_LIFETIME, ID_TOKEN_LIFETIME, SPENT_CODES_KEPT, USER_SCOPES

if TYPE_CHECKING:
    from subgraphs.federation.oauth_server import OAuthServer

# Every client authenticates at the token endpoint as it was registered: partners with their secret, web apps with none.
_ANY_CLIENT = ["client_secret_basic", "client_secret_post", "none"]


def user_claims(user: User, scope: str) -> UserInfo:
    """The OpenID Connect claims `scope` allows about `user`: for userinfo and ID tokens."""
    claims = UserInfo(
        sub=user.id,
        name=user.display_name,
        preferred_username=user.handle,
        picture=user.avatar_url,
        # Addresses are not verified at registration, and a relying party must be told so.
        email=user.email,
        email_verified=False if user.email else None,
    )
    return UserInfo({k: v for k, v in claims.filter(scope).items() if v is not None})


class S256Challenge(CodeChallenge):
    """PKCE for every client, public or confidential, with S256 only (RFC 9700 2.1.1)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]

    def validate_code_challenge(self, grant: grants.BaseGrant, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge and code_challenge_method=S256")
        if data.get("code_challenge_method") != "S256":
            # Absent, the method would default to plain, which sends the secret itself.
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class OpenIDConnect(OpenIDCode):
    """ID tokens for the code flow: signed with our current key, carrying nonce, auth_time, at_hash and sid."""

    def __init__(self, server: OAuthServer) -> None:
        super().__init__(require_nonce=False)
        self.server = server

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        found = self.server.db.scalar(
            select(AuthorizationCode.code_hash).where(
                AuthorizationCode.client_id == request.payload.client_id, AuthorizationCode.nonce == nonce
            )
        )
        return found is not None

    def resolve_client_private_key(self, client: Client) -> KeySet:
        return KeySet([self.server.signing_key()])

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        now = int(utcnow().timestamp())
        return {
            "iss": self.server.authority.issuer,
            "aud": client.client_id,
            "iat": now,
            "exp": now + int(ID_TOKEN_LIFETIME.total_seconds()),
        }

    def generate_user_info(self, user: EndUser, scope: str) -> UserInfo:
        claims = user_claims(user.user, scope)
        claims["sid"] = user.session_id
        return claims


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = _ANY_CLIENT
    server: OAuthServer

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        end_user: EndUser = request.user
        now = utcnow()
        db = self.server.db
        db.execute(delete(AuthorizationCode).where(AuthorizationCode.expires_at < now - SPENT_CODES_KEPT))
        data = request.payload.data
        db.add(
            AuthorizationCode(
                code_hash=secret_hash(code),
                client_id=request.client.get_client_id(),
                user_id=end_user.user.id,
                login_session_id=end_user.session_id,
                auth_time=end_user.auth_time,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                nonce=data.get("nonce"),
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                expires_at=now + CODE_LIFETIME,
            )
        )
        db.flush()

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        db = self.server.db
        row = db.get(AuthorizationCode, secret_hash(code))
        now = utcnow()
        if row is None or row.client_id != client.client_id:
            return None
        if row.used_at is None:
            if row.expires_at <= now:
                return None
            claimed = db.execute(
                update(AuthorizationCode)
                .where(AuthorizationCode.code_hash == row.code_hash, AuthorizationCode.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount == 1:
                return row
        # RFC 6749 4.1.2: a code used twice is refused, and what it was exchanged for is revoked.
        oauth_tokens.revoke_family(db, row.family_id, "authorization code used twice")
        return None

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Nothing left to do: the code was claimed when it was looked up."""

    def authenticate_user(self, authorization_code: AuthorizationCode) -> EndUser | None:
        user = self.server.db.get(User, authorization_code.user_id)
        if user is None:
            return None
        code = authorization_code
        return EndUser(user=user, session_id=code.login_session_id, auth_time=code.auth_time)


class RefreshTokenGrant(grants.RefreshTokenGrant):
    """Refresh tokens rotate on every use; a spent one presented again revokes its whole family."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = _ANY_CLIENT
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: OAuthServer

    def authenticate_refresh_token(self, refresh_token: str) -> oauth_tokens.TokenView | None:
        db = self.server.db
        row = db.scalar(select(IssuedToken).where(IssuedToken.refresh_hash == secret_hash(refresh_token)))
        now = utcnow()
        if row is None or row.client_id != self.request.client.get_client_id() or row.revoked_at is not None:
            return None
        if row.refresh_expires_at is None or row.refresh_expires_at <= now:
            return None
        claimed = db.execute(
            update(IssuedToken)
            .where(IssuedToken.jti == row.jti, IssuedToken.refresh_used_at.is_(None), IssuedToken.revoked_at.is_(None))
            .values(refresh_used_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            oauth_tokens.revoke_family(db, row.family_id, "refresh token used twice")
            return None
        # Without offline_access, a refresh token lives only as long as the sign-in it came from.
        offline = "offline_access" in row.scope.split()
        if row.login_session_id and not offline and not login_sessions.is_live(db, row.login_session_id):
            return None
        return oauth_tokens.TokenView(row, "refresh_token")

    def authenticate_user(self, refresh_token: oauth_tokens.TokenView) -> EndUser | None:
        row = refresh_token.row
        user = self.server.db.get(User, row.user_id) if row.user_id else None
        if user is None or row.login_session_id is None or row.auth_time is None:
            return None
        return EndUser(user=user, session_id=row.login_session_id, auth_time=row.auth_time)

    def revoke_old_credential(self, refresh_token: oauth_tokens.TokenView) -> None:
        """Nothing left to do: the refresh token was spent when it was looked up."""


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    """Partners acting as themselves: API scopes only, since OpenID Connect's scopes are about a user."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "client_secret_post"]

    def validate_token_request(self) -> None:
        super().validate_token_request()
        user_scopes = [s for s in scope_to_list(self.request.payload.scope) or [] if s in USER_SCOPES]
        if user_scopes:
            raise InvalidScopeError(f"{' '.join(user_scopes)}: these scopes need a user, not client credentials")
