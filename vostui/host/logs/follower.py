"""Follow the configured log files in a thread; publish immutable snapshots.

`LogFollower` owns one `FileTail` per file (globs are re-expanded every few seconds to
pick up new files; rotated and compressed names are not followed), or a `JournalTail`
where /var/log/messages does not exist and journalctl does. Its thread polls them, turns
their bytes into `LogLine`s and appends them to a bounded buffer; what scrolls out is
counted in `dropped`. The UI pulls `snapshot()` on its timer; the snapshot is reused
while nothing changed.
"""

from __future__ import annotations

import bisect
import glob
import os
import re
import shutil
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from vostui.config import Config
from vostui.host.logs.filters import lines_for
from vostui.host.logs.journal import JournalTail
from vostui.host.logs.levels import LEVELS, LevelPattern
from vostui.host.logs.line import MAX_LINE_BYTES, LineParser, LogLine
from vostui.host.logs.security import (
    FailedLogins,
    FirewallHits,
    failed_logins,
    firewall_hits,
)
from vostui.host.logs.tail import (
    COMPRESSED,
    MAX_BACKLOG,
    MAX_FINISHED,
    MISSING,
    FileTail,
    Identity,
    LogFileStatus,
    Position,
)

MESSAGES = "/var/log/messages"
# Names logrotate gives old files: "x.1", "x.log.3", "x-20261126"; compressed ones too.
ROTATED = re.compile(r"\.\d+$|[-_.]\d{8}(?:\d{2}|\d{6})?$")
_RATE_WINDOW = 5.0
_GLOB_MAGIC = re.compile(r"[*?\[]")

Source = FileTail | JournalTail


def is_rotated_name(path: str) -> bool:
    """A name logrotate gives to an old file: never followed when a glob matches it."""
    return bool(COMPRESSED.search(path) or ROTATED.search(path))


@dataclass(frozen=True, slots=True)
class LogSnapshot:
    """Everything the log pane draws, at one moment. Never changes after it is made."""

    version: int  # goes up whenever lines arrive or a file's status changes
    files: tuple[LogFileStatus, ...]  # one per followed file, the journal, empty globs
    lines: tuple[LogLine, ...]  # the buffer, oldest first (ascending `seq`)
    total: int  # lines received since start
    dropped: int  # lines that scrolled out of the buffer
    capacity: int  # the buffer's size
    levels: tuple[tuple[str, int], ...]  # (level, lines in the buffer), in LEVELS order
    level_totals: tuple[tuple[str, int], ...]  # (level, lines since start)
    anomalies: tuple[tuple[str, int], ...]  # (reason, lines repaired): invalid_utf8, …
    samples: tuple[tuple[str, str], ...]  # (reason, first cleaned line repaired so)
    rate: float  # lines per second over the last few seconds
    files_over_limit: int = 0  # files a glob matched beyond `max_files`, not followed

    def since(self, seq: int) -> tuple[LogLine, ...]:
        """The lines that arrived after the line numbered `seq` (cheap: a bisection)."""
        index = bisect.bisect_right(self.lines, seq, key=lambda line: line.seq)
        return self.lines[index:]

    def window(self, start: int, count: int) -> tuple[LogLine, ...]:
        return self.lines[max(0, start) : max(0, start) + max(0, count)]

    def by_time(self) -> tuple[LogLine, ...]:
        """All files merged in the order their lines were written (then arrival order)."""
        return tuple(sorted(self.lines, key=lambda line: (line.ts, line.seq)))

    def of_file(self, path: str) -> tuple[LogLine, ...]:
        return tuple(line for line in self.lines if line.file == path)

    def level_count(self, level: str) -> int:
        return dict(self.levels).get(level, 0)

    def lines_for(
        self,
        call_ids: Iterable[str] = (),
        numbers: Iterable[str] = (),
        ips: Iterable[str] = (),
    ) -> tuple[LogLine, ...]:
        return lines_for(self.lines, call_ids=call_ids, numbers=numbers, ips=ips)

    def failed_logins(self, extra_patterns: Sequence[str] = ()) -> list[FailedLogins]:
        return failed_logins(self.lines, extra_patterns)

    def firewall_hits(self, prefixes: Sequence[str] = ()) -> list[FirewallHits]:
        return firewall_hits(self.lines, prefixes)


