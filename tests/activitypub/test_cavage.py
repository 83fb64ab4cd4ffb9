"""draft-cavage signatures, with pyhttpsig (the httpsig library) and aputils (ActivityRelay's) as peers.

Both peers are independent implementations on another crypto library
(pycryptodome): pyhttpsig signs `rsa-sha256` the classic way, aputils signs
`hs2019` with `(created)` and `(expires)` and a (request-target) without the
query string, as older Mastodon does.
"""

import email.utils
from datetime import UTC, datetime, timedelta

import aputils
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from httpsig.sign import HeaderSigner
from httpsig.verify import HeaderVerifier

from activitypub import cavage
from activitypub.digests import digest_header
from activitypub.header_fields import HeaderFields
from activitypub.keys import PublicKey, public_key_pem
from activitypub.signatures import Scheme, SignatureError, sign_request, verify_request

PRIVATE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE_PEM = PRIVATE_KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
).decode()
PUBLIC_PEM = public_key_pem(PRIVATE_KEY)
KEY_WITH_FRAGMENT = "https://peer.example/users/alice#main-key"
KEY_WITHOUT_FRAGMENT = "https://peer.example/users/alice"
INBOX = "https://blog.example/users/blog/inbox"
BODY = (
    b'{"@context":"https://www.w3.org/ns/activitystreams","type":"Follow","actor":"https://peer.example/users/alice"}'
)
NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
DATE = email.utils.format_datetime(NOW, usegmt=True)


async def lookup(key_id: str, *, refresh: bool) -> PublicKey | None:
    return PRIVATE_KEY.public_key() if key_id in (KEY_WITH_FRAGMENT, KEY_WITHOUT_FRAGMENT) else None


def pyhttpsig_sign(method: str, path: str, headers: dict[str, str], covered: list[str], key_id: str) -> dict[str, str]:
    signer = HeaderSigner(key_id, PRIVATE_PEM, algorithm="rsa-sha256", headers=covered, sign_header="signature")
    return dict(signer.sign(headers, method=method, path=path))


async def test_verifies_a_pyhttpsig_post_with_a_fragment_key_id() -> None:
    headers = {
        "Host": "blog.example",
        "Date": DATE,
        "Digest": digest_header(BODY),
        "Content-Type": "application/activity+json",
    }
    signed = pyhttpsig_sign(
        "POST", "/users/blog/inbox", headers, ["(request-target)", "host", "date", "digest"], KEY_WITH_FRAGMENT
    )
    verified = await verify_request("POST", INBOX, signed, BODY, lookup_key=lookup, now=NOW)
    assert verified.key_id == KEY_WITH_FRAGMENT
    assert verified.scheme is Scheme.CAVAGE
    assert verified.covered == ("(request-target)", "host", "date", "digest")
    assert verified.algorithm == "rsa-sha256"


async def test_verifies_a_pyhttpsig_get_with_a_query_and_a_bare_key_id() -> None:
    headers = {"Host": "blog.example", "Date": DATE, "Accept": "application/activity+json"}
    signed = pyhttpsig_sign(
        "GET", "/users/blog/outbox?page=true", headers, ["(request-target)", "host", "date"], KEY_WITHOUT_FRAGMENT
    )
    url = "https://blog.example/users/blog/outbox?page=true"
    verified = await verify_request("GET", url, signed, b"", lookup_key=lookup, now=NOW)
    assert verified.key_id == KEY_WITHOUT_FRAGMENT
    with pytest.raises(SignatureError, match="bad signature"):
        await verify_request("GET", url.replace("true", "false"), signed, b"", lookup_key=lookup, now=NOW)


@pytest.mark.parametrize("query", ["", "?x=1"])
async def test_verifies_aputils_hs2019_with_created_and_expires(query: str) -> None:
    signer = aputils.Signer(PRIVATE_PEM, KEY_WITH_FRAGMENT)
    signed = signer.sign_headers(
        "POST", INBOX + query, body=BODY, headers={"Content-Type": "application/activity+json"}
    )
    # aputils drops Host from what it returns: the HTTP client sends it.
    signed["Host"] = "blog.example"
    verified = await verify_request("POST", INBOX + query, signed, BODY, lookup_key=lookup)
    assert verified.algorithm == "hs2019"
    assert "(created)" in verified.covered
    assert "(expires)" in verified.covered


