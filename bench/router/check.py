"""Do all the gateways answer the query with the same JSON? Compared on the parsed `data`."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Answer:
    status: int | None
    data: Any
    errors: list[Any] | None
    size: int
    problem: str | None = None


def ask(url: str, body: bytes, timeout: float = 30.0) -> Answer:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except OSError as exc:
        return Answer(None, None, None, 0, f"no answer: {exc}")
    try:
        parsed = json.loads(raw)
    except ValueError:
        return Answer(status, None, None, len(raw), f"HTTP {status}, body is not JSON")
    return Answer(status, parsed.get("data"), parsed.get("errors"), len(raw))


@dataclass(frozen=True)
class Check:
    """groups: gateways that gave the same data, largest group first; problems: what else went wrong."""

    groups: list[list[str]]
    problems: list[str]

    @property
    def identical(self) -> bool:
        return len(self.groups) <= 1 and not self.problems

    def summary(self) -> str:
        if self.identical:
            return "identical"
        parts = list(self.problems)
        if len(self.groups) > 1:
            parts.append("data differs: " + " vs ".join("{" + ", ".join(group) + "}" for group in self.groups))
        return "; ".join(parts)


def compare(answers: dict[str, Answer]) -> Check:
    problems = []
    by_data: dict[str, list[str]] = {}
    for key, answer in answers.items():
        if answer.problem:
            problems.append(f"{key}: {answer.problem}")
            continue
        if answer.status != 200:
            problems.append(f"{key}: HTTP {answer.status}")
        if answer.errors:
            problems.append(f"{key}: errors {json.dumps(answer.errors)[:200]}")
        if answer.data is None:
            problems.append(f"{key}: no data")
            continue
        by_data.setdefault(json.dumps(answer.data, sort_keys=True), []).append(key)
    groups = sorted(by_data.values(), key=len, reverse=True)
    return Check(groups, problems)


def check_all(urls: dict[str, str], body: bytes) -> Check:
    return compare({key: ask(url, body) for key, url in urls.items()})
