"""Per-gateway health: failed calls by class, ASR against its own level, PDD, short calls.

Each rule reads `Context.legs_by_gateway` (the legs whose outcome is that gateway's)
and, except the ASR rule, only the legs started in the last `recent_seconds`, so an
old incident does not stay on screen for the rest of the day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from vostui.diagnose.context import (
    Context,
    call_line,
    find,
    gave_up,
    is_invite_response,
    message_line,
)
from vostui.diagnose.finding import (
    CAPTURE,
    CRITICAL,
    GATEWAY,
    INFO,
    NOTICE,
    WARNING,
    Affected,
    Finding,
    covering,
    evidence,
)
from vostui.engine.dialog import ENDED
from vostui.engine.snapshot import CallView, LegView, MessageRecord
from vostui.report import seconds
from vostui.sip.codes import lookup

EXAMPLES = 3


@dataclass(frozen=True, slots=True)
class FailureClass:
    rule: str
    codes: frozenset[int]  # 0: no final response at all (timed out)
    what: str  # "busy", in a title
    severity: str
    cause: str
    check: str
    fix: str


FAILURE_CLASSES = (
    FailureClass(
        "gateway.capacity",
        frozenset({500, 502, 503, 504}),
        "capacity or server fault",
        WARNING,
        "The far end is out of channels or capacity (503), overloaded, or its softswitch "
        "fails (500, 502, 504). A vendor sends 503 when its own route behind it is down "
        "or when you exceed your concurrent-call limit.",
        "Concurrent calls and CPS towards this gateway against the agreed limits; the "
        "Reason header and Warning of the 503; the vendor's status. Does failover to the "
        "next route happen?",
        "Lower the concurrency/CPS limit for this gateway, let the softswitch fail over "
        "on 503, move traffic to another vendor, and raise it with the vendor.",
    ),
    FailureClass(
        "gateway.dial_plan",
        frozenset({404, 484, 485, 604}),
        "dial plan (number unknown or incomplete)",
        WARNING,
        "The number does not exist in the far end's dial plan (404, 604) or is incomplete "
        "(484): a wrong prefix or tech prefix added/stripped by the softswitch, a missing "
        "country code, or numbers the vendor does not serve.",
        "Compare the dialled number in the A-leg with the Request-URI of the B-leg; check "
        "the prefix rules of the route and the vendor's number format.",
        "Fix the number translation (prefix add/strip) for this gateway, or route these "
        "destinations to a vendor that serves them.",
    ),
    FailureClass(
        "gateway.forbidden",
        frozenset({401, 402, 403, 407}),
        "authorisation or balance",
        WARNING,
        "The far end refuses the calls: its IP/account authorisation does not accept this "
        "source, credentials are wrong, or the account is out of balance/credit (403, "
        "402).",
        "Is the softswitch's signalling IP the one the vendor authorised? Balance and "
        "status of the account with the vendor; the Reason/Warning of the 403.",
        "Correct the IP or credentials registered with the vendor, top up the account, or "
        "route away from the gateway until it is fixed.",
    ),
    FailureClass(
        "gateway.busy",
        frozenset({486, 600}),
        "busy",
        NOTICE,
        "The called parties are busy (486/600). High rates usually mean retries to the "
        "same numbers, or a vendor that maps other failures to busy.",
        "Are the same numbers called over and over? Does this vendor return 486 far more "
        "often than the others for the same destinations?",
        "Nothing, if the numbers are really busy; otherwise raise false busy with the "
        "vendor and route around it.",
    ),
    FailureClass(
        "gateway.unreachable",
        frozenset({0, 408, 480}),
        "unreachable or no answer",
        WARNING,
        "Nothing answers in time (408, or no final response at all) or the called party "
        "is not reachable (480): a vendor down or firewalled, a wrong IP/port for the "
        "gateway, or far-end phones offline.",
        "Are INVITEs to this gateway retransmitted with no 100 Trying? ping and "
        "tcpdump -ni any host <gateway IP> and port 5060; the softswitch's route timeout.",
        "Fix the gateway's IP/port or the firewall; shorten the no-answer timeout and fail "
        "over to the next route.",
    ),
    FailureClass(
        "gateway.cancelled",
        frozenset({487}),
        "cancelled by the caller",
        INFO,
        "Callers hang up before the answer (CANCEL, 487). Many of them together with long "
        "ringing or a long PDD mean callers give up waiting.",
        "PDD and ring time of these calls; is ringback played to the caller (183/180)?",
        "Shorten the post-dial delay (faster routes, failover timers); make sure early "
        "media/ringback reaches the caller.",
    ),
)


# Failure classes that ordinary wholesale traffic shows every day (numbers that do not
# exist, subscribers absent, barred numbers): a notice while the gateway's ASR is fine.
ORDINARY_CLASSES = frozenset({"gateway.dial_plan", "gateway.unreachable", "gateway.forbidden"})


def _finished(leg: LegView) -> bool:
    return leg.answered is not None or leg.state in ENDED


def _scanner(ctx: Context, gateway: str) -> bool:
    """A "gateway" that is a source the scanner rules report (an INVITE flood, a
    guesser placing calls): its refused calls are the attack's, not a route's."""
    return gateway in ctx.flagged


def _final_record(leg: LegView) -> MessageRecord | None:
    code = leg.final_code
    if not code:
        return None
    return find(leg, is_invite_response(code))


def failures(ctx: Context) -> list[Finding]:
    s = ctx.settings
    rescued = ctx.calls.rescued
    out = []
    for gateway, items in ctx.recent_by_gateway.items():
        if _scanner(ctx, gateway):
            continue
        recent = [(c, leg) for c, leg in items if _finished(leg)]
        if not recent:
            continue
        total = len(recent)
        kept = [leg for _c, leg in recent if leg.call_id not in rescued]
        asr = sum(1 for leg in kept if leg.answered is not None) / len(kept) if kept else 1.0
        for klass in FAILURE_CLASSES:
            hit = [
                (call, leg)
                for call, leg in recent
                if leg.answered is None
                and leg.call_id not in rescued  # completed on the next route: failover
                and leg.final_code in klass.codes
                and (leg.final_code or leg.state == "timed_out")
            ]
            count = len(hit)
            share = count / total
            if count < s.failure_min or share < s.failure_share:
                continue
            codes: dict[int, int] = {}
            for _call, leg in hit:
                codes[leg.final_code] = codes.get(leg.final_code, 0) + 1
            severity = klass.severity
            if klass.rule == "gateway.capacity" and share >= 0.5 and count >= s.min_calls:
                severity = CRITICAL
            if klass.rule == "gateway.cancelled" and share >= 0.5:
                severity = NOTICE
            # Wholesale traffic carries some 404/480/403 every day: while the gateway
            # answers its usual share and this class is not most of the attempts, it is
            # worth a look, not a warning.
            healthy = asr >= s.low_asr and share < 0.5
            if klass.rule in ORDINARY_CLASSES and severity == WARNING and healthy:
                severity = NOTICE
            code_text = ", ".join(
                f"{code or 'no answer'} ×{n}" for code, n in sorted(codes.items())
            )
            lines = [
                f"{count} of {total} finished attempts in the last "
                f"{seconds(s.recent_seconds)} ({share:.0%}): {code_text}; "
                f"the gateway's ASR {asr:.0%}"
            ]
            for code in sorted(c for c in codes if c):
                info = lookup(code)
                lines.append(f"{code} {info.phrase}: {info.meaning}")
            for call, leg in hit[-EXAMPLES:]:
                lines.append(call_line(call, ctx.now))
                record = _final_record(leg)
                if record is not None:
                    lines.append(message_line(record))
                    reason = record.msg.reason_header or record.msg.header("warning")
                    if reason:
                        lines.append(f"    Reason/Warning: {reason}")
            out.append(
                Finding(
                    rule=klass.rule,
                    severity=severity,
                    title=f"{gateway}: {count} of {total} calls failed, {klass.what} ({code_text})",
                    affected=Affected(GATEWAY, gateway),
                    evidence=evidence(lines),
                    cause=klass.cause,
                    check=klass.check,
                    fix=klass.fix,
                    **covering(call.key for call, _leg in reversed(hit)),
                    count=count,
                    first=hit[0][1].start,
                    last=hit[-1][1].start,
                    codes=tuple(sorted(c for c in codes if c)),
                )
            )
    return out


def _asr(items: Sequence[tuple[CallView, LegView]]) -> float:
    return sum(1 for _c, leg in items if leg.answered is not None) / len(items)


def asr_drop(ctx: Context) -> list[Finding]:
    """A gateway's ASR over its latest attempts against its own level before them."""
    s = ctx.settings
    out = []
    rescued = ctx.calls.rescued
    for gateway, items in ctx.legs_by_gateway.items():
        if _scanner(ctx, gateway):
            continue
        # a leg whose call completed on the next route is gateway.failover's
        done = [(c, leg) for c, leg in items if _finished(leg) and leg.call_id not in rescued]
        if len(done) < s.asr_recent_calls + s.asr_baseline_min:
            continue
        recent = done[-s.asr_recent_calls :]
        before = done[-(s.asr_recent_calls + 10 * s.asr_recent_calls) : -s.asr_recent_calls]
        now_asr, usual = _asr(recent), _asr(before)
        if usual <= 0 or now_asr >= usual * s.asr_drop or usual - now_asr < 0.2:
            continue
        codes: dict[int, int] = {}
        for _call, leg in recent:
            if leg.answered is None:
                codes[leg.final_code] = codes.get(leg.final_code, 0) + 1
        failed = [(c, leg) for c, leg in recent if leg.answered is None]
        lines = [
            f"ASR {now_asr:.0%} over the last {len(recent)} attempts, "
            f"{usual:.0%} over the {len(before)} before",
            "failures now: "
            + ", ".join(f"{code or 'no answer'} ×{n}" for code, n in sorted(codes.items())),
        ]
        lines += [call_line(call, ctx.now) for call, _leg in failed[-EXAMPLES:]]
        out.append(
            Finding(
                rule="gateway.asr_drop",
                severity=CRITICAL if now_asr == 0 else WARNING,
                title=f"{gateway}: ASR fell to {now_asr:.0%} from {usual:.0%}",
                affected=Affected(GATEWAY, gateway),
                evidence=evidence(lines),
                cause=(
                    "Calls through this gateway stopped being answered as they used to: the "
                    "failure codes of the latest attempts say why (capacity, dial plan, "
                    "authorisation, unreachable)."
                ),
                check="See the failure findings for this gateway and the codes listed here.",
                fix=(
                    "Route traffic away from this gateway (lower its priority) until its "
                    "ASR recovers, and raise it with the vendor."
                ),
                **covering(call.key for call, _leg in reversed(failed)),
                count=len(failed),
                first=recent[0][1].start,
                last=recent[-1][1].start,
                codes=tuple(sorted(c for c in codes if c)),
            )
        )
    return out


