"""The four benchmark subgraphs (users, reviews, products, inventory): Node processes on 127.0.0.1."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.router.procs import Service

HERE = Path(__file__).resolve().parent
SERVER = HERE / "subgraphs" / "server.mjs"
NAMES = ("users", "reviews", "products", "inventory")


@dataclass
class Subgraphs:
    services: dict[str, Service]

    @classmethod
    def start(cls, base_port: int, logs: Path, *, memo: bool = True) -> Subgraphs:
        services: dict[str, Service] = {}
        flags = [] if memo else ["--no-memo"]
        try:
            for offset, name in enumerate(NAMES):
                port = base_port + offset
                command = ["node", SERVER, name, str(port), *flags]
                services[name] = Service.start(f"subgraph {name}", port, command, log=logs / f"subgraph-{name}.log")
            for service in services.values():
                service.wait_ready()
        except BaseException:
            for service in services.values():
                service.stop()
            raise
        return cls(services)

    def urls(self) -> dict[str, str]:
        return {name: f"http://127.0.0.1:{service.port}/graphql" for name, service in self.services.items()}

    def requests(self) -> dict[str, int]:
        """Requests each subgraph has answered since it started."""
        counts = {}
        for name, service in self.services.items():
            with urllib.request.urlopen(f"http://127.0.0.1:{service.port}/stats", timeout=5) as response:
                counts[name] = json.load(response)["requests"]
        return counts

    def cpu_seconds(self) -> float:
        return sum(service.cpu_seconds() for service in self.services.values())

    def stop(self) -> None:
        for service in self.services.values():
            service.stop()


def difference(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before.get(name, 0) for name in after}
