"""Regressions of the cold review of the "trustworthy diagnosis" work (issue 10): each
defect tested both ways, the case it got wrong and the case it got right."""

from __future__ import annotations

from tests.diagnose.sip_flows import Flows
from vostui.diagnose import CRITICAL, NOTICE, WARNING, diagnose
from vostui.diagnose.checklists import FAIL, PASS, run_checklist
from vostui.diagnose.settings import Settings


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
    assert any(f.severity == CRITICAL and f.rule == "scan.brute_force" for f in findings)
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
