"""Frame and capture-file builders for the packet-layer tests (plain struct, no magic)."""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SIP = (
    b"OPTIONS sip:100@192.0.2.2 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1\r\n"
    b"Call-ID: abc@192.0.2.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
)


def corpus() -> Path:
    """The public corpus beside the checkout (or $VOSTUI_CORPUS); skip when absent."""
    env = os.environ.get("VOSTUI_CORPUS")
    path = Path(env) if env else (REPO / ".." / "shared" / "corpus").resolve()
    if not path.is_dir():
        pytest.skip(f"public capture corpus not found at {path} (set VOSTUI_CORPUS)")
    return path


def corpus_file(name: str) -> Path:
    path = corpus() / name
    if not path.is_file():
        pytest.skip(f"corpus file {name} is missing from {path.parent}")
    return path


def sip_message(tag: str = "1", body: bytes = b"", compact: bool = False) -> bytes:
    name = b"l" if compact else b"Content-Length"
    return (
        b"MESSAGE sip:100@192.0.2.2 SIP/2.0\r\n"
        b"Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK-" + tag.encode() + b"\r\n"
        b"Call-ID: "
        + tag.encode()
        + b"@x\r\nCSeq: 1 MESSAGE\r\n"
        + name
        + b": "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4(
    src: str,
    dst: str,
    proto: int,
    payload: bytes,
    ident: int = 1,
    offset: int = 0,
    more: bool = False,
    total: int | None = None,
) -> bytes:
    flags = (0x2000 if more else 0) | (offset >> 3)
    length = 20 + len(payload) if total is None else total
    head = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        length,
        ident,
        flags,
        64,
        proto,
        0,
        socket.inet_aton(src),
        socket.inet_aton(dst),
    )
    head = head[:10] + struct.pack("!H", checksum(head)) + head[12:]
    return head + payload


def ipv6(src: str, dst: str, nh: int, payload: bytes, length: int | None = None) -> bytes:
    return (
        struct.pack(
            "!IHBB16s16s",
            0x60000000,
            len(payload) if length is None else length,
            nh,
            64,
            socket.inet_pton(socket.AF_INET6, src),
            socket.inet_pton(socket.AF_INET6, dst),
        )
        + payload
    )


def ipv6_fragment(nh: int, offset: int, more: bool, ident: int, data: bytes) -> bytes:
    return struct.pack("!BBHI", nh, 0, offset | int(more), ident) + data


def udp(sport: int, dport: int, payload: bytes, length: int | None = None) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload) if length is None else length, 0) + (
        payload
    )


def tcp(sport: int, dport: int, seq: int, flags: str = "PA", payload: bytes = b"") -> bytes:
    bits = {"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}
    value = sum(bits[c] for c in flags)
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 1, 5 << 4, value, 65535, 0, 0) + payload


def ip_udp(src: str, dst: str, payload: bytes, sport: int = 5060, dport: int = 5060) -> bytes:
    if ":" in src:
        return ipv6(src, dst, 17, udp(sport, dport, payload))
    return ipv4(src, dst, 17, udp(sport, dport, payload))


def ethernet(packet: bytes, etype: int = 0x0800, tags: Sequence[tuple[int, int]] = ()) -> bytes:
    """Ethernet II; `tags` are (TPID, VLAN id) pairs, outermost first."""
    head = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01"
    for tpid, vid in tags:
        head += struct.pack("!HH", tpid, vid)
    return head + struct.pack("!H", etype) + packet


def pcap(
    frames: Iterable[bytes | tuple[float, bytes]],
    linktype: int = 1,
    order: str = "<",
    nano: bool = False,
    snaplen: int = 262144,
) -> bytes:
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = [struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    for i, item in enumerate(frames):
        ts, data = item if isinstance(item, tuple) else (1_700_000_000.0 + i, item)
        sec = int(ts)
        frac = round((ts - sec) * (1e9 if nano else 1e6))
        out.append(struct.pack(order + "IIII", sec, frac, len(data), len(data)) + data)
    return b"".join(out)


def _block(order: str, btype: int, body: bytes) -> bytes:
    body += b"\x00" * (-len(body) % 4)
    length = 12 + len(body)
    return struct.pack(order + "II", btype, length) + body + struct.pack(order + "I", length)


def _option(order: str, code: int, value: bytes) -> bytes:
    return struct.pack(order + "HH", code, len(value)) + value + b"\x00" * (-len(value) % 4)


def pcapng_shb(order: str = "<") -> bytes:
    return _block(order, 0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1))


def pcapng_idb(order: str, linktype: int, tsresol: int | None = None, offset: int = 0) -> bytes:
    opts = b""
    if tsresol is not None:
        opts += _option(order, 9, bytes([tsresol]))
    if offset:
        opts += _option(order, 14, struct.pack(order + "q", offset))
    if opts:
        opts += struct.pack(order + "HH", 0, 0)
    return _block(order, 1, struct.pack(order + "HHI", linktype, 0, 0) + opts)


def pcapng_epb(order: str, iface: int, units: int, data: bytes) -> bytes:
    high, low = units >> 32, units & 0xFFFFFFFF
    body = struct.pack(order + "IIIII", iface, high, low, len(data), len(data))
    return _block(order, 6, body + data)


def pcapng_spb(order: str, data: bytes) -> bytes:
    return _block(order, 3, struct.pack(order + "I", len(data)) + data)


def pcapng_pb(order: str, iface: int, units: int, data: bytes) -> bytes:
    body = struct.pack(
        order + "HHIIII", iface, 0, units >> 32, units & 0xFFFFFFFF, len(data), len(data)
    )
    return _block(order, 2, body + data)


def pcapng_other(order: str, btype: int = 5, size: int = 20) -> bytes:
    return _block(order, btype, b"\x00" * size)
