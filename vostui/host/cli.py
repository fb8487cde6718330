"""`vostui host`: the host snapshot without the console, as text or JSON, once or watching.

Rates need two readings, so a one-shot run polls twice, `--interval` seconds apart, and
reports the second reading; `--watch N` prints a snapshot every N seconds with rates
over those N seconds. JSON is one document per snapshot (one per line when watching),
described in docs/host-json.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, TextIO

from vostui.config import ConfigError, load
from vostui.host.access import HostAccess
from vostui.host.export import host_dict
from vostui.host.monitor import COLLECTORS, HostMonitor, HostSettings, HostSnapshot


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `host` sub-command to an argparse sub-parsers object."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "host",
        help="iptables, conntrack, UDP and process health, without the console",
        description="Print the host snapshot (firewall counters and rates, conntrack, UDP "
        "errors, CPU/memory/disk/network, softswitch processes) as text or JSON.",
    )
    add_arguments(parser)
    parser.set_defaults(func=run_host)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON (docs/host-json.md)")
    parser.add_argument(
        "--watch",
        type=float,
        metavar="SECONDS",
        help="print a snapshot every SECONDS, rates over that interval (Ctrl-C stops)",
    )
    parser.add_argument(
        "--count", type=int, metavar="N", help="with --watch: stop after N snapshots"
    )
    parser.add_argument(
        "--interval",
        type=float,
        metavar="SECONDS",
        help="one-shot: seconds between the two readings rates are computed from "
        "(default: host_interval from the config)",
    )
    parser.add_argument(
        "--only",
        metavar="LIST",
        help=f"comma-separated collectors to run, of: {','.join(COLLECTORS)}",
    )
    parser.add_argument("--netns", metavar="NAME", help="read inside this network namespace")
    parser.add_argument(
        "--iptables",
        metavar="COMMAND",
        help="iptables command to use (iptables, iptables-legacy, iptables-nft)",
    )
    parser.add_argument("--entries-cap", type=int, metavar="N", help="conntrack entries to read")
    parser.add_argument("--config", metavar="PATH", help="config file (TOML)")


def run_host(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run `vostui host`; returns the exit status (0 ok, 2 bad arguments or config)."""
    stream = out or sys.stdout
    try:
        config = load(getattr(args, "config", None))
    except ConfigError as exc:
        print(f"vostui host: {exc}", file=sys.stderr)
        return 2
    only = None
    if args.only:
        only = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = [name for name in only if name not in COLLECTORS]
        if unknown:
            print(f"vostui host: unknown collector(s): {', '.join(unknown)}", file=sys.stderr)
            return 2
    for name in ("watch", "interval"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            print(f"vostui host: --{name} must be above 0", file=sys.stderr)
            return 2
    overrides: dict[str, Any] = {}
    if args.netns:
        overrides["access"] = HostAccess.in_netns(args.netns)
    if args.iptables:
        overrides["iptables_command"] = args.iptables
    if args.entries_cap:
        overrides["conntrack_entries_cap"] = args.entries_cap
    settings = HostSettings.from_config(config, **overrides)
    monitor = HostMonitor(settings, only=only)
    try:
        if args.watch:
            return _watch(monitor, args, stream)
        monitor.poll_all()
        time.sleep(args.interval or settings.interval)
        _emit(monitor.poll_all(), args.json, stream)
    except KeyboardInterrupt:
        return 130
    return 0


def _watch(monitor: HostMonitor, args: argparse.Namespace, stream: TextIO) -> int:
    monitor.poll_all()
    printed = 0
    next_at = time.monotonic() + args.watch
    while args.count is None or printed < args.count:
        time.sleep(max(0.0, next_at - time.monotonic()))
        next_at += args.watch
        _emit(monitor.poll_all(), args.json, stream)
        printed += 1
    return 0


def _emit(snapshot: HostSnapshot, as_json: bool, stream: TextIO) -> None:
    if as_json:
        stream.write(json.dumps(host_dict(snapshot), separators=(",", ":")) + "\n")
    else:
        stream.write(render_text(snapshot) + "\n")
    stream.flush()


# --- text ---------------------------------------------------------------------------------


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}/s"


