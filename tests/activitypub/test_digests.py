"""Digest (RFC 3230) and Content-Digest (RFC 9530), checked against aputils and http-message-signatures."""

import base64
import hashlib

import pytest
from aputils.misc import Digest as AputilsDigest
from http_message_signatures import ContentDigest, InvalidSignature
from hypothesis import given
from hypothesis import strategies as st

from activitypub import digests
from activitypub.signature_types import SignatureError

BODY = b'{"type":"Create","object":{"type":"Note","content":"Hello!"}}'
SHA256 = base64.b64encode(hashlib.sha256(BODY).digest()).decode()
SHA512 = base64.b64encode(hashlib.sha512(BODY).digest()).decode()


@given(st.binary(max_size=200))
def test_our_digests_are_what_independent_implementations_make(body: bytes) -> None:
    assert digests.digest_header(body) == AputilsDigest.new(body).compile()
    assert digests.content_digest_header(body) == ContentDigest.create(body)
    ContentDigest.verify(digests.content_digest_header(body), body)
    assert AputilsDigest.parse(digests.digest_header(body)).validate(body)


@pytest.mark.parametrize(
    "value",
    [
        f"SHA-256={SHA256}",
        f"sha-256={SHA256}",
        f"SHA-512={SHA512}",
        f"MD5=AAAA, SHA-256={SHA256}",
        f" SHA-256={SHA256} , SHA-512={SHA512} ",
    ],
)
def test_digest_header_accepts(value: str) -> None:
    digests.check_digest_header(value, BODY)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "Digest header is missing"),
        ("MD5=1B2M2Y8AsgTpgAmY7PhCfg==", "offers neither SHA-256 nor SHA-512"),
        ("SHA-256=not base64!", "not valid base64"),
        (f"SHA-256={SHA512}", "Digest mismatch"),
        (f"SHA-256={SHA256}, SHA-512={SHA256}", "Digest mismatch"),
        ("", "offers neither"),
        (hashlib.sha256(BODY).hexdigest(), "offers neither"),
    ],
)
def test_digest_header_refuses(value: str | None, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        digests.check_digest_header(value, BODY)


@pytest.mark.parametrize(
    "value", [f"sha-256=:{SHA256}:", f"sha-512=:{SHA512}:", f"sha-256=:{SHA256}:, sha-512=:{SHA512}:"]
)
def test_content_digest_accepts(value: str) -> None:
    digests.check_content_digest(value, BODY)
    ContentDigest.verify(value, BODY)


@pytest.mark.parametrize("value", [f"md5=:AAAA:, sha-256=:{SHA256}:", f"sha-512=:{SHA512}:, unixsum=1"])
def test_content_digest_ignores_other_algorithms_as_mastodon_does(value: str) -> None:
    # http-message-signatures refuses these outright; Mastodon (and RFC 9530
    # section 5) let a recipient ignore the algorithms it does not use.
    digests.check_content_digest(value, BODY)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "Content-Digest header is missing"),
        (f"SHA-256=:{SHA256}:", "not a structured Dictionary"),
        (f"sha-256={SHA256}", "not a structured Dictionary"),
        (f'sha-256="{SHA256}"', "not a byte sequence"),
        (f"sha-256=:{SHA512}:", "Content-Digest mismatch"),
        ("md5=:1B2M2Y8AsgTpgAmY7PhCfg==:", "offers neither"),
    ],
)
def test_content_digest_refuses(value: str | None, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        digests.check_content_digest(value, BODY)
    if value is not None:
        with pytest.raises((InvalidSignature, ValueError)):
            ContentDigest.verify(value, BODY)
