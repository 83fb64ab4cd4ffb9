"""draft-cavage-http-signatures-12: the `Signature` header as Mastodon uses it.

Verification follows Mastodon's `SignedRequest::HttpSignature`
(app/lib/signed_request.rb): algorithm `rsa-sha256` or `hs2019` (the default
when `algorithm` is absent), both meaning RSASSA-PKCS1-v1_5 with SHA-256 for an
RSA key; `headers` defaults to `(created)` for hs2019 and `date` otherwise;
`(created)` and `(expires)` are valid with hs2019 only. Our required coverage is
the issue's, a little stricter than Mastodon's: `(request-target)`, `host` and
`date` or `(created)` always, and `digest` whenever there is a body or the
method is POST.
"""

import base64
import email.utils
from collections.abc import Sequence
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric import rsa

from activitypub import digests, signature_algorithms
from activitypub.header_fields import HeaderFields
from activitypub.keys import PublicKey
from activitypub.signature_types import PendingSignature, Scheme, SignatureError
from activitypub.target_uri import parse_target_uri

ALGORITHMS = ("rsa-sha256", "hs2019")
_TCHAR = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~")


def parse_signature_header(value: str) -> dict[str, str]:
    """Parse `keyId="...",headers="...",signature="..."` into lowercased names and values.

    The grammar is RFC 7235's auth-param list: token "=" (token / quoted-string),
    separated by commas with optional whitespace. A repeated parameter is an
    error rather than last-wins, so two readings of one header cannot differ.
    """
    params: dict[str, str] = {}
    pos = 0

    def skip(chars: str) -> None:
        nonlocal pos
        while pos < len(value) and value[pos] in chars:
            pos += 1

    while True:
        skip(" \t,")
        if pos == len(value):
            return params
        start = pos
        while pos < len(value) and value[pos] in _TCHAR:
            pos += 1
        name = value[start:pos].lower()
        if not name:
            raise SignatureError(f"Signature header: expected a parameter name at position {pos}")
        skip(" \t")
        if pos == len(value) or value[pos] != "=":
            raise SignatureError(f"Signature header: expected '=' after {name!r}")
        pos += 1
        skip(" \t")
        if pos < len(value) and value[pos] == '"':
            pos, param = _quoted_string(value, pos)
        else:
            start = pos
            while pos < len(value) and value[pos] in _TCHAR:
                pos += 1
            param = value[start:pos]
        if name in params:
            raise SignatureError(f"Signature header: parameter {name!r} appears twice")
        params[name] = param
        skip(" \t")
        if pos < len(value) and value[pos] != ",":
            raise SignatureError(f"Signature header: expected ',' at position {pos}")


def _quoted_string(value: str, pos: int) -> tuple[int, str]:
    chars: list[str] = []
    pos += 1
    while pos < len(value):
        char = value[pos]
        if char == "\\" and pos + 1 < len(value):
            chars.append(value[pos + 1])
            pos += 2
        elif char == '"':
            return pos + 1, "".join(chars)
        else:
            chars.append(char)
            pos += 1
    raise SignatureError("Signature header: unterminated quoted string")


def prepare(method: str, url: str, headers: HeaderFields, body: bytes) -> PendingSignature:
    value = headers.get("signature")
    if value is None:
        raise SignatureError("Signature header is missing")
    params = parse_signature_header(value)
    key_id = params.get("keyid")
    if not key_id:
        raise SignatureError("Signature header has no keyId")
    if not params.get("signature"):
        raise SignatureError("Signature header has no signature")
    algorithm = params.get("algorithm", "hs2019")
    if algorithm not in ALGORITHMS:
        raise SignatureError(f"unsupported draft-cavage algorithm {algorithm!r}; only rsa-sha256 and hs2019 are")
    covered = tuple(params.get("headers", "(created)" if algorithm == "hs2019" else "date").lower().split())
    _check_coverage(method, covered, body)

    target = parse_target_uri(url)
    created = _timestamp(params, "created", covered, algorithm)
    expires = _timestamp(params, "expires", covered, algorithm)
    if created is None:
        created = _http_date(headers.get("date"))
    if "digest" in covered:
        digests.check_digest_header(headers.get("digest"), body)
    signing_strings = [signing_string(method, target.request_target, covered, headers, params)]
    if target.query is not None:
        # Mastodon's SignedRequest#verified? also accepts a (request-target)
        # without the query string, which older Mastodon versions (and aputils)
        # sign. The query is then unsigned: for the signed GETs of collection
        # pages that is which page the key holder reads, for a POST the digest
        # still binds the body.
        signing_strings.append(signing_string(method, target.path, covered, headers, params))
    signature = _decode_signature(params["signature"])

    def check(key: PublicKey) -> str:
        if not isinstance(key, rsa.RSAPublicKey):
            raise SignatureError(f"draft-cavage {algorithm} needs an RSA key, the key is Ed25519")
        failures = []
        for text in signing_strings:
            try:
                signature_algorithms.verify(signature_algorithms.RSA_V1_5_SHA256, key, text, signature)
            except SignatureError as error:
                failures.append(error)
            else:
                return algorithm
        raise failures[0]

    return PendingSignature(Scheme.CAVAGE, key_id, covered, created, expires, check)


