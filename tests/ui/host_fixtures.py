"""Host data for the UI tests: recorded command output through the real parsers.

`recorded_monitor()` is a real `HostMonitor` whose collectors replay snapshots built
from tests/fixtures/host (iptables-save, xt_recent, hashlimit, nf_conntrack, snmp) by
the same parsers the live collectors use. Rates come from two readings one second
apart, so the screens show real figures, the same on every run. CPU, memory and the
processes are fixed values: this machine's would change the screen every run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ui_fakes import T0, FakePipeline, make_snapshot

from vostui.config import Config
from vostui.host.conntrack import (
    ConntrackEntriesSnapshot,
    ConntrackSnapshot,
    parse_conntrack_entries,
    parse_conntrack_stat,
    summarize_entries,
)
from vostui.host.iptables import FirewallSnapshot, build_tables, parse_iptables_save, rule_counters
from vostui.host.logs import LogFollower
from vostui.host.monitor import HostMonitor, HostSettings
from vostui.host.processes import ProcessInfo, ProcessSnapshot
from vostui.host.rates import RateTracker
from vostui.host.recent import KernelClock, RecentSnapshot, parse_hashlimit, parse_xt_recent
from vostui.host.system import DiskIO, InterfaceIO, SystemSnapshot
from vostui.host.udp import UdpSnapshot, UdpSocket, parse_snmp, parse_udp_sockets

HOST = Path(__file__).resolve().parents[1] / "fixtures" / "host"
SIP = (5060,)
GIB = 1024**3
_COUNTERS = re.compile(r"^\[(\d+):(\d+)\]", re.M)


def read(*parts: str) -> str:
    return HOST.joinpath(*parts).read_text()


def advanced(text: str) -> str:
    """The same rules one second later: busy rules counted more packets."""

    def more(match: re.Match[str]) -> str:
        packets, nbytes = int(match.group(1)), int(match.group(2))
        if not packets:
            return match.group(0)
        extra = packets * 4
        return f"[{packets + extra}:{nbytes + extra * 80}]"

    return _COUNTERS.sub(more, text)


def firewall_readings(version: str = "nft-1.8.9") -> list[FirewallSnapshot]:
    """Two polls of the recorded ruleset, one second apart, with rates on the second."""
    first_text = read(version, "iptables-save-c.txt")
    texts = (first_text, advanced(first_text))
    packets_tracker, bytes_tracker = RateTracker(), RateTracker()
    out = []
    for n, text in enumerate(texts):
        saved = parse_iptables_save(text)
        packets, nbytes = rule_counters(saved)
        rates = packets_tracker.update(packets, float(n))
        byte_rates = bytes_tracker.update(nbytes, float(n))
        out.append(
            FirewallSnapshot(
                at=T0 + n,
                backend="nft",
                version="1.8.9",
                source="iptables-save",
                tables=build_tables(saved, rates, byte_rates, SIP),
                interval=None if n == 0 else 1.0,
            )
        )
    return out


def recent_reading() -> RecentSnapshot:
    clock = KernelClock(jiffies=4350124456, hz=1000, wall=T0)
    return RecentSnapshot(
        at=T0,
        lists=(
            parse_xt_recent(
                read("centos7-1.4.21", "proc-net-xt_recent-SIPFLOOD.txt"), "SIPFLOOD", clock
            ),
        ),
        hashlimits=(
            parse_hashlimit(
                read("centos7-1.4.21", "proc-net-ipt_hashlimit-SIPRATE.txt"), "SIPRATE"
            ),
        ),
        hz=1000,
    )


def conntrack_readings() -> list[ConntrackSnapshot]:
    """Use climbing to the warn threshold; the drop counter moving on the last reading."""
    stats = parse_conntrack_stat(read("centos7-1.4.21", "proc-net-stat-nf_conntrack.txt"))
    out = []
    for n, use in enumerate((0.52, 0.58, 0.63, 0.66, 0.70)):
        count = round(262_144 * use)
        out.append(
            ConntrackSnapshot(
                at=T0 + n,
                count=count,
                max=262_144,
                use=count / 262_144,
                level="warn" if use >= 0.70 else "ok",
                buckets=65_536,
                stats=stats,
                rates={"insert_failed": 0.0, "drop": 2.5 if n == 4 else 0.0, "early_drop": 0.0},
                udp_timeout=30,
                udp_timeout_stream=180,
                stats_source="/proc/net/stat/nf_conntrack",
            )
        )
    return out


def entries_reading() -> ConntrackEntriesSnapshot:
    """The recorded table as the first entries of a much larger one."""
    entries = list(parse_conntrack_entries(read("centos7-1.4.21", "proc-net-nf_conntrack.txt")))
    top, sip, sip_total, protocols, scanned = summarize_entries(entries, SIP)
    return ConntrackEntriesSnapshot(
        at=T0,
        scanned=scanned,
        total=812_344,
        capped=True,
        cap=scanned,
        top_sources=tuple(top),
        sip_entries=tuple(sip),
        sip_total=sip_total,
        by_protocol=protocols,
        source="/proc/net/nf_conntrack",
        seconds=0.012,
    )


def udp_reading() -> UdpSnapshot:
    rows = parse_udp_sockets(read("proc", "net_udp.txt"), None)
    return UdpSnapshot(
        at=T0,
        counters=parse_snmp(read("proc", "net_snmp.txt")),
        rates={"RcvbufErrors": 12.0, "InErrors": 12.0, "SndbufErrors": 0.0},
        sockets=tuple(
            UdpSocket("ipv4", r[0], r[1], r[2], r[3], r[4], 0.0, r[5], r[6]) for r in rows
        ),
        rmem_max=212_992,
        rmem_default=212_992,
    )


def system_readings() -> list[SystemSnapshot]:
    out = []
    for n, (cores, load) in enumerate((((20.0, 30.0), 0.9), ((35.0, 92.0), 1.52))):
        out.append(
            SystemSnapshot(
                at=T0 + n,
                cpu_percent=cores,
                cpu_total=sum(cores) / len(cores),
                load=(load, 1.20, 0.98),
                cores=2,
                memory_total=8 * GIB,
                memory_available=3 * GIB,
                memory_percent=62.5,
                swap_total=2 * GIB,
                swap_used=GIB // 8,
                swap_percent=6.2,
                log_path="/home/vos3000/log",
                disk_total=50 * GIB,
                disk_used=46 * GIB,
                disk_free=4 * GIB,
                disk_percent=92.0,
                disks=(DiskIO("sda", 1_200_000.0, 5_400_000.0, 20.0, 310.0, 42.0),),
                interfaces=(
                    InterfaceIO(
                        "eth0",
                        2_500_000.0,
                        2_400_000.0,
                        9_000.0,
                        8_800.0,
                        0.0,
                        0.0,
                        10**10,
                        10**10,
                        0,
                        0,
                    ),
                    InterfaceIO("lo", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, 0, 0, 0),
                ),
            )
        )
    return out


def process_reading() -> ProcessSnapshot:
    day = 86_400.0
    return ProcessSnapshot(
        at=T0,
        processes=(
            ProcessInfo(
                "mbx3000",
                2101,
                "/home/vos3000/bin/mbx3000 -d",
                12.5,
                512 * 1024**2,
                48,
                210,
                T0 - 3 * day,
                3 * day,
                "vos3000",
            ),
            ProcessInfo(
                "sipproxy",
                2240,
                "/home/vos3000/bin/sipproxy",
                31.0,
                256 * 1024**2,
                24,
                96,
                T0 - 600,
                600.0,
                "vos3000",
            ),
        ),
        missing=("callservice",),
        restarts=(("sipproxy", 2),),
        watched=("mbx3000", "sipproxy", "callservice"),
    )


class Replay:
    """A collector that returns recorded snapshots one per poll, then nothing new."""

    def __init__(self, readings: Sequence[Any]) -> None:
        self.readings = list(readings)

    def poll(self) -> Any:
        return self.readings.pop(0) if self.readings else None


def recorded_monitor() -> HostMonitor:
    """A real HostMonitor over the recorded readings, already polled to the last one."""
    monitor = HostMonitor(
        HostSettings(interval=0.05),
        collectors={
            "firewall": Replay(firewall_readings()),
            "recent": Replay([recent_reading()]),
            "conntrack": Replay(conntrack_readings()),
            "conntrack_entries": Replay([entries_reading()]),
            "udp": Replay([udp_reading()]),
            "system": Replay(system_readings()),
            "processes": Replay([process_reading()]),
        },
    )
    for _ in range(6):
        monitor.poll_all(timeout=5)
    return monitor


LOG_LINES = (
    "[2023-11-14 22:14:30.100] [INFO ] [SipProxy] recv INVITE from 10.0.1.1:5060 "
    "callid=a-15@cust caller=1000015 callee=44200000015",
    "[2023-11-14 22:14:30.120] [INFO ] [Route] route to gateway vendor-1 (10.0.2.1:5060) "
    "callid=a-15@cust leg_callid=b-15-ss",
    "[2023-11-14 22:14:34.100] [WARN ] [Route] gateway vendor-2 failed (503), trying next route "
    "callid=a-19@cust",
    "[2023-11-14 22:14:36.000] [ERROR] [Register] REGISTER user=102 from 10.0.3.3:5060 "
    "callid=reg-2 result=403 forbidden",
    "[2023-11-14 22:14:38.500] [INFO ] [SipProxy] send 200 OK to 10.0.1.5:5060 callid=a-39@cust",
)
SECURE_LINES = (
    "Nov 14 22:14:31 vos3000 sshd[24105]: Failed password for root from 198.51.100.7 port 39328 "
    "ssh2",
    "Nov 14 22:14:35 vos3000 sshd[24105]: Accepted publickey for root from 192.0.2.10 port 40022",
)


def write_logs(folder: Path) -> dict[str, Path]:
    """A softswitch log and a secure log with their own stamps; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    sipproxy = folder / "sipproxy.log"
    secure = folder / "secure"
    sipproxy.write_text("".join(line + "\n" for line in LOG_LINES))
    secure.write_text("".join(line + "\n" for line in SECURE_LINES))
    return {"sipproxy": sipproxy, "secure": secure}


def follower(paths: Sequence[Path | str], fixed_clock: bool = False, **options: Any) -> LogFollower:
    """A real LogFollower; a fixed clock keeps the lines/s figure off the screen."""
    if fixed_clock:
        options.setdefault("clock", lambda: T0 + 100.0)
    options.setdefault("interval", 0.02)
    options.setdefault("rescan", 0.2)
    return LogFollower([str(p) for p in paths], **options)


def host_app(
    *,
    monitor: Any = None,
    logs: Any = None,
    pipeline: FakePipeline | None = None,
    config: Config | None = None,
    export_dir: str | None = None,
    label: str = "",
):  # -> VostuiApp
    """The real app with a host monitor and a log follower, no wall clock in the engine."""
    from ui_fakes import GATEWAYS

    from vostui.ui.app import VostuiApp

    return VostuiApp(
        config or Config(gateways=GATEWAYS, refresh=0.05),
        pipeline or FakePipeline(make_snapshot(40)),
        title="vostui test",
        deterministic=True,
        export_dir=export_dir,
        host_monitor=monitor,
        log_follower=logs,
        host_label=label,
    )
