"""Severity discipline and block advice: a legitimate device is never advised to be
blocked and never a scanner critical; a cracked account always is both."""

from __future__ import annotations

import pytest

from tests.diagnose.diagnose_support import config, snapshot
from tests.diagnose.sip_flows import Calls, Flows, cracked_account, phone_bank, weak_password_sweep
from vostui.diagnose import CRITICAL, diagnose
from vostui.diagnose.legit import compromised, legitimate_device
from vostui.diagnose.rules.scanners import suspicious_sources


def _blocks(findings, ip: str) -> bool:
    return any(f"-s {ip} -j DROP" in f.fix for f in findings)


def test_phone_bank_is_a_device_not_an_enumeration() -> None:
    ip = "198.51.100.20"
    snap = phone_bank(ip)
    findings = diagnose(snap)
    rules = {f.rule for f in findings}
    assert not any(rule.startswith("scan.") for rule in rules), rules
    assert {"registration.forbidden", "registration.not_found"} <= rules
    assert all(f.severity != CRITICAL for f in findings)
    assert not _blocks(findings, ip)
    reason = legitimate_device(snap, ip)
    assert reason and "accepted at their first challenge" in reason
    assert compromised(snap, ip) is None
    assert suspicious_sources(snap) == []
    # Exactly the failing accounts are named, each once.
    forbidden = [f for f in findings if f.rule == "registration.forbidden"]
    assert len(forbidden) == 5


@pytest.mark.parametrize("agent", ["Zoiper rv2.10", "friendly-scanner"])
def test_cracked_account_is_critical_with_block_advice(agent: str) -> None:
    ip = "198.51.100.66"
    snap = cracked_account(ip, agent=agent)
    findings = diagnose(snap)
    critical = [f for f in findings if f.severity == CRITICAL]
    assert critical and all(f.rule.startswith("scan.") for f in critical)
    assert _blocks(critical, ip)
    assert "1001" in critical[0].fix  # change the cracked account's password
    assert legitimate_device(snap, ip) is None
    # the engine keeps the last 20 attempts of an account: 9 refusals before the 200
    assert "accepted" in (compromised(snap, ip) or "")
    assert [s.ip for s, _rules in suspicious_sources(snap)] == [ip]


def test_one_password_over_many_accounts_with_a_hit_is_critical() -> None:
    ip = "198.51.100.67"
    findings = diagnose(weak_password_sweep(ip))
    (guess,) = [f for f in findings if f.rule == "scan.brute_force"]
    assert guess.severity == CRITICAL and _blocks([guess], ip)


def test_a_device_retrying_slowly_until_fixed_is_not_cracked() -> None:
    """A wrong password retried at the registration interval, then fixed."""
    ip = "198.51.100.30"
    snap = cracked_account(ip, guesses=5, step=60.0)
    assert compromised(snap, ip) is None
    findings = diagnose(snap)
    assert all(f.severity != CRITICAL for f in findings) and not _blocks(findings, ip)


def test_configured_gateways_and_answered_calls_are_legitimate() -> None:
    snap = snapshot("clean.pcap")
    assert legitimate_device(snap, "127.0.6.31", config=config())  # VEND-1 in doctor.toml
    assert "answered call" in (legitimate_device(snap, "127.0.6.31") or "")


def test_scanners_are_never_legitimate() -> None:
    snap = snapshot("scanner_svmap.pcap")
    (source,) = [s for s in snap.sources if s.signatures]
    assert legitimate_device(snap, source.ip, config=config()) is None


def test_a_pbx_qualifying_many_peers_is_keepalive_not_enumeration() -> None:
    ip = "198.51.100.50"
    flows = Flows()
    for _round in range(3):
        for n in range(25):
            flows.options(ip, f"peer{n}")
        flows.ts += 30.0
    snap = flows.snapshot()
    assert "keepalives" in (legitimate_device(snap, ip) or "")
    findings = diagnose(snap)
    assert not any(f.rule.startswith("scan.") for f in findings)
    assert not _blocks(findings, ip)


def test_a_one_shot_sweep_of_many_users_is_enumeration_with_block_advice() -> None:
    ip = "198.51.100.51"
    flows = Flows()
    for n in range(25):
        flows.options(ip, f"{100 + n}")
    snap = flows.snapshot()
    assert legitimate_device(snap, ip) is None
    (found,) = [f for f in diagnose(snap) if f.rule == "scan.enumeration"]
    assert found.severity == "warning" and _blocks([found], ip)


def test_a_legitimate_device_flooding_gets_no_block_advice() -> None:
    ip = "198.51.100.52"
    flows = Flows()
    flows.login(ip, "2100", 200)
    for _n in range(100):
        flows.options(ip, "2100", step=0.02)
    (flood,) = [f for f in diagnose(flows.snapshot()) if f.rule == "scan.options_flood"]
    assert flood.severity == "warning" and not _blocks([flood], ip)
    assert flood.fix.startswith(f"Do not block {ip}")
    assert any(line.startswith("legitimate device:") for line in flood.evidence)


def test_an_invite_flood_with_no_answer_is_flagged_a_busy_trunk_is_not() -> None:
    flows = Calls()
    for _n in range(60):
        flows.call("198.51.100.70", "203.0.113.1", 404, callee="900123", gap=0.02)
    for _n in range(60):
        flows.call("198.51.100.71", "203.0.113.1", 200, talk=0.01, gap=0.02)
    findings = diagnose(flows.snapshot())
    flood = [f for f in findings if f.rule == "scan.invite_flood"]
    assert [f.affected.id for f in flood] == ["198.51.100.70"]
    assert _blocks(flood, "198.51.100.70") and not _blocks(findings, "198.51.100.71")


def test_slow_guessing_from_several_sources_is_one_finding() -> None:
    flows = Flows()
    for n in range(4):
        flows.login(f"198.51.100.{80 + n}", "1001", 403)
        flows.ts += 20.0
    findings = diagnose(flows.snapshot())
    (spread,) = [f for f in findings if f.rule == "scan.distributed_guessing"]
    assert spread.severity == "warning" and "4 sources" in spread.title
    assert all(_blocks([spread], f"198.51.100.{80 + n}") for n in range(4))
    # folded: no per-account registration finding for these sources
    assert not [f for f in findings if f.rule == "registration.forbidden"]


def test_phones_with_wrong_passwords_at_several_addresses_are_not_guessing() -> None:
    flows = Flows()
    for n in range(3):
        for cseq in range(1, 12, 2):
            flows.register(f"198.51.100.{90 + n}", f"20{n}", cseq, 401)
            flows.register(f"198.51.100.{90 + n}", f"20{n}", cseq + 1, 401, auth=True)
            flows.ts += 30.0
    findings = diagnose(flows.snapshot())
    assert not [f for f in findings if f.rule.startswith("scan.")]
    assert {f.rule for f in findings} == {"registration.challenge_loop"}
