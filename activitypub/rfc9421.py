"""RFC 9421 HTTP Message Signatures, with Mastodon's profile for requests.

Mastodon (since 4.4; app/lib/signed_request.rb, `HttpMessageSignature`, and
docs.joinmastodon.org/spec/security) requires `keyid` and `created`, coverage
of `@method` and `@target-uri`, and a covered `Content-Digest` on POST. We
require a covered Content-Digest whenever there is a body, too.

Where a request carries several signatures (`sig1`, `sig2`...), each label is
tried in `Signature-Input` order and the first one that meets the profile is
the one verified; Mastodon itself reads only one.

Components we can resolve for requests: `@method`, `@target-uri`,
`@authority`, `@scheme`, `@request-target`, `@path`, `@query`,
`@query-param;name=...` and header fields without parameters. Responses
(`@status`, `;req`), trailers (`;tr`), and the `sf`, `key` and `bs` field
parameters are refused with a reason: no Fediverse peer signs them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

from activitypub import digests, signature_algorithms
from activitypub import structured_fields as sf
from activitypub.header_fields import HeaderFields
from activitypub.keys import PrivateKey, PublicKey
from activitypub.signature_types import PendingSignature, Scheme, SignatureError
from activitypub.target_uri import TargetUri, parse_target_uri

REQUIRED_COMPONENTS = ("@method", "@target-uri")


@dataclass(frozen=True)
class MessageSignature:
    """One labelled signature: its `Signature-Input` member and its `Signature` bytes."""

    label: str
    components: tuple[sf.Item, ...]
    params: sf.Parameters
    signature: bytes


@dataclass(frozen=True)
class SignatureRequest:
    """One member of a peer's `Accept-Signature` (RFC 9421 section 5.1)."""

    label: str
    components: tuple[str, ...]
    params: sf.Parameters


def parse_signatures(headers: HeaderFields) -> list[MessageSignature]:
    """Every label present in both `Signature-Input` and `Signature`, in `Signature-Input` order."""
    inputs = _dictionary(headers, "Signature-Input")
    values = _dictionary(headers, "Signature")
    signatures = []
    for label, member in inputs.items():
        if label not in values:
            continue
        if not isinstance(member, sf.InnerList):
            raise SignatureError(f"Signature-Input {label} is not an inner list of components")
        for item in member.items:
            if not isinstance(item.value, str) or isinstance(item.value, sf.Token):
                raise SignatureError(f"Signature-Input {label}: component identifiers must be strings")
        value = values[label]
        if not isinstance(value, sf.Item) or not isinstance(value.value, bytes):
            raise SignatureError(f"Signature {label} is not a byte sequence")
        signatures.append(MessageSignature(label, member.items, member.params, value.value))
    if not signatures:
        raise SignatureError("Signature-Input and Signature have no label in common")
    return signatures


def _dictionary(headers: HeaderFields, name: str) -> dict[str, sf.Member]:
    value = headers.get(name)
    if value is None:
        raise SignatureError(f"{name} header is missing")
    try:
        return sf.parse_dictionary(value)
    except sf.StructuredFieldError as error:
        raise SignatureError(f"{name} is not a structured Dictionary: {error}") from None


def component_name(component: sf.Item) -> str:
    """How `VerifiedSignature.covered` names a component: bare, or serialized when it has parameters."""
    return sf.serialize_item(component) if component.params else str(component.value)


def component_value(component: sf.Item, method: str, target: TargetUri, headers: HeaderFields) -> str:
    """RFC 9421 section 2: the value a covered component contributes to the signature base."""
    name = str(component.value)
    params = component.params
    if name.startswith("@"):
        if name == "@query-param":
            return _query_param(params, target)
        if params:
            raise SignatureError(f"component {name} does not take parameters here: {sf.serialize_item(component)}")
        derived = {
            "@method": method,
            "@target-uri": target.uri,
            "@authority": target.authority,
            "@scheme": target.scheme,
            "@request-target": target.request_target,
            "@path": target.path,
            "@query": f"?{target.query or ''}",
        }
        if name == "@status":
            raise SignatureError("component @status applies to responses, not requests")
        if name not in derived:
            raise SignatureError(f"unknown derived component {name}")
        return derived[name]
    if params:
        raise SignatureError(f"unsupported component parameters: {sf.serialize_item(component)}")
    if name != name.lower() or not name:
        raise SignatureError(f"field component names must be lowercase: {name!r}")
    value = headers.get(name)
    if value is None:
        raise SignatureError(f"the signature covers {name} but the request has no such header")
    return value


def _query_param(params: sf.Parameters, target: TargetUri) -> str:
    """RFC 9421 section 2.2.8: names and values decoded, then re-encoded with %20 for spaces."""
    name = params.get("name")
    if set(params) != {"name"} or not isinstance(name, str) or isinstance(name, sf.Token):
        raise SignatureError('component @query-param needs exactly one parameter, name="..."')
    matches = [value for key, value in parse_qsl(target.query or "", keep_blank_values=True) if _encode(key) == name]
    if len(matches) != 1:
        found = "is absent" if not matches else "occurs more than once"
        raise SignatureError(f"query parameter {name!r} {found} in the request URL")
    return _encode(matches[0])


def _encode(text: str) -> str:
    # The WHATWG application/x-www-form-urlencoded percent-encode set leaves
    # only ASCII alphanumerics and *-._ unencoded; quote() also spares ~.
    return quote(text, safe="*").replace("~", "%7E")