def _size(value: float | None) -> str:
    if value is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def _section(lines: list[str], snap: HostSnapshot, name: str, title: str) -> Any:
    """Head one collector's section; its snapshot, or None when there is nothing to
    draw (not run, not polled yet, or a problem, which is written instead)."""
    if not any(c.name == name for c in snap.collectors):
        return None
    lines += ["", title]
    value = getattr(snap, name)
    return None if _problem(lines, value) else value


def _problem(lines: list[str], snapshot: Any) -> bool:
    if snapshot is None:
        lines.append("  (not polled)")
        return True
    if getattr(snapshot, "problem", ""):
        lines.append(f"  PROBLEM: {snapshot.problem}")
        if snapshot.fix:
            lines.append(f"  fix: {snapshot.fix}")
        return True
    return False


def render_text(snap: HostSnapshot) -> str:
    """A plain-text report for a terminal or a ticket: no colours, no markup."""
    lines: list[str] = [time.strftime("vostui host  %Y-%m-%d %H:%M:%S", time.localtime(snap.at))]
    _render_firewall(lines, snap)
    _render_recent(lines, snap)
    _render_conntrack(lines, snap)
    _render_udp(lines, snap)
    _render_system(lines, snap)
    _render_processes(lines, snap)
    troubled = [c for c in snap.collectors if c.errors or c.stale]
    for status in troubled:
        lines.append(
            f"collector {status.name}: {status.errors} errors"
            + (f", last: {status.last_error}" if status.last_error else "")
            + (" (stale)" if status.stale else "")
        )
    return "\n".join(lines)


def _render_firewall(lines: list[str], snap: HostSnapshot) -> None:
    if not any(c.name == "firewall" for c in snap.collectors):
        return
    fw = snap.firewall
    head = "FIREWALL"
    if fw is not None and fw.backend:
        head += f"  ({fw.source}, back end {fw.backend} {fw.version})".rstrip()
    lines += ["", head]
    if _problem(lines, fw) or fw is None:
        return
    for warning in fw.warnings:
        lines.append(f"  note: {warning}")
    for table in fw.tables:
        for node in table.tree():
            _render_chain(lines, table.family, table.name, node)


def _render_chain(lines: list[str], family: str, table: str, node: Any) -> None:
    chain = node.chain
    indent = "  " + "    " * node.depth
    if node.depth == 0 and not chain.rules and chain.builtin and not chain.packets:
        return
    policy = f"policy {chain.policy} {chain.packets} pkts" if chain.builtin else "custom"
    via = f" (from rule {node.via})" if node.via else ""
    where = f"{family}/{table} " if node.depth == 0 else ""
    lines.append(f"{indent}{where}{chain.name}: {policy}{via}")
    children = {child.via: child for child in node.children}
    for rule in chain.rules:
        mark = "*" if rule.sip or chain.sip_path else " "
        lines.append(
            f"{indent}  {mark}{rule.index:>3} {rule.packets:>10} pkts "
            f"{_rate(rule.packets_per_second):>10}  {rule.words}"
        )
        child = children.get(rule.index)
        if child is not None and not child.loop:
            _render_chain(lines, family, table, child)


def _render_recent(lines: list[str], snap: HostSnapshot) -> None:
    recent = _section(lines, snap, "recent", "RECENT LISTS / HASHLIMIT")
    if recent is None:
        return
    if recent.note:
        lines.append(f"  {recent.note}")
    for lst in recent.lists:
        lines.append(f"  list {lst.name}: {lst.total} addresses")
        for entry in lst.entries[:20]:
            ago = "?" if entry.seconds_ago is None else f"{entry.seconds_ago:.0f} s ago"
            lines.append(f"    {entry.address:<40} {entry.hits:>4} hits  last {ago}")
    for table in recent.hashlimits:
        lines.append(f"  hashlimit {table.name} ({table.family}): {table.total} buckets")
        for bucket in table.entries[:20]:
            ratio = bucket.credit_ratio
            left = "?" if ratio is None else f"{100 * ratio:.0f}% credit left"
            lines.append(
                f"    {bucket.source}:{bucket.source_port} -> "
                f"{bucket.destination}:{bucket.destination_port}  {left}"
            )


