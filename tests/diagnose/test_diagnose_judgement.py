"""Findings and checklists that agree with the data: failover is not failed calls, a
low answer rate is always a finding, a checklist step never passes beside failures,
short calls need corroboration, a 422 retried is reported."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from tests.diagnose.diagnose_support import config, snapshot
from tests.diagnose.sip_flows import Calls, failing_mix, retried_422, retried_422_new_call
from vostui.config import load
from vostui.diagnose import (
    CRITICAL,
    FAIL,
    INFO,
    PASS,
    SEEN,
    WARNING,
    calls_with_findings,
    diagnose,
    findings_for_call,
    run_checklist,
)
from vostui.engine.core import Engine
from vostui.engine.snapshot import EngineSnapshot
from vostui.pipeline import read_files

ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=1)
def demo() -> tuple[EngineSnapshot, object]:
    cfg = load(str(ROOT / "vostui" / "demo" / "demo-config.toml"))
    engine = Engine(cfg)
    read_files(engine, [str(ROOT / "vostui" / "demo" / "demo.pcap")])
    return engine.snapshot(), cfg


def test_a_vendor_rescued_by_failover_is_failover_not_failed_calls() -> None:
    snap, cfg = demo()
    findings = diagnose(snap, config=cfg)
    vend2 = [f for f in findings if f.affected.id == "VEND-2"]
    assert [f.rule for f in vend2] == ["gateway.failover"], [f.title for f in vend2]
    (failover,) = vend2
    assert failover.severity == WARNING and "down" in failover.title
    assert "completed via" in failover.title and "set-up" in failover.title
    assert not any(f.severity == CRITICAL for f in findings)
    # It names the rescued calls: the call list can mark exactly those.
    rescued = [c for c in snap.calls if any(leg.gateway == "VEND-2" for leg in c.legs)]
    assert set(failover.calls()) == {c.key for c in rescued}
    assert all(findings_for_call(findings, c.key) for c in rescued)
    vend4 = next(f for f in findings if f.affected.id == "VEND-4")
    assert vend4.rule == "gateway.failover" and "2.0 s longer" in vend4.title


def test_demo_32_second_step_counts_talk_time_and_trusts_the_ack_step() -> None:
    snap, cfg = demo()
    checklist = run_checklist("drop_32s", snap, config=cfg)
    steps = {step.id: step for step in checklist.steps}
    assert steps["ack"].status == PASS
    near = steps["drop_at_32"]
    assert near.status in (SEEN, FAIL)
    for line in near.evidence[1:]:
        if line.startswith("call "):
            talk = float(line.split("talk ")[1].split(" s")[0])
            assert 29.0 <= talk <= 35.0, line
    assert "ACK" not in checklist.conclusion.split("although")[0]
    assert "not the 32 s ACK timeout" in "\n".join(near.evidence)


def test_low_answer_rate_is_a_finding_with_its_breakdown() -> None:
    findings = diagnose(failing_mix())
    low = [f for f in findings if f.rule == "gateway.low_asr"]
    assert low and all(f.severity == WARNING for f in low)
    overall = next(f for f in low if f.affected.kind == "capture")
    text = "\n".join(overall.evidence)
    assert "10 of 47 calls answered" in text
    assert "busy: 8 of 47" in text and "198.51.100.21 6" in text
    gateway = next(f for f in low if f.affected.id == "198.51.100.22")
    assert gateway.title.startswith("198.51.100.22: ASR 24%")


def test_calls_fail_checklist_never_passes_beside_failures() -> None:
    checklist = run_checklist("calls_fail", failing_mix())
    steps = {step.id: step for step in checklist.steps}
    for step_id in ("capacity", "unreachable", "dial_plan", "authorisation", "busy_cancel"):
        assert steps[step_id].status in (FAIL, SEEN), (step_id, steps[step_id].evidence)
    capacity = "\n".join(steps["capacity"].evidence)
    assert "6 of 47 calls 503 Service Unavailable from 198.51.100.21 (13%)" in capacity
    assert steps["gateway_asr"].status == FAIL
    assert "Nothing in the data explains it" not in checklist.conclusion
    assert "Largest contributors: busy 8 of 47 (17%); dial plan" in checklist.conclusion


def test_clean_calls_still_pass_the_class_steps() -> None:
    checklist = run_checklist("calls_fail", snapshot("clean.pcap"), config=config())
    steps = {step.id: step.status for step in checklist.steps}
    assert steps["capacity"] == PASS and steps["busy_cancel"] == PASS


def test_short_test_calls_alone_are_info() -> None:
    flows = Calls()
    for _n in range(12):
        flows.call("198.51.100.5", "198.51.100.20", 200, talk=2.0)
    (short,) = [f for f in diagnose(flows.snapshot()) if f.rule == "gateway.short_calls"]
    assert short.severity == INFO and "nothing else" in short.title


def test_short_calls_cut_by_the_far_end_are_a_warning() -> None:
    flows = Calls()
    for _n in range(12):
        flows.call("198.51.100.5", "198.51.100.20", 200, talk=1.0, bye_by_callee=True)
    (short,) = [f for f in diagnose(flows.snapshot()) if f.rule == "gateway.short_calls"]
    assert short.severity == WARNING
    assert "far end hung up" in "\n".join(short.evidence)


def test_short_calls_after_long_ones_are_a_warning() -> None:
    findings = diagnose(snapshot("short_calls.pcap"), config=config())
    (short,) = [f for f in findings if f.rule == "gateway.short_calls"]
    assert short.severity == WARNING


def test_422_retried_is_reported_with_its_round_trip() -> None:
    findings = diagnose(retried_422())
    (retry,) = [f for f in findings if f.rule == "session.retried_422"]
    assert "retried (+" in retry.title and "Min-SE 1800" in retry.title
    assert "Session-Expires: 1800" in "\n".join(retry.evidence)
    assert len(retry.calls()) == 2
    assert "session.interval_too_small" not in {f.rule for f in findings}


def test_a_finding_names_every_call_it_covers_not_only_the_first_refs() -> None:
    flows = Calls()
    keys = [flows.call("198.51.100.5", "198.51.100.21", 503) for _n in range(60)]
    findings = diagnose(flows.snapshot())
    capacity = next(f for f in findings if f.rule == "gateway.capacity")
    assert len(capacity.refs) == 50 and set(capacity.calls()) == set(keys)
    marked = calls_with_findings(findings)
    assert set(marked) >= set(keys)
    assert all(findings_for_call(findings, key) for key in keys)


def test_422_retried_is_seen_in_the_calls_fail_checklist() -> None:
    checklist = run_checklist("calls_fail", retried_422())
    step = next(s for s in checklist.steps if s.id == "session_timer")
    assert step.status in (SEEN, FAIL) and "422" in "\n".join(step.evidence)


def test_422_retried_as_a_new_call_is_a_retry_not_a_refusal() -> None:
    findings = diagnose(retried_422_new_call())
    rules = {f.rule for f in findings}
    assert "session.retried_422" in rules and "session.interval_too_small" not in rules
