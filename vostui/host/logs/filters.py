"""Choose, find and save log lines: filter, search, export, and lines for a call.

All of it works on the cleaned text the pane shows, so what matches is what the
operator sees. Patterns are compiled once, when the filter or search is made; a bad
regular expression raises `ValueError` with a message fit for the status line.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from vostui.host.logs.identifiers import digits_match
from vostui.host.logs.levels import LEVELS
from vostui.host.logs.line import LogLine

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]{5,}(?![0-9])")


def levels_at_least(level: str) -> frozenset[str]:
    """The levels as severe as `level` or more: "warning" gives {error, warning}."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; one of {', '.join(LEVELS)}")
    return frozenset(LEVELS[: LEVELS.index(level) + 1])


def _compile(pattern: str, ignore_case: bool, regex: bool = True) -> re.Pattern[str]:
    source = pattern if regex else re.escape(pattern)
    try:
        return re.compile(source, re.IGNORECASE if ignore_case else 0)
    except re.error as exc:
        raise ValueError(f"bad regular expression {pattern!r}: {exc}") from exc


def _network(value: str) -> IpNetwork | None:
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError as exc:
        raise ValueError(f"not an IP address or network: {value!r}") from exc


def _number_in(line: LogLine, number: str, min_digits: int) -> bool:
    if any(digits_match(number, n, min_digits) for n in line.numbers):
        return True
    # A number the extractor did not label as one (a free-form softswitch log).
    if len(number) < min_digits:
        return False
    return any(digits_match(number, run, min_digits) for run in _DIGIT_RUN.findall(line.text))


def _ip_in(line: LogLine, network: IpNetwork) -> bool:
    for ip in line.ips:
        try:
            if ipaddress.ip_address(ip) in network:
                return True
        except ValueError:
            continue
    return False


@dataclass(frozen=True)
class LogFilter:
    """What the operator asked to see. Empty fields match everything."""

    levels: frozenset[str] = frozenset()
    files: frozenset[str] = frozenset()
    regex: str = ""
    ip: str = ""  # an address or a network ("10.0.0.0/8")
    call_id: str = ""  # substring of a Call-ID in the line
    number: str = ""  # a phone number, matched up to prefixes
    ignore_case: bool = True
    min_digits: int = 7
    _regex: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    _network: IpNetwork | None = field(default=None, init=False, repr=False, compare=False)
    _number: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = set(self.levels) - set(LEVELS)
        if unknown:
            raise ValueError(f"unknown level {sorted(unknown)[0]!r}; one of {', '.join(LEVELS)}")
        if self.regex:
            object.__setattr__(self, "_regex", _compile(self.regex, self.ignore_case))
        if self.ip:
            object.__setattr__(self, "_network", _network(self.ip))
        number = self.number.strip().lstrip("+")
        if number and not number.isdigit():
            raise ValueError(f"not a phone number: {self.number!r}")
        object.__setattr__(self, "_number", number)

    @property
    def active(self) -> bool:
        return bool(
            self.levels or self.files or self.regex or self.ip or self.call_id or self.number
        )

    def matches(self, line: LogLine) -> bool:
        if self.levels and line.level not in self.levels:
            return False
        if self.files and line.file not in self.files:
            return False
        if self._regex is not None and self._regex.search(line.text) is None:
            return False
        if self._network is not None and not _ip_in(line, self._network):
            return False
        if self.call_id and not (
            any(self.call_id in cid for cid in line.call_ids) or self.call_id in line.text
        ):
            return False
        return not (self._number and not _number_in(line, self._number, self.min_digits))

    def apply(self, lines: Iterable[LogLine]) -> tuple[LogLine, ...]:
        if not self.active:
            return tuple(lines)
        return tuple(line for line in lines if self.matches(line))


@dataclass(frozen=True)
class LogSearch:
    """A search in the shown lines: which match, where to highlight, next and previous."""

    pattern: str
    regex: bool = False  # False: the pattern is plain text
    ignore_case: bool = True
    _compiled: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.pattern:
            object.__setattr__(
                self, "_compiled", _compile(self.pattern, self.ignore_case, self.regex)
            )

    def matches(self, text: str) -> bool:
        return self._compiled is not None and self._compiled.search(text) is not None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every match in `text`, to highlight (empty matches skipped)."""
        if self._compiled is None:
            return []
        return [m.span() for m in self._compiled.finditer(text) if m.end() > m.start()]

    def indexes(self, lines: Sequence[LogLine]) -> list[int]:
        """Positions in `lines` of the lines that match, ascending."""
        if self._compiled is None:
            return []
        search = self._compiled.search
        return [i for i, line in enumerate(lines) if search(line.text) is not None]

    @staticmethod
    def next_index(indexes: Sequence[int], current: int, wrap: bool = True) -> int | None:
        """The first match after position `current` (wrapping to the first)."""
        for index in indexes:
            if index > current:
                return index
        return indexes[0] if wrap and indexes else None

    @staticmethod
    def previous_index(indexes: Sequence[int], current: int, wrap: bool = True) -> int | None:
        """The last match before position `current` (wrapping to the last)."""
        for index in reversed(indexes):
            if index < current:
                return index
        return indexes[-1] if wrap and indexes else None


def lines_for(
    lines: Iterable[LogLine],
    call_ids: Iterable[str] = (),
    numbers: Iterable[str] = (),
    ips: Iterable[str] = (),
    min_digits: int = 7,
) -> tuple[LogLine, ...]:
    """The lines that name any of these Call-IDs, numbers or IPs (a call's log lines)."""
    wanted_ids = [c for c in call_ids if c]
    wanted_numbers = [n.lstrip("+") for n in numbers if n and n.lstrip("+").isdigit()]
    wanted_ips: set[str] = set()
    for ip in ips:
        try:
            wanted_ips.add(ipaddress.ip_address(ip.strip()).compressed)
        except ValueError:
            continue
    if not (wanted_ids or wanted_numbers or wanted_ips):
        return ()

    def names_any(line: LogLine) -> bool:
        if not wanted_ips.isdisjoint(line.ips):
            return True
        if any(cid in line.call_ids or cid in line.text for cid in wanted_ids):
            return True
        return any(_number_in(line, n, min_digits) for n in wanted_numbers)

    return tuple(line for line in lines if names_any(line))


def export(
    lines: Iterable[LogLine],
    path: str,
    *,
    include_file: bool = True,
    overwrite: bool = False,
) -> int:
    """Write the lines (clean text, one per line) to `path`; returns how many.

    The file appears whole or not at all (written aside, then renamed). An existing
    file is kept unless `overwrite`: FileExistsError lets the pane ask first.
    """
    if not overwrite and os.path.exists(path):
        raise FileExistsError(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=".vostui-export-", dir=directory)
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            for line in lines:
                if include_file:
                    handle.write(f"{line.file}: {line.text}\n")
                else:
                    handle.write(f"{line.text}\n")
                count += 1
        os.chmod(temporary, 0o640)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    return count
