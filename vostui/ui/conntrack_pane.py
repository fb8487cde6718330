"""Conntrack pane (4): table use against its maximum, drops, and who fills it.

A full conntrack table drops new flows silently: new calls fail while old ones go on.
The gauge is coloured by the configured warn/critical thresholds; the sparkline under
it is scaled to the critical threshold, so its height says how close the table came.
"""

from __future__ import annotations

from textual.content import Content

from vostui.host.conntrack import ConntrackEntriesSnapshot, ConntrackSnapshot
from vostui.host.monitor import HostSnapshot
from vostui.text import clean_line
from vostui.ui.format import BAD, GOOD, QUIET, WARN
from vostui.ui.host_feed import (
    Parts,
    StaticHostPane,
    grouped,
    join_lines,
    per_second,
    problem_content,
    waiting,
)
from vostui.ui.sparkline import gauge, sparkline

LEVEL_STYLE = {"ok": GOOD, "warn": WARN, "critical": BAD}
WATCHED = (("insert_failed", "insert_failed"), ("drop", "drop"), ("early_drop", "early_drop"))


def use_parts(ct: ConntrackSnapshot) -> Parts:
    """`12,345 / 262,144  4.7% ok`."""
    style = LEVEL_STYLE.get(ct.level, "")
    use = "?" if ct.use is None else f"{ct.use * 100:.1f}%"
    return [
        (grouped(ct.count), "bold"),
        (" / ", QUIET),
        (grouped(ct.max), ""),
        ("  ", ""),
        (use, f"{style} bold".strip()),
        (f" {ct.level}" if ct.level else "", style),
    ]


def gauge_parts(ct: ConntrackSnapshot, width: int) -> Parts:
    if ct.use is None or width < 4:
        return []
    return [(gauge(ct.use, width), LEVEL_STYLE.get(ct.level, ""))]


def history_parts(history: tuple[float, ...], critical: float, width: int) -> Parts:
    if not history or width < 8:
        return []
    top = max(critical * 100, max(history))
    return [("use ", QUIET), (sparkline(history, width - 4, top=top), QUIET)]


def drop_parts(ct: ConntrackSnapshot) -> Parts:
    """Rates of the counters that mean lost flows; red when any moves."""
    if not ct.stats:
        return [("drop counters not readable", QUIET)]
    rates = ct.rates or {}
    parts: Parts = []
    for name, label in WATCHED:
        if name not in ct.stats:
            continue
        rate = rates.get(name)
        if parts:
            parts.append(("  ", ""))
        parts += [(f"{label} ", QUIET), (f"{per_second(rate)}/s", BAD if rate else "")]
    return parts


def timeout_parts(ct: ConntrackSnapshot) -> Parts:
    if ct.udp_timeout is None:
        return []
    stream = f" stream {ct.udp_timeout_stream}s" if ct.udp_timeout_stream is not None else ""
    return [("udp timeout ", QUIET), (f"{ct.udp_timeout}s{stream}", "")]


def top_parts(entries: ConntrackEntriesSnapshot | None, limit: int) -> Parts:
    if entries is None or entries.problem or not entries.top_sources or limit <= 0:
        return []
    parts: Parts = [("top ", QUIET)]
    for n, source in enumerate(entries.top_sources[:limit]):
        if n:
            parts.append(("  ", ""))
        parts.append((clean_line(source.address, 46), ""))
        parts.append((f" {grouped(source.entries)}", "bold"))
        if source.sip_entries:
            parts.append((f" ({source.sip_entries} SIP)", WARN))
    return parts


def conntrack_content(host: HostSnapshot, critical: float, width: int) -> Content:
    """The pane's lines, for a body `width` cells wide."""
    ct = host.conntrack
    if ct is None:
        return waiting("conntrack")
    if ct.problem:
        return problem_content("conntrack", ct.problem, ct.fix)
    lines: list[Parts] = [
        use_parts(ct),
        gauge_parts(ct, width),
        history_parts(host.conntrack_use_history, critical, width),
        drop_parts(ct),
        timeout_parts(ct),
        top_parts(host.conntrack_entries, 3),
    ]
    return join_lines(lines)


class ConntrackPane(StaticHostPane):
    NUMBER = 4
    BODY = "conntrack"
    TITLE = "Conntrack"

    DEFAULT_CSS = """
    ConntrackPane > Static {
        padding: 0 1; height: 1fr; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def watched(self, host: HostSnapshot) -> tuple[object, ...]:
        return (host.conntrack, host.conntrack_entries)

    def content(self, host: HostSnapshot, width: int) -> Content:
        critical = float(getattr(getattr(self.app, "config", None), "conntrack_critical", 0.9))
        return conntrack_content(host, critical, width)

    def note(self, host: HostSnapshot) -> str:
        ct = host.conntrack
        if ct is not None and not ct.problem and ct.use is not None:
            return f"{ct.use * 100:.0f}% {ct.level}".strip()
        return ""
