"""Connection tracking: table use, drops, UDP timeouts, and who fills the table.

Count and max come from /proc/sys (a file read costs microseconds; spawning `conntrack`
costs milliseconds). CentOS 7 also has `/proc/sys/net/nf_conntrack_max`; newer kernels
and every non-initial namespace have only `/proc/sys/net/netfilter/nf_conntrack_max`.
The drop counters come from `/proc/net/stat/nf_conntrack` (hex, one row per CPU), or
over netlink with pyroute2 where that file is missing, or from `conntrack -S`.

Listing entries is the expensive part: a softswitch under a scan can hold a million.
`ConntrackEntriesCollector` reads at most `cap` entries per poll, on its own slower
interval, and says how many it read out of how many.
"""

from __future__ import annotations

import re
import socket
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from operator import itemgetter

from vostui.host import ct_netlink
from vostui.host.access import HostAccess, explain_failure
from vostui.host.rates import RateTracker

COUNT_PATHS = ("/proc/sys/net/netfilter/nf_conntrack_count",)
MAX_PATHS = ("/proc/sys/net/netfilter/nf_conntrack_max", "/proc/sys/net/nf_conntrack_max")
STAT_PATH = "/proc/net/stat/nf_conntrack"
ENTRIES_PATH = "/proc/net/nf_conntrack"
UDP_TIMEOUT_PATHS = {
    "udp": "/proc/sys/net/netfilter/nf_conntrack_udp_timeout",
    "udp_stream": "/proc/sys/net/netfilter/nf_conntrack_udp_timeout_stream",
}
BUCKETS_PATH = "/proc/sys/net/netfilter/nf_conntrack_buckets"
WATCHED_STATS = ("insert_failed", "drop", "early_drop", "invalid", "search_restart")
DEFAULT_CAP = 5_000
TOP_SOURCES = 20
MAX_SIP_ENTRIES = 200


@dataclass(frozen=True, slots=True)
class ConntrackSnapshot:
    """Table use and drop counters. `use` is count / max (0..1); level by thresholds."""

    at: float
    count: int | None = None
    max: int | None = None
    use: float | None = None
    level: str = ""  # "ok", "warn", "critical"
    buckets: int | None = None
    stats: Mapping[str, int] | None = None  # summed over CPUs
    rates: Mapping[str, float | None] | None = None  # per second since the previous poll
    udp_timeout: int | None = None
    udp_timeout_stream: int | None = None
    stats_source: str = ""  # "/proc/net/stat/nf_conntrack", "netlink", "conntrack -S"
    problem: str = ""
    fix: str = ""


@dataclass(frozen=True, slots=True)
class ConntrackEntry:
    """One tracked flow, original direction."""

    protocol: str
    source: str
    destination: str
    sport: int | None
    dport: int | None
    timeout: int | None
    state: str  # TCP state, or "" for UDP
    unreplied: bool
    assured: bool


@dataclass(frozen=True, slots=True)
class SourceCount:
    address: str
    entries: int
    sip_entries: int


@dataclass(frozen=True, slots=True)
class ConntrackEntriesSnapshot:
    """Who fills the table, from at most `cap` entries read this poll."""

    at: float
    scanned: int = 0  # entries read
    total: int | None = None  # table size at the same moment (from the count file)
    capped: bool = False  # True when we stopped at `cap`: the figures are a sample
    cap: int = DEFAULT_CAP
    top_sources: tuple[SourceCount, ...] = ()
    sip_entries: tuple[ConntrackEntry, ...] = ()  # on the SIP ports, at most MAX_SIP_ENTRIES
    sip_total: int = 0  # SIP-port entries among those scanned
    by_protocol: Mapping[str, int] | None = None
    source: str = ""  # "netlink", "/proc/net/nf_conntrack" or "conntrack -L"
    seconds: float = 0.0  # how long the read took
    skipped: int = 0  # netlink messages that could not be read (not in `scanned`)
    problem: str = ""
    fix: str = ""

    @property
    def sample_note(self) -> str:
        """What to print next to the figures so nobody mistakes a sample for the table."""
        if not self.capped:
            return f"all {self.scanned} entries"
        total = f" of {self.total}" if self.total is not None else ""
        return f"first {self.scanned}{total} entries (capped at {self.cap})"


