"""What the authorization server grants and for how long: scopes, grant types, lifetimes."""

from __future__ import annotations

from datetime import timedelta

# OpenID Connect's scopes, for signing in.
USER_SCOPES = ("openid", "profile", "email", "offline_access")
# The API's scopes, for what a token may do at /graphql.
API_SCOPES = ("read", "write")
SCOPES = USER_SCOPES + API_SCOPES

SCOPE_DESCRIPTIONS = {
    "openid": "know who you are on Rose Ash",
    "profile": "see your name, handle and picture",
    "email": "see your email address",
    "offline_access": "keep access after you sign out",
    "read": "read on your behalf",
    "write": "make changes on your behalf",
}

# Partners are registered with any of these; refresh_token only beside authorization_code.
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
FIRST_PARTY_GRANT_TYPES = ("authorization_code", "refresh_token")

ACCESS_TOKEN_LIFETIME = timedelta(minutes=10)
ID_TOKEN_LIFETIME = timedelta(minutes=10)
CODE_LIFETIME = timedelta(seconds=60)
# Expired codes are kept this long to catch a second use (and revoke what the first one got), then deleted.
SPENT_CODES_KEPT = timedelta(days=1)
REFRESH_TOKEN_LIFETIME = timedelta(days=30)
LOGIN_SESSION_LIFETIME = timedelta(days=14)
# Clocks differ a little between us and those checking our tokens.
CLOCK_SKEW = timedelta(minutes=1)
# A retired signing key stays published until every token it signed has expired.
RETIRED_KEY_PUBLISHED = max(ACCESS_TOKEN_LIFETIME, ID_TOKEN_LIFETIME) + CLOCK_SKEW
