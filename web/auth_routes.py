"""Signing in and out of the site, as an OAuth client of our issuer with a session of its own.

- GET /auth/login?next=/path sends the browser to the issuer (PKCE S256,
  state, nonce); `next` must be a path on this site, so the route cannot be
  used to send anyone elsewhere.
- GET /auth/callback takes the attempt its state names (once, and only in
  the browser that started it), exchanges the code, checks the ID token and
  starts the site's session.
- POST /auth/logout (same-origin, with the session's CSRF token) ends the
  site's session and sends the browser to the issuer's end-session endpoint,
  which ends the login session there and so, by back-channel logout, every
  other app's session with it.
- POST /auth/backchannel-logout is where the issuer says a login session
  ended: a signed logout token naming its `sid`.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from html import escape
from urllib.parse import parse_qsl, urlsplit

import orjson
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from web import login_attempts, sessions
from web.issuer_tokens import InvalidToken, id_token_claims, logout_token_claims
from web.oidc_client import CALLBACK_PATH, GrantRefused, IssuerUnavailable
from web.pages import LOGIN_PATH, LOGOUT_PATH, page, sign_in_link
from web.sessions import WebSession
from web.site import Site

logger = logging.getLogger("roseash.web")

# Where the issuer delivers logout tokens: origin + this path (subgraphs/federation/backchannel_logout.py).
BACKCHANNEL_PATH = "/auth/backchannel-logout"
_MAX_FORM_BYTES = 16 * 1024
_MAX_NEXT_LENGTH = 2000


def local_path(raw: str | None) -> str:
    """`raw` if it is a path on this site (with its query), "/" if absent; ValueError if it could lead elsewhere."""
    if not raw:
        return "/"
    # "//host" and "/\\host" are read by browsers as another host; control characters hide one.
    if (
        len(raw) > _MAX_NEXT_LENGTH
        or not raw.startswith("/")
        or raw.startswith("//")
        or "\\" in raw
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw)
    ):
        raise ValueError("next must be a path on this site, such as /posts")
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc:
        raise ValueError("next must be a path on this site, such as /posts")
    return raw


def routes(site: Site) -> list[BaseRoute]:
    async def login(request: Request) -> Response:
        try:
            next_path = local_path(request.query_params.get("next"))
        except ValueError as exc:
            return _refused(site, str(exc))
        browser = login_attempts.browser_value(request.cookies.get(login_attempts.COOKIE))
        attempt = await site.attempts.start(browser, next_path)
        try:
            url = await site.oidc.authorization_url(
                state=attempt.state, nonce=attempt.nonce, code_verifier=attempt.code_verifier
            )
        except IssuerUnavailable as exc:
            return _unavailable(site, exc)
        response = _redirect(url)
        login_attempts.set_cookie(response, browser, secure=site.secure)
        return response

    async def callback(request: Request) -> Response:
        params = request.query_params
        state, browser = params.get("state"), request.cookies.get(login_attempts.COOKIE)
        attempt = await site.attempts.take(state, browser) if state and browser else None
        if attempt is None:
            return _refused(site, "This sign-in was not started in this browser, or it is already over.")
        # RFC 9207: the answer must come from our issuer, not another one the browser was sent to.
        if params.get("iss") != site.oidc.issuer:
            return _refused(site, "This answer does not come from our sign-in service.")
        if "error" in params:
            return _refused(site, f"The sign-in did not complete ({params['error']}).")
        try:
            tokens = await site.oidc.exchange(params.get("code", ""), attempt.code_verifier)
            if tokens.id_token is None:
                raise InvalidToken("the token response has no ID token")
            claims = await id_token_claims(
                tokens.id_token, site.keys, issuer=site.oidc.issuer, client_id=site.oidc.client_id, nonce=attempt.nonce
            )
        except GrantRefused as exc:
            logger.info("sign-in refused at the token endpoint: %s", exc)
            return _refused(site, "The sign-in could not be completed.")
        except InvalidToken as exc:
            logger.warning("sign-in refused: the ID token is not acceptable: %s", exc)
            return _refused(site, "The sign-in could not be completed.")
        except IssuerUnavailable as exc:
            return _unavailable(site, exc)
        session = WebSession(
            user_id=claims["sub"],
            sid=claims["sid"],
            access_token=tokens.access_token,
            expires_at=tokens.expires_at,
            refresh_token=tokens.refresh_token,
            id_token=tokens.id_token,
            csrf=secrets.token_urlsafe(32),
            created_at=time.time(),
        )
        previous = request.cookies.get(sessions.COOKIE)
        if previous:  # a new sign-in gets a new session id, never the one the browser came with
            await site.sessions.delete(previous)
        response = _redirect(attempt.next)
        sessions.set_cookie(response, await site.sessions.create(session), secure=site.secure)
        return response

    async def logout(request: Request) -> Response:
        form = await _form(request)
        if form is None or not _same_origin(request, site.origin):
            return _refused(site, "This sign-out was not sent from our page.", status=403, title="Sign-out problem")
        cookie = request.cookies.get(sessions.COOKIE, "")
        session = await site.sessions.load(cookie) if cookie else None
        if session is None:  # already signed out
            response = _redirect("/")
            sessions.clear_cookie(response, secure=site.secure)
            return response
        if not hmac.compare_digest(form.get("csrf", "").encode(), session.csrf.encode()):
            return _refused(site, "This sign-out was not sent from our page.", status=403, title="Sign-out problem")
        await site.sessions.delete(cookie)
        try:
            url = await site.oidc.end_session_url(session.id_token)
        except IssuerUnavailable as exc:
            response = _unavailable(site, exc)
        else:
            response = _redirect(url)
        sessions.clear_cookie(response, secure=site.secure)
        return response

    async def backchannel_logout(request: Request) -> Response:
        form = await _form(request)
        token = form.get("logout_token") if form is not None else None
        if not token:
            return _logout_error(400, "invalid_request", "send the logout token as the form field logout_token")
        try:
            claims = await logout_token_claims(token, site.keys, issuer=site.oidc.issuer, client_id=site.oidc.client_id)
        except InvalidToken as exc:
            logger.warning("back-channel logout refused: %s", exc)
            return _logout_error(400, "invalid_request", str(exc))
        except IssuerUnavailable as exc:
            logger.warning("back-channel logout cannot be checked: %s", exc)
            return _logout_error(503, "temporarily_unavailable", "the issuer's keys cannot be fetched")
        await site.sessions.end_login_session(claims["sid"])
        return Response(status_code=200, headers={"Cache-Control": "no-store"})

    return [
        Route(LOGIN_PATH, login, methods=["GET"]),
        Route(CALLBACK_PATH, callback, methods=["GET"]),
        Route(LOGOUT_PATH, logout, methods=["POST"]),
        Route(BACKCHANNEL_PATH, backchannel_logout, methods=["POST"]),
    ]


def _same_origin(request: Request, origin: str) -> bool:
    """Whether the browser says the request came from our own pages; browsers that say nothing rely on the token."""
    fetch_site = request.headers.get("sec-fetch-site")
    sent = request.headers.get("origin")
    return fetch_site in (None, "same-origin") and sent in (None, origin)


async def _form(request: Request) -> dict[str, str] | None:
    """The urlencoded form body, first value of each name; None if it is not one, or too big to be ours."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_FORM_BYTES:
            return None
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return None
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    return form


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def _refused(site: Site, message: str, *, status: int = 400, title: str = "Sign-in problem") -> Response:
    return page(site, title, f"<p>{escape(message)}</p>\n{sign_in_link()}", status=status)


def _unavailable(site: Site, exc: Exception) -> Response:
    logger.warning("the issuer is unavailable: %s", exc)
    return page(
        site,
        "Sign-in problem",
        "<p>The sign-in service cannot be reached right now. Try again shortly.</p>\n",
        status=503,
    )


def _logout_error(status: int, error: str, description: str) -> Response:
    body = orjson.dumps({"error": error, "error_description": description})
    return Response(body, status_code=status, media_type="application/json", headers={"Cache-Control": "no-store"})
