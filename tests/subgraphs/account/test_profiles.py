"""Profiles in the account subgraph, alone and contributed to the user through the router."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from roseash.embedded import create_platform_app
from shared.auth import ANONYMOUS, Viewer
from shared.resources import Resources
from shared.seeds import run_seeds
from subgraphs.account import service
from subgraphs.account.schema import schema
from subgraphs.federation.seed import SEED
from tests.subgraphs.graphql import execute, member

UPDATE = "mutation($input: PreferencesInput!) { updatePreferences(input: $input) { bio locale timeZone } }"


async def run(resources: Resources, query: str, viewer: Viewer = ANONYMOUS, **variables: Any) -> dict[str, Any]:
    return await execute(schema, resources, query, viewer, **variables)


async def test_defaults_until_set_then_what_the_member_chose(resources: Resources) -> None:
    entities = (
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { profile { bio locale timeZone } } } }"
    )
    before = await run(resources, entities, r=[{"__typename": "User", "id": "u1"}])
    assert before["data"]["_entities"] == [{"profile": {"bio": "", "locale": "en", "timeZone": "UTC"}}]
    changed = await run(
        resources,
        UPDATE,
        member("u1"),
        input={"userId": "u1", "bio": " Hi ", "locale": "pt-BR", "timeZone": "Europe/Lisbon"},
    )
    assert changed["data"]["updatePreferences"] == {"bio": "Hi", "locale": "pt-BR", "timeZone": "Europe/Lisbon"}
    after = await run(resources, entities, r=[{"__typename": "User", "id": "u1"}])
    assert after["data"]["_entities"][0]["profile"]["timeZone"] == "Europe/Lisbon"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"bio": "x" * 2001}, "bio"),
        # PostgreSQL stores no NUL, nor encodes a lone surrogate: refused as input, not a 500 from the database.
        ({"bio": "a\x00b"}, "bio"),
        ({"bio": "a\ud800b"}, "bio"),
        ({"bio": "a\x0bb"}, "bio"),
        ({"locale": "english"}, "locale"),
        ({"locale": "en\n"}, "locale"),
        ({"timeZone": "Mars/Olympus"}, "timeZone"),
    ],
)
async def test_bad_preferences_name_the_field_and_write_nothing(
    resources: Resources, change: dict[str, str], field: str
) -> None:
    body = await run(resources, UPDATE, member("u1"), input={"userId": "u1", "locale": "fr", **change})
    assert body["errors"][0]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["field"] == field
    entities = "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { profile { locale } } } }"
    untouched = await run(resources, entities, r=[{"__typename": "User", "id": "u1"}])
    assert untouched["data"]["_entities"][0]["profile"]["locale"] == "en"


async def test_a_bio_keeps_its_lines(resources: Resources) -> None:
    changed = await run(resources, UPDATE, member("u1"), input={"userId": "u1", "bio": " Grower.\r\n\tBees too. "})
    assert changed["data"]["updatePreferences"]["bio"] == "Grower.\r\n\tBees too."


async def test_two_first_changes_at_once_both_apply(resources: Resources) -> None:
    first, second = resources.sessions(), resources.sessions()
    async with first, second:
        await first.begin()
        await second.begin()
        await service.update_preferences(first, member("u1"), "u1", bio="Hi")
        # The second finds no profile either, and its insert waits on the first's.
        racing = asyncio.create_task(service.update_preferences(second, member("u1"), "u1", locale="pt-BR"))
        await asyncio.sleep(0.3)
        await first.commit()
        await racing
        await second.commit()
    entities = "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { profile { bio locale } } } }"
    after = await run(resources, entities, r=[{"__typename": "User", "id": "u1"}])
    assert after["data"]["_entities"] == [{"profile": {"bio": "Hi", "locale": "pt-BR"}}]


async def test_only_the_member_or_an_admin_changes_preferences(resources: Resources) -> None:
    change = {"userId": "u1", "locale": "de"}
    assert (await run(resources, UPDATE, input=change))["errors"][0]["code"] == "UNAUTHENTICATED"
    assert (await run(resources, UPDATE, member("u2"), input=change))["errors"][0]["code"] == "FORBIDDEN"
    admin = Viewer(user_id="u9", roles=frozenset({"admin"}))
    assert (await run(resources, UPDATE, admin, input=change))["data"]["updatePreferences"]["locale"] == "de"


async def test_the_router_joins_users_and_profiles(resources: Resources) -> None:
    await run_seeds(resources.sessions, [SEED])
    transport = httpx.ASGITransport(app=create_platform_app(resources))
    async with httpx.AsyncClient(transport=transport, base_url="http://platform") as client:
        response = await client.post(
            "/graphql", json={"query": '{ user(handle: "grace") { displayName profile { locale timeZone } } }'}
        )
    assert response.json() == {
        "data": {"user": {"displayName": "Grace Hopper", "profile": {"locale": "en", "timeZone": "UTC"}}}
    }
