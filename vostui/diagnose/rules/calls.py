"""Calls that drop or never end: the missing ACK, session timers, lost BYEs."""

from __future__ import annotations

from vostui.diagnose.context import (
    Context,
    call_line,
    find,
    first_request,
    header_line,
    is_invite_response,
    message_line,
    unreachable_from,
)
from vostui.diagnose.finding import (
    CRITICAL,
    GATEWAY,
    INFO,
    NOTICE,
    WARNING,
    Affected,
    Finding,
    covering,
    evidence,
    over_calls,
)
from vostui.engine.snapshot import CallView, LegView, MessageRecord
from vostui.report import seconds

EXAMPLES = 3


def _group(items: list[tuple[CallView, LegView]]) -> dict[str, list[tuple[CallView, LegView]]]:
    groups: dict[str, list[tuple[CallView, LegView]]] = {}
    for call, leg in items:
        groups.setdefault(leg.gateway or leg.dst, []).append((call, leg))
    return groups


def no_ack(ctx: Context) -> list[Finding]:
    """A 2xx to INVITE never ACKed: the callee resends its 200 OK and hangs up at 32 s.

    Answered, never ACKed, and the callee has noticed: the engine's 32 s timer ran out,
    or the 200 OK was resent three times (3.5 s without an ACK). A BYE that arrives
    right at 32 s can beat the engine's timer, so the resends decide too.
    """
    hits = ctx.calls.unacked
    out = []
    answered = ctx.calls.answered_calls
    for gateway, items in _group(hits).items():
        lines: list[str] = []
        private_contact = False
        for call, leg in items[:EXAMPLES]:
            lines.append(call_line(call, ctx.now))
            ok = find(leg, is_invite_response(200))
            if ok is not None:
                lines.append(message_line(ok, f"resent {leg.ok_retransmissions} times, no ACK"))
                lines.append(header_line(ok, "contact", "Contact"))
                lines.append(header_line(ok, "record-route", "Record-Route"))
                contact = ok.msg.contacts[0].uri.host if ok.msg.contacts else ""
                if contact and unreachable_from(contact, ok.src):
                    private_contact = True
            bye = find(leg, lambda r: r.msg.is_request and r.msg.method == "BYE")
            if bye is not None and leg.answered is not None:
                lines.append(message_line(bye, f"{seconds(bye.ts - leg.answered)} after answer"))
        count = len(items)
        many = answered >= 4 and count * 2 >= answered
        cause = (
            "The caller never sends (or never gets through with) the ACK to the 200 OK, so "
            "the callee resends the 200 and gives up after 64*T1 = 32 s. "
        )
        if private_contact:
            cause += (
                "The 200 OK's Contact is a private address the caller cannot reach: the ACK "
                "goes to the wrong place (NAT without a SIP-aware fix-up)."
            )
        else:
            cause += (
                "Usually NAT (the 200 OK never reaches the caller, or the ACK's path is "
                "closed), a wrong Contact in the 200 OK, or a Record-Route the caller "
                "cannot follow."
            )
        out.append(
            Finding(
                rule="call.no_ack",
                severity=CRITICAL if many else WARNING,
                title=f"{count} call(s) via {gateway}: 200 OK never ACKed, call drops at 32 s",
                affected=Affected(GATEWAY, gateway),
                evidence=evidence(lines),
                cause=cause,
                check=(
                    "Open the call's ladder: 200 OK resent, no ACK, BYE about 32 s after "
                    "answer. Compare the 200's Contact and Record-Route with where the ACK "
                    "must go; capture on both sides: tcpdump -ni any -s0 -w /tmp/ack.pcap "
                    "port 5060"
                ),
                fix=(
                    "Make the Contact in the 200 OK reachable (public IP / NAT address on "
                    "the gateway, 'NAT traversal' on for this gateway in the softswitch), "
                    "turn off a SIP ALG on the router in between, keep Record-Route "
                    "consistent."
                ),
                **covering(call.key for call, _leg in items),
                count=count,
                first=min(leg.start for _c, leg in items),
                last=max(leg.start for _c, leg in items),
                codes=(200,),
            )
        )
    return out


