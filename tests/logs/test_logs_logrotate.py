"""The real logrotate rotating a file under load, in `create` and `copytruncate` modes.

logrotate runs with a config and a state file in the test's directory (`-f` forces the
rotation). In `create` mode its postrotate script tells the writer to reopen, as a
daemon's HUP handler would, and the writer goes on writing to the old file until it
notices. In `copytruncate` mode the copy and the truncation run while the writer waits:
lines written between those two steps are lost by logrotate itself (its manual says
so), which is not what this test is about.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
from logs_support import (
    NumberedWriter,
    assert_exactly_once,
    collect,
    wait_polls,
    wait_started,
)

from vostui.host.logs import LogFollower

LOGROTATE = shutil.which("logrotate") or (
    "/usr/sbin/logrotate" if Path("/usr/sbin/logrotate").exists() else None
)
ROTATIONS = 20

pytestmark = pytest.mark.skipif(
    LOGROTATE is None, reason="logrotate is not installed (apt-get install logrotate)"
)


def write_config(tmp_path: Path, log: Path, mode: str, flag: Path) -> Path:
    postrotate = (
        f"    postrotate\n        touch {flag}\n    endscript\n" if mode == "create" else ""
    )
    config = tmp_path / "logrotate.conf"
    config.write_text(
        f"{log} {{\n    rotate 1000\n    {mode}\n    missingok\n    nocompress\n{postrotate}}}\n"
    )
    config.chmod(0o644)
    return config


def run_logrotate(config: Path, state: Path) -> None:
    assert LOGROTATE is not None
    done = subprocess.run(
        [LOGROTATE, "-f", "-s", str(state), str(config)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["create", "copytruncate"])
def test_logs_logrotate_under_load_every_line_once(tmp_path: Path, mode: str) -> None:
    log = tmp_path / "mbx3000.log"
    log.touch()
    flag = tmp_path / "reopen"
    config = write_config(tmp_path, log, mode, flag)
    state = tmp_path / "logrotate.state"
    writer = NumberedWriter(str(log), batch=5, pause=0.002)
    follower = LogFollower([str(log)], interval=0.005, capacity=200_000, grace=1.0)
    with follower:
        wait_started(follower)
        writer.start()
        for _ in range(ROTATIONS):
            time.sleep(0.01)
            if mode == "copytruncate":
                with writer.lock:
                    run_logrotate(config, state)
            else:
                run_logrotate(config, state)
                assert flag.exists()
                with writer.lock:
                    flag.unlink()
                    writer.reopen()
            wait_polls(follower)
        writer.stop_after = writer.written + 100
        writer.done.wait(30)
        assert writer.done.is_set()
        lines = collect(follower, writer.written)
        status = follower.snapshot().files[0]
    assert_exactly_once(lines, writer.written)
    rotated = sorted(p.name for p in tmp_path.glob("mbx3000.log.*"))
    assert len(rotated) == ROTATIONS
    if mode == "copytruncate":
        assert status.truncations == ROTATIONS
    else:
        assert status.rotations == ROTATIONS
