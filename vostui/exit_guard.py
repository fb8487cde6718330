"""The way out of a long-running command that does not depend on the way out working.

An operator's SSH session drops; the console must then end, with its children, even if
its orderly shutdown hangs (it did: see `vostui.ui.terminal_driver`). `ExitGuard` is a
thread of its own that:

- takes SIGHUP and SIGTERM with a plain `signal.signal` handler that only writes a
  byte to a pipe (it runs wherever the main thread happens to be, even inside a lock
  wait, where an asyncio handler would never run), and
- watches the terminal itself (a hung-up tty answers EIO) and the parent process
  (a shell that died with the session);

and on any of them: kills the children by PID (`vostui.children`), asks for the
orderly exit (`request_exit(code)`, from this thread: it must be thread-safe), and if
the process is still here `grace` seconds later, restores the terminal as far as it
can and leaves with `os._exit(code)`. A second SIGTERM or SIGHUP leaves at once.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import termios
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from vostui import children

EXIT_HANGUP = 128 + signal.SIGHUP  # as a shell reports it
EXIT_TERMINATED = 128 + signal.SIGTERM
GRACE_SECONDS = 3.0  # VOSTUI_EXIT_GRACE overrides it (the tests: only the orderly way)
POLL_SECONDS = 0.5
# leave the alternate screen, show the cursor, mouse and paste modes off
RESET_SEQUENCE = b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[?1049l\x1b[?25h"


def _tty_alive(fd: int) -> bool:
    """A tty that still answers (a hung-up one fails with EIO; any tty answers
    tcgetattr, the controlling terminal or not)."""
    try:
        termios.tcgetattr(fd)
    except (termios.error, OSError):
        return False
    return True


def grace_seconds() -> float:
    """`GRACE_SECONDS`, or VOSTUI_EXIT_GRACE where it is a positive number."""
    try:
        value = float(os.environ.get("VOSTUI_EXIT_GRACE", ""))
    except ValueError:
        return GRACE_SECONDS
    return value if value > 0 else GRACE_SECONDS


class ExitGuard:
    """Arm with `install()`; `trigger(code)` from anywhere starts the way out."""

    def __init__(
        self,
        request_exit: Callable[[int], None],
        *,
        grace: float = GRACE_SECONDS,
        poll: float = POLL_SECONDS,
        tty_fds: Sequence[int] | None = None,
        watch_parent: bool = True,
        signals: Sequence[int] = (signal.SIGHUP, signal.SIGTERM),
    ) -> None:
        self.request_exit = request_exit
        self.grace = grace
        self.poll = poll
        if tty_fds is None:
            tty_fds = [f.fileno() for f in (sys.__stdin__, sys.__stdout__) if f is not None]
        self.tty_fds = [fd for fd in tty_fds if os.isatty(fd) and _tty_alive(fd)]
        self.parent = os.getppid() if watch_parent else None
        self.signals = tuple(signals)
        self.tty_attrs: list[Any] | None = None  # restored on a forced exit
        self.reason = ""  # why the way out started ("SIGHUP", "terminal gone", ...)
        self.code: int | None = None
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        self._previous: dict[int, object] = {}
        self._pending: tuple[int, str] | None = None
        self._thread = threading.Thread(target=self._run, name="vostui-exit-guard", daemon=True)
        self._installed = False

    def install(self) -> None:
        """Take the signals (main thread only) and start watching."""
        if self._installed:
            return
        self._installed = True
        if self.tty_fds:
            with contextlib.suppress(termios.error):
                self.tty_attrs = termios.tcgetattr(self.tty_fds[0])
        for sig in self.signals:
            self._previous[sig] = signal.signal(sig, self._on_signal)
        self._thread.start()

    def uninstall(self) -> None:
        """Give the signals back (the guard thread stays, idle, until the process ends)."""
        for sig, handler in self._previous.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(sig, handler)  # type: ignore[arg-type]
        self._previous.clear()

    def _on_signal(self, signum: int, _frame: object) -> None:
        # Runs in the main thread at any point, even inside a queue or lock operation:
        # no lock, no allocation beyond the byte, no I/O but a non-blocking write.
        with contextlib.suppress(OSError):
            os.write(self._write_fd, bytes([signum]))

    def trigger(self, code: int, reason: str) -> None:
        """Start the way out from any thread (a read error on the terminal, say)."""
        self._pending = (code, reason)
        with contextlib.suppress(OSError):
            os.write(self._write_fd, bytes([0]))

    def _run(self) -> None:
        started: float | None = None
        while True:
            timeout = self.poll
            if started is not None:
                timeout = max(0.0, min(self.poll, started + self.grace - time.monotonic()))
            ready, _, _ = select.select([self._read_fd], [], [], timeout)
            if ready:
                data = os.read(self._read_fd, 64)
                for byte in data:
                    if started is not None and byte != 0:
                        self._leave()  # a second signal: no more waiting
                    if started is None:
                        if byte == 0 and self._pending is not None:
                            code, reason = self._pending
                        else:
                            code = 128 + byte
                            reason = signal.Signals(byte).name
                        started = time.monotonic()
                        self._begin(code, reason)
            elif started is None:
                gone = self._gone()
                if gone:
                    started = time.monotonic()
                    self._begin(EXIT_HANGUP, gone)
            if started is not None and time.monotonic() - started >= self.grace:
                self._leave()

    def _gone(self) -> str:
        for fd in self.tty_fds:
            if not _tty_alive(fd):
                return "terminal gone"
        if self.parent is not None and os.getppid() != self.parent:
            return "parent process gone"
        return ""

    def _begin(self, code: int, reason: str) -> None:
        self.code, self.reason = code, reason
        children.kill_all()
        with contextlib.suppress(Exception):  # the loop may be closing already
            self.request_exit(code)

    def _leave(self) -> None:
        """The orderly way did not finish in time: restore what we can, and go."""
        children.kill_all()
        for fd in self.tty_fds:
            if not _tty_alive(fd):
                continue
            if self.tty_attrs is not None:
                with contextlib.suppress(termios.error, OSError):
                    termios.tcsetattr(fd, termios.TCSANOW, self.tty_attrs)
            with contextlib.suppress(OSError):
                os.set_blocking(fd, False)  # a stuck terminal must not hold the exit
                try:
                    os.write(fd, RESET_SEQUENCE)
                finally:
                    os.set_blocking(fd, True)  # the flag is shared with the shell
            break
        os._exit(self.code if self.code is not None else EXIT_HANGUP)
