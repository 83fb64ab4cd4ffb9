"""HTTP plumbing every service shares: request ids, access logs, problem+json errors.

`RequestContextMiddleware` is the last line of defence: whatever a handler
raises, the client gets a complete `application/problem+json` answer carrying
the request id, and the traceback goes to the log, never to the client.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from http import HTTPStatus
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import HTTP_STATUS, MASKED_MESSAGE, AppError, ErrorCode
from shared.logs import request_id_var

logger = logging.getLogger("roseash.http")

REQUEST_ID_HEADER = "x-request-id"
# A caller's id is kept only when it is short and plain, so it cannot forge log lines.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def problem_response(
    status: int, title: str, *, detail: str | None = None, code: str | None = None, **extra: Any
) -> Response:
    """An RFC 9457 problem details response."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if code:
        body["code"] = code
    request_id = request_id_var.get()
    if request_id:
        body["requestId"] = request_id
    body.update(extra)
    return Response(orjson.dumps(body), status_code=status, media_type="application/problem+json")


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    response = problem_response(exc.status_code, _reason(exc.status_code), detail=exc.detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def app_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    status = HTTP_STATUS[exc.code]
    return problem_response(status, _reason(status), detail=exc.message, code=exc.code, **exc.extensions)


EXCEPTION_HANDLERS = {HTTPException: http_exception_handler, AppError: app_error_handler}


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class RequestContextMiddleware:
    """Assign a request id, log the request once, and turn any crash into a 500 problem."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or request_id_var.get() is not None:
            # Mounted inside another service's app (the embedded default):
            # the outer middleware already owns this request.
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER.encode(), request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if response_started:
                # Headers are gone; the best we can do is end the body cleanly.
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            else:
                response = problem_response(
                    500, "Internal Server Error", detail=MASKED_MESSAGE, code=ErrorCode.INTERNAL_SERVER_ERROR
                )
                await response(scope, receive, send_with_id)
        finally:
            logger.info(
                "%s %s %d",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "service": self.service,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER.encode():
            candidate = value.decode("latin-1")
            if _VALID_REQUEST_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex
