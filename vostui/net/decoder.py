"""From captured frames to transport payloads: link layers, IPv4/IPv6, UDP and TCP.

`Decoder.decode(frame)` returns the `Datagram`s a frame completes: one per UDP
datagram (after fragment reassembly), one per SIP message framed out of a TCP stream.
It never raises: a bad packet is counted by reason in `stats.malformed`, kept in a
bounded ring of samples, and skipped. IP packets that are neither UDP nor TCP (ICMP,
ESP, ...) and non-IP frames (ARP, LLDP) are counted in `stats.other`, not as faults.

Speed matters (a busy softswitch sends thousands of packets a second): the common
path (Ethernet, IPv4, UDP) is a few `struct`-free byte lookups and one slice.
"""

from __future__ import annotations

import socket
from collections import deque
from dataclasses import dataclass, field

from vostui import speedups
from vostui.net.capture import Frame
from vostui.net.datagram import Datagram, new_datagram
from vostui.net.fragments import Reassembler
from vostui.net.tcp import TcpReassembler

# LINKTYPE_* values (https://www.tcpdump.org/linktypes.html)
LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_PPP = 9
LINKTYPE_RAW_OPENBSD = 12  # DLT_RAW as some BSDs number it
LINKTYPE_RAW_BSDOS = 14
LINKTYPE_PPP_HDLC = 50
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276

_VLAN_TAGS = frozenset((0x8100, 0x88A8, 0x9100, 0x9200, 0x9300))
_MAX_DEPTH = 8  # tunnels inside tunnels: more than this is an attack or a loop
_IPV6_EXT = frozenset((0, 43, 60))  # hop-by-hop, routing, destination options
# address families of the BSD loopback header, by OS: Linux 10, NetBSD/OpenBSD 24,
# FreeBSD 28, macOS 30
_AF_INET6 = frozenset((10, 24, 28, 30))

SAMPLE_BYTES = 2048


@dataclass(slots=True, frozen=True)
class MalformedSample:
    """A packet we could not decode, kept for the operator to inspect."""

    frame: int
    reason: str
    data: bytes  # the captured bytes, capped at SAMPLE_BYTES


@dataclass(slots=True)
class DecoderStats:
    """What the decoder saw. Counters only grow; `samples` keeps the latest faults."""

    packets: int = 0
    bytes: int = 0
    datagrams: int = 0  # Datagrams handed out (UDP datagrams plus TCP messages)
    udp: int = 0
    tcp_segments: int = 0
    tcp_messages: int = 0
    fragments: int = 0
    reassembled: int = 0
    malformed: dict[str, int] = field(default_factory=dict)  # reason -> count
    other: dict[str, int] = field(default_factory=dict)  # kind -> count (not faults)
    evicted: dict[str, int] = field(default_factory=dict)  # what -> count
    samples: deque[MalformedSample] = field(default_factory=lambda: deque(maxlen=64))
    warnings: list[str] = field(default_factory=list)  # from the capture reader

    @property
    def malformed_total(self) -> int:
        return sum(self.malformed.values())


