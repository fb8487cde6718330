"""Every labelled problem class is found, with its evidence; clean traffic is clean.

The captures were made by tools/diagnose/make_captures.py with SIPp and sipvicious on
loopback (tests/fixtures/diagnose/README.md says how each one was made).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.diagnose.diagnose_support import LABELLED, config, labels, snapshot
from vostui.diagnose import CRITICAL, INFO, RULE_IDS, Affected, Finding, diagnose

CAPTURES = labels()
SCORE = Path(__file__).resolve().parents[2] / "tools" / "diagnose" / "score.py"


def test_labels_name_known_rules_and_existing_small_files() -> None:
    assert CAPTURES
    for entry in CAPTURES:
        path = LABELLED / entry["file"]
        assert path.is_file(), path
        assert path.stat().st_size < 1_000_000, path
        assert set(entry["expected"]) <= RULE_IDS, entry


@pytest.mark.parametrize("entry", CAPTURES, ids=[c["file"] for c in CAPTURES])
def test_capture_yields_its_findings(entry: dict) -> None:
    findings = diagnose(snapshot(entry["file"]), config=config())
    fired = {f.rule for f in findings}
    assert set(entry["expected"]) <= fired, [f"{f.rule}: {f.title}" for f in findings]
    if not entry["expected"]:
        above = [f"{f.severity} {f.rule}: {f.title}" for f in findings if f.severity != INFO]
        assert above == [], "clean traffic must yield nothing above info"
        return
    for finding in findings:
        if finding.rule not in entry["expected"]:
            continue
        assert finding.evidence, finding
        assert finding.cause and finding.check and finding.fix
        assert finding.severity != INFO


@pytest.mark.parametrize(
    ("capture", "rule", "needle"),
    [
        ("no_ack_32s.pcap", "call.no_ack", "SIP/2.0 200 OK"),
        ("no_ack_32s.pcap", "call.no_ack", "no ACK"),
        ("session_timer_422.pcap", "session.interval_too_small", "Min-SE: 1800"),
        ("session_timer_422.pcap", "session.interval_too_small", "Session-Expires: 90"),
        ("session_refresh_missing.pcap", "session.refresh_missing", "Session-Expires: 30"),
        ("private_sdp.pcap", "media.private_sdp", "192.168.1.50"),
        ("private_contact.pcap", "nat.private_contact", "192.168.1.50"),
        ("no_common_codec_488.pcap", "codec.no_common", "Warning: 304"),
        ("dtmf_mismatch.pcap", "dtmf.mismatch", "telephone-event"),
        ("g729_inband.pcap", "dtmf.inband_g729", "G729"),
        ("register_challenge_loop.pcap", "registration.challenge_loop", "401 Unauthorized"),
        ("register_403.pcap", "registration.forbidden", "403 Forbidden"),
        ("register_404.pcap", "registration.not_found", "404 Not Found"),
        ("register_no_response.pcap", "registration.no_response", "(resent)"),
        ("register_expires_out_of_range.pcap", "registration.expires", "REGISTER"),
        ("brute_force.pcap", "scan.brute_force", "30 auth failure"),
        ("failures_503.pcap", "gateway.capacity", "503 Service Unavailable"),
        ("failures_503.pcap", "gateway.asr_drop", "ASR 25%"),
        ("failures_404.pcap", "gateway.dial_plan", "484 ×3"),
        ("failures_408_480.pcap", "gateway.unreachable", "408"),
        ("failures_487.pcap", "gateway.cancelled", "487"),
        ("long_pdd.pcap", "gateway.long_pdd", "180 Ringing"),
        ("short_calls.pcap", "gateway.short_calls", "BYE"),
        ("never_ending_call.pcap", "call.never_ending", "max_call_seconds"),
        ("scanner_options_flood.pcap", "scan.options_flood", "OPTIONS"),
        ("scanner_svmap.pcap", "scan.signature", "sipvicious"),
        ("extension_enumeration.pcap", "scan.enumeration", "404"),
    ],
)
def test_evidence_shows_the_messages(capture: str, rule: str, needle: str) -> None:
    findings = [f for f in diagnose(snapshot(capture), config=config()) if f.rule == rule]
    assert findings, rule
    text = "\n".join(line for f in findings for line in f.evidence)
    assert needle in text, text


def test_findings_point_at_the_calls_they_are_about() -> None:
    snap = snapshot("no_ack_32s.pcap")
    (finding,) = [f for f in diagnose(snap, config=config()) if f.rule == "call.no_ack"]
    keys = {call.key for call in snap.calls}
    assert finding.calls() and set(finding.calls()) <= keys


def test_score_script_reports_full_recall_on_the_labelled_set(capsys) -> None:
    spec = importlib.util.spec_from_file_location("vostui_tools_score", SCORE)
    assert spec is not None and spec.loader is not None
    score = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = score  # dataclasses look their module up there
    try:
        spec.loader.exec_module(score)
    finally:
        sys.modules.pop(spec.name, None)
    assert score.main(["score.py", str(LABELLED), str(LABELLED / "no-heldout-here")]) == 0
    out = capsys.readouterr().out
    assert "clean traffic: nothing above info" in out
    assert "MISSED" not in out
    assert "false criticals: 0" in out and "false block advice: 0" in out
    assert "held-out set: none at" in out  # skipped, not an error
    for severity in ("critical", "warning", "notice", "info"):
        assert f"\n{severity} " in out  # a row per severity


def test_score_counts_false_criticals_and_false_block_advice_apart() -> None:
    spec = importlib.util.spec_from_file_location("vostui_tools_score2", SCORE)
    assert spec is not None and spec.loader is not None
    score = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = score
    try:
        spec.loader.exec_module(score)
    finally:
        sys.modules.pop(spec.name, None)
    blocking = Finding(
        "scan.enumeration",
        CRITICAL,
        "x",
        Affected("ip", "10.0.0.5"),
        (),
        "",
        "",
        "iptables -I INPUT -s 10.0.0.5 -j DROP",
    )
    ordinary = score.Result(
        "bank.pcap", (), (blocking,), "ordinary", "warning", None, ("10.0.0.5",)
    )
    assert len(ordinary.false_criticals()) == 1 and len(ordinary.false_blocks()) == 1
    hostile = score.Result(
        "crack.pcap", ("scan.enumeration",), (blocking,), "hostile", "critical", ("10.0.0.5",)
    )
    assert hostile.false_criticals() == [] and hostile.false_blocks() == []
    table = score.severity_scores([ordinary, hostile])
    assert table["critical"].right == 1 and table["critical"].wrong == 1
    assert table["warning"].too_severe == 1 and table["critical"].reached == 1
    # a checklist step's fix is block advice the operator reads too
    step = ("checklist scanner_attack/attackers_blocked", "iptables -I INPUT -s 10.0.0.6 -j DROP")
    quiet = score.Result("bank.pcap", (), (), "ordinary", "warning", None, (), (step,))
    assert quiet.false_blocks() == [
        "bank.pcap: checklist scanner_attack/attackers_blocked advises blocking 10.0.0.6"
    ]
    allowed = score.Result("x.pcap", (), (), "hostile", None, ("10.0.0.6",), (), (step,))
    assert allowed.false_blocks() == []
