"""Actor documents: one instance keypair behind the domain and instance actors, members with their own keys,
and content negotiation between peers (AS2 JSON) and browsers (a redirect to the web page)."""

from __future__ import annotations

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from activitypub.actors import summary_html
from activitypub.app import create_app
from activitypub.as2 import negotiate
from activitypub.keys import load_public_key
from activitypub.models import InstanceKey, MemberActor
from shared.config import load_settings
from shared.contracts import contracts
from shared.contracts.users import Authors
from shared.resources import Resources
from tests.activitypub.conftest import AP, AS2, PUBLIC_URL, Platform
from tests.conftest import Backend, migrate

LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
SHARED_PROPERTIES = {
    "preferredUsername",
    "inbox",
    "outbox",
    "followers",
    "following",
    "endpoints",
    "publicKey",
    "manuallyApprovesFollowers",
    "discoverable",
    "indexable",
    "alsoKnownAs",
    "name",
    "url",
}


async def actor(platform: Platform, name: str) -> dict:
    response = await platform.client.get(f"/activitypub/users/{name}", headers={"Accept": AS2})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == AS2
    return response.json()


async def test_domain_and_instance_actors_project_one_instance_keypair(platform: Platform) -> None:
    assert await platform.count(InstanceKey) == 0  # made on first use, not before
    documents = {name: await actor(platform, name) for name in ("blog", "market", "events", "instance")}
    assert await platform.count(InstanceKey) == 1
    pems = {document["publicKey"]["publicKeyPem"] for document in documents.values()}
    assert len(pems) == 1
    key = load_public_key(pems.pop())
    assert isinstance(key, rsa.RSAPublicKey)
    assert key.key_size == 2048
    for name, document in documents.items():
        actor_id = f"{AP}/users/{name}"
        assert set(document) >= SHARED_PROPERTIES
        assert document["id"] == actor_id
        assert document["preferredUsername"] == name
        assert document["publicKey"] == {
            "id": f"{actor_id}#main-key",
            "owner": actor_id,
            "publicKeyPem": document["publicKey"]["publicKeyPem"],
        }
        assert document["inbox"] == f"{actor_id}/inbox"
        assert document["outbox"] == f"{actor_id}/outbox"
        assert document["followers"] == f"{actor_id}/followers"
        assert document["following"] == f"{actor_id}/following"
        assert document["endpoints"] == {"sharedInbox": f"{AP}/inbox"}
        assert document["alsoKnownAs"] == []
        assert "https://www.w3.org/ns/activitystreams" in document["@context"]
    assert documents["blog"]["type"] == "Organization"
    assert documents["blog"]["url"] == f"{PUBLIC_URL}/blog/"
    assert documents["blog"]["manuallyApprovesFollowers"] is False
    assert documents["blog"]["discoverable"] is True
    assert documents["instance"]["type"] == "Application"
    assert documents["instance"]["manuallyApprovesFollowers"] is True
    assert documents["instance"]["discoverable"] is False


async def test_the_instance_keypair_is_kept_and_reused(platform: Platform) -> None:
    first = (await actor(platform, "blog"))["publicKey"]["publicKeyPem"]
    [row] = await platform.rows(InstanceKey)
    assert row.public_key_pem == first
    assert "PRIVATE KEY" in row.private_key_pem
    assert (await actor(platform, "events"))["publicKey"]["publicKeyPem"] == first


async def test_a_member_gets_their_own_actor_and_keypair_on_first_use(platform: Platform) -> None:
    user_id = await platform.register("mira", "Mira Quinn")
    assert await platform.count(MemberActor) == 0
    document = await actor(platform, "mira")
    [row] = await platform.rows(MemberActor)
    assert (row.user_id, row.handle) == (user_id, "mira")
    assert document["type"] == "Person"
    assert document["name"] == "Mira Quinn"
    assert document["url"] == f"{PUBLIC_URL}/members/mira/"
    assert document["publicKey"]["id"] == f"{AP}/users/mira#main-key"
    assert document["publicKey"]["publicKeyPem"] == row.public_key_pem
    assert document["publicKey"]["publicKeyPem"] != (await actor(platform, "blog"))["publicKey"]["publicKeyPem"]
    assert document["manuallyApprovesFollowers"] is False
    assert document["discoverable"] is False  # members opt in
    assert document["published"]
    # The same key the next time.
    assert (await actor(platform, "mira"))["publicKey"] == document["publicKey"]
    assert await platform.count(MemberActor) == 1


