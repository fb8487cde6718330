"""Calls: the legs of one call through the B2BUA, paired.

A VOS3000-style softswitch receives the A-leg from a mapping gateway (customer) and
places one or more B-legs, each a new dialog with a new Call-ID, to routing gateways
(vendors), trying the next route when one fails. Nothing in the B-leg names the
A-leg, so legs are paired by this rule:

1. The softswitch is the set of `softswitch_ips` from the config or, where none are
   configured, every ip:port that has both received a new INVITE and sent one.
2. A new INVITE sent by the softswitch is a B-leg. An INVITE it receives is an
   A-leg. Any other INVITE is a call of its own ("direct").
3. A B-leg pairs with an A-leg when:
   - an `X-Call-ID`, `X-CID` or `X-Orig-Call-ID` header in the B-leg names the
     A-leg's Call-ID (decisive when present), or
   - the A-leg started no more than `pairing_window` seconds before, is not yet
     ended, and the last `pairing_digits` digits of the callee numbers agree (the
     B2BUA adds or strips prefixes in front, rarely at the end).
   Among several candidates: first those whose earlier B-legs have all ended (a
   failover retry follows a failed attempt), then those whose caller digits also
   agree, then the most recent A-leg.
   Numbers with fewer than 3 digits (extensions named "alice") must be equal.
   Where no number agrees (a dial plan that rewrites the number entirely), a B-leg
   still pairs by timing alone when exactly one A-leg without any B-leg started in
   the `TIMING_ONLY` (2) seconds before it.
4. A B-leg with no A-leg candidate becomes a call of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vostui.engine.dialog import ENDED, Dialog
from vostui.engine.snapshot import CallView, new_call_view

CORRELATION_HEADERS = ("x-call-id", "x-cid", "x-orig-call-id")
# Failed final states: refused, no answer before a timer ran out, or none in the capture.
PROBLEM_STATES = frozenset({"rejected", "timed_out", "no_answer"})
TIMER_ENDED = frozenset({"timed_out", "no_answer"})  # ended by a timer or the input's end


def digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


MIN_DIGITS = 3
TIMING_ONLY = 2.0


def suffix_match(a: str, b: str, count: int) -> bool:
    """The last `count` digits agree; numbers of fewer than 3 digits must be equal."""
    da, db = digits(a), digits(b)
    if len(da) < MIN_DIGITS or len(db) < MIN_DIGITS:
        return a.lower() == b.lower()
    n = min(count, len(da), len(db))
    return da[-n:] == db[-n:]


@dataclass(slots=True)
class Call:
    key: str
    a: Dialog
    b_legs: list[Dialog] = field(default_factory=list)
    cached: CallView | None = None

    @property
    def legs(self) -> list[Dialog]:
        return [self.a, *self.b_legs]

    @property
    def dirty(self) -> bool:
        return self.cached is None or any(leg.dirty for leg in self.legs)

    @property
    def last_activity(self) -> float:
        return max(leg.last_activity for leg in self.legs)

    @property
    def ended(self) -> bool:
        return all(leg.state in ENDED for leg in self.legs)

    def view(self) -> CallView:
        if not self.dirty and self.cached is not None:
            return self.cached
        legs = tuple(leg.view() for leg in self.legs)
        a = legs[0]
        last_b = legs[-1] if len(legs) > 1 else None
        state = a.state
        final_code = a.final_code
        final_reason = a.final_reason
        if last_b is not None and not a.final_code and last_b.final_code:
            final_code, final_reason = last_b.final_code, last_b.final_reason
        # Ended when every leg has; a B-leg that a timer or the end of the capture ended
        # (the switch had given up on it and failed over) does not make the call longer.
        ended_times = [leg.ended for leg in legs]
        ended = None
        if None not in ended_times:
            ended = max(
                leg.ended
                for n, leg in enumerate(legs)
                if leg.ended is not None and (n == 0 or leg.state not in TIMER_ENDED)
            )
        if a.state in ENDED and ended is None:
            ended = a.ended
        pdd = a.pdd
        # A failed final state, or a 2xx never ACKed (the call drops at 32 s). A B-leg
        # that failed while the next route answered is not (findings judge failover).
        problem = state in PROBLEM_STATES or any(leg.ack_missing for leg in legs)
        self.cached = new_call_view(
            key=self.key,
            legs=legs,
            caller=a.caller,
            callee=a.callee,
            mapping_gateway=a.gateway if a.role == "a" else "",
            routing_gateway=(
                last_b.gateway if last_b is not None else a.gateway if a.role != "a" else ""
            ),
            state=state,
            start=a.start,
            ended=ended,
            pdd=pdd,
            answered=a.answered,
            final_code=final_code,
            final_reason=final_reason,
            problem=problem,
        )
        return self.cached


def choose_a_leg(
    b: Dialog,
    candidates: list[Call],
    correlation: str,
    window: float,
    count: int,
) -> Call | None:
    """Pick the call a new B-leg belongs to (rule 3 above)."""
    if correlation:
        for call in candidates:
            if call.a.call_id == correlation:
                return call
    best: tuple[tuple[int, int, float], Call] | None = None
    lonely: list[Call] = []
    for call in candidates:
        a = call.a
        if a.state in ENDED or b.start - a.start > window or b.start < a.start:
            continue
        if not suffix_match(a.callee, b.callee, count):
            if not call.b_legs and b.start - a.start <= TIMING_ONLY:
                lonely.append(call)
            continue
        free = all(leg.state in ENDED for leg in call.b_legs)
        same_caller = suffix_match(a.caller, b.caller, count)
        rank = (int(free), int(same_caller), a.start)
        if best is None or rank > best[0]:
            best = (rank, call)
    if best is not None:
        return best[1]
    return lonely[0] if len(lonely) == 1 else None
