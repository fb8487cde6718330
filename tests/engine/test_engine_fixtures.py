"""The engine over the project's own captures (tools/fixtures), against their ground truth.

Each capture was made with real SIPp, sipvicious and the fixture B2BUA on loopback;
the `.truth.json` beside it was written by the programs that made the traffic.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import FIXTURES
from vostui.config import Config, load
from vostui.engine.core import Engine
from vostui.engine.snapshot import CallView, EngineSnapshot
from vostui.pipeline import read_files

CALL_FILES = [
    "direct_calls_rtp",
    "failures",
    "no_ack_32s",
    "tcp_calls",
    "fragmented_invite",
    "b2bua_calls",
]
DEMO_CONFIG = FIXTURES.parents[1] / "tools" / "fixtures" / "demo-config.toml"


def run(name: str) -> EngineSnapshot:
    path = FIXTURES / f"{name}.pcap"
    if not path.exists():
        pytest.skip(f"{path.name} not made (tools/fixtures/make_all.sh)")
    config = load(str(DEMO_CONFIG)) if DEMO_CONFIG.exists() else None
    engine = Engine(config)
    (result,) = read_files(engine, [str(path)])
    assert not result.warnings
    return engine.snapshot()


def truth(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.truth.json").read_text())


def by_a_leg(snap: EngineSnapshot) -> dict[str, CallView]:
    return {call.legs[0].call_id: call for call in snap.calls}


@pytest.mark.parametrize("name", CALL_FILES)
def test_calls_match_ground_truth(name: str) -> None:
    snap = run(name)
    calls = by_a_leg(snap)
    expected = truth(name)
    assert len(calls) == len(expected)
    for want in expected:
        call = calls[want["a"]]
        a = call.legs[0]
        assert a.caller == want["caller"] and a.callee == want["callee"]
        assert a.final_code == (want["final"] or 0), want["a"]
        assert (a.answered is not None) == want["answered"]
        if want["answered"]:
            assert a.answered == pytest.approx(want["answer_time"], abs=0.002)
            assert (a.confirmed is not None) == want["acked_2xx"]
            assert a.ack_missing == (not want["acked_2xx"])
        if want["cancelled"]:
            assert a.state == "cancelled"
        if want["end_time"] is not None:
            assert call.ended == pytest.approx(want["end_time"], abs=0.002)
        if want.get("ended_by") in ("caller", "callee"):
            assert a.hangup_by == want["ended_by"]
        b_legs = [leg.call_id for leg in call.legs[1:]]
        assert b_legs == want["b"], f"B-legs of {want['a']}"
        if want["b"]:
            assert [leg.final_code for leg in call.legs[1:]] == [
                code or 0 for code in want["b_finals_on_wire"]
            ]
            assert call.mapping_gateway == want["customer"]
            assert call.routing_gateway == want["vendors"][-1]


def test_b2bua_softswitch_is_inferred_and_gateway_stats_add_up() -> None:
    snap = run("b2bua_calls")
    assert snap.softswitch == ("127.0.0.10",)
    expected = truth("b2bua_calls")
    gateways = {g.name: g for g in snap.gateways}
    vend2 = gateways["VEND-2"]
    assert vend2.answered == 0 and dict(vend2.codes).get(503)
    customers = {w["customer"] for w in expected}
    assert sum(gateways[c].attempts for c in customers) == len(expected)
    answered = sum(1 for w in expected if w["answered"])
    assert sum(gateways[c].answered for c in customers) == answered


def test_no_ack_call_drops_32_seconds_after_the_200_with_retransmissions() -> None:
    snap = run("no_ack_32s")
    (call,) = snap.calls
    (leg,) = call.legs
    assert leg.ack_missing and call.problem
    assert leg.ok_retransmissions >= 5  # T1 doubling up to T2: 0.5 1 2 4 4 4 ...
    assert leg.ended is not None and leg.answered is not None
    assert leg.ended - leg.answered == pytest.approx(32.0, abs=0.5)
    retrans = [r for r in leg.messages if r.retransmission]
    assert all(r.msg.status == 200 for r in retrans)


def test_registrations_match_ground_truth() -> None:
    snap = run("register")
    regs = {r.account.split("@")[0]: r for r in snap.registrations}
    outcome = {
        "registered": "ok",
        "forbidden": "forbidden",
        "no response": "timeout",
        "unknown user": "not_found",
        "challenge loop": "challenged",
    }
    for want in truth("register"):
        reg = regs[want["user"]]
        assert reg.state == outcome[want["outcome"]], want["user"]
        assert reg.attempts == want["requests"]
        assert [a.code for a in reg.history if a.code] == want["responses"]
        if want["outcome"] == "challenge loop":
            assert reg.challenge_loop == len(want["responses"]) - 1


def test_sipvicious_scan_is_seen_from_the_scanner_address() -> None:
    snap = run("scan_sipvicious")
    want = truth("scan_sipvicious")
    sources = {s.ip: s for s in snap.sources}
    scanner = sources[want["scanner"]]
    assert "friendly-scanner" in scanner.signatures
    assert scanner.accounts_tried >= len(want["extensions_found"]) + 5
    assert scanner.count("REGISTER") >= sum(want["register_answers"].values())
    assert scanner.auth_failures >= 1


def test_bounds_evict_oldest_ended_calls_and_count_everything() -> None:
    from dataclasses import replace

    config = replace(
        load(str(DEMO_CONFIG)),
        max_dialogs=12,
        max_messages_per_dialog=40,
        max_registrations=2,
        max_sources=3,
    )
    engine = Engine(config)
    read_files(engine, [str(FIXTURES / "demo.pcap")])
    snap = engine.snapshot()
    evicted = dict(snap.counters.evicted)
    assert len(engine.dialogs) <= 12
    assert evicted["calls"] > 0
    assert len(snap.registrations) <= 2 and evicted["registrations"] > 0
    assert len(snap.sources) <= 3 and evicted["sources"] > 0
    # the newest calls are the ones kept
    assert max(c.start for c in snap.calls) == snap.calls[-1].start


def test_message_cap_keeps_the_first_and_the_last_messages() -> None:
    from vostui.engine.dialog import TAIL
    from vostui.net.files import iter_datagrams

    datagrams = list(iter_datagrams(str(FIXTURES / "no_ack_32s.pcap")))
    sip = [dg for dg in datagrams if dg.payload[:3] in (b"INV", b"SIP", b"BYE", b"ACK")]
    engine = Engine(Config(max_messages_per_dialog=TAIL + 2))
    for _ in range(5):  # the same dialog five times over: 80 messages, cap 34
        for dg in sip:
            engine.feed(dg)
    (leg,) = engine.snapshot().calls[0].legs
    assert len(leg.messages) == TAIL + 2
    assert leg.messages[0].msg.method == "INVITE"
    assert leg.messages[-1].index == engine.index  # the newest is kept
    assert leg.messages_dropped == 5 * len(sip) - (TAIL + 2)
    assert dict(engine.snapshot().counters.dropped)["dialog_messages"] == leg.messages_dropped
