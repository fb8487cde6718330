"""TCP reassembly and SIP message framing on each direction's byte stream."""

from __future__ import annotations

import itertools

import pytest
from netbuild import ipv4, sip_message, tcp

from vostui.net import Decoder
from vostui.net.capture import Frame

A, B = "192.0.2.1", "192.0.2.2"
ISN = 1000


class Conn:
    """One TCP connection A:40000 -> B:5060 fed segment by segment to a decoder."""

    def __init__(self, decoder: Decoder | None = None) -> None:
        self.decoder = decoder if decoder is not None else Decoder()
        self.frame = 0
        self.seq = ISN + 1

    def send(self, flags: str, payload: bytes = b"", seq: int | None = None, ts: float = 1.0):
        self.frame += 1
        seq = self.seq if seq is None else seq
        packet = ipv4(A, B, 6, tcp(40000, 5060, seq, flags, payload))
        return self.decoder.decode(Frame(ts, 101, packet, self.frame, len(packet)))

    def syn(self):
        return self.send("S", seq=ISN)

    def data(self, payload: bytes, offset: int = 0, ts: float = 1.0):
        """Send stream bytes at `offset` from the first byte after the SYN."""
        return self.send("PA", payload, seq=ISN + 1 + offset, ts=ts)


def payloads(datagrams) -> list[bytes]:
    return [d.payload for d in datagrams]


M1, M2, M3 = sip_message("1"), sip_message("2", b"hello body"), sip_message("3", b"x" * 3000)


def test_several_messages_in_one_segment() -> None:
    c = Conn()
    c.syn()
    got = c.data(M1 + M2 + M3)
    assert payloads(got) == [M1, M2, M3]
    assert all(d.transport == "tcp" and d.frame == 2 for d in got)
    assert (got[0].src, got[0].sport, got[0].dst, got[0].dport) == (A, 40000, B, 5060)
    assert c.decoder.stats.tcp_messages == 3


def test_message_across_segments_completes_on_the_last_one() -> None:
    c = Conn()
    c.syn()
    stream = M3 + M1
    cuts = [0, 10, len(M3) - 2000, len(M3) - 5, len(M3) + 3, len(stream)]
    got = []
    for i, (start, end) in enumerate(itertools.pairwise(cuts)):
        got += c.data(stream[start:end], start, ts=10.0 + i)
    assert payloads(got) == [M3, M1]
    assert got[0].frame == 5 and got[0].ts == 13.0  # the segment that completed M3
    assert got[1].frame == 6


def test_retransmitted_segment_is_not_delivered_twice() -> None:
    c = Conn()
    c.syn()
    first = c.data(M1)
    again = c.data(M1)  # same bytes, same sequence number
    part = c.data(M1[10:] + M2, 10)  # overlaps the old bytes, then new ones
    assert payloads(first) == [M1] and again == [] and payloads(part) == [M2]
    assert c.decoder.stats.other.get("tcp_retransmission") == 1


def test_out_of_order_segments_wait_for_the_hole() -> None:
    c = Conn()
    c.syn()
    stream = M1 + M2 + M3
    a, b = len(M1) // 2, len(M1) + len(M2) // 2
    assert c.data(stream[b:], b) == []  # early
    assert c.data(stream[a:b], a) == []  # early too
    assert payloads(c.data(stream[:a], 0)) == [M1, M2, M3]


def test_keepalives_and_compact_and_missing_content_length() -> None:
    c = Conn()
    c.syn()
    compact = sip_message("c", b"abc", compact=True)
    no_length = b"OPTIONS sip:x SIP/2.0\r\nCall-ID: n@x\r\n\r\n"
    lower = b"SIP/2.0 200 OK\r\ncontent-LENGTH :  4\r\n\r\nbody"
    got = c.data(b"\r\n\r\n" + compact + b"\r\n" + no_length + lower + b"\r\n\r\n")
    assert payloads(got) == [compact, no_length, lower]


def test_stream_joined_midway_resynchronises_on_a_start_line() -> None:
    c = Conn()
    tail = M3[-500:]  # the end of a message whose start we never saw
    assert payloads(c.send("PA", tail + M1 + M2, seq=555)) == [M1, M2]
    got = c.send("PA", M3, seq=555 + len(tail) + len(M1) + len(M2))
    assert payloads(got) == [M3]
    assert not c.decoder.stats.malformed


def test_garbage_without_header_end_is_bounded_and_counted() -> None:
    c = Conn(Decoder(max_stream_buffer=4096))
    c.syn()
    junk = b"INVITE sip:x SIP/2.0\r\n" + b"A" * 1000
    offset = 0
    for _ in range(6):
        c.data(junk if offset == 0 else b"A" * 1000, offset)
        offset += len(junk) if offset == 0 else 1000
    assert c.decoder.stats.malformed.get("tcp_unframed") == 1
    # the stream recovers at the next real message
    assert payloads(c.data(b"\r\n" + M1, offset)) == [M1]


