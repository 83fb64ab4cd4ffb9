"""Load from wrk, a separate process: the query POSTed by post.lua, results parsed from wrk's report."""

from __future__ import annotations

import os
import re
import resource
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "post.lua"
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class LoadResult:
    connections: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    socket_errors: int
    non_2xx: int
    wrk_cpu_seconds: float
    report: str


def _latency(report: str, percentile: str) -> float:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", report, re.MULTILINE)
    return float(match[1]) * _UNITS[match[2]] if match else float("nan")


def _number(report: str, pattern: str) -> float:
    match = re.search(pattern, report)
    return float(match[1]) if match else 0.0


def run_wrk(url: str, body: Path, connections: int, seconds: float) -> LoadResult:
    """One wrk run; one thread is plenty for this load and leaves the cores to the gateway."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "--latency"]
    done = subprocess.run(
        [*command, "-s", str(SCRIPT), url],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BENCH_BODY": str(body)},
        timeout=seconds + 60,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = done.stdout
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report)
    return LoadResult(
        connections=connections,
        seconds=seconds,
        requests=int(_number(report, r"(\d+) requests in")),
        rps=_number(report, r"Requests/sec:\s+([\d.]+)"),
        p50_ms=_latency(report, "50"),
        p99_ms=_latency(report, "99"),
        socket_errors=sum(int(value) for value in errors.groups()) if errors else 0,
        non_2xx=int(_number(report, r"Non-2xx or 3xx responses:\s+(\d+)")),
        wrk_cpu_seconds=(after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        report=report,
    )
