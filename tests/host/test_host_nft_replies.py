"""nf_tables replies the kernel sends only in a race (a commit during a dump), fed to
NftCounters through a real datagram socket pair in place of its netlink socket.

The bytes are laid out as the kernel lays them out (nlmsghdr, nfgenmsg, attributes);
no root and no namespace needed.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator

import pytest

from vostui.host.iptables import SaveParser
from vostui.host.nft_netlink import (
    NFNL_SUBSYS_NFTABLES,
    NFT_MSG_GETRULE,
    NFT_MSG_NEWGEN,
    NFT_MSG_NEWRULE,
    NLM_F_DUMP_INTR,
    NLM_F_MULTI,
    NLMSG_DONE,
    DumpChanged,
    NetlinkShortcut,
    NftCounters,
    _rule_counter,
)

HEADER = struct.Struct("=IHHII")


def attr(kind: int, data: bytes) -> bytes:
    """One netlink attribute, padded to 4 bytes; the header in the host's byte order."""
    return struct.pack("=HH", 4 + len(data), kind) + data + b"\0" * (-len(data) % 4)


def rule(seq: int, chain: str, packets: int, nbytes: int, flags: int = NLM_F_MULTI) -> bytes:
    """A NEWRULE message of table filter with one counter expression."""
    counter = attr(1, b"counter\0") + attr(
        2, attr(1, struct.pack(">Q", nbytes)) + attr(2, struct.pack(">Q", packets))
    )
    body = (
        struct.pack("=BBH", socket.AF_INET, 0, 0)
        + attr(1, b"filter\0")
        + attr(2, chain.encode() + b"\0")
        + attr(4, attr(1, counter))
    )
    kind = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE
    return HEADER.pack(16 + len(body), kind, flags, seq, 0) + body


def done(seq: int, flags: int = NLM_F_MULTI) -> bytes:
    return HEADER.pack(20, NLMSG_DONE, flags, seq, 0) + struct.pack("=i", 0)


@pytest.fixture
def wired() -> Iterator[tuple[NftCounters, socket.socket]]:
    """NftCounters whose socket is one end of a pair; the test writes the kernel's end."""
    ours, kernel = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    # A reader that waits for more gets this timeout, which the tests tell from a change.
    ours.settimeout(0.5)
    nft = NftCounters()
    nft._sock = ours
    try:
        yield nft, kernel
    finally:
        nft.close()
        kernel.close()


def test_a_shorter_dump_ended_by_an_interrupted_done_is_a_change_not_a_wait(
    wired: tuple[NftCounters, socket.socket],
) -> None:
    """A commit during the dump flags its DONE with NLM_F_DUMP_INTR; the reader stopped
    only at a DONE flagged NLM_F_MULTI alone, so it waited for the socket's timeout."""
    nft, kernel = wired
    before = rule(1, "INPUT", 1, 60) + rule(1, "INPUT", 2, 120) + done(1)
    kernel.send(rule(1, "INPUT", 5, 300) + done(1, NLM_F_MULTI | NLM_F_DUMP_INTR))
    with pytest.raises(DumpChanged, match=r"changed|interrupted"):
        nft._dump(NFT_MSG_GETRULE, socket.AF_INET, "filter", len(before))
    assert nft._sock is None  # never reused after a reply it did not expect


def test_an_interrupted_dump_closes_the_socket_with_its_rest_unread(
    wired: tuple[NftCounters, socket.socket],
) -> None:
    """The rest of an interrupted reply must not be read as the answer to the next
    request: the socket goes (it stayed open when the walk saw NLM_F_DUMP_INTR)."""
    nft, kernel = wired
    kernel.send(rule(1, "INPUT", 1, 60, NLM_F_MULTI | NLM_F_DUMP_INTR))
    kernel.send(rule(1, "INPUT", 2, 120) + done(1))
    with pytest.raises(DumpChanged):
        nft._dump(NFT_MSG_GETRULE, socket.AF_INET, "filter")
    assert nft._sock is None


def test_a_counter_is_found_with_headers_in_the_host_byte_order() -> None:
    """Attribute headers are in the host's byte order (only the values are big-endian):
    a counter name matched as little-endian bytes would not be found on s390x, and
    every rule would read 0 packets there."""
    data = rule(1, "INPUT", 7, 700)
    found = _rule_counter(data, 20, len(data))
    assert found is not None
    table, chain, where = found
    assert (table, chain) == ("filter", "INPUT")
    assert where is not None
    _, nbytes, packets = where
    assert struct.unpack_from(">Q", data, packets)[0] == 7
    assert struct.unpack_from(">Q", data, nbytes)[0] == 700


def newgen(seq: int, generation: int) -> bytes:
    body = struct.pack("=BBH", 0, 0, 0) + attr(1, struct.pack(">I", generation))
    kind = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN
    return HEADER.pack(16 + len(body), kind, 0, seq, 0) + body


def test_a_dump_changed_by_a_commit_reads_the_text_without_leaving_netlink(
    wired: tuple[NftCounters, socket.socket],
) -> None:
    """A commit during a counter read (fail2ban banning) means "read the text", as a new
    generation does; it used to switch netlink off for `retry_after` seconds."""
    nft, kernel = wired
    text = (
        "*filter\n:INPUT ACCEPT [0:0]\n[0:0] -A INPUT -j ACCEPT\n[0:0] -A INPUT -j DROP\nCOMMIT\n"
    )
    tables = SaveParser().read(text).tables
    kernel.send(rule(1, "INPUT", 1, 60) + rule(1, "INPUT", 2, 120) + done(1))
    kernel.send(newgen(2, 41))
    plan = nft.plan(tables, 41)
    assert plan is not None
    shortcut = NetlinkShortcut()
    shortcut._nft, shortcut._plan, shortcut._tables = nft, plan, tables
    shortcut._text_due = time.monotonic() + 60
    kernel.send(newgen(3, 41))
    kernel.send(rule(4, "INPUT", 3, 180) + done(4, NLM_F_MULTI | NLM_F_DUMP_INTR))
    assert shortcut.counters() is None  # the caller reads the text
    assert not shortcut.planned
    assert shortcut._off_until <= time.monotonic(), shortcut.why_not
