"""What the platform is made of: its services and ports, table modules, demo data and processors.

This is the one list the CLI, the embedded default, migrations and
docker-compose.yml (checked by a test) all read. Entries are import paths, so
naming a service does not import its code until it is served.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from starlette.types import ASGIApp

from shared.contracts import ContractRegistry, contracts
from shared.resources import Resources

Role = Literal["subgraph", "router", "activitypub", "web"]


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    port: int
    role: Role
    factory: str  # "module:function", taking Resources and returning an ASGI app

    def create_app(self, resources: Resources) -> ASGIApp:
        build: Callable[[Resources], ASGIApp] = load(self.factory)
        return build(resources)


SERVICES: dict[str, Service] = {
    service.name: service
    for service in (
        Service("router", 4000, "router", "router.app:create_app"),
        Service("federation", 4001, "subgraph", "subgraphs.federation.app:create_app"),
        Service("account", 4002, "subgraph", "subgraphs.account.app:create_app"),
        Service("blog", 4003, "subgraph", "subgraphs.blog.app:create_app"),
        Service("market", 4004, "subgraph", "subgraphs.market.app:create_app"),
        Service("cart", 4005, "subgraph", "subgraphs.cart.app:create_app"),
        Service("events", 4006, "subgraph", "subgraphs.events.app:create_app"),
        Service("activitypub", 4010, "activitypub", "activitypub.app:create_app"),
        Service("web", 8080, "web", "web.app:create_app"),
    )
}

EMBEDDED_PORT = 8000

# Modules that declare tables on shared.db.Base; migrations compare against all of them.
MODEL_MODULES: tuple[str, ...] = (
    "shared.outbox",
    "shared.seeds",
    "subgraphs.federation.models",
    "subgraphs.federation.oauth_models",
    "subgraphs.account.models",
    "subgraphs.blog.models",
    "activitypub.models",
)

# Demo data, as "module:Seed object", loaded once in this order.
SEEDS: tuple[str, ...] = (
    "subgraphs.federation.seed:SEED",
    "subgraphs.federation.seed:PASSWORDS_SEED",
    "subgraphs.blog.seed:SEED",
    "subgraphs.account.seed:SEED",
)

# Event processors the worker runs, as "module:function".
PROCESSORS: tuple[str, ...] = (
    "subgraphs.blog.scheduler:publish_scheduled",
    "subgraphs.account.sending:send_newsletter_mail",
    "activitypub.delivery_worker:process_activitypub",
)

# Each domain's contract implementations, as "module:function" taking the registry;
# registered in every process, since any process may run another domain's side of a write.
CONTRACTS: tuple[str, ...] = (
    "subgraphs.federation.contracts:register",
    "subgraphs.blog.contracts:register",
    "activitypub.social:register",
)


def load(path: str) -> Any:
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


def register_contracts(registry: ContractRegistry = contracts) -> None:
    for path in CONTRACTS:
        load(path)(registry)


def import_models() -> None:
    for module in MODEL_MODULES:
        importlib.import_module(module)


def subgraphs() -> list[Service]:
    return [service for service in SERVICES.values() if service.role == "subgraph"]
