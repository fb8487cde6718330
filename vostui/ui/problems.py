"""Problem calls in the calls list: which calls carry the mark, and why.

A call is a problem call when it is in a failed final state (`CallView.problem`:
rejected, timed out, no answer, or a 2xx never ACKed) or when a finding above info
names it (`Finding.calls()`: the diagnosis found one-way audio, a vendor failing, a long
PDD... in it). `p` shows exactly these calls; the `Why` column and the line under the
list say why, in a few words: `503 VEND-2`, `no ACK`, `one-way`, `no answer`.

Findings reach the list from the console's diagnosis (`DiagnosisResult.by_call`); they
lag the snapshot by one diagnosis run (a few seconds live, none in tests).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from vostui.diagnose.finding import INFO, Finding
from vostui.engine.snapshot import CallView, LegView

# Short reasons for the rules that name calls; a rule not here says its own id's tail.
RULE_REASONS = {
    "call.no_ack": "no ACK",
    "call.never_ending": "no BYE",
    "session.interval_too_small": "422",
    "session.refresh_missing": "no refresh",
    "media.private_sdp": "one-way",  # media sent to a private address never arrives
    "media.public_sdp": "NAT media",
    "nat.private_contact": "NAT contact",
    "codec.no_common": "no codec",
    "dtmf.mismatch": "DTMF",
    "dtmf.inband_g729": "DTMF G.729",
    "gateway.long_pdd": "long PDD",
    "gateway.short_calls": "short call",
    "fraud.premium_calls": "fraud",
}
STATE_REASONS = {"timed_out": "timed out", "no_answer": "no answer"}


def marking(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """The findings that put the problem mark on a call: above info."""
    return tuple(f for f in findings if f.severity != INFO)


def _leg_at(call: CallView, gateway: str) -> LegView | None:
    """The last leg of the call whose far end is `gateway` (a B-leg or a direct call)."""
    for leg in reversed(call.legs):
        if leg.gateway == gateway and leg.role != "a":
            return leg
    return None


def _code_at(leg: LegView) -> str:
    if leg.final_code:
        return str(leg.final_code)
    if leg.state in STATE_REASONS:
        return "timeout" if leg.state == "timed_out" else "no answer"
    return ""


def _where(call: CallView) -> str:
    """Who gave the call its final code: the leg's gateway, or the switch itself."""
    for leg in reversed(call.legs):
        if leg.role != "a" and leg.final_code == call.final_code:
            return leg.gateway
    return "switch" if call.legs and call.legs[0].role == "a" else ""


def state_reasons(call: CallView) -> list[str]:
    """Why the call itself failed, from its state (no diagnosis needed)."""
    out = []
    if call.state in STATE_REASONS:
        out.append(STATE_REASONS[call.state])
    elif call.final_code >= 300 and call.answered is None:  # rejected
        out.append(f"{call.final_code} {_where(call)}".strip())
    if any(leg.ack_missing for leg in call.legs):
        out.append("no ACK")
    return out


def state_detail(call: CallView) -> str:
    """The call's failure in a sentence, for the line under the list."""
    if call.state not in STATE_REASONS and call.final_code >= 300 and call.answered is None:
        where = _where(call)
        text = f"{call.final_code} {call.final_reason}".strip()
        return f"{text} from {where}" if where else text
    if call.state == "timed_out":
        a = call.legs[0] if call.legs else None
        sends = f" ({a.retransmissions + 1} INVITEs sent)" if a and a.retransmissions else ""
        return f"timed out: {call.final_reason or 'no final response'}{sends}"
    if call.state == "no_answer":
        return "no answer: no final response before the capture ended"
    return ""


def finding_reason(finding: Finding, call: CallView) -> str:
    """A finding about a call in a few words."""
    reason = RULE_REASONS.get(finding.rule)
    if reason is not None:
        return reason
    rule = finding.rule
    if "one_way" in rule or "oneway" in rule:
        return "one-way"
    if rule.startswith("gateway.") and finding.affected.kind == "gateway":
        leg = _leg_at(call, finding.affected.id)
        code = _code_at(leg) if leg is not None else ""
        if code:
            return f"{code} {finding.affected.id}"
    return rule.rpartition(".")[2].replace("_", " ")


class ProblemCalls:
    """The problem calls of one diagnosis result; cheap to ask per drawn row."""

    def __init__(self, by_call: Mapping[str, tuple[Finding, ...]] | None = None) -> None:
        self.by_call: dict[str, tuple[Finding, ...]] = {}
        for key, findings in (by_call or {}).items():
            found = marking(findings)
            if found:
                self.by_call[key] = found

    def named(self, call: CallView) -> tuple[Finding, ...]:
        """The findings above info that name this call."""
        return self.by_call.get(call.key, ())

    def flagged(self, call: CallView) -> bool:
        return call.problem or call.key in self.by_call

    def reasons(self, call: CallView) -> list[str]:
        """Short reasons, the call's own state first, without repeats."""
        out = state_reasons(call) if call.problem else []
        for finding in self.named(call):
            reason = finding_reason(finding, call)
            if reason and reason not in out:
                out.append(reason)
        return out

    def why(self, call: CallView) -> str:
        return ", ".join(self.reasons(call))

    def line(self, call: CallView) -> str:
        """The line under the list for the selected call: its reasons and the titles
        of the findings that name it."""
        if not self.flagged(call):
            return ""
        detail = state_detail(call) if call.problem else ""
        parts = [detail] if detail else []
        named = self.named(call)
        rest = [r for r in self.reasons(call) if not detail or r not in state_reasons(call)]
        if rest:
            parts.append(", ".join(rest))
        if named:
            titles = "; ".join(f.title for f in named[:2])
            more = f" (+{len(named) - 2} more)" if len(named) > 2 else ""
            parts.append(titles + more)
        return " · ".join(p for p in parts if p)