def long_pdd(ctx: Context) -> list[Finding]:
    s = ctx.settings
    out = []
    for gateway, items in ctx.recent_by_gateway.items():
        timed = [(c, leg) for c, leg in items if leg.pdd is not None]
        if len(timed) < s.failure_min:
            continue
        timed = timed[-s.asr_recent_calls * 5 :]
        delays = [leg.pdd or 0.0 for _c, leg in timed]
        typical = median(delays)
        if typical <= s.long_pdd_seconds:
            continue
        slow = [(c, leg) for c, leg in timed if (leg.pdd or 0.0) > s.long_pdd_seconds]
        lines = [
            f"median PDD {typical:.1f} s over {len(timed)} calls "
            f"(limit {s.long_pdd_seconds:.0f} s), max {max(delays):.1f} s"
        ]
        for call, leg in slow[-EXAMPLES:]:
            lines.append(call_line(call, ctx.now))
            invite = find(leg, lambda r: r.msg.is_request and r.msg.method == "INVITE")
            ring = find(
                leg,
                lambda r: (
                    not r.msg.is_request
                    and 180 <= r.msg.status < 190
                    and r.msg.cseq_method == "INVITE"
                ),
            )
            if invite is not None:
                lines.append(message_line(invite))
            if ring is not None:
                lines.append(message_line(ring, f"PDD {leg.pdd or 0.0:.1f} s"))
        out.append(
            Finding(
                rule="gateway.long_pdd",
                severity=WARNING if typical > 2 * s.long_pdd_seconds else NOTICE,
                title=f"{gateway}: slow call setup, median PDD {typical:.1f} s",
                affected=Affected(GATEWAY, gateway),
                evidence=evidence(lines),
                cause=(
                    "The time from INVITE to ringing is long: the vendor's own routing is "
                    "slow or fails over internally, the softswitch tries dead routes first "
                    "(each costing a timeout), or a slow DNS/ENUM/LNP lookup."
                ),
                check=(
                    "Ladder of a slow call: where does the time go (before 100 Trying, "
                    "between 100 and 180, earlier failed B-legs)? Compare PDD per vendor for "
                    "the same destination."
                ),
                fix=(
                    "Shorten the failover timer of dead routes, put faster vendors first, "
                    "and raise slow PDD with the vendor."
                ),
                **covering(call.key for call, _leg in reversed(slow)),
                count=len(slow),
                first=slow[0][1].start if slow else None,
                last=slow[-1][1].start if slow else None,
                codes=(180,),
            )
        )
    return out


