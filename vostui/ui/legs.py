"""The legs of a call as the call list and the call screen count them.

A call through the B2BUA has its A-leg and one B-leg per route the softswitch tried.
The route taken is the answered B-leg (else the last one); every other B-leg that
ended without an answer (rejected, timed out, cancelled) is a failed attempt: the
failover the final route in the list hides.
"""

from __future__ import annotations

from vostui.engine.snapshot import CallView, LegView

FAILED_MARK = "✗"


def failed_attempts(call: CallView) -> tuple[int, ...]:
    """Indices (in `call.legs`) of the B-legs tried before the route taken, in order."""
    b_legs = [n for n, leg in enumerate(call.legs) if leg.role == "b"]
    if len(b_legs) < 2:
        return ()
    taken = next((n for n in b_legs if call.legs[n].answered is not None), b_legs[-1])
    return tuple(n for n in b_legs if n != taken and _failed(call.legs[n]))


def _failed(leg: LegView) -> bool:
    return leg.answered is None and (leg.ended is not None or leg.final_code >= 300)


def legs_cell(call: CallView) -> str:
    """`2`: the A-leg and one B-leg; `2+1✗`: and one route tried before, failed."""
    failed = len(failed_attempts(call))
    if not failed:
        return str(len(call.legs))
    return f"{len(call.legs) - failed}+{failed}{FAILED_MARK}"


def legs_sort_key(call: CallView) -> tuple[int, int]:
    return (len(failed_attempts(call)), len(call.legs))


def leg_label(call: CallView, index: int) -> str:
    """`leg 2/3 b VEND-2 ✗ rejected 503`: one leg, where it sits, how it ended (its
    Call-ID is under the ladder, with the message)."""
    if not 0 <= index < len(call.legs):
        return "?"
    leg = call.legs[index]
    mark = f"{FAILED_MARK} " if index in failed_attempts(call) else ""
    code = f" {leg.final_code}" if leg.final_code else ""
    return (
        f"leg {index + 1}/{len(call.legs)} {leg.role} {leg.gateway or '-'} {mark}{leg.state}{code}"
    )
