"""HTTP signatures for the ActivityPub sidecar: verify what peers send, sign what we send.

`verify_request` detects the scheme (RFC 9421 when `Signature-Input` is
present, as RFC 9421 Appendix A and Mastodon do; draft-cavage otherwise),
checks syntax, required coverage, body digest and time window before it asks
for a key, then verifies. The key lookup is the caller's: this layer fetches
nothing. When the key it returns does not verify, the lookup is asked once more
with `refresh=True`, so a peer that rotated its key is refetched exactly once.

`sign_request` returns the headers to add. Deliveries sign draft-cavage first,
as Mastodon expects, and RFC 9421 when a peer asks for it (`Accept-Signature`,
see `rfc9421.parse_accept_signature`) or refuses the first.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import rsa

from activitypub import cavage, rfc9421
from activitypub.header_fields import HeaderFields, HeadersInput
from activitypub.keys import PrivateKey, PublicKey
from activitypub.signature_types import PendingSignature, Scheme, SignatureError, VerifiedSignature

__all__ = [
    "KeyLookup",
    "Scheme",
    "SignatureError",
    "VerifiedSignature",
    "check_time_window",
    "detect_scheme",
    "sign_request",
    "verify_request",
]

# Mastodon's SignedRequest#matches_time_window? (app/lib/signed_request.rb):
# a signature is valid from its creation (the hs2019 `created` parameter, the
# RFC 9421 `created` parameter, or the Date header) until its `expires`
# parameter or, without one, 5 minutes later, never more than 12 hours after
# creation; both ends are widened by a 1-hour clock skew margin. So a plain
# signed request is accepted up to 65 minutes old and up to 1 hour early.
EXPIRATION_WINDOW_LIMIT = timedelta(hours=12)
CLOCK_SKEW_MARGIN = timedelta(hours=1)
DEFAULT_LIFETIME = timedelta(minutes=5)


class KeyLookup(Protocol):
    """Returns the public key for a key id, or None when there is none.

    `refresh=True` asks for a fresh copy (a refetch of the actor) because the
    cached one did not verify. Exceptions it raises (a failed fetch) propagate.
    """

    async def __call__(self, key_id: str, *, refresh: bool) -> PublicKey | None: ...


def detect_scheme(headers: HeaderFields) -> Scheme:
    if "signature-input" in headers:
        return Scheme.RFC9421
    if "signature" in headers:
        return Scheme.CAVAGE
    raise SignatureError("the request is not signed: it has no Signature header")


def check_time_window(created: datetime, expires: datetime | None, now: datetime) -> None:
    if created > now + CLOCK_SKEW_MARGIN:
        raise SignatureError(f"the signature was created in the future ({created.isoformat()})")
    deadline = min(expires or created + DEFAULT_LIFETIME, created + EXPIRATION_WINDOW_LIMIT)
    if now > deadline + CLOCK_SKEW_MARGIN:
        raise SignatureError(
            f"the signature is stale: created {created.isoformat()}, valid until {deadline.isoformat()}"
        )


async def verify_request(
    method: str,
    url: str,
    headers: HeadersInput,
    body: bytes,
    *,
    lookup_key: KeyLookup,
    now: datetime | None = None,
) -> VerifiedSignature:
    """Verify a signed request; raise SignatureError with the reason when it cannot be accepted.

    `url` is the absolute URL the client requested (scheme and host as the
    client saw them), `body` the raw bytes received, `now` (timezone-aware)
    defaults to the current time.
    """
    fields = HeaderFields(headers)
    prepare = rfc9421.prepare if detect_scheme(fields) is Scheme.RFC9421 else cavage.prepare
    pending = prepare(method, url, fields, body)
    check_time_window(pending.created, pending.expires, now or datetime.now(UTC))
    try:
        algorithm = _check(pending, await lookup_key(pending.key_id, refresh=False))
    except SignatureError:
        algorithm = _check(pending, await lookup_key(pending.key_id, refresh=True))
    return VerifiedSignature(pending.key_id, pending.scheme, pending.covered, algorithm)


def _check(pending: PendingSignature, key: PublicKey | None) -> str:
    if key is None:
        raise SignatureError(f"no public key is known for {pending.key_id}")
    return pending.check(key)


def sign_request(
    method: str,
    url: str,
    headers: HeadersInput,
    body: bytes,
    *,
    key_id: str,
    private_key: PrivateKey,
    scheme: Scheme,
    now: datetime | None = None,
    label: str = "sig1",
    components: Sequence[str] | None = None,
) -> dict[str, str]:
    """The headers to add so that the request is signed with `private_key`.

    draft-cavage adds Host and Date when absent, Digest for a body or POST, and
    Signature (rsa-sha256, RSA keys only); RFC 9421 adds Content-Digest,
    Signature-Input and Signature under `label`. `components` overrides the
    covered components (names as each scheme spells them).
    """
    fields = HeaderFields(headers)
    moment = now or datetime.now(UTC)
    if scheme is Scheme.RFC9421:
        return rfc9421.sign(
            method,
            url,
            fields,
            body,
            key_id=key_id,
            private_key=private_key,
            now=moment,
            label=label,
            components=components,
        )
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise TypeError("draft-cavage signing needs an RSA private key")
    return cavage.sign(
        method, url, fields, body, key_id=key_id, private_key=private_key, now=moment, components=components
    )