def parse_conntrack_stat(text: str) -> dict[str, int]:
    """`/proc/net/stat/nf_conntrack`: hex columns per CPU, named by the header; summed.

    `entries` is the same on every row (a global count), so it is taken once.
    """
    lines = [line.split() for line in text.splitlines() if line.strip()]
    if not lines:
        return {}
    header = lines[0]
    totals: dict[str, int] = {}
    for row in lines[1:]:
        for name, value in zip(header, row, strict=False):
            try:
                number = int(value, 16)
            except ValueError:
                continue
            if name == "entries":
                totals[name] = number
            else:
                totals[name] = totals.get(name, 0) + number
    return totals


_STAT_FIELD = re.compile(r"(\w+)=(\d+)")


def parse_conntrack_s(text: str) -> dict[str, int]:
    """`conntrack -S`: `cpu=0 found=0 invalid=3 ... drop=0 early_drop=0`, summed over CPUs."""
    totals: dict[str, int] = {}
    for line in text.splitlines():
        for name, value in _STAT_FIELD.findall(line):
            if name == "cpu":
                continue
            totals[name] = totals.get(name, 0) + int(value)
    return totals


def level_for(use: float | None, warn: float, critical: float) -> str:
    if use is None:
        return ""
    if use >= critical:
        return "critical"
    if use >= warn:
        return "warn"
    return "ok"


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.split()[0])
    except (IndexError, ValueError):
        return None


class ConntrackCollector:
    """Count, max, use, drop counters and their rates, UDP timeouts."""

    def __init__(
        self,
        access: HostAccess | None = None,
        warn: float = 0.70,
        critical: float = 0.90,
        netlink: bool = True,
    ) -> None:
        self.access = access or HostAccess()
        self.warn = warn
        self.critical = critical
        self.netlink = netlink
        self._rates: RateTracker = RateTracker()

    def poll(self) -> ConntrackSnapshot:
        at = time.time()
        paths = [*COUNT_PATHS, *MAX_PATHS, STAT_PATH, BUCKETS_PATH, *UDP_TIMEOUT_PATHS.values()]
        files = self.access.read_files(paths)
        text = files.text
        count = _int(text.get(COUNT_PATHS[0]))
        if count is None:
            return ConntrackSnapshot(
                at,
                problem="connection tracking is not loaded (no nf_conntrack_count)",
                fix="nothing to watch until a stateful rule loads it; `modprobe nf_conntrack`"
                " if you expected it",
            )
        maximum = next((_int(text.get(p)) for p in MAX_PATHS if _int(text.get(p))), None)
        use = count / maximum if maximum else None
        stats: dict[str, int] = {}
        source = ""
        if STAT_PATH in text:
            stats = parse_conntrack_stat(text[STAT_PATH])
            source = STAT_PATH
        elif self.netlink and self.access.local:
            stats = _netlink_stats()
            source = "netlink" if stats else ""
        if not stats:
            result = self.access.run(["conntrack", "-S"])
            if result.ok:
                stats = parse_conntrack_s(result.stdout)
                source = "conntrack -S"
        watched = {name: float(stats[name]) for name in WATCHED_STATS if name in stats}
        rates = self._rates.update(watched, time.monotonic())
        return ConntrackSnapshot(
            at=at,
            count=count,
            max=maximum,
            use=use,
            level=level_for(use, self.warn, self.critical),
            buckets=_int(text.get(BUCKETS_PATH)),
            stats=stats or None,
            rates=rates or None,
            udp_timeout=_int(text.get(UDP_TIMEOUT_PATHS["udp"])),
            udp_timeout_stream=_int(text.get(UDP_TIMEOUT_PATHS["udp_stream"])),
            stats_source=source,
        )


def _netlink_stats() -> dict[str, int]:
    """Per-CPU conntrack stats over netlink, summed; {} when pyroute2 cannot."""
    try:
        from pyroute2 import Conntrack
    except ImportError:
        return {}
    try:
        with Conntrack() as ct:
            rows = ct.stat()
    except Exception:  # netlink errors come in many classes; stats are optional
        return {}
    totals: dict[str, int] = {}
    for row in rows or []:
        for name, value in (row or {}).items():
            if isinstance(value, int) and name != "cpu":
                totals[name] = totals.get(name, 0) + value
    return totals


