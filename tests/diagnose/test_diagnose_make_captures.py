"""The capture script itself: a short class made again with real SIPp and tcpdump on
loopback (127.0.6.0/24), then diagnosed: the labelled set can be rebuilt."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.diagnose.diagnose_support import config
from vostui.diagnose import diagnose
from vostui.engine.core import Engine
from vostui.pipeline import read_files

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "diagnose" / "make_captures.py"


@pytest.mark.root
def test_register_404_and_private_contact_are_made_and_found(tmp_path: Path) -> None:
    for tool in ("sipp", "tcpdump"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    if os.geteuid() != 0:
        pytest.skip("tcpdump on lo needs root")
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--out",
            str(tmp_path),
            "--only",
            "register_404,private_contact",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    expected = {
        "register_404.pcap": "registration.not_found",
        "private_contact.pcap": "nat.private_contact",
    }
    for name, rule in expected.items():
        path = tmp_path / name
        assert 0 < path.stat().st_size < 1_000_000
        engine = Engine(config())
        read_files(engine, [str(path)])
        assert rule in {f.rule for f in diagnose(engine.snapshot(), config=config())}
    assert not (tmp_path / "labels.json").exists()  # --out never rewrites the labels
