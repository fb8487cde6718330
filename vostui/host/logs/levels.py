"""Severity of a log line: error, warning, info or debug.

Read from a syslog priority (`<11>`), a `level=` field, a bracketed or upper-case level
word near the start of the line, or a lower-case `error:` form; a per-file pattern from
the configuration wins over all of them. A line with no sign of a level is `info`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass

from vostui.host.logs.identifiers import is_firewall_line

ERROR = "error"
WARNING = "warning"
INFO = "info"
DEBUG = "debug"
LEVELS: tuple[str, ...] = (ERROR, WARNING, INFO, DEBUG)

_WORDS = {
    "emerg": ERROR,
    "emergency": ERROR,
    "alert": ERROR,
    "crit": ERROR,
    "critical": ERROR,
    "fatal": ERROR,
    "panic": ERROR,
    "severe": ERROR,
    "error": ERROR,
    "err": ERROR,
    "warn": WARNING,
    "warning": WARNING,
    "notice": INFO,
    "info": INFO,
    "information": INFO,
    "informational": INFO,
    "debug": DEBUG,
    "trace": DEBUG,
    "verbose": DEBUG,
}

# Only the head of a line carries its level; looking further finds words in messages.
_HEAD = 200
# Cheap substring checks first: most lines hold none of these and skip the rest.
_GATES: tuple[str, ...] = ("err", "warn", "info", "debug", "trace", "crit", "fatal", "emerg")
_GATES += ("alert", "panic", "severe", "notice", "verbose")
_WORD = re.compile(r"[A-Za-z]+")
_KEY_BEFORE = re.compile(r"(?:level|lvl|severity)[\"']?\s*[=:]\s*[\"']?$", re.IGNORECASE)
_PRI = re.compile(r"<(\d{1,3})>")
_NOT_BEFORE = "./-_"
# Lines with no level word that an operator still wants to see highlighted.
_WARNING_PHRASES: tuple[str, ...] = ("Failed password", "authentication failure", "Invalid user")
_WARNING_PHRASES += ("BREAK-IN ATTEMPT", "refused connect")
_ERROR_PHRASES = ("segfault", "Out of memory", "oom-kill", "Call Trace")


def _from_priority(text: str) -> str | None:
    # "<PRI>" is facility*8 + severity; the severity is what matters here.
    match = _PRI.match(text)
    if match is None:
        return None
    severity = int(match.group(1)) & 7
    if severity <= 3:
        return ERROR
    if severity == 4:
        return WARNING
    if severity == 7:
        return DEBUG
    return INFO


def _level_word(text: str, head: str) -> str | None:
    """The first level word standing as a level: [ERROR], <warn>, ERROR, error:, level=info."""
    best: tuple[int, str] | None = None
    for gate in _GATES:
        index = head.find(gate)
        while index >= 0 and (best is None or index < best[0]):
            before = text[index - 1] if index else " "
            if not (before.isalnum() or before in _NOT_BEFORE):
                match = _WORD.match(text, index)
                word = match.group() if match else ""
                level = _WORDS.get(word.lower())
                end = index + len(word)
                after = text[end : end + 1]
                if level is not None and (
                    (before in "[<(|" and after in ("]", ">", ")", "|"))
                    or (word.isupper() and not after.isalnum() and after not in _NOT_BEFORE)
                    or after == ":"
                    or (after == " " and text[end + 1 : end + 2] == ":")
                    or _KEY_BEFORE.search(text, max(0, index - 14), index) is not None
                ):
                    best = (index, level)
                    break
            index = head.find(gate, index + 1)
    return best[1] if best else None


def detect_level(text: str) -> str:
    """The level of one cleaned line by the built-in rules (no per-file patterns)."""
    if text.startswith("<"):
        level = _from_priority(text)
        if level is not None:
            return level
    if is_firewall_line(text):
        return WARNING
    level = _level_word(text, text[:_HEAD].lower())
    if level is not None:
        return level
    head = text[: _HEAD * 2]
    if any(phrase in head for phrase in _ERROR_PHRASES):
        return ERROR
    if any(phrase in head for phrase in _WARNING_PHRASES):
        return WARNING
    return INFO


@dataclass(frozen=True, slots=True)
class LevelPattern:
    """A configured rule: lines of files matching `files` (a glob) matching `regex` get `level`."""

    files: str
    regex: str
    level: str


class LevelRules:
    """The configured per-file patterns, compiled once, checked before the built-in rules."""

    def __init__(self, patterns: Sequence[LevelPattern | tuple[str, str, str]] = ()) -> None:
        self._patterns: list[tuple[str, re.Pattern[str], str]] = []
        for item in patterns:
            rule = item if isinstance(item, LevelPattern) else LevelPattern(*item)
            if rule.level not in LEVELS:
                raise ValueError(f"level pattern {rule.regex!r}: level must be one of {LEVELS}")
            try:
                compiled = re.compile(rule.regex)
            except re.error as exc:
                raise ValueError(f"level pattern {rule.regex!r}: {exc}") from exc
            self._patterns.append((rule.files, compiled, rule.level))
        self._per_file: dict[str, tuple[tuple[re.Pattern[str], str], ...]] = {}

    def _for_file(self, file: str) -> tuple[tuple[re.Pattern[str], str], ...]:
        rules = self._per_file.get(file)
        if rules is None:
            rules = tuple(
                (regex, level)
                for files, regex, level in self._patterns
                if fnmatch.fnmatchcase(file, files)
            )
            self._per_file[file] = rules
        return rules

    def level(self, file: str, text: str) -> str:
        for regex, level in self._for_file(file):
            if regex.search(text):
                return level
        return detect_level(text)