# --- entries ----------------------------------------------------------------------------


def parse_conntrack_line(line: str) -> ConntrackEntry | None:
    """One line of `/proc/net/nf_conntrack` (or `conntrack -L`), original direction."""
    parts = line.split()
    if len(parts) < 4:
        return None
    i = 0
    if parts[0] in ("ipv4", "ipv6"):
        i = 2
    if len(parts) < i + 3:
        return None
    protocol = parts[i]
    timeout = _int(parts[i + 2])
    rest = parts[i + 3 :]
    state = ""
    if rest and "=" not in rest[0] and not rest[0].startswith("["):
        state = rest[0]
    fields: dict[str, str] = {}
    unreplied = assured = False
    for token in rest:
        if token == "[UNREPLIED]":
            unreplied = True
            continue
        if token == "[ASSURED]":
            assured = True
            continue
        key, sep, value = token.partition("=")
        if sep and key not in fields:  # first occurrence is the original direction
            fields[key] = value
    if "src" not in fields:
        return None
    return ConntrackEntry(
        protocol=protocol,
        source=fields.get("src", ""),
        destination=fields.get("dst", ""),
        sport=_int(fields.get("sport")),
        dport=_int(fields.get("dport")),
        timeout=timeout,
        state=state,
        unreplied=unreplied,
        assured=assured,
    )


Summary = tuple[tuple[SourceCount, ...], tuple[ConntrackEntry, ...], int, dict[str, int], int]


def address_text(text: str) -> str:
    """An address as inet_ntop writes it: /proc prints IPv6 in full (all eight groups
    of four digits), netlink and `conntrack -L` compressed; one form on screen."""
    if ":" not in text:
        return text
    try:
        return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, text))
    except (OSError, ValueError):
        return text


def _shown(entry: ConntrackEntry) -> ConntrackEntry:
    if ":" not in entry.source and ":" not in entry.destination:
        return entry
    return replace(
        entry, source=address_text(entry.source), destination=address_text(entry.destination)
    )


def summarize_entries(
    entries: Iterable[ConntrackEntry],
    sip_ports: Iterable[int],
    top: int = TOP_SOURCES,
    max_sip: int = MAX_SIP_ENTRIES,
) -> tuple[tuple[SourceCount, ...], tuple[ConntrackEntry, ...], int, dict[str, int], int]:
    """(top sources, SIP entries, SIP total, count per protocol, scanned)."""
    ports = frozenset(sip_ports)
    per_source: Counter[str] = Counter()
    per_source_sip: Counter[str] = Counter()
    protocols: Counter[str] = Counter()
    sip: list[ConntrackEntry] = []
    sip_total = 0
    scanned = 0
    for entry in entries:
        scanned += 1
        per_source[entry.source] += 1
        protocols[entry.protocol] += 1
        if entry.dport in ports or entry.sport in ports:
            sip_total += 1
            per_source_sip[entry.source] += 1
            if len(sip) < max_sip:
                sip.append(_shown(entry))
    top_sources = tuple(
        SourceCount(address_text(address), count, per_source_sip.get(address, 0))
        for address, count in per_source.most_common(top)
    )
    return top_sources, tuple(sip), sip_total, dict(protocols), scanned


# One line of /proc/net/nf_conntrack (`ipv4 2 udp 17 29 src=.. dst=.. sport=.. dport=..`)
# or of `conntrack -L` (`udp 17 29 src=..`): the first and third words (the protocol is
# one of them), the original direction's source, and its ports, which follow `dst=`
# (none for ICMP or GRE). Matched from the newline before the line (the text is given
# one in front): a pattern that starts with a literal is searched for at C speed, where
# "^" in multiline mode is tried at every character. No lazy scan over the line either:
# `src=` holds its first "=".
_ENTRY = re.compile(
    r"\n(\S+)[ \t]+\S+[ \t]+(\S+)(?:[^=\n]*|[^\n]*?) src=(\S+) dst=\S+"
    r"(?: sport=(\d+) dport=(\d+))?"
)


