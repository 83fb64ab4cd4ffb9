"""Bearer token verification against an issuer's JWKS served over real HTTP on 127.0.0.1.

Tokens are signed with keys made for the test, the way the federation service
signs them (tests/issuer.py); the JWKS endpoint answers as an issuer's does.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from joserfc.jwk import ECKey, RSAKey

from shared.auth import ANONYMOUS, TokenError, TokenVerifier, Viewer, refusal_response
from shared.jwks import JWKS
from tests.helpers import serving
from tests.issuer import AUDIENCE, ISSUER, JWKS_PATH, Issuer, b64, claims, make_key, sign
from tests.router.subgraph_kit import refused_url


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return make_key("k1")


@pytest.fixture
def issuer(key: RSAKey) -> Issuer:
    return Issuer([key])


@dataclass
class Clock:
    """The JWKS cache's monotonic clock, moved by hand."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def verifier(issuer: Issuer, clock: Clock) -> AsyncIterator[TokenVerifier]:
    async with serving(issuer.app()) as url:
        tokens = TokenVerifier(JWKS(f"{url}{JWKS_PATH}", clock=clock), issuer=ISSUER, audience=AUDIENCE)
        try:
            yield tokens
        finally:
            await tokens.close()


async def refused(verifier: TokenVerifier, token: str) -> TokenError:
    with pytest.raises(TokenError) as caught:
        await verifier.verify(token)
    return caught.value


async def test_a_user_token_gives_its_user_roles_scopes_and_client(verifier, key) -> None:
    viewer = await verifier.verify(sign(key, claims()))
    assert viewer == Viewer("user-1", frozenset({"member", "editor"}), frozenset({"read", "write:posts"}), "web")
    assert viewer.is_authenticated
    assert viewer.has_role("editor")


async def test_a_client_credentials_token_has_a_client_and_no_user(verifier, key) -> None:
    token = sign(key, claims(sub="partner", client_id="partner", scope="read", roles=["admin"]))
    viewer = await verifier.verify(token)
    assert viewer == Viewer(None, frozenset(), frozenset({"read"}), "partner")
    assert viewer.is_authenticated
    assert not viewer.has_role("admin")  # roles belong to users; a client's token cannot claim them


async def test_an_audience_list_naming_us_is_accepted(verifier, key) -> None:
    viewer = await verifier.verify(sign(key, claims(aud=["https://elsewhere.test", AUDIENCE])))
    assert viewer.user_id == "user-1"


async def test_an_expired_token_says_so(verifier, key) -> None:
    past = int(time.time()) - 3600
    error = await refused(verifier, sign(key, claims(iat=past - 300, exp=past)))
    assert error.message == "the access token is expired"
    assert not error.unavailable


async def test_expiry_has_a_small_leeway_for_clock_skew(verifier, key) -> None:
    assert await verifier.verify(sign(key, claims(exp=int(time.time()) - 5)))


@pytest.mark.parametrize("claim", ["nbf", "iat"])
async def test_a_token_not_yet_valid_is_refused(verifier, key, claim: str) -> None:
    error = await refused(verifier, sign(key, claims(**{claim: int(time.time()) + 600})))
    assert error.message == "the access token is invalid"


async def test_a_tampered_payload_is_refused(verifier, key) -> None:
    header, _, signature = sign(key, claims()).split(".")
    forged = b64(json.dumps(claims(sub="admin", roles=["admin"])).encode())
    error = await refused(verifier, f"{header}.{forged}.{signature}")
    assert "signature" in str(error)


async def test_a_tampered_signature_is_refused(verifier, key) -> None:
    header, payload, signature = sign(key, claims()).split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 0x01
    error = await refused(verifier, f"{header}.{payload}.{b64(bytes(raw))}")
    assert "signature" in str(error)


async def test_a_token_signed_by_a_key_not_ours_is_refused(verifier) -> None:
    stranger = make_key("k1")  # same kid, different key
    assert "signature" in str(await refused(verifier, sign(stranger, claims())))


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ({"iss": "https://evil.test"}, "iss"),
        ({"aud": "https://roseash.test/other"}, "aud"),
        ({"aud": ["https://a.test", "https://b.test"]}, "aud"),
        ({"exp": None}, "exp"),
        ({"sub": None}, "sub"),
        ({"client_id": None}, "client_id"),
    ],
)
async def test_wrong_or_missing_claims_are_refused(verifier, key, overrides, why: str) -> None:
    error = await refused(verifier, sign(key, claims(**overrides)))
    assert why in str(error)
    assert error.message == "the access token is invalid"  # the client is not told which claim