def _render_conntrack(lines: list[str], snap: HostSnapshot) -> None:
    names = {c.name for c in snap.collectors}
    if "conntrack" in names:
        lines += ["", "CONNTRACK"]
        ct = snap.conntrack
        if not _problem(lines, ct) and ct is not None:
            use = "-" if ct.use is None else f"{100 * ct.use:.1f}%"
            lines.append(f"  entries {ct.count} of {ct.max}  use {use}  [{ct.level}]")
            if ct.udp_timeout is not None:
                lines.append(f"  udp timeout {ct.udp_timeout} s, stream {ct.udp_timeout_stream} s")
            if ct.stats:
                shown = []
                for name in ("insert_failed", "drop", "early_drop", "invalid"):
                    if name in ct.stats:
                        rate = (ct.rates or {}).get(name)
                        shown.append(f"{name} {ct.stats[name]} ({_rate(rate)})")
                lines.append("  " + "  ".join(shown))
    if "conntrack_entries" in names:
        entries = snap.conntrack_entries
        lines += ["", "CONNTRACK ENTRIES"]
        if not _problem(lines, entries) and entries is not None:
            lines.append(
                f"  {entries.sample_note}, {entries.sip_total} on SIP ports "
                f"(read in {entries.seconds * 1000:.0f} ms)"
            )
            for source in entries.top_sources[:10]:
                lines.append(
                    f"    {source.address:<40} {source.entries:>7} entries, "
                    f"{source.sip_entries} on SIP ports"
                )


def _render_udp(lines: list[str], snap: HostSnapshot) -> None:
    udp = _section(lines, snap, "udp", "UDP")
    if udp is None:
        return
    counters, rates = udp.counters or {}, udp.rates or {}
    lines.append(
        "  "
        + "  ".join(
            f"{name} {counters.get(name, '-')} ({_rate(rates.get(name))})"
            for name in ("InErrors", "RcvbufErrors", "SndbufErrors")
        )
    )
    lines.append(f"  rmem_max {udp.rmem_max}  rmem_default {udp.rmem_default}")
    for sock in udp.sockets:
        lines.append(
            f"  socket {sock.local_address}:{sock.local_port}  queued {sock.rx_queue} B  "
            f"drops {sock.drops} ({_rate(sock.drops_per_second)})"
        )


def _render_system(lines: list[str], snap: HostSnapshot) -> None:
    sysinfo = _section(lines, snap, "system", "SYSTEM")
    if sysinfo is None:
        return
    cores = " ".join(f"{v:.0f}%" for v in sysinfo.cpu_percent) or "-"
    load = " ".join(f"{v:.2f}" for v in sysinfo.load) if sysinfo.load else "-"
    lines.append(f"  cpu {cores}  load {load}")
    lines.append(
        f"  memory {sysinfo.memory_percent:.0f}% used ({_size(sysinfo.memory_available)} free)"
        f"  swap {_size(sysinfo.swap_used)} of {_size(sysinfo.swap_total)}"
    )
    lines.append(
        f"  log disk {sysinfo.log_path}: {sysinfo.disk_percent:.0f}% used, "
        f"{_size(sysinfo.disk_free)} free"
    )
    for disk in sysinfo.disks:
        lines.append(
            f"  disk {disk.name}: read {_size(disk.read_bytes_per_second)}/s "
            f"write {_size(disk.write_bytes_per_second)}/s"
        )
    for nic in sysinfo.interfaces:
        lines.append(
            f"  net {nic.name}: in {_size(nic.rx_bytes_per_second)}/s "
            f"out {_size(nic.tx_bytes_per_second)}/s drops {_rate(nic.rx_drops_per_second)}"
        )


def _render_processes(lines: list[str], snap: HostSnapshot) -> None:
    procs = _section(lines, snap, "processes", "SOFTSWITCH PROCESSES")
    if procs is None:
        return
    for proc in procs.processes:
        cpu = "-" if proc.cpu_percent is None else f"{proc.cpu_percent:.1f}%"
        lines.append(
            f"  {proc.name:<12} pid {proc.pid:<7} cpu {cpu:>6}  rss {_size(proc.rss)}  "
            f"threads {proc.threads}  fds {proc.open_files}  up {proc.uptime / 3600:.1f} h  "
            f"restarts {procs.restarts_of(proc.name)}"
        )
    if procs.missing:
        lines.append(f"  not running: {', '.join(procs.missing)}")
