"""Passwords: scrypt hashes, registering with one, changing and setting one, and what a change ends."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from shared.auth import ANONYMOUS, Viewer
from shared.resources import Resources
from shared.seeds import run_seeds
from subgraphs.federation import login_sessions, passwords
from subgraphs.federation.models import User
from subgraphs.federation.oauth_models import LoginSession, Password
from subgraphs.federation.schema import schema
from subgraphs.federation.seed import DEMO_PASSWORD, PASSWORDS_SEED, SEED
from subgraphs.federation.sign_in import SignIn, SignInRefused
from tests.subgraphs.graphql import admin, execute, member

REGISTER = "mutation($input: RegisterInput!) { register(input: $input) { id handle } }"
CHANGE = "mutation($input: ChangePasswordInput!) { changePassword(input: $input) { handle } }"
SET = "mutation($id: ID!, $pw: String!) { setPassword(userId: $id, newPassword: $pw) { handle } }"


def test_hashes_are_salted_scrypt_with_their_parameters() -> None:
    first, second = passwords.hash_password("correct horse"), passwords.hash_password("correct horse")
    assert first != second
    scheme, n, r, p, _salt, _hash = first.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**15), "8", "1")
    assert passwords.verify_password("correct horse", first)
    assert not passwords.verify_password("correct horsE", first)
    assert not passwords.needs_rehash(first)


@pytest.mark.parametrize(
    "stored", ["", "scrypt$1$2$3", "bcrypt$x$y$z$a$b", "scrypt$3$8$1$AAAA$AAAA", "scrypt$16$8$1$!!$AA"]
)
def test_a_malformed_hash_matches_nothing(stored: str) -> None:
    assert not passwords.verify_password("anything", stored)


def test_older_parameters_are_still_verified_and_marked_for_rehashing() -> None:
    weaker = passwords._scrypt("pw", b"salt" * 4, 2**10, 8, 1)
    stored = f"scrypt${2**10}$8$1${passwords._b64(b'salt' * 4)}${passwords._b64(weaker)}"
    assert passwords.verify_password("pw", stored)
    assert passwords.needs_rehash(stored)


@pytest.fixture
async def run(resources: Resources):
    await run_seeds(resources.sessions, [SEED, PASSWORDS_SEED])

    async def run(query: str, viewer: Viewer = ANONYMOUS, **variables: Any) -> dict[str, Any]:
        return await execute(schema, resources, query, viewer, **variables)

    return run


async def signs_in(resources: Resources, identifier: str, password: str) -> bool:
    async with resources.sessions() as session, session.begin():
        try:
            await SignIn(resources.cache).check(session, identifier, password, "192.0.2.1")
        except SignInRefused:
            return False
    return True


async def user(resources: Resources, handle: str) -> User:
    async with resources.sessions() as session:
        found = await session.scalar(select(User).where(User.handle == handle))
    assert found is not None
    return found


async def test_demo_users_sign_in_with_the_documented_password(run, resources: Resources) -> None:
    for handle in ("ada", "grace", "linus"):
        assert await signs_in(resources, handle, DEMO_PASSWORD)
    assert await signs_in(resources, "ADA@example.org ", DEMO_PASSWORD)
    assert await run_seeds(resources.sessions, [PASSWORDS_SEED]) == []


async def test_registering_with_a_password_lets_one_sign_in(run, resources: Resources) -> None:
    given = {"handle": "newbie", "email": "new@example.org", "displayName": "New", "password": "a long passphrase"}
    assert (await run(REGISTER, input=given))["data"]["register"]["handle"] == "newbie"
    assert await signs_in(resources, "newbie", "a long passphrase")
    without = {"handle": "nopass", "email": "no@example.org", "displayName": "No"}
    assert (await run(REGISTER, input=without))["data"]["register"]["handle"] == "nopass"
    assert not await signs_in(resources, "nopass", "")


@pytest.mark.parametrize("password", ["short", "x" * 257])
async def test_a_password_must_be_8_to_256_characters(run, resources: Resources, password: str) -> None:
    given = {"handle": "newbie", "email": "new@example.org", "displayName": "New", "password": password}
    [error] = (await run(REGISTER, input=given))["errors"]
    assert error["code"] == "BAD_USER_INPUT"
    assert error["field"] == "password"
    assert (await run('{ user(handle: "newbie") { id } }'))["data"]["user"] is None


async def test_changing_a_password_needs_the_current_one(run, resources: Resources) -> None:
    linus = member((await user(resources, "linus")).id)
    new = {"currentPassword": DEMO_PASSWORD, "newPassword": "another passphrase"}
    assert (await run(CHANGE, input=new))["errors"][0]["code"] == "UNAUTHENTICATED"
    wrong = await run(CHANGE, linus, input={**new, "currentPassword": "not it at all"})
    assert wrong["errors"][0]["field"] == "currentPassword"
    missing = await run(CHANGE, linus, input={"newPassword": "another passphrase"})
    assert missing["errors"][0]["field"] == "currentPassword"
    short = await run(CHANGE, linus, input={**new, "newPassword": "short"})
    assert short["errors"][0]["field"] == "newPassword"
    assert (await run(CHANGE, linus, input=new))["data"]["changePassword"]["handle"] == "linus"
    assert await signs_in(resources, "linus", "another passphrase")
    assert not await signs_in(resources, "linus", DEMO_PASSWORD)


async def test_guessing_the_current_password_is_limited(run, resources: Resources) -> None:
    grace = member((await user(resources, "grace")).id)
    guess = {"currentPassword": "a wrong guess", "newPassword": "another passphrase"}
    for _ in range(5):
        assert (await run(CHANGE, grace, input=guess))["errors"][0]["code"] == "BAD_USER_INPUT"
    right = {**guess, "currentPassword": DEMO_PASSWORD}
    assert (await run(CHANGE, grace, input=right))["errors"][0]["code"] == "FORBIDDEN"


async def test_a_password_change_ends_every_sign_in_of_the_user(run, resources: Resources) -> None:
    grace = await user(resources, "grace")
    async with resources.sessions() as session, session.begin():
        browser, _secret = await session.run_sync(login_sessions.start, grace)
    await run(CHANGE, member(grace.id), input={"currentPassword": DEMO_PASSWORD, "newPassword": "another passphrase"})
    async with resources.sessions() as session:
        row = await session.get(LoginSession, browser.session_id)
    assert row is not None
    assert row.ended_at is not None


async def test_admins_set_passwords_without_the_old_one(run, resources: Resources) -> None:
    await run(REGISTER, input={"handle": "author", "email": "au@example.org", "displayName": "Au"})
    author = (await user(resources, "author")).id
    assert (await run(SET, member(author), id=author, pw="my own choice"))["errors"][0]["code"] == "FORBIDDEN"
    assert (await run(SET, admin("a1"), id="nobody", pw="my own choice"))["errors"][0]["code"] == "NOT_FOUND"
    assert (await run(SET, admin("a1"), id=author, pw="set by an admin"))["data"]["setPassword"]["handle"] == "author"
    assert await signs_in(resources, "author", "set by an admin")
    async with resources.sessions() as session:
        stored = await session.get(Password, author)
    assert stored is not None
    assert "set by an admin" not in stored.hash
