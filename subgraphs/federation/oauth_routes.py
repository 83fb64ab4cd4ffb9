"""The authorization server's HTTP endpoints, as Starlette routes of the federation app.

Each handler reads its request, opens one transaction, and lets an
`OAuthServer` for the request do the OAuth part. Errors a client can act on
are the JSON the RFCs define (or, at the authorization endpoint, a redirect
back to a verified redirect URI); a body too big or malformed is a
problem+json, like everywhere else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import orjson
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error, grants
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from shared.db import utcnow
from shared.http import problem_response
from shared.resources import Resources
from subgraphs.federation import login_sessions, signing_keys
from subgraphs.federation.clients import Client
from subgraphs.federation.discovery import (
    AUTHORIZATION_SERVER_PATH,
    AUTHORIZE_PATH,
    INTROSPECT_PATH,
    JWKS_PATH,
    LOGOUT_PATH,
    OPENID_CONFIGURATION_PATH,
    REVOKE_PATH,
    TOKEN_PATH,
    USERINFO_PATH,
    metadata,
)
from subgraphs.federation.login_pages import (
    COOKIE_PATH,
    CSRF_FIELD,
    consent_page,
    csrf_passes,
    csrf_token,
    login_page,
    logout_page,
    set_csrf_cookie,
    signed_out_page,
)
from subgraphs.federation.login_sessions import COOKIE, EndUser
from subgraphs.federation.oauth_policy import LOGIN_SESSION_LIFETIME
from subgraphs.federation.oauth_server import Authority, Incoming, OAuthServer
from subgraphs.federation.sign_in import SignIn, SignInRefused

T = TypeVar("T")


def _refused_form() -> Response:
    return problem_response(
        403,
        "Forbidden",
        detail="this form was not sent from our page, or the page is too old: reload it and try again",
        code="FORBIDDEN",
    )


def _json(body: dict[str, Any], max_age: int) -> Response:
    return Response(
        orjson.dumps(body), media_type="application/json", headers={"Cache-Control": f"public, max-age={max_age}"}
    )


class AuthorizationFlow:
    """One request to /oauth/authorize: show the login or consent page, or send the browser back to the client."""

    def __init__(self, authority: Authority, session: AsyncSession, request: Request, incoming: Incoming) -> None:
        self.authority = authority
        self.session = session
        self.request = request
        self.incoming = incoming
        self.server = OAuthServer(authority, session.sync_session)
        self.csrf = csrf_token(request)
        # The form posts back to this very URL, so the authorization request rides along in the query.
        self.action = request.url.path + (f"?{request.url.query}" if request.url.query else "")

    async def _run(self, work: Callable[..., T], *args: Any) -> T:
        return await self.session.run_sync(lambda _db: work(*args))

    async def respond(self, credentials: SignIn) -> Response:
        browser = await self.session.run_sync(login_sessions.current, self.request.cookies.get(COOKIE))
        if self.request.method == "GET":
            return await self.proceed(browser)
        if not csrf_passes(self.request, self.incoming.form_value(CSRF_FIELD)):
            return _refused_form()
        step = self.incoming.form_value("step")
        if step == "login":
            return await self.sign_in(credentials)
        if step == "consent" and browser is not None:
            return await self.proceed(browser, consented=self.incoming.form_value("decision") == "allow")
        return await self.proceed(browser)

    async def sign_in(self, credentials: SignIn) -> Response:
        identifier = self.incoming.form_value("identifier")
        address = self.request.client.host if self.request.client else "unknown"
        try:
            user = await credentials.check(self.session, identifier, self.incoming.form_value("password"), address)
        except SignInRefused as refused:
            return await self.proceed(None, identifier=identifier, error=refused.message, status=refused.status)
        browser, secret = await self.session.run_sync(login_sessions.start, user)
        response = await self.proceed(browser, just_signed_in=True)
        response.set_cookie(
            COOKIE,
            secret,
            max_age=int(LOGIN_SESSION_LIFETIME.total_seconds()),
            path=COOKIE_PATH,
            httponly=True,
            secure=self.authority.secure,
            samesite="lax",  # sent when a client's page sends the browser here, which is what single sign-on is
        )
        return response

    async def proceed(
        self,
        browser: EndUser | None,
        *,
        just_signed_in: bool = False,
        consented: bool | None = None,
        identifier: str = "",
        error: str = "",
        status: int = 200,
    ) -> Response:
        try:
            grant = await self._run(self.server.get_consent_grant, self.incoming, browser)
        except OAuth2Error as failure:
            return self._error(failure)
        client: Client = grant.request.client
        prompts = set(grant.request.payload.data.get("prompt", "").split())
        try:
            if browser is None or (not just_signed_in and ("login" in prompts or self._too_old(grant, browser))):
                if "none" in prompts:
                    raise LoginRequiredError(redirect_uri=grant.redirect_uri)
                return login_page(
                    action=self.action,
                    csrf=self.csrf,
                    client_name=None if client.first_party else client.name,
                    redirect_uri=grant.redirect_uri,
                    identifier=identifier,
                    error=error,
                    status=status,
                )
            if not client.first_party and consented is None:
                if "none" in prompts:
                    raise ConsentRequiredError(redirect_uri=grant.redirect_uri)
                return consent_page(
                    action=self.action,
                    csrf=self.csrf,
                    client_name=client.name,
                    redirect_uri=grant.redirect_uri,
                    user_name=browser.user.display_name,
                    scopes=grant.request.scope.split(),
                )
        except OAuth2Error as failure:
            failure.state = grant.request.payload.state
            return self._error(failure)
        granted = browser if consented is not False else None  # None: access_denied, back to the client
        response: Response = await self._run(self.server.create_authorization_response, grant.request, granted, grant)
        return self._with_issuer(response)

    def _too_old(self, grant: grants.BaseGrant, browser: EndUser) -> bool:
        """OpenID Connect's max_age: the sign-in is older than the client accepts, so sign in again."""
        raw = grant.request.payload.data.get("max_age")
        if raw is None:
            return False
        if not (raw.isascii() and raw.isdigit()):
            raise InvalidRequestError("max_age must be a whole number of seconds", redirect_uri=grant.redirect_uri)
        return utcnow() - browser.auth_time > timedelta(seconds=int(raw))

    def _error(self, failure: OAuth2Error) -> Response:
        # A redirect only when authlib has checked the redirect URI against the client's; otherwise JSON, here.
        return self._with_issuer(self.server.handle_error_response(None, failure))

    def _with_issuer(self, response: Response) -> Response:
        # RFC 9207: the issuer in every authorization response, so a client talking to several cannot be mixed up.
        location = response.headers.get("location")
        if location is not None:
            response.headers["location"] = add_params_to_uri(location, {"iss": self.authority.issuer})
        return response


