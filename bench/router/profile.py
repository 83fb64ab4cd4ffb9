"""Where our router's time goes under load: py-spy samples, summarised by function and by module.

py-spy's raw output is one line per distinct stack: `frame;frame;...;frame count`, each
frame `function (file:line)`, outermost first. Time spent in C (orjson, uvloop, httptools)
shows as the Python function that called it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


def py_spy() -> str | None:
    """The py-spy next to this Python (the venv's), else one on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def record(pid: int, seconds: float, out: Path, rate: int = 100) -> subprocess.Popen[bytes]:
    """Start sampling the process for `seconds`; wait on the returned process for the file."""
    executable = py_spy()
    if executable is None:
        raise FileNotFoundError("py-spy is not installed (make bench installs it into the venv)")
    command = [executable, "record", "--pid", str(pid), "--duration", f"{seconds:g}", "--rate", str(rate)]
    command += ["--format", "raw", "--output", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _frame(text: str) -> tuple[str, str]:
    match = _FRAME.match(text.strip())
    return (match["function"], match["file"]) if match else (text.strip(), "?")


def _area(file: str) -> str:
    """router/ and shared/ by file; everything else by its top-level package."""
    parts = file.split("/")
    if parts[0] in ("router", "shared", "roseash") and len(parts) > 1:
        return file
    return parts[0].removesuffix(".py")


def _own_code(label: str) -> bool:
    return any(f"({prefix}" in label for prefix in ("router/", "shared/"))


@dataclass(frozen=True)
class Profile:
    """Samples of the main thread (the event loop), where all request work runs.

    Other threads (aiosqlite's worker, from the database every service opens) are
    counted apart: py-spy can take a thread blocked on a queue for a busy one.
    """

    samples: int
    other_threads: int
    self_time: Counter[str]
    total_time: Counter[str]
    by_area: Counter[str]

    @classmethod
    def parse(cls, raw: str) -> Profile:
        self_time: Counter[str] = Counter()
        total_time: Counter[str] = Counter()
        by_area: Counter[str] = Counter()
        samples = other = 0
        for line in raw.splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [_frame(frame) for frame in stack.split(";") if frame.strip()]
            if not frames or frames[0][0] != "<module>":
                other += count
                continue
            samples += count
            labels = [f"{function} ({file})" for function, file in frames]
            self_time[labels[-1]] += count
            by_area[_area(frames[-1][1])] += count
            for label in set(labels):
                total_time[label] += count
        return cls(samples, other, self_time, total_time, by_area)

    def markdown(self, top: int = 15) -> str:
        if not self.samples:
            return "No samples of the main thread were recorded.\n"

        def table(title: str, counter: Counter[str], own_code_only: bool = False) -> list[str]:
            rows = [f"| {title} | share of samples |", "| --- | ---: |"]
            chosen = [
                (label, count)
                for label, count in counter.most_common()
                if not own_code_only or (_own_code(label) and count / self.samples < 0.97)
            ]
            rows += [f"| `{label}` | {100 * count / self.samples:.1f}% |" for label, count in chosen[:top]]
            return [*rows, ""]

        lines = [
            f"{self.samples} samples of the main thread while busy (other threads: {self.other_threads} samples, "
            "left out). Time in C code (orjson, uvloop, httptools) counts for the Python function that called it.",
            "",
        ]
        lines += table("Self time by module", self.by_area)
        lines += table("Self time by function", self.self_time)
        lines += table("Inclusive time, router/ and shared/ functions", self.total_time, own_code_only=True)
        return "\n".join(lines)
