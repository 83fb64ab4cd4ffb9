"""The server-rendered pages of signing in: login, consent, logout, and the CSRF check their forms pass.

Each form carries a token that must equal the one in a cookie only our pages
set (double submit); a browser that says the form came from another site
(Sec-Fetch-Site: cross-site) is refused outright. Pages are never cached,
framed or given a referrer, and may post only to us, or be redirected on
only to the client the authorization request names.
"""

from __future__ import annotations

import hmac
import secrets
from html import escape
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from subgraphs.federation.oauth_policy import SCOPE_DESCRIPTIONS

CSRF_COOKIE = "roseash_csrf"
CSRF_FIELD = "csrf"
COOKIE_PATH = "/oauth"


def csrf_token(request: Request) -> str:
    """The browser's CSRF token, or a new one (which the response must set with `set_csrf_cookie`)."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)


def set_csrf_cookie(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(CSRF_COOKIE, token, path=COOKIE_PATH, httponly=True, secure=secure, samesite="lax")


def csrf_passes(request: Request, sent: str) -> bool:
    """Whether the form's token (`sent`) is this browser's, and the browser does not say the form is from elsewhere."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return False
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), sent.encode())


def login_page(
    *,
    action: str,
    csrf: str,
    client_name: str | None,
    redirect_uri: str,
    identifier: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    notice = f'<p role="alert" class="error">{escape(error)}</p>\n' if error else ""
    form = (
        f'<form method="post" action="{escape(action)}">\n'
        f"{_hidden(CSRF_FIELD, csrf)}{_hidden('step', 'login')}"
        '<label>Handle or email<br><input name="identifier" autocomplete="username" required '
        f'value="{escape(identifier)}" autofocus></label>\n'
        '<label>Password<br><input name="password" type="password" autocomplete="current-password" required>'
        "</label>\n"
        '<button type="submit">Sign in</button>\n</form>\n'
    )
    going = f"<p>to continue to {escape(client_name)}</p>\n" if client_name else ""
    body = f"{going}{notice}{form}"
    return _page("Sign in to Rose Ash", body, status=status, redirect_uri=redirect_uri)


def consent_page(
    *, action: str, csrf: str, client_name: str, redirect_uri: str, user_name: str, scopes: list[str]
) -> Response:
    asks = "".join(f"<li>{escape(SCOPE_DESCRIPTIONS.get(s, s))}</li>" for s in scopes)
    body = (
        f"<p>Signed in as {escape(user_name)}.</p>\n"
        f"<p>{escape(client_name)} would like to:</p>\n<ul>{asks}</ul>\n"
        f'<form method="post" action="{escape(action)}">\n'
        f"{_hidden(CSRF_FIELD, csrf)}{_hidden('step', 'consent')}"
        '<button type="submit" name="decision" value="allow">Allow</button>\n'
        '<button type="submit" name="decision" value="deny">Deny</button>\n</form>\n'
    )
    return _page(f"Allow {client_name}?", body, redirect_uri=redirect_uri)


def logout_page(*, action: str, csrf: str, fields: list[tuple[str, str]]) -> Response:
    """Asked for when the request to log out carried no valid ID token: it might not be the user asking."""
    hidden = "".join(_hidden(name, value) for name, value in fields)
    body = (
        f'<form method="post" action="{escape(action)}">\n{_hidden(CSRF_FIELD, csrf)}{hidden}'
        '<button type="submit" name="confirm" value="yes">Sign out</button>\n</form>\n'
    )
    return _page("Sign out of Rose Ash?", body)


def signed_out_page() -> Response:
    return _page("You are signed out", "<p>You can close this page.</p>\n")


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">\n'


def _page(title: str, body: str, *, status: int = 200, redirect_uri: str = "") -> Response:
    # After the form, the browser is redirected to the client: form-action must allow its origin, or it stops.
    target = urlsplit(redirect_uri)
    origin = f" {target.scheme}://{target.netloc}" if target.scheme in ("http", "https") and target.netloc else ""
    html = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>\n"
        f"<body><main>\n<h1>{escape(title)}</h1>\n{body}</main></body></html>\n"
    )
    headers = {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "X-Robots-Tag": "noindex",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
        f"form-action 'self'{origin}; frame-ancestors 'none'; base-uri 'none'",
    }
    return HTMLResponse(html, status_code=status, headers=headers)


_STYLE = (
    "body{font-family:Georgia,serif;color:#1a1a1a;margin:0}"
    "main{max-width:26em;margin:4em auto;padding:0 1em}"
    "label{display:block;margin:1em 0}input{font-size:1em;padding:.4em;width:100%;box-sizing:border-box}"
    "button{font-size:1em;padding:.5em 1.2em;margin:.5em .5em 0 0}.error{color:#a00}"
)
