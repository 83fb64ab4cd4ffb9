"""The front: scheme detection, Mastodon's time window, key refresh, round trips, and fuzzing."""

import asyncio
import contextlib
import email.utils
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activitypub import cavage
from activitypub.header_fields import HeaderFields
from activitypub.keys import PublicKey
from activitypub.signatures import (
    Scheme,
    SignatureError,
    VerifiedSignature,
    check_time_window,
    detect_scheme,
    sign_request,
    verify_request,
)

OLD_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
NEW_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ED_KEY = ed25519.Ed25519PrivateKey.generate()
KEY_ID = "https://peer.example/actor#main-key"
INBOX = "https://blog.example/inbox"
BODY = b'{"type":"Delete"}'
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


class Lookup:
    """A key store that records its calls and can hand out a stale key first."""

    def __init__(self, cached: PublicKey | None, fresh: PublicKey | None) -> None:
        self.cached, self.fresh = cached, fresh
        self.calls: list[tuple[str, bool]] = []

    async def __call__(self, key_id: str, *, refresh: bool) -> PublicKey | None:
        self.calls.append((key_id, refresh))
        return self.fresh if refresh else self.cached


def signed(scheme: Scheme, key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey = NEW_KEY) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json"}
    return headers | sign_request("POST", INBOX, headers, BODY, key_id=KEY_ID, private_key=key, scheme=scheme, now=NOW)


@pytest.mark.parametrize("scheme", list(Scheme))
async def test_round_trip_verifies_with_one_lookup(scheme: Scheme) -> None:
    lookup = Lookup(NEW_KEY.public_key(), None)
    verified = await verify_request("POST", INBOX, signed(scheme), BODY, lookup_key=lookup, now=NOW)
    assert verified == VerifiedSignature(
        KEY_ID,
        scheme,
        ("(request-target)", "host", "date", "digest")
        if scheme is Scheme.CAVAGE
        else ("@method", "@target-uri", "content-digest"),
        "rsa-sha256" if scheme is Scheme.CAVAGE else "rsa-v1_5-sha256",
    )
    assert lookup.calls == [(KEY_ID, False)]


@pytest.mark.parametrize("scheme", list(Scheme))
async def test_a_rotated_key_is_refetched_once(scheme: Scheme) -> None:
    lookup = Lookup(OLD_KEY.public_key(), NEW_KEY.public_key())
    await verify_request("POST", INBOX, signed(scheme), BODY, lookup_key=lookup, now=NOW)
    assert lookup.calls == [(KEY_ID, False), (KEY_ID, True)]


@pytest.mark.parametrize("scheme", list(Scheme))
async def test_an_unknown_key_is_looked_up_fresh_once(scheme: Scheme) -> None:
    lookup = Lookup(None, NEW_KEY.public_key())
    await verify_request("POST", INBOX, signed(scheme), BODY, lookup_key=lookup, now=NOW)
    assert lookup.calls == [(KEY_ID, False), (KEY_ID, True)]


@pytest.mark.parametrize(
    ("fresh", "reason"), [(OLD_KEY.public_key(), "bad signature"), (None, "no public key is known")]
)
async def test_failing_after_the_refresh_is_final(fresh: PublicKey | None, reason: str) -> None:
    lookup = Lookup(OLD_KEY.public_key(), fresh)
    with pytest.raises(SignatureError, match=reason):
        await verify_request("POST", INBOX, signed(Scheme.CAVAGE), BODY, lookup_key=lookup, now=NOW)
    assert lookup.calls == [(KEY_ID, False), (KEY_ID, True)]


async def test_a_stale_request_is_refused_before_any_lookup() -> None:
    lookup = Lookup(NEW_KEY.public_key(), None)
    with pytest.raises(SignatureError, match="stale"):
        await verify_request(
            "POST", INBOX, signed(Scheme.RFC9421), BODY, lookup_key=lookup, now=NOW + timedelta(days=1)
        )
    assert lookup.calls == []


async def test_ed25519_round_trip_over_rfc9421() -> None:
    lookup = Lookup(ED_KEY.public_key(), None)
    verified = await verify_request("POST", INBOX, signed(Scheme.RFC9421, ED_KEY), BODY, lookup_key=lookup, now=NOW)
    assert verified.algorithm == "ed25519"


@pytest.mark.parametrize("scheme", list(Scheme))
async def test_header_names_are_case_insensitive_and_pairs_are_accepted(scheme: Scheme) -> None:
    pairs = [(name.upper(), value) for name, value in signed(scheme).items()]
    await verify_request("POST", INBOX, pairs, BODY, lookup_key=Lookup(NEW_KEY.public_key(), None), now=NOW)


def test_signed_get_has_no_digest() -> None:
    for scheme in Scheme:
        added = sign_request("GET", INBOX, {}, b"", key_id=KEY_ID, private_key=NEW_KEY, scheme=scheme, now=NOW)
        assert "Digest" not in added
        assert "Content-Digest" not in added


def test_detect_scheme() -> None:
    assert detect_scheme(HeaderFields({"signature": "x", "signature-input": "y"})) is Scheme.RFC9421
    assert detect_scheme(HeaderFields({"Signature": "keyId=x"})) is Scheme.CAVAGE
    with pytest.raises(SignatureError, match="not signed"):
        detect_scheme(HeaderFields({"Authorization": "Bearer x"}))


