"""Conntrack entries over ctnetlink: who fills the table, without formatting text.

`/proc/net/nf_conntrack` makes the kernel print every entry as text (about 2 us an
entry here) and Python cut it up again. A ctnetlink dump (NETLINK_NETFILTER,
IPCTNL_MSG_CT_GET with NLM_F_DUMP) hands over the same entries as binary attributes,
in batches of about 32 KB; we read only as many batches as `cap` entries need, then
close the socket, which ends the dump in the kernel.

Each batch is cut up by one bytes regular expression that reads, from the head of
every message, the original tuple: source address, protocol number and ports. A
batch is read that way only when the matches account for it exactly (one match per
message header of ours, the message lengths summing to the batch); otherwise it is
walked attribute by attribute, and a message that walk cannot read either is
counted as skipped. The entries on the SIP ports that are kept (at most 200) are
decoded in full by the walk.

Read-only: the only request sent is a GET dump (never DELETE, flush or CTRZERO).
Root (CAP_NET_ADMIN) is needed; any failure raises `CtNetlinkFailed` and the
collector reads the text instead.
"""

from __future__ import annotations

import errno
import re
import secrets
import socket
import struct
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter, not_, or_

from vostui.host.netlink import ATTR as _ATTR
from vostui.host.netlink import HEADER as _HEADER
from vostui.host.netlink import (
    NETLINK_NETFILTER,
    NLM_F_DUMP,
    NLM_F_MULTI,
    NLM_F_REQUEST,
    NLMSG_DONE,
    NLMSG_ERROR,
)
from vostui.host.netlink import attributes as _attrs

NFNL_SUBSYS_CTNETLINK = 1
IPCTNL_MSG_CT_NEW = 0
IPCTNL_MSG_CT_GET = 1

CTA_TUPLE_ORIG = 1
CTA_STATUS = 3
CTA_PROTOINFO = 4
CTA_TIMEOUT = 7
CTA_TUPLE_IP = 1
CTA_TUPLE_PROTO = 2
CTA_IP_V4_SRC = 1
CTA_IP_V4_DST = 2
CTA_IP_V6_SRC = 3
CTA_IP_V6_DST = 4
CTA_PROTO_NUM = 1
CTA_PROTO_SRC_PORT = 2
CTA_PROTO_DST_PORT = 3
IPS_SEEN_REPLY = 1 << 1
IPS_ASSURED = 1 << 2

CT_NEW = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW
CT_GET = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET

# The names /proc/net/nf_conntrack prints (the kernel's l4proto_name()); any other
# protocol is tracked by the generic tracker and printed "unknown".
PROTOCOL_NAMES = {
    1: "icmp",
    6: "tcp",
    17: "udp",
    33: "dccp",
    47: "gre",
    58: "icmpv6",
    132: "sctp",
    136: "udplite",
}
# Protocols whose ports /proc prints (GRE's keys come over netlink as ports too, but
# /proc prints them as srckey/dstkey: they are not ports).
PORTED = frozenset({6, 17, 33, 132, 136})
# Protocols whose own tracker sends ports (GRE: its keys). Without that tracker (its
# module not loaded, as on CentOS 7 by default; DCCP's gone in recent kernels) the
# generic tracker keeps the entry: no ports, and /proc names it "unknown".
_TRACKER_SENDS_PORTS = PORTED | {47}
# CTA_PROTOINFO_<proto> number and the state names /proc prints for it.
_STATE_NAMES: dict[int, tuple[int, tuple[str, ...]]] = {
    6: (
        1,
        (
            "NONE",
            "SYN_SENT",
            "SYN_RECV",
            "ESTABLISHED",
            "FIN_WAIT",
            "CLOSE_WAIT",
            "LAST_ACK",
            "TIME_WAIT",
            "CLOSE",
            "SYN_SENT2",
        ),
    ),
    33: (
        2,
        (
            "NONE",
            "REQUEST",
            "RESPOND",
            "PARTOPEN",
            "OPEN",
            "CLOSEREQ",
            "CLOSING",
            "TIMEWAIT",
            "IGNORE",
            "INVALID",
        ),
    ),
    132: (
        3,
        (
            "NONE",
            "CLOSED",
            "COOKIE_WAIT",
            "COOKIE_ECHOED",
            "ESTABLISHED",
            "SHUTDOWN_SENT",
            "SHUTDOWN_RECD",
            "SHUTDOWN_ACK_SENT",
            "HEARTBEAT_SENT",
            "HEARTBEAT_ACKED",
        ),
    ),
}

_U32 = struct.Struct(">I")
_U16 = struct.Struct(">H")
_CHUNK = 1 << 16  # a dump batch is at most 32 KB; a shorter buffer would cut it
RECV_TIMEOUT = 0.5  # the kernel answers in microseconds; a poll must never hang
DEADLINE = 2.0  # the whole read, however many batches


