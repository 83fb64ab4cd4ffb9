"""Which signature a peer gets: draft-cavage first, RFC 9421 when it asks or refuses cavage; remembered per host."""

from __future__ import annotations

from activitypub.models import DeliveryHost
from activitypub.signatures import Scheme
from tests.activitypub.conftest import Platform
from tests.activitypub.delivery_kit import activity, blog_key, follow, publish, run_until_idle, worker
from tests.activitypub.remote_instance import RemoteInstance


async def test_a_peer_asking_for_rfc9421_gets_it_from_then_on(platform: Platform, remote: RemoteInstance) -> None:
    remote.accept_signature = 'sig1=("@method" "@target-uri" "@authority" "content-digest");keyid="x"'
    await follow(platform, remote)
    processor = worker(platform)
    await run_until_idle(processor)  # the Accept, signed draft-cavage: nothing was known of the peer yet
    await publish(platform)
    await run_until_idle(processor)

    key_id, pem = await blog_key(platform)
    [accept] = remote.deliveries("/users/alice/inbox")
    [create] = remote.deliveries()
    assert remote.verify_delivery(accept, key_id, pem) == "cavage"
    assert remote.verify_delivery(create, key_id, pem) == "rfc9421"
    assert activity(create)["type"] == "Create"
    # It covers what the peer asked, under the label it asked for.
    assert create.headers["signature-input"].startswith('sig1=("@method" "@target-uri" "@authority" "content-digest")')
    [host] = await platform.rows(DeliveryHost)
    assert host.signature_scheme == Scheme.RFC9421.value


async def test_a_peer_refusing_cavage_gets_rfc9421_at_once_and_remembered(
    platform: Platform, remote: RemoteInstance
) -> None:
    remote.refuses_cavage = True
    await follow(platform, remote)
    processor = worker(platform)
    await run_until_idle(processor)
    await publish(platform)
    await run_until_idle(processor)

    key_id, pem = await blog_key(platform)
    refused, accepted = remote.deliveries("/users/alice/inbox")
    # The Accept: draft-cavage refused with 401, then RFC 9421 within the same try.
    assert "signature-input" not in refused.headers
    assert remote.verify_delivery(accepted, key_id, pem) == "rfc9421"
    assert activity(refused) == activity(accepted)
    # The Create: RFC 9421 straight away.
    [create] = remote.deliveries()
    assert remote.verify_delivery(create, key_id, pem) == "rfc9421"
    assert create.headers["signature-input"].startswith('sig1=("@method" "@target-uri" "content-digest")')
    [host] = await platform.rows(DeliveryHost)
    assert host.signature_scheme == Scheme.RFC9421.value


async def test_a_peer_that_takes_cavage_leaves_nothing_to_remember(platform: Platform, remote: RemoteInstance) -> None:
    await follow(platform, remote)
    await publish(platform)
    await run_until_idle(worker(platform))
    assert len([request for request in remote.received if request.method == "POST"]) == 2  # the Accept, the Create
    assert await platform.rows(DeliveryHost) == []


async def test_a_refusal_asking_for_rfc9421_is_answered_as_it_asks_and_remembered(
    platform: Platform, remote: RemoteInstance
) -> None:
    asked = 'peer=("@method" "@target-uri" "@authority" "content-digest");keyid="x"'
    remote.accept_signature = asked
    remote.refuses_cavage = True
    remote.inbox_answers = [401]  # the RFC 9421 try of the Accept is refused too, as a key fetch failing would be
    await follow(platform, remote)
    processor = worker(platform)
    await run_until_idle(processor)

    refused, refused_again = remote.deliveries("/users/alice/inbox")
    assert "signature-input" not in refused.headers
    # Signed at once as the refusal asked, under its label.
    assert refused_again.headers["signature-input"].startswith(asked.partition(";")[0])
    [host] = await platform.rows(DeliveryHost)
    assert host.accept_signature == asked  # kept from the refusals, for the next try
    assert host.consecutive_failures == 1
