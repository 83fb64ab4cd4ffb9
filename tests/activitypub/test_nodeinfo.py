"""NodeInfo 2.0 and 2.1: linked from /.well-known/nodeinfo, shaped as their schemas say, with real counts."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from shared.contracts import contracts
from shared.contracts.users import Authors
from shared.db import utcnow
from subgraphs.blog.models import Kind, Post, Status
from subgraphs.federation.oauth_models import LoginSession
from tests.activitypub.conftest import AP, Platform

SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/"
# The closed vocabularies of the NodeInfo 2.0 and 2.1 schemas (nodeinfo.diaspora.software).
PROTOCOLS = {"activitypub", "buddycloud", "dfrn", "diaspora", "libertree", "ostatus", "pumpio", "tent", "xmpp", "zot"}
INBOUND = {"atom1.0", "gnusocial", "imap", "pnut", "pop3", "pumpio", "rss2.0", "twitter"}


def check_schema_shape(document: dict, version: str) -> None:
    """What the schema (draft-04, additionalProperties false throughout) requires of a document."""
    top = {"version", "software", "protocols", "services", "openRegistrations", "usage", "metadata"}
    assert set(document) == top
    assert document["version"] == version
    software = document["software"]
    allowed = {"name", "version"} | ({"repository", "homepage"} if version == "2.1" else set())
    assert {"name", "version"} <= set(software) <= allowed
    assert re.fullmatch(r"[a-z0-9-]+", software["name"])
    assert isinstance(software["version"], str)
    assert isinstance(document["protocols"], list)
    assert document["protocols"]
    assert set(document["protocols"]) <= PROTOCOLS
    assert set(document["services"]) == {"inbound", "outbound"}
    assert set(document["services"]["inbound"]) <= INBOUND
    assert isinstance(document["services"]["outbound"], list)
    assert isinstance(document["openRegistrations"], bool)
    usage = document["usage"]
    assert "users" in usage
    assert set(usage) <= {"users", "localPosts", "localComments"}
    assert set(usage["users"]) <= {"total", "activeHalfyear", "activeMonth"}
    for count in [*usage["users"].values(), *(usage[k] for k in usage if k != "users")]:
        assert isinstance(count, int)
        assert not isinstance(count, bool)
        assert count >= 0
    assert isinstance(document["metadata"], dict)


async def nodeinfo_links(platform: Platform) -> dict[str, str]:
    response = await platform.client.get("/.well-known/nodeinfo")
    assert response.status_code == 200
    return {link["rel"]: link["href"] for link in response.json()["links"]}


async def test_the_well_known_document_links_both_versions(platform: Platform) -> None:
    assert await nodeinfo_links(platform) == {
        f"{SCHEMA}2.0": f"{AP}/nodeinfo/2.0",
        f"{SCHEMA}2.1": f"{AP}/nodeinfo/2.1",
    }


@pytest.mark.parametrize("version", ["2.0", "2.1"])
async def test_each_version_has_its_schema_shape(platform: Platform, version: str) -> None:
    response = await platform.client.get((await nodeinfo_links(platform))[f"{SCHEMA}{version}"])
    assert response.status_code == 200
    assert response.headers["content-type"] == f'application/json; profile="{SCHEMA}{version}#"'
    document = response.json()
    check_schema_shape(document, version)
    assert document["software"]["name"] == "roseash"
    assert document["protocols"] == ["activitypub"]


async def test_usage_counts_are_real(platform: Platform) -> None:
    now = utcnow()
    recent = await platform.register("recent")
    earlier = await platform.register("earlier")
    await platform.register("dormant")
    async with platform.resources.sessions() as session, session.begin():
        # An imported author has no account: not a registered user.
        await contracts.get(Authors).create_author(
            session, handle_hint="ghostwriter", display_name="Ghost Writer", avatar_url=None
        )
        for user_id, days in ((recent, 3), (earlier, 100)):
            session.add(
                LoginSession(
                    secret_hash=uuid.uuid4().hex,
                    user_id=user_id,
                    authenticated_at=now - timedelta(days=days),
                    expires_at=now + timedelta(days=1),
                )
            )
        for n, status in enumerate((Status.PUBLISHED, Status.PUBLISHED, Status.DRAFT)):
            session.add(Post(kind=Kind.POST, slug=f"post-{n}", title=f"Post {n}", status=status, published_at=now))
        session.add(Post(kind=Kind.PAGE, slug="about", title="About", status=Status.PUBLISHED, published_at=now))
    document = (await platform.client.get("/activitypub/nodeinfo/2.1")).json()
    assert document["usage"] == {
        "users": {"total": 3, "activeMonth": 1, "activeHalfyear": 2},
        "localPosts": 2,
    }
    assert document["openRegistrations"] is True


async def test_other_versions_are_not_found(platform: Platform) -> None:
    response = await platform.client.get("/activitypub/nodeinfo/1.0")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
