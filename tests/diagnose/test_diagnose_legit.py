"""Severity discipline and block advice: a legitimate device is never advised to be
blocked and never a scanner critical; a cracked account always is both."""

from __future__ import annotations

import pytest

from tests.diagnose.diagnose_support import config, snapshot
from tests.diagnose.sip_flows import (
    REGISTRAR,
    Calls,
    Flows,
    cracked_account,
    phone_bank,
    weak_password_sweep,
)
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
    # the engine counts every refusal before the first 200, not just the history's
    assert "accepted" in (compromised(snap, ip) or "")
    (reg,) = snap.registrations
    assert reg.refused == 12
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


def test_a_pbx_qualifying_its_peers_is_keepalive_not_enumeration() -> None:
    ip = "198.51.100.50"
    flows = Flows()
    for _round in range(3):
        for n in range(15):  # fewer than enumeration_accounts (20)
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


# Regressions of the review of the "trustworthy diagnosis" work: attacks that looked
# legitimate, each tested both ways (the attack, and the ordinary traffic beside it).


def _guess(flows: Flows, ip: str, account: str, times: int, step: float, cseq: int = 1) -> int:
    for _n in range(times):
        flows.register(ip, account, cseq, 401, step=step)
        flows.register(ip, account, cseq + 1, 403, auth=True)
        cseq += 2
    return cseq


def test_registering_its_own_account_does_not_clear_a_guesser() -> None:
    ip = "198.51.100.90"
    flows = Flows()
    flows.login(ip, "100", 200)  # its own account, accepted at the first challenge
    for account in ("101", "102", "103"):
        _guess(flows, ip, account, 60, 0.01)
    snap = flows.snapshot()
    assert legitimate_device(snap, ip) is None
    findings = diagnose(snap)
    (guess,) = [f for f in findings if f.rule == "scan.brute_force"]
    assert guess.severity == "warning" and _blocks([guess], ip)
    assert [s.ip for s, _rules in suspicious_sources(snap)] == [ip]


def test_a_phone_bank_with_a_slow_wrong_password_stays_a_device() -> None:
    """The other way: a bank whose one wrong password is retried at 30 s."""
    ip = "198.51.100.21"
    flows = Flows()
    for n in range(4):
        flows.login(ip, str(2200 + n), 200)
    _guess(flows, ip, "2210", 12, 30.0)
    snap = flows.snapshot()
    assert "first challenge" in (legitimate_device(snap, ip) or "")
    findings = diagnose(snap)
    assert not any(f.rule.startswith("scan.") for f in findings)
    assert not _blocks(findings, ip)


def test_an_account_accepted_after_refusals_does_not_make_a_device() -> None:
    """Accepted, but only after refusals: not "accepted at its first challenge"."""
    ip = "198.51.100.22"
    flows = Flows()
    cseq = _guess(flows, ip, "2300", 2, 60.0)
    flows.register(ip, "2300", cseq, 401)
    flows.register(ip, "2300", cseq + 1, 200, auth=True)
    assert legitimate_device(flows.snapshot(), ip) is None


def test_a_cracked_account_stays_cracked_after_its_refreshes() -> None:
    ip = "198.51.100.90"
    flows = Flows()
    cseq = _guess(flows, ip, "1001", 30, 0.3)
    for _n in range(12):  # more refreshes than the engine's history keeps
        flows.register(ip, "1001", cseq, 401)
        flows.register(ip, "1001", cseq + 1, 200, auth=True)
        cseq += 2
        flows.ts += 60.0
    snap = flows.snapshot()
    assert "accepted after 30 refused" in (compromised(snap, ip) or "")
    (reg,) = snap.registrations
    assert reg.refused == 30 and reg.refused_first is not None
    findings = diagnose(snap)
    assert any(f.severity == CRITICAL and _blocks([f], ip) for f in findings)


