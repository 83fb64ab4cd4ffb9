"""The text of posts: what peers send, kept as harmless HTML, and what members write, rendered to HTML.

Whoever shows a stored post later need not trust the peer it came from: its
HTML is cleaned when it arrives. A member writes plain text or a little
Markdown (emphasis, code, links, line breaks), rendered to the small set of
tags Mastodon shows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

import nh3
from markdown_it import MarkdownIt

from activitypub.as2 import id_of

# CommonMark's inline rules and paragraphs only: no headings, lists, images or raw HTML in a status.
_markdown = MarkdownIt("zero", {"breaks": True}).enable(
    ["emphasis", "backticks", "link", "autolink", "escape", "entity", "newline", "strikethrough"]
)
_STATUS_TAGS = {"p", "br", "a", "em", "strong", "code", "s"}


class PostRow(Protocol):
    """A stored post from a peer: a reply to one of ours, or a timeline item."""

    url: str | None
    summary: str | None
    content: str
    sensitive: bool


def keep_text(row: PostRow, post: dict[str, Any]) -> None:
    """Set `row`'s text from `post`: content and content warning cleaned, the sensitive flag, the link."""
    row.content = nh3.clean(_text(post.get("content"), post.get("contentMap")))
    summary = _text(post.get("summary"), post.get("summaryMap"))
    row.summary = nh3.clean(summary) if summary else None
    row.sensitive = post.get("sensitive") is True
    row.url = link_of(post.get("url"))


def time_of(value: Any) -> datetime | None:
    """A timestamp property (`published`, `updated`), zoned UTC when the peer left the zone out."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def link_of(value: Any) -> str | None:
    """A `url` property: a URI, a Link (href), or a list of those, of which the first."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("href")
    return id_of(value)


def render_status(source: str) -> str:
    """What a member wrote, as the HTML of their status: rendered, then cleaned all the same."""
    html = _markdown.render(source)
    return nh3.clean(
        html,
        tags=_STATUS_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    ).strip()


def _text(value: Any, by_language: Any) -> str:
    """A natural-language property: its plain value, else any of its language versions."""
    if isinstance(value, str):
        return value
    if isinstance(by_language, dict):
        return next((text for text in by_language.values() if isinstance(text, str)), "")
    return ""
