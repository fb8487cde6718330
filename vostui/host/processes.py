"""The softswitch's processes: CPU, memory, threads, open files, up time, restarts seen.

A full scan of /proc costs a few milliseconds on a busy host, so the collector scans all
processes only every `rescan_every` polls (10) (and whenever a watched process vanished);
in between it refreshes the processes it already knows.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass

import psutil

from vostui.text import clean_line

COMM_LENGTH = 15  # the kernel truncates process names to 15 characters


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    name: str  # the configured name it matched
    pid: int
    command: str  # command line, cleaned and capped
    cpu_percent: float | None  # of one core, since the previous poll
    rss: int
    threads: int
    open_files: int | None  # file descriptors; None when not permitted
    started: float  # wall-clock start time
    uptime: float  # seconds
    user: str


@dataclass(frozen=True, slots=True)
class ProcessSnapshot:
    at: float
    processes: tuple[ProcessInfo, ...] = ()
    missing: tuple[str, ...] = ()  # configured names with no running process
    restarts: tuple[tuple[str, int], ...] = ()  # (name, new processes seen since we started)
    watched: tuple[str, ...] = ()
    problem: str = ""
    fix: str = ""

    def restarts_of(self, name: str) -> int:
        return dict(self.restarts).get(name, 0)


def matches_name(names: Iterable[str], comm: str, cmdline: list[str]) -> str | None:
    """The configured name this process is, by its name or its program's file name."""
    program = os.path.basename(cmdline[0]) if cmdline else ""
    for name in names:
        if comm == name[:COMM_LENGTH] or program == name:
            return name
    return None


class ProcessCollector:
    def __init__(self, names: Iterable[str] = (), rescan_every: int = 10) -> None:
        self.names = tuple(names)
        self.rescan_every = max(1, rescan_every)
        self._known: dict[int, tuple[str, psutil.Process]] = {}
        self._cpu: dict[tuple[int, float], tuple[float, float]] = {}  # (pid, start) → (t, cpu)
        self._seen: set[tuple[int, float]] = set()
        self._restarts: dict[str, int] = {}
        self._polls = 0
        self._rescan = True

    def _scan(self) -> None:
        found: dict[int, tuple[str, psutil.Process]] = {}
        # Names only: reading every process's command line costs more than the rest of
        # the poll; the kernel's name is what `ps`, `top` and `pidof` show anyway.
        for proc in psutil.process_iter(["name"]):
            name = matches_name(self.names, proc.info.get("name") or "", [])
            if name is not None:
                found[proc.pid] = (name, proc)
        self._known = found

    def poll(self) -> ProcessSnapshot:
        at = time.time()
        self._polls += 1
        if self._rescan or self._polls % self.rescan_every == 0:
            self._scan()
            self._rescan = False
        processes: list[ProcessInfo] = []
        vanished = False
        stamp = time.monotonic()
        for pid, (name, proc) in list(self._known.items()):
            try:
                with proc.oneshot():
                    started = proc.create_time()
                    times = proc.cpu_times()
                    memory = proc.memory_info()
                    threads = proc.num_threads()
                    try:
                        fds: int | None = proc.num_fds()
                    except psutil.AccessDenied:
                        fds = None
                    user = _user(proc)
                    command = " ".join(proc.cmdline()) or name
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                vanished = True
                del self._known[pid]
                continue
            except psutil.AccessDenied:
                continue
            identity = (pid, started)
            if identity not in self._seen:
                if self._polls > 1:
                    self._restarts[name] = self._restarts.get(name, 0) + 1
                self._seen.add(identity)
            used = times.user + times.system
            before = self._cpu.get(identity)
            cpu = None
            if before is not None and stamp > before[0]:
                cpu = max(0.0, 100.0 * (used - before[1]) / (stamp - before[0]))
            self._cpu[identity] = (stamp, used)
            processes.append(
                ProcessInfo(
                    name=name,
                    pid=pid,
                    command=clean_line(command, 200),
                    cpu_percent=cpu,
                    rss=memory.rss,
                    threads=threads,
                    open_files=fds,
                    started=started,
                    uptime=max(0.0, at - started),
                    user=user,
                )
            )
        if vanished:
            self._rescan = True  # look for the restarted process on the next poll
        live = {(p.pid, p.started) for p in processes}
        self._cpu = {k: v for k, v in self._cpu.items() if k in live}
        running = {p.name for p in processes}
        return ProcessSnapshot(
            at=at,
            processes=tuple(sorted(processes, key=lambda p: (p.name, p.pid))),
            missing=tuple(n for n in self.names if n not in running),
            restarts=tuple(sorted(self._restarts.items())),
            watched=self.names,
        )


def _user(proc: psutil.Process) -> str:
    try:
        return proc.username()
    except (psutil.AccessDenied, KeyError):
        return ""
