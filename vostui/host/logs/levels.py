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

_PRI = re.compile(r"<(\d{1,3})>")
_LEVEL = re.compile(
    r"\b(?:level|lvl|loglevel|severity)\s*[=:]\s*[\"']?(?P<kv>[A-Za-z]+)"
    r"|[\[<(|](?P<br>[A-Za-z]{3,13})[\]>)|]"
    r"|(?<![\w./-])(?P<up>EMERG|ALERT|CRIT|CRITICAL|FATAL|PANIC|SEVERE|ERROR|ERR|WARN|WARNING"
    r"|NOTICE|INFO|DEBUG|TRACE)(?![\w./-])"
    r"|(?<![\w./-])(?P<co>(?i:emerg|alert|crit|critical|fatal|panic|error|err|warn|warning"
    r"|notice|info|debug|trace))\s?:(?!/)"
)
# Lines with no level word that an operator still wants to see highlighted.
_WARNING_PHRASES = re.compile(
    r"Failed password|authentication failure|Invalid user|Connection closed by authenticating"
    r"|BREAK-IN ATTEMPT|refused connect"
)
_ERROR_PHRASES = re.compile(r"segfault|Out of memory|oom-kill|Call Trace")


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


def _is_firewall_log(text: str) -> bool:
    # iptables LOG rules write "PREFIX IN=eth0 OUT= ... SRC=a.b.c.d ...".
    return " SRC=" in text and "IN=" in text and " DST=" in text


def detect_level(text: str) -> str:
    """The level of one cleaned line by the built-in rules (no per-file patterns)."""
    level = _from_priority(text)
    if level is not None:
        return level
    if _is_firewall_log(text):
        return WARNING
    for match in _LEVEL.finditer(text, 0, _HEAD):
        word = match.group(match.lastgroup or 0)
        found = _WORDS.get(word.lower())
        if found is not None:
            return found
    if _ERROR_PHRASES.search(text, 0, _HEAD * 2):
        return ERROR
    if _WARNING_PHRASES.search(text, 0, _HEAD * 2):
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
