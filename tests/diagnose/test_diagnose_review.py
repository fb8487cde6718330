"""Regressions of the cold review of the "trustworthy diagnosis" work (issue 10): each
defect tested both ways, the case it got wrong and the case it got right."""

from __future__ import annotations

import gc
from dataclasses import replace
from pathlib import Path

from tests.diagnose.sip_flows import Calls, Flows
from vostui.config import Config
from vostui.diagnose import CRITICAL, INFO, NOTICE, WARNING, context, diagnose
from vostui.diagnose.checklists import FAIL, PASS, SEEN, run_checklist
from vostui.diagnose.context import Context, scan_calls
from vostui.diagnose.settings import Settings
from vostui.engine.core import Engine
from vostui.engine.snapshot import CallView, EngineSnapshot, LegView
from vostui.pipeline import read_files

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _blocks(findings, ip: str) -> bool:  # type: ignore[no-untyped-def]
    return any(f"-s {ip} -j DROP" in f.fix for f in findings)


def _steps(name: str, snap, **kw):  # type: ignore[no-untyped-def]
    return {step.id: step for step in run_checklist(name, snap, **kw).steps}


# 6. scan.distributed_guessing advised blocking customers


def test_phones_each_retrying_their_own_account_are_a_notice_without_block() -> None:
    flows = Flows()
    ips = [f"203.0.113.{50 + k}" for k in range(4)]
    for k, ip in enumerate(ips):
        for _t in range(3):
            flows.ts += 20.0
            flows.login(ip, str(7000 + k), 403)
    findings = diagnose(flows.snapshot())
    (spread,) = [f for f in findings if f.rule == "scan.distributed_guessing"]
    assert spread.severity == NOTICE
    assert not any(_blocks(findings, ip) for ip in ips)
    # not folded: each phone's wrong password is its own registration finding
    forbidden = [f for f in findings if f.rule == "registration.forbidden"]
    assert len(forbidden) == 4


def test_sources_each_trying_several_accounts_are_guessing_with_block() -> None:
    flows = Flows()
    ips = [f"203.0.113.{60 + k}" for k in range(4)]
    for k, ip in enumerate(ips):
        for t in range(3):
            flows.ts += 20.0
            flows.login(ip, str(7100 + 10 * k + t), 403)  # a new account each time
    findings = diagnose(flows.snapshot())
    (spread,) = [f for f in findings if f.rule == "scan.distributed_guessing"]
    assert spread.severity == WARNING
    assert all(_blocks([spread], ip) for ip in ips)


# 7. attacker_registered passed beside a critical


def test_a_cracked_account_whose_registration_expired_fails_the_step() -> None:
    ip = "198.51.100.66"
    flows = Flows()
    cseq = 1
    for _n in range(12):
        flows.register(ip, "1001", cseq, 401, step=0.3)
        flows.register(ip, "1001", cseq + 1, 403, auth=True)
        cseq += 2
    flows.register(ip, "1001", cseq, 401)
    flows.register(ip, "1001", cseq + 1, 200, auth=True)
    flows.ts += 400.0  # past the 300 s expiry
    flows.options("198.51.100.200", "ping")
    snap = flows.snapshot()
    assert [r.state for r in snap.registrations] == ["expired"]
    findings = diagnose(snap)
    (crack,) = [f for f in findings if f.rule == "scan.brute_force"]
    assert crack.severity == CRITICAL and "Change the password" in crack.fix
    assert "1001" in crack.fix  # the expired registration still names the account
    step = _steps("scanner_attack", snap, findings=findings)["attacker_registered"]
    assert step.status == FAIL and "1001" in " ".join(step.evidence)


def test_a_guesser_that_never_got_in_passes_the_step() -> None:
    ip = "198.51.100.67"
    flows = Flows()
    for n in range(12):
        flows.login(ip, str(3000 + n), 403)
    snap = flows.snapshot()
    step = _steps("scanner_attack", snap)["attacker_registered"]
    assert step.status == PASS


# F. a trusted PBX's failing registrations were hidden


def test_a_trusted_pbx_still_gets_its_failing_registrations_reported() -> None:
    ip = "198.51.100.20"
    flows = Flows()
    for n in range(4):
        flows.login(ip, str(2000 + n), 200)
    flows.login(ip, "2010", 403)
    flows.register(ip, "2011", 1, 404)
    settings = Settings(trusted_ips=(ip,))
    findings = diagnose(flows.snapshot(), settings=settings)
    rules = {f.rule for f in findings}
    assert {"registration.forbidden", "registration.not_found"} <= rules
    assert not any(r.startswith("scan.") for r in rules) and not _blocks(findings, ip)