def summarize_text(
    text: str,
    sip_ports: Iterable[int],
    top: int = TOP_SOURCES,
    max_sip: int = MAX_SIP_ENTRIES,
) -> tuple[tuple[SourceCount, ...], tuple[ConntrackEntry, ...], int, dict[str, int], int]:
    """Like `summarize_entries` over `/proc/net/nf_conntrack` text, without building an
    entry per line: one regular expression cuts out the source, protocol and ports and
    the counting runs in C (the table can hold a million lines); full entries are
    parsed for the SIP-port lines kept."""
    ports = {str(p) for p in sip_ports}
    found = _ENTRY.findall("\n" + text)
    per_source: Counter[str] = Counter(map(itemgetter(2), found))
    protocols: Counter[str] = Counter()
    for (first, third), n in Counter(map(itemgetter(0, 1), found)).items():
        protocols[third if first in ("ipv4", "ipv6") else first] += n
    sip_found = [f for f in found if f[3] in ports or f[4] in ports]
    per_source_sip: Counter[str] = Counter(map(itemgetter(2), sip_found))
    sip: list[ConntrackEntry] = []
    if sip_found:
        for line in _lines_naming(text, [f"port={p}" for p in sorted(ports)]):
            match = _ENTRY.match("\n" + line)
            if match is not None and (match[4] in ports or match[5] in ports):
                entry = parse_conntrack_line(line)
                if entry is not None:
                    sip.append(_shown(entry))
                    if len(sip) >= max_sip:
                        break
    top_sources = tuple(
        SourceCount(address_text(address), count, per_source_sip.get(address, 0))
        for address, count in per_source.most_common(top)
    )
    return top_sources, tuple(sip), len(sip_found), dict(protocols), len(found)


def summarize_found(
    batches: ct_netlink.Batches, top: int = TOP_SOURCES, max_sip: int = MAX_SIP_ENTRIES
) -> Summary:
    """Like `summarize_text` over the entries a ctnetlink dump gave: counted on the raw
    bytes (in C); only the top sources and the SIP entries kept become text."""
    found = batches.found
    per_source: Counter[bytes] = Counter(map(itemgetter(0), found))
    sip_found = [found[i] for i in batches.sip_found]
    per_source_sip: Counter[bytes] = Counter(map(itemgetter(0), sip_found))
    top_sources = tuple(
        SourceCount(ct_netlink.source_of(key), count, per_source_sip.get(key, 0))
        for key, count in per_source.most_common(top)
    )
    sip = tuple(_entry_of(flow) for flow in batches.sip[:max_sip])
    return top_sources, sip, len(sip_found), ct_netlink.protocol_counts(found), len(found)


def _entry_of(flow: ct_netlink.Flow) -> ConntrackEntry:
    status = flow.status or 0
    return ConntrackEntry(
        protocol=ct_netlink.protocol_name(flow.protocol),
        source=ct_netlink.address_text(flow.source),
        destination=ct_netlink.address_text(flow.destination),
        sport=flow.sport if flow.protocol in ct_netlink.PORTED else None,
        dport=flow.dport if flow.protocol in ct_netlink.PORTED else None,
        timeout=flow.timeout,
        state=flow.state,
        unreplied=not status & ct_netlink.IPS_SEEN_REPLY,
        assured=bool(status & ct_netlink.IPS_ASSURED),
    )


def _lines_naming(text: str, needles: list[str]) -> list[str]:
    """The lines holding one of `needles` (followed by a non-digit), in text order:
    found with str.find, so only those lines are touched."""
    starts: set[int] = set()
    for needle in needles:
        at = text.find(needle)
        while at >= 0:
            end = at + len(needle)
            if end == len(text) or not text[end].isdigit():
                starts.add(text.rfind("\n", 0, at) + 1)
            at = text.find(needle, end)
    out = []
    for start in sorted(starts):
        end = text.find("\n", start)
        out.append(text[start:] if end < 0 else text[start:end])
    return out


