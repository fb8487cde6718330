"""Link layers, IPv4/IPv6 (extension headers, fragments, tunnels) and UDP, frame by frame."""

from __future__ import annotations

import struct

import dpkt
import pytest
from netbuild import (
    SIP,
    corpus_file,
    ethernet,
    ip_udp,
    ipv4,
    ipv6,
    ipv6_fragment,
    udp,
)

from vostui.net import Decoder, iter_datagrams
from vostui.net.capture import Frame

V4 = ip_udp("192.0.2.1", "192.0.2.2", SIP, 5070, 5060)
V6 = ip_udp("2001:db8::1", "2001:db8::2", SIP, 5070, 5060)


def decode(linktype: int, data: bytes, decoder: Decoder | None = None, ts: float = 1.0):
    decoder = decoder if decoder is not None else Decoder()
    return decoder.decode(Frame(ts, linktype, data, 7, len(data)))


def only(linktype: int, data: bytes) -> tuple:
    got = decode(linktype, data)
    assert len(got) == 1, got
    d = got[0]
    return d.src, d.sport, d.dst, d.dport, d.transport, d.payload, d.frame


WANT4 = ("192.0.2.1", 5070, "192.0.2.2", 5060, "udp", SIP, 7)
WANT6 = ("2001:db8::1", 5070, "2001:db8::2", 5060, "udp", SIP, 7)


def sll(packet: bytes, proto: int, arphrd: int = 1) -> bytes:
    return struct.pack("!HHH8sH", 0, arphrd, 6, b"\x00" * 8, proto) + packet


def sll2(packet: bytes, proto: int, arphrd: int = 1) -> bytes:
    return struct.pack("!HHIHBB8s", proto, 0, 2, arphrd, 0, 6, b"\x00" * 8) + packet


def pppoe(packet: bytes, ppp_proto: bytes) -> bytes:
    body = ppp_proto + packet
    return ethernet(struct.pack("!BBHH", 0x11, 0, 0x1234, len(body)) + body, 0x8864)


@pytest.mark.parametrize(
    ("linktype", "frame", "want"),
    [
        (1, ethernet(V4), WANT4),
        (1, ethernet(V6, 0x86DD), WANT6),
        (1, ethernet(V4, tags=[(0x8100, 10)]), WANT4),
        (1, ethernet(V6, 0x86DD, tags=[(0x88A8, 100), (0x8100, 10)]), WANT6),
        (1, ethernet(V4, tags=[(0x9100, 100), (0x8100, 10)]), WANT4),
        (1, pppoe(V4, b"\x00\x21"), WANT4),
        (1, pppoe(V6, b"\x00\x57"), WANT6),
        (1, pppoe(V4, b"\x21"), WANT4),  # protocol field compression
        (1, ethernet(struct.pack("!I", (16 << 12) | 0x100 | 64) + V4, 0x8847), WANT4),  # MPLS
        (113, sll(V4, 0x0800), WANT4),
        (113, sll(V6, 0x86DD), WANT6),
        (113, sll(V4, 0, arphrd=0xFFFE), WANT4),  # tun device: no protocol
        (276, sll2(V4, 0x0800), WANT4),
        (276, sll2(V6, 0x86DD), WANT6),
        (101, V4, WANT4),
        (101, V6, WANT6),
        (12, V4, WANT4),
        (14, V6, WANT6),
        (228, V4, WANT4),
        (229, V6, WANT6),
        (0, struct.pack("<I", 2) + V4, WANT4),  # DLT_NULL, little-endian capturer
        (0, struct.pack(">I", 2) + V4, WANT4),  # big-endian capturer
        (0, struct.pack("<I", 30) + V6, WANT6),  # macOS AF_INET6
        (0, struct.pack(">I", 24) + V6, WANT6),  # OpenBSD AF_INET6
        (108, struct.pack(">I", 2) + V4, WANT4),  # OpenBSD DLT_LOOP
        (108, struct.pack(">I", 28) + V6, WANT6),  # FreeBSD AF_INET6
        (9, b"\xff\x03\x00\x21" + V4, WANT4),  # PPP with HDLC framing
    ],
)
def test_link_layers(linktype: int, frame: bytes, want: tuple) -> None:
    assert only(linktype, frame) == want


