"""The inboxes' gate: signatures checked in both forms through the signature layer, remote keys fetched
with a signed GET and refetched once on rotation, and every bad request (forged, replayed, stale, future,
digest mismatch, oversized, flooding) refused with nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
from httpsig.verify import HeaderVerifier

from activitypub.models import Follower, InboxActivity, RemoteActor
from shared.outbox import ApActivity
from tests.activitypub.conftest import AP, Platform, open_platform
from tests.activitypub.remote_instance import RemoteInstance, new_key
from tests.conftest import Backend

SHARED_INBOX = f"{AP}/inbox"
BLOG = f"{AP}/users/blog"
BLOG_INBOX = f"{BLOG}/inbox"
STORED = (InboxActivity, Follower, RemoteActor, ApActivity)


async def nothing_stored(platform: Platform) -> bool:
    return all([await platform.count(model) == 0 for model in STORED])


async def test_a_cavage_signed_follow_is_accepted_and_its_key_fetched_with_a_signed_get(
    platform: Platform, remote: RemoteInstance
) -> None:
    follow = remote.activity("Follow", BLOG)
    response = await platform.deliver(remote, BLOG_INBOX, follow)
    assert response.status_code == 202, response.text
    [fetch] = remote.fetches()
    # Our GET is signed as the instance actor; an independent library (pyhttpsig) verifies it.
    instance = (await platform.client.get(f"{AP}/users/instance")).json()["publicKey"]
    signature = fetch.headers["signature"]
    assert f'keyId="{instance["id"]}"' in signature
    verifier = HeaderVerifier(
        fetch.headers,
        instance["publicKeyPem"],
        required_headers=["(request-target)", "host", "date"],
        method="GET",
        path="/users/alice",
        sign_header="signature",
    )
    assert verifier.verify()
    assert fetch.headers["accept"].startswith("application/activity+json")
    [stored] = await platform.rows(RemoteActor)
    assert (stored.uri, stored.key_id, stored.inbox) == (remote.actor(), remote.key_id(), f"{remote.actor()}/inbox")
    assert stored.shared_inbox == f"{remote.base_url}/inbox"


async def test_an_rfc9421_signed_follow_is_accepted_at_the_shared_inbox(
    platform: Platform, remote: RemoteInstance
) -> None:
    body = orjson.dumps(remote.activity("Follow", BLOG))
    headers = remote.sign_rfc9421(SHARED_INBOX, body)
    assert "signature-input" in {name.lower() for name in headers}
    response = await platform.client.post(SHARED_INBOX, content=body, headers=headers)
    assert response.status_code == 202, response.text
    assert await platform.count(Follower) == 1


async def test_a_forged_request_is_refused_and_nothing_is_stored(platform: Platform, remote: RemoteInstance) -> None:
    # Signed with a key that is not the one alice publishes.
    response = await platform.deliver(remote, BLOG_INBOX, remote.activity("Follow", BLOG), key=new_key())
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert "signature" in response.json()["detail"]
    assert await nothing_stored(platform)
    assert len(remote.fetches()) == 1  # fetched once: no refetch of a key fetched a moment ago


async def test_a_replayed_request_is_refused(platform: Platform, remote: RemoteInstance) -> None:
    follow = remote.activity("Follow", BLOG)
    body = orjson.dumps(follow)
    headers = remote.sign_cavage(BLOG_INBOX, body)
    assert (await platform.client.post(BLOG_INBOX, content=body, headers=headers)).status_code == 202
    assert (await platform.deliver(remote, BLOG_INBOX, remote.activity("Undo", follow))).status_code == 202
    assert await platform.count(Follower) == 0
    # The captured Follow, sent again within its time window, would follow again: it is refused.
    replay = await platform.client.post(BLOG_INBOX, content=body, headers=headers)
    assert replay.status_code == 401
    assert "replay" in replay.json()["detail"]
    # Respelling the header (parameter order) does not make it new.
    params = dict(part.split("=", 1) for part in headers["signature"].split(","))
    respelled = {**headers, "signature": ",".join(f"{k}={params[k]}" for k in reversed(list(params)))}
    assert (await platform.client.post(BLOG_INBOX, content=body, headers=respelled)).status_code == 401
    assert await platform.count(Follower) == 0


async def test_stale_and_future_requests_are_refused_before_any_key_is_fetched(
    platform: Platform, remote: RemoteInstance
) -> None:
    now = datetime.now(UTC)
    for date in (now - timedelta(hours=2), now + timedelta(hours=2)):
        response = await platform.deliver(remote, BLOG_INBOX, remote.activity("Follow", BLOG), date=date)
        assert response.status_code == 401
    assert remote.fetches() == []
    assert await nothing_stored(platform)


async def test_a_digest_mismatch_is_refused(platform: Platform, remote: RemoteInstance) -> None:
    signed = orjson.dumps(remote.activity("Like", f"{AP}/users/blog"))
    sent = orjson.dumps(remote.activity("Follow", BLOG))
    response = await platform.client.post(BLOG_INBOX, content=sent, headers=remote.sign_cavage(BLOG_INBOX, signed))
    assert response.status_code == 401
    assert "Digest" in response.json()["detail"]
    assert await nothing_stored(platform)


async def test_a_content_digest_mismatch_is_refused(platform: Platform, remote: RemoteInstance) -> None:
    signed = orjson.dumps(remote.activity("Like", f"{AP}/users/blog"))
    headers = remote.sign_rfc9421(SHARED_INBOX, signed)
    sent = orjson.dumps(remote.activity("Follow", BLOG))
    response = await platform.client.post(SHARED_INBOX, content=sent, headers=headers)
    assert response.status_code == 401
    assert await nothing_stored(platform)


async def test_a_rotated_key_is_refetched_once(platform: Platform, remote: RemoteInstance) -> None:
    assert (await platform.deliver(remote, BLOG_INBOX, remote.activity("Follow", BLOG))).status_code == 202
    [cached] = await platform.rows(RemoteActor)
    remote.rotate_key()
    response = await platform.deliver(remote, BLOG_INBOX, remote.activity("Like", BLOG))
    # The cached key failed, the actor was fetched again, the new key verified.
    assert response.status_code == 202, response.text
    assert len(remote.fetches()) == 2
    [refreshed] = await platform.rows(RemoteActor)
    assert refreshed.id == cached.id
    assert refreshed.public_key_pem != cached.public_key_pem


async def test_a_request_signed_by_someone_else_than_its_actor_is_refused(
    platform: Platform, remote: RemoteInstance
) -> None:
    remote.key("bob")
    claims_bob = remote.activity("Follow", BLOG, name="bob")
    response = await platform.deliver(remote, BLOG_INBOX, claims_bob, name="alice")
    assert response.status_code == 401
    assert "not by the activity's actor" in response.json()["detail"]
    assert await nothing_stored(platform)


async def test_a_request_signed_for_another_host_is_refused(platform: Platform, remote: RemoteInstance) -> None:
    elsewhere = "https://elsewhere.example/activitypub/inbox"
    body = orjson.dumps(remote.activity("Follow", BLOG))
    headers = remote.sign_cavage(elsewhere, body)
    response = await platform.client.post(SHARED_INBOX, content=body, headers=headers)
    assert response.status_code == 401
    assert await nothing_stored(platform)


async def test_unsigned_and_malformed_requests_are_refused(platform: Platform, remote: RemoteInstance) -> None:
    follow = orjson.dumps(remote.activity("Follow", BLOG))
    unsigned = await platform.client.post(SHARED_INBOX, content=follow, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    for body in (b"{not json", b"[1, 2]", orjson.dumps({"type": "Follow", "object": BLOG})):
        response = await platform.client.post(
            SHARED_INBOX, content=body, headers=remote.sign_cavage(SHARED_INBOX, body)
        )
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
    assert await nothing_stored(platform)


async def test_duplicates_are_ignored(platform: Platform, remote: RemoteInstance) -> None:
    follow = remote.activity("Follow", BLOG)
    now = datetime.now(UTC)
    for retry in range(3):  # the same activity, signed anew for each try, as a retrying server sends it
        response = await platform.deliver(remote, BLOG_INBOX, follow, date=now - timedelta(seconds=retry))
        assert response.status_code == 202
    assert await platform.count(InboxActivity) == 1
    assert await platform.count(Follower) == 1
    assert await platform.count(ApActivity) == 1  # one Accept


async def test_unsupported_types_are_accepted_and_ignored(platform: Platform, remote: RemoteInstance) -> None:
    for kind in ("EmojiReact", "Arrive", "Question", "Add"):
        response = await platform.deliver(remote, SHARED_INBOX, remote.activity(kind, BLOG))
        assert response.status_code == 202
    assert await platform.count(InboxActivity) == 0
    assert await platform.count(Follower) == 0


async def test_oversized_bodies_are_refused(backend: Backend, remote: RemoteInstance) -> None:
    async with open_platform(backend, ACTIVITYPUB_MAX_INBOX_BYTES="2000") as platform:
        big = remote.activity("Create", remote.note(f"{AP}/objects/1", "x" * 3000))
        response = await platform.deliver(remote, SHARED_INBOX, big)
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        # Announced too large, refused without reading the body.
        huge = await platform.client.post(SHARED_INBOX, content=b"{}", headers={"Content-Length": "5000000"})
        assert huge.status_code == 413
        assert await nothing_stored(platform)
        assert remote.fetches() == []


async def test_each_remote_host_is_rate_limited(backend: Backend, remote: RemoteInstance) -> None:
    async with open_platform(backend, ACTIVITYPUB_INBOX_RATE_LIMIT="2") as platform:
        statuses = [
            (await platform.deliver(remote, SHARED_INBOX, remote.activity("Like", BLOG))).status_code for _ in range(3)
        ]
        assert statuses == [202, 202, 429]
        refused = await platform.deliver(remote, SHARED_INBOX, remote.activity("Like", BLOG))
        assert refused.headers["retry-after"] == "60"


async def test_an_unknown_actors_inbox_is_not_found(platform: Platform, remote: RemoteInstance) -> None:
    url = f"{AP}/users/nobody/inbox"
    response = await platform.deliver(remote, url, remote.activity("Follow", f"{AP}/users/nobody"))
    assert response.status_code == 404
