"""The host under the softswitch: conntrack, UDP buffers, processes, disk, CPU, logins.

Every rule here returns nothing when its part of the host snapshot is absent (the
checklists say "not checked" instead): the file-only `vostui doctor FILE` has no host.
"""

from __future__ import annotations

from typing import Any

from vostui.diagnose.context import Context
from vostui.diagnose.finding import (
    CRITICAL,
    HOST,
    INFO,
    IP,
    NOTICE,
    WARNING,
    Affected,
    Finding,
    Ref,
    evidence,
)

GIB = 1024**3


def _part(ctx: Context, name: str) -> Any:
    host = ctx.host
    part: Any = getattr(host, name, None) if host is not None else None
    if part is None or getattr(part, "problem", None):
        return None
    return part


def _trend(values: tuple[float, ...], unit: str = "") -> str:
    if len(values) < 2:
        return ""
    tail = values[-6:]
    return "recent: " + " → ".join(f"{v:.0f}{unit}" for v in tail)


def conntrack(ctx: Context) -> list[Finding]:
    ct = _part(ctx, "conntrack")
    if ct is None or ct.use is None:
        return []
    s = ctx.settings
    rates = ct.rates or {}
    dropping = {name: rate for name, rate in rates.items() if rate and name != "invalid"}
    dropping.pop("search_restart", None)
    if ct.use < s.conntrack_warn and not dropping:
        return []
    severity = CRITICAL if ct.use >= s.conntrack_critical or dropping else WARNING
    lines = [f"conntrack {ct.count} of {ct.max} entries ({ct.use:.0%})"]
    if dropping:
        lines.append(
            "dropping now: " + ", ".join(f"{k} {v:.1f}/s" for k, v in sorted(dropping.items()))
        )
    trend = _trend(getattr(ctx.host, "conntrack_use_history", ()), "%")
    if trend:
        lines.append(trend)
    if ct.udp_timeout is not None:
        lines.append(
            f"UDP timeouts: {ct.udp_timeout} s unreplied, {ct.udp_timeout_stream} s stream"
        )
    entries = _part(ctx, "conntrack_entries")
    if entries is not None:
        top = ", ".join(f"{t.address} {t.entries}" for t in entries.top_sources[:5])
        lines.append(f"top sources ({entries.sample_note}): {top}")
    return [
        Finding(
            rule="host.conntrack",
            severity=severity,
            title=f"conntrack table {ct.use:.0%} full"
            + (": new connections are dropped" if dropping else ""),
            affected=Affected(HOST, "conntrack"),
            evidence=evidence(lines),
            cause=(
                "Every SIP and RTP flow takes a conntrack entry; a scan, a flood or long UDP "
                "timeouts fill the table, and when it is full the kernel drops new packets: "
                "calls fail at random, registrations time out."
            ),
            check=(
                "conntrack -C; sysctl net.netfilter.nf_conntrack_max; "
                "conntrack -L -p udp | awk '{print $4}' | sort | uniq -c | sort -rn | head"
            ),
            fix=(
                "Raise net.netfilter.nf_conntrack_max (and the hash size), shorten "
                "nf_conntrack_udp_timeout, drop scanners before conntrack (raw table "
                "NOTRACK/DROP), or skip tracking for RTP ports."
            ),
            count=ct.count or 0,
        )
    ]


