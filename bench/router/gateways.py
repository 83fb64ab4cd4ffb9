"""The gateways under test, each one process on its own port, and the files they start from."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"
# One set of SDLs for the benchmark and the router's test scenario of the same shape.
SUBGRAPH_SDL = HERE.parent.parent / "tests" / "router" / "scenarios" / "bench"
GRAFBASE = NODE_MODULES / "@grafbase" / "cli-x86_64-unknown-linux-musl" / "grafbase"
HIVE_GATEWAY = NODE_MODULES / ".bin" / "hive-gateway"
ROSEASH = Path(sys.executable).parent / "roseash"

NPM_PACKAGES = (
    "@graphql-hive/gateway",
    "@graphql-hive/router-runtime",
    "@graphql-hive/router-query-planner",
    "@apollo/gateway",
    "@apollo/server",
    "@apollo/subgraph",
    "@theguild/federation-composition",
    "graphql",
)


@dataclass(frozen=True)
class Gateway:
    key: str
    label: str
    port: int
    command: list[str | Path]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"


def gateways(run_dir: Path, supergraph: Path, base_port: int) -> list[Gateway]:
    """Ours first; the reference gateways after, in the order the results list them."""
    hive = [HIVE_GATEWAY, "supergraph", supergraph, "--host", "127.0.0.1", "--fork", "1"]
    grafbase_dir = run_dir / "grafbase"
    return [
        Gateway(
            "ours",
            "Ours (roseash serve router)",
            base_port,
            [ROSEASH, "serve", "router", "--port", str(base_port)],
            env={
                "SUPERGRAPH_PATH": str(supergraph),
                "LOG_LEVEL": "WARNING",
                "HOST": "127.0.0.1",
                "VAR_DIR": str(run_dir / "var"),
            },
        ),
        Gateway("hive", "Hive Gateway (Node)", base_port + 1, [*hive, "--port", str(base_port + 1)]),
        Gateway(
            "hive-rust",
            "Hive Gateway + Rust planner",
            base_port + 2,
            [*hive, "--hive-router-runtime", "--port", str(base_port + 2)],
        ),
        Gateway(
            "apollo",
            "Apollo Gateway",
            base_port + 3,
            ["node", HERE / "apollo-gateway.mjs", supergraph, str(base_port + 3)],
            env={"NODE_ENV": "production"},
        ),
        Gateway(
            "grafbase",
            "Grafbase (grafbase dev)",
            base_port + 4,
            [GRAFBASE, "dev", "-c", grafbase_dir / "grafbase.toml", "--listen-address", f"127.0.0.1:{base_port + 4}"],
            env={"HOME": str(grafbase_dir), "DO_NOT_TRACK": "1"},
            cwd=grafbase_dir,
        ),
    ]


def compose(out: Path, urls: dict[str, str]) -> None:
    """The supergraph, composed by @theguild/federation-composition (compose.mjs)."""
    pairs = [f"{name}={url}" for name, url in urls.items()]
    subprocess.run(["node", HERE / "compose.mjs", out, *pairs], check=True, capture_output=True, text=True)


def write_grafbase_config(run_dir: Path, urls: dict[str, str]) -> None:
    """grafbase dev composes by itself, from each subgraph's SDL file and URL."""
    directory = run_dir / "grafbase"
    directory.mkdir(parents=True, exist_ok=True)
    sections = [
        f'[subgraphs.{name}]\nurl = "{url}"\nschema_path = "{SUBGRAPH_SDL / f"{name}.graphql"}"\n'
        for name, url in urls.items()
    ]
    (directory / "grafbase.toml").write_text("\n".join(sections))


def _output(command: list[str | Path]) -> str:
    """What the command printed (stdout, else stderr), stripped; empty when it cannot run."""
    try:
        done = subprocess.run([str(part) for part in command], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (done.stdout or done.stderr).strip()


def _first_line(command: list[str | Path]) -> str:
    return (_output(command).splitlines() or ["unavailable"])[0]


def versions() -> dict[str, str]:
    found = {"python": sys.version.split()[0], "node": _first_line(["node", "--version"])}
    commit = _first_line(["git", "-C", HERE, "rev-parse", "--short", "HEAD"])
    dirty = _output(["git", "-C", HERE.parent.parent, "status", "--porcelain", "--", "router"])
    found["roseash router"] = f"git {commit}" + (" + uncommitted changes in router/" if dirty else "")
    for package in NPM_PACKAGES:
        try:
            found[package] = json.loads((NODE_MODULES / package / "package.json").read_text())["version"]
        except OSError:
            found[package] = "not installed"
    found["grafbase"] = _first_line([GRAFBASE, "--version"])
    found["wrk"] = _first_line(["wrk", "-v"]).split(" [")[0]
    return found
