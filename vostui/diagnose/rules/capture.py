"""What the engine could not see: malformed packets, evicted calls, capped ladders.

Info only: it says how far the other findings can be trusted, not what is wrong.
"""

from __future__ import annotations

from vostui.diagnose.context import Context
from vostui.diagnose.finding import CAPTURE, INFO, Affected, Finding, evidence


def incomplete(ctx: Context) -> list[Finding]:
    counters = ctx.snap.counters
    malformed = sum(n for _r, n in counters.malformed)
    evicted = sum(n for _w, n in counters.evicted)
    dropped = sum(n for _w, n in counters.dropped)
    if not (malformed or evicted or dropped):
        return []
    lines = []
    if malformed:
        lines.append(
            f"{malformed} malformed: "
            + ", ".join(f"{reason} {n}" for reason, n in counters.malformed[:6])
        )
    if evicted:
        lines.append(
            f"{evicted} evicted (over the engine's limits): "
            + ", ".join(f"{what} {n}" for what, n in counters.evicted)
        )
    if dropped:
        lines.append("dropped: " + ", ".join(f"{what} {n}" for what, n in counters.dropped))
    return [
        Finding(
            rule="capture.incomplete",
            severity=INFO,
            title="part of the traffic was not analysed"
            + (f" ({malformed} malformed)" if malformed else ""),
            affected=Affected(CAPTURE, "engine"),
            evidence=evidence(lines),
            cause=(
                "Packets that are not valid SIP (or not SIP at all on a SIP port), or more "
                "calls, registrations or sources than the engine keeps."
            ),
            check="vostui analyze FILE --json | jq .counters",
            fix="Raise max_dialogs / max_sources in the config if calls were evicted.",
            count=malformed + evicted + dropped,
        )
    ]


RULES = (("capture.incomplete", "malformed or evicted traffic (info)"),)
CHECKS = (incomplete,)
