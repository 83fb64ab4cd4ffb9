"""GraphQL over HTTP for the router: GET and POST, media types, status codes and CSRF prevention.

Follows the GraphQL-over-HTTP spec: `application/graphql-response+json` when
the client accepts it (request errors are then 400), `application/json`
otherwise (always 200 for a well-formed request), GET for queries only (405
for a mutation), 406 when neither media type is acceptable, 415 for a POST
that is not JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from router.gateway import Gateway, RequestError
from router.persisted_queries import PersistedQueries, PersistedQueryError
from shared.auth import ANONYMOUS, TokenError, TokenVerifier, refusal_response
from shared.errors import MASKED_MESSAGE
from shared.http import problem_response
from shared.logs import request_id_var

logger = logging.getLogger("roseash.router")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
# Content types a browser may send cross-site without a CORS preflight.
_SIMPLE_CONTENT_TYPES = {"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}
# Any of these headers forces a preflight, so its presence proves the request is not a forged simple one.
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name", "graphql-preflight")
FORWARDED_HEADERS = ("authorization",)
# The document limit is checked after parsing the JSON body; the body itself is capped first.
MAX_BODY = 2 * 1024 * 1024
EXPLORER = (Path(__file__).parent / "static" / "explorer.html").read_text()


def _media_type(accept: str | None) -> str | None:
    """The response media type for an Accept header, or None when nothing we serve is acceptable."""
    if not accept:
        return JSON  # the spec's legacy default
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, media.lower()))
    for _, _, media in sorted(ranked):
        if media == GRAPHQL_RESPONSE:
            return GRAPHQL_RESPONSE
        if media in (JSON, "application/*", "*/*"):
            return JSON
    return None


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _bad_request(detail: str, media: str, status: int = 400) -> Response:
    body = {"errors": [{"message": detail, "extensions": {"code": "BAD_REQUEST"}}]}
    return Response(orjson.dumps(body), status_code=status, media_type=media)


class GraphQLEndpoint:
    """The `/graphql` route. `gateway` is asked per request, so a recomposed supergraph swaps in whole.

    With `tokens`, bearer tokens are verified and the viewer they name is what @authenticated and
    @requiresScopes are checked against; without, every caller is anonymous. Either way the
    Authorization header goes on to the subgraphs, which verify it themselves.
    """

    def __init__(
        self,
        gateway: Callable[[], Awaitable[Gateway | None]],
        persisted: PersistedQueries | None = None,
        tokens: TokenVerifier | None = None,
    ) -> None:
        self._gateway = gateway
        self._persisted = persisted
        self._tokens = tokens

    async def handle(self, request: Request) -> Response:
        accept = request.headers.get("accept")
        if request.method == "GET" and "query" not in request.query_params and "text/html" in (accept or ""):
            return HTMLResponse(EXPLORER)
        media = _media_type(accept)
        if media is None:
            return problem_response(
                406,
                "Not Acceptable",
                detail=f"this endpoint answers {GRAPHQL_RESPONSE} or {JSON}; the Accept header allows neither",
            )
        viewer = ANONYMOUS
        if self._tokens is not None:
            try:
                viewer = await self._tokens.viewer(request.headers.get("authorization"))
            except TokenError as exc:
                return refusal_response(exc, media)
        gateway = await self._gateway()
        if gateway is None:
            return problem_response(503, "Service Unavailable", detail="no supergraph is loaded")
        if _content_type(request) in _SIMPLE_CONTENT_TYPES and not any(h in request.headers for h in PREFLIGHT_HEADERS):
            return _bad_request(
                "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). "
                "Send a Content-Type of application/json, or one of these headers: " + ", ".join(PREFLIGHT_HEADERS),
                media,
            )
        params = await self._params(request, media)
        if isinstance(params, Response):
            return params
        query, variables, operation_name = params
        if request.method == "GET":
            try:
                prepared = gateway.prepare(query, operation_name)
            except RequestError:
                prepared = None  # execute() reports it with the right status
            if prepared is not None and prepared.plan.operation_type != "query":
                response = _bad_request(
                    f"{prepared.plan.operation_type}s cannot be sent with GET; use POST", media, status=405
                )
                response.headers["allow"] = "POST"
                return response
        headers = {name: request.headers[name] for name in FORWARDED_HEADERS if name in request.headers}
        request_id = request_id_var.get()
        if request_id:
            headers["x-request-id"] = request_id
        try:
            result = await gateway.execute(query, variables, operation_name, headers, viewer)
        except Exception:
            # A bug of ours: the client still gets a GraphQL answer it can quote, never a bare 500.
            logger.exception("router failed on an operation")
            error = {"message": MASKED_MESSAGE, "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
            if request_id:
                error["extensions"]["requestId"] = request_id
            return Response(orjson.dumps({"errors": [error]}), status_code=500, media_type=media)
        status = 400 if result.request_error and media == GRAPHQL_RESPONSE else 200
        return Response(orjson.dumps(result.body), status_code=status, media_type=media)

    async def _params(self, request: Request, media: str) -> tuple[str, dict[str, Any] | None, str | None] | Response:
        if request.method == "GET":
            raw: dict[str, Any] = dict(request.query_params)
            for name in ("variables", "extensions"):
                if raw.get(name):
                    try:
                        raw[name] = orjson.loads(raw[name])
                    except orjson.JSONDecodeError:
                        return _bad_request(f"the {name} parameter is not valid JSON", media)
        else:
            if _content_type(request) != JSON:
                return problem_response(415, "Unsupported Media Type", detail=f"POST a body of Content-Type {JSON}")
            body = bytearray()
            async for chunk in request.stream():
                body += chunk
                if len(body) > MAX_BODY:
                    return problem_response(
                        413, "Content Too Large", detail=f"request bodies are limited to {MAX_BODY} bytes"
                    )
            try:
                raw = orjson.loads(body)
            except orjson.JSONDecodeError:
                return _bad_request("the request body is not valid JSON", media)
            if not isinstance(raw, dict):
                return _bad_request("the request body must be a JSON object", media)
        query = raw.get("query")
        if query is not None and not isinstance(query, str):
            return _bad_request("`query` must be a string", media)
        if self._persisted is not None:
            try:
                query = await self._persisted.resolve(query, raw.get("extensions"))
            except PersistedQueryError as exc:
                status = 200 if exc.code == "PERSISTED_QUERY_NOT_FOUND" else 400
                body = {"errors": [{"message": exc.message, "extensions": {"code": exc.code}}]}
                return Response(orjson.dumps(body), status_code=status, media_type=media)
        if not isinstance(query, str) or not query.strip():
            return _bad_request("the request has no query: send a `query` string", media)
        variables = raw.get("variables")
        if variables is not None and not isinstance(variables, dict):
            return _bad_request("`variables` must be a JSON object", media)
        operation_name = raw.get("operationName") or None
        if operation_name is not None and not isinstance(operation_name, str):
            return _bad_request("`operationName` must be a string", media)
        return query, variables, operation_name
