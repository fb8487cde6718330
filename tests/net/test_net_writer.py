"""write_pcap: exported calls open in tshark as SIP and read back the same through us."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from netbuild import corpus_file, sip_message

from vostui.net import Datagram, Decoder, iter_datagrams, write_pcap

MESSAGES = [
    Datagram(1_700_000_000.5, "192.0.2.1", 5060, "192.0.2.2", 5060, "udp", sip_message("u1"), 1),
    Datagram(1_700_000_000.6, "192.0.2.2", 5060, "192.0.2.1", 5060, "udp", sip_message("u2"), 2),
    Datagram(1_700_000_001.0, "2001:db8::1", 5062, "2001:db8::2", 5060, "udp", sip_message("6"), 3),
    Datagram(1_700_000_002.0, "192.0.2.1", 40000, "192.0.2.2", 5060, "tcp", sip_message("t1"), 4),
    Datagram(1_700_000_002.1, "192.0.2.2", 5060, "192.0.2.1", 40000, "tcp", sip_message("t2"), 5),
    Datagram(
        1_700_000_002.2, "192.0.2.1", 40000, "192.0.2.2", 5060, "tcp", sip_message("t3", b"b"), 6
    ),
    Datagram(
        1_700_000_003.0, "2001:db8::1", 40001, "2001:db8::2", 5060, "tcp", sip_message("x"), 7
    ),
]


def test_round_trip_through_our_reader() -> None:
    out = io.BytesIO()
    assert write_pcap(out, MESSAGES) == len(MESSAGES)
    out.seek(0)
    decoder = Decoder()
    back = list(iter_datagrams(out, decoder))
    strip = [(d.ts, d.src, d.sport, d.dst, d.dport, d.transport, d.payload) for d in MESSAGES]
    again = [(d.ts, d.src, d.sport, d.dst, d.dport, d.transport, d.payload) for d in back]
    assert again == strip
    assert not decoder.stats.malformed


def test_tshark_reads_the_export_as_sip_with_good_checksums(tmp_path: Path) -> None:
    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.skip("tshark is not installed")
    path = tmp_path / "call.pcap"
    write_pcap(path, MESSAGES)
    result = subprocess.run(
        [
            tshark,
            "-n",
            "-r",
            str(path),
            "-o",
            "udp.check_checksum:TRUE",
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "ip.check_checksum:TRUE",
            "-T",
            "fields",
            "-e",
            "sip.Call-ID",
            "-e",
            "_ws.expert",
            "-e",
            "tcp.analysis.flags",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [r[0] for r in rows] == ["u1@x", "u2@x", "6@x", "t1@x", "t2@x", "t3@x", "x@x"]
    assert all(r[1] == "" and r[2] == "" for r in rows), rows  # no bad checksum, no TCP warning


def test_real_call_exported_and_reread(tmp_path: Path) -> None:
    src = corpus_file("sip_call_g711_rtp_freeswitch__sip-rtp-g711.pcap")
    sip = [d for d in iter_datagrams(src) if d.dport == 5060 or d.sport == 5060]
    path = tmp_path / "sip.pcap"
    write_pcap(path, sip)
    assert [d.payload for d in iter_datagrams(path)] == [d.payload for d in sip]


def test_bad_address_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        write_pcap(io.BytesIO(), [Datagram(0.0, "host", 1, "192.0.2.1", 2, "udp", b"x")])