class CtNetlinkFailed(Exception):
    """ctnetlink said no (no permission, module missing) or the socket failed."""


# One match per entry: (source attribute, protocol number, sport, dport); no ports: b"".
Found = tuple[bytes, bytes, bytes, bytes]


def _nla(kind: int, size: int) -> bytes:
    return re.escape(_ATTR.pack(4 + size, kind))


def _nest(kind: int) -> bytes:
    # Any length; the type with or without NLA_F_NESTED (kernels before 5.2 leave it off).
    low = _ATTR.pack(0, kind)[2:]
    low_nested = _ATTR.pack(0, kind | 0x8000)[2:]
    return b"..(?:" + re.escape(low) + b"|" + re.escape(low_nested) + b")"


def fast_pattern(seq: int, port_id: int) -> re.Pattern[bytes]:
    """The head of every CT_NEW message of our dump, up to the original tuple's ports.

    It starts with a literal (type, flags, sequence and port id), so the search runs at
    C speed (a look-behind for the length before it made the search 6x slower).
    """
    head = re.escape(_HEADER.pack(0, CT_NEW, NLM_F_MULTI, seq, port_id)[4:])
    ip = (
        b"((?:"
        + _nla(CTA_IP_V4_SRC, 4)
        + b".{4}|"
        + _nla(CTA_IP_V6_SRC, 16)
        + b".{16}))(?:"
        + _nla(CTA_IP_V4_DST, 4)
        + b".{4}|"
        + _nla(CTA_IP_V6_DST, 16)
        + b".{16})"
    )
    ports = (
        b"(?:" + _nla(CTA_PROTO_SRC_PORT, 2) + b"(..).." + _nla(CTA_PROTO_DST_PORT, 2) + b"(..)..)?"
    )
    return re.compile(
        head
        + b"[\x02\x0a]\x00.."  # nfgenmsg: AF_INET or AF_INET6, version 0
        + _nest(CTA_TUPLE_ORIG)
        + _nest(CTA_TUPLE_IP)
        + ip
        + _nest(CTA_TUPLE_PROTO)
        + _nla(CTA_PROTO_NUM, 1)
        + b"(.)..."
        + ports,
        re.DOTALL,
    )


def _first(buf: bytes, start: int, end: int, kind: int) -> tuple[int, int] | None:
    for got, a, b in _attrs(buf, start, end):
        if got == kind:
            return a, b
    return None


@dataclass(frozen=True, slots=True)
class Flow:
    """One entry's original tuple and state, decoded attribute by attribute. `sport` and
    `dport` as sent, as the fast pattern cuts them out: GRE's keys too."""

    family: int
    source: bytes  # 4 or 16 bytes
    destination: bytes
    protocol: int
    sport: int | None
    dport: int | None
    timeout: int | None
    state: str
    status: int | None

    @property
    def key(self) -> bytes:
        """The source as the fast pattern cuts it out: attribute header and address."""
        kind = CTA_IP_V4_SRC if len(self.source) == 4 else CTA_IP_V6_SRC
        return _ATTR.pack(4 + len(self.source), kind) + self.source


def decode_message(buf: bytes, start: int, end: int) -> Flow | None:
    """A CT_NEW message at buf[start:end] walked attribute by attribute; None when it
    holds no readable original tuple."""
    if end - start < 20 or end > len(buf):
        return None
    family = buf[start + 16]
    orig = _first(buf, start + 20, end, CTA_TUPLE_ORIG)
    if orig is None:
        return None
    ip = _first(buf, orig[0], orig[1], CTA_TUPLE_IP)
    proto = _first(buf, orig[0], orig[1], CTA_TUPLE_PROTO)
    if ip is None or proto is None:
        return None
    addresses: dict[int, bytes] = {}
    for kind, a, b in _attrs(buf, ip[0], ip[1]):
        if (kind in (CTA_IP_V4_SRC, CTA_IP_V4_DST) and b - a == 4) or (
            kind in (CTA_IP_V6_SRC, CTA_IP_V6_DST) and b - a == 16
        ):
            addresses[kind] = buf[a:b]
    if CTA_IP_V4_SRC in addresses and CTA_IP_V4_DST in addresses:
        source, destination = addresses[CTA_IP_V4_SRC], addresses[CTA_IP_V4_DST]
    elif CTA_IP_V6_SRC in addresses and CTA_IP_V6_DST in addresses:
        source, destination = addresses[CTA_IP_V6_SRC], addresses[CTA_IP_V6_DST]
    else:
        return None
    number: int | None = None
    ports: dict[int, int] = {}
    for kind, a, b in _attrs(buf, proto[0], proto[1]):
        if kind == CTA_PROTO_NUM and b - a == 1:
            number = buf[a]
        elif kind in (CTA_PROTO_SRC_PORT, CTA_PROTO_DST_PORT) and b - a == 2:
            ports[kind] = _U16.unpack_from(buf, a)[0]
    if number is None:
        return None
    timeout = status = None
    state = ""
    for kind, a, b in _attrs(buf, start + 20, end):
        if kind == CTA_TIMEOUT and b - a == 4:
            timeout = _U32.unpack_from(buf, a)[0]
        elif kind == CTA_STATUS and b - a == 4:
            status = _U32.unpack_from(buf, a)[0]
        elif kind == CTA_PROTOINFO and number in _STATE_NAMES:
            state = _state(buf, a, b, number)
    return Flow(
        family,
        source,
        destination,
        number,
        ports.get(CTA_PROTO_SRC_PORT),
        ports.get(CTA_PROTO_DST_PORT),
        timeout,
        state,
        status,
    )


