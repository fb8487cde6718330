"""The conntrack entry listing over ctnetlink against the /proc text on the same table.

The namespace test makes real entries (bounded UDP sends over a veth pair, IPv4 and
IPv6, inside namespaces it creates) and runs both collectors inside the server
namespace, where a netlink socket sees that namespace's table. The byte tests feed
`Batches` messages laid out as the kernel lays them out; no root needed.
"""

from __future__ import annotations

import base64
import pickle
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from vostui.host import ct_netlink
from vostui.host.access import HostAccess
from vostui.host.conntrack import (
    COUNT_PATHS,
    ENTRIES_PATH,
    ConntrackEntriesCollector,
    SourceCount,
    summarize_found,
)

sys.path.insert(0, str(Path(__file__).parent))
from hostns import Lab, netns_unavailable

ROOT = Path(__file__).resolve().parents[2]
TRACKING = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate NEW -j ACCEPT\nCOMMIT\n"
PORTS = (5060, 5061)

POLL = r"""
import base64, pickle, sys
sys.path.insert(0, sys.argv[1])
from vostui.host import ct_netlink
from vostui.host.conntrack import ConntrackEntriesCollector as C
cap = int(sys.argv[2])
fast = C(sip_ports=(5060, 5061), cap=cap)
text = C(sip_ports=(5060, 5061), cap=cap, netlink=False)
walked = ct_netlink.read_entries(cap, (5060, 5061), 200).walked
out = (fast.poll(), text.poll(), fast.why_not_netlink, walked)
print(base64.b64encode(pickle.dumps(out)).decode())
"""

SEND6 = r"""
import socket, sys
for i in range(int(sys.argv[3])):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.sendto(b"OPTIONS sip:x SIP/2.0\r\n\r\n", (sys.argv[1], int(sys.argv[2])))
    s.close()
"""


@pytest.fixture
def lab() -> Iterator[Lab]:
    reason = netns_unavailable()
    if reason:
        pytest.skip(reason)
    with Lab() as made:
        yield made


