"""Turning editor input into what the blog serves: sanitised HTML, text, excerpt, reading time, slug."""

from __future__ import annotations

import pytest

from subgraphs.blog import content


@pytest.mark.parametrize(
    ("given", "absent"),
    [
        ("<p>hi</p><script>alert(1)</script>", "alert"),
        ('<p onclick="steal()">hi</p>', "onclick"),
        ('<img src="x.png" onerror="steal()">', "onerror"),
        ('<a href="javascript:alert(1)">x</a>', "javascript"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', "alert"),
        ("<style>body{display:none}</style><p>hi</p>", "display"),
        ('<iframe src="https://evil.example"></iframe>', "iframe"),
        ('<p style="background:url(javascript:x)">hi</p>', "style"),
        ('<form action="/x"><input name=a></form>', "form"),
    ],
)
def test_sanitising_removes_what_runs_code(given: str, absent: str) -> None:
    assert absent not in content.render(given, "html").lower()


def test_markdown_renders_and_raw_html_inside_it_is_sanitised() -> None:
    html = content.render("# Title\n\nSome **bold** [link](https://example.org).\n\n<script>x()</script>", "markdown")
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer">link</a>' in html
    assert "script" not in html


def test_markdown_links_with_javascript_urls_never_become_links() -> None:
    html = content.render('[click](javascript:alert(1)) <a href="javascript:alert(2)">raw</a>', "markdown")
    assert "href" not in html


def test_markdown_tables_and_strikethrough() -> None:
    html = content.render("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~", "markdown")
    assert "<table>" in html
    assert "<s>gone</s>" in html


def test_plain_text_separates_blocks() -> None:
    assert content.plain_text("<h1>Title</h1><p>a &amp; b</p><ul><li>one</li><li>two</li></ul>") == (
        "Title a & b one two"
    )


def test_reading_time_counts_words_and_images_and_is_at_least_a_minute() -> None:
    assert content.reading_time("<p>short</p>") == 1
    assert content.reading_time("<p>" + "word " * 550 + "</p>") == 2
    assert content.reading_time("<p>" + "word " * 550 + "</p>" + '<img src="a">' * 10) == 4


def test_excerpt_cuts_at_a_word_boundary() -> None:
    text = "<p>" + "alpha beta " * 40 + "</p>"
    excerpt = content.excerpt(text, 50)
    assert excerpt.endswith("…")
    assert len(excerpt) <= 51
    assert excerpt[:-1].split(" ")[-1] in ("alpha", "beta")
    assert content.excerpt("<p>Short.</p>") == "Short."


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Hello, World!", "hello-world"),
        ("Crème brûlée à la carte", "creme-brulee-a-la-carte"),
        ("  --Spaces   and -- dashes--  ", "spaces-and-dashes"),
        ("日本語", "日本語"),
        ("Ελλάδα", "ελλαδα"),
        ("C++", "c"),
        ("!!!", "untitled"),
        ("a" * 300, "a" * content.MAX_SLUG),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert content.slugify(title) == slug
    assert content.SLUG.fullmatch(content.slugify(title))


def test_characters_xml_cannot_carry_are_dropped() -> None:
    assert content.render("line one\x0bline two\x00", "html") == "line oneline two"
    assert content.printable("ok\ufffe\x0c\t\n") == "ok\t\n"
