"""The server's other endpoints: revocation (RFC 7009), introspection (RFC 7662), userinfo, RP-initiated logout."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from authlib.consts import default_json_headers
from authlib.oauth2.rfc6749 import OAuth2Request, ResourceProtector
from authlib.oauth2.rfc6749.endpoint import Endpoint
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9068 import JWTBearerTokenValidator
from authlib.oauth2.rfc9068.claims import JWTAccessTokenClaims
from authlib.oidc.rpinitiated import EndSessionEndpoint, EndSessionRequest
from joserfc.jwk import KeySet

from subgraphs.federation import login_sessions, oauth_tokens
from subgraphs.federation.clients import Client
from subgraphs.federation.models import User
from subgraphs.federation.oauth_grants import user_claims
from subgraphs.federation.oauth_models import IssuedToken
from subgraphs.federation.oauth_tokens import TokenView
from subgraphs.federation.signing_keys import ALGORITHM

if TYPE_CHECKING:
    from subgraphs.federation.oauth_server import OAuthServer

# Partners authenticate with their secret; public web apps name themselves, and reach only their own tokens.
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


class Revocation(RevocationEndpoint):
    """Revoking either token of a grant revokes the whole grant: RFC 7009 2.1 allows it, and it is what clients mean."""

    CLIENT_AUTH_METHODS: ClassVar[list[str]] = CLIENT_AUTH_METHODS
    server: OAuthServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenView | None:
        return oauth_tokens.find(self.server.db, self.server.published_keys(), token_string, token_type_hint)

    def revoke_token(self, token: TokenView, request: OAuth2Request) -> None:
        oauth_tokens.revoke_family(self.server.db, token.row.family_id, "revoked by its client")


class Introspection(IntrospectionEndpoint):
    """A client may introspect the tokens issued to it; anything else is reported inactive."""

    CLIENT_AUTH_METHODS: ClassVar[list[str]] = CLIENT_AUTH_METHODS
    server: OAuthServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenView | None:
        return oauth_tokens.find(self.server.db, self.server.published_keys(), token_string, token_type_hint)

    def check_permission(self, token: TokenView, client: Client, request: OAuth2Request) -> bool:
        return token.check_client(client)

    def introspect_token(self, token: TokenView) -> dict[str, Any]:
        row = token.row
        payload: dict[str, Any] = {
            "active": True,
            "scope": row.scope,
            "client_id": row.client_id,
            "sub": row.user_id or row.client_id,
            "iss": self.server.authority.issuer,
            "iat": int(row.issued_at.timestamp()),
            "exp": int(token.expires_at.timestamp()),
        }
        if token.kind == "access_token":
            payload.update(token_type="Bearer", jti=row.jti, aud=self.server.authority.audience)
        user = self.server.db.get(User, row.user_id) if row.user_id else None
        if user is not None:
            payload["username"] = user.handle
        return payload


class AccessTokenValidator(JWTBearerTokenValidator):
    """Our access tokens as any resource server checks them (RFC 9068), and then our record: revoked ones fail."""

    def __init__(self, server: OAuthServer) -> None:
        super().__init__(issuer=server.authority.issuer, resource_server=server.authority.audience)
        self.server = server

    def get_jwks(self) -> KeySet:
        return self.server.published_keys()

    def validate_token(
        self, token: JWTAccessTokenClaims, scopes: list[str], request: OAuth2Request, **kwargs: Any
    ) -> None:
        super().validate_token(token, scopes, request, **kwargs)
        row = self.server.db.get(IssuedToken, token["jti"])
        if row is None or row.revoked_at is not None:
            raise InvalidTokenError(realm=self.realm, extra_attributes=self.extra_attributes)


class UserInfoEndpoint(Endpoint):
    """OpenID Connect's userinfo: the claims the token's scopes allow, for a bearer of an `openid` access token.

    authlib's own endpoint reads the request from a framework's globals; this
    one takes it from the server, like every other endpoint here.
    """

    ENDPOINT_NAME = "userinfo"
    server: OAuthServer

    def __call__(self, request: OAuth2Request) -> tuple[int, Any, list[tuple[str, str]]]:
        protector = ResourceProtector()
        protector.register_token_validator(AccessTokenValidator(self.server))
        token = protector.validate_request(["openid"], request)
        user = self.server.db.get(User, token["sub"])
        if user is None:  # a client's own token (its sub is its client_id), or a user since deleted
            raise InvalidTokenError()
        return 200, user_claims(user, token["scope"]), default_json_headers


class EndSession(EndSessionEndpoint):
    """RP-initiated logout: ends the browser's login session, and the one the ID token hint names."""

    server: OAuthServer

    def get_server_jwks(self) -> KeySet:
        return self.server.published_keys()

    def get_algorithms(self) -> list[str]:
        return [ALGORITHM]

    def end_session(self, end_session_request: EndSessionRequest) -> None:
        ids = []
        if self.server.browser is not None:
            ids.append(self.server.browser.session_id)
        hinted = (end_session_request.id_token_claims or {}).get("sid")
        if isinstance(hinted, str):
            ids.append(hinted)
        login_sessions.end(self.server.db, ids)
