"""The mails newsletters send, as `EmailMessage`s: confirmations and each recipient's copy of an issue.

Every issue mail carries its own unsubscribe link in the footer and in the
`List-Unsubscribe` header, with `List-Unsubscribe-Post` so mail clients can
offer one-click unsubscribe (RFC 8058).
"""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from html import escape
from urllib.parse import urlencode

from shared.config import Settings
from shared.db import utcnow
from subgraphs.account.models import Delivery, Issue, Newsletter, Subscription
from subgraphs.account.rendering import day, one_line

# Where the links in mails lead: routes of the account app, mounted at the platform's /newsletters.
CONFIRM_PATH = "/newsletters/confirm"
UNSUBSCRIBE_PATH = "/newsletters/unsubscribe"


def _sender(settings: Settings) -> str:
    return parseaddr(settings.mail_from)[1]


def message_id(left: str, mail_from: str) -> str:
    """A Message-ID in the sender's domain, fixed by the caller so every attempt at one mail carries the same."""
    return f"<{left}@{parseaddr(mail_from)[1].rpartition('@')[2]}>"


def confirm_url(public_url: str, token: str) -> str:
    return f"{public_url}{CONFIRM_PATH}?{urlencode({'token': token})}"


def unsubscribe_url(public_url: str, token: str) -> str:
    return f"{public_url}{UNSUBSCRIBE_PATH}?{urlencode({'token': token})}"


def _layout(title: str, body: str, footer: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head>\n"
        '<body style="margin:0;padding:24px 12px;background:#f4f4f4;font-family:Georgia,serif;color:#1a1a1a">\n'
        '<div style="max-width:600px;margin:0 auto;background:#ffffff;padding:24px">\n'
        f"{body}\n"
        '<hr style="border:0;border-top:1px solid #dddddd;margin:32px 0 16px">\n'
        f'<p style="font-size:13px;color:#666666;margin:0">{footer}</p>\n'
        "</div>\n</body></html>\n"
    )


def _message(
    newsletter: Newsletter, delivery: Delivery, subject: str, text: str, html: str, settings: Settings
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = Address(display_name=one_line(newsletter.name), addr_spec=_sender(settings))
    message["To"] = delivery.recipient
    message["Subject"] = one_line(subject)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = delivery.message_id
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def confirmation_message(
    newsletter: Newsletter, subscription: Subscription, delivery: Delivery, token: str, settings: Settings
) -> EmailMessage:
    url = confirm_url(settings.public_url, token)
    until = subscription.confirm_expires_at or utcnow()
    deadline = f"{day(until)}, {until:%H:%M} UTC"
    name = one_line(newsletter.name)
    text = (
        f"Someone, hopefully you, asked to subscribe {delivery.recipient} to {name} ({newsletter.cadence}).\n\n"
        f"To confirm, open this link and press the button there before {deadline}:\n{url}\n\n"
        "If you did not ask for this, ignore this mail: nothing more will be sent to you.\n"
    )
    body = (
        f'<h1 style="font-size:24px;margin:0 0 16px">Confirm your subscription to {escape(name)}</h1>\n'
        f"<p>Someone, hopefully you, asked to subscribe {escape(delivery.recipient)} to {escape(name)} "
        f"({escape(newsletter.cadence)}).</p>\n"
        f'<p><a href="{escape(url, quote=True)}" style="display:inline-block;padding:10px 18px;background:#1a1a1a;'
        f'color:#ffffff;text-decoration:none">Confirm subscription</a></p>\n'
        f"<p>The link works until {deadline}.</p>"
    )
    footer = "If you did not ask for this, ignore this mail: nothing more will be sent to you."
    subject = f"Confirm your subscription to {name}"
    return _message(newsletter, delivery, subject, text, _layout(subject, body, footer), settings)


def issue_message(
    newsletter: Newsletter, issue: Issue, delivery: Delivery, token: str, settings: Settings
) -> EmailMessage:
    url = unsubscribe_url(settings.public_url, token)
    name = one_line(newsletter.name)
    text = f"{issue.text}\n-- \nYou receive {name} because {delivery.recipient} subscribed to it.\nUnsubscribe: {url}\n"
    footer = (
        f"You receive {escape(name)} because {escape(delivery.recipient)} subscribed to it. "
        f'<a href="{escape(url, quote=True)}" style="color:#666666">Unsubscribe</a>'
    )
    message = _message(newsletter, delivery, issue.subject, text, _layout(issue.subject, issue.html, footer), settings)
    message["List-Id"] = f"<{newsletter.id}.{_sender(settings).rpartition('@')[2]}>"
    message["List-Unsubscribe"] = f"<{url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message