BYE_AFTER_ANSWER = 2.0  # seconds: a far-end BYE this soon after the 200 OK cuts the call


def _far_end_bye(leg: LegView) -> bool:
    """The callee's side sent the BYE within `BYE_AFTER_ANSWER` of the answer."""
    if leg.answered is None:
        return False
    if leg.hangup_by:
        if leg.hangup_by != "callee":
            return False
        return leg.ended is not None and leg.ended - leg.answered <= BYE_AFTER_ANSWER
    caller_ip = leg.src.rpartition(":")[0]
    for record in leg.messages:
        msg = record.msg
        if msg.is_request and msg.method == "BYE":
            return record.src != caller_ip and record.ts - leg.answered <= BYE_AFTER_ANSWER
    return False


def short_calls(ctx: Context) -> list[Finding]:
    """Share of very short answered calls: the ACD collapsing. Short calls alone are
    not a problem (test calls are short): a warning needs corroboration, the far end
    hanging up right after the answer in most of them, or the share rising against the
    gateway's own earlier calls; else a notice (short all along) or info."""
    s = ctx.settings
    out = []
    for gateway, items in ctx.legs_by_gateway.items():
        talked = [
            (c, leg)
            for c, leg in ctx.recent_by_gateway.get(gateway, ())
            if leg.answered is not None and leg.ended is not None
        ]
        if len(talked) < s.min_calls:
            continue
        short = [(c, leg) for c, leg in talked if leg.talk(ctx.now) < s.short_call_seconds]
        share = len(short) / len(talked)
        if share < s.short_call_share:
            continue
        acd = sum(leg.talk(ctx.now) for _c, leg in talked) / len(talked)
        earlier = [
            leg
            for _c, leg in items
            if leg.answered is not None
            and leg.ended is not None
            and leg.start < ctx.now - s.recent_seconds
        ]
        lines = [
            f"{len(short)} of {len(talked)} answered calls under "
            f"{s.short_call_seconds:.0f} s ({share:.0%}), ACD {acd:.1f} s"
        ]
        chronic = rose = False
        if earlier:
            before = sum(1 for leg in earlier if leg.talk(ctx.now) < s.short_call_seconds)
            lines.append(f"before: {before} of {len(earlier)} ({before / len(earlier):.0%})")
            if len(earlier) >= s.min_calls:
                chronic = before / len(earlier) >= s.short_call_share
                rose = before / len(earlier) < s.short_call_share / 2
        # Within the stretch: the calls before the first short one were long.
        first_short = min(leg.start for _c, leg in short)
        lead = [leg for _c, leg in talked if leg.start < first_short]
        if len(lead) >= s.min_calls and not rose and not chronic:
            rose = True
            lines.append(f"the {len(lead)} answered calls before the first short one lasted longer")
        cut = sum(1 for _c, leg in short if _far_end_bye(leg))
        far_end = cut * 2 >= len(short)
        if cut:
            lines.append(
                f"the far end hung up within {BYE_AFTER_ANSWER:.0f} s of its answer in "
                f"{cut} of {len(short)} short calls"
            )
        if far_end or rose:
            severity, note = WARNING, ""
        elif chronic:
            severity, note = NOTICE, ", as before"
        else:
            severity, note = INFO, " (nothing else says they are cut)"
            lines.append(
                "no corroboration: the callers hang up, and there is no earlier level to "
                "compare with (test calls are often this short)"
            )
        for call, leg in short[-EXAMPLES:]:
            lines.append(call_line(call, ctx.now))
            bye = find(leg, lambda r: r.msg.is_request and r.msg.method == "BYE")
            if bye is not None:
                lines.append(message_line(bye, f"{leg.talk(ctx.now):.1f} s after answer"))
        out.append(
            Finding(
                rule="gateway.short_calls",
                severity=severity,
                title=f"{gateway}: {share:.0%} of answered calls last under "
                f"{s.short_call_seconds:.0f} s (ACD {acd:.1f} s)" + note,
                affected=Affected(GATEWAY, gateway),
                evidence=evidence(lines),
                cause=(
                    "Callers hang up right after the answer: no audio or one-way audio, "
                    "bad quality, a wrong destination (announcement, fax), or false answer "
                    "supervision by the vendor (answering before the called party does)."
                    if far_end or rose
                    else "Many answered calls are very short. Alone this is not a fault "
                    "(test calls, IVR checks, callbacks are short): look for a far-end BYE "
                    "right after the answer or a change against before."
                ),
                check=(
                    "Who sends the BYE (caller or callee)? Listen to a test call through "
                    "this gateway; check RTP both ways; look for 200 OK right after 183."
                ),
                fix=(
                    "Fix the audio path (NAT, codecs) if the caller hangs up; route away "
                    "from the vendor if it answers falsely."
                ),
                **covering(call.key for call, _leg in reversed(short)),
                count=len(short),
                first=short[0][1].start,
                last=short[-1][1].start,
            )
        )
    return out


