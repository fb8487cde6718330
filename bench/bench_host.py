"""Cost of one poll of each host collector, with 2,000 rules and 100,000 conntrack entries.

Run as root: `python bench/bench_host.py [--rules 2000] [--entries 100000] [--polls 20]`.

It makes two network namespaces joined by a veth pair (10.250.N.x inside them only),
loads a SIP-style rule set of `--rules` rules with iptables-restore (nft and legacy back
ends in turn), creates `--entries` UDP conntrack entries by sending one datagram per flow
from the client namespace, then re-runs itself inside the server namespace (`--measure`)
so the collectors read exactly as they would on a host: no `ip netns exec` per command.

CPU per poll = this process's CPU time (all threads) plus its children's (iptables-save,
nft), measured with getrusage around each poll. "% of a core at 1 s" is CPU per poll
divided by the interval. Deleting the namespaces at the end frees everything.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "host"))

SENDER = r"""
import socket, sys
dst, flows = sys.argv[1], int(sys.argv[2])
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(flows // 50000 + 1)]
sent = 0
for s in socks:
    for port in range(1, 50001):
        if sent >= flows:
            break
        s.sendto(b"x", (dst, 10000 + port % 50000 if port != 5060 else 5060))
        sent += 1
"""


def ruleset(count: int) -> str:
    """A SIP-style filter table with `count` rules spread over 20 custom chains."""
    chains = [f"SIP_BLOCK_{n:02d}" for n in range(20)]
    lines = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]"]
    lines += [f":{c} - [0:0]" for c in chains]
    lines.append("-A INPUT -m conntrack --ctstate NEW")  # turns tracking on, counts only
    body = count - 1 - len(chains)
    for i in range(max(0, body)):
        chain = chains[i % len(chains)]
        kind = i % 6
        net = f"10.{100 + i // 60000}.{(i // 250) % 250}.{i % 250}/32"
        if kind == 0:
            rule = f'-s {net} -m comment --comment "blocked {i}" -j DROP'
        elif kind == 1:
            rule = (
                f"-s {net} -p udp -m udp --dport 5060 "
                f'-m string --string "scanner-{i}" --algo bm -j DROP'
            )
        elif kind == 2:
            rule = (
                f"-s {net} -m recent --update --seconds 60 --hitcount 20 "
                f"--name R{i % 8} --rsource -j DROP"
            )
        elif kind == 3:
            rule = f"-s {net} -p udp -m multiport --dports 5060,5061 -j ACCEPT"
        elif kind == 4:
            rule = (
                f"-s {net} -m hashlimit --hashlimit-above 50/sec --hashlimit-burst 100 "
                f"--hashlimit-mode srcip --hashlimit-name H{i % 4} -j DROP"
            )
        else:
            rule = f'-s {net} -j LOG --log-prefix "SIP-{i}: "'
        lines.append(f"-A {chain} {rule}")
    lines += [f"-A INPUT -p udp -m udp --dport 5060 -j {c}" for c in chains]
    lines.append("COMMIT")
    return "\n".join(lines) + "\n"


def moving_counters(rules: int, polls: int) -> dict[str, float]:
    """CPU ms of the parse and RuleBook stages per poll when N rules' counters move
    (the bench's namespaces see no traffic while they poll, so every counter is still)."""
    from vostui.host.iptables import RuleBook, SaveParser

    lines = ruleset(rules).splitlines()
    out: dict[str, float] = {}
    for moving in (0, 20, 200):
        parser, book = SaveParser(), RuleBook((5060,))
        rule_lines = [i for i, line in enumerate(lines) if line.startswith("-A ")]
        hit = set(rule_lines[:: max(1, len(rule_lines) // moving)][:moving]) if moving else set()
        cpu = 0.0
        for n in range(polls + 2):
            text = "\n".join(
                f"[{n * 7 if i in hit else 3}:{n * 700 if i in hit else 300}] {line}"
                if line.startswith("-A ")
                else line
                for i, line in enumerate(lines)
            )
            c0 = cpu_now()
            book.update(parser.read(text), float(n))
            if n >= 2:  # the first polls parse and see every rate settle
                cpu += cpu_now() - c0
        out[f"{moving} rules moving"] = 1000 * cpu / polls
    return out


def cpu_now() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def measure(name: str, collector: object, polls: int) -> dict[str, float | str]:
    poll = collector.poll  # type: ignore[attr-defined]
    c0 = cpu_now()
    poll()  # warm caches (rule-text cache, psutil process list) like a running console
    first = cpu_now() - c0
    poll()  # the firewall plans its netlink reads once the generation held for a poll
    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(polls):
        c0, w0 = cpu_now(), time.perf_counter()
        result = poll()
        cpu.append(cpu_now() - c0)
        wall.append(time.perf_counter() - w0)
        time.sleep(0.02)
    problem = getattr(result, "problem", "")
    return {
        "collector": name,
        "cpu_ms": 1000 * statistics.mean(cpu),
        "cpu_ms_median": 1000 * statistics.median(cpu),
        "wall_ms": 1000 * statistics.median(wall),
        "first_ms": 1000 * first,
        "problem": problem,
    }


def run_measure(args: argparse.Namespace) -> None:
    from vostui.config import Config
    from vostui.host.conntrack import ConntrackCollector, ConntrackEntriesCollector
    from vostui.host.firewall import FirewallCollector
    from vostui.host.processes import ProcessCollector
    from vostui.host.recent import RecentCollector
    from vostui.host.system import SystemCollector
    from vostui.host.udp import UdpCollector

    ports = (5060, 5061, 5070, 6060)
    config = Config()
    collectors = {
        "firewall": FirewallCollector(sip_ports=ports, command=args.command),
        # For comparison: iptables-save and its parse on every poll (before netlink).
        "firewall, text every poll": FirewallCollector(
            sip_ports=ports, command=args.command, netlink=False
        ),
        "recent": RecentCollector(),
        "conntrack": ConntrackCollector(),
        "conntrack_entries (cap 5000)": ConntrackEntriesCollector(sip_ports=ports),
        "conntrack_entries (no cap)": ConntrackEntriesCollector(sip_ports=ports, cap=10**7),
        # A smaller sample, for a listing polled every second with the rest.
        "conntrack_entries (cap 2000)": ConntrackEntriesCollector(sip_ports=ports, cap=2000),
        # For comparison: the /proc text read (before ctnetlink, and its fallback).
        "conntrack_entries (cap 5000, /proc text)": ConntrackEntriesCollector(
            sip_ports=ports, netlink=False
        ),
        "udp": UdpCollector(sip_ports=ports),
        "system": SystemCollector(config.log_files),
        "processes": ProcessCollector(config.softswitch_processes),
    }
    results = [measure(name, c, args.polls) for name, c in collectors.items()]
    fw = collectors["firewall"].poll()  # type: ignore[attr-defined]
    rules = sum(1 for _ in fw.rules())
    count = collectors["conntrack"].poll().count  # type: ignore[attr-defined]
    shortcut = collectors["firewall"].netlink  # type: ignore[attr-defined]
    recheck = 0.0
    if shortcut is not None and shortcut.reads:
        shortcut.recheck()  # the periodic safety read: text again, same generation
        c0 = cpu_now()
        collectors["firewall"].poll()  # type: ignore[attr-defined]
        recheck = 1000 * (cpu_now() - c0)
    extra: dict[str, object] = {
        "recheck_ms": recheck,
        "moving": moving_counters(args.rules, args.polls),
        "rules_seen": rules,
        "conntrack_count": count,
        "backend": fw.backend,
        "netlink_reads": shortcut.reads if shortcut else 0,
        "netlink_text_every": shortcut.text_every if shortcut else 0,
        "netlink_why_not": shortcut.why_not if shortcut else "",
    }
    # The netlink count the architecture notes mention, for comparison with the file read.
    try:
        from pyroute2 import Conntrack

        with Conntrack() as ct:
            t0 = time.perf_counter()
            for _ in range(args.polls):
                ct.count()
            extra["pyroute2_count_ms"] = 1000 * (time.perf_counter() - t0) / args.polls
    except Exception as exc:  # optional comparison only
        extra["pyroute2_count_ms"] = f"unavailable: {exc}"
    print(json.dumps({"results": results, "extra": extra}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--polls", type=int, default=20)
    parser.add_argument("--backends", default="nft,legacy")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--command", default="iptables", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        run_measure(args)
        return 0
    if os.geteuid() != 0:
        print("bench_host: needs root (network namespaces)", file=sys.stderr)
        return 2
    from hostns import Lab

    rules = ruleset(args.rules)
    for backend in args.backends.split(","):
        with Lab() as lab:
            lab.in_server(f"iptables-{backend}-restore", input=rules)
            lab.in_server("sysctl", "-qw", "net.netfilter.nf_conntrack_udp_timeout=600")
            started = time.monotonic()
            lab.sh(
                "ip",
                "netns",
                "exec",
                lab.client,
                sys.executable,
                "-c",
                SENDER,
                lab.server_ip,
                str(args.entries),
            )
            fill = time.monotonic() - started
            out = lab.in_server(
                sys.executable,
                __file__,
                "--measure",
                "--polls",
                str(args.polls),
                "--command",
                f"iptables-{backend}",
            )
            report(backend, json.loads(out), args, fill)
    return 0


def report(backend: str, data: dict, args: argparse.Namespace, fill: float) -> None:
    extra = data["extra"]
    print(
        f"\n## back end {backend}: {extra['rules_seen']} rules read, "
        f"{extra['conntrack_count']} conntrack entries (made in {fill:.1f} s), "
        f"{args.polls} polls each\n"
    )
    print("| collector | CPU ms/poll (mean) | median | wall ms | % of a core at 1 s |")
    print("|---|---:|---:|---:|---:|")
    for row in data["results"]:
        note = f" ({row['problem']})" if row["problem"] else ""
        print(
            f"| {row['collector']}{note} | {row['cpu_ms']:.2f} | {row['cpu_ms_median']:.2f} "
            f"| {row['wall_ms']:.2f} | {row['cpu_ms'] / 10:.2f} % |"
        )
    by = {row["collector"]: row["cpu_ms"] for row in data["results"]}
    first = {row["collector"]: row["first_ms"] for row in data["results"]}
    # Over netlink the rule text is read again (and the reads planned) every
    # `text_every` seconds and on each ruleset change: spread that over the seconds.
    text_every = extra["netlink_text_every"] if extra["netlink_reads"] else 0
    refresh = extra["recheck_ms"] / text_every if text_every else 0.0
    if text_every:
        print(
            f"\nfirewall: {extra['netlink_reads']} polls over netlink; the first poll (text "
            f"read and parse, netlink plan) cost {first['firewall']:.1f} ms; the safety "
            f"text read every {text_every:.0f} s {extra['recheck_ms']:.1f} ms "
            f"(+{refresh:.2f} ms per second, counted below)"
        )
    elif extra["netlink_why_not"]:
        print(f"\nfirewall: netlink not used: {extra['netlink_why_not']}")
    moving = ", ".join(f"{k} {v:.2f} ms" for k, v in extra["moving"].items())
    print(f"parse + RuleBook per poll, iptables-save text of {args.rules} rules: {moving}")
    every_second = refresh + sum(
        v for k, v in by.items() if not k.startswith(("conntrack_entries", "firewall, "))
    )
    defaults = (
        refresh
        + by["firewall"]
        + by["conntrack"]
        + by["udp"]
        + by["system"]
        + (by["recent"] + by["processes"]) / 2
        + by["conntrack_entries (cap 5000)"] / 10
    )
    print(f"\nall collectors but the entry listing every 1 s: {every_second / 10:.2f} % of a core")
    print(
        f"default schedule (1 s; recent and processes 2 s; entries every 10 s, cap 5000): "
        f"{defaults / 10:.2f} % of a core"
    )
    everything = every_second + by["conntrack_entries (cap 5000)"]
    print(
        f"every collector every 1 s, the entry listing too (cap 5000): "
        f"{everything / 10:.2f} % of a core"
    )
    small = every_second + by["conntrack_entries (cap 2000)"]
    print(
        f"every collector every 1 s, the entry listing capped at 2000: {small / 10:.2f} % of a core"
    )
    if "conntrack_entries (cap 5000, /proc text)" in by:
        text_row = every_second + by["conntrack_entries (cap 5000, /proc text)"]
        print(
            f"the same with the entry listing read from /proc text: {text_row / 10:.2f} % of a core"
        )
    print(
        f"pyroute2 netlink count: {extra['pyroute2_count_ms']} ms per call "
        "(the collector reads /proc/sys/net/netfilter/nf_conntrack_count instead)"
    )


if __name__ == "__main__":
    sys.exit(main())