@pytest.mark.parametrize(
    ("created", "expires", "accepted"),
    [
        (NOW, None, True),
        (NOW - timedelta(minutes=65), None, True),
        (NOW - timedelta(minutes=65, seconds=1), None, False),
        (NOW + timedelta(hours=1), None, True),
        (NOW + timedelta(hours=1, seconds=1), None, False),
        (NOW - timedelta(hours=6), NOW, True),
        (NOW - timedelta(hours=13), NOW + timedelta(hours=1), True),
        (NOW - timedelta(hours=13, seconds=1), NOW + timedelta(hours=1), False),
        (NOW - timedelta(minutes=10), NOW - timedelta(hours=1, seconds=1), False),
    ],
)
def test_mastodons_time_window(created: datetime, expires: datetime | None, accepted: bool) -> None:
    if accepted:
        check_time_window(created, expires, NOW)
    else:
        with pytest.raises(SignatureError):
            check_time_window(created, expires, NOW)


# Fuzzing: whatever arrives, verification raises SignatureError and nothing else.

GOOD = {scheme: signed(scheme) for scheme in Scheme}
FRAGMENTS = [
    *GOOD[Scheme.CAVAGE].values(),
    *GOOD[Scheme.RFC9421].values(),
    'keyId="k",headers="(request-target) host date digest (created) (expires)",created=1,expires=x,signature="AA=="',
    'sig1=("@method" "@target-uri" "@query-param";name="a" "x");created=1;keyid="k";alg="ed25519"',
    "sig1=:AAAA:",
    "SHA-256=AAAA, sha-512=:AA==:",
    "Tue, 20 Apr 2021 02:07:55 GMT",
    "Mon, 99 Jan 99999 99:99:99 XXX",
]
header_names = st.sampled_from(["Signature", "Signature-Input", "Date", "Digest", "Content-Digest", "Host", "X-A"])
header_values = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.text(alphabet=st.sampled_from(list('abkeyId=",;:()@ -+/\\\t?*0129AZé€\x00\n')), max_size=60),
    st.sampled_from(FRAGMENTS).flatmap(
        lambda fragment: st.integers(0, len(fragment)).map(lambda cut: fragment[:cut] + fragment[cut + 1 :])
    ),
)
urls = st.sampled_from([INBOX, INBOX + "?a=1&a=2", "https://[::1", "https://h:99999/", "/relative", "", "https://é/"])


def verify_quietly(method: str, url: str, headers: list[tuple[str, str]], body: bytes) -> None:
    with contextlib.suppress(SignatureError):
        asyncio.run(
            verify_request(method, url, headers, body, lookup_key=Lookup(NEW_KEY.public_key(), ED_KEY.public_key()))
        )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["POST", "GET", "get", ""]),
    urls,
    st.lists(st.tuples(header_names, header_values), max_size=6),
    st.binary(max_size=20),
)
def test_arbitrary_requests_raise_only_signature_error(
    method: str, url: str, headers: list[tuple[str, str]], body: bytes
) -> None:
    verify_quietly(method, url, headers, body)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(Scheme)), st.data())
def test_mutated_good_requests_raise_only_signature_error(scheme: Scheme, data: st.DataObject) -> None:
    headers = dict(GOOD[scheme])
    name = data.draw(st.sampled_from(sorted(headers)))
    headers[name] = data.draw(header_values)
    verify_quietly("POST", INBOX, list(headers.items()), BODY)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_cavage_parameters_raise_only_signature_error(data: st.DataObject) -> None:
    headers = dict(GOOD[Scheme.CAVAGE])
    params = cavage.parse_signature_header(headers["Signature"])
    params[data.draw(st.sampled_from([*sorted(params), "created", "expires"]))] = data.draw(header_values)
    escaped = {name: value.replace("\\", "\\\\").replace('"', '\\"') for name, value in params.items()}
    headers["Signature"] = ",".join(f'{name}="{value}"' for name, value in escaped.items())
    verify_quietly("POST", INBOX, list(headers.items()), BODY)


@pytest.mark.parametrize(
    ("scheme", "name", "value"),
    [(Scheme.CAVAGE, "Digest", "SHA-256=\u00e9"), (Scheme.RFC9421, "Content-Digest", "sha-256=:\u00e9:")],
)
async def test_non_ascii_digests_are_refused(scheme: Scheme, name: str, value: str) -> None:
    with pytest.raises(SignatureError, match=name):
        await verify_request("POST", INBOX, GOOD[scheme] | {name: value}, BODY, lookup_key=Lookup(None, None), now=NOW)


async def test_a_date_in_another_zone_counts_as_its_instant() -> None:
    headers = {"Date": email.utils.format_datetime(NOW.astimezone(timezone(timedelta(hours=2))))}
    assert headers["Date"].endswith("+0200")
    headers |= sign_request("GET", INBOX, headers, b"", key_id=KEY_ID, private_key=NEW_KEY, scheme=Scheme.CAVAGE)
    lookup = Lookup(NEW_KEY.public_key(), None)
    await verify_request("GET", INBOX, headers, b"", lookup_key=lookup, now=NOW + timedelta(minutes=65))
    with pytest.raises(SignatureError, match="stale"):
        await verify_request("GET", INBOX, headers, b"", lookup_key=lookup, now=NOW + timedelta(minutes=66))