def test_a_trusted_address_is_exempt_from_scanner_rules() -> None:
    ip = "198.51.100.99"
    flows = Flows()
    for n in range(30):
        flows.login(ip, str(4000 + n), 403)
    snap = flows.snapshot()
    assert any(f.rule == "scan.brute_force" for f in diagnose(snap))
    findings = diagnose(snap, settings=Settings(trusted_ips=(ip,)))
    assert not any(f.rule.startswith("scan.") for f in findings) and not _blocks(findings, ip)
    assert any(f.rule == "registration.forbidden" for f in findings)


# 5. gateway.low_asr critical for an address that merely sends refused INVITEs


def _refused_from(caller: str, n: int, *, answered_first: int = 0) -> Calls:
    flows = Calls()
    for _n in range(30):  # ordinary traffic: the softswitch 198.51.100.5 to a vendor
        flows.call("198.51.100.5", "198.51.100.40", 200, talk=60)
    for _n in range(answered_first):
        flows.call(caller, "198.51.100.5", 200, talk=10.0)
    if answered_first:
        flows.ts += 1000.0  # out of the recent stretch: its usual level
    for _n in range(n):
        flows.call(caller, "198.51.100.5", 404, gap=2.0)
    return flows


def test_an_unknown_address_with_refused_calls_is_not_a_broken_route() -> None:
    ip = "203.0.113.77"
    findings = diagnose(_refused_from(ip, 15).snapshot())
    low = [f for f in findings if f.rule == "gateway.low_asr" and f.affected.id == ip]
    assert low and all(f.severity == WARNING for f in low)
    assert not any(f.severity == CRITICAL for f in findings)


def test_a_configured_gateway_or_one_that_answered_before_is_broken() -> None:
    ip = "203.0.113.77"
    snap = _refused_from(ip, 15).snapshot()
    findings = diagnose(snap, settings=Settings(gateways=(ip,)))
    (low,) = [f for f in findings if f.rule == "gateway.low_asr" and f.affected.id == ip]
    assert low.severity == CRITICAL and "route is broken" in low.cause
    findings = diagnose(_refused_from(ip, 15, answered_first=10).snapshot())
    (low,) = [f for f in findings if f.rule == "gateway.low_asr" and f.affected.id == ip]
    assert low.severity == CRITICAL


def test_an_invite_flood_gets_no_gateway_findings() -> None:
    ip = "198.51.100.70"
    flows = _refused_from(ip, 0)
    for _n in range(60):
        flows.call(ip, "198.51.100.5", 404, callee="900123", gap=0.02)
    findings = diagnose(flows.snapshot())
    assert any(f.rule == "scan.invite_flood" for f in findings)
    assert not [f for f in findings if f.rule.startswith("gateway.") and f.affected.id == ip]
    assert not any(f.rule == "gateway.low_asr" and f.affected.id == "calls" for f in findings)


# 8. and 9. an unanswered INVITE, and a low answer rate over few calls


def _few_failing(answered: int) -> Calls:
    flows = Calls()
    codes: list[int | None] = [486, 404, 503, 403, None]
    for n, code in enumerate([200] * answered + codes):
        flows.call("198.51.100.5", f"198.51.100.{20 + n}", code)
    return flows


def test_an_unanswered_invite_is_seen_by_the_reachable_step() -> None:
    snap = _few_failing(0).snapshot()
    step = _steps("calls_fail", snap)["unreachable"]
    assert step.status in (SEEN, FAIL)
    assert "no final answer" in "\n".join(step.evidence)
    # the other way: every INVITE answered, none unanswered
    flows = Calls()
    for n in range(5):
        flows.call("198.51.100.5", f"198.51.100.{20 + n}", 486)
    assert _steps("calls_fail", flows.snapshot())["unreachable"].status == PASS


def test_a_low_answer_rate_over_few_calls_is_a_notice() -> None:
    findings = diagnose(_few_failing(0).snapshot())
    (low,) = [f for f in findings if f.rule == "gateway.low_asr"]
    assert low.severity == NOTICE and low.affected.id == "calls"
    assert "0 of 5" in low.evidence[0]
    # the other way: most calls answered
    findings = diagnose(_few_failing(8).snapshot())
    assert not [f for f in findings if f.rule == "gateway.low_asr"]


def test_failures_pcap_has_a_finding_and_an_honest_reachable_step() -> None:
    engine = Engine(Config())
    read_files(engine, [str(FIXTURES / "failures.pcap")])
    snap = engine.snapshot()
    findings = diagnose(snap)
    assert any(f.rule == "gateway.low_asr" for f in findings)
    step = _steps("calls_fail", snap, findings=findings)["unreachable"]
    assert step.status != PASS, step.evidence


