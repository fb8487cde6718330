"""Follow one log file by its path, across rotations, without losing or repeating a line.

Polling, not inotify: it works the same on every file system and container, and a stat
every few hundred milliseconds costs nothing. Each poll:

- the file is read through an open descriptor from the last offset; every read also
  re-reads the 64 bytes before that offset, and if they changed the file was truncated
  (copytruncate) even when it has already grown back past the old offset;
- on truncation, the bytes written after our last read and before the copy are read from
  the rotated copy (`NAME.1`, `NAME-20261126`, …) whose bytes before our offset match,
  then reading starts again at 0;
- a new inode at the path (rename and create, or delete and recreate) means rotation:
  the old descriptor is read to its end and kept for a grace period for a writer that
  has not reopened yet, and the new file is read from its start;
- a path that is gone keeps the open descriptor read (a deleted file a daemon still
  writes), and is picked up again when it comes back.

Lines are split on b"\\n"; an incomplete last line waits for its end, keeping at most the
line cap and counting the rest.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass

from vostui.host.logs.line import MAX_LINE_BYTES

CHUNK = 256 * 1024
# Bytes read from one file per poll: about 10,000 lines, a fraction of a second to parse,
# so a flood never holds the thread away from its stop flag for long.
READ_BUDGET = 1024 * 1024
FINGERPRINT = 64
TAIL_SCAN_MAX = 8 * 1024 * 1024  # how far back "the last N lines" may look
MAX_DRAINING = 4
RECOVER_MAX = 64 * 1024 * 1024
# Unread bytes beyond which the tail skips ahead (keeping the newest quarter): at the
# ~3-5 MB/s a core parses, about 4 s of lag in a flood, not minutes.
MAX_BACKLOG = 16 * 1024 * 1024
COMPRESSED = re.compile(r"\.(?:gz|bz2|xz|zst|lz4|lzma|lz|Z|zip|7z)$")

FOLLOWING = "following"
DELETED = "deleted"
MISSING = "missing"
UNREADABLE = "unreadable"
STOPPED = "stopped"

RawLine = tuple[bytes, int]  # (bytes kept, bytes cut off the end)
Identity = tuple[int, int]  # (device, inode)
Position = tuple[int, bytes]  # (offset read up to, the bytes just before it)
MAX_FINISHED = 16


@dataclass(frozen=True, slots=True)
class LogFileStatus:
    """What the log pane says about one followed file (or the journal)."""

    path: str
    state: str  # following | deleted | missing | unreadable | stopped
    reason: str = ""  # why, in the operator's words ("" when following normally)
    fix: str = ""  # what to do about it
    kind: str = "file"  # file | glob | journal
    lines: int = 0
    bytes: int = 0
    size: int = 0
    rotations: int = 0  # new file at the path (rename+create, delete+recreate)
    truncations: int = 0  # copytruncate or truncated in place
    recovered_bytes: int = 0  # read from the rotated copy after a truncation
    skipped_bytes: int = 0  # jumped over because reading fell too far behind
    behind_bytes: int = 0  # written but not read yet (a flood being caught up)
    last_data: float = 0.0  # when data last arrived (epoch), 0 if never


def explain_error(exc: OSError, path: str) -> tuple[str, str]:
    """(reason, fix) for a file that cannot be followed."""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return reason, (
            "run vostui as root, or give its user read access "
            f"(group adm, or an ACL: setfacl -m u:USER:r {path})"
        )
    if exc.errno == errno.ENOENT:
        return reason, "check the path in log_files; it is picked up when it appears"
    if exc.errno == errno.EISDIR:
        return reason, f"this is a directory: follow the files in it with a glob ({path}/*.log)"
    if exc.errno == errno.ELOOP:
        return reason, "a symbolic link loop: point log_files at the real file"
    return reason, "check the path in log_files"


def _not_regular(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a directory"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a file"
    return "is not a regular file"


class LineSplitter:
    """Cuts a byte stream into lines; holds the incomplete last one (at most `max_line`)."""

    __slots__ = ("max_line", "overflow", "partial", "skip_line")

    def __init__(self, max_line: int = MAX_LINE_BYTES) -> None:
        self.max_line = max_line
        self.partial = b""
        self.overflow = 0  # bytes of the incomplete line beyond `max_line`
        self.skip_line = False  # after a jump: discard up to the next newline

    def feed(self, data: bytes, out: list[RawLine]) -> None:
        """Split `data` into complete lines after what is held; keep the rest."""
        cap = self.max_line
        if self.skip_line:
            newline = data.find(b"\n")
            if newline < 0:
                return
            self.skip_line = False
            data = data[newline + 1 :]
        if self.overflow:
            newline = data.find(b"\n")
            if newline < 0:
                self.overflow += len(data)
                return
            out.append((self.partial, self.overflow + newline))
            self.partial = b""
            self.overflow = 0
            data = data[newline + 1 :]
        if self.partial:
            data = self.partial + data
        parts = data.split(b"\n")
        last = parts.pop()
        for part in parts:
            if len(part) > cap:
                out.append((part[:cap], len(part) - cap))
            else:
                out.append((part, 0))
        if len(last) > cap:
            self.partial = last[:cap]
            self.overflow = len(last) - cap
        else:
            self.partial = last

    def flush(self, out: list[RawLine]) -> None:
        """Give up waiting for the end of the held line: emit what we have."""
        if self.partial or self.overflow:
            out.append((self.partial, self.overflow))
        self.partial = b""
        self.overflow = 0


class _Handle(LineSplitter):
    """One open file: where we are in it and the incomplete line we hold."""

    __slots__ = ("dev", "fd", "fp", "idle_since", "ino", "offset")

    def __init__(self, fd: int, st: os.stat_result, max_line: int, now: float) -> None:
        super().__init__(max_line)
        self.fd = fd
        self.dev = st.st_dev
        self.ino = st.st_ino
        self.offset = 0
        self.fp = b""  # the bytes just before `offset`, to notice truncation
        self.idle_since = now

    @property
    def identity(self) -> tuple[int, int]:
        return (self.dev, self.ino)

    def seek(self, offset: int) -> None:
        self.offset = offset
        size = min(FINGERPRINT, offset)
        self.fp = os.pread(self.fd, size, offset - size) if size else b""
        self.partial = b""
        self.overflow = 0
        self.skip_line = False

    def read(self, budget: int, out: list[RawLine], now: float) -> tuple[str, int]:
        """Read up to `budget` bytes: ("eof" | "more" | "truncated", bytes read)."""
        done = 0
        while done < budget:
            held = len(self.fp)
            data = os.pread(self.fd, CHUNK + held, self.offset - held)
            if held and data[:held] != self.fp:
                return "truncated", done
            if len(data) == held:
                return "eof", done
            new = data[held:]
            self.offset += len(new)
            self.fp = data[-FINGERPRINT:]
            self.idle_since = now
            self.feed(new, out)
            done += len(new)
        return "more", done

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


def _tail_offset(fd: int, size: int, lines: int) -> int:
    """Offset where the last `lines` lines of the file start."""
    if lines <= 0 or size == 0:
        return size
    if os.pread(fd, 1, size - 1) != b"\n":
        lines += 1  # the incomplete last line waits for its end; it is not one of them
    found = 0
    pos = size
    last_start = size
    while pos > 0 and size - pos < TAIL_SCAN_MAX:
        start = max(0, pos - 64 * 1024)
        block = os.pread(fd, pos - start, start)
        end = len(block)
        while True:
            newline = block.rfind(b"\n", 0, end)
            if newline < 0:
                break
            end = newline
            if start + newline == size - 1:
                continue  # the newline that ends the last line
            found += 1
            last_start = start + newline + 1
            if found == lines:
                return last_start
        pos = start
    return 0 if pos == 0 else last_start


class FileTail:
    """Follows one path; `poll` returns the complete raw lines that arrived since."""

    def __init__(
        self,
        path: str,
        *,
        kind: str = "file",
        tail_lines: int = 200,
        start_at_end: bool = True,
        max_line_bytes: int = MAX_LINE_BYTES,
        grace: float = 2.0,
        max_backlog: int = MAX_BACKLOG,
        retry: float = 1.0,
        resume: dict[Identity, Position] | None = None,
    ) -> None:
        self.path = path
        self.kind = kind
        self.tail_lines = tail_lines
        self.max_line_bytes = max_line_bytes
        self.grace = grace
        self.max_backlog = max_backlog
        self.retry = retry
        self._start_at_end = start_at_end
        self._current: _Handle | None = None
        self._draining: list[_Handle] = []
        self._next_open = 0.0
        # Where earlier tails stopped in files they closed: a rotated file that a glob
        # matches under its new name continues from there instead of being read again.
        self._resume = resume or {}
        self.finished: dict[Identity, Position] = {}
        self.state = MISSING
        self.reason = "not read yet"
        self.fix = ""
        self.lines = 0
        self.bytes = 0
        self.size = 0
        self.rotations = 0
        self.truncations = 0
        self.recovered_bytes = 0
        self.skipped_bytes = 0
        self.behind_bytes = 0
        self.last_data = 0.0
        self.missing_since: float | None = None

    # -- what the follower asks -------------------------------------------------

    def identities(self) -> set[Identity]:
        """(device, inode) of every file this tail holds open."""
        handles = [*self._draining, *([self._current] if self._current else [])]
        return {h.identity for h in handles}

    def status(self) -> LogFileStatus:
        return LogFileStatus(
            path=self.path,
            state=self.state,
            reason=self.reason,
            fix=self.fix,
            kind=self.kind,
            lines=self.lines,
            bytes=self.bytes,
            size=self.size,
            rotations=self.rotations,
            truncations=self.truncations,
            recovered_bytes=self.recovered_bytes,
            skipped_bytes=self.skipped_bytes,
            behind_bytes=self.behind_bytes,
            last_data=self.last_data,
        )

    def close(self) -> None:
        for handle in self._draining:
            handle.close()
        self._draining.clear()
        if self._current is not None:
            self._current.close()
            self._current = None

    # -- polling -----------------------------------------------------------------

    def poll(self, now: float, budget: int = READ_BUDGET) -> tuple[list[RawLine], bool]:
        """New complete lines, and whether more data is waiting beyond `budget`."""
        out: list[RawLine] = []
        more = self._drain_old(now, budget, out)
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            # A file that appears later is new: read it whole, not its tail.
            self._start_at_end = False
            self._path_gone(now)
        except OSError as exc:
            self._set_unreadable(*explain_error(exc, self.path))
        else:
            self.missing_since = None
            if not stat.S_ISREG(st.st_mode):
                self._retire_current(now, out)
                self._set_unreadable(_not_regular(st.st_mode), self._fix_not_regular(st.st_mode))
            elif self._current is None:
                self._open(now)
            elif (st.st_dev, st.st_ino) != self._current.identity:
                # Rotated: finish the old file before the first byte of the new one.
                if self._read(self._current, now, budget, out):
                    return self._count(out, now), True
                self._retire_current(now, out)
                self.rotations += 1
                self._start_at_end = False
                self._open(now)
        if self._current is not None:
            more = self._read(self._current, now, budget, out) or more
        return self._count(out, now), more

    def _count(self, out: list[RawLine], now: float) -> list[RawLine]:
        if out:
            self.lines += len(out)
            self.last_data = now
        return out

    def _fix_not_regular(self, mode: int) -> str:
        if stat.S_ISDIR(mode):
            return f"follow the files in it with a glob ({self.path}/*.log)"
        return "point log_files at the file the program writes"

    def _set_unreadable(self, reason: str, fix: str) -> None:
        if self._current is None:
            self.state = UNREADABLE
            self.reason = reason
            self.fix = fix

    def _path_gone(self, now: float) -> None:
        if self.missing_since is None:
            self.missing_since = now
        if self._current is not None:
            self.state = DELETED
            self.reason = "deleted; still reading the open file until a new one appears"
            self.fix = ""
        else:
            self.state = MISSING
            self.reason = "no such file"
            self.fix = "check the path in log_files; it is picked up when it appears"

    def _open(self, now: float) -> None:
        if now < self._next_open:
            return
        try:
            # O_NONBLOCK: if the path became a FIFO since the stat, open must not hang.
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as exc:
            self._next_open = now + self.retry
            if exc.errno == errno.ENOENT:
                self._path_gone(now)
            else:
                self._set_unreadable(*explain_error(exc, self.path))
            return
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            self._set_unreadable(_not_regular(st.st_mode), self._fix_not_regular(st.st_mode))
            return
        for index, old in enumerate(self._draining):
            if old.identity == (st.st_dev, st.st_ino):
                # The old file came back under its name: carry on where we were.
                os.close(fd)
                self._current = self._draining.pop(index)
                break
        else:
            handle = _Handle(fd, st, self.max_line_bytes, now)
            try:
                if self._start_at_end:
                    start = _tail_offset(fd, st.st_size, self.tail_lines)
                else:
                    start = self._resume_offset(handle, st.st_size)
                handle.seek(start)
            except OSError as exc:
                handle.close()
                self._set_unreadable(*explain_error(exc, self.path))
                return
            self._current = handle
            self._start_at_end = False
        self.state = FOLLOWING
        self.reason = ""
        self.fix = ""

    def _resume_offset(self, handle: _Handle, size: int) -> int:
        position = self._resume.get(handle.identity)
        if position is None:
            return 0
        offset, fp = position
        # The inode number may have been reused by an unrelated file: check the bytes.
        if offset > size or os.pread(handle.fd, len(fp), offset - len(fp)) != fp:
            return 0
        return offset

    def _finish(self, handle: _Handle, out: list[RawLine]) -> None:
        handle.flush(out)
        handle.close()
        self.finished[handle.identity] = (handle.offset, handle.fp)
        while len(self.finished) > MAX_FINISHED:
            del self.finished[next(iter(self.finished))]

    def _retire_current(self, now: float, out: list[RawLine]) -> None:
        if self._current is None:
            return
        self._current.idle_since = now
        self._draining.append(self._current)
        self._current = None
        while len(self._draining) > MAX_DRAINING:
            self._finish(self._draining.pop(0), out)

    def _drain_old(self, now: float, budget: int, out: list[RawLine]) -> bool:
        more = False
        for handle in list(self._draining):
            more = self._read(handle, now, budget, out) or more
            if now - handle.idle_since >= self.grace and handle in self._draining:
                self._draining.remove(handle)
                self._finish(handle, out)
        return more

    def _read(self, handle: _Handle, now: float, budget: int, out: list[RawLine]) -> bool:
        """Read what is new in `handle`; True if more is waiting."""
        try:
            size = os.fstat(handle.fd).st_size
            if handle is self._current:
                self.size = size
            if size - handle.offset > self.max_backlog:
                self._skip_ahead(handle, size, out)
            result, done = handle.read(budget, out, now)
            self.bytes += done
            if handle is self._current:
                self.behind_bytes = max(0, size - handle.offset)
            if result == "truncated":
                self.truncations += 1
                self._recover_from_copy(handle, out)
                handle.flush(out)
                handle.seek(0)
                result, done = handle.read(budget, out, now)
                self.bytes += done
        except OSError as exc:
            # An I/O error on an open file (a vanished NFS mount): stop reading it.
            reason, fix = explain_error(exc, self.path)
            handle.flush(out)
            handle.close()
            if handle is self._current:
                self._current = None
                self._set_unreadable(reason, fix)
            else:
                self._draining.remove(handle)
            return False
        return result == "more"

    def _skip_ahead(self, handle: _Handle, size: int, out: list[RawLine]) -> None:
        # Far behind (a flood, or a huge file that just appeared): keep the newest part.
        target = size - self.max_backlog // 4
        self.skipped_bytes += target - handle.offset
        handle.flush(out)
        handle.seek(target)
        # Start at a line boundary: drop the rest of the line we landed in.
        handle.skip_line = handle.fp[-1:] != b"\n"

    def _recover_from_copy(self, handle: _Handle, out: list[RawLine]) -> None:
        """After copytruncate, read what we missed from the copy logrotate made."""
        fp = handle.fp
        if not fp:
            return
        directory = os.path.dirname(self.path) or "."
        base = os.path.basename(self.path)
        stem = base.rsplit(".", 1)[0] if "." in base else base
        try:
            names = os.listdir(directory)
        except OSError:
            return
        candidates = []
        for name in names:
            if name == base or not name.startswith(stem) or COMPRESSED.search(name):
                continue
            path = os.path.join(directory, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and st.st_size >= handle.offset:
                candidates.append((st.st_mtime, path))
        for _, path in sorted(candidates, reverse=True)[:8]:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                if os.fstat(fd).st_ino == handle.ino:
                    continue
                if os.pread(fd, len(fp), handle.offset - len(fp)) != fp:
                    continue
                offset = handle.offset
                while offset - handle.offset < RECOVER_MAX:
                    data = os.pread(fd, CHUNK, offset)
                    if not data:
                        break
                    handle.feed(data, out)
                    offset += len(data)
                self.recovered_bytes += offset - handle.offset
                return
            except OSError:
                continue
            finally:
                os.close(fd)
