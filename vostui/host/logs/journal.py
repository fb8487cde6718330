"""The systemd journal, where a host has no /var/log/messages: `journalctl -f`.

The child gets no terminal (stdin from /dev/null, stderr to a pipe we read) so it never
writes over the console, its output is read without blocking, and it is stopped by its
PID, first politely, then for good.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence

from vostui import children
from vostui.host.logs.line import MAX_LINE_BYTES
from vostui.host.logs.tail import (
    FOLLOWING,
    READ_BUDGET,
    STOPPED,
    UNREADABLE,
    LineSplitter,
    LogFileStatus,
    RawLine,
)
from vostui.text import clean_line

JOURNAL = "journal"
_STDERR_KEEP = 400


def journal_command(lines: int) -> list[str]:
    return ["journalctl", "-f", "-n", str(lines), "-o", "short-iso", "--no-pager"]


class JournalTail:
    """Follows the output of a `journalctl -f` child; same interface as `FileTail`."""

    def __init__(
        self,
        command: Sequence[str] | None = None,
        *,
        tail_lines: int = 200,
        max_line_bytes: int = MAX_LINE_BYTES,
        name: str = JOURNAL,
    ) -> None:
        self.path = name
        self.kind = "journal"
        self.command = list(command) if command else journal_command(tail_lines)
        self.max_line_bytes = max_line_bytes
        self.lines = 0
        self.bytes = 0
        self.last_data = 0.0
        self.state = UNREADABLE
        self.reason = "not started"
        self.fix = ""
        self._stderr = b""
        self._splitter: LineSplitter | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def identities(self) -> set[tuple[int, int]]:
        return set()

    def start(self) -> None:
        try:
            self._proc = children.start(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                close_fds=True,
            )
        except OSError as exc:
            self.state = UNREADABLE
            self.reason = f"cannot run {self.command[0]}: {exc.strerror or exc}"
            self.fix = "install systemd's journalctl, or name the log files in log_files"
            return
        assert self._proc.stdout is not None and self._proc.stderr is not None
        os.set_blocking(self._proc.stdout.fileno(), False)
        os.set_blocking(self._proc.stderr.fileno(), False)
        self._splitter = LineSplitter(self.max_line_bytes)
        self.state = FOLLOWING
        self.reason = ""

    def poll(self, now: float, budget: int = READ_BUDGET) -> tuple[list[RawLine], bool]:
        out: list[RawLine] = []
        proc = self._proc
        if proc is None or self._splitter is None or proc.stdout is None:
            return out, False
        if self.state != FOLLOWING:
            return out, False
        self._read_stderr()
        done = 0
        ended = False
        while done < budget:
            try:
                data = os.read(proc.stdout.fileno(), 256 * 1024)
            except BlockingIOError:
                break
            except OSError:
                data = b""
            if not data:
                ended = True
                break
            done += len(data)
            self._splitter.feed(data, out)
        self.bytes += done
        if ended:
            self._splitter.flush(out)
            self._ended()
        if out:
            self.lines += len(out)
            self.last_data = now
        return out, done >= budget

    def _read_stderr(self) -> None:
        proc = self._proc
        if proc is None or proc.stderr is None:
            return
        try:
            data = os.read(proc.stderr.fileno(), 4096)
        except (BlockingIOError, OSError):
            return
        if data:
            self._stderr = (self._stderr + data)[-_STDERR_KEEP:]
            if self.state == FOLLOWING:
                self.reason = self._said()

    def _said(self) -> str:
        text = self._stderr.decode("utf-8", "replace").strip().splitlines()
        return clean_line(text[-1], 200) if text else ""

    def _ended(self) -> None:
        proc = self._proc
        code = proc.wait(timeout=2) if proc else None
        if proc is not None:
            children.forget(proc)
        self._read_stderr()
        self.state = STOPPED
        said = self._said()
        self.reason = f"journalctl exited ({code})" + (f": {said}" if said else "")
        self.fix = "check that systemd-journald runs (systemctl status systemd-journald)"

    def status(self) -> LogFileStatus:
        return LogFileStatus(
            path=self.path,
            state=self.state,
            reason=self.reason,
            fix=self.fix,
            kind=self.kind,
            lines=self.lines,
            bytes=self.bytes,
            last_data=self.last_data,
        )

    def close(self) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=1.0)
        children.forget(proc)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        if self.state == FOLLOWING:
            self.state = STOPPED
            self.reason = "stopped"