CALLERS_CODES = frozenset({486, 600, 487, 603})  # busy, cancelled, declined: not a fault


def class_of(leg: LegView) -> str:
    """The failure class of an unanswered leg, in words ("busy", ...)."""
    code = leg.final_code
    for klass in FAILURE_CLASSES:
        if code in klass.codes:
            return klass.what
    if not code:
        return "unreachable or no answer"
    return "other"


def breakdown(items: Sequence[tuple[CallView, LegView]], total: int) -> list[str]:
    """Failed attempts by failure class, largest first: "busy 8 (17 %): 486 ×8"."""
    by_class: dict[str, dict[int, int]] = {}
    for _call, leg in items:
        codes = by_class.setdefault(class_of(leg), {})
        codes[leg.final_code] = codes.get(leg.final_code, 0) + 1
    lines = []
    for what, codes in sorted(by_class.items(), key=lambda kv: -sum(kv[1].values())):
        n = sum(codes.values())
        code_text = ", ".join(f"{code or 'no answer'} ×{k}" for code, k in sorted(codes.items()))
        lines.append(f"{what}: {n} of {total} ({n / total:.0%}): {code_text}")
    return lines


def low_asr(ctx: Context) -> list[Finding]:
    """A gateway that answers few of its attempts, whatever the share of each failure
    class; and all calls together when several gateways share the failures."""
    s = ctx.settings
    rescued = ctx.calls.rescued
    out = []
    for gateway, items in ctx.recent_by_gateway.items():
        if _scanner(ctx, gateway):
            continue
        done = [(c, leg) for c, leg in items if _finished(leg) and leg.call_id not in rescued]
        if len(done) < s.min_calls:
            continue
        failed = [(c, leg) for c, leg in done if leg.answered is None]
        asr = 1 - len(failed) / len(done)
        if asr >= s.low_asr:
            continue
        lines = [
            f"ASR {asr:.0%}: {len(done) - len(failed)} of {len(done)} finished attempts "
            f"answered in the last {seconds(s.recent_seconds)} (limit {s.low_asr:.0%})",
            *breakdown(failed, len(done)),
        ]
        lines += [call_line(call, ctx.now) for call, _leg in failed[-EXAMPLES:]]
        codes = sorted({leg.final_code for _c, leg in failed if leg.final_code})
        # Broken now: nothing answered, and mostly for faults, not busy or cancelled;
        # and a route: a configured gateway, or one that answered calls before. An
        # unknown address whose calls are all refused may be a caller dialling
        # nonsense or a probe, not a route that broke.
        callers = sum(1 for _c, leg in failed if leg.final_code in CALLERS_CODES)
        route = ctx.configured_gateway(gateway) or ctx.answered_before(gateway)
        broken = asr == 0 and callers * 2 < len(failed) and route
        out.append(
            Finding(
                rule="gateway.low_asr",
                severity=CRITICAL if broken else WARNING,
                title=f"{gateway}: ASR {asr:.0%}, {len(failed)} of {len(done)} calls not answered",
                affected=Affected(GATEWAY, gateway),
                evidence=evidence(lines),
                cause=(
                    "Most calls through this gateway are not answered. The largest failure "
                    "class above says why: busy or cancelled calls are the callers' "
                    "business; dial plan, authorisation, capacity and unreachable are a "
                    "route or vendor fault."
                    + (" No call at all is answered: the route is broken." if broken else "")
                ),
                check=(
                    "vostui analyze FILE --gateways; the ladders of a few failed calls; "
                    "compare with the other vendors for the same destinations."
                ),
                fix=(
                    "Fix the largest failure class first (number format, IP authorisation, "
                    "capacity limits); lower the gateway's priority until its ASR recovers."
                ),
                **covering(call.key for call, _leg in reversed(failed)),
                count=len(failed),
                first=failed[0][1].start if failed else None,
                last=failed[-1][1].start if failed else None,
                codes=tuple(codes),
            )
        )
    out += _low_asr_overall(ctx, bool(out))
    return out


