"""Our objects at their ids: published posts and members' public statuses for peers, a redirect for
browsers, and nothing for drafts, unknown ids or followers-only statuses."""

from __future__ import annotations

from activitypub.models import Following
from tests.activitypub.conftest import AP, AS2, PUBLIC_URL, Platform
from tests.activitypub.delivery_kit import publish, remove
from tests.activitypub.remote_instance import RemoteInstance
from tests.activitypub.social_kit import COMPOSE, FOLLOW, deliver, join
from tests.activitypub.test_actors import BROWSER, LD_JSON


async def test_a_published_post_is_served_at_its_id(platform: Platform) -> None:
    post_id = await publish(platform)
    url = f"{AP}/users/blog/posts/{post_id}"
    response = await platform.client.get(url, headers={"Accept": LD_JSON})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == LD_JSON
    assert response.headers["vary"] == "Accept"
    article = response.json()
    assert article["id"] == url
    assert article["type"] == "Article"
    assert article["attributedTo"] == f"{AP}/users/blog"
    assert article["name"] == "Spring at the cooperative"
    assert "https://www.w3.org/ns/activitystreams" in article["@context"]

    browser = await platform.client.get(url, headers={"Accept": BROWSER})
    assert browser.status_code == 302
    assert browser.headers["location"] == article["url"]
    assert browser.headers["vary"] == "Accept"


async def test_unknown_and_removed_posts_are_not_found(platform: Platform) -> None:
    post_id = await publish(platform)
    await remove(platform, post_id)
    for url in (f"{AP}/users/blog/posts/{post_id}", f"{AP}/users/blog/posts/nothing"):
        response = await platform.client.get(url, headers={"Accept": AS2})
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"


async def test_public_and_unlisted_statuses_are_served_and_followers_only_ones_are_not(platform: Platform) -> None:
    rosa = await join(platform, "rosa")
    public, unlisted, private = [
        (await rosa(COMPOSE, input={"content": text, "visibility": visibility}))["composeStatus"]
        for text, visibility in (("for all", "PUBLIC"), ("quietly", "UNLISTED"), ("only you", "FOLLOWERS"))
    ]
    for status in (public, unlisted):
        response = await platform.client.get(status["uri"], headers={"Accept": AS2})
        assert response.status_code == 200, response.text
        note = response.json()
        assert note["id"] == status["uri"]
        assert note["type"] == "Note"
        assert note["attributedTo"] == rosa.actor
        assert note["content"] == status["content"]
    assert (await platform.client.get(private["uri"], headers={"Accept": AS2})).status_code == 404
    # Only under its author's actor.
    await join(platform, "ivy")
    elsewhere = public["uri"].replace("/users/rosa/", "/users/ivy/")
    assert (await platform.client.get(elsewhere, headers={"Accept": AS2})).status_code == 404
    assert (await platform.client.get(f"{AP}/users/nobody/statuses/x", headers={"Accept": AS2})).status_code == 404

    browser = await platform.client.get(public["uri"], headers={"Accept": BROWSER})
    assert browser.status_code == 302
    assert browser.headers["location"] == f"{PUBLIC_URL}/members/rosa/"


async def test_a_fetched_reply_mentions_the_author_it_answers(platform: Platform, remote: RemoteInstance) -> None:
    rosa = await join(platform, "rosa")
    remote.key("alice")
    await rosa(FOLLOW, handle=f"alice@{remote.domain}")
    [following] = await platform.rows(Following)
    await deliver(platform, remote, "Accept", following.follow_uri)
    await deliver(platform, remote, "Create", remote.note(None, "<p>What grows best?</p>"))
    [post] = await rosa.timeline()
    reply = (await rosa(COMPOSE, input={"content": "Roses!", "inReplyTo": post["id"]}))["composeStatus"]

    note = (await platform.client.get(reply["uri"], headers={"Accept": AS2})).json()
    assert note["inReplyTo"] == reply["inReplyTo"]
    assert note["tag"] == [{"type": "Mention", "href": remote.actor(), "name": f"@alice@{remote.domain}"}]
