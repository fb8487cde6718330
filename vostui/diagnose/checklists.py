"""Guided checklists: one per symptom, in the operator's words.

A checklist is an ordered list of checks. Each runs by itself against the data where
it can (pass, fail, or not checked when the data is not there, each with its
evidence) and otherwise states the manual step with the exact command. It ends with
the most likely cause and the fix: those of the first failing check, the checks being
ordered from the most common cause to the least.

    checklist = run_checklist("drop_32s", engine_snap, host_snap, log_snap, config)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from vostui.diagnose.context import Context, call_line, gave_up, message_line
from vostui.diagnose.diagnosis import diagnose
from vostui.diagnose.finding import INFO, Finding, Ref, evidence, refs
from vostui.diagnose.legit import accepted
from vostui.diagnose.rules.gateways import FAILURE_CLASSES, class_of
from vostui.diagnose.rules.scanners import firewall_status, source_covers
from vostui.diagnose.settings import Settings
from vostui.engine.dialog import ENDED
from vostui.engine.snapshot import EngineSnapshot
from vostui.report import clock
from vostui.sip.codes import lookup

PASS = "pass"
FAIL = "fail"
NOT_CHECKED = "not_checked"
MANUAL = "manual"
SEEN = "seen"  # the data shows some of it, with numbers, below what makes a finding
STATUSES = (FAIL, SEEN, PASS, NOT_CHECKED, MANUAL)


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    title: str  # the question, in the operator's words
    status: str  # pass, fail, seen, not_checked, manual
    evidence: tuple[str, ...] = ()
    command: str = ""  # the exact command to run by hand (manual steps, or to look closer)
    cause: str = ""  # what a failure here means
    fix: str = ""
    rules: tuple[str, ...] = ()  # rule ids of the findings that decided it
    refs: tuple[Ref, ...] = ()
    # what the step counted in the data, for the conclusion's largest contributors:
    # (occurrences, "busy 8 of 47 (17%)")
    contributors: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Checklist:
    symptom: str
    title: str
    steps: tuple[Check, ...]
    conclusion: str  # the most likely cause
    fix: str
    findings: tuple[Finding, ...] = ()  # the findings that bear on this symptom

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(step for step in self.steps if step.status == FAIL)

    @property
    def seen(self) -> tuple[Check, ...]:
        return tuple(step for step in self.steps if step.status == SEEN)


@dataclass(frozen=True, slots=True)
class Symptom:
    id: str
    title: str  # what the operator says
    description: str
    rules: tuple[str, ...]  # findings that bear on it


# -- building blocks -------------------------------------------------------------------


@dataclass(slots=True)
class _Run:
    ctx: Context
    findings: tuple[Finding, ...]
    settings: Settings
    by_rule: dict[str, list[Finding]] = field(default_factory=dict)
    attempts: list[tuple[Any, Any]] | None = None  # see `_attempts`, computed once

    def of(self, rules: Sequence[str]) -> list[Finding]:
        return [f for rule in rules for f in self.by_rule.get(rule, [])]


StepFn = Callable[[_Run], Check]


def _from_rules(
    id: str,
    title: str,
    rules: tuple[str, ...],
    *,
    have_data: Callable[[_Run], bool],
    ok: Callable[[_Run], str],
    no_data: str,
    command: str = "",
    cause: str = "",
    fix: str = "",
) -> StepFn:
    """A check decided by findings: fail when any of `rules` fired above info, "seen"
    when only info findings did (there, but not a problem by itself), pass when the
    data to judge was there and none did, not checked otherwise."""

    def step(run: _Run) -> Check:
        hits = run.of(rules)
        if hits:
            above = [f for f in hits if f.severity != INFO]
            hits = above or hits
            first = hits[0]
            lines = []
            for finding in hits[:4]:
                lines.append(f"{finding.severity}: {finding.title}")
                lines.extend(f"  {line}" for line in finding.evidence[:3])
            return Check(
                id,
                title,
                FAIL if above else SEEN,
                evidence(lines),
                command or first.check,
                first.cause,
                first.fix,
                tuple(dict.fromkeys(f.rule for f in hits)),
                refs(ref for f in hits for ref in f.refs),
            )
        if not have_data(run):
            return Check(id, title, NOT_CHECKED, evidence([no_data]), command, cause, fix, rules)
        return Check(id, title, PASS, evidence([ok(run)]), command, cause, fix, rules)

    return step


def _manual(id: str, title: str, command: str, what: str, cause: str = "", fix: str = "") -> StepFn:
    def step(run: _Run) -> Check:
        return Check(id, title, MANUAL, evidence([what]), command, cause, fix)

    return step


def _answered(run: _Run) -> int:
    return sum(1 for call in run.ctx.snap.calls if call.answered is not None)


def _has_calls(run: _Run) -> bool:
    return bool(run.ctx.snap.calls)


def _has_answered(run: _Run) -> bool:
    return _answered(run) > 0


def _has_regs(run: _Run) -> bool:
    return bool(run.ctx.snap.registrations)


def _has_host(name: str) -> Callable[[_Run], bool]:
    def have(run: _Run) -> bool:
        host = run.ctx.host
        part = getattr(host, name, None) if host is not None else None
        return part is not None and not getattr(part, "problem", "")

    return have


def _has_logs(run: _Run) -> bool:
    return run.ctx.logs is not None


def _count(text: str) -> Callable[[_Run], str]:
    def ok(run: _Run) -> str:
        snap = run.ctx.snap
        return text.format(
            calls=len(snap.calls),
            answered=_answered(run),
            registrations=len(snap.registrations),
            sources=len(snap.sources),
            gateways=len(snap.gateways),
        )

    return ok


def _host_ok(text: str) -> Callable[[_Run], str]:
    return lambda run: text


# -- checks computed here (not findings) --------------------------------------------------


def _talk_line(call: Any, now: float) -> str:
    """A call with its talk time (answer to end) and who ended it."""
    ender = next((leg.hangup_by for leg in call.legs if leg.hangup_by), "")
    via = call.routing_gateway or call.mapping_gateway or call.legs[-1].gateway or "?"
    return (
        f"call {clock(call.start)} {call.caller or '?'} → {call.callee or '?'} via {via}: "
        f"talk {call.talk(now):.1f} s" + (f", ended by the {ender}" if ender else "")
    )


def _drops_near_32(run: _Run) -> Check:
    title = "Do answered calls end about 32 s after the answer?"
    now = run.ctx.now
    ended = [
        call for call in run.ctx.snap.calls if call.answered is not None and call.ended is not None
    ]
    if not ended:
        return Check(
            "drop_at_32",
            title,
            NOT_CHECKED,
            ("no answered call has ended in this data",),
            "vostui analyze FILE --calls --filter 'state=completed'",
        )
    near = [call for call in ended if 29.0 <= call.talk(now) <= 35.0]
    if not near:
        return Check(
            "drop_at_32",
            title,
            PASS,
            (f"none of {len(ended)} ended answered calls talked 29-35 s",),
        )
    share = len(near) / len(ended)
    lines = [
        f"{len(near)} of {len(ended)} ended answered calls ({share:.0%}) talked 29-35 s "
        "(answer to end)"
    ]
    lines += [_talk_line(call, now) for call in near[:5]]
    unacked = run.of(("call.no_ack",))
    if unacked:
        return Check(
            "drop_at_32",
            title,
            FAIL,
            evidence(lines),
            "",
            "Calls end at 64*T1 = 32 s: the 2xx was not ACKed (or the ACK did not reach the "
            "side that sent the 2xx), which then hangs up.",
            "See the ACK check above; fix NAT/Contact/Record-Route on the ACK's path.",
            ("call.no_ack",),
            refs(Ref(call=call.key) for call in near),
            ((len(near), f"{len(near)} of {len(ended)} calls ended at 29-35 s"),),
        )
    # Every 200 OK was ACKed: the missing ACK is not the cause. A pattern (most calls)
    # is a failure to explain; a few calls of that length are just calls.
    lines.append("every 200 OK was ACKed: not the 32 s ACK timeout")
    return Check(
        "drop_at_32",
        title,
        FAIL if share >= 0.5 and len(near) >= 2 else SEEN,
        evidence(lines),
        "vostui analyze FILE --calls --filter 'state=completed'",
        "Calls end about 32 s after the answer although every 200 OK was ACKed: another "
        "timer ends them: a short session timer (see its step), an RTP/media timeout, a "
        "maximum call duration or prepaid limit, or the far end's own BYE (see who ended "
        "each call).",
        "Find the side that sends the BYE and the timer behind it (session timer, media "
        "timeout, call limit) and raise or fix it.",
        refs=refs(Ref(call=call.key) for call in near),
        contributors=((len(near), f"{len(near)} of {len(ended)} calls ended at 29-35 s"),),
    )


def _hold_or_inactive(run: _Run) -> Check:
    title = "Is the media put on hold or refused (sendonly, inactive, 0.0.0.0, port 0)?"
    if not _has_answered(run):
        return Check("media_direction", title, NOT_CHECKED, ("no answered call in the data",))
    bad = []
    for call in run.ctx.snap.calls:
        if call.answered is None:
            continue
        for leg in call.legs:
            for endpoint in (leg.media_offer, leg.media_answer):
                if endpoint is None:
                    continue
                if (
                    endpoint.direction in ("sendonly", "recvonly", "inactive")
                    or endpoint.address in ("0.0.0.0", "::")
                    or endpoint.port == 0
                ):
                    bad.append((call, endpoint))
    if not bad:
        return Check(
            "media_direction",
            title,
            PASS,
            (f"{_answered(run)} answered call(s): media sendrecv on a real address and port",),
        )
    lines = [
        f"{call_line(call, run.ctx.now)}: {e.direction} {e.address}:{e.port}" for call, e in bad[:5]
    ]
    return Check(
        "media_direction",
        title,
        FAIL,
        evidence(lines),
        "",
        "One side answers or offers media on hold or refuses the stream: audio flows one "
        "way or not at all.",
        "Check the endpoint's hold/music-on-hold and codec settings; look at the re-INVITE "
        "that changed the direction.",
        refs=refs(Ref(call=call.key) for call, _e in bad),
    )


def _rtp_firewall(run: _Run) -> Check:
    title = "Does the firewall let the RTP port range through?"
    low, high = run.settings.rtp_ports
    command = "iptables -L INPUT -v -n --line-numbers | grep -E 'udp|dpts|DROP|REJECT'"
    firewall = getattr(run.ctx.host, "firewall", None) if run.ctx.host is not None else None
    if firewall is None or not firewall.ok:
        return Check(
            "rtp_firewall",
            title,
            MANUAL,
            (f"no firewall data; check that UDP {low}-{high} is accepted",),
            command,
        )
    blocking = []
    for rule in firewall.rules():
        if rule.target not in ("DROP", "REJECT") or rule.spec.source:
            continue
        if any(lo <= high and hi >= low for lo, hi in rule.spec.ports):
            blocking.append(rule)
    if not blocking:
        return Check(
            "rtp_firewall",
            title,
            PASS,
            (f"no DROP/REJECT rule for all sources names ports in {low}-{high}",),
            command,
        )
    lines = [f"{r.chain} rule {r.index}: {r.text} ({r.packets} packets)" for r in blocking[:5]]
    return Check(
        "rtp_firewall",
        title,
        FAIL,
        evidence(lines),
        command,
        "A firewall rule drops UDP in the RTP range: no audio in one or both directions.",
        f"Accept UDP {low}-{high} before that rule.",
    )


def _te_negotiated(run: _Run) -> Check:
    title = "Is RFC 2833 telephone-event negotiated on answered calls?"
    legs = [
        leg
        for call in run.ctx.snap.calls
        if call.answered is not None
        for leg in call.legs
        if leg.answered is not None and leg.media_offer is not None and leg.media_answer is not None
    ]
    if not legs:
        return Check(
            "te_negotiated", title, NOT_CHECKED, ("no answered call with SDP in the data",)
        )
    without = [
        leg
        for leg in legs
        if leg.media_offer is None
        or leg.media_answer is None
        or leg.media_offer.telephone_event is None
        or leg.media_answer.telephone_event is None
    ]
    info = sum(1 for leg in legs if "INFO" in leg.methods)
    lines = [f"{len(legs) - len(without)} of {len(legs)} answered legs negotiated telephone-event"]
    if info:
        lines.append(f"{info} leg(s) carry SIP INFO (DTMF as SIP INFO)")
    if not without:
        return Check("te_negotiated", title, PASS, evidence(lines))
    for leg in without[:4]:
        offer = " ".join(leg.codecs_offered) or "-"
        answer = " ".join(leg.codecs_answered) or "-"
        lines.append(f"{leg.role}-leg {leg.src} → {leg.dst} ({leg.gateway}): {offer} / {answer}")
    return Check(
        "te_negotiated",
        title,
        FAIL,
        evidence(lines),
        "tshark -i any -Y rtpevent (while pressing digits on a test call)",
        "Without telephone-event DTMF travels in-band (or as SIP INFO when both sides use "
        "it): fine on G.711 if nothing strips it, lost on G.729.",
        "Set RFC 2833 as the DTMF mode on both gateways of the route.",
    )


def _bye_answered(run: _Run) -> Check:
    title = "Is every BYE answered with 200 OK?"
    unanswered = []
    byes = 0
    for call in run.ctx.snap.calls:
        for leg in call.legs:
            if "BYE" not in leg.methods:
                continue
            byes += 1
            bye = None
            answered = False
            for record in leg.messages:
                msg = record.msg
                if msg.is_request and msg.method == "BYE" and bye is None:
                    bye = record
                elif not msg.is_request and msg.cseq_method == "BYE" and msg.status >= 200:
                    answered = True
            if bye is not None and not answered:
                unanswered.append((call, bye))
    if not byes:
        return Check("bye_answered", title, NOT_CHECKED, ("no BYE in the data",))
    if not unanswered:
        return Check("bye_answered", title, PASS, (f"{byes} BYE(s), all answered",))
    lines = [f"{len(unanswered)} of {byes} BYE(s) got no final answer"]
    lines += [message_line(bye) for _call, bye in unanswered[:5]]
    return Check(
        "bye_answered",
        title,
        FAIL,
        evidence(lines),
        "tcpdump -ni any port 5060 and host <far end>",
        "The BYE does not reach the far end (NAT, a Contact/Record-Route it cannot follow, "
        "a firewall), so that side keeps the call up.",
        "Fix the BYE's path as for the ACK: reachable Contact, NAT traversal, no SIP ALG.",
        refs=refs(Ref(call=call.key) for call, _b in unanswered),
    )


def _session_timers_used(run: _Run) -> Check:
    title = "Are session timers used (they end calls whose far end vanished)?"
    legs = [
        leg
        for call in run.ctx.snap.calls
        if call.answered is not None
        for leg in call.legs
        if leg.answered is not None
    ]
    if not legs:
        return Check("session_timers", title, NOT_CHECKED, ("no answered call in the data",))
    timed = sum(1 for leg in legs if leg.session_expires)
    line = f"{timed} of {len(legs)} answered legs have a session timer"
    if timed:
        return Check("session_timers", title, PASS, (line,))
    return Check(
        "session_timers",
        title,
        FAIL,
        (line,),
        "",
        "Without session timers (and without an RTP timeout) nothing ends a call whose BYE "
        "was lost.",
        "Enable session timers (Session-Expires 1800) and the RTP/media timeout on the softswitch.",
    )


def _attempts(run: _Run) -> list[tuple[Any, Any]]:
    """(call, leg) of every finished attempt whose outcome is a gateway's (B-legs, and
    A-legs the softswitch refused itself), less those completed on the next route. An
    INVITE resent with no response at all, or timed out, is finished: it failed (with
    no final answer), whether or not the capture ran to its Timer B."""
    if run.attempts is not None:
        return run.attempts
    rescued = run.ctx.calls.rescued
    out = []
    for items in run.ctx.legs_by_gateway.values():
        for call, leg in items:
            if leg.call_id in rescued:
                continue
            if leg.answered is not None or leg.final_code or leg.state in ENDED or gave_up(leg):
                out.append((call, leg))
    run.attempts = out
    return out


def _class_step(
    id: str,
    title: str,
    rules: tuple[str, ...],
    codes: frozenset[int],
    what: str,
    cause: str,
    fix: str,
) -> StepFn:
    """A failure-class step judged on the data: fail when one of `rules` fired, "seen"
    with the numbers when any attempt failed this way, pass only when the calls are
    there and none did. Code 0: no final answer at all."""

    def step(run: _Run) -> Check:
        attempts = _attempts(run)
        total = len(attempts)
        if not total:
            return Check(id, title, NOT_CHECKED, ("no finished call in the data",), CAPTURE)
        hit = [
            (call, leg)
            for call, leg in attempts
            if leg.answered is None
            and (leg.final_code in codes if leg.final_code else 0 in codes and not leg.final_code)
        ]
        if not hit:
            codes_text = "/".join(str(c) for c in sorted(codes) if c) or "no answer"
            return Check(
                id,
                title,
                PASS,
                (f"none of {total} calls failed {codes_text}",),
                CAPTURE,
                rules=rules,
            )
        groups: dict[tuple[int, str], list[Any]] = {}
        classes: dict[str, int] = {}
        for call, leg in hit:
            groups.setdefault((leg.final_code, leg.gateway or leg.dst), []).append(call)
            name = class_of(leg)
            classes[name] = classes.get(name, 0) + 1
        ranked = sorted(classes.items(), key=lambda kv: -kv[1])
        lines = [f"{what}: {len(hit)} of {total} calls ({len(hit) / total:.0%})"]
        if len(ranked) > 1:
            lines += [f"{name}: {n} of {total} ({n / total:.0%})" for name, n in ranked]
        for (code, gateway), calls in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            label = f"{code} {lookup(code).phrase}" if code else "with no final answer"
            lines.append(
                f"{len(calls)} of {total} calls {label} from {gateway} ({len(calls) / total:.0%})"
            )
        found = run.of(rules)
        for finding in found[:2]:
            lines.append(f"{finding.severity}: {finding.title}")
        status = FAIL if found else SEEN
        return Check(
            id,
            title,
            status,
            evidence(lines),
            found[0].check if found else CAPTURE,
            found[0].cause if found else cause,
            found[0].fix if found else fix,
            tuple(dict.fromkeys(f.rule for f in found)) or rules,
            refs(Ref(call=call.key) for call, _leg in hit),
            tuple((n, f"{name} {n} of {total} ({n / total:.0%})") for name, n in ranked),
        )

    return step


def _failure_step(id: str, title: str, *rules: str, what: str = "") -> StepFn:
    """`_class_step` for the failure classes of `rules` (gateway.capacity, ...)."""
    classes = [k for k in FAILURE_CLASSES if k.rule in rules]
    codes = frozenset(code for k in classes for code in k.codes)
    what = what or " or ".join(k.what for k in classes)
    return _class_step(id, title, rules, codes, what, classes[0].cause, classes[0].fix)


def _low_asr_gateways(run: _Run) -> Check:
    title = "Which gateways answer too few calls?"
    s = run.settings
    gateways = [g for g in run.ctx.snap.gateways if g.attempts >= s.min_calls]
    found = run.of(("gateway.low_asr",))
    if not gateways:
        if found:  # few calls, but few of them answered: the overall notice says so
            return Check(
                "gateway_asr",
                title,
                SEEN,
                evidence(
                    [
                        f"no gateway has {s.min_calls} attempts in this data",
                        *(f"{f.severity}: {f.title}" for f in found[:3]),
                        *found[0].evidence[1:4],
                    ]
                ),
                "vostui analyze FILE --gateways",
                found[0].cause,
                found[0].fix,
                ("gateway.low_asr",),
                refs(ref for f in found for ref in f.refs),
            )
        return Check(
            "gateway_asr",
            title,
            NOT_CHECKED,
            (f"no gateway has {s.min_calls} attempts in this data",),
            "vostui analyze FILE --gateways",
        )
    lines = [f"{f.severity}: {f.title}" for f in found[:4]]
    lines += [
        f"{g.name} ({g.role}): ASR {g.asr:.0%} of {g.attempts}, ACD {g.acd:.0f} s, codes "
        + ", ".join(f"{code or 'none'} ×{n}" for code, n in g.codes[:5])
        for g in sorted(gateways, key=lambda g: g.asr)[:6]
    ]
    if not found:
        return Check(
            "gateway_asr",
            title,
            PASS,
            evidence([f"no gateway below {s.low_asr:.0%} ASR", *lines]),
            "vostui analyze FILE --gateways",
            rules=("gateway.low_asr",),
        )
    return Check(
        "gateway_asr",
        title,
        FAIL,
        evidence(lines),
        "vostui analyze FILE --gateways",
        found[0].cause,
        found[0].fix,
        ("gateway.low_asr",),
        refs(ref for f in found for ref in f.refs),
    )


def _invite_resends(run: _Run) -> Check:
    title = "Are INVITEs resent before any answer (the far end or the host is slow)?"
    legs = [leg for call in run.ctx.snap.calls for leg in call.legs]
    if not legs:
        return Check("invite_resends", title, NOT_CHECKED, ("no call in the data",))
    resent = []
    for leg in legs:
        if not leg.retransmissions:
            continue
        for record in leg.messages:
            msg = record.msg
            if not msg.is_request or msg.method != "INVITE" or msg.to.tag:
                if not msg.is_request:
                    break  # an answer came: later resends are not about speed
                continue
            if record.retransmission:
                resent.append((leg, record))
                break
    share = len(resent) / len(legs)
    line = f"{len(resent)} of {len(legs)} legs resent their INVITE before any answer ({share:.0%})"
    if share < 0.05:
        return Check("invite_resends", title, PASS, (line,))
    lines = [line] + [message_line(record) for _leg, record in resent[:4]]
    return Check(
        "invite_resends",
        title,
        FAIL,
        evidence(lines),
        "tcpdump -ni any port 5060 | grep -c INVITE; top -H",
        "INVITEs wait more than 500 ms for a 100 Trying: a slow or overloaded far end, "
        "packet loss, or this host dropping packets (UDP buffers, CPU).",
        "Find which side is slow (the ladder's times); see the CPU and UDP checks.",
        refs=refs(Ref(call=leg.call_id) for leg, _r in resent),
    )


def _attacker_registered(run: _Run) -> Check:
    title = "Did an attacking IP manage to register an account?"
    attackers = set(run.ctx.attackers)  # guessing, enumerating or scanning
    if not attackers:
        return Check(
            "attacker_registered", title, PASS, ("no scanning or guessing source in the data",)
        )
    # Accepted at any time (a registration that expired since still succeeded), or
    # cracked by the one definition the scanner findings use.
    hits = [
        r
        for r in run.ctx.snap.registrations
        if r.source.rpartition(":")[0] in attackers and accepted(r)
    ]
    cracked = [
        (ip, why) for ip in sorted(attackers) if (why := run.ctx.peers.verdict(ip).compromised)
    ]
    if not hits and not cracked:
        return Check(
            "attacker_registered",
            title,
            PASS,
            (f"no registration from {', '.join(sorted(attackers)[:5])} succeeded",),
        )
    return Check(
        "attacker_registered",
        title,
        FAIL,
        evidence(
            [
                *(f"{r.account} registered from {r.source} ({r.state} now)" for r in hits),
                *(f"{ip}: {why}" for ip, why in cracked),
            ]
        ),
        "the softswitch's CDRs for these accounts since the registration",
        "An account's password was guessed: the attacker can now place calls (toll fraud).",
        "Change these accounts' passwords now, block the IP, check their calls.",
        refs=refs(Ref(registration=(r.account, r.source)) for r in hits),
    )


def _attackers_blocked(run: _Run) -> Check:
    title = "Does the firewall already drop the attacking IPs?"
    attackers = sorted(run.ctx.flagged)
    command = "iptables -L INPUT -v -n --line-numbers"
    if not attackers:
        return Check(
            "attackers_blocked", title, PASS, ("no attacking source in the data",), command
        )
    firewall = getattr(run.ctx.host, "firewall", None) if run.ctx.host is not None else None
    if firewall is None:
        return Check(
            "attackers_blocked",
            title,
            NOT_CHECKED,
            (f"no host data; attackers: {', '.join(attackers[:8])}",),
            command,
        )
    open_ips = []
    lines = []
    for ip in attackers:
        legitimate = run.ctx.peers.verdict(ip).legitimate
        if legitimate:  # never advise blocking a legitimate device
            lines.append(f"{ip}: not to be blocked ({legitimate})")
            continue
        if not run.ctx.block_advised(ip):
            lines.append(f"{ip}: not to be blocked on this alone (one account of its own)")
            continue
        dropped, status = firewall_status(run.ctx, ip)
        lines.append(f"{ip}: {'dropped' if dropped else 'NOT dropped'}; {status[0]}")
        if not dropped:
            open_ips.append(ip)
    if not open_ips:
        return Check("attackers_blocked", title, PASS, evidence(lines), command)
    return Check(
        "attackers_blocked",
        title,
        FAIL,
        evidence(lines),
        command,
        "The attack reaches the softswitch: it spends CPU, fills conntrack, and may guess a "
        "password.",
        " ; ".join(f"iptables -I INPUT -s {ip} -j DROP" for ip in open_ips[:5]),
        refs=refs(Ref(ip=ip) for ip in open_ips),
    )


def _firewall_sip(run: _Run) -> Check:
    title = "Does the firewall let SIP in from the gateway?"
    command = "iptables -L INPUT -v -n --line-numbers"
    firewall = getattr(run.ctx.host, "firewall", None) if run.ctx.host is not None else None
    if firewall is None or not firewall.ok:
        return Check(
            "firewall_sip",
            title,
            MANUAL,
            ("no firewall data: look for DROP/REJECT rules on the SIP port and the gateway IP",),
            command,
        )
    sources = {r.source.rpartition(":")[0] for r in run.ctx.snap.registrations}
    lines = []
    for rule in firewall.sip_rules():
        if rule.target not in ("DROP", "REJECT"):
            continue
        moving = rule.packets_per_second
        covers = [ip for ip in sources if rule.spec.source and source_covers(rule.spec.source, ip)]
        if covers or (not rule.spec.source and moving):
            lines.append(
                f"{rule.chain} rule {rule.index} {rule.target}: {rule.words or rule.text} "
                f"({rule.packets} packets"
                + (f", {moving:.1f}/s" if moving else "")
                + ")"
                + (f" covers {', '.join(sorted(covers)[:3])}" if covers else "")
            )
    if not lines:
        return Check(
            "firewall_sip",
            title,
            PASS,
            ("no SIP DROP/REJECT rule covers the registering sources or is dropping now",),
            command,
        )
    return Check(
        "firewall_sip",
        title,
        FAIL,
        evidence(lines),
        command,
        "A firewall rule drops SIP from the gateway (or drops SIP right now).",
        "Insert an ACCEPT for the gateway's IP before that rule.",
    )


# -- the symptoms -----------------------------------------------------------------------

_PROCESS = _from_rules(
    "softswitch_running",
    "Is the softswitch running (no process down or restarting)?",
    ("host.process_down", "host.process_restarts"),
    have_data=_has_host("processes"),
    ok=_host_ok("every watched softswitch process is running, none restarted"),
    no_data="no host data",
    command="ps -ef | grep -i -E 'mbx|vos|sip'",
)
_CONNTRACK = _from_rules(
    "conntrack",
    "Is the conntrack table far from full?",
    ("host.conntrack",),
    have_data=_has_host("conntrack"),
    ok=_host_ok("conntrack below its warning level, no drops"),
    no_data="no host data",
    command="conntrack -C; sysctl net.netfilter.nf_conntrack_max",
)
_UDP = _from_rules(
    "udp_buffers",
    "Are UDP packets received without loss (no receive-buffer errors)?",
    ("host.udp_errors",),
    have_data=_has_host("udp"),
    ok=_host_ok("no UDP receive errors now"),
    no_data="no host data",
    command="netstat -su | grep -i -E 'errors|buffer'",
)
_CPU = _from_rules(
    "cpu",
    "Is there CPU to spare?",
    ("host.cpu",),
    have_data=_has_host("system"),
    ok=_host_ok("CPU below the warning level"),
    no_data="no host data",
    command="top -H -o %CPU",
)


CAPTURE = (
    "tcpdump -ni any -s0 -w /tmp/sip.pcap port 5060 (a minute), then vostui doctor /tmp/sip.pcap"
)


def _rule_step(
    id: str, title: str, rules: tuple[str, ...], ok: str, have: Callable[[_Run], bool] = _has_calls
) -> StepFn:
    return _from_rules(
        id,
        title,
        rules,
        have_data=have,
        ok=_count(ok),
        no_data="no calls in the data" if have is _has_calls else "no SIP traffic to judge",
        command=CAPTURE,
    )


_REG_DATA = "registrations: {registrations}"

SYMPTOM_STEPS: dict[str, tuple[Symptom, tuple[StepFn, ...]]] = {}


def _symptom(symptom: Symptom, *steps: StepFn) -> None:
    SYMPTOM_STEPS[symptom.id] = (symptom, steps)


_symptom(
    Symptom(
        "gateway_wont_register",
        "Gateway won't register",
        "A gateway, trunk or phone does not get registered to the softswitch.",
        (
            "registration.no_response",
            "registration.not_found",
            "registration.challenge_loop",
            "registration.forbidden",
            "registration.expires",
            "nat.private_contact",
            "host.process_down",
        ),
    ),
    _from_rules(
        "register_seen",
        "Do the gateway's REGISTERs reach the softswitch, and get an answer?",
        ("registration.no_response",),
        have_data=_has_regs,
        ok=_count("{registrations} registration(s) seen, every REGISTER answered"),
        no_data="no REGISTER in the data: capture on the softswitch while the gateway registers",
        command="tcpdump -ni any -s0 port 5060 and host <gateway IP>",
    ),
    _firewall_sip,
    _PROCESS,
    _from_rules(
        "account_known",
        "Does the softswitch know the account (no 404)?",
        ("registration.not_found",),
        have_data=_has_regs,
        ok=_count("no REGISTER answered 404"),
        no_data="no REGISTER in the data",
    ),
    _from_rules(
        "password",
        "Is the password right (no 401 loop, no 403)?",
        ("registration.challenge_loop", "registration.forbidden", "scan.brute_force"),
        have_data=_has_regs,
        ok=_count("no account challenged again and again or refused"),
        no_data="no REGISTER in the data",
    ),
    _from_rules(
        "nat",
        "Is the gateway reachable where it says it is (no private Contact behind NAT)?",
        ("nat.private_contact",),
        have_data=_has_regs,
        ok=_count("no private Contact from a public (or loopback) source"),
        no_data="no REGISTER in the data",
    ),
    _from_rules(
        "expires",
        "Is the registration interval sane?",
        ("registration.expires",),
        have_data=_has_regs,
        ok=_count("registration intervals within range"),
        no_data="no REGISTER in the data",
    ),
)

_symptom(
    Symptom(
        "no_audio",
        "No audio or one-way audio",
        "Calls connect but one or both sides hear nothing.",
        (
            "media.private_sdp",
            "media.public_sdp",
            "nat.private_contact",
            "codec.no_common",
            "gateway.short_calls",
        ),
    ),
    _rule_step(
        "sdp_address",
        "Does every SDP give a media address the other side can reach?",
        ("media.private_sdp",),
        "{calls} call(s): no private media address behind a non-private source",
    ),
    _rule_step(
        "sdp_public_from_lan",
        "Does any LAN endpoint announce a public address the softswitch must hairpin to?",
        ("media.public_sdp",),
        "no public media address announced from a private source",
    ),
    _hold_or_inactive,
    _rule_step(
        "codecs",
        "Do both sides share a codec?",
        ("codec.no_common",),
        "no 488 and no answer without a common codec",
    ),
    _rtp_firewall,
    _manual(
        "rtp_flowing",
        "Is RTP flowing both ways during a call?",
        "tcpdump -ni any -c 100 udp portrange 10000-60000 and host <endpoint IP>",
        "vostui does not decode RTP: capture during a test call and look for packets in "
        "both directions (or use sngrep's RTP view).",
        "RTP arrives from one side only: NAT or firewall on the other side's path.",
        "Enable the softswitch's media proxy / NAT for that gateway; open the RTP range.",
    ),
    _rule_step(
        "short_calls",
        "Do callers hang up within seconds (a sign of no audio)?",
        ("gateway.short_calls",),
        "no gateway with a high share of very short calls",
        _has_answered,
    ),
)

_symptom(
    Symptom(
        "drop_32s",
        "Calls drop at about 32 seconds",
        "Calls connect and then drop after about half a minute, every time.",
        (
            "call.no_ack",
            "nat.private_contact",
            "session.refresh_missing",
            "session.interval_too_small",
        ),
    ),
    _rule_step(
        "ack",
        "Is every 200 OK acknowledged (ACK seen)?",
        ("call.no_ack",),
        "{answered} answered call(s), every 200 OK ACKed",
        _has_answered,
    ),
    _drops_near_32,
    _rule_step(
        "contact",
        "Is the Contact of each side reachable (no private Contact behind NAT)?",
        ("nat.private_contact",),
        "no private Contact from a non-private source",
    ),
    _rule_step(
        "session_refresh",
        "Are session timers refreshed in time?",
        ("session.refresh_missing", "session.interval_too_small"),
        "no session timer ran out unrefreshed, no 422",
        _has_answered,
    ),
    _manual(
        "sip_alg",
        "Is a SIP ALG rewriting the messages on the way?",
        "lsmod | grep -E 'nf_(conntrack|nat)_sip'; on the customer's router: turn SIP ALG off",
        "A SIP ALG rewrites Contact/Via and breaks the ACK's path. vostui cannot see a router "
        "in between: compare the Contact sent with the Contact received.",
        "A SIP ALG (router or nf_nat_sip) rewrites addresses inconsistently.",
        "Disable the SIP ALG (rmmod nf_nat_sip nf_conntrack_sip on Linux; router setting).",
    ),
)

_symptom(
    Symptom(
        "calls_fail",
        "Calls fail",
        "Calls do not connect: errors, fast busy, or nothing happens.",
        (
            "gateway.low_asr",
            "gateway.failover",
            "gateway.capacity",
            "gateway.dial_plan",
            "gateway.forbidden",
            "gateway.unreachable",
            "gateway.busy",
            "gateway.cancelled",
            "codec.no_common",
            "session.interval_too_small",
            "session.retried_422",
            "host.process_down",
            "host.conntrack",
            "host.udp_errors",
        ),
    ),
    _PROCESS,
    _low_asr_gateways,
    _failure_step(
        "capacity", "Do the vendors have capacity (no 503/500 bursts)?", "gateway.capacity"
    ),
    _failure_step(
        "unreachable",
        "Are the gateways reachable (no 408/480, no unanswered INVITEs)?",
        "gateway.unreachable",
    ),
    _failure_step(
        "dial_plan",
        "Are numbers sent in the format the vendor expects (no 404/484)?",
        "gateway.dial_plan",
    ),
    _failure_step(
        "authorisation",
        "Does the vendor accept our calls (no 403/402: IP, account, balance)?",
        "gateway.forbidden",
    ),
    _rule_step(
        "codecs",
        "Do both sides share a codec (no 488)?",
        ("codec.no_common",),
        "no call failed on codecs",
    ),
    _rule_step(
        "session_timer",
        "Is the session timer acceptable to the vendor (no 422)?",
        ("session.interval_too_small", "session.retried_422"),
        "no 422",
    ),
    _CONNTRACK,
    _UDP,
    _failure_step(
        "busy_cancel",
        "Are failures just busy numbers or callers giving up?",
        "gateway.busy",
        "gateway.cancelled",
    ),
    _rule_step(
        "failover",
        "Does a dead route make calls fail over (calls complete elsewhere, set-up longer)?",
        ("gateway.failover",),
        "no route failed while its calls completed on the next one",
    ),
)

_symptom(
    Symptom(
        "low_asr",
        "Low ASR",
        "Fewer calls are answered than usual (answer-seizure ratio down).",
        (
            "gateway.asr_drop",
            "gateway.low_asr",
            "gateway.failover",
            "gateway.capacity",
            "gateway.dial_plan",
            "gateway.forbidden",
            "gateway.unreachable",
            "gateway.busy",
            "gateway.long_pdd",
            "gateway.short_calls",
        ),
    ),
    _rule_step(
        "asr_drop",
        "Has a gateway's ASR fallen against its own recent level?",
        ("gateway.asr_drop",),
        "no gateway's ASR fell against its own level",
    ),
    _low_asr_gateways,
    _failure_step(
        "failure_codes",
        "Which failure dominates (capacity, dial plan, authorisation, unreachable)?",
        "gateway.capacity",
        "gateway.dial_plan",
        "gateway.forbidden",
        "gateway.unreachable",
        what="faults (capacity, dial plan, authorisation, unreachable)",
    ),
    _rule_step(
        "pdd",
        "Is call setup fast enough that callers wait for it?",
        ("gateway.long_pdd",),
        "no gateway with a long post-dial delay",
    ),
    _failure_step("busy", "Is it busy numbers (486/600) rather than faults?", "gateway.busy"),
    _rule_step(
        "acd",
        "Are answered calls kept (no collapse of the call duration)?",
        ("gateway.short_calls",),
        "no gateway with a high share of very short calls",
        _has_answered,
    ),
)

_symptom(
    Symptom(
        "dtmf",
        "DTMF not working",
        "Digits pressed during a call (IVR, voicemail, PIN) do not arrive.",
        ("dtmf.mismatch", "dtmf.inband_g729"),
    ),
    _rule_step(
        "dtmf_legs",
        "Do both legs of each call use the same DTMF method?",
        ("dtmf.mismatch",),
        "telephone-event on both legs, or on neither, of every paired call",
        _has_answered,
    ),
    _te_negotiated,
    _rule_step(
        "g729_inband",
        "Is DTMF sent in-band over G.729?",
        ("dtmf.inband_g729",),
        "no G.729 call without telephone-event",
        _has_answered,
    ),
    _manual(
        "dtmf_capture",
        "Do the digits arrive at the softswitch?",
        "tshark -i any -Y 'rtpevent || sip.Method == \"INFO\"' (press digits on a test call)",
        "vostui does not decode RTP events: capture during a test call and press digits.",
        "",
        "Set RFC 2833 on both gateways, or enable DTMF conversion on the softswitch.",
    ),
)

_symptom(
    Symptom(
        "scanner_attack",
        "Under scanner attack",
        "Unknown IPs flood the SIP port, try accounts or guess passwords.",
        (
            "scan.signature",
            "scan.options_flood",
            "scan.brute_force",
            "scan.enumeration",
            "scan.invite_flood",
            "scan.distributed_guessing",
            "host.conntrack",
            "host.udp_errors",
            "logs.failed_logins",
        ),
    ),
    _rule_step(
        "signatures",
        "Are known scanning tools probing the softswitch?",
        ("scan.signature",),
        "{sources} source(s), none with a scanner signature",
        lambda run: bool(run.ctx.snap.sources),
    ),
    _rule_step(
        "guessing",
        "Is anyone guessing passwords or enumerating extensions?",
        ("scan.brute_force", "scan.enumeration", "scan.distributed_guessing"),
        "no source with many auth failures or many accounts, no slow guessing spread over sources",
        lambda run: bool(run.ctx.snap.sources),
    ),
    _rule_step(
        "flood",
        "Is anyone flooding OPTIONS or INVITEs?",
        ("scan.options_flood", "scan.invite_flood"),
        "no source above the OPTIONS or INVITE flood rate",
        lambda run: bool(run.ctx.snap.sources),
    ),
    _attacker_registered,
    _attackers_blocked,
    _CONNTRACK,
    _UDP,
    _from_rules(
        "logins",
        "Is anyone guessing SSH passwords on the host?",
        ("logs.failed_logins",),
        have_data=_has_logs,
        ok=_host_ok("no IP with many failed logins in the logs"),
        no_data="no log data",
        command="grep -c 'Failed password' /var/log/secure",
    ),
)

_symptom(
    Symptom(
        "call_wont_hang_up",
        "Call won't hang up",
        "A call stays up on the softswitch after the people hung up.",
        ("call.never_ending",),
    ),
    _rule_step(
        "never_ending",
        "Are calls up longer than the maximum call duration?",
        ("call.never_ending",),
        "no call up past max_call_seconds",
        _has_answered,
    ),
    _bye_answered,
    _session_timers_used,
    _manual(
        "media_timeout",
        "Does the softswitch hang up calls without RTP?",
        "the softswitch's settings: RTP/media timeout, maximum call duration",
        "vostui cannot read the softswitch's settings.",
        "",
        "Enable the media timeout (e.g. 60 s without RTP) and a maximum call duration.",
    ),
)

_symptom(
    Symptom(
        "slow_setup",
        "Slow call setup or high CPU",
        "Calls take long to ring, or the server is busy.",
        (
            "gateway.long_pdd",
            "gateway.failover",
            "host.cpu",
            "host.udp_errors",
            "scan.options_flood",
        ),
    ),
    _rule_step(
        "pdd",
        "Which gateways take long to ring?",
        ("gateway.long_pdd",),
        "no gateway with a long post-dial delay",
    ),
    _rule_step(
        "failover",
        "Do calls wait for a dead route before the next one is tried?",
        ("gateway.failover",),
        "no route failed while its calls completed on the next one",
    ),
    _invite_resends,
    _CPU,
    _UDP,
    _rule_step(
        "flood",
        "Is a flood eating the CPU?",
        ("scan.options_flood", "scan.brute_force"),
        "no flood or password guessing",
        lambda run: bool(run.ctx.snap.sources),
    ),
    _manual(
        "dns",
        "Are gateways addressed by name (slow DNS)?",
        "time getent hosts <gateway name>; cat /etc/resolv.conf",
        "A slow or dead DNS server adds seconds to every call routed by name.",
        "",
        "Use IP addresses for gateways, or fix the resolver.",
    ),
)

SYMPTOMS: tuple[Symptom, ...] = tuple(symptom for symptom, _steps in SYMPTOM_STEPS.values())


def symptom(name: str) -> Symptom:
    """The symptom by id; raises KeyError with the valid ids."""
    entry = SYMPTOM_STEPS.get(name)
    if entry is None:
        raise KeyError(f"unknown symptom {name!r}; one of: {', '.join(SYMPTOM_STEPS)}")
    return entry[0]


def run_checklist(
    name: str,
    engine_snap: EngineSnapshot,
    host: Any = None,
    logs: Any = None,
    config: Any = None,
    *,
    findings: tuple[Finding, ...] | None = None,
    settings: Settings | None = None,
) -> Checklist:
    """Run one symptom's checklist. Pass `findings` from a `diagnose` of the same
    snapshots to avoid running the rules twice."""
    chosen = symptom(name)
    _symptom_obj, steps = SYMPTOM_STEPS[name]
    settings = settings or Settings.from_config(config)
    if findings is None:
        findings = diagnose(engine_snap, host, logs, config, settings=settings)
    ctx = Context(engine_snap, host, logs, settings, reuse_facts=True)
    run = _Run(ctx, findings, settings)
    for finding in findings:
        run.by_rule.setdefault(finding.rule, []).append(finding)
    results = tuple(step(run) for step in steps)
    failed = [step for step in results if step.status == FAIL]
    seen = [step for step in results if step.status == SEEN]
    contributors = sorted(
        (c for step in results if step.status in (FAIL, SEEN) for c in step.contributors),
        key=lambda c: -c[0],
    )
    largest = (
        " Largest contributors: " + "; ".join(text for _n, text in contributors[:4]) + "."
        if contributors
        else ""
    )
    if failed:
        first = failed[0]
        conclusion = (first.cause or first.title) + largest
        fix = first.fix
    elif seen:
        # Something is there, in amounts no rule calls a problem by itself: say what.
        conclusion = (
            "No single cause stands out; the data shows: "
            + "; ".join(step.evidence[0] for step in seen if step.evidence)
            + "."
            + largest
        )
        fix = seen[0].fix
    else:
        manual = [step for step in results if step.status in (MANUAL, NOT_CHECKED)]
        conclusion = "Nothing in the data explains it." + (
            " Do the steps vostui could not check: " + "; ".join(step.title for step in manual)
            if manual
            else ""
        )
        fix = manual[0].command if manual else ""
    related = tuple(f for f in findings if f.rule in chosen.rules)
    return Checklist(name, chosen.title, results, conclusion, fix, related)
