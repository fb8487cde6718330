"""Toll fraud: calls from a compromised source to premium-rate or international numbers.

A cracked SIP account is worth something to its attacker only through the calls it
places: international revenue share fraud (IRSF) dials premium, satellite and
shared-cost ranges whose operator pays the attacker a share of the termination fee, on
the victim's bill. This rule looks only at the calls placed from a source that
`vostui.diagnose.legit` calls compromised (an account cracked from it: direct evidence);
ordinary wholesale traffic is international by nature and never reported here.

A call is suspicious when its callee starts with one of `premium_prefixes` (a starting
list to adapt to the operator's market), or dials out of the country at all (a leading
"00" or "+"). Critical when at least one such call was answered (the fraud worked),
else a warning (attempted, refused or unanswered so far).
"""

from __future__ import annotations

from vostui.diagnose.context import Context
from vostui.diagnose.finding import (
    CRITICAL,
    IP,
    WARNING,
    Affected,
    Finding,
    Ref,
    covering,
    evidence,
)
from vostui.diagnose.legit import accepted
from vostui.engine.snapshot import CallView
from vostui.report import clock, seconds

_SEPARATORS = str.maketrans("", "", " -.()/")


def dialled(callee: str) -> str:
    """The number as dialled: no "tel:"/"sip:" scheme, no visual separators."""
    number = callee.strip()
    for scheme in ("tel:", "sip:", "sips:"):
        if number.lower().startswith(scheme):
            number = number[len(scheme) :]
    return number.partition("@")[0].partition(";")[0].translate(_SEPARATORS)


def destination(callee: str, prefixes: tuple[str, ...]) -> str:
    """Why a callee is a toll-fraud destination: "premium prefix 00882" (the longest
    of `prefixes` it starts with), "international" (a leading 00 or +), or ""."""
    number = dialled(callee)
    if not number:
        return ""
    matched = [p for p in prefixes if p and number.startswith(p)]
    if matched:
        return f"premium prefix {max(matched, key=len)}"
    if number.startswith(("00", "+")):
        return "international"
    return ""


def _call_line(call: CallView, ip: str, why: str, now: float) -> str:
    if call.answered is not None:
        outcome = f"answered {clock(call.answered)}, talk {seconds(call.talk(now))}"
        if call.ended is None:
            outcome += " (still up)"
    elif call.final_code:
        outcome = f"{call.final_code} {call.final_reason}".strip()
    else:
        outcome = call.state.replace("_", " ")
    return (
        f"{clock(call.start)} {call.caller or '?'} → {call.callee or '?'} from {ip}: "
        f"{outcome} [{why}]"
    )


def premium_calls(ctx: Context) -> list[Finding]:
    prefixes = ctx.settings.premium_prefixes
    by_key = {call.key: call for call in ctx.snap.calls}
    out = []
    for ip, keys in ctx.calls_by_source.items():
        verdict = ctx.peers.verdict(ip)
        if not verdict.compromised:
            continue
        hits: list[tuple[CallView, str]] = []
        for key in keys:
            call = by_key.get(key)
            if call is None:
                continue
            why = destination(call.callee, prefixes)
            if why:
                hits.append((call, why))
        if not hits:
            continue
        out.append(_finding(ctx, ip, verdict.compromised, hits))
    return out


def _finding(ctx: Context, ip: str, cracked: str, hits: list[tuple[CallView, str]]) -> Finding:
    now = ctx.now
    answered = [(call, why) for call, why in hits if call.answered is not None]
    talk = sum(call.talk(now) for call, _why in answered)
    premium = sum(1 for _call, why in hits if why.startswith("premium"))
    accounts = [r.account for r in ctx.peers.registrations.get(ip, ()) if accepted(r)]
    callers = sorted({call.caller for call, _why in hits if call.caller})
    # Answered calls first (the fraud that worked), then the attempts, latest first.
    ordered = sorted(hits, key=lambda h: (h[0].answered is None, -h[0].start))
    lines = [
        f"ACCOUNT CRACKED: {cracked}",
        f"{len(hits)} call(s) from {ip} to premium-rate or international numbers "
        f"({premium} premium prefix, {len(hits) - premium} other international), "
        f"{len(answered)} answered, {seconds(talk)} talk in all",
        "callers: " + ", ".join(callers[:6]) if callers else "",
        *(_call_line(call, ip, why, now) for call, why in ordered),
    ]
    if answered:
        severity = CRITICAL
        title = (
            f"{ip}: toll fraud: {len(answered)} answered call(s) to premium/international "
            f"numbers from a cracked account ({len(hits)} attempted)"
        )
    else:
        severity = WARNING
        title = (
            f"{ip}: {len(hits)} call(s) to premium/international numbers from a cracked "
            "account, none answered yet"
        )
    names = ", ".join(accounts[:5]) or ", ".join(callers[:5]) or "the accounts used from it"
    fix = (
        f"Block the source now: iptables -I INPUT -s {ip} -j DROP (and keep it in the saved "
        f"rules). Disable the cracked account(s) ({names}) or reset their passwords to long "
        "random ones, and check their CDRs and the bill for calls to these destinations "
        "(the carrier may still stop or dispute them). Restrict international and "
        "premium-rate destinations per account, and cap call spend per account."
    )
    codes = sorted({call.final_code for call, _why in hits if call.final_code >= 300})
    starts = [call.start for call, _why in hits]
    return Finding(
        rule="fraud.premium_calls",
        severity=severity,
        title=title,
        affected=Affected(IP, ip),
        evidence=evidence(lines),
        cause=(
            "Toll fraud after a cracked account: whoever guessed the SIP password uses the "
            "account to call premium-rate, satellite and shared-cost numbers "
            "(international revenue share fraud, IRSF), whose operator pays them a share "
            "of what your carrier bills you; the calls usually come in bursts, at night "
            "and at weekends, until the account is shut."
        ),
        check=(
            f"The CDRs of the accounts used from {ip} (the numbers, the minutes, the "
            "cost); the registrar's log for them; your carrier's fraud alerts. Are "
            f"other sources using the same accounts? tcpdump -ni any host {ip} and port 5060"
        ),
        fix=fix,
        **covering((call.key for call, _why in ordered), Ref(ip=ip)),
        count=len(hits),
        first=min(starts),
        last=max(starts),
        codes=tuple(codes),
    )


RULES = (
    (
        "fraud.premium_calls",
        "calls from a compromised source to premium-rate or international numbers",
    ),
)
CHECKS = (premium_calls,)