def test_ethernet_frame_built_by_dpkt() -> None:
    u = dpkt.udp.UDP(sport=5070, dport=5060, data=SIP)
    u.ulen = len(u)
    ip = dpkt.ip.IP(src=bytes([192, 0, 2, 1]), dst=bytes([192, 0, 2, 2]), p=17, data=u)
    ip.len = len(ip)
    eth = dpkt.ethernet.Ethernet(src=b"\x02" * 6, dst=b"\x04" * 6, type=0x0800, data=ip)
    assert only(1, bytes(eth)) == WANT4


def test_ethernet_padding_trimmed_by_ip_length() -> None:
    short = ip_udp("192.0.2.1", "192.0.2.2", b"hi")
    assert decode(1, ethernet(short) + b"\x00" * 20)[0].payload == b"hi"


def test_ipv4_total_length_zero_from_segmentation_offload() -> None:
    packet = ipv4("192.0.2.1", "192.0.2.2", 17, udp(5060, 5060, SIP), total=0)
    assert decode(101, packet)[0].payload == SIP


def test_ipv6_extension_headers_are_skipped() -> None:
    body = udp(5070, 5060, SIP)
    hop = bytes([60, 0]) + b"\x01\x04\x00\x00\x00\x00"  # hop-by-hop -> dest options
    dest = bytes([43, 0]) + b"\x01\x04\x00\x00\x00\x00"  # dest options -> routing
    routing = bytes([17, 0, 0, 0]) + b"\x00" * 4  # routing -> UDP
    assert only(101, ipv6("2001:db8::1", "2001:db8::2", 0, hop + dest + routing + body)) == WANT6


def test_ipv6_atomic_fragment_is_a_whole_datagram() -> None:
    body = ipv6_fragment(17, 0, False, 9, udp(5070, 5060, SIP))
    assert only(101, ipv6("2001:db8::1", "2001:db8::2", 44, body)) == WANT6


@pytest.mark.parametrize(
    ("outer", "inner", "want"),
    [
        ("v4", V4, WANT4),
        ("v4", V6, WANT6),
        ("v6", V4, WANT4),
        ("v6", V6, WANT6),
    ],
)
def test_ip_in_ip(outer: str, inner: bytes, want: tuple) -> None:
    proto = 4 if inner is V4 else 41
    if outer == "v4":
        packet = ipv4("198.51.100.1", "198.51.100.2", proto, inner)
    else:
        packet = ipv6("2001:db8:ff::1", "2001:db8:ff::2", proto, inner)
    assert only(101, packet) == want


def test_tunnel_nesting_is_bounded() -> None:
    packet = V4
    for _ in range(12):
        packet = ipv4("198.51.100.1", "198.51.100.2", 4, packet)
    decoder = Decoder()
    assert decode(101, packet, decoder) == []
    assert decoder.stats.malformed == {"too_deep": 1}


def ipv4_fragments(payload: bytes, size: int, ident: int = 77) -> list[bytes]:
    out = []
    for off in range(0, len(payload), size):
        part = payload[off : off + size]
        more = off + size < len(payload)
        out.append(ipv4("192.0.2.1", "192.0.2.2", 17, part, ident, off, more))
    return out


def ipv6_fragments(payload: bytes, size: int, ident: int = 99) -> list[bytes]:
    out = []
    for off in range(0, len(payload), size):
        more = off + size < len(payload)
        frag = ipv6_fragment(17, off, more, ident, payload[off : off + size])
        out.append(ipv6("2001:db8::1", "2001:db8::2", 44, frag))
    return out


BIG = SIP + b"v=0\r\n" * 900  # about 4.6 KB: three or four fragments


@pytest.mark.parametrize("family", ["v4", "v6"])
@pytest.mark.parametrize("order", ["in order", "reversed", "shuffled"])
def test_fragments_reassemble_in_any_order(family: str, order: str) -> None:
    dgram = udp(5070, 5060, BIG)
    frags = ipv4_fragments(dgram, 1480) if family == "v4" else ipv6_fragments(dgram, 1232)
    if order == "reversed":
        frags.reverse()
    elif order == "shuffled":
        frags = frags[1::2] + frags[::2]
    decoder = Decoder()
    got = [d for i, f in enumerate(frags) for d in decode(101, f, decoder, ts=1.0 + i)]
    assert [d.payload for d in got] == [BIG]
    assert got[0].ts == 1.0 + len(frags) - 1  # time of the fragment that completed it
    assert decoder.stats.reassembled == 1 and decoder.pending_fragments == 0
    assert not decoder.stats.malformed