def _state(buf: bytes, start: int, end: int, number: int) -> str:
    """The protocol's state as /proc prints it (TCP, SCTP, DCCP), from CTA_PROTOINFO."""
    nest, names = _STATE_NAMES[number]
    inner = _first(buf, start, end, nest)
    if inner is None:
        return ""
    got = _first(buf, inner[0], inner[1], 1)  # CTA_PROTOINFO_<proto>_STATE, a u8
    if got is None or got[1] - got[0] != 1:
        return ""
    value = buf[got[0]]
    return names[value] if value < len(names) else str(value)


@dataclass
class Batches:
    """What a dump's batches gave so far: one `Found` per entry, in dump order."""

    seq: int
    port_id: int
    cap: int
    sip_ports: frozenset[bytes]  # big-endian, as the ports are cut out
    max_sip: int
    found: list[Found] = field(default_factory=list)
    sip: list[Flow] = field(default_factory=list)  # the SIP-port entries kept
    sip_found: list[int] = field(default_factory=list)  # indexes in `found` of SIP entries
    skipped: int = 0  # messages neither path could read
    walked: int = 0  # batches read by the attribute walk
    done: bool = False
    pattern: re.Pattern[bytes] | None = None

    def full(self) -> bool:
        return self.done or len(self.found) >= self.cap

    def add(self, buf: bytes) -> None:
        """One recv() buffer: entries, then perhaps our NLMSG_DONE (or an error)."""
        if len(buf) < 16:
            raise CtNetlinkFailed("ctnetlink: a short reply")
        kind = _HEADER.unpack_from(buf)[1]
        if kind == NLMSG_ERROR:
            (code,) = struct.unpack_from("=i", buf, 16) if len(buf) >= 20 else (0,)
            raise CtNetlinkFailed(f"ctnetlink: {errno.errorcode.get(-code, code) or 'error'}")
        body = buf
        if len(buf) >= 20:
            tail = _HEADER.unpack_from(buf, len(buf) - 20)
            if tail[0] == 20 and tail[1] == NLMSG_DONE and tail[3] == self.seq:
                (code,) = struct.unpack_from("=i", buf, len(buf) - 4)
                if code < 0:  # the kernel stopped the dump on an error
                    raise CtNetlinkFailed(
                        f"ctnetlink: dump ended with {errno.errorcode.get(-code, code)}"
                    )
                body = buf[:-20]
                self.done = True
        if not body:
            return
        if self.pattern is None:
            self.pattern = fast_pattern(self.seq, self.port_id)
        found = self.pattern.findall(body)
        if self._accounted(body, len(found)):
            self._take(body, found)
        else:
            self._walk(body)

    def _accounted(self, body: bytes, matched: int) -> bool:
        """Whether the matches are the batch's messages, one each: it starts with one of
        ours, ends where its last message ends, and every message of our dump (each
        carries our sequence and port id) has the head the pattern starts with and
        matched it."""
        ours = struct.pack("=II", self.seq, self.port_id)
        head = _HEADER.pack(0, CT_NEW, NLM_F_MULTI, self.seq, self.port_id)[4:]
        if not matched or body[4:16] != head:
            return False
        if body.count(ours) != matched:  # each match holds `ours` once, in its head
            return False
        last = body.rfind(head) - 4
        return last + ((_HEADER.unpack_from(body, last)[0] + 3) & ~3) == len(body)

    def _take(self, body: bytes, found: list[Found]) -> None:
        room = self.cap - len(self.found)
        if len(found) > room:
            found = found[:room]
        first = len(self.found)
        self.found.extend(found)
        # SIP-port entries by index, found in C (map and compress, no Python loop).
        has = self.sip_ports.__contains__
        flags = map(or_, map(has, map(itemgetter(2), found)), map(has, map(itemgetter(3), found)))
        wanted = [i for i in compress(range(len(found)), flags) if found[i][1][0] in PORTED]
        if not wanted:
            return
        self.sip_found.extend(first + i for i in wanted)
        need = self.max_sip - len(self.sip)
        if need <= 0:
            return
        starts = _starts(body)
        for i in wanted[:need]:
            flow = decode_message(body, starts[i], starts[i + 1])
            if flow is not None:
                self.sip.append(flow)

    def _walk(self, body: bytes) -> None:
        """Message by message: the batch did not read as the fast pattern expects."""
        self.walked += 1
        found: list[Found] = []
        starts: list[int] = []
        start = 0
        while start + 16 <= len(body):
            length, kind, _, seq, _ = _HEADER.unpack_from(body, start)
            if length < 16 or start + length > len(body):
                raise CtNetlinkFailed("ctnetlink: a message runs past its batch")
            end = start + length
            if kind == NLMSG_ERROR:
                raise CtNetlinkFailed("ctnetlink: an error in the dump")
            if kind == NLMSG_DONE and seq == self.seq:
                self.done = True
                break
            if kind == CT_NEW and seq == self.seq:
                flow = decode_message(body, start, end)
                if flow is None:
                    self.skipped += 1
                else:
                    sport = b"" if flow.sport is None else _U16.pack(flow.sport)
                    dport = b"" if flow.dport is None else _U16.pack(flow.dport)
                    found.append((flow.key, bytes((flow.protocol,)), sport, dport))
                    starts.append(start)
            start += (length + 3) & ~3
        room = self.cap - len(self.found)
        found, starts = found[:room], starts[:room]
        first = len(self.found)
        self.found.extend(found)
        ports = self.sip_ports
        for i, (entry, at) in enumerate(zip(found, starts, strict=True)):
            if (entry[2] in ports or entry[3] in ports) and entry[1][0] in PORTED:
                self.sip_found.append(first + i)
                if len(self.sip) < self.max_sip:
                    end = at + _HEADER.unpack_from(body, at)[0]
                    flow = decode_message(body, at, end)
                    if flow is not None:
                        self.sip.append(flow)