def udp_errors(ctx: Context) -> list[Finding]:
    udp = _part(ctx, "udp")
    if udp is None:
        return []
    rates = udp.rates or {}
    rcvbuf = rates.get("RcvbufErrors") or 0.0
    inerr = rates.get("InErrors") or 0.0
    sockets = [sock for sock in udp.sockets if sock.drops_per_second]
    history = getattr(ctx.host, "udp_rcvbuf_error_history", ())
    if not (rcvbuf > 0 or inerr > 0 or sockets or any(v > 0 for v in history)):
        return []
    now = rcvbuf > 0 or inerr > 0 or bool(sockets)
    counters = udp.counters or {}
    lines = [
        f"RcvbufErrors {rcvbuf:.1f}/s, InErrors {inerr:.1f}/s "
        f"(total {counters.get('RcvbufErrors', 0)}, {counters.get('InErrors', 0)})"
    ]
    for sock in sockets[:5]:
        lines.append(
            f"socket {sock.local_address}:{sock.local_port}: {sock.drops_per_second:.1f} drops/s, "
            f"rx queue {sock.rx_queue} bytes"
        )
    if udp.rmem_max is not None:
        lines.append(f"net.core.rmem_max {udp.rmem_max}, rmem_default {udp.rmem_default}")
    trend = _trend(history, "/s")
    if trend:
        lines.append(trend)
    return [
        Finding(
            rule="host.udp_errors",
            severity=WARNING if now else NOTICE,
            title="UDP packets dropped: receive buffers full"
            if now
            else "UDP receive-buffer errors earlier",
            affected=Affected(HOST, "udp"),
            evidence=evidence(lines),
            cause=(
                "The softswitch reads its SIP socket slower than packets arrive (CPU "
                "starved, a burst, a flood) and the kernel drops what does not fit in the "
                "socket buffer: lost INVITEs and retransmissions, failing calls."
            ),
            check="netstat -su | grep -i error; ss -ulpnm 'sport = :5060'; top -H",
            fix=(
                "Raise net.core.rmem_max / rmem_default (e.g. 8 MB) and the softswitch's "
                "socket buffer, stop the flood (firewall), find what starves the CPU."
            ),
        )
    ]


def processes(ctx: Context) -> list[Finding]:
    procs = _part(ctx, "processes")
    if procs is None or not procs.watched:
        return []
    s = ctx.settings
    out = []
    running = {p.name for p in procs.processes}
    missing = list(procs.missing)
    if missing:
        if running or s.processes_configured:
            out.append(
                Finding(
                    rule="host.process_down",
                    severity=CRITICAL,
                    title=f"softswitch process not running: {', '.join(missing)}",
                    affected=Affected(HOST, ",".join(missing)),
                    evidence=evidence(
                        [
                            f"watched: {', '.join(procs.watched)}",
                            f"running: {', '.join(sorted(running)) or 'none'}",
                            f"missing: {', '.join(missing)}",
                        ]
                    ),
                    cause="A process of the softswitch has stopped or crashed.",
                    check=(
                        "ps -ef | grep -E '" + "|".join(missing) + "'; the softswitch's own "
                        "logs; dmesg | tail (out of memory killer)"
                    ),
                    fix="Start the service again (service/systemctl), then find why it died.",
                )
            )
        else:
            out.append(
                Finding(
                    rule="host.process_down",
                    severity=INFO,
                    title="no softswitch process found on this host",
                    affected=Affected(HOST, "processes"),
                    evidence=evidence([f"watched (defaults): {', '.join(procs.watched)}"]),
                    cause="Not the softswitch host, or its processes have other names.",
                    check="ps -ef | grep -i vos",
                    fix="Set softswitch_processes in the config to the names on this host.",
                )
            )
    restarted = [(name, n) for name, n in procs.restarts if n > 0]
    if restarted:
        out.append(
            Finding(
                rule="host.process_restarts",
                severity=WARNING,
                title="softswitch process restarted: "
                + ", ".join(f"{name} ×{n}" for name, n in restarted),
                affected=Affected(HOST, ",".join(name for name, _n in restarted)),
                evidence=evidence(
                    [
                        f"{p.name} pid {p.pid} up {p.uptime:.0f} s, cpu {p.cpu_percent or 0:.0f}%"
                        for p in procs.processes
                        if p.name in dict(restarted)
                    ]
                ),
                cause="A process died and was started again (a crash, the OOM killer, a watchdog).",
                check="dmesg -T | grep -i -E 'killed|segfault'; the softswitch's logs at the time",
                fix="Find the cause of the crash; calls up at that moment were lost.",
                count=sum(n for _name, n in restarted),
            )
        )
    return out