def poll_inside(lab: Lab, cap: int) -> tuple:
    out = subprocess.run(
        ["ip", "netns", "exec", lab.server, sys.executable, "-c", POLL, str(ROOT), str(cap)],
        capture_output=True,
        timeout=60,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return pickle.loads(base64.b64decode(out.stdout))  # our own child's output


@pytest.mark.root
def test_netlink_listing_equals_the_proc_text(lab: Lab) -> None:
    text = lab.in_server("cat", "/proc/sys/net/netfilter/nf_conntrack_count", check=False)
    if not text.strip():
        pytest.skip("the kernel has no nf_conntrack")
    lab.in_server("iptables-restore", input=TRACKING)
    lab.in_server("ip6tables-restore", input=TRACKING)
    v6 = f"fd00:250:{lab.subnet:x}::"
    lab.sh("ip", "-n", lab.client, "addr", "add", f"{v6}1/64", "dev", f"vta{lab.tag}", "nodad")
    lab.sh("ip", "-n", lab.server, "addr", "add", f"{v6}2/64", "dev", f"vtb{lab.tag}", "nodad")
    lab.send(30, sports=30)  # 30 SIP flows
    lab.send(7, sports=7, port=9999)  # 7 flows elsewhere
    lab.send(4, sports=4, port=5061)
    lab.sh("ip", "netns", "exec", lab.client, sys.executable, "-c", SEND6, f"{v6}2", "5060", "3")
    if shutil.which("conntrack"):
        # Entries no UDP send makes, in this namespace's own table: GRE keys equal to the
        # SIP port (not ports), ICMP, and DCCP (tracked as "unknown" where the kernel has
        # no DCCP tracker, as 6.18 has none). A kernel that refuses one skips it.
        for args in (
            "-p gre --srckey 5060 --dstkey 5060",
            "-p icmp --icmp-type 8 --icmp-code 0 --icmp-id 5060",
            "-p dccp --sport 5060 --dport 5060 --state OPEN --role client",
        ):
            where = ["-s", "10.251.0.1", "-d", lab.server_ip, "-t", "100"]  # before -p
            lab.in_server("conntrack", "-I", *where, *args.split(), check=False)
    fast, text_snap, why, walked = poll_inside(lab, 5000)
    assert fast.source == "netlink", why
    assert walked == 0  # the kernel's batches read by the fast pattern, none walked
    assert text_snap.source == "/proc/net/nf_conntrack"
    assert not fast.problem and fast.skipped == 0
    assert fast.scanned == text_snap.scanned >= 44 and not fast.capped and not text_snap.capped
    assert fast.top_sources == text_snap.top_sources
    assert fast.top_sources[0].address == lab.client_ip
    assert f"{v6}1" in {s.address for s in fast.top_sources}  # compressed in both
    assert fast.by_protocol == text_snap.by_protocol
    assert fast.sip_total == text_snap.sip_total >= 37

    def key(e: object) -> tuple:
        return (e.source, e.sport, e.dport)  # type: ignore[attr-defined]

    a = sorted(fast.sip_entries, key=key)
    b = sorted(text_snap.sip_entries, key=key)
    assert len(a) == len(b) == fast.sip_total
    for x, y in zip(a, b, strict=True):
        assert (x.protocol, x.source, x.destination, x.sport, x.dport, x.state) == (
            y.protocol,
            y.source,
            y.destination,
            y.sport,
            y.dport,
            y.state,
        )
        assert (x.unreplied, x.assured) == (y.unreplied, y.assured)
        assert x.timeout is not None and y.timeout is not None
        assert abs(x.timeout - y.timeout) <= 2  # read a moment apart; both count down

    capped, capped_text, why, _ = poll_inside(lab, 10)
    assert capped.source == "netlink", why
    assert capped.capped and capped.scanned == 10 == capped_text.scanned
    assert "first 10" in capped.sample_note


class WithoutConntrack(HostAccess):
    """This host as one without nf_conntrack loaded: no count file. (Here nf_conntrack
    may be built into the kernel, so the test cannot unload it.)"""

    def read(self, path: str) -> str | None:
        return None if path == COUNT_PATHS[0] else super().read(path)


@pytest.mark.root
def test_no_netlink_request_where_nf_conntrack_is_not_loaded() -> None:
    # A ctnetlink request makes the kernel load nf_conntrack_netlink and nf_conntrack:
    # a read-only monitor must not load kernel modules, so it asks only when the count
    # file says nf_conntrack is there already.
    if netns_unavailable():
        pytest.skip("needs root: without it netlink is refused anyway")
    collector = ConntrackEntriesCollector(WithoutConntrack(), cap=10)
    snap = collector.poll()
    assert snap.source != "netlink" and collector.why_not_netlink == ""


# --- bytes as the kernel lays them out ------------------------------------------------


def attr(kind: int, data: bytes) -> bytes:
    return struct.pack("=HH", 4 + len(data), kind) + data + b"\0" * (-len(data) % 4)


def entry(
    seq: int,
    pid: int,
    src: bytes,
    sport: int | None,
    dport: int | None,
    extra: bytes = b"",
    protocol: int = 17,
) -> bytes:
    ip = attr(1, src) + attr(2, b"\x0a\x00\x00\x09")
    proto = attr(1, bytes((protocol,)))
    if sport is not None and dport is not None:
        proto += attr(2, struct.pack(">H", sport)) + attr(3, struct.pack(">H", dport))
    tuple_ = attr(0x8001, ip) + attr(0x8002, proto)
    body = struct.pack("=BBH", 2, 0, 0) + extra + attr(0x8001, tuple_)
    body += attr(3, struct.pack(">I", 2 | 4)) + attr(7, struct.pack(">I", 29))
    return struct.pack("=IHHII", 16 + len(body), ct_netlink.CT_NEW, 2, seq, pid) + body


def batches(cap: int = 100) -> ct_netlink.Batches:
    ports = frozenset(struct.pack(">H", p) for p in PORTS)
    return ct_netlink.Batches(7, 99, cap, ports, 200)


def test_fast_path_and_walk_agree() -> None:
    messages = [
        entry(7, 99, bytes((10, 0, 0, n % 3)), 40000 + n, 5060 if n % 2 else 80) for n in range(9)
    ]
    fast = batches()
    fast.add(b"".join(messages))
    assert fast.walked == 0 and len(fast.found) == 9
    # An attribute before the tuple: the fast pattern misses it, the walk reads it.
    odd = entry(7, 99, b"\x0a\x00\x00\x05", 1, 5061, extra=attr(12, b"\0\0\0\1"))
    slow = batches()
    slow.add(b"".join(messages) + odd)
    assert slow.walked == 1 and slow.skipped == 0 and len(slow.found) == 10
    assert slow.found[:9] == fast.found
    a, b = summarize_found(fast), summarize_found(slow)
    assert a[0][0] == SourceCount("10.0.0.0", 3, 1) and a[2] == 4 and a[3] == {"udp": 9}
    assert b[2] == 5 and b[1][-1].dport == 5061 and b[1][-1].assured and not b[1][-1].unreplied
    done = struct.pack("=IHHIIi", 20, ct_netlink.NLMSG_DONE, 2, 7, 99, 0)
    capped = batches(cap=3)
    capped.add(b"".join(messages) + done)
    assert capped.done and len(capped.found) == 3


def test_an_error_reply_fails_and_bad_bytes_are_skipped() -> None:
    err = struct.pack("=IHHIIi", 36, ct_netlink.NLMSG_ERROR, 0, 7, 99, -1) + b"\0" * 16
    with pytest.raises(ct_netlink.CtNetlinkFailed):
        batches().add(err)
    broken = struct.pack("=IHHII", 24, ct_netlink.CT_NEW, 2, 7, 99) + b"\x02\0\0\0\xff\xff\0\0"
    got = batches()
    got.add(broken)
    assert got.skipped == 1 and not got.found
    with pytest.raises(ct_netlink.CtNetlinkFailed):
        batches().add(struct.pack("=IHHII", 400, ct_netlink.CT_NEW, 2, 7, 99) + b"\0" * 8)


def test_protocols_named_as_proc_names_them() -> None:
    # GRE's tracker sends its keys as ports; a protocol whose tracker is missing (DCCP
    # in recent kernels, SCTP or GRE on CentOS 7 without their modules) is kept by the
    # generic tracker, sends no ports, and /proc names it "unknown". Both paths agree.
    messages = [
        entry(7, 99, b"\x0a\x00\x00\x01", 5060, 5060, protocol=47),
        entry(7, 99, b"\x0a\x00\x00\x02", None, None, protocol=33),
        entry(7, 99, b"\x0a\x00\x00\x03", 5060, 5060, protocol=132),
        entry(7, 99, b"\x0a\x00\x00\x04", None, None, protocol=4),
    ]
    fast = batches()
    fast.add(b"".join(messages))
    odd = entry(7, 99, b"\x0a\x00\x00\x05", 1, 2, extra=attr(12, b"\0\0\0\1"))
    slow = batches()
    slow.add(b"".join(messages) + odd)
    assert fast.walked == 0 and slow.walked == 1
    assert slow.found[:4] == fast.found
    want = {"gre": 1, "unknown": 2, "sctp": 1}
    assert ct_netlink.protocol_counts(fast.found) == want
    assert ct_netlink.protocol_counts(slow.found) == {**want, "udp": 1}
    # The SCTP entry on 5060 is a SIP entry; GRE's key 5060 is not a port.
    assert [e.protocol for e in summarize_found(fast)[1]] == ["sctp"]
    assert [e.protocol for e in summarize_found(slow)[1]] == ["sctp"]


class WithoutConntrackAtAll(WithoutConntrack):
    """No count file and no /proc/net/nf_conntrack; records the commands it is asked
    to run (`conntrack -L` would load the module too)."""

    ran: ClassVar[list[list[str]]] = []  # HostAccess is frozen: the record is the class's

    def read_files(self, patterns, max_lines: int = 0):  # type: ignore[no-untyped-def]
        from vostui.host.access import Files

        files = super().read_files([p for p in patterns if p != ENTRIES_PATH], max_lines)
        return Files(files.text, {**files.errors, ENTRIES_PATH: "No such file or directory"})

    def run(self, argv, timeout=None):  # type: ignore[no-untyped-def]
        WithoutConntrackAtAll.ran.append(list(argv))
        return super().run(argv, timeout)


def test_nothing_is_listed_or_loaded_where_nf_conntrack_is_not_loaded() -> None:
    WithoutConntrackAtAll.ran.clear()
    snap = ConntrackEntriesCollector(WithoutConntrackAtAll(), cap=10).poll()
    # Neither netlink nor `conntrack -L` was asked: either would load the module.
    assert WithoutConntrackAtAll.ran == []
    assert snap.problem.startswith("connection tracking is not loaded")
