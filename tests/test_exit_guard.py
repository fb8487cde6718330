"""The exit guard leaves even when the orderly way out hangs (issue 16).

Each case runs a real process whose main thread is blocked for ever the way the
console's was (`Queue.put` on a full queue nobody reads), so only the guard can end it.
"""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

BLOCKED = """
import queue, signal, sys, time
sys.path.insert(0, {root!r})
from vostui.exit_guard import ExitGuard
asked = []
guard = ExitGuard(asked.append, grace=1.0, poll=0.1, signals={signals})
guard.install()
print("ready", flush=True)
stuck = queue.Queue(1)
stuck.put(1)
stuck.put(2)  # blocks for ever: nobody reads, as in Textual's dead output thread
"""


def script(signals: str) -> str:
    return BLOCKED.format(root=str(ROOT), signals=signals)


def wait_exit(proc: subprocess.Popen[str], seconds: float) -> int | None:
    try:
        return proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_leaves_a_process_whose_main_thread_is_blocked(sig: signal.Signals) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", script("(signal.SIGHUP, signal.SIGTERM)")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    time.sleep(0.2)  # into the blocked put
    proc.send_signal(sig)
    assert wait_exit(proc, 10) == 128 + sig


def test_a_terminal_that_hangs_up_is_noticed_without_any_signal() -> None:
    """SIGHUP ignored: the guard still sees the tty answer EIO, and leaves with 129."""
    code = "import signal; signal.signal(signal.SIGHUP, signal.SIG_IGN)\n" + script("()")
    pid, master = pty.fork()
    if pid == 0:  # the child: session leader with the pty as its terminal
        os.execv(sys.executable, [sys.executable, "-c", code])
    try:
        seen = b""
        deadline = time.monotonic() + 20
        while b"ready\r\n" not in seen and time.monotonic() < deadline:
            seen += os.read(master, 100)
        assert b"ready\r\n" in seen
        time.sleep(0.3)  # into the blocked put: no write of its own may meet the dead tty
    finally:
        os.close(master)  # the terminal goes away
    deadline = time.monotonic() + 10
    status = None
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    assert status is not None and os.WIFEXITED(status), status
    assert os.WEXITSTATUS(status) == 128 + signal.SIGHUP
