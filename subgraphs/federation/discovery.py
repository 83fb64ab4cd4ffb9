"""Where everything is: the paths of the server's endpoints and its metadata (OpenID Connect Discovery, RFC 8414).

One document answers at both well-known addresses: RFC 8414 metadata may
carry OpenID Connect's fields, and a client of either kind finds what it needs.
"""

from __future__ import annotations

from typing import Any

from subgraphs.federation.oauth_endpoints import CLIENT_AUTH_METHODS
from subgraphs.federation.oauth_policy import GRANT_TYPES, SCOPES
from subgraphs.federation.oauth_server import Authority
from subgraphs.federation.signing_keys import ALGORITHM

AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/token"
REVOKE_PATH = "/oauth/revoke"
INTROSPECT_PATH = "/oauth/introspect"
USERINFO_PATH = "/oauth/userinfo"
LOGOUT_PATH = "/oauth/logout"
OPENID_CONFIGURATION_PATH = "/.well-known/openid-configuration"
AUTHORIZATION_SERVER_PATH = "/.well-known/oauth-authorization-server"
JWKS_PATH = "/.well-known/jwks.json"

# What must answer at the issuer's address: where the platform is served as one app, these go to this service.
PUBLIC_PATHS = (
    AUTHORIZE_PATH,
    TOKEN_PATH,
    REVOKE_PATH,
    INTROSPECT_PATH,
    USERINFO_PATH,
    LOGOUT_PATH,
    OPENID_CONFIGURATION_PATH,
    AUTHORIZATION_SERVER_PATH,
    JWKS_PATH,
)


# In ID tokens and from userinfo.
CLAIMS = (
    "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "sid",
    "name", "preferred_username", "picture", "email", "email_verified",
)  # fmt: skip


def metadata(authority: Authority) -> dict[str, Any]:
    url = authority.url
    return {
        "issuer": authority.issuer,
        "authorization_endpoint": url(AUTHORIZE_PATH),
        "token_endpoint": url(TOKEN_PATH),
        "userinfo_endpoint": url(USERINFO_PATH),
        "jwks_uri": url(JWKS_PATH),
        "revocation_endpoint": url(REVOKE_PATH),
        "introspection_endpoint": url(INTROSPECT_PATH),
        "end_session_endpoint": url(LOGOUT_PATH),
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_supported": list(CLAIMS),
        "authorization_response_iss_parameter_supported": True,
        # Our web apps are told when a login session ends, with its sid (OpenID Connect Back-Channel Logout).
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
    }
