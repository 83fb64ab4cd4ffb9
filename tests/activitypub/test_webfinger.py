"""WebFinger and host-meta at the root of PUBLIC_URL, as a peer meeting @blog@roseash.test uses them."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from tests.activitypub.conftest import AP, AS2, PUBLIC_URL, Platform

DOMAIN = "roseash.test"


async def finger(platform: Platform, resource: str) -> dict:
    response = await platform.client.get("/.well-known/webfinger", params={"resource": resource})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/jrd+json"
    return response.json()


def self_link(jrd: dict) -> str:
    [link] = [link for link in jrd["links"] if link["rel"] == "self"]
    assert link["type"] == AS2
    return link["href"]


@pytest.mark.parametrize("name", ["blog", "market", "events", "instance"])
async def test_each_actor_round_trips_from_acct_to_actor_and_back(platform: Platform, name: str) -> None:
    jrd = await finger(platform, f"acct:{name}@{DOMAIN}")
    assert jrd["subject"] == f"acct:{name}@{DOMAIN}"
    actor_id = self_link(jrd)
    assert actor_id == f"{AP}/users/{name}"
    actor = (await platform.client.get(actor_id, headers={"Accept": AS2})).json()
    assert actor["id"] == actor_id
    # What Mastodon checks: preferredUsername at our domain gives this very actor back.
    again = await finger(platform, f"acct:{actor['preferredUsername']}@{DOMAIN}")
    assert self_link(again) == actor_id


async def test_a_member_has_an_acct_name_of_their_own(platform: Platform) -> None:
    await platform.register("mira", "Mira Quinn")
    jrd = await finger(platform, f"acct:mira@{DOMAIN}")
    assert self_link(jrd) == f"{AP}/users/mira"
    [page] = [link for link in jrd["links"] if link["rel"] == "http://webfinger.net/rel/profile-page"]
    assert page == {"rel": page["rel"], "type": "text/html", "href": f"{PUBLIC_URL}/members/mira/"}
    assert jrd["aliases"] == [f"{AP}/users/mira", f"{PUBLIC_URL}/members/mira/"]


@pytest.mark.parametrize(
    "resource",
    [
        f"acct:BLOG@{DOMAIN}",
        f"acct:blog@{DOMAIN.upper()}",
        f"blog@{DOMAIN}",
        f"acct:@blog@{DOMAIN}",
        f"{AP}/users/blog",
    ],
)
async def test_the_spellings_peers_use_are_understood(platform: Platform, resource: str) -> None:
    assert self_link(await finger(platform, resource)) == f"{AP}/users/blog"


@pytest.mark.parametrize(
    "resource",
    [
        f"acct:nobody@{DOMAIN}",  # no such member
        "acct:blog@elsewhere.example",  # not our domain
        f"acct:{DOMAIN}",  # no name
        "https://elsewhere.example/users/blog",
    ],
)
async def test_unknown_accounts_are_not_found(platform: Platform, resource: str) -> None:
    response = await platform.client.get("/.well-known/webfinger", params={"resource": resource})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_lookup_without_a_resource_is_a_bad_request(platform: Platform) -> None:
    response = await platform.client.get("/.well-known/webfinger")
    assert response.status_code == 400
    assert "resource" in response.json()["detail"]


async def test_host_meta_points_at_webfinger(platform: Platform) -> None:
    response = await platform.client.get("/.well-known/host-meta")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xrd+xml")
    root = ElementTree.fromstring(response.content)
    [link] = root.findall("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")
    assert link.get("rel") == "lrdd"
    template = link.get("template")
    assert template == f"{PUBLIC_URL}/.well-known/webfinger?resource={{uri}}"
    # Following the template as a client would lands on the same answer.
    path = template.removeprefix(PUBLIC_URL).replace("{uri}", f"acct:blog@{DOMAIN}")
    assert self_link((await platform.client.get(path)).json()) == f"{AP}/users/blog"
