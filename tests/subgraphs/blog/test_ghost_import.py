"""Importing a Ghost site through its Content API, against a stand-in Ghost served on 127.0.0.1."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Viewer
from shared.contracts import contracts
from shared.contracts.users import Authors
from shared.errors import BadUserInput
from shared.outbound import Outbound
from shared.outbox import ApActivity
from shared.resources import Resources
from subgraphs.blog import content, service
from subgraphs.blog.ghost_client import ContentAPI, GhostError, content_key, site_url
from subgraphs.blog.ghost_sync import Tally, import_site
from subgraphs.blog.models import GhostAuthor, Kind, Post, Status, Tag
from subgraphs.federation.models import User
from tests.helpers import serving
from tests.subgraphs.blog.ghost_standin import KEY, START, GhostSite, object_id

EDITOR = Viewer(user_id="local-editor", roles=frozenset({"editor"}))


class RecordingAuthors:
    """The real Authors contract, with a record of every author it was asked to create."""

    def __init__(self, inner: Authors) -> None:
        self.inner = inner
        self.created: list[tuple[str, str, str | None]] = []

    async def user_id_by_handle(self, session: AsyncSession, handle: str) -> str | None:
        return await self.inner.user_id_by_handle(session, handle)

    async def create_author(
        self, session: AsyncSession, *, handle_hint: str, display_name: str, avatar_url: str | None
    ) -> str:
        self.created.append((handle_hint, display_name, avatar_url))
        return await self.inner.create_author(
            session, handle_hint=handle_hint, display_name=display_name, avatar_url=avatar_url
        )


@pytest.fixture
def authors() -> Iterator[RecordingAuthors]:
    real = contracts.get(Authors)
    recording = RecordingAuthors(real)
    contracts.unregister(Authors)
    contracts.register(Authors, recording)
    try:
        yield recording
    finally:
        contracts.unregister(Authors)
        contracts.register(Authors, real)


@pytest.fixture
async def ghost() -> AsyncIterator[GhostSite]:
    site = GhostSite.seeded()
    async with serving(site.app()) as url:
        site.url = url
        yield site


@pytest.fixture
def open_resources(resources: Resources) -> Resources:
    """The stand-in is on 127.0.0.1, which the outbound guard refuses unless told otherwise."""
    resources.settings = dataclasses.replace(resources.settings, outbound_allow_private=True)
    return resources


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def __call__(self, resource: str, done: int, total: int) -> None:
        self.calls.append((resource, done, total))


async def run_import(resources: Resources, url: str, key: str = KEY, progress: Recorder | None = None) -> Tally:
    async with Outbound(resources.settings) as http:
        return await import_site(resources.sessions, ContentAPI(http, url, key), progress or Recorder())


def counts(tally: Tally) -> dict[str, dict[str, int]]:
    return {resource: {str(k): v for k, v in sorted(c.items())} for resource, c in tally.items()}


async def scalar(resources: Resources, statement: Any) -> Any:
    async with resources.sessions() as session:
        return await session.scalar(statement)


async def imported(resources: Resources, n: int) -> Post:
    row = await scalar(resources, select(Post).where(Post.ghost_id == object_id(3, n)))
    assert row is not None
    return row


async def tag_slugs(resources: Resources, post: Post) -> list[str]:
    async with resources.sessions() as session:
        [tags] = await service.tags_for_posts(session, [post.id])
    return [tag.slug for tag in tags]


FIRST_RUN = {
    "authors": {"created": 3},
    "tags": {"created": 6},
    "posts": {"created": 36, "skipped": 1},
    "pages": {"created": 3},
}
RERUN = {
    "authors": {"unchanged": 3},
    "tags": {"unchanged": 6},
    "posts": {"skipped": 1, "unchanged": 36},
    "pages": {"unchanged": 3},
}


async def test_a_full_import_brings_in_everything_public(
    open_resources: Resources, ghost: GhostSite, authors: RecordingAuthors
) -> None:
    progress = Recorder()
    tally = await run_import(open_resources, ghost.url, progress=progress)
    assert counts(tally) == FIRST_RUN
    assert progress.calls == [
        ("authors", 3, 3),
        ("tags", 6, 6),
        ("posts", 15, 37),
        ("posts", 30, 37),
        ("posts", 37, 37),
        ("pages", 3, 3),
    ]
    assert await scalar(open_resources, select(func.count()).select_from(Post).where(Post.kind == Kind.POST)) == 36
    assert await scalar(open_resources, select(func.count()).select_from(Post).where(Post.kind == Kind.PAGE)) == 3
    # The members-only post stays in Ghost; the internal #feature tag is not a tag here.
    assert await scalar(open_resources, select(Post).where(Post.ghost_id == object_id(3, 37))) is None
    assert await scalar(open_resources, select(func.count()).select_from(Tag)) == 6
    # History is not news: nothing goes to the Fediverse.
    assert await scalar(open_resources, select(func.count()).select_from(ApActivity)) == 0

    post = await imported(open_resources, 5)
    assert (post.slug, post.title, post.status) == ("post-number-5", "Post number 5", Status.PUBLISHED)
    assert post.published_at == START.replace(day=6)
    assert post.feature_image == "https://images.example.org/post-number-5.jpg"
    assert post.html == content.sanitise(ghost.find(object_id(3, 5))["html"])
    assert post.reading_time == content.reading_time(post.html)
    assert post.excerpt == content.excerpt(post.html)
    assert (post.source_format, post.version) == ("html", 1)
    # Ghost's order, primary first; #feature left out.
    assert await tag_slugs(open_resources, post) == ["events", "news"]
    assert (await imported(open_resources, 4)).excerpt == "A short one, by hand."

    # Authors became members through the Authors contract, once each, without an email.
    assert [(hint, name) for hint, name, _ in authors.created] == [
        ("ada", "Ada Lovelace"),
        ("grace", "Grace Hopper"),
        ("tim", "Tim Berners-Lee"),
    ]
    avatars = [avatar for _, _, avatar in authors.created]
    assert avatars[0] == "https://images.example.org/ada.jpg"
    assert str(avatars[1]).startswith("http://www.gravatar.com/avatar/")
    assert avatars[2] == f"{ghost.url}/content/images/2024/01/tim.png"
    async with open_resources.sessions() as session:
        mapped = {row.ghost_id: row.user_id for row in await session.scalars(select(GhostAuthor))}
        users = (await session.scalars(select(User).where(User.id.in_(mapped.values())))).all()
    assert sorted(user.handle for user in users) == ["ada", "grace", "tim"]
    assert all(user.email is None for user in users)
    assert post.author_id == mapped[object_id(1, 3)]  # post 5's author is the third

    # The Content API as documented: key in the query, a version header, paged by 15, relations included.
    for request in ghost.requests:
        assert request.query_params["key"] == KEY
        assert request.headers["accept-version"] == "v5.0"
        assert request.query_params["limit"] == "15"
    posts = [r for r in ghost.requests if r.url.path.endswith("/posts/")]
    assert [r.query_params["page"] for r in posts] == ["1", "2", "3"]
    assert {(r.query_params["include"], r.query_params["formats"]) for r in posts} == {("tags,authors", "html")}


async def test_running_again_changes_nothing(
    open_resources: Resources, ghost: GhostSite, authors: RecordingAuthors
) -> None:
    await run_import(open_resources, ghost.url)
    tally = await run_import(open_resources, ghost.url)
    assert counts(tally) == RERUN
    assert len(authors.created) == 3
    assert await scalar(open_resources, select(func.count()).select_from(Post)) == 39
    assert await scalar(open_resources, select(func.max(Post.version))) == 1
    assert await scalar(open_resources, select(func.count()).select_from(User)) == 3


async def test_an_edited_post_is_updated_and_an_older_one_ignored(open_resources: Resources, ghost: GhostSite) -> None:
    await run_import(open_resources, ghost.url)
    ghost.edit(object_id(3, 5), title="Post five, revised", html="<p>New words.</p>", tags=[ghost.tags[2]])
    ghost.edit(object_id(3, 6), minutes=-600, title="An older version")
    tally = await run_import(open_resources, ghost.url)
    assert counts(tally)["posts"] == {"skipped": 1, "unchanged": 35, "updated": 1}
    post = await imported(open_resources, 5)
    assert (post.title, post.html, post.excerpt) == ("Post five, revised", "<p>New words.</p>", "New words.")
    assert post.version == 2
    assert post.slug == "post-number-5"  # a slug stays once given
    assert await tag_slugs(open_resources, post) == ["market"]
    assert (await imported(open_resources, 6)).title == "Post number 6"
    assert await scalar(open_resources, select(func.count()).select_from(ApActivity)) == 0


async def test_a_slug_held_by_a_local_post_gets_a_free_variant(open_resources: Resources, ghost: GhostSite) -> None:
    async with open_resources.sessions() as session, session.begin():
        local = await service.create(session, EDITOR, Kind.POST, service.Changes(title="Post number 3", body="Ours."))
        await service.ensure_tags(session, {"news": "Our news"})
    tally = await run_import(open_resources, ghost.url)
    # The local "news" tag is the same tag as Ghost's: adopted, not duplicated.
    assert counts(tally)["tags"] == {"created": 5, "updated": 1}
    assert (await imported(open_resources, 3)).slug == "post-number-3-2"
    async with open_resources.sessions() as session:
        mine = await session.get(Post, local.id)
        news = await service.tag_by_slug(session, "news")
    assert mine is not None
    assert (mine.slug, mine.ghost_id, mine.html) == ("post-number-3", None, "<p>Ours.</p>")
    assert news is not None
    assert (news.name, news.ghost_id) == ("News", object_id(2, 1))
    await run_import(open_resources, ghost.url)
    assert (await imported(open_resources, 3)).slug == "post-number-3-2"


async def test_hostile_ghost_html_is_sanitised(open_resources: Resources, ghost: GhostSite) -> None:
    ghost.find(object_id(3, 1)).update(
        title="Evil\x00 title\nhere",
        html='<p onclick="steal()">Hi <a href="javascript:alert(1)">there</a></p><script>alert(1)</script>'
        '<img src="https://images.example.org/a.png" onerror="alert(1)"><iframe src="https://evil.example"></iframe>'
        "<style>body{display:none}</style>",
        feature_image="javascript:alert(1)",
        custom_excerpt="Line one\nline two\x07",
    )
    await run_import(open_resources, ghost.url)
    post = await imported(open_resources, 1)
    assert post.html == ('<p>Hi <a rel="noopener noreferrer">there</a></p><img src="https://images.example.org/a.png">')
    assert post.title == "Evil title here"
    assert post.feature_image is None
    assert post.excerpt == post.custom_excerpt == "Line one line two"


async def test_a_bad_post_fails_its_whole_page_and_a_rerun_carries_on(
    open_resources: Resources, ghost: GhostSite
) -> None:
    bad = ghost.find(object_id(3, 15))  # on the second page: newest first, 15 a page
    bad["published_at"] = "2024-01-16 at nine"  # still sorts into its place on the second page
    with pytest.raises(BadUserInput) as failure:
        await run_import(open_resources, ghost.url)
    assert failure.value.message == (
        f"Ghost post {object_id(3, 15)} ('post-number-15'): published_at is not an ISO 8601 date: '2024-01-16 at nine'"
    )
    # Authors, tags and the first page are in; nothing of the second page is.
    assert await scalar(open_resources, select(func.count()).select_from(Post)) == 14
    assert await scalar(open_resources, select(func.min(Post.published_at))) == START.replace(day=24)
    bad["published_at"] = "2024-01-16T09:00:00.000+00:00"
    tally = await run_import(open_resources, ghost.url)
    assert counts(tally)["posts"] == {"created": 22, "skipped": 1, "unchanged": 14}
    assert await scalar(open_resources, select(func.count()).select_from(Post)) == 39


async def test_a_failing_page_leaves_the_pages_before_it_and_a_rerun_carries_on(
    open_resources: Resources, ghost: GhostSite
) -> None:
    ghost.failing.add(("posts", 3))
    with pytest.raises(
        GhostError, match=r"Ghost answered HTTP 500 for http://127\.0\.0\.1:\d+/ghost/api/content/posts/"
    ):
        await run_import(open_resources, ghost.url)
    assert await scalar(open_resources, select(func.count()).select_from(Post)) == 29
    ghost.failing.clear()
    tally = await run_import(open_resources, ghost.url)
    assert counts(tally)["posts"] == {"created": 7, "skipped": 1, "unchanged": 29}


async def test_a_wrong_key_is_refused_without_showing_it(open_resources: Resources, ghost: GhostSite) -> None:
    with pytest.raises(GhostError) as failure:
        await run_import(open_resources, ghost.url, key="0123456789abcdef0123456789")
    assert str(failure.value) == (
        f"Ghost refused the Content API key (HTTP 401 from {ghost.url}/ghost/api/content/authors/); check the key"
    )
    assert "0123456789abcdef" not in str(failure.value)


async def test_no_content_api_at_the_address(open_resources: Resources, ghost: GhostSite) -> None:
    with pytest.raises(GhostError, match=r"no Ghost Content API at http://127\.0\.0\.1:\d+/blog/ghost/api/content/"):
        await run_import(open_resources, ghost.url + "/blog")


async def test_the_outbound_guard_still_applies(resources: Resources, ghost: GhostSite) -> None:
    with pytest.raises(GhostError, match=r"is a loopback address 127\.0\.0\.1"):
        await run_import(resources, ghost.url)
    assert ghost.requests == []


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://blog.example.org", "https://blog.example.org"),
        ("https://blog.example.org/", "https://blog.example.org"),
        ("  https://example.org/blog/ ", "https://example.org/blog"),
        ("https://example.org/blog/ghost/api/content/", "https://example.org/blog"),
        ("https://example.org/ghost/", "https://example.org"),
    ],
)
def test_site_addresses(given: str, expected: str) -> None:
    assert site_url(given) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("blog.example.org", "must be an http:// or https:// URL"),
        ("ftp://blog.example.org", "must be an http:// or https:// URL"),
        ("https://", "must be an http:// or https:// URL"),
        ("https://blog.example.org/?key=secret", "must have no credentials, query or fragment"),
        ("https://me:pw@blog.example.org", "must have no credentials, query or fragment"),
    ],
)
def test_bad_site_addresses_are_named(given: str, message: str) -> None:
    with pytest.raises(GhostError) as failure:
        site_url(given)
    assert message in str(failure.value)
    assert "secret" not in str(failure.value)
    assert "pw" not in str(failure.value)


def test_keys() -> None:
    assert content_key(f" {KEY}\n") == KEY
    with pytest.raises(GhostError, match="Admin API key"):
        content_key("6489e1b4c1b5a1000133a6b8:96fd5e4d0c2b7a4b0b0e0c8f9c6b6a0d4c8d9b0e0c8f9c6b6a0d4c8d9b0e0c8f")
    with pytest.raises(GhostError, match="letters and digits only"):
        content_key("not a key")
