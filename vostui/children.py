"""Child processes that must not outlive vostui (tcpdump, journalctl).

Each long-running child is started with `PR_SET_PDEATHSIG`: the kernel sends it SIGKILL
when the thread that started it ends, so it dies with vostui even after `kill -9`.
(The signal follows the starting *thread*: start a child only from a thread that lives
as long as the child should, as the capture and log threads do.) The PIDs are also kept
here, so that every exit path can end them by PID, the only processes vostui stops.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable

PR_SET_PDEATHSIG = 1

_lock = threading.Lock()
_running: dict[int, subprocess.Popen[bytes]] = {}


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    prctl: Callable[..., int] = libc.prctl
    return prctl


_PRCTL = _load_prctl()


def die_with_parent_hook() -> Callable[[], None] | None:
    """A `preexec_fn` that asks for SIGKILL when our starting thread ends (None off Linux)."""
    prctl = _PRCTL
    if prctl is None:
        return None
    parent = os.getpid()

    def hook() -> None:
        # runs in the child between fork and exec: nothing here may take a lock
        prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return hook


def start(argv: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
    """`subprocess.Popen(argv, **kwargs)` that dies with us, remembered by PID."""
    proc: subprocess.Popen[bytes] = subprocess.Popen(  # type: ignore[call-overload]
        argv, preexec_fn=die_with_parent_hook(), **kwargs
    )
    with _lock:
        _running[proc.pid] = proc
    return proc


def forget(proc: subprocess.Popen[bytes]) -> None:
    """The child has been stopped (or reaped): stop tracking it."""
    with _lock:
        _running.pop(proc.pid, None)


def kill_all() -> None:
    """SIGKILL every child still running, by PID (the last resort of an exit path).

    Safe from any thread; takes no lock that a signal handler could interrupt, beyond
    our own, which no signal handler takes.
    """
    with _lock:
        procs = list(_running.values())
    for proc in procs:
        if proc.returncode is None:
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
