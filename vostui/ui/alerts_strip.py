"""Alerts strip: where to look first, in one line (two on a tall terminal).

Diagnosis findings by severity and the most severe one's title come first: they say
what is wrong. Then the raw counts from the snapshot (failed calls by class,
authentication failures, registrations failing, scanning IPs), as many as fit. On a
tall terminal a second line lists the top findings. `!` (or a click here) opens the
list of every finding.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.content import Content
from textual.widgets import Static

from vostui.diagnose import INFO, SEVERITIES, Finding, summary
from vostui.engine.snapshot import EngineSnapshot
from vostui.text import clean_line
from vostui.ui.format import BAD, GOOD, QUIET, WARN, fit

# How each severity reads: a mark (shape, so it survives 16 colours and NO_COLOR), a
# short and a long word, and a theme style.
SEVERITY_MARK = {"critical": "✖", "warning": "▲", "notice": "●", "info": "·"}
SEVERITY_SHORT = {"critical": "crit", "warning": "warn", "notice": "note", "info": "info"}
SEVERITY_STYLE = {
    "critical": BAD,
    "warning": WARN,
    "notice": "$text-accent bold",
    "info": QUIET,
}
TALL = 32  # rows from which the strip takes a second line for the top findings
SEP = ("  │ ", QUIET)

Part = tuple[str, str]


def alert_counts(snapshot: EngineSnapshot) -> dict[str, int]:
    """Counts shown on the strip, by name."""
    counts = {"4xx": 0, "5xx": 0, "6xx": 0, "timeout": 0, "no answer": 0}
    for call in snapshot.calls:
        code = call.final_code
        if code == 408 or call.state == "timed_out":
            counts["timeout"] += 1
        elif call.state == "no_answer":  # unanswered when the capture ended
            counts["no answer"] += 1
        elif 400 <= code < 700:
            counts[f"{code // 100}xx"] += 1
    counts["auth failures"] = sum(s.auth_failures for s in snapshot.sources)
    counts["registrations failing"] = sum(1 for r in snapshot.registrations if r.failing)
    counts["scanners"] = sum(1 for s in snapshot.sources if s.scanner)
    return counts


def width_of(parts: Sequence[Part]) -> int:
    return sum(cell_len(text) for text, _style in parts)


def count_groups(counts: dict[str, int], wide: bool) -> list[list[Part]]:
    """The raw counts as groups, most telling first; zeros are left out."""
    groups: list[list[Part]] = []
    failed = [(name, counts.get(name, 0)) for name in ("4xx", "5xx", "6xx", "timeout", "no answer")]
    if any(value for _name, value in failed):
        group: list[Part] = [("failed calls " if wide else "failed ", "bold")]
        shown = [(name, value) for name, value in failed if value]
        for n, (name, value) in enumerate(shown):
            group += [(f"{name} ", ""), (str(value), BAD)]
            if n + 1 < len(shown):
                group.append((" ", ""))
        groups.append(group)
    for name, long, short in (
        ("auth failures", "auth failures ", "auth fail "),
        ("registrations failing", "registrations failing ", "reg fail "),
        ("scanners", "scanning IPs ", "scanners "),
    ):
        value = counts.get(name, 0)
        if value:
            groups.append([(long if wide else short, ""), (str(value), BAD)])
    return groups


def severity_parts(findings: Sequence[Finding], wide: bool) -> list[Part]:
    """`▲ 3 warning  ● 2 notice` (narrow: `▲3 warn ●2 note`); info is not an alert."""
    counts = summary(tuple(findings))
    parts: list[Part] = []
    for severity in SEVERITIES:
        value = counts.get(severity, 0)
        if severity == INFO or not value:
            continue
        if parts:
            parts.append(("  " if wide else " ", ""))
        mark = SEVERITY_MARK[severity]
        word = severity if wide else SEVERITY_SHORT[severity]
        text = f"{mark} {value} {word}" if wide else f"{mark}{value} {word}"
        parts.append((text, SEVERITY_STYLE[severity]))
    return parts


def finding_part(finding: Finding, width: int) -> Part:
    """One finding as `▲ title`, cut to `width` cells (the title is already clean)."""
    text = f"{SEVERITY_MARK.get(finding.severity, '?')} {clean_line(finding.title, 200)}"
    if cell_len(text) > width:
        text = fit(text, width)
    return (text, SEVERITY_STYLE.get(finding.severity, ""))


def join(groups: Sequence[Sequence[Part]]) -> list[Part]:
    out: list[Part] = []
    for group in groups:
        if out:
            out.append(SEP)
        out.extend(group)
    return out


class AlertsStrip(Static):
    DEFAULT_CSS = """
    AlertsStrip {
        height: auto;
        max-height: 2;
        background: $panel;
        color: $foreground;
        padding: 0 1;
        text-wrap: nowrap;
    }
    """

    def __init__(self, *, id: str | None = "alerts") -> None:
        super().__init__(Text("alerts: waiting for data"), id=id)
        self._version = -1
        self._findings: tuple[Finding, ...] = ()
        self._diagnosed = False
        self._counts: dict[str, int] = {}

    def on_resize(self) -> None:
        self._draw()

    async def on_click(self, event: events.Click) -> None:
        event.stop()
        await self.app.run_action("findings")

    def show(self, snapshot: EngineSnapshot) -> None:
        if snapshot.version == self._version:
            return
        self._version = snapshot.version
        self._counts = alert_counts(snapshot)
        self._draw()

    def set_findings(self, findings: Sequence[Finding]) -> None:
        """The latest diagnosis (most severe first, as `diagnose` sorts them)."""
        self._findings = tuple(findings)
        self._diagnosed = True
        self._draw()

    @property
    def alerts(self) -> tuple[Finding, ...]:
        return tuple(f for f in self._findings if f.severity != INFO)

    def _draw(self) -> None:
        width = max(10, self.size.width)
        wide = width >= 110
        alerts = self.alerts
        groups = count_groups(self._counts, wide)
        tall = self.app.size.height >= TALL
        severities = severity_parts(alerts, wide)
        if alerts and tall:
            lines = [self._first_line(severities, groups, width), self._top_line(alerts, width)]
        elif alerts:
            lines = [self._one_line(severities, alerts[0], groups, width)]
        else:
            lines = [self._first_line([], groups, width)]
        parts: list[Part] = []
        for n, line in enumerate(lines):
            if n:
                parts.append(("\n", ""))
            parts.extend(line)
        # literal text in (text, style) pairs; styles are theme variables
        self.update(Content.assemble(*parts))

    def _first_line(
        self, severities: list[Part], groups: list[list[Part]], width: int
    ) -> list[Part]:
        """Severity totals, then the counts that fit."""
        shown = [severities] if severities else []
        for group in groups:
            if width_of(join([*shown, group])) > width:
                break
            shown.append(group)
        if not shown:
            if self._version < 0:
                return [("waiting for data", QUIET)]
            text = "no alerts" if self._diagnosed else "no alerts in the counts"
            return [(text, GOOD)]
        return join(shown)

    def _one_line(
        self, severities: list[Part], top: Finding, groups: list[list[Part]], width: int
    ) -> list[Part]:
        """Severity totals, the top finding, and the counts that leave it 24 cells."""
        # the top finding says most: it keeps up to 40 cells before a count is shown
        title_min = min(40, width_of([finding_part(top, 200)]))
        head = [*severities, ("  ", "")]
        counts: list[list[Part]] = []
        for group in groups:
            if width_of(head) + title_min + width_of(join([[], *counts, group])) + 4 > width:
                break
            counts.append(group)
        tail = [SEP, *join(counts)] if counts else []
        room = width - width_of(head) - width_of(tail)
        return [*head, finding_part(top, max(8, room)), *tail]

    def _top_line(self, alerts: tuple[Finding, ...], width: int) -> list[Part]:
        """As many of the top findings as fit, each at least 30 cells; `!` lists them all."""
        hint = ("  ! all", QUIET)
        room = width - cell_len(hint[0])
        parts: list[Part] = []
        for n, finding in enumerate(alerts):
            left = room - width_of(parts) - (cell_len(SEP[0]) if parts else 0)
            if left < 30 and parts:
                break
            natural = cell_len(f"{SEVERITY_MARK.get(finding.severity, '?')} {finding.title}")
            last = n + 1 == len(alerts)
            # share the room: a long title leaves space for the next one when it can
            take = natural if last or natural + 33 <= left else max(30, min(natural, left))
            if parts:
                parts.append(SEP)
            parts.append(finding_part(finding, min(take, left)))
        if len(alerts) > 1 or width_of(parts) + cell_len(hint[0]) <= width:
            parts.append(hint)
        return parts
