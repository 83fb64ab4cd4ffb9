"""The service table: every entry builds, and the subgraphs speak federation."""

from __future__ import annotations

import httpx
import pytest

from roseash.services import SERVICES, subgraphs
from shared.resources import Resources


@pytest.mark.parametrize("name", sorted(SERVICES))
async def test_every_service_app_builds_and_is_healthy(name: str, resources: Resources) -> None:
    app = SERVICES[name].create_app(resources)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/health")
    assert response.json() == {"status": "ok", "service": name}


def test_ports_are_distinct() -> None:
    ports = [service.port for service in SERVICES.values()]
    assert len(ports) == len(set(ports))


async def test_subgraphs_publish_a_federation_sdl(resources: Resources) -> None:
    for service in subgraphs():
        app = service.create_app(resources)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post("/graphql", json={"query": "{ _service { sdl } }"})
        assert "type Query" in response.json()["data"]["_service"]["sdl"], service.name
