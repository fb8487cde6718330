"""Helpers for the log tests: a writer thread with numbered lines, and rotations.

The writer holds `lock` while it writes; a rotation done under the same lock happens
between two writes, as when logrotate signals a daemon (create) or when the copy and the
truncation are not interleaved with a write (copytruncate's own loss window belongs to
logrotate, not to the tailer under test).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterable

from vostui.host.logs import LogFollower, LogLine

NUMBERED = re.compile(r"seq=(\d+) ")


class NumberedWriter(threading.Thread):
    """Appends "seq=N" lines in small batches until told to stop (bounded in time)."""

    def __init__(self, path: str, *, batch: int = 20, pause: float = 0.001, limit: float = 20.0):
        super().__init__(daemon=True)
        self.path = path
        self.batch = batch
        self.pause = pause
        self.limit = limit
        self.lock = threading.Lock()
        self.written = 0
        self.stop_after: int | None = None  # stop once this many lines are written
        self.done = threading.Event()
        self.late_lines = 0  # after `reopen_later`, lines still going to the old file
        self._late = 0
        self._handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed in run

    def reopen(self) -> None:
        """Call with `lock` held: the next line goes to a new file at `path`."""
        self._handle.close()
        self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115

    def reopen_later(self, lines: int) -> None:
        """Call with `lock` held: keep writing `lines` lines to the old file first."""
        self._late = lines

    def run(self) -> None:
        deadline = time.monotonic() + self.limit
        try:
            while time.monotonic() < deadline:
                with self.lock:
                    if self.stop_after is not None and self.written >= self.stop_after:
                        break
                    for _ in range(self.batch):
                        n = self.written
                        self._handle.write(
                            f"2026-11-26 17:45:01.{n % 1000:03d} INFO seq={n} "
                            f"Call-ID: c{n}@10.0.0.1 from 192.0.2.{n % 250}\n"
                        )
                        self.written += 1
                        if self._late:
                            self._late -= 1
                            self.late_lines += 1
                            if not self._late:
                                self._handle.flush()
                                self.reopen()
                    self._handle.flush()
                time.sleep(self.pause)
        finally:
            with self.lock:
                self._handle.close()
            self.done.set()


def rotate_rename(writer: NumberedWriter, index: int, late: int = 0) -> None:
    """logrotate `create`: rename the file, the daemon reopens (maybe a little later)."""
    with writer.lock:
        os.rename(writer.path, f"{writer.path}.{index}")
        if late:
            writer.reopen_later(late)
        else:
            writer.reopen()


def rotate_copytruncate(writer: NumberedWriter, index: int) -> None:
    """logrotate `copytruncate`: copy the file aside, then truncate it in place."""
    with writer.lock:
        shutil.copyfile(writer.path, f"{writer.path}.{index}")
        os.truncate(writer.path, 0)


def rotate_delete(writer: NumberedWriter, index: int) -> None:
    """Delete the file; the daemon creates a new one on its next write."""
    with writer.lock:
        os.unlink(writer.path)
        writer.reopen()


def wait_polls(follower: LogFollower, count: int = 2, limit: float = 30.0) -> None:
    """Wait until the follower's thread has completed `count` more polls."""
    target = follower.polls + count
    deadline = time.monotonic() + limit
    while follower.polls < target and time.monotonic() < deadline:
        time.sleep(0.001)


def wait_started(follower: LogFollower, limit: float = 5.0) -> None:
    """Wait until the follower's thread has completed its first poll."""
    deadline = time.monotonic() + limit
    while follower.polls < 1 and time.monotonic() < deadline:
        time.sleep(0.001)


def collect(follower: LogFollower, expected: int, limit: float = 15.0) -> list[LogLine]:
    """Every line the follower yields until `expected` arrived (or the time limit)."""
    deadline = time.monotonic() + limit
    while follower.snapshot().total < expected and time.monotonic() < deadline:
        time.sleep(0.01)
    # A little longer: a line read twice would show up now.
    wait_polls(follower, 3)
    snapshot = follower.snapshot()
    assert snapshot.dropped == 0, "the buffer must hold every line of this test"
    return list(snapshot.lines)


def numbers_seen(lines: Iterable[LogLine]) -> Counter[int]:
    seen: Counter[int] = Counter()
    for line in lines:
        match = NUMBERED.search(line.text)
        assert match is not None, f"a line the writer never wrote: {line.text!r}"
        seen[int(match.group(1))] += 1
    return seen


def assert_exactly_once(lines: Iterable[LogLine], written: int) -> None:
    seen = numbers_seen(lines)
    missing = [n for n in range(written) if seen[n] == 0]
    repeated = [n for n, c in seen.items() if c > 1]
    assert not missing, f"{len(missing)} lines lost, first {missing[:10]}"
    assert not repeated, f"{len(repeated)} lines repeated, first {repeated[:10]}"
    assert len(seen) == written
