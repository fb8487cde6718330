"""The time a log line says it was written, as epoch seconds.

Forms read: ISO 8601 (`2026-11-26T17:45:01.123+01:00`, journalctl's `+0100`), the
VOS3000 and log4j forms (`2026-11-26 17:45:01.123`, `…,123`) and syslog's
`Nov 26 17:45:01`, which has no year: the current one is assumed, and a date more
than a week ahead of now belongs to last year (a December line read in January).
Times without a zone are the host's local time, as the writer on this host meant.
"""

from __future__ import annotations

import calendar
import re
import time

_MONTHS = {
    "Jan": 1,
    "Feb": 2,
    "Mar": 3,
    "Apr": 4,
    "May": 5,
    "Jun": 6,
    "Jul": 7,
    "Aug": 8,
    "Sep": 9,
    "Oct": 10,
    "Nov": 11,
    "Dec": 12,
}
# The stamp must end within the head of the line (after an optional "<PRI>" or "[").
_HEAD = 64
_ISO = (
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})[T ]"
    r"(?P<h>[0-9]{2}):(?P<mi>[0-9]{2}):(?P<s>[0-9]{2})"
    r"(?:[.,](?P<frac>[0-9]{1,9}))?(?P<tz>Z|[+-][0-9]{2}:?[0-9]{2})?(?![0-9])"
)
_SYSLOG = (
    r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (?P<sd>[ 0-9][0-9]) "
    r"(?P<sh>[0-9]{2}):(?P<smi>[0-9]{2}):(?P<ss>[0-9]{2})(?:\.(?P<sfrac>[0-9]{1,6}))?(?![0-9])"
)
# Most lines start with their stamp: a match at 0 is much cheaper than a search.
_ISO_AT = re.compile(_ISO)
_SYSLOG_AT = re.compile(_SYSLOG)
_ANY = re.compile(rf"(?<![0-9]){_ISO}|\b{_SYSLOG}")
_NEXT_YEAR_SLACK = 7 * 86400
_CACHE_MAX = 4096
# Many lines share a second: the conversion to epoch is cached by its fields.
_cache: dict[tuple[int, int, int, int, int, int, str], float] = {}


def _epoch(y: int, mo: int, d: int, h: int, mi: int, s: int, tz: str) -> float | None:
    key = (y, mo, d, h, mi, s, tz)
    value = _cache.get(key)
    if value is not None:
        return value
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h <= 23 and mi <= 59 and s <= 60):
        return None
    fields = (y, mo, d, h, mi, s, 0, 0, -1)
    try:
        if tz:
            value = float(calendar.timegm(fields))
            if tz != "Z":
                sign = -1 if tz[0] == "+" else 1
                digits = tz[1:].replace(":", "")
                value += sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
        else:
            value = time.mktime(fields)
    except (OverflowError, ValueError):
        return None
    if len(_cache) >= _CACHE_MAX:
        _cache.clear()
    _cache[key] = value
    return value


def parse_timestamp(text: str, now: float) -> float | None:
    """Epoch seconds of the stamp at the head of `text`, or None when it has none."""
    first = text[:1]
    if first.isdigit():
        match = _ISO_AT.match(text)
    elif first in "JFMASOND":
        match = _SYSLOG_AT.match(text)
    else:
        match = None
    if match is None:
        match = _ANY.search(text, 0, _HEAD)
        if match is None:
            return None
    groups = match.groupdict()
    if groups.get("y") is not None:
        value = _epoch(
            int(groups["y"]),
            int(groups["mo"]),
            int(groups["d"]),
            int(groups["h"]),
            int(groups["mi"]),
            int(groups["s"]),
            groups["tz"] or "",
        )
        frac = groups["frac"]
    else:
        year = time.localtime(now).tm_year
        fields = (
            _MONTHS[groups["mon"]],
            int(groups["sd"]),
            int(groups["sh"]),
            int(groups["smi"]),
            int(groups["ss"]),
        )
        value = _epoch(year, *fields, "")
        if value is not None and value > now + _NEXT_YEAR_SLACK:
            value = _epoch(year - 1, *fields, "")
        frac = groups["sfrac"]
    if value is None:
        return None
    if frac:
        value += int(frac) / 10 ** len(frac)
    return value
