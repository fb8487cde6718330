"""Every UDP/TCP payload of the public captures: parse_message returns or raises SipParseError.

Payloads are pulled out with dpkt (tests only: the product has its own readers in
vostui/net). The PROTOS fuzz capture is in NetMon format; it is converted with
editcap when that is installed. Counts asserted below were checked against tshark 4.0
on the same files (see the corpus README).
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dpkt
import dpkt.loopback
import dpkt.sll
import dpkt.sll2
import pytest

from tests.support import corpus_dir
from vostui.sip.message import SipMessage, SipParseError
from vostui.sip.parser import parse_message
from vostui.sip.scanner import signatures

NETMON = "sip_malformed_protos_fuzz_NETMON_format__c07-sip-r2.cap"


def _capture_names() -> list[str]:
    corpus = corpus_dir()
    if corpus is None:
        return []
    return sorted(p.name for p in corpus.iterdir() if p.suffix in (".pcap", ".pcapng", ".cap"))


CAPTURES = _capture_names()
NO_CORPUS = pytest.mark.skipif(
    not CAPTURES, reason="the public capture corpus (../shared/corpus, or VOSTUI_CORPUS) is absent"
)


def _link_layer(link: int, frame: bytes) -> dpkt.Packet | None:
    if link == 1:
        return dpkt.ethernet.Ethernet(frame)
    if link == 113:
        return dpkt.sll.SLL(frame)
    if link == 276:
        return dpkt.sll2.SLL2(frame)
    if link in (0, 108):
        return dpkt.loopback.Loopback(frame)
    if link in (12, 14, 101, 228, 229):
        return dpkt.ip6.IP6(frame) if frame[:1] and frame[0] >> 4 == 6 else dpkt.ip.IP(frame)
    return None


def transport_payloads(path: Path) -> Iterator[tuple[str, bytes]]:
    """("udp" | "tcp", payload) for each frame dpkt can decode down to UDP or TCP."""
    with path.open("rb") as handle:
        try:
            reader: dpkt.pcap.Reader | dpkt.pcapng.Reader = dpkt.pcap.Reader(handle)
        except ValueError:
            handle.seek(0)
            reader = dpkt.pcapng.Reader(handle)
        link = reader.datalink()
        for _, frame in reader:
            try:
                layer = _link_layer(link, frame)
            except (dpkt.UnpackError, IndexError, ValueError):
                continue
            # Down through VLAN, PPPoE/PPP, IP-in-IP and IPv6 to the transport.
            for _ in range(8):
                if layer is None or isinstance(layer, dpkt.udp.UDP | dpkt.tcp.TCP):
                    break
                inner = getattr(layer, "data", None)
                layer = inner if isinstance(inner, dpkt.Packet) else None
            if not isinstance(layer, dpkt.udp.UDP | dpkt.tcp.TCP):
                continue
            if isinstance(layer.data, bytes) and layer.data:
                yield ("udp" if isinstance(layer, dpkt.udp.UDP) else "tcp"), layer.data


@dataclass
class Tally:
    payloads: int = 0
    messages: list[SipMessage] = field(default_factory=list)
    rejected: Counter[str] = field(default_factory=Counter)

    def statuses(self) -> Counter[int]:
        return Counter(m.status for m in self.messages if not m.is_request)


def parse_all(path: Path) -> Tally:
    tally = Tally()
    for _, payload in transport_payloads(path):
        tally.payloads += 1
        try:
            tally.messages.append(parse_message(payload))
        except SipParseError as error:
            tally.rejected[error.reason] += 1
    return tally


def capture_path(name: str, tmp_path: Path) -> Path:
    corpus = corpus_dir()
    assert corpus is not None
    path = corpus / name
    if name != NETMON:
        return path
    editcap = shutil.which("editcap")
    if editcap is None:
        pytest.skip(f"{name} is NetMon format and editcap (Wireshark) is not installed")
    converted = tmp_path / "c07-sip-r2.pcap"
    subprocess.run(
        [editcap, "-F", "pcap", str(path), str(converted)],
        check=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
    )
    return converted


@NO_CORPUS
@pytest.mark.parametrize("name", CAPTURES or ["(none)"])
def test_no_payload_breaks_the_parser(name: str, tmp_path: Path) -> None:
    tally = Tally()
    for _, payload in transport_payloads(capture_path(name, tmp_path)):
        tally.payloads += 1
        try:
            msg = parse_message(payload)
        except SipParseError as error:
            tally.rejected[error.reason] += 1
            continue
        signatures(msg)  # runs on every parsed message in the engine too
        tally.messages.append(msg)
    assert tally.payloads > 0, f"dpkt found no UDP/TCP payload in {name}"
    if name.startswith("sip"):
        assert tally.messages, f"no SIP message parsed in {name}: {tally.rejected}"
    else:
        assert not tally.messages  # H.323 and bare RTP are not SIP


def _corpus_file(name: str) -> Path:
    corpus = corpus_dir()
    if corpus is None or not (corpus / name).exists():
        pytest.skip(f"{name} is not in the capture corpus (../shared/corpus)")
    return corpus / name


def test_register_failures_match_tshark_counts() -> None:
    tally = parse_all(_corpus_file("sip_register_401_403_407_cancel_408_480__wireshark_aaa.pcap"))
    statuses = tally.statuses()
    assert (statuses[401], statuses[403], statuses[407], statuses[408]) == (14, 3, 3, 2)
    assert Counter(m.method for m in tally.messages if m.is_request)["REGISTER"] == 18


def test_b2bua_489_and_session_timers() -> None:
    name = "sip_b2bua_two_legs_489_session_expires_rtp__sipnab_b2bua-asterisk.pcapng"
    tally = parse_all(_corpus_file(name))
    assert tally.statuses()[489] == 6
    refreshers = {m.session_refresher for m in tally.messages if m.session_expires == 1800}
    assert refreshers == {"uac", "uas"}


def test_pppoe_capture_with_sip_info_and_session_timer() -> None:
    tally = parse_all(_corpus_file("sip_info_dtmf_session_timer_cancel__DTMFsipinfo.pcap"))
    infos = [m for m in tally.messages if m.method == "INFO" and m.is_request]
    signals = [m.body.split(b"\n", 1)[0].replace(b" ", b"").strip() for m in infos]
    assert signals == [b"Signal=1", b"Signal=3", b"Signal=4", b"Signal=2"]
    timers = {(m.session_expires, m.session_refresher) for m in tally.messages if m.session_expires}
    assert (60, "uas") in timers
    assert {m.min_se for m in tally.messages if m.min_se is not None} == {5}


def test_t38_reinvite_offers_an_image_stream() -> None:
    tally = parse_all(_corpus_file("sip_t38_session_timer_refresher_uac__T38.pcap"))
    image = [
        media
        for m in tally.messages
        if m.sdp is not None
        for media in m.sdp.media
        if media.kind == "image"
    ]
    assert image and all(media.proto.lower() == "udptl" and media.payloads == () for media in image)
    assert (3600, "uac") in {(m.session_expires, m.session_refresher) for m in tally.messages}


def test_codec_reject_488() -> None:
    tally = parse_all(_corpus_file("sip_488_codec_reject_options_401__sipnab.pcapng"))
    assert tally.statuses()[488] == 1


def test_sipvicious_scan_in_a_real_trace() -> None:
    name = "sipvicious_options_register401_call_rfc2833_rtcp__acoustic_Voip-trace.pcap"
    tally = parse_all(_corpus_file(name))
    found = Counter(s for m in tally.messages for s in signatures(m))
    assert found["unfriendly-scanner"] == 1
    assert found["sipvicious-from"] >= 1