async def test_verifies_an_aputils_get() -> None:
    signer = aputils.Signer(PRIVATE_PEM, KEY_WITHOUT_FRAGMENT)
    signed = signer.sign_headers("GET", "https://blog.example/users/blog")
    signed["Host"] = "blog.example"
    verified = await verify_request("GET", "https://blog.example/users/blog", signed, b"", lookup_key=lookup)
    assert verified.key_id == KEY_WITHOUT_FRAGMENT


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [("POST", INBOX, BODY), ("GET", "https://blog.example/users/blog/outbox?page=true", b"")],
)
def test_pyhttpsig_verifies_our_signatures(method: str, url: str, body: bytes) -> None:
    headers = {"Accept": "application/activity+json"}
    added = sign_request(
        method, url, headers, body, key_id=KEY_WITH_FRAGMENT, private_key=PRIVATE_KEY, scheme=Scheme.CAVAGE, now=NOW
    )
    path = url.split("blog.example", 1)[1]
    verifier = HeaderVerifier(
        headers | added,
        PUBLIC_PEM,
        required_headers=["(request-target)", "host", "date"],
        method=method,
        path=path,
        sign_header="signature",
    )
    assert verifier.verify()
    assert added["Host"] == "blog.example"
    assert added["Date"] == DATE
    assert ("Digest" in added) == (method == "POST")


def test_aputils_verifies_our_signature() -> None:
    now = datetime.now(UTC)
    added = sign_request(
        "POST", INBOX, {}, BODY, key_id=KEY_WITH_FRAGMENT, private_key=PRIVATE_KEY, scheme=Scheme.CAVAGE, now=now
    )
    assert aputils.Signer(PUBLIC_PEM, KEY_WITH_FRAGMENT).validate_signature("POST", "/users/blog/inbox", added, BODY)


def test_signing_string_is_mastodons_documented_example() -> None:
    # docs.joinmastodon.org/spec/security, "Creating HTTP signatures".
    headers = HeaderFields({"Host": "mastodon.example", "Date": "18 Dec 2019 10:08:46 GMT"})
    text = cavage.signing_string("GET", "/users/username/outbox", ("(request-target)", "host", "date"), headers, {})
    assert text == (
        b"(request-target): get /users/username/outbox\nhost: mastodon.example\ndate: 18 Dec 2019 10:08:46 GMT"
    )


def test_repeated_header_lines_are_joined_in_order() -> None:
    headers = HeaderFields([("X-A", " one "), ("x-a", "two"), ("Host", "h")])
    assert cavage.signing_string("GET", "/", ("x-a",), headers, {}) == b"x-a: one, two"


def our_post(**changes: str) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json"}
    headers |= sign_request(
        "POST", INBOX, headers, BODY, key_id=KEY_WITH_FRAGMENT, private_key=PRIVATE_KEY, scheme=Scheme.CAVAGE, now=NOW
    )
    return headers | changes


def with_signature_params(**params: str) -> dict[str, str]:
    """A correctly signed POST whose Signature parameters are then replaced."""
    headers = our_post()
    parsed = cavage.parse_signature_header(headers["Signature"])
    parsed |= params
    headers["Signature"] = ",".join(f'{name}="{value}"' for name, value in parsed.items())
    return headers


