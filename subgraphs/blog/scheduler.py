"""The worker's part in the blog: scheduled posts go public when their time comes."""

from __future__ import annotations

from shared.resources import Resources
from subgraphs.blog import service


async def publish_scheduled(resources: Resources) -> int:
    async with resources.sessions() as session, session.begin():
        return len(await service.publish_due(session))
