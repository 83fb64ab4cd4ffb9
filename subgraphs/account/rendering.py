"""An issue's body, rendered once from the posts it covers, as HTML and as plain text.

Everything that came from posts is escaped: a title is text, never markup.
Links are absolute, since a mail has no base URL. Each recipient's copy wraps
this body with their own unsubscribe footer (see `mails`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import urlsplit

from shared.contracts.posts import PostSummary

MAX_SUBJECT = 255


@dataclass(frozen=True, slots=True)
class RenderedIssue:
    subject: str
    html: str
    text: str


def absolute(public_url: str, path: str) -> str:
    """A blog path made absolute under PUBLIC_URL; the path can only add to it, never leave the host."""
    return f"{public_url}/{path.lstrip('/')}"


def image_url(public_url: str, image: str | None) -> str | None:
    """A feature image as an absolute http(s) URL, or None for anything else."""
    if not image:
        return None
    if image.startswith("/") and not image.startswith("//"):
        return absolute(public_url, image)
    parts = urlsplit(image)
    return image if parts.scheme in ("http", "https") and parts.netloc else None


def one_line(text: str) -> str:
    return " ".join(text.split())


def day(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def subject(name: str, number: int, posts: Sequence[PostSummary]) -> str:
    more = f" (and {len(posts) - 1} more)" if len(posts) > 1 else ""
    headline = f"{one_line(name)} #{number}: {one_line(posts[0].title)}"
    if len(headline) + len(more) > MAX_SUBJECT:
        headline = headline[: MAX_SUBJECT - len(more) - 1] + "…"
    return headline + more


def render_issue(
    name: str, number: int, posts: Sequence[PostSummary], public_url: str, sent_at: datetime
) -> RenderedIssue:
    """`posts` newest first, at least one."""
    html = [
        f'<h1 style="font-size:28px;margin:0 0 4px">{escape(one_line(name))}</h1>',
        f'<p style="color:#666;margin:0 0 24px">Issue {number} &middot; {day(sent_at)}</p>',
    ]
    text = [f"{one_line(name)}, issue {number}, {day(sent_at)}", ""]
    for post in posts:
        url = absolute(public_url, post.path)
        href = escape(url, quote=True)
        title = escape(one_line(post.title))
        html.append('<div style="margin:0 0 32px">')
        image = image_url(public_url, post.feature_image)
        if image is not None:
            html.append(
                f'<a href="{href}"><img src="{escape(image, quote=True)}" alt="" width="552" '
                'style="display:block;max-width:100%;height:auto;border:0;margin:0 0 12px"></a>'
            )
        html += [
            f'<h2 style="font-size:22px;margin:0 0 4px"><a href="{href}" style="color:#1a1a1a">{title}</a></h2>',
            f'<p style="color:#666;font-size:14px;margin:0 0 8px">{day(post.published_at)}</p>',
        ]
        if post.excerpt.strip():
            html.append(f'<p style="margin:0 0 8px">{escape(post.excerpt.strip())}</p>')
        html += [f'<p style="margin:0"><a href="{href}">Read more</a></p>', "</div>"]
        text += [one_line(post.title), day(post.published_at)]
        if post.excerpt.strip():
            text.append(post.excerpt.strip())
        text += [f"Read more: {url}", ""]
    return RenderedIssue(subject=subject(name, number, posts), html="\n".join(html), text="\n".join(text))
