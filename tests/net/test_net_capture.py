"""Capture readers: pcap and pcapng in every byte order, compressed, cut, damaged, not at all."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import struct
import subprocess
import threading
from pathlib import Path
from typing import BinaryIO, cast

import dpkt
import pytest
from netbuild import (
    SIP,
    corpus,
    corpus_file,
    ethernet,
    ip_udp,
    pcap,
    pcapng_epb,
    pcapng_idb,
    pcapng_other,
    pcapng_pb,
    pcapng_shb,
    pcapng_spb,
)

from vostui.net import CaptureError, CaptureReader, Decoder, iter_datagrams, read_frames
from vostui.net.capture import open_frames

SLL_HEAD = struct.pack("!HHH8sH", 0, 1, 6, b"\x00" * 8, 0x0800)
FRAME = ethernet(ip_udp("192.0.2.1", "192.0.2.2", SIP))


def frames_of(data: bytes, reader: CaptureReader | None = None) -> list:
    return list(read_frames(io.BytesIO(data), reader))


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("nano", [False, True])
def test_pcap_byte_orders_and_resolutions(order: str, nano: bool) -> None:
    data = pcap([(1_700_000_000.123456, FRAME), (1_700_000_001.5, FRAME[:20])], 1, order, nano)
    frames = frames_of(data)
    assert [f.number for f in frames] == [1, 2]
    assert frames[0].ts == pytest.approx(1_700_000_000.123456, abs=1e-6)
    assert frames[1].ts == pytest.approx(1_700_000_001.5)
    assert frames[0].data == FRAME and frames[0].linktype == 1
    assert frames[1].data == FRAME[:20]


def test_pcap_linktype_upper_bits_ignored() -> None:
    data = bytearray(pcap([FRAME], 1))
    data[20:24] = (0x10000000 | 1).to_bytes(4, "little")  # FCS-present flag bits
    assert frames_of(bytes(data))[0].linktype == 1


def test_pcap_read_byte_by_byte_equals_whole() -> None:
    data = pcap([FRAME, FRAME[:60], FRAME], 1)
    reader = CaptureReader()
    got = []
    for i in range(len(data)):
        got += reader.feed(data[i : i + 1])
    reader.finish()
    assert got == frames_of(data) and not reader.warnings


@pytest.mark.parametrize("order", ["<", ">"])
def test_pcapng_interfaces_resolutions_and_blocks(order: str) -> None:
    raw = ip_udp("192.0.2.1", "192.0.2.2", SIP)
    data = (
        pcapng_shb(order)
        + pcapng_idb(order, 1)  # microseconds (default)
        + pcapng_idb(order, 101, tsresol=9)  # nanoseconds, raw IP
        + pcapng_idb(order, 113, tsresol=0x80 | 10, offset=100)  # 2^-10 s, offset 100 s
        + pcapng_other(order, 4)  # name resolution block
        + pcapng_epb(order, 0, 1_700_000_000_250_000, ethernet(raw))
        + pcapng_epb(order, 1, 1_700_000_000_500_000_000, raw)
        + pcapng_epb(order, 2, 1024 * 5, SLL_HEAD + raw)
        + pcapng_spb(order, ethernet(raw))
        + pcapng_pb(order, 1, 3_000_000_000, raw)
        + pcapng_other(order, 5)  # interface statistics
    )
    frames = frames_of(data)
    assert [f.linktype for f in frames] == [1, 101, 113, 1, 101]
    assert [f.number for f in frames] == [1, 2, 3, 4, 5]
    assert frames[0].ts == pytest.approx(1_700_000_000.25)
    assert frames[1].ts == pytest.approx(1_700_000_000.5)
    assert frames[2].ts == pytest.approx(105.0)
    assert frames[3].ts == frames[2].ts  # a simple packet block has no time of its own
    assert frames[4].ts == pytest.approx(3.0)
    assert [len(d) for d in (frames[1].data, frames[4].data)] == [len(raw)] * 2
    decoder = Decoder()
    assert all(decoder.decode(f) for f in frames)


def test_pcapng_two_sections_with_different_byte_orders() -> None:
    data = (
        pcapng_shb("<")
        + pcapng_idb("<", 1)
        + pcapng_epb("<", 0, 1, FRAME)
        + pcapng_shb(">")
        + pcapng_idb(">", 1)
        + pcapng_epb(">", 0, 2, FRAME)
    )
    assert [f.data for f in frames_of(data)] == [FRAME, FRAME]


def test_pcapng_packet_for_undescribed_interface_is_skipped_with_warning() -> None:
    reader = CaptureReader("x")
    data = pcapng_shb() + pcapng_idb("<", 1)
    data += pcapng_epb("<", 3, 1, FRAME) + pcapng_epb("<", 0, 1, FRAME)
    assert len(frames_of(data, reader)) == 1
    assert any("interface 3" in w for w in reader.warnings)


def test_pcapng_written_by_dpkt(tmp_path: Path) -> None:
    path = tmp_path / "dpkt.pcapng"
    with path.open("wb") as f:
        writer = dpkt.pcapng.Writer(f)
        for i in range(3):
            writer.writepkt(FRAME, ts=1_700_000_000 + i)
    got = list(iter_datagrams(path))
    assert [d.payload for d in got] == [SIP] * 3
    assert got[2].ts == pytest.approx(1_700_000_002)


def test_corpus_pcapng_files_match_tshark_counts() -> None:
    expected = {  # packets per capinfos
        "sip_404_480_489_subscribe_publish__sipnab_sip-routing-error.pcapng": 58,
        "sip_488_codec_reject_options_401__sipnab.pcapng": 13,
        "sip_b2bua_two_legs_489_session_expires_rtp__sipnab_b2bua-asterisk.pcapng": 416,
        "sip_register_401_then_403__sipnab_sip-auth-failure.pcapng": 8,
    }
    for name, count in expected.items():
        reader = CaptureReader(name)
        frames = list(open_frames(corpus_file(name), reader))
        assert len(frames) == count, name
        assert not reader.warnings and frames[-1].number == count


@pytest.mark.parametrize("packer", [gzip.compress, bz2.compress, lzma.compress])
def test_compressed_files_detected_by_content(tmp_path: Path, packer) -> None:
    data = pcap([FRAME] * 5)
    path = tmp_path / "capture.pcap"  # no telling suffix
    path.write_bytes(packer(data))
    reader = CaptureReader()
    assert len(list(open_frames(path, reader))) == 5
    assert reader.compression and not reader.warnings


def test_concatenated_gzip_members() -> None:
    data = pcap([FRAME] * 4)
    packed = gzip.compress(data[:100]) + gzip.compress(data[100:])
    assert len(frames_of(packed)) == 4


def test_cut_gzip_yields_prefix_and_warning() -> None:
    packed = gzip.compress(pcap([FRAME] * 50))
    reader = CaptureReader("cut.pcap.gz")
    got = frames_of(packed[: len(packed) * 2 // 3], reader)
    assert 0 < len(got) < 50 and reader.truncated
    assert any("ends early" in w for w in reader.warnings)


def test_truncated_real_capture_yields_prefix_and_warning(tmp_path: Path) -> None:
    src = corpus_file("sip_register_401_403_407_cancel_408_480__wireshark_aaa.pcap")
    data = src.read_bytes()
    whole = list(open_frames(src))
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: len(data) // 2])
    reader = CaptureReader("cut.pcap")
    decoder = Decoder()
    got = list(iter_datagrams(cut, decoder, reader))
    frames = list(open_frames(cut))
    assert frames == whole[: len(frames)] and 0 < len(frames) < len(whole)
    assert got and reader.truncated
    message = reader.warnings[0]
    assert f"file truncated at byte {len(data) // 2}, in packet {len(frames) + 1}" in message
    assert decoder.stats.malformed["truncated_file"] == 1
    assert decoder.stats.warnings == reader.warnings


def test_truncated_pcapng_warns() -> None:
    data = pcapng_shb() + pcapng_idb("<", 1) + pcapng_epb("<", 0, 1, FRAME) * 2
    reader = CaptureReader("x")
    assert len(frames_of(data[:-10], reader)) == 1
    assert reader.truncated and "truncated at byte" in reader.warnings[0]


def test_damaged_record_length_stops_with_warning() -> None:
    data = bytearray(pcap([FRAME] * 3))
    second = 24 + 16 + len(FRAME)
    data[second + 8 : second + 12] = (10_000_000).to_bytes(4, "little")
    reader = CaptureReader("bad")
    assert len(frames_of(bytes(data), reader)) == 1
    assert reader.corrupt and "in packet 2" in reader.warnings[0]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"hello world, this is text\n", "not a pcap or pcapng file (magic 0x68656c6c"),
        (b"\x00\x01\x02\x03\x04\x05\x06\x07\x08", "not a pcap or pcapng file (magic 0x00010203)"),
        (b"GMBU\x00\x02" + b"\x00" * 40, "Microsoft NetMon format: convert with editcap -F pcap"),
        (gzip.compress(b"just some text inside a gzip file" * 3), "gzip file: not a pcap"),
    ],
)
def test_not_a_capture_raises_one_line_error(content: bytes, words: str) -> None:
    with pytest.raises(CaptureError) as err:
        frames_of(content)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_empty_file_raises() -> None:
    with pytest.raises(CaptureError, match="empty"):
        frames_of(b"")


def test_corpus_netmon_file_says_convert() -> None:
    path = corpus_file("sip_malformed_protos_fuzz_NETMON_format__c07-sip-r2.cap")
    with pytest.raises(CaptureError, match="NetMon format: convert with editcap -F pcap"):
        list(iter_datagrams(path))


def test_corpus_text_file_is_refused() -> None:
    path = corpus() / "TEXT_honeypot_log_svwar_svcrack_friendly-scanner__acoustic_log.txt"
    if not path.exists():
        pytest.skip("corpus text log missing")
    with pytest.raises(CaptureError, match="looks like text"):
        list(iter_datagrams(path))


def test_missing_file_is_a_capture_error(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="No such file"):
        list(iter_datagrams(tmp_path / "nope.pcap"))


def test_reading_from_a_pipe_as_bytes_arrive() -> None:
    data = pcap([FRAME] * 20)
    rfd, wfd = os.pipe()

    def write() -> None:
        with os.fdopen(wfd, "wb", buffering=0) as w:
            for i in range(0, len(data), 37):  # odd pieces, split mid-record
                w.write(data[i : i + 37])

    writer = threading.Thread(target=write)
    writer.start()
    with os.fdopen(rfd, "rb", buffering=0) as r:
        got = list(iter_datagrams(r))
    writer.join()
    assert len(got) == 20


def test_gzip_through_a_pipe_from_a_real_gzip_process(tmp_path: Path) -> None:
    src = tmp_path / "x.pcap"
    src.write_bytes(pcap([FRAME] * 30))
    proc = subprocess.Popen(
        ["gzip", "-c", str(src)], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    assert proc.stdout is not None
    got = list(iter_datagrams(cast(BinaryIO, proc.stdout)))
    proc.wait()
    assert len(got) == 30