def test_a_bio_becomes_an_escaped_html_summary() -> None:
    assert summary_html("Grows <b>roses</b>.\r\n\r\nSecond\nline\n\n\n") == (
        "<p>Grows &lt;b&gt;roses&lt;/b&gt;.</p><p>Second<br>line</p>"
    )
    assert summary_html("  ") is None


@pytest.mark.parametrize("name", ["nobody", "admin", "NotAHandle!", "x"])
async def test_unknown_actors_are_not_found(platform: Platform, name: str) -> None:
    response = await platform.client.get(f"/activitypub/users/{name}", headers={"Accept": AS2})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (AS2, AS2),
        (LD_JSON, LD_JSON),
        ("application/json", AS2),
        ("*/*", AS2),
        (None, AS2),
        (f"{AS2}, {LD_JSON}", AS2),
    ],
)
async def test_peers_get_activitystreams_json(platform: Platform, accept: str | None, media_type: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = await platform.client.get("/activitypub/users/blog", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["vary"] == "Accept"
    assert response.json()["id"] == f"{AP}/users/blog"


@pytest.mark.parametrize(
    ("name", "page"),
    [("blog", "/blog/"), ("market", "/market/"), ("events", "/events/"), ("instance", "/")],
)
async def test_browsers_are_sent_to_the_web_page(platform: Platform, name: str, page: str) -> None:
    response = await platform.client.get(f"/activitypub/users/{name}", headers={"Accept": BROWSER})
    assert response.status_code == 302
    assert response.headers["location"] == f"{PUBLIC_URL}{page}"
    assert response.headers["vary"] == "Accept"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/html", None),
        (BROWSER, None),
        ("text/html;q=0.5, application/activity+json", AS2),
        ("application/activity+json;q=0.4, text/html", None),
        ('application/ld+json; profile="https://example.org/other"', None),
        ('application/ld+json; profile="https://example.org/other https://www.w3.org/ns/activitystreams"', LD_JSON),
        ("application/ld+json", LD_JSON),
        ("image/png", None),
        ("application/activity+json;q=0", None),
    ],
)
def test_negotiation_weighs_what_the_client_asks_for(accept: str, expected: str | None) -> None:
    assert negotiate(accept) == expected


async def test_the_standalone_sidecar_serves_at_its_root_and_says_when_the_router_is_away(backend: Backend) -> None:
    """Production: the sidecar on its own port, behind a proxy that strips /activitypub, the router elsewhere."""
    await migrate(backend)
    environ = {**backend.environ(), "PUBLIC_URL": PUBLIC_URL, "ACTIVITYPUB_ROUTER_URL": "http://127.0.0.1:9/graphql"}
    resources = Resources.open(load_settings(environ))
    try:
        async with resources.sessions() as session, session.begin():
            await contracts.get(Authors).create_author(
                session, handle_hint="mira", display_name="Mira", avatar_url=None
            )
        transport = httpx.ASGITransport(app=create_app(resources))
        async with httpx.AsyncClient(transport=transport, base_url="http://activitypub:4010") as client:
            blog = await client.get("/users/blog", headers={"Accept": AS2})
            assert blog.json()["id"] == f"{AP}/users/blog"
            finger = await client.get("/.well-known/webfinger", params={"resource": "acct:blog@roseash.test"})
            assert finger.status_code == 200
            member = await client.get("/users/mira", headers={"Accept": AS2})
            assert member.status_code == 503
            assert member.headers["content-type"] == "application/problem+json"
    finally:
        await resources.close()
