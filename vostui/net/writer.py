"""Write messages back to a pcap file that Wireshark, tshark and sngrep open.

The original frames are not kept, so the link, IP and transport headers are made up:
Ethernet with fixed local MAC addresses, IPv4 or IPv6 by the address form, UDP or
TCP as the message travelled. Lengths and checksums are correct; TCP sequence numbers
run on per direction (and acknowledge the other direction) so the stream reads as one.
"""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterable
from typing import BinaryIO, Protocol

_SRC_MAC = b"\x02\x00\x00\x00\x00\x01"
_DST_MAC = b"\x02\x00\x00\x00\x00\x02"
_PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)
_FIRST_SEQ = 1000
_MAX_SEGMENT = 65000  # IPv4 total length is 16 bits; larger messages go in several segments


class Exportable(Protocol):
    """A Datagram, or anything with the same address fields and `payload` bytes."""

    @property
    def ts(self) -> float: ...

    @property
    def src(self) -> str: ...

    @property
    def sport(self) -> int: ...

    @property
    def dst(self) -> str: ...

    @property
    def dport(self) -> int: ...

    @property
    def transport(self) -> str: ...

    @property
    def payload(self) -> bytes: ...


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _address(text: str) -> tuple[int, bytes]:
    family = socket.AF_INET6 if ":" in text else socket.AF_INET
    try:
        return family, socket.inet_pton(family, text)
    except OSError as exc:
        raise ValueError(f"not an IP address: {text!r}") from exc


class _Writer:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.seq: dict[tuple[str, int, str, int], int] = {}
        self.ip_id = 0
        self.frames = 0
        out.write(_PCAP_HEADER)

    def record(self, rec: Exportable) -> None:
        payload = bytes(rec.payload)
        if rec.transport == "tcp":
            key = (rec.src, rec.sport, rec.dst, rec.dport)
            for start in range(0, max(len(payload), 1), _MAX_SEGMENT):
                self._tcp(rec, key, payload[start : start + _MAX_SEGMENT])
        else:
            self._frame(rec, 17, self._udp(rec, payload))

    def _udp(self, rec: Exportable, payload: bytes) -> bytes:
        length = 8 + len(payload)
        header = struct.pack("!HHHH", rec.sport, rec.dport, length, 0)
        checksum = _checksum(self._pseudo(rec, 17, length) + header + payload) or 0xFFFF
        return struct.pack("!HHHH", rec.sport, rec.dport, length, checksum) + payload

    def _tcp(self, rec: Exportable, key: tuple[str, int, str, int], payload: bytes) -> None:
        seq = self.seq.get(key, _FIRST_SEQ)
        ack = self.seq.get((rec.dst, rec.dport, rec.src, rec.sport), _FIRST_SEQ)
        self.seq[key] = (seq + len(payload)) & 0xFFFFFFFF
        fields = (rec.sport, rec.dport, seq, ack, 5 << 12 | 0x18, 65535)  # PSH, ACK
        header = struct.pack("!HHIIHHHH", *fields, 0, 0)
        length = len(header) + len(payload)
        checksum = _checksum(self._pseudo(rec, 6, length) + header + payload)
        segment = struct.pack("!HHIIHHHH", *fields, checksum, 0) + payload
        self._frame(rec, 6, segment)

    def _pseudo(self, rec: Exportable, proto: int, length: int) -> bytes:
        family, src = _address(rec.src)
        _, dst = _address(rec.dst)
        if family == socket.AF_INET:
            return src + dst + struct.pack("!BBH", 0, proto, length)
        return src + dst + struct.pack("!IxxxB", length, proto)

    def _frame(self, rec: Exportable, proto: int, segment: bytes) -> None:
        family, src = _address(rec.src)
        dfamily, dst = _address(rec.dst)
        if family != dfamily:
            raise ValueError(f"mixed address families: {rec.src} -> {rec.dst}")
        if family == socket.AF_INET:
            self.ip_id = (self.ip_id + 1) & 0xFFFF
            total = 20 + len(segment)
            head = struct.pack(
                "!BBHHHBBH4s4s", 0x45, 0, total, self.ip_id, 0x4000, 64, proto, 0, src, dst
            )
            head = head[:10] + struct.pack("!H", _checksum(head)) + head[12:]
            packet = b"\x08\x00" + head + segment
        else:
            head = struct.pack("!IHBB16s16s", 0x60000000, len(segment), proto, 64, src, dst)
            packet = b"\x86\xdd" + head + segment
        frame = _DST_MAC + _SRC_MAC + packet
        sec = int(rec.ts)
        usec = min(999999, round((rec.ts - sec) * 1e6))
        self.out.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
        self.out.write(frame)
        self.frames += 1


def write_pcap(path: str | os.PathLike[str] | BinaryIO, records: Iterable[Exportable]) -> int:
    """Write `records` (Datagrams, in order) as an Ethernet pcap; return the frame count.

    `path` may be a file name or a binary stream. Raises ValueError for a record whose
    addresses are not IP addresses.
    """
    if isinstance(path, (str, os.PathLike)):
        with open(path, "wb") as f:
            return write_pcap(f, records)
    writer = _Writer(path)
    for rec in records:
        writer.record(rec)
    return writer.frames