def test_absurd_content_length_is_counted() -> None:
    c = Conn(Decoder(max_stream_buffer=4096))
    c.syn()
    bad = b"MESSAGE sip:x SIP/2.0\r\nContent-Length: 999999999\r\n\r\n"
    got = c.data(bad + M1)
    assert payloads(got) == [M1]
    assert c.decoder.stats.malformed == {"tcp_bad_content_length": 1}


def test_fin_with_an_incomplete_message_counts_it() -> None:
    c = Conn()
    c.syn()
    c.data(M2[:-3])
    c.send("FA", b"", seq=ISN + 1 + len(M2) - 3)
    assert c.decoder.stats.malformed == {"tcp_incomplete": 1}
    assert c.decoder.tcp_streams == 0


def test_segment_resent_after_fin_is_not_a_new_message() -> None:
    c = Conn()
    c.syn()
    assert payloads(c.data(M1)) == [M1]
    c.send("FA", seq=ISN + 1 + len(M1))
    assert c.data(M1) == []
    assert c.decoder.stats.tcp_messages == 1


def test_rst_closes_both_directions() -> None:
    c = Conn()
    c.syn()
    c.data(M1[:20])
    c.send("R", seq=ISN + 21)
    assert c.decoder.tcp_streams == 0
    assert c.decoder.stats.malformed == {"tcp_incomplete": 1}


def test_new_syn_on_same_ports_starts_a_new_stream() -> None:
    c = Conn()
    c.syn()
    c.data(M1[:30])
    c.send("S", seq=90000)
    c.seq = 90001
    assert payloads(c.send("PA", M2, seq=90001)) == [M2]


def test_a_hole_that_never_fills_is_skipped_after_a_while() -> None:
    c = Conn()
    c.syn()
    c.data(M1[:50], 0, ts=1.0)
    # bytes [50, len(M1)) are lost by the capture; M2 and M3 arrive
    assert c.data(M2, len(M1), ts=1.5) == []
    got = c.data(M3, len(M1) + len(M2), ts=10.0)
    assert payloads(got) == [M2, M3]
    assert c.decoder.stats.malformed.get("tcp_gap") == 1


def test_sequence_numbers_wrap_around() -> None:
    decoder = Decoder()
    isn = 0xFFFFFFFF - 20
    syn = ipv4(A, B, 6, tcp(40000, 5060, isn, "S"))
    decoder.decode(Frame(1.0, 101, syn, 1, len(syn)))
    first = ipv4(A, B, 6, tcp(40000, 5060, isn + 1, "PA", M1[:40]))
    second = ipv4(A, B, 6, tcp(40000, 5060, (isn + 41) & 0xFFFFFFFF, "PA", M1[40:]))
    decoder.decode(Frame(1.0, 101, first, 2, len(first)))
    got = decoder.decode(Frame(1.0, 101, second, 3, len(second)))
    assert payloads(got) == [M1]


def test_non_sip_stream_is_not_malformed() -> None:
    c = Conn()
    c.syn()
    assert c.data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 3) == []
    assert not c.decoder.stats.malformed
    assert c.decoder.stats.other.get("tcp_not_sip") == 1


def test_streams_are_bounded_and_evictions_counted() -> None:
    decoder = Decoder(max_streams=8)
    for port in range(20):
        packet = ipv4(A, B, 6, tcp(30000 + port, 5060, 1, "PA", M1))
        assert len(decoder.decode(Frame(1.0, 101, packet, port, len(packet)))) == 1
    assert decoder.tcp_streams == 8
    assert decoder.stats.evicted == {"tcp_stream_limit": 12}


def test_idle_streams_are_evicted_by_packet_time() -> None:
    decoder = Decoder(stream_idle=60)
    for ts, port in ((1.0, 1), (2.0, 2), (100.0, 3)):
        packet = ipv4(A, B, 6, tcp(port, 5060, 1, "PA", M1))
        decoder.decode(Frame(ts, 101, packet, 1, len(packet)))
    assert decoder.tcp_streams == 1
    assert decoder.stats.evicted == {"tcp_stream_idle": 2}


@pytest.mark.parametrize("size", [1, 7, 100, 1460])
def test_any_segmentation_gives_the_same_messages(size: int) -> None:
    c = Conn()
    c.syn()
    stream = b"\r\n" + M1 + M2 + b"\r\n\r\n" + M3 + M1
    got = []
    for off in range(0, len(stream), size):
        got += c.data(stream[off : off + size], off)
    assert payloads(got) == [M1, M2, M3, M1]
