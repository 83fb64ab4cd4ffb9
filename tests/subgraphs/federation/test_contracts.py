"""The federation subgraph's contracts: finding users by handle and bringing in authors from an import."""

from __future__ import annotations

from shared.resources import Resources
from shared.seeds import run_seeds
from subgraphs.federation.contracts import AUTHORS
from subgraphs.federation.models import User
from subgraphs.federation.seed import SEED


async def test_authors_are_found_by_handle(resources: Resources) -> None:
    await run_seeds(resources.sessions, [SEED])
    async with resources.sessions() as session:
        ada = await AUTHORS.user_id_by_handle(session, " ADA ")
        assert ada is not None
        assert (await session.get(User, ada)).handle == "ada"  # type: ignore[union-attr]
        assert await AUTHORS.user_id_by_handle(session, "nobody") is None


async def test_created_authors_get_a_free_valid_handle_and_no_email(resources: Resources) -> None:
    await run_seeds(resources.sessions, [SEED])
    async with resources.sessions() as session, session.begin():
        made = [
            await AUTHORS.create_author(session, handle_hint=hint, display_name=name, avatar_url=avatar)
            for hint, name, avatar in (
                ("grace", "Another Grace", "https://example.org/g.png"),
                ("grace", "Third Grace", None),
                ("jean-luc-picard", "Jean-Luc", "not a url"),
                ("blog", "Blog Author", None),
                ("x", "X", None),
            )
        ]
    async with resources.sessions() as session:
        users = [await session.get(User, user_id) for user_id in made]
    assert [u.handle for u in users] == ["grace_2", "grace_3", "jean_luc_picard", "blog_author", "x_author"]  # type: ignore[union-attr]
    assert all(u.email is None and u.roles == ["member"] for u in users)  # type: ignore[union-attr]
    assert users[0].avatar_url == "https://example.org/g.png"  # type: ignore[union-attr]
    assert users[2].avatar_url is None  # type: ignore[union-attr]