def _starts(body: bytes) -> list[int]:
    """Where each message of a batch starts, and the batch's end."""
    starts = [0]
    at = 0
    while at + 16 <= len(body):
        length = _HEADER.unpack_from(body, at)[0]
        if length < 16:
            break
        at += (length + 3) & ~3
        starts.append(at)
    return starts


def dump_request(seq: int, family: int = socket.AF_UNSPEC) -> bytes:
    """IPCTNL_MSG_CT_GET with NLM_F_DUMP: list the table. Nothing else is ever sent."""
    body = struct.pack("=BBH", family, 0, 0)  # nfgenmsg: family, version, res_id
    return _HEADER.pack(16 + len(body), CT_GET, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + body


def read_entries(cap: int, sip_ports: Iterable[int], max_sip: int) -> Batches:
    """The first `cap` entries of this network namespace's table, over ctnetlink."""
    seq = secrets.randbits(31) | 1
    try:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    except OSError as exc:
        raise CtNetlinkFailed(f"netlink socket: {exc}") from exc
    try:
        try:
            sock.bind((0, 0))
            sock.settimeout(RECV_TIMEOUT)
            port_id = sock.getsockname()[0]
            batches = Batches(
                seq,
                port_id,
                cap,
                frozenset(_U16.pack(p) for p in sip_ports if 0 < p < 65536),
                max_sip,
            )
            sock.send(dump_request(seq))
            deadline = time.monotonic() + DEADLINE
            while not batches.full():
                if time.monotonic() > deadline:
                    raise CtNetlinkFailed("ctnetlink: the dump took too long")
                batches.add(sock.recv(_CHUNK))
        except OSError as exc:  # EPERM, timeout, ENOBUFS: read the text instead
            raise CtNetlinkFailed(f"ctnetlink: {exc}") from exc
    finally:
        sock.close()  # ends the dump in the kernel when we stopped at the cap
    return batches


def address_text(raw: bytes) -> str:
    """An address as inet_ntop writes it (IPv6 compressed)."""
    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)


def protocol_name(number: int) -> str:
    return PROTOCOL_NAMES.get(number, "unknown")


def source_of(key: bytes) -> str:
    """The address text of a source key (attribute header and address)."""
    return address_text(key[4:])


def protocol_counts(found: list[Found]) -> dict[str, int]:
    """Entries per protocol name, as /proc names them: a protocol whose tracker sends
    ports but that came without any is kept by the generic tracker ("unknown")."""
    counts: Counter[str] = Counter()
    portless = Counter(compress(map(itemgetter(1), found), map(not_, map(itemgetter(2), found))))
    for number, n in Counter(map(itemgetter(1), found)).items():
        generic = portless[number] if number[0] in _TRACKER_SENDS_PORTS else 0
        if n > generic:
            counts[protocol_name(number[0])] += n - generic
        if generic:
            counts["unknown"] += generic
    return dict(counts)
