"""What one benchmark run found: the measurements run.py collects and report.py writes out."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.router.check import Check
from bench.router.dedup import Burst
from bench.router.load import LoadResult
from bench.router.profile import Profile

SETTINGS = (1, 50)  # connections: latency, then throughput


@dataclass(frozen=True)
class Measurement:
    gateway: str
    load: LoadResult
    cpu_seconds: float
    subgraph_cpu_seconds: float
    subgraph_requests: int
    rss_mb: float
    machine_cpu_seconds: float
    check_after: Check

    @property
    def other_cpu_seconds(self) -> float:
        """What the rest of the machine used meanwhile: not this gateway, the subgraphs or wrk."""
        own = self.cpu_seconds + self.subgraph_cpu_seconds + self.load.wrk_cpu_seconds
        return max(0.0, self.machine_cpu_seconds - own)

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_seconds / self.load.requests if self.load.requests else float("nan")

    @property
    def fetches_per_request(self) -> float:
        return self.subgraph_requests / self.load.requests if self.load.requests else float("nan")


@dataclass
class Round:
    number: int
    order: list[str]
    check_before: Check
    measurements: dict[tuple[str, int], Measurement] = field(default_factory=dict)
    failures: dict[tuple[str, int], str] = field(default_factory=dict)

    def get(self, gateway: str, connections: int) -> Measurement | None:
        return self.measurements.get((gateway, connections))


@dataclass(frozen=True)
class ProfileRun:
    connections: int
    seconds: float
    load: LoadResult | None
    profile: Profile | None
    problem: str | None = None


@dataclass
class Results:
    command: str
    started: str
    machine: dict[str, str]
    versions: dict[str, str]
    duration: float
    warmup: float
    labels: dict[str, str]
    unavailable: dict[str, str] = field(default_factory=dict)
    processes: dict[str, int] = field(default_factory=dict)
    response_bytes: int = 0
    single_fetches: dict[str, dict[str, int]] = field(default_factory=dict)
    bursts: dict[str, Burst] = field(default_factory=dict)
    burst_shared_request_id: Burst | None = None
    subgraph_capacity: dict[str, float] = field(default_factory=dict)
    rounds: list[Round] = field(default_factory=list)
    profiles: list[ProfileRun] = field(default_factory=list)
    elapsed_seconds: float = 0.0