class LogFollower:
    """Follows log files (paths and globs) and the journal; see the module docstring."""

    def __init__(
        self,
        paths: Sequence[str],
        *,
        tail_lines: int = 200,
        capacity: int = 50_000,
        interval: float = 0.25,
        rescan: float = 2.0,
        max_line_bytes: int = MAX_LINE_BYTES,
        level_patterns: Sequence[LevelPattern | tuple[str, str, str]] = (),
        journal: bool | None = None,
        journal_for: str = MESSAGES,
        journal_command: Sequence[str] | None = None,
        max_files: int = 64,
        grace: float = 2.0,
        forget_after: float = 60.0,
        max_backlog: int = MAX_BACKLOG,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.tail_lines = tail_lines
        self.capacity = capacity
        self.interval = interval
        self.rescan = rescan
        self.max_line_bytes = max_line_bytes
        self.max_files = max_files
        self.grace = grace
        self.forget_after = forget_after
        self.max_backlog = max_backlog
        self._clock = clock
        self._parser = LineParser(max_line_bytes, level_patterns)
        self._globs = [p for p in dict.fromkeys(paths) if _GLOB_MAGIC.search(p)]
        explicit = [p for p in dict.fromkeys(paths) if not _GLOB_MAGIC.search(p)]
        use_journal = journal
        if use_journal is None:
            use_journal = (
                journal_for in explicit
                and not os.path.exists(journal_for)
                and shutil.which("journalctl") is not None
            )
        self._journal: JournalTail | None = None
        if use_journal:
            explicit = [p for p in explicit if p != journal_for]
            self._journal = JournalTail(
                journal_command, tail_lines=tail_lines, max_line_bytes=max_line_bytes
            )
        self._finished: dict[Identity, Position] = {}
        self._sources: dict[str, Source] = {}
        for path in explicit:
            self._sources[path] = self._file(path, kind="file", start_at_end=True)
        if self._journal is not None:
            self._sources[self._journal.path] = self._journal
        self._empty_globs: tuple[str, ...] = ()
        self._over_limit = 0
        self._first_scan = True
        self.polls = 0  # completed polls: tests wait on it, the pane may show it
        self._last_rescan = float("-inf")

        self._lock = threading.Lock()
        self._buffer: deque[LogLine] = deque()
        self._seq = 0
        self._total = 0
        self._dropped = 0
        self._in_buffer: Counter[str] = Counter()
        self._totals: Counter[str] = Counter()
        self._statuses: tuple[LogFileStatus, ...] = ()
        self._version = 0
        self._rate_marks: deque[tuple[float, int]] = deque()
        self._rate = 0.0
        self._anomalies: tuple[tuple[str, int], ...] = ()
        self._samples: tuple[tuple[str, str], ...] = ()
        self._snapshot: LogSnapshot | None = None

        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = False

    @classmethod
    def from_config(cls, config: Config, **options: object) -> LogFollower:
        return cls(config.log_files, **options)  # type: ignore[arg-type]

    # -- life cycle ----------------------------------------------------------------

    def start(self) -> None:
        """Start the journal child (if any) and the polling thread."""
        if self._started:
            return
        self._started = True
        if self._journal is not None:
            self._journal.start()
        self._thread = threading.Thread(target=self._run, name="vostui-logs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the thread (within one poll interval), the journal child, close files."""
        self._stop.set()
        # The thread never blocks (files and the journal pipe are read without
        # waiting), so it ends within one poll; then its sources can be closed safely.
        if self._thread is not None:
            self._thread.join(timeout)
        for source in self._sources.values():
            source.close()

    def __enter__(self) -> LogFollower:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def journal_pid(self) -> int | None:
        return self._journal.pid if self._journal else None

    def _run(self) -> None:
        while not self._stop.is_set():
            more = self.poll_once()
            if not more:
                self._stop.wait(self.interval)

    # -- one poll ------------------------------------------------------------------

    def poll_once(self) -> bool:
        """Read every source once; True if some had more than one poll's budget waiting.

        The thread calls this; tests and benchmarks may call it directly instead of
        `start()` (never both).
        """
        now = self._clock()
        if self._journal is not None and not self._started:
            self._started = True
            self._journal.start()
        if now - self._last_rescan >= self.rescan:
            self._rescan(now)
        batch: list[LogLine] = []
        more = False
        parse = self._parser.parse
        for source in list(self._sources.values()):
            if self._stop.is_set():
                break
            raw_lines, source_more = source.poll(now)
            more = more or source_more
            name = source.path
            for raw, cut in raw_lines:
                self._seq += 1
                batch.append(parse(raw, name, self._seq, now, cut))
        self._publish(batch, now)
        self.polls += 1
        return more

    def _file(self, path: str, *, kind: str, start_at_end: bool) -> FileTail:
        return FileTail(
            path,
            kind=kind,
            tail_lines=self.tail_lines,
            start_at_end=start_at_end,
            max_line_bytes=self.max_line_bytes,
            grace=self.grace,
            max_backlog=self.max_backlog,
            resume=self._finished,
        )

    def _rescan(self, now: float) -> None:
        self._last_rescan = now
        # Files open now (also rotated ones still drained): a glob must not follow them
        # a second time under their rotated name.
        held: set[Identity] = set()
        for source in self._sources.values():
            held |= source.identities()
            if isinstance(source, FileTail):
                self._finished.update(source.finished)
        for identity in list(self._finished)[: max(0, len(self._finished) - 4 * MAX_FINISHED)]:
            del self._finished[identity]
        matched: dict[str, None] = {}
        empty: list[str] = []
        for pattern in self._globs:
            found = [p for p in glob.glob(pattern) if not is_rotated_name(p)]
            files = [p for p in found if os.path.isfile(p)]
            if not files:
                empty.append(pattern)
            for path in files:
                matched[path] = None
        new = [p for p in matched if p not in self._sources]
        room = self.max_files - sum(1 for s in self._sources.values() if s.kind == "glob")
        if len(new) > room:
            new.sort(key=_mtime, reverse=True)
        self._over_limit = max(0, len(new) - max(room, 0))
        for path in new[: max(room, 0)]:
            try:
                st = os.stat(path)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in held:
                continue
            # Files there at start show their last lines; files that appear later are
            # new and are read whole.
            self._sources[path] = self._file(path, kind="glob", start_at_end=self._first_scan)
        for path, source in list(self._sources.items()):
            # A file matched by a glob, gone for a while (a dated log cleaned up): drop it.
            if (
                isinstance(source, FileTail)
                and source.kind == "glob"
                and path not in matched
                and source.missing_since is not None
                and now - source.missing_since >= self.forget_after
            ):
                source.close()
                del self._sources[path]
        self._empty_globs = tuple(empty)
        self._first_scan = False

    def _publish(self, batch: list[LogLine], now: float) -> None:
        statuses = tuple(s.status() for s in self._sources.values()) + tuple(
            LogFileStatus(
                path=pattern,
                state=MISSING,
                reason="no file matches",
                fix="check the pattern in log_files; new files are picked up",
                kind="glob",
            )
            for pattern in self._empty_globs
        )
        with self._lock:
            changed = bool(batch) or statuses != self._statuses
            self._statuses = statuses
            buffer = self._buffer
            for line in batch:
                if len(buffer) >= self.capacity:
                    old = buffer.popleft()
                    self._in_buffer[old.level] -= 1
                    self._dropped += 1
                buffer.append(line)
                self._in_buffer[line.level] += 1
                self._totals[line.level] += 1
            self._total += len(batch)
            if batch:
                # The parser is only touched by this (the polling) thread.
                self._anomalies = tuple(sorted(self._parser.anomalies.items()))
                self._samples = tuple(sorted(self._parser.samples.items()))
            marks = self._rate_marks
            marks.append((now, self._total))
            while len(marks) > 2 and now - marks[1][0] >= _RATE_WINDOW:
                marks.popleft()
            span = now - marks[0][0]
            rate = round((self._total - marks[0][1]) / span, 1) if span > 0 else 0.0
            if rate != self._rate:
                self._rate = rate
                changed = True
            if changed:
                self._version += 1

    def snapshot(self) -> LogSnapshot:
        """The current state; the same object while nothing changed."""
        with self._lock:
            cached = self._snapshot
            if cached is not None and cached.version == self._version:
                return cached
            snapshot = LogSnapshot(
                version=self._version,
                files=self._statuses,
                lines=tuple(self._buffer),
                total=self._total,
                dropped=self._dropped,
                capacity=self.capacity,
                levels=tuple((level, self._in_buffer[level]) for level in LEVELS),
                level_totals=tuple((level, self._totals[level]) for level in LEVELS),
                anomalies=self._anomalies,
                samples=self._samples,
                rate=self._rate,
                files_over_limit=self._over_limit,
            )
            self._snapshot = snapshot
            return snapshot


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0