def signature_base(
    components: Sequence[sf.Item], params: sf.Parameters, method: str, target: TargetUri, headers: HeaderFields
) -> bytes:
    """RFC 9421 section 2.5: the bytes that are signed."""
    lines = []
    seen: set[str] = set()
    for component in components:
        identifier = sf.serialize_item(component)
        if identifier in seen:
            raise SignatureError(f"component {identifier} is covered twice")
        if component.value == "@signature-params":
            raise SignatureError("@signature-params cannot be a covered component")
        seen.add(identifier)
        value = component_value(component, method, target, headers)
        if "\n" in value or "\r" in value or not value.isascii():
            raise SignatureError(f"component {identifier} has a line break or non-ASCII characters")
        lines.append(f"{identifier}: {value}")
    try:
        signature_params = sf.serialize_inner_list(sf.InnerList(tuple(components), params))
    except sf.StructuredFieldError as error:
        raise SignatureError(f"signature parameters cannot be serialized: {error}") from None
    lines.append(f'"@signature-params": {signature_params}')
    return "\n".join(lines).encode("ascii")


def prepare(method: str, url: str, headers: HeaderFields, body: bytes) -> PendingSignature:
    target = parse_target_uri(url)
    failures: list[tuple[str, SignatureError]] = []
    for candidate in parse_signatures(headers):
        try:
            return _prepare_one(candidate, method, target, headers, body)
        except SignatureError as error:
            failures.append((candidate.label, error))
    if len(failures) == 1:
        raise failures[0][1]
    reasons = "; ".join(f"{label}: {error.reason}" for label, error in failures)
    raise SignatureError(f"no acceptable signature ({reasons})")


def _prepare_one(
    candidate: MessageSignature, method: str, target: TargetUri, headers: HeaderFields, body: bytes
) -> PendingSignature:
    params = candidate.params
    key_id = params.get("keyid")
    if not isinstance(key_id, str) or isinstance(key_id, sf.Token) or not key_id:
        raise SignatureError("the signature has no keyid parameter")
    created = _time(params, "created")
    if created is None:
        raise SignatureError("the signature has no created parameter")
    expires = _time(params, "expires")
    algorithm = params.get("alg")
    if algorithm is not None and algorithm not in signature_algorithms.VERIFIABLE:
        raise SignatureError(f"unsupported signature algorithm {algorithm!r}")
    covered = tuple(component_name(component) for component in candidate.components)
    for required in REQUIRED_COMPONENTS:
        if required not in covered:
            raise SignatureError(f"the signature does not cover {required}")
    if (body or method.upper() == "POST") and "content-digest" not in covered:
        raise SignatureError("the signature does not cover content-digest, which a request with a body must")
    if "content-digest" in covered:
        digests.check_content_digest(headers.get("content-digest"), body)
    base = signature_base(candidate.components, params, method, target, headers)

    def check(key: PublicKey) -> str:
        name = algorithm if isinstance(algorithm, str) else signature_algorithms.algorithm_for_key(key)
        signature_algorithms.verify(name, key, base, candidate.signature)
        return name

    return PendingSignature(Scheme.RFC9421, key_id, covered, created, expires, check)


def _time(params: sf.Parameters, name: str) -> datetime | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise SignatureError(f"the {name} parameter is not an integer")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise SignatureError(f"the {name} parameter is out of range: {value}") from None


def _component(text: str) -> sf.Item:
    if not text.startswith('"'):
        return sf.Item(text)
    try:
        item = sf.parse_item(text)
    except sf.StructuredFieldError as error:
        raise ValueError(f"invalid component identifier {text!r}: {error}") from None
    if not isinstance(item.value, str):
        raise ValueError(f"invalid component identifier {text!r}")
    return item


def sign(
    method: str,
    url: str,
    headers: HeaderFields,
    body: bytes,
    *,
    key_id: str,
    private_key: PrivateKey,
    now: datetime,
    label: str = "sig1",
    components: Sequence[str] | None = None,
) -> dict[str, str]:
    """Sign with `rsa-v1_5-sha256` (RSA) or `ed25519` and return the headers to add.

    `components` are names (`"@method"`, `"content-digest"`) or serialized
    identifiers (`'"@query-param";name="page"'`), as `SignatureRequest` gives
    them; the default is Mastodon's profile.
    """
    target = parse_target_uri(url)
    added: dict[str, str] = {}
    with_body = bool(body) or method.upper() == "POST"
    if with_body:
        added["Content-Digest"] = digests.content_digest_header(body)
    if components is None:
        components = REQUIRED_COMPONENTS + (("content-digest",) if with_body else ())
    items = tuple(_component(name) for name in components)
    algorithm = signature_algorithms.algorithm_for_key(private_key)
    params: sf.Parameters = {"created": int(now.timestamp()), "keyid": key_id, "alg": algorithm}
    base = signature_base(items, params, method, target, headers.replaced(added))
    signature = signature_algorithms.sign(algorithm, private_key, base)
    added["Signature-Input"] = sf.serialize_dictionary({label: sf.InnerList(items, params)})
    added["Signature"] = sf.serialize_dictionary({label: sf.Item(signature)})
    return added


def parse_accept_signature(value: str) -> list[SignatureRequest]:
    """What a peer asks us to sign (RFC 9421 section 5.1), for a retry with RFC 9421."""
    try:
        members = sf.parse_dictionary(value)
    except sf.StructuredFieldError as error:
        raise SignatureError(f"Accept-Signature is not a structured Dictionary: {error}") from None
    requests = []
    for label, member in members.items():
        if not isinstance(member, sf.InnerList) or not all(
            isinstance(item.value, str) and not isinstance(item.value, sf.Token) for item in member.items
        ):
            raise SignatureError(f"Accept-Signature {label} is not an inner list of component identifiers")
        components = tuple(component_name(item) for item in member.items)
        requests.append(SignatureRequest(label, components, member.params))
    return requests
