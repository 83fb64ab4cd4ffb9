"""Users in the federation subgraph: registration, profiles, roles, visibility and batching, by role."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from shared.auth import ANONYMOUS, Viewer
from shared.resources import Resources
from shared.seeds import run_seeds
from subgraphs.federation.schema import schema
from subgraphs.federation.seed import SEED
from tests.subgraphs.graphql import execute

REGISTER = """mutation($input: RegisterInput!) { register(input: $input) { id handle displayName roles email } }"""


class Runner:
    def __init__(self, resources: Resources) -> None:
        self.resources = resources

    async def __call__(self, query: str, viewer: Viewer = ANONYMOUS, **variables: Any) -> dict[str, Any]:
        return await execute(schema, self.resources, query, viewer, **variables)


@pytest.fixture
async def run(resources: Resources) -> Runner:
    await run_seeds(resources.sessions, [SEED])
    return Runner(resources)


async def ids(run: Runner) -> dict[str, str]:
    found = {}
    for handle in ("ada", "grace", "linus"):
        user = (await run("query($h: String) { user(handle: $h) { id } }", h=handle))["data"]["user"]
        found[handle] = user["id"]
    return found


async def test_registration_normalises_and_makes_a_member(run: Runner) -> None:
    body = await run(REGISTER, input={"handle": " New_Member ", "email": "New@Example.ORG", "displayName": " Nia "})
    user = body["data"]["register"]
    assert user["handle"] == "new_member"
    assert user["displayName"] == "Nia"
    assert user["roles"] == ["MEMBER"]
    assert user["email"] is None  # anonymous callers never see it


@pytest.mark.parametrize(
    ("given", "field", "fragment"),
    [
        ({"handle": "x", "email": "a@b.org", "displayName": "X"}, "handle", "3 to 30"),
        ({"handle": "blog", "email": "a@b.org", "displayName": "X"}, "handle", "reserved"),
        ({"handle": "valid_one", "email": "not-an-email", "displayName": "X"}, "email", "name@example.org"),
        ({"handle": "valid_one", "email": "a@b.org", "displayName": "   "}, "displayName", "1 to 100"),
    ],
)
async def test_registration_refuses_bad_input_by_field(run: Runner, given: dict, field: str, fragment: str) -> None:
    [error] = (await run(REGISTER, input=given))["errors"]
    assert error["code"] == "BAD_USER_INPUT"
    assert error["field"] == field
    assert fragment in error["message"]


async def test_taken_handle_or_email_is_a_conflict_and_writes_nothing(run: Runner) -> None:
    taken = await run(REGISTER, input={"handle": "ADA", "email": "other@example.org", "displayName": "A"})
    assert taken["errors"][0]["code"] == "CONFLICT"
    same_email = await run(REGISTER, input={"handle": "another", "email": "ada@example.org", "displayName": "A"})
    assert same_email["errors"][0]["field"] == "email"
    assert (await run('{ user(handle: "another") { id } }'))["data"]["user"] is None


async def test_email_is_visible_to_the_user_and_admins_only(run: Runner) -> None:
    people = await ids(run)
    query = "query($id: ID) { user(id: $id) { email } }"
    linus = people["linus"]
    assert (await run(query, id=linus))["data"]["user"]["email"] is None
    assert (await run(query, Viewer(user_id=people["grace"], roles=frozenset({"member", "editor"})), id=linus))["data"][
        "user"
    ]["email"] is None
    assert (await run(query, Viewer(user_id=linus, roles=frozenset({"member"})), id=linus))["data"]["user"][
        "email"
    ] == "linus@example.org"
    assert (await run(query, Viewer(user_id=people["ada"], roles=frozenset({"admin"})), id=linus))["data"]["user"][
        "email"
    ] == "linus@example.org"


async def test_viewer_is_who_asks(run: Runner) -> None:
    people = await ids(run)
    assert (await run("{ viewer { handle } }"))["data"]["viewer"] is None
    me = await run("{ viewer { handle } }", Viewer(user_id=people["grace"], roles=frozenset({"member"})))
    assert me["data"]["viewer"] == {"handle": "grace"}


async def test_user_needs_exactly_one_of_id_and_handle(run: Runner) -> None:
    [error] = (await run("{ user { id } }"))["errors"]
    assert error["code"] == "BAD_USER_INPUT"


UPDATE = "mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { displayName avatarUrl } }"


async def test_profile_updates_by_role(run: Runner) -> None:
    people = await ids(run)
    linus = Viewer(user_id=people["linus"], roles=frozenset({"member"}))
    grace = Viewer(user_id=people["grace"], roles=frozenset({"member", "editor"}))
    admin = Viewer(user_id=people["ada"], roles=frozenset({"admin"}))
    change = {"userId": people["linus"], "displayName": "L. Pauling", "avatarUrl": "https://example.org/l.png"}
    assert (await run(UPDATE, input=change))["errors"][0]["code"] == "UNAUTHENTICATED"
    assert (await run(UPDATE, grace, input=change))["errors"][0]["code"] == "FORBIDDEN"
    assert (await run(UPDATE, linus, input=change))["data"]["updateProfile"] == {
        "displayName": "L. Pauling",
        "avatarUrl": "https://example.org/l.png",
    }
    cleared = await run(UPDATE, admin, input={"userId": people["linus"], "avatarUrl": ""})
    assert cleared["data"]["updateProfile"]["avatarUrl"] is None
    bad = await run(UPDATE, linus, input={"userId": people["linus"], "avatarUrl": "javascript:alert(1)"})
    assert bad["errors"][0]["field"] == "avatarUrl"
    missing = await run(UPDATE, admin, input={"userId": "nobody"})
    assert missing["errors"][0]["code"] == "NOT_FOUND"


SET_ROLES = "mutation($id: ID!, $roles: [Role!]!) { setRoles(userId: $id, roles: $roles) { roles } }"


async def test_only_admins_set_roles_and_cannot_demote_themselves(run: Runner) -> None:
    people = await ids(run)
    admin = Viewer(user_id=people["ada"], roles=frozenset({"admin"}))
    editor = Viewer(user_id=people["grace"], roles=frozenset({"editor"}))
    assert (await run(SET_ROLES, editor, id=people["linus"], roles=["EDITOR"]))["errors"][0]["code"] == "FORBIDDEN"
    promoted = await run(SET_ROLES, admin, id=people["linus"], roles=["EDITOR", "MEMBER"])
    assert promoted["data"]["setRoles"]["roles"] == ["MEMBER", "EDITOR"]
    demoted = await run(SET_ROLES, admin, id=people["ada"], roles=["MEMBER"])
    assert demoted["errors"][0]["code"] == "CONFLICT"


async def test_admin_listing_pages_with_opaque_cursors(run: Runner) -> None:
    people = await ids(run)
    admin = Viewer(user_id=people["ada"], roles=frozenset({"admin"}))
    query = (
        "query($after: String) { users(first: 2, after: $after) "
        "{ edges { cursor node { handle } } pageInfo { hasNextPage endCursor } } }"
    )
    assert (await run(query))["errors"][0]["code"] == "FORBIDDEN"
    first = (await run(query, admin))["data"]["users"]
    assert len(first["edges"]) == 2
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await run(query, admin, after=first["pageInfo"]["endCursor"]))["data"]["users"]
    assert rest["pageInfo"]["hasNextPage"] is False
    handles = [e["node"]["handle"] for e in first["edges"] + rest["edges"]]
    assert sorted(handles) == ["ada", "grace", "linus"]
    bad = await run(query, admin, after="not-a-cursor")
    assert bad["errors"][0]["field"] == "after"


async def test_entities_load_in_one_statement(run: Runner, resources: Resources) -> None:
    people = await ids(run)
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    representations = [{"__typename": "User", "id": people[h]} for _ in range(20) for h in ("ada", "grace", "linus")]
    representations.append({"__typename": "User", "id": "missing"})
    event.listen(resources.engine.sync_engine, "before_cursor_execute", record)
    try:
        body = await run(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { handle } } }", r=representations
        )
    finally:
        event.remove(resources.engine.sync_engine, "before_cursor_execute", record)
    entities = body["data"]["_entities"]
    assert entities[:3] == [{"handle": "ada"}, {"handle": "grace"}, {"handle": "linus"}]
    assert entities[-1] is None
    assert len([s for s in statements if "FROM users" in s]) == 1


def test_sdl_declares_the_user_entity() -> None:
    sdl = schema.execute_sync("{ _service { sdl } }").data["_service"]["sdl"]  # type: ignore[index]
    assert 'type User @key(fields: "id")' in sdl
