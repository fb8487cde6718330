"""Files that cannot be followed: the pane must say which, why, and what to do.

Root reads any file whatever its mode, so "permission denied" is tested the way a
non-root operator meets it: the follower runs in a child process that gave up root for
user `nobody`.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from vostui.host.logs import LogFollower

REPO = Path(__file__).resolve().parents[2]


def only_status(follower: LogFollower):
    (status,) = follower.snapshot().files
    return status


def test_logs_a_directory_is_not_a_log_file(tmp_path: Path) -> None:
    target = tmp_path / "vos3000"
    target.mkdir()
    follower = LogFollower([str(target)])
    follower.poll_once()
    status = only_status(follower)
    assert (status.path, status.state) == (str(target), "unreadable")
    assert status.reason == "is a directory"
    assert f"{target}/*.log" in status.fix


def test_logs_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.log"
    os.mkfifo(fifo)
    follower = LogFollower([str(fifo)])
    follower.poll_once()  # opening a FIFO for reading would block: it must not
    status = only_status(follower)
    assert status.state == "unreadable"
    assert "FIFO" in status.reason


def test_logs_a_file_replaced_by_a_directory_keeps_what_was_read(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("before\n")
    follower = LogFollower([str(log)])
    follower.poll_once()
    log.unlink()
    log.mkdir()
    follower.poll_once()
    status = only_status(follower)
    assert status.state == "unreadable"
    assert [line.text for line in follower.snapshot().lines] == ["before"]


# Imports first (the interpreter lives under /root here), then the child drops root for
# good: from then on the kernel checks its file access like any user's.
CHILD = """
import json, os, sys
from vostui.host.logs import LogFollower
uid, gid = int(sys.argv[1]), int(sys.argv[2])
os.setgroups([])
os.setgid(gid)
os.setuid(uid)
assert os.geteuid() == uid
follower = LogFollower(sys.argv[3:])
follower.poll_once()
print(json.dumps([
    {"path": f.path, "state": f.state, "reason": f.reason, "fix": f.fix}
    for f in follower.snapshot().files
]))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to start a child as another user")
def test_logs_permission_denied_for_a_non_root_user() -> None:
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user 'nobody' on this host")
    # Outside pytest's private (0700) temporary tree, so that `nobody` can reach it.
    directory = Path(tempfile.mkdtemp(prefix="vostui-logs-"))
    try:
        directory.chmod(0o755)
        secure = directory / "secure"
        secure.write_text("Nov 26 17:45:01 vos sshd[1]: secret\n")
        secure.chmod(0o600)
        private = directory / "private"
        private.mkdir(mode=0o700)
        hidden = private / "mbx3000.log"
        hidden.write_text("x\n")
        uid, gid = str(nobody.pw_uid), str(nobody.pw_gid)
        done = subprocess.run(
            [sys.executable, "-c", CHILD, uid, gid, str(secure), str(hidden)],
            cwd="/",
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        file_status, hidden_status = json.loads(done.stdout)
        assert file_status["state"] == "unreadable"
        assert file_status["reason"] == "Permission denied"
        assert "root" in file_status["fix"]
        # A directory on the way that the user may not enter: also said plainly.
        assert hidden_status["state"] == "unreadable"
        assert hidden_status["reason"] == "Permission denied"
    finally:
        shutil.rmtree(directory)
