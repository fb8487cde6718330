"""`/proc/net/xt_recent/*` lists and `/proc/net/ipt_hashlimit/*` tables.

xt_recent stamps are kernel jiffies. To show "last seen 12 s ago" we need the current
jiffies and HZ: `/proc/timer_list` has both the jiffies and the monotonic clock (root
only); without it we estimate from the uptime, as the kernel starts jiffies at
2^32 - 300 * HZ on 64-bit hosts.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

from vostui.host.access import HostAccess

RECENT_DIR = "/proc/net/xt_recent"
HASHLIMIT_DIRS = ("/proc/net/ipt_hashlimit", "/proc/net/ip6t_hashlimit")
COMMON_HZ = (100, 250, 300, 1000)
MAX_ENTRIES = 5000  # per list: a flood can fill a list with 10k+ addresses; we say so


@dataclass(frozen=True, slots=True)
class RecentEntry:
    """An address in a recent list: `hits` is how many stamps the kernel kept for it."""

    address: str
    hits: int
    last_seen_jiffies: int
    ttl: int
    seconds_ago: float | None  # None when the kernel clock could not be read
    last_seen: float | None  # wall-clock time


@dataclass(frozen=True, slots=True)
class RecentList:
    name: str
    entries: tuple[RecentEntry, ...]  # most recently seen first
    total: int  # entries in the file, also those past MAX_ENTRIES


@dataclass(frozen=True, slots=True)
class HashlimitEntry:
    """One bucket: `expires_in` seconds until the kernel forgets it; credit as printed."""

    expires_in: int
    source: str
    source_port: int
    destination: str
    destination_port: int
    credit: int
    credit_cap: int
    cost: int

    @property
    def credit_ratio(self) -> float | None:
        """Credit left as a share of the cap: near 0 the source is being limited."""
        return self.credit / self.credit_cap if self.credit_cap else None


@dataclass(frozen=True, slots=True)
class HashlimitTable:
    name: str
    family: str
    entries: tuple[HashlimitEntry, ...]
    total: int


@dataclass(frozen=True, slots=True)
class RecentSnapshot:
    at: float
    lists: tuple[RecentList, ...] = ()
    hashlimits: tuple[HashlimitTable, ...] = ()
    hz: int | None = None
    problem: str = ""
    fix: str = ""
    note: str = ""  # e.g. "no recent lists: no rule uses -m recent"

    def find(self, address: str) -> tuple[tuple[str, RecentEntry], ...]:
        """Every list that holds `address`, with its entry."""
        return tuple(
            (lst.name, entry)
            for lst in self.lists
            for entry in lst.entries
            if entry.address == address
        )


@dataclass(frozen=True, slots=True)
class KernelClock:
    """Current jiffies and HZ, to turn xt_recent stamps into times."""

    jiffies: int
    hz: int
    wall: float  # time.time() at the reading

    def seconds_ago(self, stamp: int) -> float:
        # Jiffies wrap at 2^32 on 32-bit kernels; a stamp "in the future" is a wrap.
        delta = self.jiffies - stamp
        if delta < 0:
            delta += 1 << 32
        return delta / self.hz


_RECENT_LINE = re.compile(
    r"^src=(\S+)\s+ttl:\s*(\d+)\s+last_seen:\s*(\d+)\s+oldest_pkt:\s*(\d+)\s*(.*)$"
)


def parse_xt_recent(
    text: str, name: str = "", clock: KernelClock | None = None, limit: int = MAX_ENTRIES
) -> RecentList:
    """Parse one `/proc/net/xt_recent/NAME` file."""
    entries: list[RecentEntry] = []
    total = 0
    for line in text.splitlines():
        match = _RECENT_LINE.match(line.strip())
        if not match:
            continue
        total += 1
        address, ttl, last, _oldest, stamps = match.groups()
        hits = len([s for s in stamps.split(",") if s.strip()])
        last_seen = int(last)
        ago = clock.seconds_ago(last_seen) if clock else None
        entries.append(
            RecentEntry(
                address=address,
                hits=hits,
                last_seen_jiffies=last_seen,
                ttl=int(ttl),
                seconds_ago=ago,
                last_seen=(clock.wall - ago) if clock and ago is not None else None,
            )
        )
    entries.sort(key=lambda e: e.last_seen_jiffies, reverse=True)
    return RecentList(name, tuple(entries[:limit]), total)


_HASHLIMIT_LINE = re.compile(r"^(-?\d+)\s+(\S+):(\d+)->(\S+):(\d+)\s+(\d+)\s+(\d+)\s+(\d+)")


def parse_hashlimit(
    text: str, name: str = "", family: str = "ipv4", limit: int = MAX_ENTRIES
) -> HashlimitTable:
    """Parse one `/proc/net/ipt_hashlimit/NAME` file (IPv6 addresses contain colons)."""
    entries: list[HashlimitEntry] = []
    total = 0
    for line in text.splitlines():
        match = _HASHLIMIT_LINE.match(line.strip())
        if not match:
            continue
        total += 1
        if len(entries) >= limit:
            continue
        g = match.groups()
        entries.append(
            HashlimitEntry(
                int(g[0]), g[1], int(g[2]), g[3], int(g[4]), int(g[5]), int(g[6]), int(g[7])
            )
        )
    entries.sort(key=lambda e: e.credit_ratio if e.credit_ratio is not None else 1.0)
    return HashlimitTable(name, family, tuple(entries), total)


def parse_timer_list(text: str) -> tuple[int, float] | None:
    """(jiffies, monotonic seconds) from `/proc/timer_list`."""
    jiffies = re.search(r"^jiffies:\s*(\d+)", text, re.M)
    now_at = re.search(r"^now at (\d+) nsecs", text, re.M)
    if not jiffies or not now_at:
        return None
    return int(jiffies.group(1)), int(now_at.group(1)) / 1e9


def guess_hz(jiffies: int, uptime: float) -> int | None:
    """HZ from the jiffies and uptime at one moment (64-bit start offset 2^32 - 300*HZ)."""
    if uptime <= 1:
        return None
    best, error = None, None
    for hz in COMMON_HZ:
        expected = (1 << 32) - 300 * hz + int(uptime * hz)
        miss = abs(expected - jiffies) / hz
        if error is None or miss < error:
            best, error = hz, miss
    return best if error is not None and error < 30 else None


def estimate_jiffies(uptime: float, hz: int) -> int:
    return (1 << 32) - 300 * hz + int(uptime * hz)


class RecentCollector:
    """Reads every xt_recent list and hashlimit table in one go."""

    def __init__(self, access: HostAccess | None = None, hz: int | None = None) -> None:
        self.access = access or HostAccess()
        self.hz = hz

    def poll(self) -> RecentSnapshot:
        at = time.time()
        patterns = [f"{RECENT_DIR}/*", *(f"{d}/*" for d in HASHLIMIT_DIRS), "/proc/uptime"]
        # The timer list is only needed until HZ is known, and it is root-only.
        if self.hz is None:
            patterns.append("/proc/timer_list")
        files = self.access.read_files(patterns)
        clock = self._clock(files.text, at)
        lists = []
        hashlimits = []
        for path, text in sorted(files.text.items()):
            directory, _, name = path.rpartition("/")
            if directory == RECENT_DIR:
                lists.append(parse_xt_recent(text, name, clock))
            elif directory in HASHLIMIT_DIRS:
                family = "ipv6" if "ip6t" in directory else "ipv4"
                hashlimits.append(parse_hashlimit(text, name, family))
        denied = [p for p, why in files.errors.items() if "ermission" in why]
        if denied and not lists and not hashlimits:
            return RecentSnapshot(
                at,
                problem="not root: the recent lists and hashlimit tables are readable by root only",
                fix="run vostui with sudo, or as root",
            )
        note = ""
        if not lists and not hashlimits:
            note = "no recent lists or hashlimit tables: no rule uses -m recent or -m hashlimit"
        return RecentSnapshot(
            at,
            tuple(lists),
            tuple(hashlimits),
            hz=clock.hz if clock else None,
            note=note,
        )

    def _clock(self, text: Mapping[str, str], wall: float) -> KernelClock | None:
        uptime_text = text.get("/proc/uptime", "")
        try:
            uptime = float(uptime_text.split()[0])
        except (IndexError, ValueError):
            return None
        timer = parse_timer_list(text.get("/proc/timer_list", ""))
        if self.hz is None and timer is not None:
            self.hz = guess_hz(timer[0], timer[1])
        if self.hz is None:
            self.hz = _hz_from_config()
        if self.hz is None:
            return None
        if timer is not None:
            return KernelClock(timer[0], self.hz, wall)
        return KernelClock(estimate_jiffies(uptime, self.hz), self.hz, wall)


def _hz_from_config() -> int | None:
    """CONFIG_HZ from /boot/config-$(uname -r), when the timer list is not readable."""
    try:
        release = os.uname().release
        with open(f"/boot/config-{release}", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("CONFIG_HZ="):
                    return int(line.split("=", 1)[1])
    except (OSError, ValueError):
        return None
    return None