# 10. short calls: a chronic short route is not a warning for its long lead


def _short_route(earlier_short: int, lead: int, short: int = 12) -> Calls:
    flows = Calls()
    gateway = "198.51.100.33"
    for _n in range(earlier_short):
        flows.call("198.51.100.5", gateway, 200, talk=1.5)
    if earlier_short:
        flows.ts += 1000.0
    for _n in range(lead):
        flows.call("198.51.100.5", gateway, 200, talk=30.0)
    for _n in range(short):
        flows.call("198.51.100.5", gateway, 200, talk=1.5)
    return flows


def _short(flows: Calls):  # type: ignore[no-untyped-def]
    (found,) = [f for f in diagnose(flows.snapshot()) if f.rule == "gateway.short_calls"]
    return found


def test_short_calls_after_min_calls_long_ones_are_a_warning_after_three_not() -> None:
    assert _short(_short_route(0, 10)).severity == WARNING
    assert _short(_short_route(0, 3)).severity == INFO


def test_a_chronic_short_route_stays_a_notice_despite_a_long_lead() -> None:
    assert _short(_short_route(12, 10)).severity == NOTICE


# 11. and 12. the 422 retry and the failover route


def _legs(*specs: tuple[str, int | None, int | None]) -> list[LegView]:
    """One leg per (gateway IP, final code, Session-Expires), in time order."""
    flows = Calls()
    for dst, code, se in specs:
        flows.call("198.51.100.5", dst, code, session_expires=se, callee="4420999")
    snap = flows.snapshot()
    return [call.legs[0] for call in sorted(snap.calls, key=lambda c: c.start)]


def _one_call(legs: list[LegView]) -> EngineSnapshot:
    a = replace(legs[0], role="a")
    bs = tuple(replace(leg, role="b") for leg in legs[1:])
    snap = Calls().snapshot()
    answered = next((leg.answered for leg in bs if leg.answered is not None), None)
    call = CallView(
        key="x",
        legs=(a, *bs),
        caller="1000",
        callee="4420999",
        mapping_gateway=a.gateway,
        routing_gateway=bs[-1].gateway,
        state="completed",
        start=a.start,
        ended=bs[-1].ended,
        pdd=None,
        answered=answered,
        final_code=bs[-1].final_code,
        final_reason="",
        problem=False,
    )
    return replace(snap, calls=(call,), now=bs[-1].start + 60)


def test_a_422_retried_on_the_same_gateway_with_a_larger_interval() -> None:
    a, g1, g1_again = _legs(
        ("198.51.100.9", 200, None), ("198.51.100.41", 422, 90), ("198.51.100.41", 200, 1800)
    )
    facts = scan_calls(_one_call([a, g1, g1_again]), 7200, 900)
    assert len(facts.retried_422) == 1 and not facts.rejected_422


def test_a_422_then_another_route_or_the_same_interval_is_not_a_retry() -> None:
    a, g1, g2 = _legs(
        ("198.51.100.9", 200, None), ("198.51.100.41", 422, 90), ("198.51.100.42", 200, 1800)
    )
    facts = scan_calls(_one_call([a, g1, g2]), 7200, 900)
    assert not facts.retried_422 and len(facts.rejected_422) == 1
    a, g1, same = _legs(
        ("198.51.100.9", 200, None), ("198.51.100.41", 422, 90), ("198.51.100.41", 200, 90)
    )
    facts = scan_calls(_one_call([a, g1, same]), 7200, 900)
    assert not facts.retried_422


def test_failover_needs_another_gateway() -> None:
    a, g1, g2 = _legs(
        ("198.51.100.9", 200, None), ("198.51.100.41", 503, None), ("198.51.100.42", 200, None)
    )
    facts = scan_calls(_one_call([a, g1, g2]), 7200, 900)
    assert facts.rescued.get(g1.call_id) == replace(g2, role="b")
    a, g1, again = _legs(
        ("198.51.100.9", 200, None), ("198.51.100.41", 503, None), ("198.51.100.41", 200, None)
    )
    facts = scan_calls(_one_call([a, g1, again]), 7200, 900)
    assert not facts.rescued


# Minor: the call facts cache does not keep a snapshot alive


def test_the_facts_cache_lets_the_snapshot_go() -> None:
    snap = _few_failing(0).snapshot()
    diagnose(snap)
    facts = context._LAST_FACTS
    assert facts is not None and facts[0]() is snap
    reused = Context(snap, reuse_facts=True).calls
    assert reused is facts[2]  # the checklists after a diagnosis walk the calls once
    del snap, facts, reused
    gc.collect()
    assert context._LAST_FACTS is None
