"""The same capture gives the same JSON on every run: nothing in the output may follow
a set's iteration order, which changes from process to process with Python's string
hashing (PYTHONHASHSEED). Scripts and tickets diff these outputs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import FIXTURES

ROOT = Path(__file__).resolve().parents[2]


def run(seed: str, *args: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run(
        [sys.executable, "-m", "vostui", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    assert out.returncode in (0, 1, 3), out.stderr  # 3: doctor found something critical
    return out.stdout


@pytest.mark.parametrize("capture", ["demo.pcap", "scan_sipvicious.pcap", "register.pcap"])
@pytest.mark.parametrize("command", ["analyze", "doctor"])
def test_same_json_whatever_the_hash_seed(capture: str, command: str) -> None:
    path = str(FIXTURES / capture)
    first = run("1", command, "--json", path)
    assert first == run("2", command, "--json", path) == run("3", command, "--json", path)