@pytest.mark.parametrize(("overrides", "why"), [({"scope": ["read"]}, "scope"), ({"roles": "admin"}, "roles")])
async def test_malformed_claims_are_refused(verifier, key, overrides, why: str) -> None:
    assert why in str(await refused(verifier, sign(key, claims(**overrides))))


async def test_alg_none_is_refused(verifier, key) -> None:
    header = b64(json.dumps({"alg": "none", "typ": "at+jwt", "kid": key.kid}).encode())
    payload = b64(json.dumps(claims()).encode())
    assert "'none'" in str(await refused(verifier, f"{header}.{payload}."))


async def test_hs256_signed_with_the_public_key_is_refused(verifier, key) -> None:
    # The classic confusion: a verifier that lets the token pick HMAC would check it with the
    # public key (which anyone can fetch) as the shared secret.
    header = b64(json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": key.kid}).encode())
    payload = b64(json.dumps(claims(roles=["admin"])).encode())
    secret = key.as_pem(private=False)
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert "'HS256'" in str(await refused(verifier, f"{header}.{payload}.{b64(signature)}"))


@pytest.mark.parametrize("typ", ["JWT", "at+JWT-wrong", None])
async def test_a_token_that_is_not_an_access_token_is_refused(verifier, key, typ: str | None) -> None:
    # An ID token, say, is signed by the same issuer with the same keys; it must not open the API.
    assert "typ" in str(await refused(verifier, sign(key, claims(), typ=typ)))


async def test_the_full_media_type_is_an_access_token_too(verifier, key) -> None:
    assert await verifier.verify(sign(key, claims(), typ="application/at+jwt"))


async def test_garbage_is_refused(verifier) -> None:
    for token in ("not-a-token", "a.b.c", "....", "eyJhbGciOiJSUzI1NiJ9.e30"):
        assert (await refused(verifier, token)).message == "the access token is invalid"


async def test_es256_keys_work_too(issuer, verifier) -> None:
    ec = ECKey.generate_key("P-256", parameters={"kid": "ec1"})
    issuer.keys.append(ec)
    viewer = await verifier.verify(sign(ec, claims(), alg="ES256"))
    assert viewer.user_id == "user-1"


async def test_a_key_is_only_good_for_its_own_algorithm(issuer, verifier) -> None:
    ec = ECKey.generate_key("P-256", parameters={"kid": "ec1"})
    issuer.keys.append(ec)
    header = b64(json.dumps({"alg": "RS256", "typ": "at+jwt", "kid": "ec1"}).encode())
    payload = b64(json.dumps(claims()).encode())
    assert "ec1" in str(await refused(verifier, f"{header}.{payload}.{b64(b'x' * 256)}"))


async def test_rotation_an_unknown_kid_fetches_the_keys_once_more(issuer, verifier, key, clock) -> None:
    assert await verifier.verify(sign(key, claims()))
    assert issuer.fetches == 1
    rotated = make_key("k2")
    issuer.keys.append(rotated)
    clock.now += verifier.keys.min_interval
    viewer = await verifier.verify(sign(rotated, claims(sub="user-2")))
    assert viewer.user_id == "user-2"
    assert issuer.fetches == 2


async def test_made_up_kids_cannot_make_us_hammer_the_issuer(issuer, verifier, key, clock) -> None:
    assert await verifier.verify(sign(key, claims()))
    clock.now += verifier.keys.min_interval
    for number in range(20):
        error = await refused(verifier, sign(key, claims(), kid=f"nope-{number}"))
        assert "no key" in str(error)
    assert issuer.fetches == 2  # one refetch for the first unknown kid, then none within min_interval
    clock.now += verifier.keys.min_interval
    await refused(verifier, sign(key, claims(), kid="nope-again"))
    assert issuer.fetches == 3


async def test_concurrent_first_requests_share_one_fetch(issuer, verifier, key) -> None:
    issuer.delay = 0.05
    tokens = [sign(key, claims(sub=f"user-{n}")) for n in range(20)]
    viewers = await asyncio.gather(*(verifier.verify(token) for token in tokens))
    assert {v.user_id for v in viewers} == {f"user-{n}" for n in range(20)}
    assert issuer.fetches == 1


async def test_keys_are_fetched_again_after_their_max_age_and_kept_when_that_fails(issuer, verifier, clock) -> None:
    issuer.cache_control = "public, max-age=120"
    keys = verifier.keys
    assert await keys.key("k1") is not None
    clock.now += 119
    assert await keys.key("k1") is not None
    assert issuer.fetches == 1
    clock.now += 2
    assert await keys.key("k1") is not None
    assert issuer.fetches == 2
    keys.url += "-gone"  # the issuer's endpoint breaks: the keys we have stay in use
    clock.now += 121
    assert await keys.key("k1") is not None
    assert issuer.fetches == 2  # the 404 went to /.well-known/jwks.json-gone, not counted


@pytest.mark.parametrize(("cache_control", "ttl"), [("no-store", 60), ("max-age=5", 60), ("max-age=999999", 86400)])
async def test_the_issuer_cannot_make_us_fetch_on_every_request_or_never(
    issuer, verifier, clock, cache_control: str, ttl: int
) -> None:
    issuer.cache_control = cache_control
    assert await verifier.keys.key("k1") is not None
    clock.now += ttl - 1
    assert await verifier.keys.key("k1") is not None
    assert issuer.fetches == 1
    clock.now += 1
    assert await verifier.keys.key("k1") is not None
    assert issuer.fetches == 2


async def test_unusable_keys_in_the_set_are_skipped(issuer, verifier, key) -> None:
    issuer.extra = [
        {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
        {"kty": "oct", "kid": "secret", "k": "c2VjcmV0"},
        {"kty": "RSA", "kid": "for-encryption", **{k: v for k, v in make_key("x").as_dict().items() if k in "ne"}},
        {"kty": "OKP", "kid": "ed", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
    ]
    issuer.extra[2]["use"] = "enc"
    assert await verifier.verify(sign(key, claims()))
    for kid in ("broken", "secret", "for-encryption", "ed"):
        assert await verifier.keys.key(kid) is None


async def test_a_jwks_endpoint_that_refuses_connections_fails_clearly(key) -> None:
    async with refused_url() as url:
        tokens = TokenVerifier(JWKS(url), issuer=ISSUER, audience=AUDIENCE)
        try:
            error = await refused(tokens, sign(key, claims()))
            assert error.unavailable
            assert "cannot fetch the JWKS" in str(error)
            assert error.message == "the access token cannot be checked right now; try again shortly"
        finally:
            await tokens.close()


async def test_a_jwks_endpoint_that_hangs_times_out(issuer, key) -> None:
    issuer.hang = asyncio.Event()
    async with serving(issuer.app()) as url:
        tokens = TokenVerifier(JWKS(f"{url}{JWKS_PATH}", timeout=0.2), issuer=ISSUER, audience=AUDIENCE)
        try:
            async with asyncio.timeout(5):
                error = await refused(tokens, sign(key, claims()))
            assert error.unavailable
            assert "timed out" in str(error)
            # Failing again at once costs the issuer nothing: no new fetch until min_interval has passed.
            assert (await refused(tokens, sign(key, claims(sub="other")))).unavailable
            assert issuer.fetches == 1
        finally:
            await tokens.close()
            issuer.hang.set()


async def test_a_remembered_token_still_expires(issuer, key) -> None:
    now = [time.time()]
    async with serving(issuer.app()) as url:
        tokens = TokenVerifier(JWKS(f"{url}{JWKS_PATH}"), issuer=ISSUER, audience=AUDIENCE, clock=lambda: now[0])
        try:
            token = sign(key, claims(exp=int(now[0]) + 60))
            assert await tokens.verify(token)
            assert await tokens.verify(token)
            now[0] += 60 + tokens.leeway + 1
            assert (await refused(tokens, token)).message == "the access token is expired"
        finally:
            await tokens.close()


async def test_the_authorization_header(verifier, key) -> None:
    assert await verifier.viewer(None) is ANONYMOUS
    token = sign(key, claims())
    assert (await verifier.viewer(f"bearer  {token} ")).user_id == "user-1"
    for header in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer ", token):
        with pytest.raises(TokenError):
            await verifier.viewer(header)


def test_the_refusal_follows_rfc_6750_with_a_graphql_body() -> None:
    response = refusal_response(TokenError("expired", "the access token is expired"))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Bearer error="invalid_token", error_description="the access token is expired"'
    )
    assert json.loads(response.body) == {
        "errors": [{"message": "the access token is expired", "extensions": {"code": "UNAUTHENTICATED"}}]
    }
    unavailable = refusal_response(TokenError("down", "try later", unavailable=True))
    assert unavailable.status_code == 503
    assert "www-authenticate" not in unavailable.headers
