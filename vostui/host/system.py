"""Host health: CPU per core, load, memory, swap, the log partition, disk and network I/O.

psutil reads /proc for us; the rates (CPU busy, bytes per second) are computed here from
two readings, so the same code works at any poll interval.
"""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psutil

from vostui.host.rates import RateTracker

DEFAULT_LOG_DIRS = ("/home/vos3000/log", "/var/log")
# Devices whose I/O says nothing about the softswitch's disks.
SKIP_DISKS = ("loop", "ram", "zram", "sr", "fd")


@dataclass(frozen=True, slots=True)
class DiskIO:
    name: str
    read_bytes_per_second: float | None
    write_bytes_per_second: float | None
    reads_per_second: float | None
    writes_per_second: float | None
    busy_percent: float | None  # share of the interval the device was busy (Linux)


@dataclass(frozen=True, slots=True)
class InterfaceIO:
    name: str
    rx_bytes_per_second: float | None
    tx_bytes_per_second: float | None
    rx_packets_per_second: float | None
    tx_packets_per_second: float | None
    rx_drops_per_second: float | None
    rx_errors_per_second: float | None
    rx_bytes: int
    tx_bytes: int
    rx_drops: int
    rx_errors: int


@dataclass(frozen=True, slots=True)
class SystemSnapshot:
    at: float
    cpu_percent: tuple[float, ...] = ()  # per core, busy %, empty on the first poll
    cpu_total: float | None = None
    load: tuple[float, float, float] | None = None
    cores: int = 0
    memory_total: int = 0
    memory_available: int = 0
    memory_percent: float = 0.0
    swap_total: int = 0
    swap_used: int = 0
    swap_percent: float = 0.0
    log_path: str = ""
    disk_total: int = 0
    disk_used: int = 0
    disk_free: int = 0
    disk_percent: float = 0.0
    disks: tuple[DiskIO, ...] = ()
    interfaces: tuple[InterfaceIO, ...] = ()
    problem: str = ""
    fix: str = ""


def cpu_busy(before: Sequence[Any], after: Sequence[Any]) -> tuple[float, ...]:
    """Busy % per core between two `psutil.cpu_times(percpu=True)` readings."""
    out = []
    for old, new in zip(before, after, strict=False):
        total = sum(new) - sum(old)
        idle = (new.idle + getattr(new, "iowait", 0.0)) - (old.idle + getattr(old, "iowait", 0.0))
        out.append(0.0 if total <= 0 else max(0.0, min(100.0, 100.0 * (1 - idle / total))))
    return tuple(out)


def log_partition(patterns: Iterable[str] = ()) -> str:
    """The directory holding the softswitch's logs: first existing one named in the config."""
    for pattern in patterns:
        directory = os.path.dirname(pattern) or "/"
        matches = glob.glob(directory) if any(c in directory for c in "*?[") else [directory]
        for path in matches:
            if os.path.isdir(path):
                return path
    for path in DEFAULT_LOG_DIRS:
        if os.path.isdir(path):
            return path
    return "/"


class SystemCollector:
    def __init__(self, log_files: Iterable[str] = ()) -> None:
        self.log_path = log_partition(log_files)
        self._cpu: list[Any] | None = None
        self._disks: RateTracker = RateTracker()
        self._nics: RateTracker = RateTracker()
        self._cpu_at: float | None = None

    def poll(self) -> SystemSnapshot:
        at = time.time()
        stamp = time.monotonic()
        try:
            cpu_now = psutil.cpu_times(percpu=True)
        except OSError as exc:
            return SystemSnapshot(at, problem=f"cannot read CPU times: {exc}", fix="check /proc")
        per_core = cpu_busy(self._cpu, cpu_now) if self._cpu is not None else ()
        self._cpu = list(cpu_now)
        total = sum(per_core) / len(per_core) if per_core else None
        try:
            load = os.getloadavg()
        except OSError:
            load = None
        memory = psutil.virtual_memory()
        swap = psutil.swap_memory()
        try:
            disk = psutil.disk_usage(self.log_path)
            disk_fields = (disk.total, disk.used, disk.free, disk.percent)
        except OSError:
            disk_fields = (0, 0, 0, 0.0)
        return SystemSnapshot(
            at=at,
            cpu_percent=per_core,
            cpu_total=total,
            load=(load[0], load[1], load[2]) if load else None,
            cores=len(cpu_now),
            memory_total=memory.total,
            memory_available=memory.available,
            memory_percent=memory.percent,
            swap_total=swap.total,
            swap_used=swap.used,
            swap_percent=swap.percent,
            log_path=self.log_path,
            disk_total=disk_fields[0],
            disk_used=disk_fields[1],
            disk_free=disk_fields[2],
            disk_percent=disk_fields[3],
            disks=self._disk_rates(stamp),
            interfaces=self._nic_rates(stamp),
        )

    def _disk_rates(self, stamp: float) -> tuple[DiskIO, ...]:
        try:
            counters: Mapping[str, Any] = psutil.disk_io_counters(perdisk=True) or {}
        except (OSError, RuntimeError):
            return ()
        values: dict[tuple[str, str], float] = {}
        for name, c in counters.items():
            if name.startswith(SKIP_DISKS):
                continue
            values[(name, "rb")] = c.read_bytes
            values[(name, "wb")] = c.write_bytes
            values[(name, "r")] = c.read_count
            values[(name, "w")] = c.write_count
            values[(name, "busy")] = getattr(c, "busy_time", 0)  # milliseconds
        rates = self._disks.update(values, stamp)
        names = sorted({name for name, _ in values})
        out = []
        for name in names:
            busy = rates.get((name, "busy"))
            out.append(
                DiskIO(
                    name,
                    rates.get((name, "rb")),
                    rates.get((name, "wb")),
                    rates.get((name, "r")),
                    rates.get((name, "w")),
                    None if busy is None else min(100.0, busy / 10.0),  # ms/s → %
                )
            )
        return tuple(out)

    def _nic_rates(self, stamp: float) -> tuple[InterfaceIO, ...]:
        try:
            counters: Mapping[str, Any] = psutil.net_io_counters(pernic=True) or {}
        except OSError:
            return ()
        values: dict[tuple[str, str], float] = {}
        for name, c in counters.items():
            values[(name, "rb")] = c.bytes_recv
            values[(name, "tb")] = c.bytes_sent
            values[(name, "rp")] = c.packets_recv
            values[(name, "tp")] = c.packets_sent
            values[(name, "rd")] = c.dropin
            values[(name, "re")] = c.errin
        rates = self._nics.update(values, stamp)
        return tuple(
            InterfaceIO(
                name,
                rates.get((name, "rb")),
                rates.get((name, "tb")),
                rates.get((name, "rp")),
                rates.get((name, "tp")),
                rates.get((name, "rd")),
                rates.get((name, "re")),
                c.bytes_recv,
                c.bytes_sent,
                c.dropin,
                c.errin,
            )
            for name, c in sorted(counters.items())
        )
