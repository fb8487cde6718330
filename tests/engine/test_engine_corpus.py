"""The engine over real public captures (../shared/corpus), against what they are known to hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import need_corpus
from vostui.engine.core import Engine
from vostui.engine.snapshot import EngineSnapshot
from vostui.pipeline import read_files


def analyze(name: str) -> EngineSnapshot:
    path = need_corpus() / name
    engine = Engine()
    read_files(engine, [str(path)])
    return engine.snapshot()


def test_missing_ack_is_seen_and_the_bye_comes_32_seconds_after_the_200() -> None:
    snap = analyze("sip_tcp_ipip_no_ack_bye_after_32s__sngrep_ipip.pcap")
    (call,) = snap.calls
    (leg,) = call.legs
    assert leg.answered is not None and leg.confirmed is None
    assert leg.ack_missing
    assert call.problem
    assert leg.state == "completed"
    assert leg.ended is not None
    assert leg.ended - leg.answered == pytest.approx(32.0, abs=0.5)
    assert [r.msg.label.split()[0] for r in leg.messages] == ["INVITE", "183", "200", "BYE"]


def test_asterisk_b2bua_legs_pair_into_one_call_after_the_401_challenge() -> None:
    snap = analyze("sip_b2bua_two_legs_489_session_expires_rtp__sipnab_b2bua-asterisk.pcapng")
    (call,) = snap.calls
    a, b = call.legs
    assert (a.role, b.role) == ("a", "b")
    assert a.call_id != b.call_id
    assert b.src.startswith("172.16.98.101:")  # the B2BUA places the B-leg
    assert a.final_code == 200 and b.final_code == 200
    assert snap.softswitch == ("172.16.98.101",)
    assert call.mapping_gateway == "172.16.98.1"
    assert call.routing_gateway == "172.16.98.145"


def test_register_401_then_403_is_forbidden() -> None:
    snap = analyze("sip_register_401_then_403__sipnab_sip-auth-failure.pcapng")
    states = {r.account.split("@")[0]: r for r in snap.registrations}
    reg = next(iter(states.values()))
    assert reg.state == "forbidden"
    assert reg.last_code == 403
    assert [a.code for a in reg.history] == [401, 403]


def test_wireshark_aaa_registrations_and_failed_calls() -> None:
    snap = analyze("sip_register_401_403_407_cancel_408_480__wireshark_aaa.pcap")
    # tshark: 401 x14 and 403 x1 to REGISTER; 403 x2 to INVITE (after 407 challenges)
    codes = sorted(a.code for r in snap.registrations for a in r.history)
    assert codes.count(401) == 14
    assert codes.count(403) == 1
    assert any(r.state == "challenged" and r.challenge_loop for r in snap.registrations)
    finals = sorted(c.final_code for c in snap.calls)
    assert finals.count(403) == 2 and 480 in finals and 408 in finals
    assert not any(c.answered for c in snap.calls)


def test_sipvicious_scanner_is_marked() -> None:
    snap = analyze("sipvicious_options_register401_call_rfc2833_rtcp__acoustic_Voip-trace.pcap")
    marked = [s for s in snap.sources if s.signatures]
    assert marked, "the svmap OPTIONS source carries a scanner signature"
    assert any(s.count("OPTIONS") for s in marked)


def test_ipv6_fragments_and_pppoe_reach_the_engine() -> None:
    snap = analyze("sip_ipv6_fragmented_prack_update__sngrep_ipv6frag.pcap")
    methods = {m for c in snap.calls for leg in c.legs for m in leg.methods}
    assert {"INVITE", "PRACK", "UPDATE", "BYE"} <= methods
    snap = analyze("sip_info_dtmf_session_timer_cancel__DTMFsipinfo.pcap")
    assert snap.calls
    assert any(leg.session_expires == 60 for c in snap.calls for leg in c.legs)


@pytest.mark.parametrize(
    "name",
    sorted(
        p.name
        for p in Path(__file__)
        .resolve()
        .parents[2]
        .parent.joinpath("shared", "corpus")
        .glob("*.pcap*")
    )
    or ["(corpus absent)"],
)
def test_every_corpus_capture_reads_to_the_end(name: str) -> None:
    path = need_corpus() / name
    if not path.exists():
        pytest.skip("corpus absent")
    engine = Engine()
    (result,) = read_files(engine, [str(path)])
    assert result.frames > 0
    assert not result.warnings
