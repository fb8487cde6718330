"""HostMonitor: runs every host collector on its own thread and interval.

Each collector polls in its own daemon thread: a poll never overlaps the previous one of
the same collector (a lock is held while it runs), and a slow or failing collector
(iptables waiting on its lock, a hung `conntrack`) never delays the others. The monitor
keeps the latest snapshot of each plus short histories for sparklines; `snapshot()`
returns all of it as one frozen `HostSnapshot`, cheap enough to call on every UI tick.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from vostui.config import Config
from vostui.host.access import HostAccess
from vostui.host.conntrack import (
    DEFAULT_CAP,
    ConntrackCollector,
    ConntrackEntriesCollector,
    ConntrackEntriesSnapshot,
    ConntrackSnapshot,
)
from vostui.host.firewall import FirewallCollector
from vostui.host.iptables import FirewallSnapshot
from vostui.host.processes import ProcessCollector, ProcessSnapshot
from vostui.host.recent import RecentCollector, RecentSnapshot
from vostui.host.system import SystemCollector, SystemSnapshot
from vostui.host.udp import UdpCollector, UdpSnapshot

COLLECTORS = (
    "firewall",
    "recent",
    "conntrack",
    "conntrack_entries",
    "udp",
    "system",
    "processes",
)
HISTORY = 120


class Collector(Protocol):
    def poll(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class HostSettings:
    """What the monitor watches and how often. `intervals` overrides per collector."""

    interval: float = 1.0
    intervals: Mapping[str, float] = field(default_factory=dict)
    sip_ports: tuple[int, ...] = (5060,)
    conntrack_warn: float = 0.70
    conntrack_critical: float = 0.90
    conntrack_entries_interval: float = 10.0
    conntrack_entries_cap: int = DEFAULT_CAP
    softswitch_processes: tuple[str, ...] = ()
    log_files: tuple[str, ...] = ()
    iptables_command: str = "iptables"
    ipv6: bool = True
    history: int = HISTORY
    access: HostAccess = field(default_factory=HostAccess)

    @classmethod
    def from_config(cls, config: Config, **overrides: Any) -> HostSettings:
        values: dict[str, Any] = {
            "interval": config.host_interval,
            "sip_ports": tuple(config.sip_ports),
            "conntrack_warn": config.conntrack_warn,
            "conntrack_critical": config.conntrack_critical,
            "softswitch_processes": tuple(config.softswitch_processes),
            "log_files": tuple(config.log_files),
        }
        # Settings not (yet) in Config are read when present, so adding them there works.
        for name in ("conntrack_entries_interval", "conntrack_entries_cap", "iptables_command"):
            if hasattr(config, name):
                values[name] = getattr(config, name)
        values.update(overrides)
        return cls(**values)

    def interval_for(self, name: str) -> float:
        if name in self.intervals:
            return float(self.intervals[name])
        if name == "conntrack_entries":
            return self.conntrack_entries_interval
        if name in ("recent", "processes"):
            return self.interval * 2
        return self.interval


@dataclass(frozen=True, slots=True)
class CollectorStatus:
    """How a collector is doing: for the status line and for `vostui host --json`."""

    name: str
    interval: float
    polls: int
    errors: int  # polls that raised (a bug: collectors report problems, they do not raise)
    last_error: str
    last_seconds: float  # wall time of the last poll
    last_cpu_seconds: float  # CPU time of this thread in the last poll (excludes children)
    last_at: float | None  # wall-clock end of the last poll
    busy: bool  # a poll is running now
    stale: bool  # no result for three intervals: slow or stuck


@dataclass(frozen=True, slots=True)
class HostSnapshot:
    """Everything the host panes draw, as of `at`. A collector not yet polled is None."""

    at: float
    version: int
    firewall: FirewallSnapshot | None = None
    recent: RecentSnapshot | None = None
    conntrack: ConntrackSnapshot | None = None
    conntrack_entries: ConntrackEntriesSnapshot | None = None
    udp: UdpSnapshot | None = None
    system: SystemSnapshot | None = None
    processes: ProcessSnapshot | None = None
    conntrack_use_history: tuple[float, ...] = ()  # percent, oldest first
    conntrack_count_history: tuple[int, ...] = ()
    cpu_history: tuple[float, ...] = ()  # all-core busy percent
    udp_rcvbuf_error_history: tuple[float, ...] = ()  # RcvbufErrors per second
    firewall_drop_history: tuple[float, ...] = ()  # packets/s on DROP/REJECT rules
    collectors: tuple[CollectorStatus, ...] = ()


class _Worker:
    """One collector, its schedule and its bookkeeping."""

    def __init__(
        self,
        name: str,
        collector: Collector,
        interval: float,
        deliver: Callable[[str, Any], None],
    ) -> None:
        self.name = name
        self.collector = collector
        self.interval = max(0.05, interval)
        self.deliver = deliver
        self.lock = threading.Lock()
        self.polls = 0
        self.errors = 0
        self.last_error = ""
        self.last_seconds = 0.0
        self.last_cpu = 0.0
        self.last_at: float | None = None
        self.thread: threading.Thread | None = None

    def poll_once(self) -> bool:
        """Poll unless a poll of this collector is still running; True if it ran."""
        if not self.lock.acquire(blocking=False):
            return False
        try:
            started = time.monotonic()
            cpu = time.thread_time()
            try:
                result = self.collector.poll()
            except Exception as exc:  # a collector bug must not kill its thread
                self.errors += 1
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                result = None
            self.last_seconds = time.monotonic() - started
            self.last_cpu = time.thread_time() - cpu
            self.last_at = time.time()
            self.polls += 1
            if result is not None:
                self.deliver(self.name, result)
            return True
        finally:
            self.lock.release()

    def loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            started = time.monotonic()
            self.poll_once()
            # Sleep the rest of the interval; at least a little, so a collector that
            # fails instantly cannot spin.
            stop.wait(max(0.05, self.interval - (time.monotonic() - started)))

    def status(self) -> CollectorStatus:
        now = time.time()
        stale = self.last_at is None or now - self.last_at > 3 * self.interval + 1
        return CollectorStatus(
            name=self.name,
            interval=self.interval,
            polls=self.polls,
            errors=self.errors,
            last_error=self.last_error,
            last_seconds=self.last_seconds,
            last_cpu_seconds=self.last_cpu,
            last_at=self.last_at,
            busy=self.lock.locked(),
            stale=stale and self.polls > 0,
        )


def default_collectors(settings: HostSettings) -> dict[str, Collector]:
    access = settings.access
    return {
        "firewall": FirewallCollector(
            access, settings.sip_ports, command=settings.iptables_command, ipv6=settings.ipv6
        ),
        "recent": RecentCollector(access),
        "conntrack": ConntrackCollector(
            access, settings.conntrack_warn, settings.conntrack_critical
        ),
        "conntrack_entries": ConntrackEntriesCollector(
            access, settings.sip_ports, cap=settings.conntrack_entries_cap
        ),
        "udp": UdpCollector(access, settings.sip_ports),
        "system": SystemCollector(settings.log_files),
        "processes": ProcessCollector(settings.softswitch_processes),
    }


class HostMonitor:
    """Polls the host in the background; `snapshot()` gives the latest of everything.

    Use `start()`/`stop()` (or `with HostMonitor(...) as monitor:`) for the console, or
    `poll_all()` for one synchronous round (the CLI).
    """

    def __init__(
        self,
        settings: HostSettings | None = None,
        collectors: Mapping[str, Collector] | None = None,
        only: Iterable[str] | None = None,
    ) -> None:
        self.settings = settings or HostSettings()
        chosen = dict(collectors) if collectors is not None else default_collectors(self.settings)
        if only is not None:
            keep = set(only)
            chosen = {k: v for k, v in chosen.items() if k in keep}
        self._lock = threading.Lock()
        self._latest: dict[str, Any] = {}
        self._version = 0
        size = max(2, self.settings.history)
        self._histories: dict[str, deque[float]] = {
            name: deque(maxlen=size)
            for name in ("conntrack_use", "conntrack_count", "cpu", "udp_rcvbuf", "fw_drops")
        }
        self._workers = {
            name: _Worker(name, collector, self.settings.interval_for(name), self._deliver)
            for name, collector in chosen.items()
        }
        self._stop = threading.Event()
        self._started = False

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        self._stop.clear()
        for worker in self._workers.values():
            worker.thread = threading.Thread(
                target=worker.loop, args=(self._stop,), name=f"host-{worker.name}", daemon=True
            )
            worker.thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Ask every thread to stop and wait up to `timeout` in all; a poll stuck in a
        command is left to its own timeout (the threads are daemons)."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for worker in self._workers.values():
            if worker.thread is not None:
                worker.thread.join(max(0.0, deadline - time.monotonic()))
            close = getattr(worker.collector, "close", None)
            if close is not None and (worker.thread is None or not worker.thread.is_alive()):
                close()  # sockets a collector keeps open between polls (nft netlink)
        self._started = False

    def __enter__(self) -> HostMonitor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def version(self) -> int:
        return self._version

    # --- polling -----------------------------------------------------------------------

    def poll_all(self, timeout: float | None = None) -> HostSnapshot:
        """Poll every collector once, in parallel, and wait up to `timeout` for them."""
        threads = []
        for worker in self._workers.values():
            thread = threading.Thread(target=worker.poll_once, daemon=True)
            thread.start()
            threads.append(thread)
        limit = timeout if timeout is not None else self.settings.access.timeout * 2 + 1
        deadline = time.monotonic() + limit
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return self.snapshot()

    def poll(self, name: str) -> bool:
        """Poll one collector now (unless it is already polling)."""
        return self._workers[name].poll_once()

    def _deliver(self, name: str, result: Any) -> None:
        with self._lock:
            self._latest[name] = result
            self._version += 1
            self._record_history(name, result)

    def _record_history(self, name: str, result: Any) -> None:
        h = self._histories
        if name == "conntrack" and isinstance(result, ConntrackSnapshot):
            if result.use is not None:
                h["conntrack_use"].append(result.use * 100.0)
            if result.count is not None:
                h["conntrack_count"].append(result.count)
        elif name == "system" and isinstance(result, SystemSnapshot):
            if result.cpu_total is not None:
                h["cpu"].append(result.cpu_total)
        elif name == "udp" and isinstance(result, UdpSnapshot):
            rate = (result.rates or {}).get("RcvbufErrors")
            if rate is not None:
                h["udp_rcvbuf"].append(rate)
        elif (
            name == "firewall"
            and isinstance(result, FirewallSnapshot)
            and result.ok
            and result.interval is not None
        ):
            h["fw_drops"].append(
                sum(
                    rule.packets_per_second or 0.0
                    for rule in result.rules()
                    if rule.target in ("DROP", "REJECT")
                )
            )

    def snapshot(self) -> HostSnapshot:
        with self._lock:
            latest = dict(self._latest)
            version = self._version
            h = {name: tuple(values) for name, values in self._histories.items()}
        return HostSnapshot(
            at=time.time(),
            version=version,
            firewall=latest.get("firewall"),
            recent=latest.get("recent"),
            conntrack=latest.get("conntrack"),
            conntrack_entries=latest.get("conntrack_entries"),
            udp=latest.get("udp"),
            system=latest.get("system"),
            processes=latest.get("processes"),
            conntrack_use_history=h["conntrack_use"],
            conntrack_count_history=tuple(int(v) for v in h["conntrack_count"]),
            cpu_history=h["cpu"],
            udp_rcvbuf_error_history=h["udp_rcvbuf"],
            firewall_drop_history=h["fw_drops"],
            collectors=tuple(worker.status() for worker in self._workers.values()),
        )
