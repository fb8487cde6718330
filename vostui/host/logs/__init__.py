"""Follow the softswitch's and the system's log files for the log pane and diagnosis.

Headless: `LogFollower` reads files (and the journal) in its own thread and publishes
immutable `LogSnapshot`s of `LogLine`s; `LogFilter`, `LogSearch`, `export` and
`lines_for` choose lines; `failed_logins` and `firewall_hits` group attackers by IP.
"""

from vostui.host.logs.filters import LogFilter, LogSearch, export, levels_at_least, lines_for
from vostui.host.logs.follower import LogFollower, LogSnapshot, is_rotated_name
from vostui.host.logs.identifiers import digits_match
from vostui.host.logs.journal import JournalTail
from vostui.host.logs.levels import DEBUG, ERROR, INFO, LEVELS, WARNING, LevelPattern, detect_level
from vostui.host.logs.line import MAX_LINE_BYTES, LineParser, LogLine, decode_line
from vostui.host.logs.security import (
    FailedLogins,
    FirewallHits,
    failed_logins,
    firewall_hits,
    parse_firewall_line,
)
from vostui.host.logs.tail import FileTail, LogFileStatus
from vostui.host.logs.timestamps import parse_timestamp

__all__ = [
    "DEBUG",
    "ERROR",
    "INFO",
    "LEVELS",
    "MAX_LINE_BYTES",
    "WARNING",
    "FailedLogins",
    "FileTail",
    "FirewallHits",
    "JournalTail",
    "LevelPattern",
    "LineParser",
    "LogFileStatus",
    "LogFilter",
    "LogFollower",
    "LogLine",
    "LogSearch",
    "LogSnapshot",
    "decode_line",
    "detect_level",
    "digits_match",
    "export",
    "failed_logins",
    "firewall_hits",
    "is_rotated_name",
    "levels_at_least",
    "lines_for",
    "parse_firewall_line",
    "parse_timestamp",
]
