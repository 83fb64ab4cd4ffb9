"""Remote actors: fetched with a GET signed as our instance actor, checked, and cached in `ap_remote_actors`.

Every fetch goes through `shared.outbound` (no private addresses, timeouts,
size limits). A key is found through its key id: the cached actor that
publishes it, or a fetch of the key id (without its fragment), which gives
either the actor itself or a key document naming its owner, on the same host.

For an inbox request, `SignerLookup` is the signature layer's key lookup: it
answers from the cache, refetches once when the cached key fails (the peer
rotated it), and remembers what it fetched, which is stored only once the
request has verified, so a refused request leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub.as2 import ACCEPT, ACTOR_TYPES, id_of, ids_of, type_of
from activitypub.instance_keys import InstanceKeys
from activitypub.keys import PublicKey, load_public_key
from activitypub.local_actors import INSTANCE_ACTOR
from activitypub.models import RemoteActor
from activitypub.signatures import Scheme, sign_request
from activitypub.urls import Urls
from shared.cache import Cache
from shared.config import Settings
from shared.db import utcnow
from shared.outbound import Outbound, OutboundError
from shared.ratelimit import RateLimit

# Refetches a failed key may cause per minute: enough for a rotation seen by several deliveries at
# once, too few for forged requests naming someone's key to turn us into a fetching machine.
KEY_REFRESHES_PER_MINUTE = 6


class RemoteActorError(Exception):
    """A remote actor or key could not be used; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ActorDocument:
    """What we use of a remote actor's document."""

    uri: str
    key_id: str
    public_key_pem: str
    public_key: PublicKey
    inbox: str
    shared_inbox: str | None
    host: str
    preferred_username: str | None
    also_known_as: tuple[str, ...]
    document: dict[str, Any]


def host_of(uri: str) -> str:
    return urlsplit(uri).netloc.lower()


def parse_actor(document: Any) -> ActorDocument:
    """Read an actor document; RemoteActorError names what is missing or wrong."""
    if not isinstance(document, dict):
        raise RemoteActorError("the actor document is not a JSON object")
    kind = type_of(document)
    if kind not in ACTOR_TYPES:
        raise RemoteActorError(f"the document is a {kind or 'thing without a type'}, not an actor")
    uri = id_of(document)
    if uri is None:
        raise RemoteActorError("the actor has no usable id")
    inbox = id_of(document.get("inbox"))
    if inbox is None:
        raise RemoteActorError(f"{uri} has no inbox")
    endpoints = document.get("endpoints")
    shared_inbox = id_of(endpoints.get("sharedInbox")) if isinstance(endpoints, dict) else None
    key = document.get("publicKey")
    if isinstance(key, list):  # some servers publish several; Mastodon reads the first
        key = key[0] if key else None
    if not isinstance(key, dict):
        raise RemoteActorError(f"{uri} publishes no public key")
    key_id = id_of(key)
    pem = key.get("publicKeyPem")
    owner = id_of(key.get("owner")) or uri
    if key_id is None or not isinstance(pem, str) or owner != uri:
        raise RemoteActorError(f"{uri} publishes a public key without an id, a PEM or itself as owner")
    try:
        public_key = load_public_key(pem)
    except ValueError as exc:
        raise RemoteActorError(f"{uri} publishes a public key that cannot be read ({exc})") from None
    username = document.get("preferredUsername")
    return ActorDocument(
        uri=uri,
        key_id=key_id,
        public_key_pem=pem,
        public_key=public_key,
        inbox=inbox,
        shared_inbox=shared_inbox,
        host=host_of(uri),
        preferred_username=username if isinstance(username, str) and len(username) <= 255 else None,
        also_known_as=tuple(ids_of(document.get("alsoKnownAs"))),
        document=document,
    )


