"""Host collectors against real rules in network namespaces the tests make.

Each test builds two namespaces joined by a veth pair (10.250.N.x inside them only),
loads rules with iptables-restore, sends a bounded number of UDP datagrams, and reads
the snapshot inside the server namespace.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from vostui.host.access import HostAccess
from vostui.host.conntrack import ConntrackCollector, ConntrackEntriesCollector
from vostui.host.firewall import FirewallCollector
from vostui.host.iptables import parse_iptables_list
from vostui.host.recent import RecentCollector
from vostui.host.udp import UdpCollector

sys.path.insert(0, str(Path(__file__).parent))
from hostns import Lab, netns_unavailable

RULES = Path(__file__).resolve().parents[1] / "fixtures" / "host" / "nft-1.8.9" / "loaded-rules.v4"
SCANNER = "OPTIONS sip:100@x SIP/2.0\r\nUser-Agent: friendly-scanner\r\n\r\n"
PLAIN = "OPTIONS sip:100@x SIP/2.0\r\nUser-Agent: pbx\r\n\r\n"

TRACKING = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate NEW -j ACCEPT\nCOMMIT\n"

pytestmark = [pytest.mark.root]


def backends() -> list[str]:
    found = []
    for name in ("nft", "legacy"):
        if shutil.which(f"iptables-{name}-restore"):
            found.append(name)
    return found


@pytest.fixture
def lab() -> Iterator[Lab]:
    reason = netns_unavailable()
    if reason:
        pytest.skip(reason)
    with Lab() as made:
        yield made


def need_conntrack(lab: Lab) -> None:
    text = lab.in_server("cat", "/proc/sys/net/netfilter/nf_conntrack_count", check=False)
    if not text.strip():
        pytest.skip(
            "the kernel has no nf_conntrack (no /proc/sys/net/netfilter/nf_conntrack_count)"
        )


@pytest.mark.parametrize("backend", backends() or ["none"])
def test_counters_and_rates_match_iptables_list(lab: Lab, backend: str) -> None:
    if backend == "none":
        pytest.skip("neither iptables-nft nor iptables-legacy is installed")
    lab.in_server(f"iptables-{backend}-restore", input=RULES.read_text())
    collector = FirewallCollector(
        HostAccess.in_netns(lab.server), sip_ports=(5060,), command=f"iptables-{backend}"
    )
    first = collector.poll()
    assert first.ok, first.problem
    assert first.backend == backend and first.interval is None
    lab.send(12, SCANNER)
    lab.send(9, PLAIN)
    second = collector.poll()
    assert second.ok, second.problem
    listed = {
        c.name: c
        for c in parse_iptables_list(lab.in_server(f"iptables-{backend}", "-L", "-n", "-v", "-x"))
    }
    filt = second.table("filter")
    assert filt is not None
    for chain in filt.chains:
        assert [(r.packets, r.bytes) for r in chain.rules] == [
            (r.packets, r.bytes) for r in listed[chain.name].rules
        ], chain.name
    scanner = filt.chain("SIP_SCANNER_BLOCK")
    assert scanner.rules[0].packets == 12  # LOG friendly-scanner
    assert scanner.rules[1].packets == 12  # DROP friendly-scanner
    # Rates cover the interval between the two polls: rate * interval = counter delta.
    assert second.interval is not None and second.interval > 0
    old = {r.key: r.packets for r in first.rules()}
    for rule in second.rules():
        if rule.key in old:
            assert rule.packets_per_second is not None
            delta = rule.packets - old[rule.key]
            assert rule.packets_per_second * second.interval == pytest.approx(delta, abs=1e-6)
    assert scanner.rules[1].packets_per_second > 0
    # The jump from INPUT to the SIP chains is a SIP rule; the chains are on the SIP path.
    assert filt.chain("INPUT").rules[2].sip and scanner.sip_path


def test_recent_list_shows_the_sender(lab: Lab) -> None:
    lab.in_server("iptables-restore", input=RULES.read_text())
    lab.send(5, PLAIN)
    snap = RecentCollector(HostAccess.in_netns(lab.server)).poll()
    assert not snap.problem
    (lst,) = [x for x in snap.lists if x.name == "SIPFLOOD"]
    (entry,) = lst.entries
    assert entry.address == lab.client_ip and entry.hits == 5
    assert entry.seconds_ago is not None and entry.seconds_ago >= 0
    (table,) = [t for t in snap.hashlimits if t.name == "SIPRATE"]
    assert table.entries[0].source == lab.client_ip


def test_conntrack_count_moves_with_udp_flows(lab: Lab) -> None:
    need_conntrack(lab)
    # A stateful rule turns tracking on in the namespace; nothing drops (dropped packets
    # leave no entry, and the SIP rule set drops after 20 hits).
    lab.in_server("iptables-restore", input=TRACKING)
    access = HostAccess.in_netns(lab.server)
    collector = ConntrackCollector(access, warn=0.7, critical=0.9)
    before = collector.poll()
    assert not before.problem, before.problem
    lab.send(40, PLAIN, sports=40)  # 40 sockets: 40 flows
    after = collector.poll()
    assert after.count is not None and before.count is not None
    assert after.count >= before.count + 40
    assert after.max and after.use == pytest.approx(after.count / after.max)
    assert after.level == "ok" and after.udp_timeout and after.udp_timeout > 0
    assert after.stats is not None and "insert_failed" in after.stats
    assert after.rates is not None and after.rates.get("drop") is not None

    entries = ConntrackEntriesCollector(access, sip_ports=(5060,)).poll()
    assert not entries.problem
    assert entries.top_sources[0].address == lab.client_ip
    assert entries.top_sources[0].sip_entries >= 40 and not entries.capped
    capped = ConntrackEntriesCollector(access, sip_ports=(5060,), cap=10).poll()
    assert capped.capped and capped.scanned == 10
    assert "first 10" in capped.sample_note and "capped" in capped.sample_note


def test_udp_socket_drops_and_rcvbuf_errors(lab: Lab) -> None:
    holder = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            lab.server,
            sys.executable,
            "-c",
            "import socket,sys,time\n"
            "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            "s.setsockopt(socket.SOL_SOCKET,socket.SO_RCVBUF,1024)\n"
            "s.bind(('0.0.0.0',5060)); print('ready',flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        collector = UdpCollector(HostAccess.in_netns(lab.server), sip_ports=(5060,))
        collector.poll()
        lab.send(300, PLAIN)
        snap = collector.poll()
        assert not snap.problem
        (sock,) = [s for s in snap.sockets if s.local_port == 5060]
        assert sock.drops > 0 and sock.rx_queue > 0
        assert sock.drops_per_second is not None and sock.drops_per_second > 0
        assert snap.counters is not None and snap.counters["RcvbufErrors"] >= sock.drops
        assert snap.rates is not None and snap.rates["RcvbufErrors"] > 0
        assert snap.rmem_max and snap.rmem_default
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_not_root_is_explained(lab: Lab) -> None:
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is not installed")
    access = HostAccess(
        prefix=(
            "ip",
            "netns",
            "exec",
            lab.server,
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        )
    )
    snap = FirewallCollector(access).poll()
    assert "root" in snap.problem and "sudo" in snap.fix


def test_missing_command_is_explained(lab: Lab) -> None:
    access = HostAccess(prefix=("ip", "netns", "exec", lab.server, "env", "PATH=/nonexistent"))
    snap = FirewallCollector(access).poll()
    assert "neither iptables nor nft is installed" in snap.problem
    assert "install" in snap.fix


def test_no_iptables_falls_back_to_nft(lab: Lab) -> None:
    if shutil.which("nft") is None:
        pytest.skip("nft is not installed")
    native = (RULES.parents[1] / "nft-native" / "native.nft").read_text()
    lab.in_server("nft", "-f", "-", input=native)
    lab.send(4, PLAIN)
    snap = FirewallCollector(HostAccess.in_netns(lab.server), command="iptables-absent").poll()
    assert snap.ok and snap.backend == "nftables" and snap.source == "nft"
    assert "not installed" in snap.warnings[0]
    table = snap.table("vosfw", "inet")
    assert table is not None and table.chain("input").rules[2].packets == 4


def test_lock_held_is_explained(lab: Lab) -> None:
    """With iptables-save missing the collector lists with `iptables -w`: a held lock says so."""
    if not shutil.which("iptables-legacy"):
        pytest.skip("iptables-legacy is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        bindir = Path(tmp) / "bin"
        bindir.mkdir()
        # A PATH with iptables but without iptables-save, as on a trimmed image.
        (bindir / "iptables").symlink_to(shutil.which("iptables-legacy") or "")
        lock = Path(tmp) / "xtables.lock"
        access = HostAccess(
            prefix=(
                "ip",
                "netns",
                "exec",
                lab.server,
                "env",
                f"PATH={bindir}",
                f"XTABLES_LOCKFILE={lock}",
            ),
        )
        with lock.open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            held = FirewallCollector(access, ipv6=False, native_nft=False).poll()
        assert "xtables lock" in held.problem and "fuser" in held.fix
        free = FirewallCollector(access, ipv6=False, native_nft=False).poll()
        assert free.ok, free.problem
        assert free.table("filter") is not None