def _check_coverage(method: str, covered: tuple[str, ...], body: bytes) -> None:
    for required in ("(request-target)", "host"):
        if required not in covered:
            raise SignatureError(f"the signature does not cover {required}")
    if "date" not in covered and "(created)" not in covered:
        raise SignatureError("the signature covers neither date nor (created)")
    if (body or method.upper() == "POST") and "digest" not in covered:
        raise SignatureError("the signature does not cover digest, which a request with a body must")


def _timestamp(params: dict[str, str], name: str, covered: tuple[str, ...], algorithm: str) -> datetime | None:
    """The `created` or `expires` parameter as a time when the signature covers it, else None.

    Mastodon reads these parameters even when `(created)`/`(expires)` are not
    covered; we do not, since an unsigned parameter would let anyone refresh a
    captured request. Only hs2019 may cover them, as in Mastodon.
    """
    if f"({name})" not in covered:
        return None
    if algorithm != "hs2019":
        raise SignatureError(f"({name}) is only valid with algorithm hs2019, not {algorithm}")
    raw = params.get(name)
    if raw is None:
        raise SignatureError(f"the signature covers ({name}) but has no {name} parameter")
    if not raw.isascii() or not raw.isdigit():
        raise SignatureError(f"{name} parameter is not a Unix time: {raw!r}")
    try:
        return datetime.fromtimestamp(int(raw), UTC)
    except (OverflowError, OSError, ValueError):
        raise SignatureError(f"{name} parameter is out of range: {raw!r}") from None


def _http_date(value: str | None) -> datetime:
    if value is None:
        raise SignatureError("Date header is missing")
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        raise SignatureError(f"Date header is not an HTTP date: {value!r}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _decode_signature(encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded.strip(), validate=True)
    except ValueError:  # binascii.Error, or non-ASCII text
        raise SignatureError("Signature header: signature is not valid base64") from None


def signing_string(
    method: str, request_target: str, covered: Sequence[str], headers: HeaderFields, params: dict[str, str]
) -> bytes:
    """draft-cavage-12 section 2.3: one `name: value` line per covered header, joined by newlines."""
    lines = []
    for name in covered:
        if name == "(request-target)":
            value = f"{method.lower()} {request_target}"
        elif name in ("(created)", "(expires)"):
            if name[1:-1] not in params:
                raise SignatureError(f"{name} needs a {name[1:-1]} parameter")
            value = params[name[1:-1]]
        else:
            found = headers.get(name)
            if found is None:
                raise SignatureError(f"the signature covers {name} but the request has no such header")
            value = found
        if "\n" in value or "\r" in value:
            raise SignatureError(f"covered header {name} contains a line break")
        lines.append(f"{name}: {value}")
    try:
        return "\n".join(lines).encode("latin-1")
    except UnicodeEncodeError:
        raise SignatureError("a covered value has characters outside Latin-1") from None


def sign(
    method: str,
    url: str,
    headers: HeaderFields,
    body: bytes,
    *,
    key_id: str,
    private_key: rsa.RSAPrivateKey,
    now: datetime,
    components: Sequence[str] | None = None,
) -> dict[str, str]:
    """Sign as Mastodon does (rsa-sha256) and return the headers to add to the request."""
    target = parse_target_uri(url)
    added: dict[str, str] = {}
    if "host" not in headers:
        added["Host"] = target.authority
    if "date" not in headers:
        added["Date"] = email.utils.format_datetime(now.astimezone(UTC), usegmt=True)
    with_body = bool(body) or method.upper() == "POST"
    if with_body:
        added["Digest"] = digests.digest_header(body)
    if components is None:
        components = ("(request-target)", "host", "date") + (("digest",) if with_body else ())
    covered = tuple(name.lower() for name in components)
    text = signing_string(method, target.request_target, covered, headers.replaced(added), {})
    signature = signature_algorithms.sign(signature_algorithms.RSA_V1_5_SHA256, private_key, text)
    added["Signature"] = ",".join(
        (
            f"keyId={_quote(key_id)}",
            'algorithm="rsa-sha256"',
            f"headers={_quote(' '.join(covered))}",
            f"signature={_quote(base64.b64encode(signature).decode('ascii'))}",
        )
    )
    return added


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
