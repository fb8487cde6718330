"""Guided checklists against the labelled captures: the failing step names the cause."""

from __future__ import annotations

import pytest

from tests.diagnose.diagnose_support import config, snapshot
from vostui.diagnose import FAIL, MANUAL, NOT_CHECKED, PASS, SYMPTOMS, run_checklist, symptom


def steps(name: str, capture: str) -> dict[str, str]:
    checklist = run_checklist(name, snapshot(capture), config=config())
    return {step.id: step.status for step in checklist.steps}


@pytest.mark.parametrize(
    ("name", "capture", "failing"),
    [
        ("drop_32s", "no_ack_32s.pcap", "ack"),
        ("drop_32s", "session_refresh_missing.pcap", "session_refresh"),
        ("gateway_wont_register", "register_challenge_loop.pcap", "password"),
        ("gateway_wont_register", "register_403.pcap", "password"),
        ("gateway_wont_register", "register_404.pcap", "account_known"),
        ("gateway_wont_register", "register_no_response.pcap", "register_seen"),
        ("gateway_wont_register", "private_contact.pcap", "nat"),
        ("no_audio", "private_sdp.pcap", "sdp_address"),
        ("no_audio", "short_calls.pcap", "short_calls"),
        ("calls_fail", "failures_404.pcap", "dial_plan"),
        ("calls_fail", "failures_503.pcap", "capacity"),
        ("calls_fail", "no_common_codec_488.pcap", "codecs"),
        ("calls_fail", "session_timer_422.pcap", "session_timer"),
        ("low_asr", "failures_503.pcap", "asr_drop"),
        ("dtmf", "dtmf_mismatch.pcap", "dtmf_legs"),
        ("dtmf", "g729_inband.pcap", "g729_inband"),
        ("scanner_attack", "scanner_svmap.pcap", "signatures"),
        ("scanner_attack", "brute_force.pcap", "guessing"),
        ("scanner_attack", "scanner_options_flood.pcap", "flood"),
        ("call_wont_hang_up", "never_ending_call.pcap", "never_ending"),
        ("slow_setup", "long_pdd.pcap", "pdd"),
    ],
)
def test_the_problem_fails_its_step(name: str, capture: str, failing: str) -> None:
    checklist = run_checklist(name, snapshot(capture), config=config())
    by_id = {step.id: step for step in checklist.steps}
    step = by_id[failing]
    assert step.status == FAIL, [(s.id, s.status) for s in checklist.steps]
    assert step.evidence and step.cause and step.fix
    assert checklist.conclusion and checklist.fix
    # The conclusion is the first failing step's cause (then the largest contributors).
    assert checklist.conclusion.startswith(checklist.failed[0].cause)
    assert checklist.findings


def test_drop_32s_shows_the_32_second_calls() -> None:
    statuses = steps("drop_32s", "no_ack_32s.pcap")
    assert statuses["ack"] == FAIL and statuses["drop_at_32"] == FAIL
    assert statuses["sip_alg"] == MANUAL


@pytest.mark.parametrize("name", [s.id for s in SYMPTOMS])
def test_clean_traffic_passes(name: str) -> None:
    checklist = run_checklist(name, snapshot("clean.pcap"), config=config())
    failed = [step.id for step in checklist.failed]
    if name == "call_wont_hang_up":
        # The clean calls use no session timer: a real gap when BYEs get lost.
        assert failed == ["session_timers"]
    else:
        assert failed == []
    assert {step.status for step in checklist.steps} <= {PASS, NOT_CHECKED, MANUAL, FAIL}
    for step in checklist.steps:
        if step.status in (MANUAL, NOT_CHECKED) and step.id in ("firewall_sip", "rtp_firewall"):
            assert step.command  # the manual step states the exact command


def test_without_host_data_host_steps_are_not_checked() -> None:
    statuses = steps("calls_fail", "clean.pcap")
    assert statuses["softswitch_running"] == NOT_CHECKED
    assert statuses["conntrack"] == NOT_CHECKED
    assert steps("scanner_attack", "scanner_svmap.pcap")["attackers_blocked"] == NOT_CHECKED


def test_unknown_symptom() -> None:
    with pytest.raises(KeyError, match="drop_32s"):
        symptom("nosuch")
