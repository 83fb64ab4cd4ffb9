"""The processes the benchmark starts (subgraphs and gateways), and what they cost in CPU.

Each process starts in its own session, so stopping it stops what it started too,
and its CPU time is summed over its process tree.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class StartError(Exception):
    """A process did not come up; the message says which one and how its log ends."""


def port_free(port: int) -> bool:
    """Nobody listens on the port (connections of a previous run in TIME_WAIT do not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name (which may hold spaces): field 3 onwards."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat_fields(int(entry))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, queue = [root], [root]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def tree_cpu_seconds(root: int) -> float:
    """utime + stime of the process, its threads and its live descendants, plus reaped children's."""
    ticks = 0
    for pid in _descendants(root):
        if (fields := _stat_fields(pid)) is not None:
            ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / CLOCK_TICKS


def tree_rss_mb(root: int) -> float:
    pages = 0
    for pid in _descendants(root):
        with contextlib.suppress(OSError, IndexError, ValueError):
            pages += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * PAGE_SIZE / 1e6


@dataclass
class Service:
    """One started process listening on a port of 127.0.0.1."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(
        cls,
        name: str,
        port: int,
        command: Sequence[str | Path],
        *,
        log: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Service:
        if not port_free(port):
            raise StartError(f"{name}: port {port} on 127.0.0.1 is already in use")
        with log.open("wb") as handle:
            process = subprocess.Popen(
                [str(part) for part in command],
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                cwd=cwd,
                start_new_session=True,
            )
        return cls(name, port, process, log)

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StartError(f"{self.name} exited with code {self.process.returncode}: {self.tail()}")
            if _listening(self.port):
                return
            time.sleep(0.1)
        raise StartError(f"{self.name} did not listen on port {self.port} within {timeout:g}s: {self.tail()}")

    def tail(self, lines: int = 6) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:]) or "(empty log)"

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.pid)

    def rss_mb(self) -> float:
        return tree_rss_mb(self.pid)

    def processes(self) -> int:
        return len(_descendants(self.pid))

    def settle(self, idle_share: float = 0.05, timeout: float = 10.0) -> None:
        """Wait until the process is (nearly) idle: work left over from a previous load has finished."""
        deadline = time.monotonic() + timeout
        before = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(0.25)
            after = self.cpu_seconds()
            if after - before <= idle_share * 0.25:
                return
            before = after

    def stop(self) -> None:
        """SIGTERM to the process group this service leads, SIGKILL after 10 s."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)  # anything it started that outlived it


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent not idle since boot (/proc/stat), to see what else ran."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS
