"""bench/RESULTS.md from the measurements: tables per round, ratios, deduplication, the profile."""

from __future__ import annotations

import math

from bench.router.results import SETTINGS, Results, Round

BASELINES = (("hive", "Hive"), ("hive-rust", "Hive+Rust"))
TARGET = (
    "ahead of Hive Gateway with the Rust planner at both settings: "
    ">= 4x Hive Gateway's RPS at 50 connections and p50 < 19 ms at 1 connection"
)


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def _ratio(value: float | None, base: float | None) -> str:
    if value is None or base is None or not base or math.isnan(value) or math.isnan(base):
        return "-"
    return f"{value / base:.2f}x"


def _round_table(results: Results, round_: Round) -> list[str]:
    header = (
        "| Gateway | conns | RPS | p50 ms | p99 ms | CPU s | CPU ms/req | subgraph req/req | subgraphs CPU s "
        "| other CPU s | RSS MB | errors | same JSON after |"
    )
    lines = [header, "|" + " --- |" * 13]
    for key in round_.order:
        for connections in SETTINGS:
            label = results.labels[key]
            if (failure := round_.failures.get((key, connections))) is not None:
                lines.append(f"| {label} | {connections} | failed: {failure} |" + " |" * 10)
                continue
            m = round_.get(key, connections)
            if m is None:
                continue
            errors = m.load.socket_errors + m.load.non_2xx
            lines.append(
                f"| {label} | {connections} | {_num(m.load.rps)} | {_num(m.load.p50_ms)} | {_num(m.load.p99_ms)} "
                f"| {_num(m.cpu_seconds)} | {_num(m.cpu_ms_per_request, 2)} | {_num(m.fetches_per_request, 2)} "
                f"| {_num(m.subgraph_cpu_seconds)} | {_num(m.other_cpu_seconds)} | {_num(m.rss_mb, 0)} | {errors} "
                f"| {m.check_after.summary()} |"
            )
    return lines


def _ratio_table(results: Results, round_: Round) -> list[str]:
    columns = []
    for _, name in BASELINES:
        columns += [f"RPS@50 vs {name}", f"RPS@1 vs {name}", f"p50@1 speed-up vs {name}"]
    lines = ["| Gateway | " + " | ".join(columns) + " |", "|" + " --- |" * (len(columns) + 1)]
    for key in round_.order:
        cells = []
        for base_key, _ in BASELINES:
            mine50, base50 = round_.get(key, 50), round_.get(base_key, 50)
            mine1, base1 = round_.get(key, 1), round_.get(base_key, 1)
            cells.append(_ratio(mine50 and mine50.load.rps, base50 and base50.load.rps))
            cells.append(_ratio(mine1 and mine1.load.rps, base1 and base1.load.rps))
            cells.append(_ratio(base1 and base1.load.p50_ms, mine1 and mine1.load.p50_ms))
        lines.append(f"| {results.labels[key]} | " + " | ".join(cells) + " |")
    return lines


def _target(round_: Round) -> str:
    ours50, ours1 = round_.get("ours", 50), round_.get("ours", 1)
    hive50, rust50, rust1 = round_.get("hive", 50), round_.get("hive-rust", 50), round_.get("hive-rust", 1)
    if not (ours50 and ours1 and hive50):
        return "not measured"
    checks = [
        (f"RPS@50 {ours50.load.rps:.1f} >= 4 x Hive {hive50.load.rps:.1f}", ours50.load.rps >= 4 * hive50.load.rps),
        (f"p50@1 {ours1.load.p50_ms:.1f} ms < 19 ms", ours1.load.p50_ms < 19),
    ]
    if rust50 and rust1:
        checks.append((f"RPS@50 >= Hive+Rust {rust50.load.rps:.1f}", ours50.load.rps >= rust50.load.rps))
        checks.append((f"p50@1 <= Hive+Rust {rust1.load.p50_ms:.1f} ms", ours1.load.p50_ms <= rust1.load.p50_ms))
    return "; ".join(f"{text}: {'met' if ok else 'NOT met'}" for text, ok in checks)