LOW_ASR_NOTICE_CALLS = 5  # calls before a low answer rate overall is worth a notice


def _low_asr_overall(ctx: Context, per_gateway_found: bool) -> list[Finding]:
    """All calls of the recent stretch (less those placed by sources the scanner rules
    report): a warning when their failures spread over gateways; else, when no
    gateway's own finding says it, a notice from `LOW_ASR_NOTICE_CALLS` calls (a low
    answer rate is always a finding)."""
    s = ctx.settings
    since = ctx.now - s.recent_seconds
    flagged = ctx.flagged
    calls = [
        c
        for c in ctx.snap.calls
        if c.start >= since
        and (c.answered or c.ended or any(gave_up(leg) for leg in c.legs))
        and not (c.legs and c.legs[0].src.rpartition(":")[0] in flagged)
    ]
    if len(calls) < min(LOW_ASR_NOTICE_CALLS, s.min_calls):
        return []
    failed = [c for c in calls if c.answered is None]
    asr = 1 - len(failed) / len(calls)
    if asr >= s.low_asr:
        return []
    per_gateway: dict[str, list[CallView]] = {}
    for call in failed:
        via = call.routing_gateway or call.mapping_gateway or call.legs[-1].gateway or "?"
        per_gateway.setdefault(via, []).append(call)
    if len(calls) >= s.min_calls and len(per_gateway) >= 2:
        severity = WARNING
    elif per_gateway_found:
        return []  # the gateway's own finding says it all
    else:
        severity = NOTICE
    legs = [(c, c.legs[-1]) for c in failed]
    lines = [
        f"ASR {asr:.0%}: {len(calls) - len(failed)} of {len(calls)} calls answered"
        + ("" if severity == WARNING else f" (limit {s.low_asr:.0%}; few calls: a notice)"),
        *breakdown(legs, len(calls)),
        "by gateway: "
        + ", ".join(
            f"{name} {len(group)}"
            for name, group in sorted(per_gateway.items(), key=lambda kv: -len(kv[1]))
        ),
    ]
    return [
        Finding(
            rule="gateway.low_asr",
            severity=severity,
            title=f"all calls: ASR {asr:.0%}, {len(failed)} of {len(calls)} not answered",
            affected=Affected(CAPTURE, "calls"),
            evidence=evidence(lines),
            cause="Few calls are answered overall; the classes and gateways above say where.",
            check="vostui analyze FILE --gateways; vostui doctor FILE --symptom calls_fail",
            fix="Fix the largest failure class at the gateway with the most failures first.",
            **covering(call.key for call in reversed(failed)),
            count=len(failed),
            first=failed[0].start if failed else None,
            last=failed[-1].start if failed else None,
            codes=tuple(sorted({c.final_code for c in failed if c.final_code})),
        )
    ]


