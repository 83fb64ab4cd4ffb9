"""Demo blog: a few published posts by the demo authors, with tags, an About page and a menu."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Viewer
from shared.contracts import contracts
from shared.contracts.users import Authors
from shared.db import utcnow
from shared.seeds import Seed
from subgraphs.blog import menus, service
from subgraphs.blog.models import Kind

DEMO_POSTS = (
    (
        "ada",
        "Welcome to the Rose Ash co-op",
        ["News", "Co-op"],
        "Rose Ash is owned by the people who use it. This blog is where members, growers and makers "
        "share what is happening: new stalls in the **market**, *events* coming up, and how the co-op "
        "is run.\n\nEvery post here is also published to the Fediverse, so you can follow `blog@` "
        "from Mastodon.",
    ),
    (
        "grace",
        "Winter vegetables at the Saturday market",
        ["Market", "Food"],
        "Leeks, kale and squash are in. Three growers join the market this month:\n\n"
        "1. Hill Farm, with heritage potatoes\n2. The Orchard, with apples and juice\n"
        "3. Greenway, with salad all winter from their polytunnels\n\n"
        "Come early: the squash goes by ten.",
    ),
    (
        "grace",
        "How our single sign-on works",
        ["Co-op", "Technology"],
        "One account opens the shop, the events calendar and the blog. We run our own OpenID Connect "
        "server, so nothing about you is shared with an outside company.\n\n> Privacy is a co-op value, "
        "not a setting.",
    ),
    (
        "ada",
        "Annual general meeting: the date is set",
        ["News", "Events"],
        "The AGM is on the first Saturday of March at the community hall. Members can vote in person "
        "or online. The agenda, the accounts and the board's report will be posted here two weeks before.",
    ),
)

ABOUT = (
    "About the co-op",
    "about",
    "Rose Ash is a cooperative of growers, makers and neighbours. Members own it, run it, and share what it earns.",
)

MENU = (
    menus.Entry("Home", "/"),
    menus.Entry("Blog", "/blog/", [menus.Entry(name, service.tag_path(slug)) for name, slug in (("News", "news"),)]),
    menus.Entry("About", service.path(Kind.PAGE, "about")),
)


async def load(session: AsyncSession) -> None:
    authors = contracts.get(Authors)
    start = utcnow() - timedelta(days=len(DEMO_POSTS) * 3)
    for n, (handle, title, tags, body) in enumerate(DEMO_POSTS):
        author_id = await authors.user_id_by_handle(session, handle)
        writer = Viewer(user_id=author_id, roles=frozenset({"editor"}))
        post = await service.create(session, writer, Kind.POST, service.Changes(title=title, body=body, tags=tags))
        await service.publish(session, writer, Kind.POST, post.id)
        # Spread the demo posts over the past days, as a real blog would be.
        post.published_at = post.created_at = start + timedelta(days=3 * n)
    admin = Viewer(user_id=await authors.user_id_by_handle(session, "ada"), roles=frozenset({"admin"}))
    title, slug, body = ABOUT
    page = await service.create(session, admin, Kind.PAGE, service.Changes(title=title, slug=slug, body=body))
    await service.publish(session, admin, Kind.PAGE, page.id)
    await menus.set_menu(session, admin, "primary", MENU)


SEED = Seed("blog-demo", load)