def test_duplicate_fragment_is_harmless() -> None:
    frags = ipv4_fragments(udp(5070, 5060, BIG), 1480)
    decoder = Decoder()
    got = [d for f in [frags[0], frags[0], *frags[1:]] for d in decode(101, f, decoder)]
    assert [d.payload for d in got] == [BIG] and not decoder.stats.malformed


def test_overlapping_fragments_drop_the_datagram() -> None:
    frags = ipv4_fragments(udp(5070, 5060, BIG), 1480)
    evil = ipv4("192.0.2.1", "192.0.2.2", 17, b"X" * 800, 77, 1000, True)
    decoder = Decoder()
    got = [d for f in [frags[0], evil, *frags[1:]] for d in decode(101, f, decoder)]
    assert got == [] and decoder.stats.malformed.get("frag_overlap") == 1


def test_incomplete_fragments_time_out_by_packet_time() -> None:
    frags = ipv4_fragments(udp(5070, 5060, BIG), 1480)
    decoder = Decoder(fragment_timeout=30)
    assert decode(101, frags[0], decoder, ts=100.0) == []
    decode(101, ipv4("192.0.2.9", "192.0.2.2", 17, udp(1, 2, b"x"), 5, 8, True), decoder, 131.0)
    assert decoder.stats.malformed == {"frag_timeout": 1}
    assert decoder.stats.samples[0].reason == "frag_timeout"
    decoder.flush()  # end of input: what is left never completes
    assert decoder.stats.malformed == {"frag_timeout": 2} and decoder.pending_fragments == 0


def test_fragment_beyond_64k_is_refused() -> None:
    decoder = Decoder()
    frag = ipv4("192.0.2.1", "192.0.2.2", 17, b"x" * 1000, 5, 65000, True)
    assert decode(101, frag, decoder) == []
    assert decoder.stats.malformed == {"frag_too_big": 1}


def test_pending_reassemblies_are_bounded() -> None:
    decoder = Decoder(max_fragments=10)
    for ident in range(25):
        decode(101, ipv4("192.0.2.1", "192.0.2.2", 17, b"x" * 16, ident, 0, True), decoder)
    assert decoder.pending_fragments == 10
    assert decoder.stats.evicted == {"ip_fragments": 15}


@pytest.mark.parametrize(
    ("linktype", "frame", "reason"),
    [
        (1, b"\x00" * 10, "short_ethernet"),
        (1, ethernet(b"", tags=[(0x8100, 1)])[:16], "short_vlan"),
        (1, ethernet(V4[:12]), "short_ipv4"),
        (1, ethernet(b"\x43" + V4[1:]), "bad_ipv4_header"),  # IHL 3
        (101, V4[:2] + b"\xff\xff" + V4[4:], "bad_ipv4_length"),
        (101, ipv4("192.0.2.1", "192.0.2.2", 17, udp(1, 2, b"abc", length=4)), "bad_udp_length"),
        (101, ipv4("192.0.2.1", "192.0.2.2", 17, udp(1, 2, b"abc", length=90)), "bad_udp_length"),
        (101, ipv4("192.0.2.1", "192.0.2.2", 17, b"\x00\x01"), "short_udp"),
        (101, V6[:30], "short_ipv6"),
        (101, ipv6("::1", "::1", 0, b"\x11\x05\x00\x00"), "bad_ipv6_ext"),
        (101, b"\x50" + V4[1:], "bad_ip_version"),
        (101, ipv4("192.0.2.1", "192.0.2.2", 6, b"\x00" * 12), "short_tcp"),
        (147, V4, "unknown_linktype"),
        (113, b"\x00" * 10, "short_sll"),
        (0, b"\x02\x00", "short_loopback"),
        (1, pppoe(V4, b"\x00\x21")[:20], "short_pppoe"),
    ],
)
def test_malformed_packets_are_counted_by_reason(linktype: int, frame: bytes, reason: str) -> None:
    decoder = Decoder()
    assert decode(linktype, frame, decoder) == []
    assert decoder.stats.malformed == {reason: 1}
    sample = decoder.stats.samples[-1]
    assert (sample.frame, sample.reason, sample.data) == (7, reason, frame[:2048])