def failover(ctx: Context) -> list[Finding]:
    """A route that fails while its calls complete on the next route: the vendor is
    down (or out of capacity), the calls are not lost, each costs a retry."""
    rescued = ctx.calls.rescued
    if not rescued:
        return []
    out = []
    for gateway, items in ctx.recent_by_gateway.items():
        done = [(c, leg) for c, leg in items if _finished(leg) or leg.call_id in rescued]
        saved = [(c, leg) for c, leg in done if leg.call_id in rescued]
        if not saved:
            continue
        via: dict[str, int] = {}
        codes: dict[int, int] = {}
        delays = []
        for _call, leg in saved:
            later = rescued[leg.call_id]
            name = later.gateway or later.dst
            via[name] = via.get(name, 0) + 1
            codes[leg.final_code] = codes.get(leg.final_code, 0) + 1
            delays.append(max(0.0, later.start - leg.start))
        down = len(saved) == len(done)
        extra = median(delays)
        longer = f"set-up {extra:.1f} s longer" if extra >= 0.1 else "set-up barely longer"
        code_text = ", ".join(f"{code or 'no answer'} ×{n}" for code, n in sorted(codes.items()))
        via_text = ", ".join(
            f"{name} ({n})" for name, n in sorted(via.items(), key=lambda x: -x[1])
        )
        lines = [
            f"{len(saved)} of {len(done)} attempts failed ({code_text}) and the calls "
            f"completed via {via_text}",
            f"the retry adds {extra:.1f} s to the set-up time (median; max {max(delays):.1f} s)",
        ]
        for call, leg in saved[-EXAMPLES:]:
            lines.append(call_line(call, ctx.now))
            record = _final_record(leg)
            if record is not None:
                lines.append(message_line(record))
        out.append(
            Finding(
                rule="gateway.failover",
                severity=WARNING if down else NOTICE,
                title=(
                    f"{gateway}: {'down' if down else 'failing'}, {len(saved)} call(s) "
                    f"completed via {via_text} ({code_text}); {longer}"
                ),
                affected=Affected(GATEWAY, gateway),
                evidence=evidence(lines),
                cause=(
                    "This route fails (the vendor is down, out of capacity, or does not "
                    "answer) and the softswitch fails over to the next route, where the "
                    "calls complete. No call is lost, but each one waits for the failed "
                    "attempt first, and the next route carries (and bills) the traffic."
                ),
                check=(
                    f"The vendor's status; the failure codes above; how long the softswitch "
                    f"waits before failing over from {gateway} (its no-answer timer)."
                ),
                fix=(
                    f"Raise it with the vendor; lower {gateway}'s priority (or take it out "
                    "of the route) until it recovers, and shorten the failover timer for "
                    "unanswered INVITEs."
                ),
                **covering(call.key for call, _leg in reversed(saved)),
                count=len(saved),
                first=saved[0][1].start,
                last=saved[-1][1].start,
                codes=tuple(sorted(c for c in codes if c)),
            )
        )
    return out


RULES = (
    *((klass.rule, f"failed calls at a gateway: {klass.what}") for klass in FAILURE_CLASSES),
    ("gateway.asr_drop", "ASR below the gateway's own recent level"),
    ("gateway.long_pdd", "long post-dial delay at a gateway"),
    ("gateway.short_calls", "short-call share rising (ACD collapse)"),
    ("gateway.low_asr", "few calls answered at a gateway (or overall), by failure class"),
    ("gateway.failover", "a route fails and its calls complete on the next route"),
)
CHECKS = (failures, asr_drop, long_pdd, short_calls, low_asr, failover)
