"""The journal fallback: `journalctl -f` where /var/log/messages does not exist."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from vostui.host.logs import JournalTail, LogFollower

FAKE_JOURNAL = """\
import sys, time
print("2026-11-26T17:45:01+0000 vos sshd[1]: Failed password for root from 192.0.2.9 port 2 ssh2")
print("2026-11-26T17:45:02+0000 vos kernel: SIP-RATE-LIMIT: IN=eth0 OUT= SRC=192.0.2.9 "
      "DST=10.0.0.1 LEN=1")
print("partial", end="")
sys.stdout.flush()
sys.stderr.write("a warning on stderr\\n")
sys.stderr.flush()
time.sleep(60)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is not running either; its parent reaped it if /proc has no entry.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def poll_until(follower: LogFollower, lines: int, limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while follower.snapshot().total < lines and time.monotonic() < deadline:
        follower.poll_once()
        time.sleep(0.02)


@pytest.mark.skipif(
    shutil.which("journalctl") is None,
    reason="journalctl is not installed: the automatic fallback does not apply",
)
def test_logs_journal_replaces_a_missing_messages_file(tmp_path: Path) -> None:
    """The child is a stand-in that prints journal lines: this host runs no journald."""
    messages = tmp_path / "messages"
    follower = LogFollower(
        [str(messages)],
        journal=None,
        journal_for=str(messages),
        journal_command=[sys.executable, "-c", FAKE_JOURNAL],
    )
    try:
        poll_until(follower, 2)
        # the child's stderr is a pipe of its own: on a busy machine its line can come a
        # poll after the stdout lines
        deadline = time.monotonic() + 10
        while not follower.snapshot().files[0].reason and time.monotonic() < deadline:
            follower.poll_once()
            time.sleep(0.02)
        pid = follower.journal_pid
        snapshot = follower.snapshot()
        (status,) = snapshot.files
        assert (status.path, status.kind, status.state) == ("journal", "journal", "following")
        assert status.reason == "a warning on stderr"
        first, second = snapshot.lines
        assert second.ips == ("192.0.2.9", "10.0.0.1")
        assert first.file == "journal"
        assert first.ts_from_line and first.ts == 1795715101.0
        assert first.level == "warning"
        assert snapshot.failed_logins()[0].ip == "192.0.2.9"
        assert snapshot.firewall_hits(["SIP-RATE-LIMIT"])[0].count == 1
    finally:
        follower.stop()
    assert pid is not None and not alive(pid)


def test_logs_no_journal_when_the_messages_file_exists(tmp_path: Path) -> None:
    messages = tmp_path / "messages"
    messages.write_text("Nov 26 17:45:01 vos app: hello\n")
    follower = LogFollower([str(messages)], journal_for=str(messages))
    follower.poll_once()
    assert follower.journal_pid is None
    assert [f.kind for f in follower.snapshot().files] == ["file"]


@pytest.mark.skipif(shutil.which("journalctl") is None, reason="journalctl is not installed")
def test_logs_real_journalctl_starts_reports_and_stops() -> None:
    """The real journalctl: here it finds no journal (no journald in this container),
    says so on stderr, and keeps waiting; the pane shows its words; stop ends it."""
    tail = JournalTail(tail_lines=5)
    tail.start()
    try:
        pid = tail.pid
        assert pid is not None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not tail.reason and tail.state == "following":
            tail.poll(time.time())
            time.sleep(0.05)
        status = tail.status()
        assert status.state in ("following", "stopped")
        if status.lines == 0:
            assert status.reason  # e.g. "No journal files were found."
    finally:
        tail.close()
    assert not alive(pid)
    assert tail.status().state == "stopped"


def test_logs_missing_journal_command_is_explained() -> None:
    tail = JournalTail(["/nonexistent/journalctl", "-f"])
    tail.start()
    status = tail.status()
    assert status.state == "unreadable"
    assert "cannot run" in status.reason
    assert status.fix
    tail.close()


def test_logs_journal_child_that_exits_is_reported(tmp_path: Path) -> None:
    tail = JournalTail([sys.executable, "-c", "print('one line'); import sys; sys.exit(3)"])
    tail.start()
    lines = []
    deadline = time.monotonic() + 10
    while tail.state == "following" and time.monotonic() < deadline:
        got, _ = tail.poll(time.time())
        lines.extend(got)
        time.sleep(0.02)
    assert lines == [(b"one line", 0)]
    assert tail.state == "stopped"
    assert "exited (3)" in tail.reason
    tail.close()