def test_snapped_frames_count_as_truncated_capture() -> None:
    decoder = Decoder()
    frame = ethernet(V4)
    assert decoder.decode(Frame(1.0, 1, frame[:60], 1, len(frame))) == []
    assert decoder.stats.malformed == {"truncated_capture": 1}


def test_samples_are_capped_and_bounded() -> None:
    decoder = Decoder(max_samples=5, sample_bytes=100)
    for i in range(20):
        decoder.decode(Frame(1.0, 999, b"z" * 5000, i, 5000))
    assert decoder.stats.malformed == {"unknown_linktype": 20}
    assert [s.frame for s in decoder.stats.samples] == list(range(15, 20))
    assert all(len(s.data) == 100 for s in decoder.stats.samples)


def test_non_ip_and_non_udp_tcp_are_other_not_malformed() -> None:
    decoder = Decoder()
    decode(1, ethernet(b"\x00" * 28, 0x0806), decoder)  # ARP
    decode(101, ipv4("192.0.2.1", "192.0.2.2", 1, b"\x08\x00" + b"\x00" * 6), decoder)
    decode(101, ipv6("::1", "::1", 58, b"\x80\x00" + b"\x00" * 6), decoder)
    decode(101, ipv4("192.0.2.1", "192.0.2.2", 50, b"\x00" * 16), decoder)  # ESP
    assert decoder.stats.other == {"non_ip": 1, "icmp": 1, "icmpv6": 1, "ip_other": 1}
    assert not decoder.stats.malformed and decoder.stats.packets == 4


# ---- real captures ---------------------------------------------------------------


def test_corpus_pppoe_capture() -> None:
    decoder = Decoder()
    path = corpus_file("sip_info_dtmf_session_timer_cancel__DTMFsipinfo.pcap")
    got = list(iter_datagrams(path, decoder))
    assert len(got) == 32 and all(d.transport == "udp" for d in got)
    assert got[0].src == "178.45.73.241" and got[0].dst == "213.192.59.75"
    assert got[0].payload.startswith(b"INVITE sip:echo@iptel.org SIP/2.0\r\n")
    assert sum(d.payload.startswith(b"INFO ") for d in got) == 4
    assert not decoder.stats.malformed


def test_corpus_ipv6_fragments_on_linux_cooked_capture() -> None:
    decoder = Decoder()
    path = corpus_file("sip_ipv6_fragmented_prack_update__sngrep_ipv6frag.pcap")
    got = list(iter_datagrams(path, decoder))
    assert len(got) == 32  # 34 frames, two INVITEs in two fragments each
    assert decoder.stats.fragments == 4 and decoder.stats.reassembled == 2
    invites = [d for d in got if d.payload.startswith(b"INVITE ")]
    assert [d.frame for d in invites] == [2, 5]
    assert all(b"\r\n\r\nv=0" in d.payload for d in invites)
    assert invites[0].src == "fd17:625c:f037:2:a00:27ff:feb9:1521"
    assert invites[0].dport == 5060 or invites[0].dport > 0
    assert not decoder.stats.malformed


def test_corpus_ip_in_ip_with_tcp() -> None:
    decoder = Decoder()
    path = corpus_file("sip_tcp_ipip_no_ack_bye_after_32s__sngrep_ipip.pcap")
    got = list(iter_datagrams(path, decoder))
    starts = [d.payload.split(b"\r\n", 1)[0] for d in got]
    assert [s.split(b" ")[0] for s in starts] == [b"INVITE", b"SIP/2.0", b"SIP/2.0", b"BYE"]
    assert [d.frame for d in got] == [1, 2, 3, 4]
    assert all(d.transport == "tcp" for d in got)
    assert got[0].src == "10.15.197.103" and got[0].dst == "10.15.193.31"