def test_slow_paced_guessing_is_cracking_a_slow_device_is_not() -> None:
    ip = "198.51.100.90"
    flows = Flows()
    cseq = _guess(flows, ip, "1001", 40, 11.0)  # just over GUESS_INTERVAL
    flows.register(ip, "1001", cseq, 401)
    flows.register(ip, "1001", cseq + 1, 200, auth=True)
    assert compromised(flows.snapshot(), ip)
    # a burst, then a long pause: the densest stretch counts, not the mean
    flows = Flows()
    cseq = _guess(flows, ip, "1001", 5, 0.3)
    flows.ts += 3600.0
    cseq = _guess(flows, ip, "1001", 1, 0.3, cseq)
    flows.register(ip, "1001", cseq, 401)
    flows.register(ip, "1001", cseq + 1, 200, auth=True)
    assert compromised(flows.snapshot(), ip)
    # a device retrying its wrong password every 30 s for a while, then fixed
    ip = "198.51.100.31"
    flows = Flows()
    cseq = _guess(flows, ip, "1002", 40, 30.0)
    flows.register(ip, "1002", cseq, 401)
    flows.register(ip, "1002", cseq + 1, 200, auth=True)
    snap = flows.snapshot()
    assert compromised(snap, ip) is None
    assert "first challenge" not in (legitimate_device(snap, ip) or "")


def test_an_options_sweep_is_not_a_keepalive() -> None:
    ip = "198.51.100.90"
    flows = Flows()
    for n in range(500):  # 500 users once each, over 100 s
        flows.options(ip, str(1000 + n), step=0.2)
    snap = flows.snapshot()
    assert legitimate_device(snap, ip) is None
    (found,) = [f for f in diagnose(snap) if f.rule == "scan.enumeration"]
    assert _blocks([found], ip)


def test_an_options_flood_to_new_users_is_not_a_keepalive() -> None:
    ip = "198.51.100.95"
    flows = Flows()
    for n in range(1000):
        flows.options(ip, f"u{n}", step=0.01)
    snap = flows.snapshot()
    assert legitimate_device(snap, ip) is None
    findings = diagnose(snap)
    assert {"scan.options_flood", "scan.enumeration"} <= {f.rule for f in findings}
    assert all(_blocks([f], ip) for f in findings if f.rule.startswith("scan."))


def test_a_keepalive_to_one_peer_stays_legitimate() -> None:
    ip = "198.51.100.53"
    flows = Flows()
    for _n in range(6):
        flows.options(ip, "ping", step=30.0)
    assert "keepalives" in (legitimate_device(flows.snapshot(), ip) or "")


def test_one_answered_call_does_not_clear_a_register_enumerator() -> None:
    ip = "198.51.100.91"
    flows = Calls()
    flows.call(ip, REGISTRAR, 200, talk=3.0, callee="442070000001")
    for n in range(300):
        flows.register(ip, str(100 + n), 1, 401 if n % 50 == 0 else 404, step=0.05)
    snap = flows.snapshot()
    assert legitimate_device(snap, ip) is None
    findings = diagnose(snap)
    (found,) = [f for f in findings if f.rule == "scan.enumeration"]
    assert _blocks([found], ip)
    assert not [f for f in findings if f.rule == "registration.not_found"]  # folded
    # the other way: a customer with answered calls and a few unknown accounts
    flows = Calls()
    flows.call(ip, REGISTRAR, 200, talk=3.0, callee="442070000001")
    for n in range(3):
        flows.register(ip, str(100 + n), 1, 404)
    assert "answered call" in (legitimate_device(flows.snapshot(), ip) or "")


def test_a_stale_nonce_is_not_a_refusal() -> None:
    """A phone bank caught mid-life: each refresh carries the old nonce, the registrar
    asks for a fresh one (401 stale=true), the resend is accepted."""
    ip = "198.51.100.23"
    flows = Flows()
    for n in range(12):
        account = str(2400 + n)
        flows.register(ip, account, 7, 401, auth=True, stale=True)
        flows.register(ip, account, 8, 200, auth=True)
    flows.login(ip, "2499", 403)
    snap = flows.snapshot()
    assert [r.refused for r in snap.registrations].count(0) == 12
    assert "12 of 13 account(s)" in (legitimate_device(snap, ip) or "")
    # without stale=true: refused once before its 200, still a device (no block)
    flows = Flows()
    for n in range(12):
        flows.register(ip, str(2400 + n), 7, 401, auth=True)
        flows.register(ip, str(2400 + n), 8, 200, auth=True)
    snap = flows.snapshot()
    assert all(r.refused == 1 for r in snap.registrations)
    assert "first challenge" in (legitimate_device(snap, ip) or "")
    assert not _blocks(diagnose(snap), ip)
    # refused twice before each 200: not a first challenge any more
    flows = Flows()
    for n in range(12):
        flows.register(ip, str(2400 + n), 6, 401, auth=True)
        flows.register(ip, str(2400 + n), 7, 401, auth=True)
        flows.register(ip, str(2400 + n), 8, 200, auth=True)
    assert "first challenge" not in (legitimate_device(flows.snapshot(), ip) or "")
