"""Run the router benchmark and write bench/RESULTS.md.

    python -m bench.router.run [--rounds 2] [--duration 10] [--warmup 3] [--only ours,hive]

Starts the four subgraphs, composes the supergraph, starts every gateway (each one
process on 127.0.0.1), then per round loads each gateway in turn with wrk at 1 and 50
connections, checking before and after each run that all gateways give the same answer.
Finally it profiles our router under load with py-spy. `make bench` installs what this
needs (npm ci, wrk, py-spy) and runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.router import gateways as gw
from bench.router import profile, report
from bench.router.check import ask, check_all
from bench.router.dedup import burst
from bench.router.load import LoadResult, run_wrk
from bench.router.procs import Service, StartError, machine_busy_seconds
from bench.router.results import SETTINGS, Measurement, ProfileRun, Results, Round
from bench.router.subgraphs import Subgraphs, difference

HERE = Path(__file__).resolve().parent
SUBGRAPH_PORT = 18101  # users, reviews, products, inventory; +10 for the unmemoised headroom check
GATEWAY_PORT = 18201  # ours, hive, hive-rust, apollo, grafbase


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "")
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line
    )
    return {
        "cpu": model or platform.processor() or "unknown CPU",
        "nproc": str(os.cpu_count()),
        "memory": f"{memory_kb / 1e6:.0f} GB",
        "kernel": platform.release(),
        "loadavg": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


def request_body(run_dir: Path) -> Path:
    body = run_dir / "body.json"
    body.write_text(json.dumps({"query": (HERE / "query.graphql").read_text(), "operationName": "TestQuery"}))
    return body


def start_gateways(specs: list[gw.Gateway], run_dir: Path, results: Results) -> dict[str, Service]:
    started: dict[str, Service] = {}
    for spec in specs:
        try:
            service = Service.start(
                spec.label, spec.port, spec.command, log=run_dir / f"{spec.key}.log", env=spec.env, cwd=spec.cwd
            )
        except (StartError, OSError) as exc:
            results.unavailable[spec.key] = str(exc)
            continue
        started[spec.key] = service
    ready: dict[str, Service] = {}
    for key, service in started.items():
        try:
            service.wait_ready(timeout=90)
        except StartError as exc:
            results.unavailable[key] = str(exc)
            service.stop()
            continue
        ready[key] = service
        log(f"{service.name} listening on {service.port} (pid {service.pid})")
    return ready


def first_answers(
    services: dict[str, Service], urls: dict[str, str], body: bytes, subgraphs: Subgraphs, results: Results
) -> None:
    """One query per gateway, alone: its answer, its size, and the subgraph requests it cost."""
    for key in list(services):
        before = subgraphs.requests()
        answer = ask(urls[key], body, timeout=60)
        results.single_fetches[key] = difference(subgraphs.requests(), before)
        if answer.problem or answer.data is None:
            results.unavailable[key] = f"does not answer the query: {answer.problem or answer.errors}"
            services.pop(key).stop()
            continue
        results.response_bytes = max(results.response_bytes, answer.size)
        results.processes[key] = services[key].processes()


def subgraph_headroom(run_dir: Path, subgraphs: Subgraphs, seconds: float) -> dict[str, float]:
    """How fast the reviews subgraph answers its heaviest request, memoised (as benchmarked) and not."""
    selection = "...on User{reviews{id body product{upc} author{id username}}}"
    body = run_dir / "subgraph-body.json"
    body.write_text(
        json.dumps(
            {
                "query": f"query($r:[_Any!]!){{_entities(representations:$r){{{selection}}}}}",
                "variables": {"r": [{"__typename": "User", "id": str(i)} for i in range(1, 11)]},
            }
        )
    )
    found = {"reviews subgraph, memoised (as benchmarked)": run_wrk(subgraphs.urls()["reviews"], body, 10, seconds).rps}
    port = SUBGRAPH_PORT + 10
    command = ["node", HERE / "subgraphs" / "server.mjs", "reviews", str(port), "--no-memo"]
    plain = Service.start("reviews (no memo)", port, command, log=run_dir / "subgraph-reviews-nomemo.log")
    try:
        plain.wait_ready()
        found["reviews subgraph, executing every request (graphql-js)"] = run_wrk(
            f"http://127.0.0.1:{port}/graphql", body, 10, seconds
        ).rps
    finally:
        plain.stop()
    return found


def measure(
    key: str,
    service: Service,
    url: str,
    connections: int,
    args: argparse.Namespace,
    body: Path,
    subgraphs: Subgraphs,
    urls: dict[str, str],
    body_bytes: bytes,
) -> Measurement:
    run_wrk(url, body, connections, args.warmup)
    service.settle()
    requests_before, cpu_before, sub_cpu_before = subgraphs.requests(), service.cpu_seconds(), subgraphs.cpu_seconds()
    machine_before = machine_busy_seconds()
    load = run_wrk(url, body, connections, args.duration)
    machine = machine_busy_seconds() - machine_before
    cpu, sub_cpu = service.cpu_seconds() - cpu_before, subgraphs.cpu_seconds() - sub_cpu_before
    fetched = sum(difference(subgraphs.requests(), requests_before).values())
    rss = service.rss_mb()
    service.settle()
    return Measurement(key, load, cpu, sub_cpu, fetched, rss, machine, check_all(urls, body_bytes))


def run_round(
    number: int,
    services: dict[str, Service],
    specs: dict[str, gw.Gateway],
    args: argparse.Namespace,
    body: Path,
    subgraphs: Subgraphs,
) -> Round:
    keys = list(services)
    shift = (number - 1) % len(keys)
    order = keys[shift:] + keys[:shift]  # each round starts with another gateway: drift spreads out
    urls = {key: specs[key].url for key in services}
    body_bytes = body.read_bytes()
    round_ = Round(number, order, check_all(urls, body_bytes))
    log(f"round {number}: answers {round_.check_before.summary()}; order {', '.join(order)}")
    for key in order:
        for connections in SETTINGS:
            service = services[key]
            if service.process.poll() is not None:
                round_.failures[(key, connections)] = f"the process exited ({service.tail(3)})"
                continue
            try:
                m = measure(key, service, specs[key].url, connections, args, body, subgraphs, urls, body_bytes)
            except (subprocess.SubprocessError, OSError) as exc:
                round_.failures[(key, connections)] = str(exc)
                continue
            round_.measurements[(key, connections)] = m
            log(
                f"round {number} {key} c={connections}: {m.load.rps:.1f} rps, p50 {m.load.p50_ms:.1f} ms, "
                f"p99 {m.load.p99_ms:.1f} ms, cpu {m.cpu_seconds:.1f} s; after: {m.check_after.summary()}"
            )
    return round_


def profile_ours(service: Service, url: str, body: Path, seconds: float, run_dir: Path) -> list[ProfileRun]:
    runs = []
    for connections in (50, 1):
        out = run_dir / f"py-spy-c{connections}.txt"
        try:
            run_wrk(url, body, connections, 2)  # warm
            service.settle()
            sampler = profile.record(service.pid, seconds, out)
            load: LoadResult = run_wrk(url, body, connections, seconds)
            _, stderr = sampler.communicate(timeout=seconds + 60)
            if sampler.returncode != 0 or not out.exists():
                raise RuntimeError(stderr.decode(errors="replace").strip().splitlines()[-1:] or "py-spy failed")
            runs.append(ProfileRun(connections, seconds, load, profile.Profile.parse(out.read_text())))
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            runs.append(ProfileRun(connections, seconds, None, None, str(exc)))
        log(f"profiled ours at c={connections}: {runs[-1].problem or 'ok'}")
        service.settle()
    return runs


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds before each run")
    parser.add_argument("--profile-seconds", type=float, default=10.0, help="0 skips profiling")
    parser.add_argument("--only", help="comma-separated gateways: ours, hive, hive-rust, apollo, grafbase")
    parser.add_argument("--output", type=Path, default=HERE.parent / "RESULTS.md")
    parser.add_argument("--run-dir", type=Path, default=HERE / "last-run")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    begun = time.monotonic()
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (apt-get install wrk; make bench does it)", file=sys.stderr)
        return 2
    if not (HERE / "node_modules").exists():
        print("bench: run `npm ci` in bench/router first (make bench does it)", file=sys.stderr)
        return 2
    run_dir = args.run_dir.resolve()
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    body = request_body(run_dir)

    subgraphs = Subgraphs.start(SUBGRAPH_PORT, run_dir)
    services: dict[str, Service] = {}
    try:
        urls = subgraphs.urls()
        supergraph = run_dir / "supergraph.graphql"
        gw.compose(supergraph, urls)
        gw.write_grafbase_config(run_dir, urls)
        specs = {spec.key: spec for spec in gw.gateways(run_dir, supergraph, GATEWAY_PORT)}
        wanted = args.only.split(",") if args.only else list(specs)
        results = Results(
            command=os.environ.get("BENCH_COMMAND") or "python -m bench.router.run " + " ".join(sys.argv[1:]),
            started=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            machine=machine(),
            versions=gw.versions(),
            duration=args.duration,
            warmup=args.warmup,
            labels={key: specs[key].label for key in wanted},
        )
        services = start_gateways([specs[key] for key in wanted], run_dir, results)
        first_answers(services, {key: specs[key].url for key in services}, body.read_bytes(), subgraphs, results)
        log(f"answers: {results.response_bytes} bytes; subgraph requests per query: {results.single_fetches}")
        for key in services:
            results.bursts[key] = burst(specs[key].url, body.read_bytes(), subgraphs)
            services[key].settle()
        if "ours" in services:
            shared_id = {"X-Request-ID": "bench-burst-shared-id"}
            results.burst_shared_request_id = burst(specs["ours"].url, body.read_bytes(), subgraphs, headers=shared_id)
        log(f"bursts of 50: {results.bursts}; ours with one request id: {results.burst_shared_request_id}")
        results.subgraph_capacity = subgraph_headroom(run_dir, subgraphs, 3)
        log(f"subgraph headroom: {results.subgraph_capacity}")
        for number in range(1, args.rounds + 1):
            results.rounds.append(run_round(number, services, specs, args, body, subgraphs))
        if "ours" in services and args.profile_seconds > 0:
            results.profiles = profile_ours(services["ours"], specs["ours"].url, body, args.profile_seconds, run_dir)
    finally:
        for service in services.values():
            service.stop()
        subgraphs.stop()
    results.elapsed_seconds = time.monotonic() - begun
    args.output.write_text(report.render(results))
    log(f"wrote {args.output} in {results.elapsed_seconds / 60:.1f} minutes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
