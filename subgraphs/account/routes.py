"""The pages behind the links in newsletter mails: confirm a subscription, unsubscribe.

Served by the account app under /newsletters, and by the embedded platform at
PUBLIC_URL/newsletters, where the links point. Opening either link only shows
a button, since mail scanners (Safe Links and the like) open links on their
own and must neither subscribe nor unsubscribe anyone; the button POSTs to
the same URL, and so do mail clients' one-click unsubscribe (RFC 8058). The
token in the URL is what authorises the POST, so its body is not required to
be exactly `List-Unsubscribe=One-Click`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from shared.errors import HTTP_STATUS, AppError
from shared.resources import Resources
from subgraphs.account import subscriptions
from subgraphs.account.models import Newsletter, Subscription, SubscriptionStatus
from subgraphs.account.rendering import one_line

# Pages that carry a token in their URL: not cached, not indexed, not framed, no referrer sent on.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'",
}


def _page(status: int, title: str, message: str, form: str = "") -> Response:
    body = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head>\n"
        '<body style="font-family:Georgia,serif;max-width:32em;margin:4em auto;padding:0 1em;color:#1a1a1a">\n'
        f"<h1>{escape(title)}</h1>\n<p>{escape(message)}</p>\n{form}</body></html>\n"
    )
    return HTMLResponse(body, status_code=status, headers=HEADERS)


def _broken_link(error: AppError) -> Response:
    return _page(HTTP_STATUS[error.code], "This link does not work", error.message)


async def _newsletter_name(session: AsyncSession, subscription: Subscription) -> str:
    newsletter = await session.get(Newsletter, subscription.newsletter_id)
    return one_line(newsletter.name) if newsletter is not None else "the newsletter"


def _button(token: str, label: str, fields: str = "") -> str:
    """A form that POSTs back to the page's own URL, token and all."""
    return (
        f'<form method="post" action="?{escape(urlencode({"token": token}), quote=True)}">{fields}'
        f'<button type="submit" style="font-size:1em;padding:.5em 1em">{escape(label)}</button></form>\n'
    )


# The subscription a link's token belongs to: found by acting on it (the button), or by only looking.
_Lookup = Callable[[AsyncSession, str], Awaitable[Subscription]]


async def _follow(resources: Resources, request: Request, act: _Lookup, look: _Lookup) -> tuple[Subscription, str]:
    """The link's subscription, acted on for a POST and only looked at otherwise, and its newsletter's name."""
    token = request.query_params.get("token", "")
    async with resources.sessions() as session, session.begin():
        subscription = await (act if request.method == "POST" else look)(session, token)
        return subscription, await _newsletter_name(session, subscription)


def newsletter_routes(resources: Resources) -> list[BaseRoute]:
    async def confirm(request: Request) -> Response:
        try:
            subscription, name = await _follow(
                resources, request, subscriptions.confirm, subscriptions.by_confirm_token
            )
        except AppError as error:
            return _broken_link(error)
        if request.method == "POST":
            return _page(
                200, "Subscribed", f"{subscription.email} will receive {name}. Every issue has a link to unsubscribe."
            )
        if subscription.status == SubscriptionStatus.CONFIRMED:
            return _page(200, "Already subscribed", f"{subscription.email} receives {name}.")
        form = _button(request.query_params["token"], "Confirm subscription")
        return _page(200, f"Subscribe to {name}?", f"{subscription.email} will receive {name}.", form)

    async def unsubscribe(request: Request) -> Response:
        try:
            subscription, name = await _follow(
                resources, request, subscriptions.unsubscribe, subscriptions.by_unsubscribe_token
            )
        except AppError as error:
            return _broken_link(error)
        if request.method == "POST":
            return _page(200, "Unsubscribed", f"{subscription.email} will receive no more of {name}.")
        if subscription.status == SubscriptionStatus.UNSUBSCRIBED:
            return _page(200, "Already unsubscribed", f"{subscription.email} receives no more of {name}.")
        one_click = '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        form = _button(request.query_params["token"], "Unsubscribe", one_click)
        return _page(200, f"Unsubscribe from {name}?", f"{subscription.email} will receive no more of it.", form)

    return [
        Route("/confirm", confirm, methods=["GET", "POST"]),
        Route("/unsubscribe", unsubscribe, methods=["GET", "POST"]),
    ]