class Decoder:
    """Decodes frames of any supported link type into `Datagram`s, statefully.

    State (fragments, TCP streams) is bounded; its limits are the keyword arguments.
    Times are packet times, so a file replays as it happened.

    `compiled`: whether `decode` and `decode_packet` take the compiled path
    (`vostui.speedups`; None: where it was built and not switched off). The compiled
    path decodes IPv4/IPv6 UDP frames itself, with the same Datagrams, counters and
    address names, and hands every other frame to the Python methods below.
    """

    def __init__(
        self,
        *,
        max_fragments: int = 1024,
        fragment_timeout: float = 30.0,
        max_streams: int = 4096,
        stream_idle: float = 900.0,
        max_stream_buffer: int = 256 * 1024,
        max_samples: int = 64,
        sample_bytes: int = SAMPLE_BYTES,
        start_marker: bytes = b"SIP/2.0",
        compiled: bool | None = None,
    ) -> None:
        self.stats = DecoderStats(samples=deque(maxlen=max_samples))
        self.sample_bytes = sample_bytes
        self._v4names: dict[bytes, str] = {}
        self._v6names: dict[bytes, str] = {}
        self._frame = 0  # frame being decoded, for reports from deep inside
        self._data = b""  # its bytes, for samples
        self._snapped = False  # its capture kept fewer bytes than the wire carried
        self._frags = Reassembler(
            self._report, self._evict, max_pending=max_fragments, timeout=fragment_timeout
        )
        self._tcp = TcpReassembler(
            self._report,
            self._other,
            self._evict,
            max_streams=max_streams,
            idle=stream_idle,
            max_buffer=max_stream_buffer,
            start_marker=start_marker,
        )
        ext = speedups.extension if compiled is None else speedups.compiled() if compiled else None
        if compiled and ext is None:
            raise RuntimeError("the compiled path (vostui._speedups) was not built")
        self.compiled = ext is not None
        if ext is not None:
            # Instance attributes over the methods: the frames of a capture go straight
            # to C. (The reference methods stay reachable through the class.)
            fast = ext.FastDecoder(self, type(self).decode_packet, Datagram, DecoderStats)
            self.decode = fast.decode  # type: ignore[method-assign]
            self.decode_packet = fast.decode_packet  # type: ignore[method-assign]

    # ---- public -------------------------------------------------------------------

    def decode(self, frame: Frame) -> list[Datagram]:
        """Decode one frame; return the Datagrams it completes (often one, maybe none).

        `frame` is a `Frame` or a plain (ts, linktype, data, number[, wirelen]) tuple.
        """
        wirelen = frame[4] if len(frame) > 4 else 0
        return self.decode_packet(frame[0], frame[1], frame[2], frame[3], wirelen)

    def decode_packet(
        self, ts: float, linktype: int, data: bytes, number: int = 0, wirelen: int = 0
    ) -> list[Datagram]:
        """Like `decode`, from the frame's parts (`wirelen` 0: not cut by a snap length)."""
        if type(data) is not bytes:
            data = bytes(data)  # slices must be hashable (addresses, fragment keys)
        stats = self.stats
        stats.packets += 1
        stats.bytes += len(data)
        self._frame = number
        self._data = data
        # frames cut by the snap length explain short headers better than "malformed"
        self._snapped = wirelen > len(data)
        out: list[Datagram] = []
        try:
            if linktype == 1:
                self._ethernet(out, ts, data)
            elif linktype == 113:
                self._sll(out, ts, data)
            elif linktype in (101, 12, 14):
                self._raw(out, ts, data, 0)
            elif linktype == 276:
                self._sll2(out, ts, data)
            elif linktype in (0, 108):
                self._loopback(out, ts, data)
            elif linktype == 228:
                self._ipv4(out, ts, data, 0, 0)
            elif linktype == 229:
                self._ipv6(out, ts, data, 0, 0)
            elif linktype in (9, 50):
                self._ppp(out, ts, data, 0)
            else:
                self._bad("unknown_linktype")
        except Exception:  # a decoder bug must cost one packet, never the source
            self._bad("decoder_error")
        if out:
            stats.datagrams += len(out)
        return out

    def flush(self) -> None:
        """End of input: count fragments and TCP messages that will never complete."""
        self._frags.flush()
        self._tcp.flush()

    def add_capture_warnings(self, warnings: list[str], truncated: bool, corrupt: bool) -> None:
        """Fold the capture reader's findings into the stats (files cut short, damaged)."""
        self.stats.warnings.extend(warnings[: max(0, 20 - len(self.stats.warnings))])
        if truncated:
            self._count(self.stats.malformed, "truncated_file")
        if corrupt:
            self._count(self.stats.malformed, "corrupt_file")

    @property
    def pending_fragments(self) -> int:
        return len(self._frags)

    @property
    def tcp_streams(self) -> int:
        return len(self._tcp)

    # ---- accounting ---------------------------------------------------------------

    @staticmethod
    def _count(table: dict[str, int], key: str) -> None:
        table[key] = table.get(key, 0) + 1

    def _bad(self, reason: str) -> None:
        self._report(reason, self._frame, self._data)

    def _short(self, reason: str) -> None:
        """A header or payload runs past the captured bytes."""
        self._report("truncated_capture" if self._snapped else reason, self._frame, self._data)

    def _report(self, reason: str, frame: int, data: bytes) -> None:
        table = self.stats.malformed
        table[reason] = table.get(reason, 0) + 1
        self.stats.samples.append(MalformedSample(frame, reason, data[: self.sample_bytes]))

    def _other(self, kind: str) -> None:
        table = self.stats.other
        table[kind] = table.get(kind, 0) + 1

    def _evict(self, what: str) -> None:
        table = self.stats.evicted
        table[what] = table.get(what, 0) + 1

    # ---- link layers --------------------------------------------------------------

    def _ethernet(self, out: list[Datagram], ts: float, data: bytes) -> None:
        if len(data) < 14:
            self._short("short_ethernet")
            return
        etype = (data[12] << 8) | data[13]
        off = 14
        if etype == 0x0800:
            self._ipv4(out, ts, data, off, 0)
            return
        tags = 0
        while etype in _VLAN_TAGS:  # 802.1Q, QinQ (802.1ad and the older 0x9100 family)
            tags += 1
            if len(data) < off + 4 or tags > 8:
                self._short("short_vlan")
                return
            etype = (data[off + 2] << 8) | data[off + 3]
            off += 4
        self._ethertype(out, ts, data, off, etype)

    def _ethertype(self, out: list[Datagram], ts: float, data: bytes, off: int, etype: int) -> None:
        if etype == 0x0800:
            self._ipv4(out, ts, data, off, 0)
        elif etype == 0x86DD:
            self._ipv6(out, ts, data, off, 0)
        elif etype == 0x8864:
            self._pppoe(out, ts, data, off)
        elif etype in (0x8847, 0x8848):
            self._mpls(out, ts, data, off)
        else:
            self._other("non_ip")

    def _pppoe(self, out: list[Datagram], ts: float, data: bytes, off: int) -> None:
        # PPPoE session header: ver/type, code, session id, length; then PPP
        if len(data) < off + 8:
            self._short("short_pppoe")
            return
        if data[off] != 0x11 or data[off + 1] != 0:
            self._bad("bad_pppoe")
            return
        length = (data[off + 4] << 8) | data[off + 5]
        end = off + 6 + length
        if end > len(data):
            self._short("bad_pppoe_length")
            return
        self._ppp(out, ts, data[:end], off + 6)

    def _ppp(self, out: list[Datagram], ts: float, data: bytes, off: int) -> None:
        if data[off : off + 2] == b"\xff\x03":  # HDLC address and control
            off += 2
        if len(data) < off + 1:
            self._short("short_ppp")
            return
        if data[off] & 1:  # protocol field compression: one byte
            proto = data[off]
            off += 1
        else:
            if len(data) < off + 2:
                self._short("short_ppp")
                return
            proto = (data[off] << 8) | data[off + 1]
            off += 2
        if proto == 0x21:
            self._ipv4(out, ts, data, off, 0)
        elif proto == 0x57:
            self._ipv6(out, ts, data, off, 0)
        else:
            self._other("ppp_control")

    def _mpls(self, out: list[Datagram], ts: float, data: bytes, off: int) -> None:
        for _ in range(16):
            if len(data) < off + 4:
                self._short("short_mpls")
                return
            bottom = data[off + 2] & 1
            off += 4
            if bottom:
                self._raw(out, ts, data, off)
                return
        self._bad("bad_mpls")

    def _sll(self, out: list[Datagram], ts: float, data: bytes) -> None:
        if len(data) < 16:
            self._short("short_sll")
            return
        self._sll_protocol(out, ts, data, 16, (data[14] << 8) | data[15], (data[2] << 8) | data[3])

    def _sll2(self, out: list[Datagram], ts: float, data: bytes) -> None:
        if len(data) < 20:
            self._short("short_sll")
            return
        self._sll_protocol(out, ts, data, 20, (data[0] << 8) | data[1], (data[8] << 8) | data[9])

    def _sll_protocol(
        self, out: list[Datagram], ts: float, data: bytes, off: int, proto: int, arphrd: int
    ) -> None:
        if arphrd in (512, 768, 769, 776, 778, 823, 0xFFFE):
            # PPP, tunnels (IPIP, GRE, SIT) and "no header": the protocol field may be
            # unset, the version nibble tells
            self._raw(out, ts, data, off)
        elif proto in _VLAN_TAGS:
            if len(data) < off + 4:
                self._short("short_vlan")
                return
            self._ethertype(out, ts, data, off + 4, (data[off + 2] << 8) | data[off + 3])
        else:
            self._ethertype(out, ts, data, off, proto)

    def _loopback(self, out: list[Datagram], ts: float, data: bytes) -> None:
        if len(data) < 4:
            self._short("short_loopback")
            return
        # the family is in the byte order of the machine that captured (DLT_NULL) or
        # big-endian (DLT_LOOP); a family is small, so the order shows itself
        family = int.from_bytes(data[:4], "little")
        if family > 0xFFFF:
            family = int.from_bytes(data[:4], "big")
        if family == 2:
            self._ipv4(out, ts, data, 4, 0)
        elif family in _AF_INET6:
            self._ipv6(out, ts, data, 4, 0)
        else:
            self._other("non_ip")

    def _raw(self, out: list[Datagram], ts: float, data: bytes, off: int) -> None:
        if len(data) <= off:
            self._short("short_ip")
            return
        version = data[off] >> 4
        if version == 4:
            self._ipv4(out, ts, data, off, 0)
        elif version == 6:
            self._ipv6(out, ts, data, off, 0)
        else:
            self._bad("bad_ip_version")

    # ---- IP -----------------------------------------------------------------------

    def _ipv4(self, out: list[Datagram], ts: float, data: bytes, off: int, depth: int) -> None:
        n = len(data)
        if n - off < 20:
            self._short("short_ipv4")
            return
        vihl = data[off]
        ihl = (vihl & 15) << 2
        if vihl >> 4 != 4 or ihl < 20:
            self._bad("bad_ipv4_header")
            return
        total = (data[off + 2] << 8) | data[off + 3]
        if total == 0:
            total = n - off  # TCP segmentation offload: the sender's capture shows 0
        elif total < ihl:
            self._bad("bad_ipv4_length")
            return
        end = off + total
        if end > n:
            self._short("bad_ipv4_length")
            return
        proto = data[off + 9]
        raw_src = data[off + 12 : off + 16]
        raw_dst = data[off + 16 : off + 20]
        names = self._v4names
        src = names.get(raw_src)
        if src is None:
            src = self._v4name(raw_src)
        dst = names.get(raw_dst)
        if dst is None:
            dst = self._v4name(raw_dst)
        frag = ((data[off + 6] << 8) | data[off + 7]) & 0x3FFF
        start = off + ihl
        if frag:  # more fragments, or not the first
            self.stats.fragments += 1
            whole = self._frags.add(
                (4, raw_src, raw_dst, data[off + 4 : off + 6], proto),
                ts,
                self._frame,
                (frag & 0x1FFF) << 3,
                bool(frag & 0x2000),
                proto,
                data[start:end],
                self._data,
            )
            if whole is None:
                return
            self.stats.reassembled += 1
            data = whole[1]
            start = 0
            end = len(data)
        if proto == 17:
            self._udp(out, ts, src, dst, data, start, end)
        elif proto == 6:
            self._tcp_segment(out, ts, src, dst, data, start, end)
        elif proto == 4 or proto == 41:
            self._tunnel(out, ts, data[start:end], proto, depth)
        elif proto == 1:
            self._other("icmp")
        else:
            self._other("ip_other")

    def _v4name(self, raw: bytes) -> str:
        names = self._v4names
        if len(names) > 65536:
            names.clear()  # a scan of many sources must not grow this without end
        name = names[raw] = socket.inet_ntoa(raw)
        return name

    def _v6name(self, raw: bytes) -> str:
        names = self._v6names
        name = names.get(raw)
        if name is None:
            if len(names) > 65536:
                names.clear()
            name = names[raw] = socket.inet_ntop(socket.AF_INET6, raw)
        return name

    def _tunnel(self, out: list[Datagram], ts: float, inner: bytes, proto: int, depth: int) -> None:
        if depth >= _MAX_DEPTH:
            self._bad("too_deep")
        elif proto == 4:
            self._ipv4(out, ts, inner, 0, depth + 1)
        else:
            self._ipv6(out, ts, inner, 0, depth + 1)

    def _ipv6(self, out: list[Datagram], ts: float, data: bytes, off: int, depth: int) -> None:
        n = len(data)
        if n - off < 40:
            self._short("short_ipv6")
            return
        if data[off] >> 4 != 6:
            self._bad("bad_ipv6_header")
            return
        length = (data[off + 4] << 8) | data[off + 5]
        nh = data[off + 6]
        raw_src = data[off + 8 : off + 24]
        raw_dst = data[off + 24 : off + 40]
        pos = off + 40
        end = pos + length if length else n  # 0: jumbogram or segmentation offload
        if end > n:
            self._short("bad_ipv6_length")
            return
        fragmented = False
        for _ in range(16):
            if nh in _IPV6_EXT or nh == 51:
                if end - pos < 8:
                    self._bad("bad_ipv6_ext")
                    return
                size = (data[pos + 1] + 2) << 2 if nh == 51 else (data[pos + 1] + 1) << 3
                nh = data[pos]
                pos += size
                if pos > end:
                    self._bad("bad_ipv6_ext")
                    return
            elif nh == 44:
                if end - pos < 8 or fragmented:
                    self._bad("bad_ipv6_ext")
                    return
                fragmented = True
                nh = data[pos]
                word = (data[pos + 2] << 8) | data[pos + 3]
                offset = word & 0xFFF8
                more = bool(word & 1)
                pos += 8
                if offset == 0 and not more:
                    continue  # an atomic fragment (RFC 6946): the whole datagram
                self.stats.fragments += 1
                whole = self._frags.add(
                    (6, raw_src, raw_dst, data[pos - 4 : pos]),
                    ts,
                    self._frame,
                    offset,
                    more,
                    nh,
                    data[pos:end],
                    self._data,
                )
                if whole is None:
                    return
                self.stats.reassembled += 1
                nh, data = whole
                pos = 0
                end = n = len(data)
            else:
                break
        else:
            self._bad("bad_ipv6_ext")
            return
        if nh == 17 or nh == 6:
            names = self._v6names
            src = names.get(raw_src) or self._v6name(raw_src)
            dst = names.get(raw_dst) or self._v6name(raw_dst)
            if nh == 17:
                self._udp(out, ts, src, dst, data, pos, end)
            else:
                self._tcp_segment(out, ts, src, dst, data, pos, end)
        elif nh == 4 or nh == 41:
            self._tunnel(out, ts, data[pos:end], nh, depth)
        elif nh == 58:
            self._other("icmpv6")
        else:
            self._other("ip_other")

    # ---- transport ----------------------------------------------------------------

    def _udp(
        self, out: list[Datagram], ts: float, src: str, dst: str, data: bytes, off: int, end: int
    ) -> None:
        if end - off < 8:
            self._short("short_udp")
            return
        length = (data[off + 4] << 8) | data[off + 5]
        if length < 8 or off + length > end:
            if length == 0 and end - off > 8:
                length = end - off  # jumbogram or offload: take the IP length
            elif off + length > end and self._snapped:
                self._short("truncated_capture")
                return
            else:
                self._bad("bad_udp_length")
                return
        self.stats.udp += 1
        out.append(
            new_datagram(
                ts,
                src,
                (data[off] << 8) | data[off + 1],
                dst,
                (data[off + 2] << 8) | data[off + 3],
                "udp",
                data[off + 8 : off + length],
                self._frame,
            )
        )

    def _tcp_segment(
        self, out: list[Datagram], ts: float, src: str, dst: str, data: bytes, off: int, end: int
    ) -> None:
        if end - off < 20:
            self._short("short_tcp")
            return
        hlen = (data[off + 12] >> 4) << 2
        if hlen < 20 or off + hlen > end:
            self._bad("bad_tcp_header")
            return
        self.stats.tcp_segments += 1
        before = len(out)
        self._tcp.segment(
            out,
            ts,
            self._frame,
            src,
            (data[off] << 8) | data[off + 1],
            dst,
            (data[off + 2] << 8) | data[off + 3],
            int.from_bytes(data[off + 4 : off + 8], "big"),
            data[off + 13],
            data[off + hlen : end],
        )
        self.stats.tcp_messages += len(out) - before