class RemoteActors:
    def __init__(
        self,
        settings: Settings,
        urls: Urls,
        sessions: async_sessionmaker[AsyncSession],
        cache: Cache,
        instance_keys: InstanceKeys,
    ) -> None:
        self._settings = settings
        self._urls = urls
        self._sessions = sessions
        self._instance_keys = instance_keys
        self._refreshes = RateLimit(cache, "activitypub-key-refresh", KEY_REFRESHES_PER_MINUTE, 60.0)

    async def fetch_json(self, url: str) -> Any:
        """GET `url` as ActivityStreams, signed by our instance actor (servers in secure mode require it)."""
        pair = await self._instance_keys.get()
        headers = {"Accept": ACCEPT}
        headers |= sign_request(
            "GET",
            url,
            headers,
            b"",
            key_id=self._urls.key_id(INSTANCE_ACTOR),
            private_key=pair.private_key,
            scheme=Scheme.CAVAGE,
        )
        async with Outbound(self._settings) as http:
            response = await http.get(url, headers=headers)
        return response.json()

    async def fetch_actor(self, uri: str) -> ActorDocument:
        actor = parse_actor(await self.fetch_json(uri))
        if actor.host != host_of(uri):
            raise RemoteActorError(f"{uri} answered with an actor of another host, {actor.uri}")
        return actor

    async def fetch_key_owner(self, key_id: str) -> ActorDocument:
        """The actor that publishes `key_id`, freshly fetched."""
        document = await self.fetch_json(key_id.partition("#")[0])
        if type_of(document) in ACTOR_TYPES:
            actor = parse_actor(document)
            if actor.host != host_of(key_id):
                raise RemoteActorError(f"{key_id} answered with an actor of another host, {actor.uri}")
        else:
            # A key document (GoToSocial, for one, serves these), naming its owner.
            owner = id_of(document.get("owner")) if isinstance(document, dict) else None
            if owner is None or host_of(owner) != host_of(key_id):
                raise RemoteActorError(f"{key_id} is neither an actor nor a key with an owner on its host")
            actor = await self.fetch_actor(owner)
        if key_id not in (actor.key_id, actor.uri):
            raise RemoteActorError(f"{actor.uri} does not publish the key {key_id}")
        return actor

    async def cached(self, key_id: str) -> RemoteActor | None:
        """The cached actor that publishes `key_id` (named by its key id or, without a fragment, its own id)."""
        async with self._sessions() as session:
            return await session.scalar(
                select(RemoteActor).where(or_(RemoteActor.key_id == key_id, RemoteActor.uri == key_id)).limit(1)
            )

    async def may_refresh(self, key_id: str) -> bool:
        return (await self._refreshes.hit(key_id)).allowed

    async def store(self, session: AsyncSession, actor: ActorDocument) -> RemoteActor:
        """Insert or update the cached copy of `actor` in the caller's transaction."""
        row = await session.scalar(select(RemoteActor).where(RemoteActor.uri == actor.uri))
        if row is None:
            row = RemoteActor(uri=actor.uri)
            session.add(row)
        row.key_id = actor.key_id
        row.public_key_pem = actor.public_key_pem
        row.inbox = actor.inbox
        row.shared_inbox = actor.shared_inbox
        row.host = actor.host
        row.preferred_username = actor.preferred_username
        row.document = actor.document
        row.fetched_at = utcnow()
        await session.flush()
        return row


class SignerLookup:
    """The key lookup for one inbox request (see `activitypub.signatures.KeyLookup`)."""

    def __init__(self, remote_actors: RemoteActors) -> None:
        self._remote = remote_actors
        self._cached: RemoteActor | None = None
        self._fetched: ActorDocument | None = None

    async def __call__(self, key_id: str, *, refresh: bool) -> PublicKey | None:
        if self._fetched is not None:
            # Fetched during this very request: a refetch would find the same key.
            return self._fetched.public_key
        if not refresh:
            self._cached = await self._remote.cached(key_id)
            if self._cached is not None:
                return _load(self._cached.public_key_pem)
        elif self._cached is not None and not await self._remote.may_refresh(key_id):
            return _load(self._cached.public_key_pem)
        try:
            self._fetched = await self._remote.fetch_key_owner(key_id)
        except OutboundError as exc:
            raise RemoteActorError(f"cannot fetch the key {key_id}: {exc.reason}") from None
        return self._fetched.public_key

    @property
    def signer_uri(self) -> str:
        """The id of the actor whose key verified the request."""
        actor = self._fetched or self._cached
        assert actor is not None, "ask only after the request verified"
        return actor.uri

    async def signer(self, session: AsyncSession) -> RemoteActor:
        """The signer's row in `session`: stored now when it was fetched, loaded when it was cached."""
        if self._fetched is not None:
            return await self._remote.store(session, self._fetched)
        assert self._cached is not None, "ask only after the request verified"
        row = await session.get(RemoteActor, self._cached.id)
        if row is None:  # deleted by a concurrent request between the check and now
            raise RemoteActorError(f"{self._cached.uri} was deleted meanwhile")
        return row


def _load(pem: str) -> PublicKey | None:
    try:
        return load_public_key(pem)
    except ValueError:
        return None
