"""System pane (5): CPU, load, memory, the log partition, UDP drops, softswitch processes.

One line per question an operator asks first: is the box busy, is it out of memory,
is the log disk full, does the kernel drop SIP packets, are the softswitch's processes
up (and did one restart).
"""

from __future__ import annotations

from textual.content import Content

from vostui.host.monitor import HostSnapshot
from vostui.host.processes import ProcessSnapshot
from vostui.host.system import SystemSnapshot
from vostui.host.udp import UdpSnapshot
from vostui.text import clean_line
from vostui.ui.format import BAD, GOOD, QUIET, WARN
from vostui.ui.host_feed import (
    Parts,
    StaticHostPane,
    join_lines,
    per_second,
    problem_content,
    size,
    waiting,
)
from vostui.ui.sparkline import sparkline


def level(percent: float | None, warn: float, bad: float) -> str:
    if percent is None:
        return ""
    return BAD if percent >= bad else WARN if percent >= warn else ""


def cpu_parts(system: SystemSnapshot, history: tuple[float, ...], spark: int) -> Parts:
    total = system.cpu_total
    parts: Parts = [
        ("CPU ", QUIET),
        ("-" if total is None else f"{total:.0f}%", level(total, 75, 90) or "bold"),
    ]
    if history and spark > 0:
        parts.append((" " + sparkline(history, spark, top=100), QUIET))
    if system.load is not None:
        load = system.load
        busy = system.cores and load[0] >= system.cores
        parts += [
            ("  load ", QUIET),
            (f"{load[0]:.2f}", WARN if busy else ""),
            (f" {load[1]:.2f} {load[2]:.2f}", ""),
        ]
    if system.cores:
        parts.append((f" /{system.cores} cores", QUIET))
    return parts


def memory_parts(system: SystemSnapshot) -> Parts:
    parts: Parts = [
        ("mem ", QUIET),
        (f"{system.memory_percent:.0f}%", level(system.memory_percent, 85, 95)),
        (f" of {size(system.memory_total)}", QUIET),
    ]
    if system.swap_total:
        parts += [
            ("  swap ", QUIET),
            (f"{system.swap_percent:.0f}%", level(system.swap_percent, 30, 70)),
        ]
    return parts


def short_path(path: str, limit: int = 24) -> str:
    path = clean_line(path, 200)
    return path if len(path) <= limit else "…" + path[-(limit - 1) :]


def disk_parts(system: SystemSnapshot) -> Parts:
    """The partition the logs are written to: a full one stops the softswitch logging."""
    if not system.disk_total:
        return [("disk ", QUIET), (f"{short_path(system.log_path)} unreadable", WARN)]
    return [
        ("disk ", QUIET),
        (f"{system.disk_percent:.0f}%", level(system.disk_percent, 80, 90) or "bold"),
        (f" used, {size(system.disk_free)} free ", QUIET),
        (short_path(system.log_path), ""),
    ]


def udp_parts(udp: UdpSnapshot | None) -> Parts:
    if udp is None or udp.problem or udp.counters is None:
        return []
    rates = udp.rates or {}
    parts: Parts = [("udp ", QUIET)]
    for name, label in (("RcvbufErrors", "rcvbuf errors"), ("InErrors", "in errors")):
        rate = rates.get(name)
        parts += [(f"{label} ", QUIET), (f"{per_second(rate)}/s  ", BAD if rate else "")]
    return parts


def process_parts(processes: ProcessSnapshot | None) -> Parts:
    """`procs mbx3000 ✓ sipproxy ✓ vos3000d ✗`, restarts in warning colour."""
    if processes is None:
        return []
    if processes.problem:
        return [("procs ", QUIET), (clean_line(processes.problem, 120), BAD)]
    if not processes.watched:
        return [("procs none configured (softswitch_processes)", QUIET)]
    running: dict[str, int] = {}
    for proc in processes.processes:
        running[proc.name] = running.get(proc.name, 0) + 1
    parts: Parts = [("procs", QUIET)]
    up = [name for name in processes.watched if name in running]
    if up:
        parts.append((" ✓", GOOD))
        for name in up:
            parts.append((" " + clean_line(name, 32), ""))
            if running[name] > 1:
                parts.append((f"×{running[name]}", QUIET))
            restarts = processes.restarts_of(name)
            if restarts:
                parts.append((f" ↻{restarts}", WARN))
    if processes.missing:
        parts.append(("  ✗ " if up else " ✗ ", BAD))
        parts.append((" ".join(clean_line(name, 32) for name in processes.missing), BAD))
    return parts


def system_content(host: HostSnapshot, width: int) -> Content:
    system = host.system
    if system is None:
        return waiting("system")
    if system.problem:
        return problem_content("system", system.problem, system.fix)
    lines = [
        cpu_parts(system, host.cpu_history, min(20, max(0, width - 36))),
        memory_parts(system),
        disk_parts(system),
        udp_parts(host.udp),
        process_parts(host.processes),
    ]
    return join_lines(lines)


class SystemPane(StaticHostPane):
    NUMBER = 5
    BODY = "system"
    TITLE = "System"

    DEFAULT_CSS = """
    SystemPane > Static {
        padding: 0 1; height: 1fr; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def watched(self, host: HostSnapshot) -> tuple[object, ...]:
        return (host.system, host.processes, host.udp)

    def content(self, host: HostSnapshot, width: int) -> Content:
        return system_content(host, width)

    def note(self, host: HostSnapshot) -> str:
        processes = host.processes
        if processes is not None and processes.missing:
            return f"{len(processes.missing)} down"
        return ""
