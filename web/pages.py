"""The site's pages, rendered on the server from what the router answers: no scripts, everything escaped.

For now one page proves the sign-in: the home page says who is signed in,
with a sign-out button, or offers to sign in.
"""

from __future__ import annotations

import logging
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from web import sessions
from web.oidc_client import IssuerUnavailable
from web.router_client import RouterError
from web.site import Site

logger = logging.getLogger("roseash.web")

LOGIN_PATH = "/auth/login"
LOGOUT_PATH = "/auth/logout"
VIEWER = "query Viewer { viewer { displayName } }"


def page(site: Site, title: str, body: str, *, status: int = 200) -> Response:
    """A whole page around `body` (HTML the caller escaped), never cached, framed or given a referrer."""
    html = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>\n"
        f"<body><main>\n<h1>{escape(title)}</h1>\n{body}</main></body></html>\n"
    )
    headers = {
        "Cache-Control": "no-store",  # pages say who is signed in
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        # Signing out posts here and is redirected on to the issuer, which form-action must allow.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
        f"form-action 'self' {site.issuer_origin}; frame-ancestors 'none'; base-uri 'none'",
    }
    return HTMLResponse(html, status_code=status, headers=headers)


def sign_in_link() -> str:
    return f'<p><a href="{LOGIN_PATH}">Sign in</a></p>\n'


def routes(site: Site) -> list[BaseRoute]:
    async def home(request: Request) -> Response:
        try:
            viewer = await site.viewers.of(request)
            data = await site.router.query(VIEWER, {}, viewer.access_token) if viewer is not None else {}
        except (IssuerUnavailable, RouterError) as exc:
            logger.warning("home page unavailable: %s", exc)
            return page(
                site, "Rose Ash", "<p>Rose Ash cannot be reached right now. Try again shortly.</p>\n", status=503
            )
        user = data.get("viewer")
        if viewer is None or not isinstance(user, dict):
            response = page(site, "Rose Ash", sign_in_link())
            if sessions.COOKIE in request.cookies:  # a session that ended: forget its cookie
                sessions.clear_cookie(response, secure=site.secure)
            return response
        body = (
            f"<p>Signed in as {escape(str(user.get('displayName')))}</p>\n"
            f'<form method="post" action="{LOGOUT_PATH}">'
            f'<input type="hidden" name="csrf" value="{escape(viewer.csrf)}">'
            '<button type="submit">Sign out</button></form>\n'
        )
        return page(site, "Rose Ash", body)

    return [Route("/", home, methods=["GET", "HEAD"])]


_STYLE = (
    "body{font-family:Georgia,serif;color:#1a1a1a;margin:0}"
    "main{max-width:40em;margin:4em auto;padding:0 1em}"
    "button{font-size:1em;padding:.5em 1.2em}"
)