def oauth_routes(resources: Resources) -> list[BaseRoute]:
    authority = Authority.from_settings(resources.settings)
    credentials = SignIn(resources.cache)

    async def authorize(request: Request) -> Response:
        incoming = await Incoming.read(request, authority.url(AUTHORIZE_PATH))
        async with resources.sessions() as session, session.begin():
            flow = AuthorizationFlow(authority, session, request, incoming)
            response = await flow.respond(credentials)
        set_csrf_cookie(response, flow.csrf, secure=authority.secure)
        return response

    def endpoint(path: str, name: str | None) -> Callable[[Request], Awaitable[Response]]:
        """A handler giving the request to authlib's token endpoint (name None) or the endpoint `name`."""

        async def handle(request: Request) -> Response:
            incoming = await Incoming.read(request, authority.url(path))
            async with resources.sessions() as session, session.begin():
                server = OAuthServer(authority, session.sync_session)
                if name is None:
                    return await session.run_sync(lambda _db: server.create_token_response(incoming))
                return await session.run_sync(lambda _db: server.create_endpoint_response(name, incoming))

        return handle

    async def logout(request: Request) -> Response:
        incoming = await Incoming.read(request, authority.url(LOGOUT_PATH))
        csrf = csrf_token(request)
        confirmed = request.method == "POST" and incoming.form_value("confirm") == "yes"
        if confirmed and not csrf_passes(request, incoming.form_value(CSRF_FIELD)):
            return _refused_form()
        async with resources.sessions() as session, session.begin():
            browser = await session.run_sync(login_sessions.current, request.cookies.get(COOKIE))
            server = OAuthServer(authority, session.sync_session, browser)
            try:
                ending = await session.run_sync(lambda _db: server.validate_endpoint_request("end_session", incoming))
            except OAuth2Error as failure:
                # Never redirect when the request is wrong (RP-Initiated Logout 4).
                return server.handle_error_response(None, failure)
            if ending.needs_confirmation and not confirmed:
                fields = [(k, v) for k, v in incoming.query + incoming.form if k not in (CSRF_FIELD, "confirm")]
                page = logout_page(action=request.url.path, csrf=csrf, fields=fields)
                set_csrf_cookie(page, csrf, secure=authority.secure)
                return page
            redirect = await session.run_sync(lambda _db: server.create_endpoint_response("end_session", ending))
        response = redirect or signed_out_page()
        response.delete_cookie(COOKIE, path=COOKIE_PATH, secure=authority.secure, httponly=True, samesite="lax")
        return response

    async def discovery(request: Request) -> Response:
        return _json(metadata(authority), max_age=3600)

    async def jwks(request: Request) -> Response:
        async with resources.sessions() as session, session.begin():
            keys = await session.run_sync(signing_keys.jwks)
        # Short, so a verifier that misses a new key's kid and refetches soon finds it.
        return _json(keys, max_age=60)

    return [
        Route(AUTHORIZE_PATH, authorize, methods=["GET", "POST"]),
        Route(TOKEN_PATH, endpoint(TOKEN_PATH, None), methods=["POST"]),
        Route(REVOKE_PATH, endpoint(REVOKE_PATH, "revocation"), methods=["POST"]),
        Route(INTROSPECT_PATH, endpoint(INTROSPECT_PATH, "introspection"), methods=["POST"]),
        Route(USERINFO_PATH, endpoint(USERINFO_PATH, "userinfo"), methods=["GET", "POST"]),
        Route(LOGOUT_PATH, logout, methods=["GET", "POST"]),
        Route(OPENID_CONFIGURATION_PATH, discovery, methods=["GET"]),
        Route(AUTHORIZATION_SERVER_PATH, discovery, methods=["GET"]),
        Route(JWKS_PATH, jwks, methods=["GET"]),
    ]