@pytest.mark.parametrize(
    ("headers", "body", "reason"),
    [
        (our_post(Signature='algorithm="rsa-sha256",headers="date",signature="AA=="'), BODY, "no keyId"),
        (with_signature_params(signature=""), BODY, "has no signature"),
        (with_signature_params(algorithm="rsa-sha512"), BODY, "unsupported draft-cavage algorithm 'rsa-sha512'"),
        (with_signature_params(algorithm="hmac-sha256"), BODY, "unsupported draft-cavage algorithm"),
        (with_signature_params(headers="host date digest"), BODY, "does not cover \\(request-target\\)"),
        (with_signature_params(headers="(request-target) date digest"), BODY, "does not cover host"),
        (with_signature_params(headers="(request-target) host digest"), BODY, "neither date nor \\(created\\)"),
        (with_signature_params(headers="(request-target) host date"), BODY, "does not cover digest"),
        (
            with_signature_params(headers="(request-target) host date digest (created)"),
            BODY,
            "only valid with .*hs2019",
        ),
        (
            with_signature_params(algorithm="hs2019", headers="(request-target) host (created) digest"),
            BODY,
            "has no created parameter",
        ),
        (
            with_signature_params(algorithm="hs2019", headers="(request-target) host (created) digest", created="1e9"),
            BODY,
            "not a Unix time",
        ),
        (with_signature_params(headers="(request-target) host date digest x-missing"), BODY, "no such header"),
        (with_signature_params(signature="not base64!"), BODY, "not valid base64"),
        (our_post(Digest=digest_header(b"other")), BODY, "Digest mismatch"),
        ({k: v for k, v in our_post().items() if k != "Digest"}, BODY, "Digest header is missing"),
        (our_post(), BODY + b" ", "Digest mismatch"),
        (our_post(Date="yesterday"), BODY, "not an HTTP date"),
        (our_post(Date=email.utils.format_datetime(NOW - timedelta(minutes=66), usegmt=True)), BODY, "stale"),
        (our_post(Date=email.utils.format_datetime(NOW + timedelta(minutes=61), usegmt=True)), BODY, "in the future"),
        (our_post(Host="other.example"), BODY, "bad signature"),
        (our_post(Signature=our_post()["Signature"].replace("alice", "mallory")), BODY, "no public key is known"),
        ({"Host": "blog.example"}, BODY, "not signed"),
    ],
)
async def test_refusals_name_the_reason(headers: dict[str, str], body: bytes, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        await verify_request("POST", INBOX, headers, body, lookup_key=lookup, now=NOW)


async def test_date_within_mastodons_window_is_accepted() -> None:
    # Mastodon: created + 5 minutes + 1 hour of clock skew.
    headers = our_post()
    await verify_request("POST", INBOX, headers, BODY, lookup_key=lookup, now=NOW + timedelta(minutes=65))
    await verify_request("POST", INBOX, headers, BODY, lookup_key=lookup, now=NOW - timedelta(minutes=60))


async def test_an_ed25519_key_cannot_verify_a_cavage_signature() -> None:
    async def ed_lookup(key_id: str, *, refresh: bool) -> PublicKey:
        return ed25519.Ed25519PrivateKey.generate().public_key()

    with pytest.raises(SignatureError, match="needs an RSA key"):
        await verify_request("POST", INBOX, our_post(), BODY, lookup_key=ed_lookup, now=NOW)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            'keyId="k",algorithm="rsa-sha256",headers="(request-target) host",signature="c2ln"',
            {"keyid": "k", "algorithm": "rsa-sha256", "headers": "(request-target) host", "signature": "c2ln"},
        ),
        (
            ' keyId = "k" ,, created=1402170695 , signature="x"',
            {"keyid": "k", "created": "1402170695", "signature": "x"},
        ),
        ('keyId="a\\"b\\\\c,d"', {"keyid": 'a"b\\c,d'}),
        ("", {}),
    ],
)
def test_signature_header_parsing(value: str, expected: dict[str, str]) -> None:
    assert cavage.parse_signature_header(value) == expected


@pytest.mark.parametrize(
    "value",
    ['keyId="k"x', 'keyId="k", keyId="j"', "keyId", 'keyId="unterminated', '="v"', 'a b="c"', 'keyId="k";x=1'],
)
def test_malformed_signature_headers_raise_signature_error(value: str) -> None:
    with pytest.raises(SignatureError):
        cavage.parse_signature_header(value)


def test_signing_with_an_ed25519_key_is_refused() -> None:
    with pytest.raises(TypeError):
        sign_request(
            "GET",
            INBOX,
            {},
            b"",
            key_id=KEY_WITH_FRAGMENT,
            private_key=ed25519.Ed25519PrivateKey.generate(),
            scheme=Scheme.CAVAGE,
        )
