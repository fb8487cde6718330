"""Textual's Linux driver, with the two fixes the console needs when its terminal goes away.

Written against Textual 8.2.8 (`textual/drivers/linux_driver.py`,
`textual/drivers/_writer_thread.py`); re-check both when Textual is upgraded.

The hang it fixes (issue 16): after an SSH drop, 2 consoles in 12 stayed alive, their
main thread blocked for ever in `WriterThread.stop()` -> `Queue.put(None)`, deaf to
SIGTERM. The cause, seen with `py-spy dump --locals` on a console caught in the act:

1. When a terminal hangs up, the kernel sends the session leader SIGHUP *and SIGCONT*
   (vostui is the session leader when it is the pane's or the SSH session's command;
   a shell around it passes the hang-up on).
2. Textual handles SIGCONT with `signal.signal` and, its `_auto_restart` being on,
   calls `resume_application_mode()` on *every* SIGCONT, not only after its own Ctrl+Z
   suspend. That starts a second output thread with a new queue, and the driver
   forgets the first one (left waiting in `Queue.get()` for ever).
3. The new output thread's first write to the hung-up tty raises EIO, which ends the
   thread. Its queue (30 places) then fills with the frames and mode changes drawn
   during shutdown, and `close()` puts the stop marker into that full queue, which no
   thread will ever empty. The asyncio signal handlers cannot run from there.

Fixes, in upstream style (a Textual patch would make the same two changes):
- `_sigcont_application` resumes only when a SIGTSTP suspended the driver;
- the output thread writes through `_TerminalFile`, which swallows the first OSError
  on write or flush, marks the terminal gone, tells the app (`terminal_lost()`), and drops
  what comes after, so the thread keeps emptying its queue and `stop()` always returns;
- `write()` and `close()` never wait for ever on a queue that no live thread reads.
The way out does not depend on these: `vostui.exit_guard` leaves anyway.
"""

from __future__ import annotations

import contextlib
import select
from collections.abc import Callable
from queue import Full
from typing import IO, Any

from textual.drivers.linux_driver import LinuxDriver

PUT_WAIT_SECONDS = 0.5
CLOSE_WAIT_SECONDS = 2.0  # without any progress of the terminal
FLUSH_TRIES = 20  # of PUT_WAIT_SECONDS each, on a tty left non-blocking


class _TerminalFile:
    """The terminal stream the output thread writes to; a dead terminal is dropped quietly."""

    def __init__(self, stream: IO[str], on_gone: Callable[[], None]) -> None:
        self._stream = stream
        self._on_gone = on_gone
        self.gone = False
        self.written = 0  # characters handed to the terminal: progress, for close()

    def write(self, text: str) -> int:
        if self.gone:
            return len(text)
        try:
            written = self._stream.write(text)
        except BlockingIOError:  # a tty left non-blocking: full for now, not gone
            self._wait_writable()
            return len(text)
        except (OSError, ValueError):
            self._lost()
            return len(text)
        self.written += len(text)
        return written

    def flush(self) -> None:
        for _ in range(FLUSH_TRIES):
            if self.gone:
                return
            try:
                self._stream.flush()
                return
            except BlockingIOError:
                self._wait_writable()
            except (OSError, ValueError):
                self._lost()
                return

    def _wait_writable(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            select.select([], [self._stream.fileno()], [], PUT_WAIT_SECONDS)

    def fileno(self) -> int:
        return self._stream.fileno()

    def isatty(self) -> bool:
        return not self.gone and self._stream.isatty()

    def _lost(self) -> None:
        self.gone = True
        with contextlib.suppress(Exception):
            self._on_gone()


class ConsoleDriver(LinuxDriver):
    """`LinuxDriver` that survives a terminal that hangs up (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stream = self._file
        assert stream is not None, "Textual's LinuxDriver writes to sys.__stderr__"
        self.terminal = _TerminalFile(stream, self._terminal_gone)
        self._file = self.terminal  # type: ignore[assignment]

    def _terminal_gone(self) -> None:
        # runs on the output thread: the app's handler must be thread-safe
        lost = getattr(self._app, "terminal_lost", None)
        if lost is not None:
            lost()

    def _sigcont_application(self, *_: object) -> None:
        # Textual 8.2.8 resumes on every SIGCONT; only a resume after our own suspend
        # is one (a hang-up brings SIGCONT too).
        if self._auto_restart and self._must_signal_resume:
            self.resume_application_mode()

    def write(self, data: str) -> None:
        writer = self._writer_thread
        if writer is None or self.terminal.gone:
            return
        queue = writer._queue
        while True:
            try:
                queue.put(data, timeout=PUT_WAIT_SECONDS)
                return
            except Full:  # a slow terminal holds us back, as it should; a dead one does not
                if not writer.is_alive() or self.terminal.gone:
                    return

    def close(self) -> None:
        """Stop the output thread once it has written what is queued (the restore
        sequences are last): wait while the terminal makes progress, give up after
        `CLOSE_WAIT_SECONDS` without any (a dead or frozen terminal)."""
        writer = self._writer_thread
        if writer is None:
            return
        queue = writer._queue
        marked = False
        last, idle = -1, 0.0
        while writer.is_alive() and idle < CLOSE_WAIT_SECONDS:
            if not marked:
                try:
                    queue.put(None, timeout=PUT_WAIT_SECONDS)
                    marked = True
                except Full:
                    pass
            else:
                writer.join(PUT_WAIT_SECONDS)
            progress = self.terminal.written
            if progress == last:
                idle += PUT_WAIT_SECONDS
            else:
                last, idle = progress, 0.0
