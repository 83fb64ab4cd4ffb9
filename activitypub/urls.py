"""Our ActivityPub addresses, all derived from ACTIVITYPUB_URL, and the reverse: which of ours a URI names.

Actor ids are forever to peers, so they are built in this one place. Every
actor lives at `{ACTIVITYPUB_URL}/users/{name}`; the well-known discovery
documents sit at the root of PUBLIC_URL, whose host is the domain of every
`acct:` name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from activitypub.target_uri import parse_target_uri
from shared.config import Settings

_ACTOR_PATH = re.compile(r"^/users/([A-Za-z0-9_]{1,64})$")


@dataclass(frozen=True, slots=True)
class Urls:
    public_url: str  # PUBLIC_URL: the site, and where browsers are sent
    base: str  # ACTIVITYPUB_URL

    @classmethod
    def from_settings(cls, settings: Settings) -> Urls:
        return cls(public_url=settings.public_url, base=settings.activitypub_url)

    @property
    def domain(self) -> str:
        """The domain of our `acct:` names: PUBLIC_URL's host, with its port when it has one."""
        return parse_target_uri(self.public_url).authority

    @property
    def authority(self) -> str:
        """The Host peers sign their requests to our inboxes for."""
        return parse_target_uri(self.base).authority

    def actor(self, name: str) -> str:
        return f"{self.base}/users/{name}"

    def key_id(self, name: str) -> str:
        return f"{self.actor(name)}#main-key"

    def inbox(self, name: str) -> str:
        return f"{self.actor(name)}/inbox"

    def outbox(self, name: str) -> str:
        return f"{self.actor(name)}/outbox"

    def status(self, name: str, status_id: str) -> str:
        """A member's status, under their actor."""
        return f"{self.actor(name)}/statuses/{status_id}"

    def followers(self, name: str) -> str:
        return f"{self.actor(name)}/followers"

    def following(self, name: str) -> str:
        return f"{self.actor(name)}/following"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    def nodeinfo(self, version: str) -> str:
        return f"{self.base}/nodeinfo/{version}"

    @property
    def webfinger(self) -> str:
        return f"{self.public_url}/.well-known/webfinger"

    def page(self, path: str) -> str:
        """A web page of the site, from its path."""
        return f"{self.public_url}{path}"

    def actor_name(self, uri: str | None) -> str | None:
        """The name in one of our actor ids (a key id's fragment allowed), or None when `uri` is not one."""
        if uri is None or not uri.startswith(f"{self.base}/"):
            return None
        match = _ACTOR_PATH.match(uri[len(self.base) :].partition("#")[0])
        return match.group(1) if match else None

    def is_local(self, uri: str | None) -> bool:
        """Whether `uri` is ours: under PUBLIC_URL or ACTIVITYPUB_URL (a post, a page, an actor)."""
        return uri is not None and any(uri.startswith(f"{root}/") for root in (self.public_url, self.base))
