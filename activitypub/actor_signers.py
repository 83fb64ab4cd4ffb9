"""Who signs a delivery: our actor's key id and private key.

Domain actors (blog, market, events) and the instance actor sign with the one
instance key, each under its own key id; a member signs with their own key,
made on first use.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub.instance_keys import InstanceKeys
from activitypub.keys import PrivateKey, load_private_key
from activitypub.local_actors import ActorKind, LocalActors
from activitypub.urls import Urls


@dataclass(frozen=True, slots=True)
class Signer:
    key_id: str
    private_key: PrivateKey


class ActorSigners:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], urls: Urls, instance_keys: InstanceKeys, local: LocalActors
    ) -> None:
        self._sessions = sessions
        self._urls = urls
        self._instance_keys = instance_keys
        self._local = local

    async def signer(self, name: str) -> Signer | None:
        """The signer for our actor `name`, or None when there is no such actor (any more)."""
        async with self._sessions() as session:
            actor = await self._local.find(session, name)
        if actor is None:
            return None
        if actor.kind is ActorKind.MEMBER:
            key = load_private_key((await self._local.member(actor)).private_key_pem)
        else:
            key = (await self._instance_keys.get()).private_key
        return Signer(self._urls.key_id(name), key)
