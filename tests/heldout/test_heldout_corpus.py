"""Integrity of the held-out diagnosis corpus (tests/fixtures/heldout, made by
tools/heldout/make_heldout.py).

Only the corpus is checked here: every capture is there, small, labelled with a valid
label, read by vostui without a malformed packet, and holds what its label says it
holds (as the engine's snapshot shows it). The diagnosis rules are not scored here.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from typing import Any

import pytest

from tests.support import FIXTURES
from vostui.config import load
from vostui.engine.core import Engine
from vostui.engine.snapshot import CallView, EngineSnapshot, LegView, SourceView
from vostui.pipeline import read_files

HELDOUT = FIXTURES / "heldout"
MAX_BYTES = 1_000_000
KINDS = {"ordinary", "hostile", "broken"}
SEVERITIES = ["info", "notice", "warning", "critical"]
RULE_IDS = {
    "call.no_ack",
    "call.never_ending",
    "session.interval_too_small",
    "session.refresh_missing",
    "media.private_sdp",
    "media.public_sdp",
    "nat.private_contact",
    "codec.no_common",
    "dtmf.mismatch",
    "dtmf.inband_g729",
    "registration.challenge_loop",
    "registration.forbidden",
    "registration.not_found",
    "registration.no_response",
    "registration.expires",
    "gateway.capacity",
    "gateway.dial_plan",
    "gateway.forbidden",
    "gateway.busy",
    "gateway.unreachable",
    "gateway.cancelled",
    "gateway.asr_drop",
    "gateway.long_pdd",
    "gateway.short_calls",
    "gateway.low_asr",
    "gateway.failover",
    "scan.signature",
    "scan.options_flood",
    "scan.brute_force",
    "scan.enumeration",
    "scan.invite_flood",
    "fraud.premium_calls",
}

SWITCH = "127.0.5.10"
CUST_A, CUST_B, CUST_C = "127.0.5.21", "127.0.5.22", "127.0.5.23"
VEND_A, VEND_B, VEND_C, VEND_D = "127.0.5.31", "127.0.5.32", "127.0.5.33", "127.0.5.34"
PBX = "127.0.5.50"


def labels() -> dict[str, Any]:
    path = HELDOUT / "labels.json"
    if not path.exists():
        pytest.skip("the held-out corpus is not made (tools/heldout/make_heldout.py)")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def captures() -> list[str]:
    path = HELDOUT / "labels.json"
    if not path.exists():
        return []
    return [c["file"] for c in json.loads(path.read_text())["captures"]]


def label_of(name: str) -> dict[str, Any]:
    for capture in labels()["captures"]:
        if capture["file"] == name:
            return dict(capture)
    raise AssertionError(f"{name} is not labelled")


@cache
def snapshot(name: str) -> EngineSnapshot:
    engine = Engine(load(str(HELDOUT / "config.toml")))
    (result,) = read_files(engine, [str(HELDOUT / name)])
    assert not result.warnings, result.warnings
    return engine.snapshot()


def ip(addr: str) -> str:
    return addr.rsplit(":", 1)[0]


def calls_from(snap: EngineSnapshot, source: str) -> list[CallView]:
    return [c for c in snap.calls if ip(c.legs[0].src) == source]


def source(snap: EngineSnapshot, address: str) -> SourceView:
    for view in snap.sources:
        if view.ip == address:
            return view
    raise AssertionError(f"no source {address}")


def requests(leg: LegView, method: str) -> set[int]:
    return {m.msg.cseq for m in leg.messages if m.msg.is_request and m.msg.method == method}


def has_response(leg: LegView, code: int) -> bool:
    return any(not m.msg.is_request and m.msg.status == code for m in leg.messages)


# -- the corpus as a whole ----------------------------------------------------------------


def test_labels_schema() -> None:
    data = labels()
    assert data["config"] == "config.toml"
    assert (HELDOUT / data["config"]).is_file()
    files = [c["file"] for c in data["captures"]]
    assert len(files) == len(set(files))
    on_disk = sorted(p.name for p in HELDOUT.glob("*.pcap"))
    assert sorted(files) == on_disk
    required = {"file", "kind", "description", "expected", "max_severity", "block_ok"}
    required |= {"must_not_block"}
    optional = {"problem_calls", "must_not_raise"}
    for c in data["captures"]:
        assert required <= set(c) <= required | optional, c["file"]
        assert c["kind"] in KINDS
        assert isinstance(c["description"], str) and len(c["description"]) > 40
        assert c["max_severity"] in SEVERITIES
        assert set(c["expected"]) <= RULE_IDS, set(c["expected"]) - RULE_IDS
        assert set(c.get("must_not_raise", [])) <= RULE_IDS
        assert not set(c["expected"]) & set(c.get("must_not_raise", []))
        assert not set(c["block_ok"]) & set(c["must_not_block"]), c["file"]
        assert all(isinstance(a, str) for a in c["block_ok"] + c["must_not_block"])
        if c["kind"] == "ordinary":
            assert not c["block_ok"] and c["max_severity"] != "critical", c["file"]
        if c["kind"] == "hostile":
            assert c["block_ok"], c["file"]
        if c["kind"] == "broken" or "fraud.premium_calls" in c["expected"]:
            assert c["max_severity"] == "critical", c["file"]
    kinds = Counter(c["kind"] for c in data["captures"])
    assert kinds["ordinary"] >= 6 and kinds["hostile"] >= 5 and kinds["broken"] >= 2


def test_config_names_the_network() -> None:
    config = load(str(HELDOUT / "config.toml"))
    assert config.softswitch_ips == (SWITCH,)
    assert PBX in config.trusted_ips
    roles = {g.address: g.role for g in config.gateways}
    for address in (CUST_A, CUST_B, CUST_C):
        assert roles[address] == "mapping"
    for address in (VEND_A, VEND_B, VEND_C, VEND_D):
        assert roles[address] == "routing"
    assert sum(1 for a in roles if a.startswith("127.0.6.")) == 30


@pytest.mark.parametrize("name", captures())
def test_capture_small_and_clean(name: str) -> None:
    path = HELDOUT / name
    assert path.stat().st_size < MAX_BYTES
    snap = snapshot(name)
    assert snap.counters.sip_messages > 0
    assert not [(why, n) for why, n in snap.counters.malformed if n], snap.counters.malformed
    call_keys = {c.key for c in snap.calls}
    problem = label_of(name).get("problem_calls", [])
    assert set(problem) <= call_keys
    addresses = {s.ip for s in snap.sources} | {SWITCH}
    for address in label_of(name)["block_ok"]:
        assert address in addresses, address


# -- each capture holds what its label says ---------------------------------------------


def test_phone_bank() -> None:
    snap = snapshot("phone_bank.pcap")
    regs = [r for r in snap.registrations if ip(r.source) == PBX]
    accounts = {r.account.split("@")[0] for r in regs}
    assert len(accounts) == 20 and len(regs) == 20
    codes = Counter(r.last_code for r in regs)
    assert codes == {200: 12, 403: 3, 404: 2, 0: 3}, codes
    for r in regs:
        if r.last_code == 200:  # one challenge, then accepted; refreshed once
            assert [a.code for a in r.history].count(200) == 2
            assert r.challenges >= 1
    assert {ip(r.registrar) for r in regs if r.last_code == 0} == {"127.0.5.11"}
    assert not snap.calls


def test_gateway_keepalive() -> None:
    snap = snapshot("gateway_keepalive.pcap")
    gateways = [s for s in snap.sources if s.ip.startswith("127.0.6.")]
    assert len(gateways) == 30
    for gw in gateways:
        count = gw.count("OPTIONS")
        assert 3 <= count <= 7, (gw.ip, count)
        interval = (gw.last_seen - gw.first_seen) / (count - 1)
        assert 29 <= interval <= 61, (gw.ip, interval)
        assert set(dict(gw.counts)) == {"OPTIONS"}
    assert snap.now - (snap.first or 0) > 150  # real time, not compressed
    assert not snap.calls and not snap.registrations


def test_wholesale_asr() -> None:
    snap = snapshot("wholesale_asr.pcap")
    calls = calls_from(snap, CUST_A)
    assert len(calls) == 40 == len(snap.calls)
    codes = Counter(c.final_code for c in calls)
    assert codes == {200: 20, 486: 7, 480: 5, 404: 4, 487: 4}, codes
    for call in calls:
        assert len(call.legs) == 2 and ip(call.legs[1].dst) == VEND_A


def test_long_short_calls() -> None:
    snap = snapshot("long_short_calls.pcap")
    calls = calls_from(snap, CUST_B)
    assert len(calls) == 17 and all(c.final_code == 200 for c in calls)
    talks = sorted(c.talk(snap.now) for c in calls)
    assert talks[0] < 3 and sum(1 for t in talks if t < 6) >= 5
    assert talks[-1] > 140 and sum(1 for t in talks if t > 60) >= 5
    assert all(c.ended is not None for c in calls)
    assert sum(1 for c in calls if c.legs[0].hangup_by == "callee") == 1


def test_failover() -> None:
    snap = snapshot("failover.pcap")
    calls = calls_from(snap, CUST_B)
    assert len(calls) == 12
    assert Counter(c.final_code for c in calls) == {200: 11, 486: 1}
    by_vendor_503 = [c for c in calls if len(c.legs) == 3 and ip(c.legs[1].dst) == VEND_B]
    assert len(by_vendor_503) == 6
    for call in by_vendor_503:
        assert call.legs[1].final_code == 503 and ip(call.legs[2].dst) == VEND_A
        assert call.final_code == 200
    silent = [c for c in calls if len(c.legs) == 3 and ip(c.legs[1].dst) == VEND_C]
    assert len(silent) == 2
    for call in silent:
        assert not any(not m.msg.is_request for m in call.legs[1].messages)
        assert call.final_code == 200 and ip(call.legs[2].dst) == VEND_A


def test_reinvite_hold() -> None:
    snap = snapshot("reinvite_hold.pcap")
    calls = calls_from(snap, PBX)
    assert len(calls) == 3
    seen = set()
    for call in calls:
        (leg,) = call.legs
        assert requests(leg, "INVITE") == {1, 2, 3} and call.final_code == 200
        bodies = [m.msg.body for m in leg.messages if m.msg.is_request and m.msg.cseq == 2]
        hold = bodies[0]
        seen.add(
            "zero"
            if b"c=IN IP4 0.0.0.0" in hold
            else "inactive"
            if b"a=inactive" in hold
            else "sendonly"
        )
        assert leg.media_offer is not None and leg.media_offer.direction == "sendrecv"
        assert call.ended is not None and leg.hangup_by == "caller"
    assert seen == {"sendonly", "inactive", "zero"}


def test_session_timer_422() -> None:
    snap = snapshot("session_timer_422.pcap")
    calls = calls_from(snap, CUST_A)
    assert len(calls) == 5 and all(c.final_code == 200 for c in calls)
    rejected = [c for c in calls if has_response(c.legs[0], 422)]
    assert len(rejected) == 3
    for call in rejected:
        assert requests(call.legs[0], "INVITE") == {1, 2}
    assert all(c.legs[0].session_expires == 300 for c in calls)
    assert all(c.talk(snap.now) < 30 for c in calls)


def test_trunk_high_cps() -> None:
    snap = snapshot("trunk_high_cps.pcap")
    calls = calls_from(snap, CUST_C)
    assert len(calls) >= 300
    starts = sorted(c.start for c in calls)
    assert starts[-1] - starts[0] < 10
    peak = max(sum(1 for s in starts if t <= s < t + 1) for t in starts)
    assert peak >= 40
    answered = sum(1 for c in calls if c.final_code == 200) / len(calls)
    assert 0.35 <= answered <= 0.55
    assert all(c.ended is not None for c in calls)


def test_scan_sipvicious() -> None:
    snap = snapshot("scan_sipvicious.pcap")
    scanner = source(snap, "127.0.7.66")
    assert "friendly-scanner" in scanner.user_agents
    assert scanner.count("OPTIONS") >= 1 and scanner.count("REGISTER") >= 50
    assert scanner.accounts_tried >= 25
    regs = [r for r in snap.registrations if ip(r.source) == "127.0.7.66"]
    assert regs and not any(r.last_code == 200 for r in regs)  # nothing cracked
    assert len([r for r in snap.registrations if ip(r.source) == PBX and r.state == "ok"]) == 5
    assert all(c.final_code == 200 for c in calls_from(snap, CUST_A))


def test_options_flood() -> None:
    snap = snapshot("options_flood.pcap")
    flooder = source(snap, "127.0.7.70")
    assert flooder.count("OPTIONS") >= 550
    assert flooder.last_seen - flooder.first_seen < 10
    for n in range(1, 6):
        assert source(snap, f"127.0.6.{n}").count("OPTIONS") <= 2


def test_invite_flood() -> None:
    snap = snapshot("invite_flood.pcap")
    flood = calls_from(snap, "127.0.7.71")
    assert len(flood) >= 380
    assert all(c.final_code == 403 for c in flood)
    starts = sorted(c.start for c in flood)
    assert starts[-1] - starts[0] < 8
    legit = calls_from(snap, CUST_A)
    assert len(legit) == 5 and all(c.final_code == 200 for c in legit)


def test_distributed_guessing() -> None:
    snap = snapshot("distributed_guessing.pcap")
    guessers = [s for s in snap.sources if s.ip.startswith("127.0.8.")]
    assert len(guessers) == 30
    for guesser in guessers:
        assert 3 <= guesser.count("REGISTER") <= 6  # 3 guesses, each after a challenge
    regs = [r for r in snap.registrations if r.source.startswith("127.0.8.")]
    assert regs and not any(r.last_code == 200 for r in regs)
    pbx = [r for r in snap.registrations if ip(r.source) == PBX]
    assert len(pbx) == 13 and all(r.last_code == 200 for r in pbx)
    assert snap.now - (snap.first or 0) > 120


def test_cracked_account() -> None:
    snap = snapshot("cracked_account.pcap")
    cracker = source(snap, "127.0.7.80")
    assert cracker.count("REGISTER") >= 90 and cracker.auth_failures >= 40
    cracked = [r for r in snap.registrations if ip(r.source) == "127.0.7.80"]
    assert [r.account.split("@")[0] for r in cracked if r.last_code == 200] == ["2007"]
    fraud = calls_from(snap, "127.0.7.80")
    assert len(fraud) == 6 and all(c.final_code == 200 for c in fraud)
    assert all(c.callee.startswith(("00", "900")) for c in fraud)
    first_call = min(c.start for c in fraud)
    ok_at = min(a.ts for r in cracked for a in r.history if a.code == 200)
    assert ok_at < first_call
    assert sorted(label_of("cracked_account.pcap")["problem_calls"]) == sorted(c.key for c in fraud)
    pbx = [r for r in snap.registrations if ip(r.source) == PBX]
    assert len(pbx) == 13 and all(r.last_code == 200 for r in pbx)


def test_vendor_503_no_failover() -> None:
    snap = snapshot("vendor_503_no_failover.pcap")
    broken = calls_from(snap, CUST_B)
    assert len(broken) == 20
    for call in broken:
        assert call.final_code == 503
        assert len(call.legs) == 2 and ip(call.legs[1].dst) == VEND_D
    assert sorted(label_of("vendor_503_no_failover.pcap")["problem_calls"]) == sorted(
        c.key for c in broken
    )
    fine = calls_from(snap, CUST_A)
    assert len(fine) == 6 and all(c.final_code == 200 for c in fine)


def test_no_ack_32s() -> None:
    snap = snapshot("no_ack_32s.pcap")
    lost = calls_from(snap, CUST_A)
    assert len(lost) == 4
    for call in lost:
        a = call.legs[0]
        assert a.answered is not None and not requests(a, "ACK")
        assert a.ok_retransmissions >= 5
        assert a.ended is not None and 30 <= a.ended - a.answered <= 36
    assert sorted(label_of("no_ack_32s.pcap")["problem_calls"]) == sorted(c.key for c in lost)
    fine = calls_from(snap, CUST_B)
    assert len(fine) == 3 and all(requests(c.legs[0], "ACK") for c in fine)