def log_disk(ctx: Context) -> list[Finding]:
    system = _part(ctx, "system")
    if system is None or not system.disk_total:
        return []
    s = ctx.settings
    used = system.disk_percent
    if used < s.disk_warn:
        return []
    return [
        Finding(
            rule="host.log_disk",
            severity=CRITICAL if used >= s.disk_critical else WARNING,
            title=f"log partition {system.log_path or '/'} {used:.0f}% full",
            affected=Affected(HOST, system.log_path or "/"),
            evidence=evidence(
                [
                    f"{system.log_path or '/'}: {system.disk_used / GIB:.1f} GiB used of "
                    f"{system.disk_total / GIB:.1f} GiB, {system.disk_free / GIB:.1f} GiB free"
                ]
            ),
            cause=(
                "Logs, CDRs or captures are filling the partition. When it is full the "
                "softswitch cannot write CDRs or logs and its database may stop."
            ),
            check=f"df -h {system.log_path or '/'}; du -xsh {system.log_path or '/'}/* | sort -h",
            fix="Remove or compress old logs and captures; fix logrotate; grow the partition.",
        )
    ]


def cpu(ctx: Context) -> list[Finding]:
    """Busy CPU, sustained: the lowest of the last few readings must be high (one busy
    second is not a finding). A one-shot check with a single reading says "notice"."""
    system = _part(ctx, "system")
    if system is None or system.cpu_total is None:
        return []
    history = tuple(getattr(ctx.host, "cpu_history", ()))[-5:]
    sustained = len(history) >= 3
    level = min(history) if sustained else system.cpu_total
    if level < ctx.settings.cpu_warn:
        return []
    procs = _part(ctx, "processes")
    load = " ".join(f"{v:.2f}" for v in system.load) if system.load else "-"
    lines = [f"CPU {system.cpu_total:.0f}% over {system.cores} cores, load {load}"]
    if procs is not None:
        for p in sorted(procs.processes, key=lambda p: -(p.cpu_percent or 0))[:5]:
            lines.append(f"{p.name} pid {p.pid}: {p.cpu_percent or 0:.0f}%")
    trend = _trend(history, "%")
    if trend:
        lines.append(trend)
    return [
        Finding(
            rule="host.cpu",
            severity=WARNING if sustained else NOTICE,
            title=f"CPU {level:.0f}% busy" + ("" if sustained else " (one reading)"),
            affected=Affected(HOST, "cpu"),
            evidence=evidence(lines),
            cause=(
                "The host is short of CPU: traffic above what it handles, a flood, a "
                "runaway process. SIP answers slow down (long PDD, retransmissions)."
            ),
            check="top -H -o %CPU; the calls per second now against the usual",
            fix="Stop the flood or the runaway process; spread the load or add capacity.",
        )
    ]


def failed_logins(ctx: Context) -> list[Finding]:
    logs: Any = ctx.logs
    if logs is None:
        return []
    out = []
    for entry in logs.failed_logins():
        if entry.count < ctx.settings.failed_logins_min or ctx.trusted(entry.ip):
            continue
        out.append(
            Finding(
                rule="logs.failed_logins",
                severity=WARNING,
                title=f"{entry.ip}: {entry.count} failed logins",
                affected=Affected(IP, entry.ip),
                evidence=evidence(
                    [f"users tried: {', '.join(entry.users[:10])}"]
                    + [
                        f"log {line.file}: {line.text}"
                        for line in logs.lines_for(ips=[entry.ip])[-3:]
                    ]
                ),
                cause="Password guessing against SSH (or another login) on this host.",
                check=f"grep {entry.ip} /var/log/secure | tail; lastb | head",
                fix=(
                    f"Block it: iptables -I INPUT -s {entry.ip} -j DROP; allow SSH only from "
                    "your admin networks; keys instead of passwords; fail2ban."
                ),
                refs=(Ref(ip=entry.ip),),
                count=entry.count,
                first=entry.first,
                last=entry.last,
            )
        )
    return out[:10]


RULES = (
    ("host.conntrack", "conntrack table near full or dropping"),
    ("host.udp_errors", "UDP receive-buffer errors rising"),
    ("host.process_down", "softswitch process not running"),
    ("host.process_restarts", "softswitch process restarted"),
    ("host.log_disk", "log partition filling"),
    ("host.cpu", "CPU busy"),
    ("logs.failed_logins", "failed logins in the logs"),
)
CHECKS = (conntrack, udp_errors, processes, log_disk, cpu, failed_logins)
