"""Hostile bytes: the decoder never raises, the readers raise nothing but CaptureError."""

from __future__ import annotations

import io
import os
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netbuild import (
    SIP,
    ethernet,
    ip_udp,
    ipv4,
    ipv6,
    ipv6_fragment,
    pcap,
    pcapng_epb,
    pcapng_idb,
    pcapng_shb,
    sip_message,
    tcp,
    udp,
)

from vostui.net import CaptureError, CaptureReader, Decoder, read_frames
from vostui.net.capture import Frame

SEEDS = [
    (1, ethernet(ip_udp("192.0.2.1", "192.0.2.2", SIP))),
    (1, ethernet(ip_udp("2001:db8::1", "2001:db8::2", SIP), 0x86DD, [(0x8100, 5)])),
    (
        1,
        ethernet(
            b"\x11\x00\x00\x01\x00\x40\x00\x21" + ip_udp("192.0.2.1", "192.0.2.2", SIP), 0x8864
        ),
    ),
    (
        113,
        struct.pack("!HHH8sH", 0, 1, 6, b"\x00" * 8, 0x0800) + ip_udp("192.0.2.1", "1.2.3.4", SIP),
    ),
    (276, struct.pack("!HHIHBB8s", 0x86DD, 0, 2, 1, 0, 6, b"\x00" * 8) + ip_udp("::1", "::2", SIP)),
    (101, ipv4("192.0.2.1", "192.0.2.2", 4, ip_udp("10.0.0.1", "10.0.0.2", SIP))),
    (101, ipv4("192.0.2.1", "192.0.2.2", 17, udp(5060, 5060, SIP)[:40], 9, 0, True)),
    (101, ipv6("::1", "::2", 44, ipv6_fragment(17, 0, True, 3, udp(5060, 5060, SIP)[:48]))),
    (101, ipv4("192.0.2.1", "192.0.2.2", 6, tcp(1, 5060, 7, "PA", sip_message("f", b"bd")))),
    (0, struct.pack("<I", 2) + ip_udp("192.0.2.1", "192.0.2.2", SIP)),
    (108, struct.pack(">I", 24) + ip_udp("::1", "::2", SIP)),
]
LINKTYPES = st.sampled_from([0, 1, 9, 12, 14, 101, 108, 113, 228, 229, 276, 147])


@st.composite
def mutated(draw: st.DrawFn) -> tuple[int, bytes]:
    linktype, data = draw(st.sampled_from(SEEDS))
    buf = bytearray(data)
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        if not buf:
            break
        i = draw(st.integers(0, len(buf) - 1))
        if kind == "flip":
            buf[i] = draw(st.integers(0, 255))
        elif kind == "cut":
            del buf[i:]
        elif kind == "insert":
            buf[i:i] = draw(st.binary(max_size=8))
        else:
            del buf[i : i + draw(st.integers(1, 8))]
    if draw(st.booleans()):
        linktype = draw(LINKTYPES)
    return linktype, bytes(buf)


FUZZ = settings(
    max_examples=int(os.environ.get("VOSTUI_FUZZ_EXAMPLES", "250")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@FUZZ
@given(st.lists(mutated(), min_size=1, max_size=12), st.booleans())
def test_decoder_never_raises_on_mutated_frames(frames: list, snapped: bool) -> None:
    decoder = Decoder(max_stream_buffer=2048)
    for n, (linktype, data) in enumerate(frames):
        wirelen = len(data) + (10 if snapped else 0)
        for d in decoder.decode(Frame(float(n), linktype, data, n + 1, wirelen)):
            assert d.transport in ("udp", "tcp") and isinstance(d.payload, bytes)
    decoder.flush()
    assert "decoder_error" not in decoder.stats.malformed


@FUZZ
@given(LINKTYPES, st.binary(max_size=200))
def test_decoder_never_raises_on_random_bytes(linktype: int, data: bytes) -> None:
    decoder = Decoder()
    decoder.decode(Frame(0.0, linktype, data, 1, len(data)))
    assert "decoder_error" not in decoder.stats.malformed


@FUZZ
@given(st.lists(st.binary(max_size=300), max_size=6), st.binary(max_size=300))
def test_tcp_streams_of_random_bytes(chunks: list[bytes], tail: bytes) -> None:
    decoder = Decoder(max_stream_buffer=1024)
    seq = 100
    for n, chunk in enumerate([*chunks, sip_message("z"), tail]):
        packet = ipv4("192.0.2.1", "192.0.2.2", 6, tcp(1, 5060, seq, "PA", chunk))
        decoder.decode(Frame(float(n), 101, packet, n, len(packet)))
        seq += len(chunk)
    decoder.flush()
    assert "decoder_error" not in decoder.stats.malformed


GOOD_PCAP = pcap([d for _, d in SEEDS[:4]])
GOOD_PCAPNG = (
    pcapng_shb(">")
    + pcapng_idb(">", 1, 9)
    + b"".join(pcapng_epb(">", 0, i, d) for i, (_, d) in enumerate(SEEDS[:4]))
)


@st.composite
def mutated_file(draw: st.DrawFn) -> bytes:
    buf = bytearray(draw(st.sampled_from([GOOD_PCAP, GOOD_PCAPNG])))
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(buf) - 1))
        kind = draw(st.sampled_from(["flip", "cut", "insert"]))
        if kind == "flip":
            buf[i] = draw(st.integers(0, 255))
        elif kind == "cut":
            del buf[max(i, 1) :]
        else:
            buf[i:i] = draw(st.binary(min_size=1, max_size=16))
    return bytes(buf)


def read_all(data: bytes, piece: int) -> None:
    reader = CaptureReader("fuzz")
    decoder = Decoder()
    try:
        for i in range(0, len(data), piece):
            for frame in reader.feed(data[i : i + piece]):
                decoder.decode(frame)
        reader.finish()
    except CaptureError as exc:
        assert "\n" not in str(exc)


@FUZZ
@given(mutated_file(), st.integers(1, 4096))
def test_readers_raise_only_capture_error_on_mutated_files(data: bytes, piece: int) -> None:
    read_all(data, piece)


@FUZZ
@given(st.binary(max_size=400))
def test_readers_raise_only_capture_error_on_random_bytes(data: bytes) -> None:
    read_all(data, 64)
    for magic in (GOOD_PCAP[:24], pcapng_shb()):
        read_all(magic + data, 64)


def test_stream_helper_on_bytes_io() -> None:
    assert len(list(read_frames(io.BytesIO(GOOD_PCAP)))) == 4
