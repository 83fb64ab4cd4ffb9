"""The error policy every subgraph schema carries, at the schema level."""

from __future__ import annotations

import logging

import pytest
import strawberry

from shared.errors import Conflict, Forbidden
from shared.graphql import federation_schema
from shared.logs import request_id_var


@strawberry.type
class Query:
    @strawberry.field
    def forbidden(self) -> int | None:
        raise Forbidden("editors only")

    @strawberry.field
    def conflict(self) -> int | None:
        raise Conflict("version 3 is stale; the post is at version 4", current=4)

    @strawberry.field
    def bug(self) -> int | None:
        raise KeyError("internal detail")

    @strawberry.field
    def fine(self) -> int:
        return 1

    @strawberry.field
    def echo(self, value: int) -> int:
        return value


schema = federation_schema(Query)


async def test_app_errors_keep_their_message_and_code_next_to_data() -> None:
    result = await schema.execute("{ forbidden conflict fine }")
    assert result.data == {"forbidden": None, "conflict": None, "fine": 1}
    assert [(e.message, e.extensions) for e in result.errors or []] == [
        ("editors only", {"code": "FORBIDDEN"}),
        ("version 3 is stale; the post is at version 4", {"current": 4, "code": "CONFLICT"}),
    ]


async def test_bugs_are_masked_and_logged_with_the_request_id(caplog: pytest.LogCaptureFixture) -> None:
    token = request_id_var.set("req-abcdef12")
    try:
        with caplog.at_level(logging.ERROR, logger="roseash.graphql"):
            result = await schema.execute("{ bug }")
    finally:
        request_id_var.reset(token)
    [error] = result.errors or []
    assert error.message == "Internal server error"
    assert error.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-abcdef12"}
    assert "internal detail" in caplog.text
    assert "KeyError" in caplog.text


async def test_bad_variables_are_bad_user_input() -> None:
    result = await schema.execute("query($v: Int!) { echo(value: $v) }", variable_values={"v": "x"})
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT"}