def never_ending(ctx: Context) -> list[Finding]:
    """Calls up longer than `max_call_seconds`: a lost BYE keeps the channel (and the
    bill) running."""
    limit = ctx.settings.max_call_seconds
    if limit <= 0:
        return []
    now = ctx.now
    hung = ctx.calls.hung
    if not hung:
        return []
    groups: dict[str, list[CallView]] = {}
    for call in hung:
        gateway = call.routing_gateway or call.mapping_gateway or call.legs[-1].gateway
        groups.setdefault(gateway or "?", []).append(call)
    out = []
    for gateway, calls in groups.items():
        calls.sort(key=lambda c: c.start)
        lines = [f"up longer than max_call_seconds = {seconds(limit)}"]
        for call in calls[:EXAMPLES]:
            lines.append(call_line(call, now))
            last = max(
                (r for leg in call.legs for r in leg.messages), key=lambda r: r.ts, default=None
            )
            if last is not None:
                lines.append(message_line(last, "last message of the call"))
        out.append(
            Finding(
                rule="call.never_ending",
                severity=WARNING,
                title=f"{len(calls)} call(s) via {gateway} up for over {seconds(limit)}, no BYE",
                affected=Affected(GATEWAY, gateway),
                evidence=evidence(lines),
                cause=(
                    "The BYE was lost or never sent: a phone or gateway that crashed or lost "
                    "its network, a BYE blocked by NAT or the firewall, or a media timeout "
                    "that is not enabled. The softswitch keeps the channel and bills it."
                ),
                check=(
                    "Is the far end still sending RTP? tcpdump -ni any -c 50 host <media IP>. "
                    "Look for a BYE in the logs for this Call-ID; check the softswitch's "
                    "current calls list."
                ),
                fix=(
                    "Enable RTP/media timeout (no-media hang-up) and a maximum call duration "
                    "on the softswitch; enable session timers towards this gateway; clear the "
                    "stuck call from the softswitch's console."
                ),
                **covering(call.key for call in calls),
                count=len(calls),
                first=calls[0].start,
                last=calls[-1].start,
            )
        )
    return out


def _offered_se(leg: LegView) -> tuple[MessageRecord | None, int | None]:
    invite = first_request(leg)
    if invite is None:
        return None, None
    return invite, invite.msg.session_expires


def interval_too_small(ctx: Context) -> list[Finding]:
    """422 Session Interval Too Small: the far end wants a longer Session-Expires."""
    out = []
    for gateway, items in _group(ctx.calls.rejected_422).items():
        lines = []
        min_se = offered = None
        for call, leg in items[:EXAMPLES]:
            lines.append(call_line(call, ctx.now))
            invite, se = _offered_se(leg)
            if invite is not None:
                lines.append(message_line(invite))
                lines.append(header_line(invite, "session-expires", "Session-Expires"))
                offered = se if se is not None else offered
            reply = find(leg, is_invite_response(422))
            if reply is not None:
                lines.append(message_line(reply))
                lines.append(header_line(reply, "min-se", "Min-SE"))
                min_se = reply.msg.min_se if reply.msg.min_se is not None else min_se
        detail = ""
        if min_se is not None and offered is not None:
            detail = f": Min-SE {min_se} above the offered Session-Expires {offered}"
        out.append(
            Finding(
                rule="session.interval_too_small",
                severity=WARNING,
                title=f"{len(items)} call(s) to {gateway} refused 422{detail}",
                affected=Affected(GATEWAY, gateway),
                evidence=evidence(lines),
                cause=(
                    "The far end's minimum session interval (Min-SE) is longer than the "
                    "Session-Expires offered. A UA should retry with Session-Expires raised "
                    "to Min-SE; when it does not, the call fails."
                ),
                check=(
                    "Compare Session-Expires in the INVITE with Min-SE in the 422. Check the "
                    "session timer settings of the softswitch for this gateway."
                ),
                fix=(
                    f"Raise the session timer offered to this gateway to at least "
                    f"{min_se if min_se is not None else 'its Min-SE'} seconds (1800 is the "
                    "RFC 4028 default), or disable session timers towards it."
                ),
                **over_calls((call.key, leg.start) for call, leg in items),
                codes=(422,),
            )
        )
    return out


