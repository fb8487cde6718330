"""The rules' contract: safe text, thresholds from the config, a registry that matches
the documentation, a broken rule that cannot hide the others, and no UI imports."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.diagnose.diagnose_support import config, snapshot
from vostui.config import Config
from vostui.diagnose import (
    INFO,
    RULES,
    Settings,
    alert_pairs,
    diagnose,
    findings_for_call,
    findings_for_registration,
    summary,
)
from vostui.diagnose import diagnosis as diagnosis_module
from vostui.diagnose.context import address_class, unreachable_from
from vostui.diagnose.finding import EVIDENCE_LINES, evidence
from vostui.engine.core import Engine
from vostui.net.datagram import Datagram

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.6.21", "loopback"),
        ("::1", "loopback"),
        ("192.168.1.50", "private"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("100.64.1.1", "cgnat"),
        ("169.254.1.1", "link-local"),
        ("fd00::1", "private"),
        ("8.8.8.8", "public"),
        ("0.0.0.0", "unspecified"),
        ("[2001:db8::1]", "private"),  # documentation range: not routable
        ("host.example", "not-ip"),
        ("\x1b[31m", "not-ip"),
    ],
)
def test_address_classes(address: str, kind: str) -> None:
    assert address_class(address) == kind


def test_loopback_never_counts_as_private_for_nat() -> None:
    assert unreachable_from("192.168.1.50", "127.0.6.21")  # private behind loopback
    assert unreachable_from("192.168.1.50", "8.8.8.8")
    assert not unreachable_from("192.168.1.50", "192.168.7.1")  # a LAN media server
    assert not unreachable_from("127.0.0.1", "127.0.6.21")
    assert unreachable_from("127.0.0.1", "8.8.8.8")
    assert not unreachable_from("8.8.8.8", "127.0.6.21")


def test_evidence_is_cleaned_cut_and_capped() -> None:
    lines = evidence(["a\x1b[2Jb\x00c", "x" * 1000, *[f"line {n}" for n in range(40)]])
    assert lines[0] == "a\\x1b[2Jb\\x00c"
    assert len(lines[1]) <= 241
    assert len(lines) == EVIDENCE_LINES
    assert lines[-1].startswith("… and ")


def _sip(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


def test_hostile_account_is_cleaned_in_titles_and_affected() -> None:
    """A scanner controls the To user; it reaches the title of a finding."""
    engine = Engine(Config())
    user = "10\x1b]0;pwned\x07\x1b[2J"
    register = _sip(
        f"REGISTER sip:203.0.113.1 SIP/2.0\n"
        f"Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-1\n"
        f"From: <sip:{user}@203.0.113.1>;tag=1\nTo: <sip:{user}@203.0.113.1>\n"
        f"Call-ID: hostile-1\nCSeq: 1 REGISTER\nContact: <sip:x@198.51.100.7>\n"
        f"Expires: 300\nContent-Length: 0\n\n"
    )
    reply = _sip(
        f"SIP/2.0 404 Not Found\nVia: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-1\n"
        f"From: <sip:{user}@203.0.113.1>;tag=1\nTo: <sip:{user}@203.0.113.1>;tag=2\n"
        f"Call-ID: hostile-1\nCSeq: 1 REGISTER\nContent-Length: 0\n\n"
    )
    engine.feed(Datagram(1000.0, "198.51.100.7", 5060, "203.0.113.1", 5060, "udp", register))
    engine.feed(Datagram(1000.1, "203.0.113.1", 5060, "198.51.100.7", 5060, "udp", reply))
    findings = diagnose(engine.snapshot())
    (finding,) = [f for f in findings if f.rule == "registration.not_found"]
    for text in (finding.title, finding.affected.id, *finding.evidence):
        assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b" in finding.title


def test_settings_come_from_the_config_by_name() -> None:
    s = Settings.from_config(Config(max_call_seconds=20.0, conntrack_warn=0.5))
    assert s.max_call_seconds == 20.0 and s.conntrack_warn == 0.5
    later = SimpleNamespace(long_pdd_seconds=12.0, short_call_seconds=3.0)
    s = Settings.from_config(later)
    assert s.long_pdd_seconds == 12.0 and s.short_call_seconds == 3.0
    assert Settings.from_config(None) == Settings()


def test_thresholds_change_the_outcome() -> None:
    snap = snapshot("long_pdd.pcap")
    assert "gateway.long_pdd" in {f.rule for f in diagnose(snap, config=config())}
    patient = Settings.from_config(config(), long_pdd_seconds=10.0)
    assert "gateway.long_pdd" not in {f.rule for f in diagnose(snap, settings=patient)}
    # The default max_call_seconds (2 h) does not call a 28 s call "never ending".
    hung = snapshot("never_ending_call.pcap")
    assert "call.never_ending" not in {f.rule for f in diagnose(hung, config=Config())}


def test_rule_registry_is_unique_and_documented() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    doc = (ROOT / "docs" / "doctor-json.md").read_text()
    missing = [rule_id for rule_id in ids if f"`{rule_id}`" not in doc]
    assert missing == []


def test_a_broken_rule_does_not_hide_the_others(monkeypatch) -> None:
    def explode(ctx):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(diagnosis_module, "CHECKS", (explode, *diagnosis_module.CHECKS))
    findings = diagnose(snapshot("no_ack_32s.pcap"), config=config())
    rules = {f.rule for f in findings}
    assert "call.no_ack" in rules and "diagnose.error" in rules
    broken = next(f for f in findings if f.rule == "diagnose.error")
    assert broken.severity == INFO and "explode" in broken.title


def test_findings_sorted_deduplicated_and_summarised() -> None:
    findings = diagnose(snapshot("failures_503.pcap"), config=config())
    ranks = [f.rank for f in findings]
    assert ranks == sorted(ranks)
    assert len({f.key for f in findings}) == len(findings)
    assert summary(findings)["critical"] == 1
    pairs = alert_pairs(findings)
    assert pairs[0][0] == "critical" and all(sev != INFO for sev, _t in pairs)


def test_findings_for_one_call_and_one_registration() -> None:
    snap = snapshot("failures_503.pcap")
    findings = diagnose(snap, config=config())
    failed = next(c for c in snap.calls if c.final_code == 503)
    answered = next(c for c in snap.calls if c.answered is not None)
    assert {f.rule for f in findings_for_call(findings, failed.key)} >= {"gateway.capacity"}
    assert findings_for_call(findings, answered.key) == ()
    reg_snap = snapshot("register_404.pcap")
    reg = reg_snap.registrations[0]
    reg_findings = diagnose(reg_snap, config=config())
    assert findings_for_registration(reg_findings, reg.account, reg.source)


def test_aggregated_per_gateway_not_per_call() -> None:
    """Many failed calls at one gateway make one finding with a few examples."""
    findings = diagnose(snapshot("failures_503.pcap"), config=config())
    (capacity,) = [f for f in findings if f.rule == "gateway.capacity"]
    assert capacity.count == 15 and len(capacity.calls()) == 15
    assert sum(1 for line in capacity.evidence if line.startswith("call ")) <= 3


def test_diagnose_does_not_import_the_ui() -> None:
    code = (
        "import sys, vostui.diagnose, vostui.diagnose.cli, vostui.diagnose.export\n"
        "bad = [m for m in ('textual', 'rich') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_snapshot_is_not_changed_by_diagnosis() -> None:
    snap = snapshot("dtmf_mismatch.pcap")
    before = dataclasses.astuple(snap.calls[0])[:6]
    diagnose(snap, config=config())
    assert dataclasses.astuple(snap.calls[0])[:6] == before
