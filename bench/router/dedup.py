"""Are identical subgraph fetches in flight at the same moment sent once? A burst tells.

N clients send the same query at the same instant; the subgraphs count what reaches
them. Without deduplication that is N times what one query alone costs.
"""

from __future__ import annotations

import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bench.router.subgraphs import Subgraphs, difference


@dataclass(frozen=True)
class Burst:
    clients: int
    answered: int
    subgraph_requests: int

    @property
    def per_query(self) -> float:
        return self.subgraph_requests / self.clients


def _post(url: str, body: bytes, headers: dict[str, str], start: threading.Barrier) -> bool:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    start.wait()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            return response.status == 200
    except OSError:
        return False


def burst(
    url: str, body: bytes, subgraphs: Subgraphs, clients: int = 50, headers: dict[str, str] | None = None
) -> Burst:
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    start = threading.Barrier(clients)
    before = subgraphs.requests()
    with ThreadPoolExecutor(clients) as pool:
        answered = sum(pool.map(lambda _: _post(url, body, all_headers, start), range(clients)))
    return Burst(clients, answered, sum(difference(subgraphs.requests(), before).values()))