def _dedup(results: Results) -> list[str]:
    lines = [
        "| Gateway | subgraph requests, one query alone | 50 identical queries at once: per query "
        "| per query during the 1-connection run | per query during the 50-connection run |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    first = results.rounds[0] if results.rounds else None
    for key, label in results.labels.items():
        if key in results.unavailable:
            continue
        single = results.single_fetches.get(key, {})
        alone = f"{sum(single.values())} ({', '.join(f'{k} {v}' for k, v in single.items())})" if single else "-"
        burst = results.bursts.get(key)
        one = first.get(key, 1) if first else None
        fifty = first.get(key, 50) if first else None
        lines.append(
            f"| {label} | {alone} | {_num(burst.per_query, 2) if burst else '-'} "
            f"| {_num(one.fetches_per_request, 2) if one else '-'} "
            f"| {_num(fifty.fetches_per_request, 2) if fifty else '-'} |"
        )
    return lines


def _dedup_verdict(results: Results) -> str:
    single = sum(results.single_fetches.get("ours", {}).values())
    burst = results.bursts.get("ours")
    if not single or burst is None:
        return "Not measured."
    if burst.per_query < single * 0.5:
        text = (
            f"**Yes.** Alone, one query costs our router {single} subgraph requests; {burst.clients} identical "
            f"queries sent at the same instant cost {burst.per_query:.2f} per query: identical fetches in flight "
            "together were sent once and shared."
        )
    else:
        text = (
            f"**Not for separate client requests.** Alone, one query costs our router {single} subgraph requests; "
            f"{burst.clients} identical queries sent at the same instant still cost {burst.per_query:.2f} per query."
        )
    shared = results.burst_shared_request_id
    if shared is not None:
        text += (
            f" When the {shared.clients} clients all send the same `X-Request-ID`, the cost is "
            f"{shared.per_query:.2f} per query"
        )
        if shared.per_query < burst.per_query * 0.5:
            text += (
                ": the in-flight deduplication works, but its key includes the forwarded headers, and the "
                "router forwards a per-request `x-request-id` to the subgraphs, so two client requests never "
                "share a fetch."
            )
        else:
            text += "."
    return text


def _summary(results: Results) -> list[str]:
    numbers = range(1, len(results.rounds) + 1)
    columns = [f"RPS@50 r{n}" for n in numbers] + [f"p50@1 ms r{n}" for n in numbers]
    lines = ["| Gateway | " + " | ".join(columns) + " |", "|" + " --- |" * (len(columns) + 1)]
    for key, label in results.labels.items():
        if key in results.unavailable:
            lines.append(f"| {label} | " + " | ".join("-" for _ in columns) + " |")
            continue
        rps = [round_.get(key, 50) for round_ in results.rounds]
        p50 = [round_.get(key, 1) for round_ in results.rounds]
        cells = [_num(m.load.rps) if m else "-" for m in rps] + [_num(m.load.p50_ms) if m else "-" for m in p50]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def render(results: Results) -> str:
    out = [
        "# Router benchmark",
        "",
        f"Produced by `{results.command}` on {results.started}, in {results.elapsed_seconds / 60:.1f} minutes.",
        "Generated by `bench/router/run.py`; do not edit by hand.",
        "",
        "## Summary",
        "",
        *_summary(results),
        "",
        "## Setup",
        "",
        f"- Machine: {results.machine['cpu']}, {results.machine['nproc']} CPUs (nproc), "
        f"{results.machine['memory']} memory, Linux {results.machine['kernel']}; load average at start "
        f"{results.machine['loadavg']}. Everything (subgraphs, gateways, wrk) shares these cores.",
        "- Subgraphs: four Node processes (`bench/router/subgraphs/server.mjs`, @apollo/subgraph + graphql-js, "
        "parsed documents cached, answers memoised per request body since the data is fixed): "
        "users, reviews, products, inventory; 10 users, 10 products, 30 reviews.",
        f"- Query: `bench/router/query.graphql` (users → reviews → product → reviews → author → reviews → product, "
        f"and topProducts → reviews → author → reviews → product, with `inStock` and `shippingEstimate "
        f'@requires(fields: "price weight")`); the answer is {results.response_bytes:,} bytes.',
        "- Supergraph composed by @theguild/federation-composition; Grafbase composes by itself "
        "from the same SDL files.",
        f"- Load: wrk (one thread, `--latency`, `bench/router/post.lua`), {results.warmup:g} s warm-up then "
        f"{results.duration:g} s measured, at 1 connection (latency) and 50 connections (throughput), "
        "one gateway at a time, while all gateways stay up. Before and after every run each gateway's answer is "
        "compared (parsed `data`, and no errors).",
        "- CPU s: user + system time of the gateway's process tree during the measured run (/proc/<pid>/stat). "
        "RSS after the run. `subgraph req/req`: subgraph requests per gateway request during the run. "
        "`other CPU s`: what the rest of the machine used meanwhile (all cores busy time from /proc/stat, less the "
        "gateway, the subgraphs and wrk): other people's work on a shared machine, the noise in the numbers.",
        "",
        "Versions:",
        "",
    ]
    out += [f"- {name}: {version}" for name, version in results.versions.items()]
    out += ["", "Processes per gateway after start (each must be one):", ""]
    out += [f"- {results.labels[key]}: {count}" for key, count in results.processes.items()]
    if results.unavailable:
        out += ["", "Could not run:", ""]
        out += [f"- {results.labels[key]}: {reason}" for key, reason in results.unavailable.items()]
    if results.subgraph_capacity:
        out += [
            "",
            "Subgraph headroom (wrk straight at the reviews subgraph, 10 connections, its largest request):",
            "",
        ]
        out += [f"- {name}: {_num(rps)} requests/s" for name, rps in results.subgraph_capacity.items()]
    for round_ in results.rounds:
        out += ["", f"## Round {round_.number}", "", f"Answers before the round: {round_.check_before.summary()}.", ""]
        out += _round_table(results, round_)
        out += ["", "Ratios within the round (higher is better for all):", ""]
        out += _ratio_table(results, round_)
        out += ["", f"Target ({TARGET}): {_target(round_)}."]
    out += ["", "## Deduplication of identical in-flight subgraph fetches", "", _dedup_verdict(results), ""]
    out += _dedup(results)
    out += [
        "",
        "The last two columns divide the subgraph requests made during a measured run by the gateway requests "
        "wrk completed; work for requests still in flight when wrk stops lands in the numerator only, so a slow "
        "gateway can show more than its one-query figure. The burst column has no such edge: it waits for all 50.",
    ]
    out += ["", "## Where our router's time goes (py-spy)", ""]
    for run in results.profiles:
        out += [f"### {run.connections} connection{'s' if run.connections > 1 else ''}, {run.seconds:g} s", ""]
        if run.problem:
            out += [f"Not profiled: {run.problem}", ""]
            continue
        if run.load:
            out += [
                f"Under the profiler: {run.load.rps:.1f} RPS, p50 {run.load.p50_ms:.1f} ms (sampling slows it).",
                "",
            ]
        if run.profile:
            out += [run.profile.markdown(), ""]
    return "\n".join(out).rstrip() + "\n"
