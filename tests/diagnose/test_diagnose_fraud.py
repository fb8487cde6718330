"""fraud.premium_calls: calls from a cracked account to premium-rate or international
numbers; critical when one was answered, a warning when only attempted, and never for
a source that is not compromised (wholesale traffic is international by nature)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.diagnose.sip_flows import REGISTRAR, Calls
from vostui.config import Config, ConfigError
from vostui.diagnose import CRITICAL, WARNING, diagnose
from vostui.diagnose.legit import compromised, legitimate_device
from vostui.diagnose.rules.fraud import destination
from vostui.diagnose.settings import PREMIUM_PREFIXES, Settings
from vostui.ui.problems import ProblemCalls, finding_reason

CRACKER = "198.51.100.66"


def _crack(flows: Calls, ip: str = CRACKER, account: str = "1001") -> None:
    """`account` guessed from `ip`: refused 12 times with credentials, then accepted."""
    cseq = 1
    for _n in range(12):
        flows.register(ip, account, cseq, 401, agent="Zoiper rv2.10", step=0.3)
        flows.register(ip, account, cseq + 1, 403, auth=True, agent="Zoiper rv2.10")
        cseq += 2
    flows.register(ip, account, cseq, 401, agent="Zoiper rv2.10")
    flows.register(ip, account, cseq + 1, 200, auth=True, agent="Zoiper rv2.10")


def _fraud(findings):  # type: ignore[no-untyped-def]
    return [f for f in findings if f.rule == "fraud.premium_calls"]


def test_answered_calls_to_premium_numbers_after_a_crack_are_critical() -> None:
    flows = Calls()
    _crack(flows)
    answered = [
        flows.call(CRACKER, REGISTRAR, 200, talk=300.0, callee="0088213000001"),
        flows.call(CRACKER, REGISTRAR, 200, talk=120.0, callee="+252610000001"),
    ]
    refused = flows.call(CRACKER, REGISTRAR, 403, callee="0044207000001")
    local = flows.call(CRACKER, REGISTRAR, 200, talk=10.0, callee="2001")  # not international
    snap = flows.snapshot()
    assert compromised(snap, CRACKER)
    findings = diagnose(snap)
    (fraud,) = _fraud(findings)
    assert fraud.severity == CRITICAL
    assert fraud.affected.kind == "ip" and fraud.affected.id == CRACKER
    assert set(fraud.calls()) == {*answered, refused} and local not in fraud.calls()
    assert fraud.count == 3
    text = "\n".join(fraud.evidence)
    assert "ACCOUNT CRACKED" in text and "2 answered" in text
    assert "0088213000001" in text and "premium prefix 00882" in text
    assert "+252610000001" in text and "premium prefix +252" in text
    assert "0044207000001" in text and "[international]" in text
    answered_line = next(line for line in fraud.evidence if "0088213000001" in line)
    assert "1000 →" in answered_line and CRACKER in answered_line  # caller, source
    assert "answered" in answered_line and "talk 5:00" in answered_line  # 300 s
    assert f"-s {CRACKER} -j DROP" in fraud.fix and "1001" in fraud.fix
    assert "CDR" in fraud.fix and "IRSF" in fraud.cause
    # the console marks the calls, with a reason of their own
    calls = {call.key: call for call in snap.calls}
    marks = ProblemCalls({key: (fraud,) for key in fraud.calls()})
    assert marks.flagged(calls[answered[0]])
    assert finding_reason(fraud, calls[answered[0]]) == "fraud"


def test_attempted_premium_calls_none_answered_are_a_warning() -> None:
    flows = Calls()
    _crack(flows)
    keys = [flows.call(CRACKER, REGISTRAR, 403, callee=f"00882130000{n:02d}") for n in range(3)]
    keys.append(flows.call(CRACKER, REGISTRAR, None, callee="1900555000"))
    findings = diagnose(flows.snapshot())
    (fraud,) = _fraud(findings)
    assert fraud.severity == WARNING
    assert set(fraud.calls()) == set(keys)
    assert "0 answered" in " ".join(fraud.evidence)
    assert "premium prefix 1900" in " ".join(fraud.evidence)


def test_a_legitimate_customer_gateway_calling_premium_numbers_is_quiet() -> None:
    gateway = "198.51.100.5"
    flows = Calls()
    for n in range(10):
        flows.call(gateway, REGISTRAR, 200, talk=60.0, callee=f"0088213{n:06d}")
        flows.call(gateway, REGISTRAR, 200, talk=60.0, callee=f"900{n:06d}")
        flows.call(gateway, REGISTRAR, 200, talk=60.0, callee=f"+44207{n:06d}")
        flows.call(gateway, REGISTRAR, 486, callee=f"0025261{n:06d}")
    snap = flows.snapshot()
    assert legitimate_device(snap, gateway)
    assert _fraud(diagnose(snap)) == []
    # configured as a gateway: the same
    configured = Settings(gateways=(gateway,))
    assert _fraud(diagnose(snap, settings=configured)) == []


def test_a_phone_bank_calling_international_numbers_is_quiet() -> None:
    ip = "198.51.100.20"
    flows = Calls()
    for n in range(10):
        flows.login(ip, str(2000 + n), 200)
    for n in range(3):
        flows.login(ip, str(2100 + n), 403)
    for n in range(5):
        flows.call(ip, REGISTRAR, 200, talk=30.0, callee=f"0088216{n:05d}")
        flows.call(ip, REGISTRAR, 404, callee=f"0900{n:06d}")
    snap = flows.snapshot()
    assert compromised(snap, ip) is None
    assert _fraud(diagnose(snap)) == []


def test_destinations_and_prefixes() -> None:
    assert destination("0088213000001", PREMIUM_PREFIXES) == "premium prefix 00882"
    assert destination("tel:+881-6-1234", PREMIUM_PREFIXES) == "premium prefix +881"
    assert destination("0900123456", PREMIUM_PREFIXES) == "premium prefix 0900"
    assert destination("004420712345", PREMIUM_PREFIXES) == "international"
    assert destination("+33142000000", PREMIUM_PREFIXES) == "international"
    assert destination("2001", PREMIUM_PREFIXES) == ""
    assert destination("", PREMIUM_PREFIXES) == ""
    assert destination("0037167000000", ("00371",)) == "premium prefix 00371"


def test_premium_prefixes_come_from_the_config_and_are_checked() -> None:
    s = Settings.from_config(Config(diagnose={"premium_prefixes": ["00371", "+371"]}))
    assert s.premium_prefixes == ("00371", "+371")
    assert Settings().premium_prefixes == PREMIUM_PREFIXES
    for bad in ("00882", ["00882", ""], [882], ["0088x"]):
        with pytest.raises(ConfigError):
            Settings.from_config(SimpleNamespace(diagnose={"premium_prefixes": bad}))
