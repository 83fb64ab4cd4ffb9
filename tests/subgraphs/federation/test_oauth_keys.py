"""`roseash keys rotate`, as an operator runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import Backend

ROSEASH = str(Path(sys.executable).with_name("roseash"))


def roseash(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ROSEASH, *args], env=env, capture_output=True, text=True, timeout=60, check=False)


def test_keys_rotate_signs_with_a_new_key_and_says_how_long_the_old_stays(backend: Backend) -> None:
    env = backend.environ()
    unmigrated = roseash("keys", "rotate", env=env)
    assert unmigrated.returncode == 1
    assert unmigrated.stderr.startswith("roseash: cannot rotate the signing keys")
    assert "roseash migrate" in unmigrated.stderr
    assert len(unmigrated.stderr.strip().splitlines()) == 1
    assert roseash("migrate", env=env).returncode == 0
    first = roseash("keys", "rotate", env=env)
    assert first.returncode == 0, first.stderr
    [line] = first.stdout.strip().splitlines()
    kid = line.removeprefix("signing with key ")
    second = roseash("keys", "rotate", env=env)
    lines = second.stdout.strip().splitlines()
    assert lines[0].startswith("signing with key ")
    assert lines[0] != line
    assert lines[1].startswith(f"retired {kid}; published until ")