def retried_422(ctx: Context) -> list[Finding]:
    """422 answered and the INVITE sent again with a larger Session-Expires: the call
    goes on, one round trip later."""
    groups: dict[str, list[tuple[CallView, LegView, MessageRecord, MessageRecord, MessageRecord]]]
    groups = {}
    for item in ctx.calls.retried_422:
        groups.setdefault(item[1].gateway or item[1].dst, []).append(item)
    out = []
    for gateway, items in groups.items():
        delays = sorted(retry.ts - invite.ts for _c, _l, invite, _r, retry in items)
        typical = delays[len(delays) // 2]
        lines = [
            f"{len(items)} INVITE(s) answered 422 and sent again; the retry adds "
            f"{typical * 1000:.0f} ms to the set-up (median, max {delays[-1] * 1000:.0f} ms)"
        ]
        for call, _leg, invite, reply, retry in items[:EXAMPLES]:
            lines.append(call_line(call, ctx.now))
            lines.append(message_line(invite))
            lines.append(header_line(invite, "session-expires", "Session-Expires"))
            lines.append(message_line(reply))
            lines.append(header_line(reply, "min-se", "Min-SE"))
            lines.append(message_line(retry, "retried"))
            lines.append(header_line(retry, "session-expires", "Session-Expires"))
        offered = items[0][2].msg.session_expires
        min_se = items[0][3].msg.min_se
        out.append(
            Finding(
                rule="session.retried_422",
                severity=NOTICE if typical > 1.0 else INFO,
                title=(
                    f"{len(items)} call(s) to {gateway}: 422 Session Interval Too Small, "
                    f"retried (+{typical * 1000:.0f} ms)"
                    + (f"; offered {offered} s, Min-SE {min_se} s" if offered and min_se else "")
                ),
                affected=Affected(GATEWAY, gateway),
                evidence=evidence(lines),
                cause=(
                    "The far end wants a longer session interval (Min-SE) than the one "
                    "offered; the caller retries with Session-Expires raised, as RFC 4028 "
                    "says. The call works, one round trip later."
                ),
                check="Compare Session-Expires in the first INVITE with Min-SE in the 422.",
                fix=(
                    f"Offer at least {min_se if min_se else 'the far end' + chr(39) + 's Min-SE'}"
                    " seconds to this gateway from the start (1800 is the RFC 4028 default) "
                    "to save the round trip."
                ),
                **over_calls((call.key, leg.start) for call, leg, _i, _r, _t in items),
                codes=(422,),
            )
        )
    return out


def _refreshed(leg: LegView, start: float, end: float) -> bool:
    """A re-INVITE or UPDATE in the dialog between `start` and `end`."""
    for record in leg.messages:
        msg = record.msg
        if not msg.is_request or not (start < record.ts <= end):
            continue
        if msg.method == "UPDATE" or (msg.method == "INVITE" and msg.to.tag):
            return True
    return False


def refresh_missing(ctx: Context) -> list[Finding]:
    """An agreed session timer that nobody refreshes: the call is torn down (or should
    be) when the interval runs out."""
    now = ctx.now
    hits: list[tuple[CallView, LegView, int]] = []
    for call, leg in ctx.calls.timed:
        se = leg.session_expires or 0
        answered = leg.answered or 0.0
        # RFC 4028: the refresher refreshes at half the interval; the other side hangs
        # up at SE - min(32, SE/3) without one. Past SE with no refresh is certainly
        # missing.
        if leg.talk(now) < se or _refreshed(leg, answered, answered + se):
            continue
        hits.append((call, leg, se))
    groups: dict[str, list[tuple[CallView, LegView, int]]] = {}
    for call, leg, se in hits:
        groups.setdefault(leg.gateway or leg.dst, []).append((call, leg, se))
    out = []
    for gateway, items in groups.items():
        lines = []
        for call, leg, se in items[:EXAMPLES]:
            lines.append(call_line(call, now))
            ok = find(leg, is_invite_response(leg.final_code or 200))
            if ok is not None:
                lines.append(message_line(ok))
                lines.append(header_line(ok, "session-expires", "Session-Expires"))
            lines.append(f"    no re-INVITE or UPDATE within {se} s of the answer")
            if leg.ended is not None and leg.answered is not None:
                lines.append(f"    ended {seconds(leg.ended - leg.answered)} after answer")
        out.append(
            Finding(
                rule="session.refresh_missing",
                severity=WARNING,
                title=(
                    f"{len(items)} call(s) via {gateway}: session timer of "
                    f"{items[0][2]} s never refreshed"
                ),
                affected=Affected(GATEWAY, gateway),
                evidence=evidence(lines),
                cause=(
                    "A session timer was agreed (Session-Expires in the 200 OK) but the "
                    "refresher sent no re-INVITE or UPDATE before it ran out. A strict peer "
                    "hangs up at the interval: calls drop after the same time every time."
                ),
                check=(
                    "Which side is the refresher (refresher=uac/uas in the 200 OK)? Does that "
                    "side support and send refreshes? Look for BYEs at the interval."
                ),
                fix=(
                    "Make the softswitch the refresher, or turn on session-timer refresh "
                    "for this gateway; or raise/disable the session timer towards it."
                ),
                **over_calls((call.key, leg.start) for call, leg, _se in items),
            )
        )
    return out


RULES = (
    ("call.no_ack", "2xx to INVITE never ACKed (drop at 32 s)"),
    ("call.never_ending", "call up past max_call_seconds without BYE"),
    ("session.interval_too_small", "422 with Min-SE above the offer"),
    ("session.refresh_missing", "session timer not refreshed before expiry"),
    ("session.retried_422", "422 answered and the INVITE retried with a larger interval"),
)
CHECKS = (
    no_ack,
    never_ending,
    interval_too_small,
    refresh_missing,
    retried_422,
)
