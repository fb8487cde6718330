"""What the engine could not see: malformed packets, evicted calls, capped ladders, and
(live) packets the kernel dropped before tcpdump read them.

`capture.incomplete` is info only: it says how far the other findings can be trusted.
`capture.kernel_drops` is a warning while the count grows: the console is missing
traffic right now, and every figure and finding on it is short by that much.
"""

from __future__ import annotations

from vostui.diagnose.context import Context
from vostui.diagnose.finding import CAPTURE, INFO, NOTICE, WARNING, Affected, Finding, evidence
from vostui.report import clock


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


def kernel_drops(ctx: Context) -> list[Finding]:
    counters = ctx.snap.counters
    dropped = counters.kernel_drops
    if not dropped:
        return []
    grew_at = counters.kernel_drops_at
    recent = grew_at is None or ctx.now - grew_at <= ctx.settings.recent_seconds
    lines = [f"tcpdump: {dropped} packets dropped by kernel"]
    if grew_at is not None:
        lines.append(f"the count last grew at {clock(grew_at)}")
    return [
        Finding(
            rule="capture.kernel_drops",
            severity=WARNING if recent else NOTICE,
            title=f"the kernel dropped {dropped:,} packets: the capture is incomplete"
            + ("" if recent else " (earlier)"),
            affected=Affected(CAPTURE, "kernel"),
            evidence=evidence(lines),
            cause=(
                "Packets came faster than tcpdump took them from the kernel's capture "
                "buffer (a burst, a flood, the CPU starved, vostui busy), and the kernel "
                "dropped what did not fit: the calls, counts and findings on screen miss "
                "those messages."
            ),
            check="The status bar's drops figure; top -H (tcpdump's and vostui's CPU); "
            "vostui host (UDP drops, a flood).",
            fix=(
                "Give tcpdump a bigger kernel buffer (capture_buffer_kib = 16384 in the "
                "config: tcpdump -B) and narrow the capture: the SIP "
                "interface instead of any (vostui -i eth0), only the SIP ports in use "
                "(sip_ports); stop the flood at the firewall."
            ),
            count=dropped,
            last=grew_at,
        )
    ]


RULES = (
    ("capture.incomplete", "malformed or evicted traffic (info)"),
    ("capture.kernel_drops", "live: the kernel dropped packets before tcpdump read them"),
)
CHECKS = (incomplete, kernel_drops)
