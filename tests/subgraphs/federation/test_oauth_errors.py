"""Malformed requests get the OAuth error JSON the RFCs define, or problem+json: never a stack trace."""

from __future__ import annotations

import httpx
import pytest

from shared.resources import Resources
from subgraphs.federation.oauth_server import MAX_BODY
from tests.subgraphs.federation.oauth_kit import Served, serve_oauth


@pytest.fixture
async def served(resources: Resources):
    async with serve_oauth(resources) as served:
        yield served


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "unsupported_grant_type"),
        ({"grant_type": "urn:ietf:params:oauth:grant-type:device_code"}, "unsupported_grant_type"),
        ({"grant_type": "authorization_code", "client_id": "web"}, "invalid_request"),
        ({"grant_type": "authorization_code", "client_id": "web", "code": "made-up"}, "invalid_grant"),
        ({"grant_type": "refresh_token", "client_id": "web"}, "invalid_request"),
        ({"grant_type": "refresh_token", "client_id": "nobody", "refresh_token": "x"}, "invalid_client"),
    ],
)
async def test_bad_token_requests_get_oauth_errors(served: Served, data: dict, error: str) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(served.metadata["token_endpoint"], data=data)
    assert response.status_code in (400, 401)
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["error"] == error


async def test_the_wrong_method_or_body_gets_a_problem(served: Served) -> None:
    async with httpx.AsyncClient() as http:
        wrong_method = await http.get(served.metadata["token_endpoint"])
        too_big = await http.post(served.metadata["token_endpoint"], data={"grant_type": "x" * (MAX_BODY + 1)})
        not_utf8 = await http.post(
            served.metadata["token_endpoint"],
            content=b"grant_type=\xff\xfe",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    for response, status in ((wrong_method, 405), (too_big, 413), (not_utf8, 400)):
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == status


async def test_userinfo_without_a_token_asks_for_one(served: Served) -> None:
    async with httpx.AsyncClient() as http:
        bare = await http.get(served.metadata["userinfo_endpoint"])
        junk = await http.get(served.metadata["userinfo_endpoint"], headers={"Authorization": "Bearer junk"})
    assert bare.status_code == 401
    assert bare.json()["error"] == "missing_authorization"
    assert bare.headers["www-authenticate"].lower().startswith("bearer")
    assert junk.status_code == 401
    assert junk.json()["error"] == "invalid_token"
