"""Body digests that bind a signed request's headers to its body.

draft-cavage signatures cover `Digest` (RFC 3230: `Digest: SHA-256=<base64>`),
RFC 9421 signatures cover `Content-Digest` (RFC 9530: a structured Dictionary,
`sha-256=:<base64>:`). We send SHA-256, the only algorithm Mastodon accepts, and
accept SHA-256 and SHA-512; every supported digest a header carries must match
and at least one must be present. Other algorithms are ignored (RFC 3230
section 4.3.2 lets a sender offer several), since MD5 or SHA-1 would prove
nothing.
"""

import base64
import hashlib
import hmac

from activitypub import structured_fields as sf
from activitypub.signature_types import SignatureError

_HASHES = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


def digest_header(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest_header(body: bytes) -> str:
    return sf.serialize_dictionary({"sha-256": sf.Item(hashlib.sha256(body).digest())})


def check_digest_header(value: str | None, body: bytes) -> None:
    """Raise SignatureError unless the RFC 3230 `Digest` value matches `body`."""
    if value is None:
        raise SignatureError("Digest header is missing")
    offered: dict[str, bytes] = {}
    for entry in value.split(","):
        algorithm, _, encoded = entry.strip().partition("=")
        name = algorithm.strip().lower()
        if name not in _HASHES:
            continue
        try:
            offered[name] = base64.b64decode(encoded.strip(), validate=True)
        except ValueError:  # binascii.Error, or non-ASCII text
            raise SignatureError(f"Digest {name.upper()} value is not valid base64") from None
    _compare("Digest", offered, value, body)


def check_content_digest(value: str | None, body: bytes) -> None:
    """Raise SignatureError unless the RFC 9530 `Content-Digest` value matches `body`."""
    if value is None:
        raise SignatureError("Content-Digest header is missing")
    try:
        members = sf.parse_dictionary(value)
    except sf.StructuredFieldError as error:
        raise SignatureError(f"Content-Digest is not a structured Dictionary: {error}") from None
    offered: dict[str, bytes] = {}
    for name, member in members.items():
        if name not in _HASHES:
            continue
        if not isinstance(member, sf.Item) or not isinstance(member.value, bytes):
            raise SignatureError(f"Content-Digest {name} is not a byte sequence")
        offered[name] = member.value
    _compare("Content-Digest", offered, value, body)


def _compare(header: str, offered: dict[str, bytes], value: str, body: bytes) -> None:
    if not offered:
        raise SignatureError(f"{header} offers neither SHA-256 nor SHA-512: {value!r}")
    for name, claimed in offered.items():
        actual = _HASHES[name](body).digest()
        if not hmac.compare_digest(actual, claimed):
            computed = base64.b64encode(actual).decode("ascii")
            raise SignatureError(f"{header} mismatch: the body's {name} is {computed}, the header says {value!r}")
