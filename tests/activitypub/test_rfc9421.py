"""RFC 9421 against the RFC's own test vectors and http-message-signatures (pyauth) as a peer.

Vectors, copied from RFC 9421: the Appendix B.2 `test-request`, the signature
bases and signatures of B.2.1-B.2.3 (rsa-pss-sha512, test-key-rsa-pss),
B.2.5 (hmac-sha256) and B.2.6 (ed25519, test-key-ed25519), and the
`proxy_sig` of section 4.3, the RFC's one rsa-v1_5-sha256 example (test-key-rsa),
which is the algorithm Mastodon uses. B.2.4 signs a response (`@status`),
which a request-only verifier refuses.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from http_message_signatures import HTTPMessageSigner, HTTPMessageVerifier, MappingKeyResolver, algorithms
from http_message_signatures.structures import CaseInsensitiveDict

from activitypub import rfc9421, signature_algorithms
from activitypub import structured_fields as sf
from activitypub.header_fields import HeaderFields
from activitypub.keys import PrivateKey, PublicKey, load_private_key, load_public_key
from activitypub.signatures import Scheme, SignatureError, sign_request, verify_request
from activitypub.target_uri import parse_target_uri

KEYS = Path(__file__).parent / "fixtures" / "rfc9421"


def public(name: str) -> PublicKey:
    return load_public_key((KEYS / f"{name}.pub.pem").read_text())


def private(name: str) -> PrivateKey:
    return load_private_key((KEYS / f"{name}.key.pem").read_text())


# RFC 9421 Appendix B.2, test-request.
TEST_URL = "https://example.com/foo?param=Value&Pet=dog"
TEST_BODY = b'{"hello": "world"}'
TEST_DIGEST = "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
TEST_HEADERS = [
    ("Host", "example.com"),
    ("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
    ("Content-Type", "application/json"),
    ("Content-Digest", TEST_DIGEST),
    ("Content-Length", "18"),
]


def base_for(signature_input: str, url: str = TEST_URL, headers: list[tuple[str, str]] = TEST_HEADERS) -> bytes:
    ((_, member),) = sf.parse_dictionary(signature_input).items()
    assert isinstance(member, sf.InnerList)
    return rfc9421.signature_base(member.items, member.params, "POST", parse_target_uri(url), HeaderFields(headers))


def b64(text: str) -> bytes:
    return base64.b64decode("".join(text.split()))


def test_the_test_request_digest_is_its_body() -> None:
    digest = base64.b64encode(hashlib.sha512(TEST_BODY).digest()).decode()
    assert f"sha-512=:{digest}:" == TEST_DIGEST


def test_b21_minimal_signature_rsa_pss_sha512() -> None:
    base = base_for('sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"')
    assert base == b'"@signature-params": ();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"'
    signature = b64("""d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopem
        LJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG
        52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx
        2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6
        UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3
        +7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==""")
    signature_algorithms.verify("rsa-pss-sha512", public("test-key-rsa-pss"), base, signature)


def test_b22_selective_components_rsa_pss_sha512() -> None:
    base = base_for(
        'sig-b22=("@authority" "content-digest" "@query-param";name="Pet")'
        ';created=1618884473;keyid="test-key-rsa-pss";tag="header-example"'
    )
    assert base.decode() == "\n".join(
        [
            '"@authority": example.com',
            f'"content-digest": {TEST_DIGEST}',
            '"@query-param";name="Pet": dog',
            '"@signature-params": ("@authority" "content-digest" "@query-param";name="Pet")'
            ';created=1618884473;keyid="test-key-rsa-pss";tag="header-example"',
        ]
    )
    signature = b64("""LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQ
        EdJzgI9qHxICagShLRiLMlAJjtq6N4CDfKtjvuJyE5qH7KT8UCMkSowOB4+ECxCmT
        8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1rLEuEfY17SA
        RYhpTlaqwZVtR8NV7+4UKkjqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd
        4je2U/lankenQ99PZfB4jY3I5rSV2DSBVkSFsURIjYErOs0tFTQosMTAoxk//0RoK
        UqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw==""")
    signature_algorithms.verify("rsa-pss-sha512", public("test-key-rsa-pss"), base, signature)


def test_b23_full_coverage_rsa_pss_sha512() -> None:
    base = base_for(
        'sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length")'
        ';created=1618884473;keyid="test-key-rsa-pss"'
    )
    assert base.decode() == "\n".join(
        [
            '"date": Tue, 20 Apr 2021 02:07:55 GMT',
            '"@method": POST',
            '"@path": /foo',
            '"@query": ?param=Value&Pet=dog',
            '"@authority": example.com',
            '"content-type": application/json',
            f'"content-digest": {TEST_DIGEST}',
            '"content-length": 18',
            '"@signature-params": ("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest"'
            ' "content-length");created=1618884473;keyid="test-key-rsa-pss"',
        ]
    )
    signature = b64("""bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yB
        iMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fU
        xN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1
        pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9
        bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5Z
        JzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==""")
    signature_algorithms.verify("rsa-pss-sha512", public("test-key-rsa-pss"), base, signature)
    with pytest.raises(SignatureError, match="bad signature"):
        signature_algorithms.verify("rsa-pss-sha512", public("test-key-rsa-pss"), base + b" ", signature)


def test_b25_hmac_signature_base() -> None:
    base = base_for('sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"')
    assert base.decode() == "\n".join(
        [
            '"date": Tue, 20 Apr 2021 02:07:55 GMT',
            '"@authority": example.com',
            '"content-type": application/json',
            '"@signature-params": ("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
        ]
    )
    # We do not verify hmac-sha256 (no shared secrets in ActivityPub), but the
    # RFC's MAC over our base proves the base byte-exact.
    secret = b64("uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==")
    assert hmac.new(secret, base, hashlib.sha256).digest() == b64("pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=")
    with pytest.raises(SignatureError, match="unsupported signature algorithm 'hmac-sha256'"):
        signature_algorithms.verify("hmac-sha256", public("test-key-rsa"), base, b"")


B26_SIGNATURE = "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="


def test_b26_ed25519_verifies_and_signing_reproduces_it() -> None:
    base = base_for(
        'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
        ';created=1618884473;keyid="test-key-ed25519"'
    )
    assert base.decode() == "\n".join(
        [
            '"date": Tue, 20 Apr 2021 02:07:55 GMT',
            '"@method": POST',
            '"@path": /foo',
            '"@authority": example.com',
            '"content-type": application/json',
            '"content-length": 18',
            '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length")'
            ';created=1618884473;keyid="test-key-ed25519"',
        ]
    )
    signature_algorithms.verify("ed25519", public("test-key-ed25519"), base, b64(B26_SIGNATURE))
    assert signature_algorithms.sign("ed25519", private("test-key-ed25519"), base) == b64(B26_SIGNATURE)


# RFC 9421 section 4.3: the request as the reverse proxy forwards it.
PROXY_URL = "https://origin.host.internal.example/foo?param=Value&Pet=dog"
PROXY_HEADERS = [
    ("Host", "origin.host.internal.example"),
    ("Date", "Tue, 20 Apr 2021 02:07:56 GMT"),
    ("Content-Type", "application/json"),
    ("Content-Digest", TEST_DIGEST),
    ("Content-Length", "18"),
    ("Forwarded", "for=192.0.2.123;host=example.com;proto=https"),
]
PROXY_INPUT = (
    'proxy_sig=("@method" "@authority" "@path" "content-digest" "content-type" "content-length" "forwarded")'
    ';created=1618884480;keyid="test-key-rsa";alg="rsa-v1_5-sha256";expires=1618884540'
)
PROXY_SIGNATURE = """S6ZzPXSdAMOPjN/6KXfXWNO/f7V6cHm7BXYUh3YD/fRad4BCaRZxP+JH+8XY1I6+8Cy+CM5g92
    iHgxtRPz+MjniOaYmdkDcnL9cCpXJleXsOckpURl49GwiyUpZ10KHgOEe11sx3G2gxI8S0jnxQB+Pu68U9vVcasqOWAEObtNKKZd8tSFu7LB5YAv0RA
    GhB8tmpv7sFnIm9y+7X5kXQfi8NMaZaA8i2ZHwpBdg7a6CMfwnnrtflzvZdXAsD3LH2TwevU+/PBPv0B6NMNk93wUs/vfJvye+YuI87HU38lZHowtz
    nbLVdp770I6VHR6WfgS9ddzirrswsE1w5o0LV/g=="""


def test_section_4_3_rsa_v1_5_sha256_verifies_and_signing_reproduces_it() -> None:
    base = base_for(PROXY_INPUT, PROXY_URL, PROXY_HEADERS)
    assert base.decode() == "\n".join(
        [
            '"@method": POST',
            '"@authority": origin.host.internal.example',
            '"@path": /foo',
            f'"content-digest": {TEST_DIGEST}',
            '"content-type": application/json',
            '"content-length": 18',
            '"forwarded": for=192.0.2.123;host=example.com;proto=https',
            f'"@signature-params": {PROXY_INPUT.removeprefix("proxy_sig=")}',
        ]
    )
    signature_algorithms.verify("rsa-v1_5-sha256", public("test-key-rsa"), base, b64(PROXY_SIGNATURE))
    assert signature_algorithms.sign("rsa-v1_5-sha256", private("test-key-rsa"), base) == b64(PROXY_SIGNATURE)


async def test_section_4_3_through_the_full_verifier_with_mastodons_profile_missing() -> None:
    # The RFC's proxy signature covers @authority and @path, not @target-uri:
    # it is valid, but not what Mastodon's profile (and ours) requires.
    headers = [
        *PROXY_HEADERS,
        ("Signature-Input", PROXY_INPUT),
        ("Signature", f"proxy_sig=:{''.join(PROXY_SIGNATURE.split())}:"),
    ]

    async def lookup(key_id: str, *, refresh: bool) -> PublicKey:
        return public(key_id)

    with pytest.raises(SignatureError, match="does not cover @target-uri"):
        await verify_request(
            "POST", PROXY_URL, headers, TEST_BODY, lookup_key=lookup, now=datetime.fromtimestamp(1618884480, UTC)
        )


def test_a_response_component_is_refused() -> None:
    with pytest.raises(SignatureError, match="@status applies to responses"):
        base_for('sig-b24=("@status" "content-type");created=1618884473;keyid="test-key-ecc-p256"')


@pytest.mark.parametrize(
    ("url", "component", "value"),
    [
        ("https://Example.COM:443/a%20b?x=1", "@authority", "example.com"),
        ("http://example.com:8080/", "@authority", "example.com:8080"),
        ("HTTPS://example.com", "@scheme", "https"),
        ("https://example.com", "@path", "/"),
        ("https://example.com/p", "@query", "?"),
        ("https://example.com/p?a=1&b", "@request-target", "/p?a=1&b"),
        ("https://example.com/p?a=1", "@target-uri", "https://example.com/p?a=1"),
    ],
)
def test_derived_components(url: str, component: str, value: str) -> None:
    assert rfc9421.component_value(sf.Item(component), "POST", parse_target_uri(url), HeaderFields({})) == value


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("var", "this%20is%20a%20big%0Avalue"),
        ("bar", "with%20plus%20whitespace"),
        ("fa%C3%A7ade%22%3A%20", "something"),
    ],
)
def test_query_param_encoding_is_the_rfcs(name: str, value: str) -> None:
    # RFC 9421 section 2.2.8's second example.
    url = "https://example.com/parameters?var=this%20is%20a%20big%0Avalue&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something"
    component = sf.Item("@query-param", {"name": name})
    assert rfc9421.component_value(component, "GET", parse_target_uri(url), HeaderFields({})) == value


# http-message-signatures (pyauth) as an independent peer.


@dataclass
class PeerRequest:
    """The request interface pyauth signs and verifies: method, url, headers."""

    method: str
    url: str
    headers: CaseInsensitiveDict


RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ED_KEY = ed25519.Ed25519PrivateKey.generate()
KEY_ID = "https://peer.example/users/alice#main-key"
INBOX = "https://blog.example/users/blog/inbox"
BODY = b'{"type":"Like","object":"https://blog.example/posts/1"}'
PEER_ALGORITHMS = {
    "rsa-v1_5-sha256": (algorithms.RSA_V1_5_SHA256, RSA_KEY),
    "rsa-pss-sha512": (algorithms.RSA_PSS_SHA512, RSA_KEY),
    "ed25519": (algorithms.ED25519, ED_KEY),
}


def peer_lookup(key: PrivateKey):
    async def lookup(key_id: str, *, refresh: bool) -> PublicKey | None:
        return key.public_key() if key_id == KEY_ID else None

    return lookup


def peer_signed(name: str, covered: tuple[str, ...], *, method: str = "POST", url: str = INBOX, body: bytes = BODY):
    algorithm, key = PEER_ALGORITHMS[name]
    request = PeerRequest(
        method, url, CaseInsensitiveDict({"Host": "blog.example", "Content-Type": "application/activity+json"})
    )
    resolver = MappingKeyResolver(public_keys={}, private_keys={KEY_ID: key})
    HTTPMessageSigner(signature_algorithm=algorithm, key_resolver=resolver).sign(
        request, key_id=KEY_ID, covered_component_ids=covered, body=body if body else None, label="sig1"
    )
    return request


@pytest.mark.parametrize("name", sorted(PEER_ALGORITHMS))
async def test_verifies_pyauth_signed_posts(name: str) -> None:
    request = peer_signed(name, ("@method", "@target-uri", "content-digest"))
    verified = await verify_request(
        "POST", INBOX, request.headers.items(), BODY, lookup_key=peer_lookup(PEER_ALGORITHMS[name][1])
    )
    assert verified.scheme is Scheme.RFC9421
    assert verified.algorithm == name
    assert verified.covered == ("@method", "@target-uri", "content-digest")


async def test_verifies_a_pyauth_signed_get_with_query_param() -> None:
    url = "https://blog.example/users/blog/outbox?page=2&min_id=x%20y"
    request = peer_signed(
        "rsa-v1_5-sha256", ("@method", "@target-uri", '"@query-param";name="min_id"'), method="GET", url=url, body=b""
    )
    verified = await verify_request("GET", url, request.headers.items(), b"", lookup_key=peer_lookup(RSA_KEY))
    assert verified.covered == ("@method", "@target-uri", '"@query-param";name="min_id"')


@pytest.mark.parametrize(
    ("key", "peer_algorithm"), [(RSA_KEY, algorithms.RSA_V1_5_SHA256), (ED_KEY, algorithms.ED25519)]
)
def test_pyauth_verifies_our_signatures(key: PrivateKey, peer_algorithm: type) -> None:
    headers = {"Host": "blog.example", "Content-Type": "application/activity+json"}
    added = sign_request("POST", INBOX, headers, BODY, key_id=KEY_ID, private_key=key, scheme=Scheme.RFC9421)
    request = PeerRequest("POST", INBOX, CaseInsensitiveDict(headers | added))
    resolver = MappingKeyResolver(public_keys={KEY_ID: key.public_key()}, private_keys={})
    (result,) = HTTPMessageVerifier(signature_algorithm=peer_algorithm, key_resolver=resolver).verify(
        request, body=BODY, require_components=("@method", "@target-uri", "content-digest")
    )
    assert result.label == "sig1"
    assert result.parameters["keyid"] == KEY_ID
    assert result.body == BODY


async def test_the_first_acceptable_of_several_signatures_is_verified() -> None:
    request = peer_signed("rsa-v1_5-sha256", ("@method", "@target-uri", "content-digest"))
    headers = dict(request.headers.items())
    # An earlier label that fails Mastodon's profile (no @target-uri), then one that passes.
    headers["Signature-Input"] = 'proxy=("@method");created=1;keyid="p", ' + headers["Signature-Input"]
    headers["Signature"] = "proxy=:AAAA:, " + headers["Signature"]
    verified = await verify_request("POST", INBOX, headers, BODY, lookup_key=peer_lookup(RSA_KEY))
    assert verified.key_id == KEY_ID


async def test_when_no_signature_is_acceptable_each_reason_is_given() -> None:
    headers = {
        "Signature-Input": 'a=("@method");created=1;keyid="p", b=("@method" "@target-uri");keyid="q"',
        "Signature": "a=:AAAA:, b=:AAAA:",
    }
    with pytest.raises(SignatureError, match=r"a: the signature does not cover @target-uri; b: .*no created"):
        await verify_request("GET", INBOX, headers, b"", lookup_key=peer_lookup(RSA_KEY))


def signed_post(**changes: str) -> dict[str, str]:
    headers = {"Host": "blog.example"}
    headers |= sign_request(
        "POST", INBOX, headers, BODY, key_id=KEY_ID, private_key=RSA_KEY, scheme=Scheme.RFC9421, now=NOW
    )
    return headers | changes


NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
CREATED = int(NOW.timestamp())


def signature_input(components: str, params: str = f';created={CREATED};keyid="{KEY_ID}"') -> dict[str, str]:
    return signed_post(**{"Signature-Input": f"sig1=({components}){params}"})


@pytest.mark.parametrize(
    ("headers", "body", "reason"),
    [
        (signature_input('"@method" "@target-uri" "content-digest"', ";created=1"), BODY, "no keyid"),
        (signature_input('"@method" "@target-uri" "content-digest"', f';keyid="{KEY_ID}"'), BODY, "no created"),
        (
            signature_input('"@method" "@target-uri" "content-digest"', f';created="1";keyid="{KEY_ID}"'),
            BODY,
            "not an integer",
        ),
        (signature_input('"@target-uri" "content-digest"'), BODY, "does not cover @method"),
        (signature_input('"@method" "content-digest"'), BODY, "does not cover @target-uri"),
        (signature_input('"@method" "@target-uri"'), BODY, "does not cover content-digest"),
        (
            signature_input(
                '"@method" "@target-uri" "content-digest"', f';created={CREATED};keyid="{KEY_ID}";alg="hmac-sha256"'
            ),
            BODY,
            "unsupported signature algorithm 'hmac-sha256'",
        ),
        (
            signature_input(
                '"@method" "@target-uri" "content-digest"', f';created={CREATED};keyid="{KEY_ID}";alg="ed25519"'
            ),
            BODY,
            "needs an Ed25519 key",
        ),
        (signature_input('"@method" "@target-uri" "content-digest" "@method"'), BODY, "covered twice"),
        (signature_input('"@method" "@target-uri" "content-digest" "@nonsense"'), BODY, "unknown derived component"),
        (signature_input('"@method" "@target-uri" "content-digest" "Host"'), BODY, "must be lowercase"),
        (signature_input('"@method" "@target-uri" "content-digest" "x-absent"'), BODY, "no such header"),
        (
            signature_input('"@method" "@target-uri" "content-digest" "host";sf'),
            BODY,
            "unsupported component parameters",
        ),
        (signature_input('"@method" "@target-uri" "content-digest" "@path";req'), BODY, "does not take parameters"),
        (signature_input('"@method" "@target-uri" "content-digest" "@query-param";name="page"'), BODY, "is absent"),
        (signature_input('"@method" "@target-uri" "content-digest" "@signature-params"'), BODY, "cannot be a covered"),
        (signature_input('method "@target-uri"'), BODY, "must be strings"),
        (signed_post(**{"Content-Digest": "sha-256=:AAAA:"}), BODY, "Content-Digest mismatch"),
        (signed_post(), BODY + b"!", "Content-Digest mismatch"),
        (signed_post(Signature="other=:AAAA:"), BODY, "no label in common"),
        (signed_post(Signature="sig1=AAAA"), BODY, "not a byte sequence"),
        (signed_post(Signature="sig1=:AAAA"), BODY, "Signature is not a structured Dictionary"),
        (signed_post(**{"Signature-Input": "sig1=(,)"}), BODY, "Signature-Input is not a structured Dictionary"),
        (signed_post(**{"Signature-Input": 'sig1="@method"'}), BODY, "not an inner list"),
        (signed_post(Signature="sig1=:" + base64.b64encode(b"x" * 256).decode() + ":"), BODY, "bad signature"),
        ({"Signature-Input": signed_post()["Signature-Input"]}, BODY, "Signature header is missing"),
    ],
)
async def test_refusals_name_the_reason(headers: dict[str, str], body: bytes, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        await verify_request("POST", INBOX, headers, body, lookup_key=peer_lookup(RSA_KEY), now=NOW)


@pytest.mark.parametrize(
    ("params", "now", "reason"),
    [
        (f';created={CREATED};keyid="{KEY_ID}"', NOW + timedelta(minutes=66), "stale"),
        (f';created={CREATED};keyid="{KEY_ID}"', NOW - timedelta(minutes=61), "in the future"),
        (
            f';created={CREATED};expires={CREATED + 3600 * 24};keyid="{KEY_ID}"',
            NOW + timedelta(hours=13, seconds=1),
            "stale",
        ),
        (f';created={CREATED};expires={CREATED - 7200};keyid="{KEY_ID}"', NOW, "stale"),
        (f';created={10**15 - 1};keyid="{KEY_ID}"', NOW, "out of range"),
    ],
)
async def test_time_window_refusals(params: str, now: datetime, reason: str) -> None:
    headers = signature_input('"@method" "@target-uri" "content-digest"', params)
    with pytest.raises(SignatureError, match=reason):
        await verify_request("POST", INBOX, headers, BODY, lookup_key=peer_lookup(RSA_KEY), now=now)


def test_accept_signature_says_what_to_sign() -> None:
    value = 'sig1=("@method" "@target-uri" "content-digest" "@query-param";name="a");keyid="k";created, sig2=()'
    first, second = rfc9421.parse_accept_signature(value)
    assert first.label == "sig1"
    assert first.components == ("@method", "@target-uri", "content-digest", '"@query-param";name="a"')
    assert first.params == {"keyid": "k", "created": True}
    assert second.components == ()
    added = sign_request(
        "POST",
        INBOX + "?a=1",
        {},
        BODY,
        key_id=KEY_ID,
        private_key=RSA_KEY,
        scheme=Scheme.RFC9421,
        label=first.label,
        components=first.components,
    )
    assert added["Signature-Input"].startswith(
        'sig1=("@method" "@target-uri" "content-digest" "@query-param";name="a")'
    )


@pytest.mark.parametrize("value", ["sig1=(", 'sig1="x"', "sig1=(a)"])
def test_malformed_accept_signature(value: str) -> None:
    with pytest.raises(SignatureError):
        rfc9421.parse_accept_signature(value)
