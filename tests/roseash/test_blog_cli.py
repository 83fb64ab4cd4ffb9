"""`roseash blog import-ghost URL KEY` as a user runs it: a subprocess against a stand-in Ghost on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from roseash.cli import ImportProgress
from tests.conftest import Backend, migrate
from tests.helpers import serving
from tests.roseash.test_cli import ROSEASH, assert_one_line, free_port, plain_env
from tests.subgraphs.blog.ghost_standin import KEY, GhostSite


async def roseash(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """Run roseash without blocking the loop that serves the stand-in."""
    process = await asyncio.create_subprocess_exec(
        ROSEASH, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


@pytest.fixture
async def ghost() -> AsyncIterator[GhostSite]:
    site = GhostSite.seeded()
    async with serving(site.app()) as url:
        site.url = url
        yield site


async def test_import_shows_progress_and_a_summary_and_a_rerun_changes_nothing(
    backend: Backend, ghost: GhostSite
) -> None:
    await migrate(backend)
    env = {**backend.environ(), "OUTBOUND_ALLOW_PRIVATE": "true"}
    code, stdout, stderr = await roseash("blog", "import-ghost", ghost.url, KEY, env=env)
    assert code == 0, stderr
    # Not a terminal: a plain line per page.
    assert stderr.splitlines() == [
        "authors: 3/3",
        "tags: 6/6",
        "posts: 15/37",
        "posts: 30/37",
        "posts: 37/37",
        "pages: 3/3",
    ]
    assert stdout.splitlines() == [
        f"imported {ghost.url}",
        "  authors  3 created, 0 updated, 0 unchanged",
        "  tags     6 created, 0 updated, 0 unchanged",
        "  posts    36 created, 0 updated, 0 unchanged, 1 skipped (not public)",
        "  pages    3 created, 0 updated, 0 unchanged",
    ]
    code, stdout, _ = await roseash("blog", "import-ghost", ghost.url + "/", KEY, env=env)
    assert code == 0
    assert "  posts    0 created, 0 updated, 36 unchanged, 1 skipped (not public)" in stdout.splitlines()


async def test_a_wrong_key_is_one_line_without_the_key(tmp_path: Path, ghost: GhostSite) -> None:
    wrong = "0123456789abcdef0123456789"
    code, stdout, stderr = await roseash(
        "blog", "import-ghost", ghost.url, wrong, env=plain_env(tmp_path, OUTBOUND_ALLOW_PRIVATE="true")
    )
    assert (code, stdout) == (1, "")
    assert_one_line(stderr, "Ghost refused the Content API key (HTTP 401 from ")
    assert wrong not in stderr


async def test_a_private_address_is_refused_in_one_line(tmp_path: Path, ghost: GhostSite) -> None:
    code, _, stderr = await roseash("blog", "import-ghost", ghost.url, KEY, env=plain_env(tmp_path))
    assert code == 1
    assert_one_line(stderr, "/ghost/api/content/authors/: is a loopback address 127.0.0.1")
    assert ghost.requests == []


async def test_an_unreachable_host_is_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    env = plain_env(tmp_path, OUTBOUND_ALLOW_PRIVATE="true")
    code, _, stderr = await roseash("blog", "import-ghost", url, KEY, env=env)
    assert code == 1
    assert_one_line(stderr, f"cannot read {url}/ghost/api/content/authors/: connection failed")


@pytest.mark.parametrize(
    ("url", "key", "fragment"),
    [
        ("blog.example.org", KEY, "the Ghost site address must be an http:// or https:// URL"),
        ("https://blog.example.org", "65a0b0:9f3c", "that is an Admin API key (id:secret)"),
    ],
)
async def test_bad_arguments_are_one_line(tmp_path: Path, url: str, key: str, fragment: str) -> None:
    code, _, stderr = await roseash("blog", "import-ghost", url, key, env=plain_env(tmp_path))
    assert code == 2
    assert_one_line(stderr, fragment)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_each_resource_gets_a_bar() -> None:
    stream = Terminal()
    progress = ImportProgress(stream)
    for resource, done, total in [("tags", 6, 6), ("posts", 15, 37), ("posts", 37, 37), ("pages", 0, 0)]:
        progress(resource, done, total)
    progress.close()
    assert stream.getvalue() == (
        "\rtags     [##############################] 6/6\n"
        "\rposts    [############------------------] 15/37"
        "\rposts    [##############################] 37/37\n"
        "\rpages    [##############################] 0/0\n"
    )


def test_elsewhere_a_line_per_page() -> None:
    stream = io.StringIO()
    ImportProgress(stream)("posts", 15, 37)
    assert stream.getvalue() == "posts: 15/37\n"