def parse_conntrack_entries(text: str) -> Iterator[ConntrackEntry]:
    for line in text.splitlines():
        entry = parse_conntrack_line(line)
        if entry is not None:
            yield entry


class ConntrackEntriesCollector:
    """Top sources and SIP-port entries, from at most `cap` entries per poll."""

    def __init__(
        self,
        access: HostAccess | None = None,
        sip_ports: Iterable[int] = (5060,),
        cap: int = DEFAULT_CAP,
        netlink: bool = True,
    ) -> None:
        self.access = access or HostAccess()
        self.sip_ports = tuple(sip_ports)
        self.cap = cap
        self.netlink = netlink  # ctnetlink first (local only), the text when it fails
        self.retry_after = 60.0
        self.why_not_netlink = ""
        self._netlink_off_until = 0.0
        self._skipped = 0

    def poll(self) -> ConntrackEntriesSnapshot:
        at = time.time()
        started = time.monotonic()
        count_text = self.access.read(COUNT_PATHS[0]) if self.access.local else None
        entries: Iterable[ConntrackEntry] = ()
        # Only where nf_conntrack is loaded: a ctnetlink request makes the kernel load
        # nf_conntrack_netlink, and nf_conntrack with it, on a host that runs without.
        loaded = self.access.local and count_text is not None
        summary = self._netlink_summary() if self.netlink and loaded else None
        source = "netlink"
        skipped = self._skipped if summary is not None else 0
        if summary is None:
            files = self.access.read_files([ENTRIES_PATH], max_lines=self.cap)
            text = files.get(ENTRIES_PATH)
            source = ENTRIES_PATH
            if text is not None:
                summary = summarize_text(text, self.sip_ports)
            elif self.access.local and count_text is None:
                # `conntrack -L` would load nf_conntrack too: a monitor loads no module.
                return ConntrackEntriesSnapshot(
                    at,
                    cap=self.cap,
                    problem="connection tracking is not loaded (no nf_conntrack_count)",
                    fix="nothing to list until a stateful rule loads it",
                )
            else:
                result = self.access.run(["conntrack", "-L"], timeout=10)
                if not result.ok:
                    problem, fix = explain_failure(result, "conntrack")
                    why = files.errors.get(ENTRIES_PATH, "")
                    if "No such file" in why and result.missing:
                        problem = "connection tracking entries are not readable here"
                        fix = "load nf_conntrack, or install conntrack (conntrack-tools)"
                    return ConntrackEntriesSnapshot(at, cap=self.cap, problem=problem, fix=fix)
                lines = result.stdout.splitlines()[: self.cap]
                entries = parse_conntrack_entries("\n".join(lines))
                source = "conntrack -L"
        if summary is None:
            summary = summarize_entries(entries, self.sip_ports)
        top, sip, sip_total, protocols, scanned = summary
        total = _int(count_text)
        if total is None and not self.access.local:
            total = _int(self.access.read(COUNT_PATHS[0]))
        capped = scanned >= self.cap
        return ConntrackEntriesSnapshot(
            at=at,
            scanned=scanned,
            total=total,
            capped=capped,
            cap=self.cap,
            top_sources=top,
            sip_entries=sip,
            sip_total=sip_total,
            by_protocol=protocols,
            source=source,
            seconds=time.monotonic() - started,
            skipped=skipped,
        )

    def _netlink_summary(self) -> Summary | None:
        """The summary over ctnetlink, or None (then the text is read): netlink failed
        now, or within the last `retry_after` seconds (not root, module missing)."""
        if time.monotonic() < self._netlink_off_until:
            return None
        try:
            batches = ct_netlink.read_entries(self.cap, self.sip_ports, MAX_SIP_ENTRIES)
        except ct_netlink.CtNetlinkFailed as exc:
            self.why_not_netlink = str(exc)
            self._netlink_off_until = time.monotonic() + self.retry_after
            return None
        except Exception as exc:  # never a traceback from a poll: the text path remains
            self.why_not_netlink = f"ctnetlink: {exc!r}"
            self._netlink_off_until = time.monotonic() + self.retry_after
            return None
        self._skipped = batches.skipped
        return summarize_found(batches)
