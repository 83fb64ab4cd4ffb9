"""From what an editor typed to what the blog serves: safe HTML, plain text, excerpt, reading time and slug."""

from __future__ import annotations

import math
import re
import unicodedata
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt

WORDS_PER_MINUTE = 275  # Ghost's figure, so imported and local posts agree
SECONDS_PER_IMAGE = 12
EXCERPT_LENGTH = 300
MAX_SLUG = 185  # leaves room for a "-NNN" suffix within the column's 191

_markdown = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

_TAGS = nh3.ALLOWED_TAGS - {"center", "strike", "tt", "acronym", "map", "area"}
_ATTRIBUTES = {
    **{tag: set(attributes) for tag, attributes in nh3.ALLOWED_ATTRIBUTES.items()},
    "a": {"href", "hreflang", "title"},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "code": {"class"},  # language-xxx, for syntax highlighting on the page
}
_URL_SCHEMES = {"http", "https", "mailto"}
_BLOCKS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr", "figure"}
)
# Letters and digits of any script, so a title in Greek or Japanese keeps a readable slug.
_SLUG_JUNK = re.compile(r"[\W_]+")
SLUG = re.compile(r"[^\W_]+(?:-[^\W_]+)*")  # use with fullmatch
# What XML 1.0 cannot carry (and PostgreSQL cannot store, for NUL): never meaningful in a post, so dropped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` without the characters XML 1.0 forbids (a vertical tab pasted from a word processor, say)."""
    return _NOT_XML.sub("", text)


def render(source: str, source_format: str) -> str:
    """Markdown or HTML in, sanitised HTML out: no scripts, no event handlers, no javascript: URLs."""
    html = _markdown.render(source) if source_format == "markdown" else source
    return sanitise(html)


def sanitise(html: str) -> str:
    return nh3.clean(
        printable(html),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template"},
    ).strip()


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.images = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images += 1
        if tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _read(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser


def plain_text(html: str) -> str:
    return " ".join("".join(_read(html).parts).split())


def reading_time(html: str) -> int:
    """Whole minutes, at least one."""
    parsed = _read(html)
    words = len("".join(parsed.parts).split())
    seconds = words / WORDS_PER_MINUTE * 60 + parsed.images * SECONDS_PER_IMAGE
    return max(1, math.ceil(seconds / 60))


def excerpt(html: str, length: int = EXCERPT_LENGTH) -> str:
    text = plain_text(html)
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0] if " " in text[:length] else text[:length]
    return cut.rstrip(" ,;:.-") + "…"


def slugify(title: str) -> str:
    """Lowercase words joined by hyphens, accents dropped: "Crème brûlée" is creme-brulee, "日本語" stays."""
    decomposed = unicodedata.normalize("NFKD", title)
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))
    slug = _SLUG_JUNK.sub("-", bare.lower()).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0]
    return slug or "untitled"
