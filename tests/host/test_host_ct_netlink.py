"""The conntrack entry listing over ctnetlink against the /proc text on the same table.

The namespace test makes real entries (bounded UDP sends over a veth pair, IPv4 and
IPv6, inside namespaces it creates) and runs both collectors inside the server
namespace, where a netlink socket sees that namespace's table. The byte tests feed
`Batches` messages laid out as the kernel lays them out; no root needed.
"""

from __future__ import annotations

import base64
import pickle
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from vostui.host import ct_netlink
from vostui.host.conntrack import SourceCount, summarize_found

sys.path.insert(0, str(Path(__file__).parent))
from hostns import Lab, netns_unavailable

ROOT = Path(__file__).resolve().parents[2]
TRACKING = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate NEW -j ACCEPT\nCOMMIT\n"
PORTS = (5060, 5061)

POLL = r"""
import base64, pickle, sys
sys.path.insert(0, sys.argv[1])
from vostui.host.conntrack import ConntrackEntriesCollector as C
cap = int(sys.argv[2])
fast = C(sip_ports=(5060, 5061), cap=cap)
text = C(sip_ports=(5060, 5061), cap=cap, netlink=False)
out = (fast.poll(), text.poll(), fast.why_not_netlink)
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
    fast, text_snap, why = poll_inside(lab, 5000)
    assert fast.source == "netlink", why
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

    capped, capped_text, why = poll_inside(lab, 10)
    assert capped.source == "netlink", why
    assert capped.capped and capped.scanned == 10 == capped_text.scanned
    assert "first 10" in capped.sample_note


# --- bytes as the kernel lays them out ------------------------------------------------


def attr(kind: int, data: bytes) -> bytes:
    return struct.pack("=HH", 4 + len(data), kind) + data + b"\0" * (-len(data) % 4)


def entry(seq: int, pid: int, src: bytes, sport: int, dport: int, extra: bytes = b"") -> bytes:
    ip = attr(1, src) + attr(2, b"\x0a\x00\x00\x09")
    proto = attr(1, b"\x11") + attr(2, struct.pack(">H", sport)) + attr(3, struct.pack(">H", dport))
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
