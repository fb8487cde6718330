"""Alerts strip: one line of counts that say where to look first.

Failed calls by class, authentication failures and scanning IPs come from the
snapshot; diagnosis findings (later) are added with `set_findings`.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.content import Content
from textual.widgets import Static

from vostui.engine.snapshot import EngineSnapshot
from vostui.text import clean_line
from vostui.ui.format import BAD, GOOD, QUIET, WARN


def alert_counts(snapshot: EngineSnapshot) -> dict[str, int]:
    """Counts shown on the strip, by name."""
    counts = {"4xx": 0, "5xx": 0, "6xx": 0, "timeout": 0}
    for call in snapshot.calls:
        code = call.final_code
        if code == 408 or "timeout" in call.state:
            counts["timeout"] += 1
        elif 400 <= code < 700:
            counts[f"{code // 100}xx"] += 1
    counts["auth failures"] = sum(s.auth_failures for s in snapshot.sources)
    counts["registrations failing"] = sum(1 for r in snapshot.registrations if r.failing)
    counts["scanners"] = sum(1 for s in snapshot.sources if s.scanner)
    return counts


class AlertsStrip(Static):
    DEFAULT_CSS = """
    AlertsStrip {
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = "alerts") -> None:
        super().__init__(Text("alerts: waiting for data"), id=id)
        self._version = -1
        self._findings: tuple[tuple[str, str], ...] = ()
        self._counts: dict[str, int] = {}

    def on_resize(self) -> None:
        self._draw()

    def show(self, snapshot: EngineSnapshot) -> None:
        if snapshot.version == self._version:
            return
        self._version = snapshot.version
        self._counts = alert_counts(snapshot)
        self._draw()

    def set_findings(self, findings: Sequence[tuple[str, str]]) -> None:
        """(severity, title) pairs from diagnosis; shown after the counts."""
        self._findings = tuple(findings)
        self._draw()

    def _draw(self) -> None:
        """Only non-zero counts: what is on the strip is worth a look."""
        counts = self._counts
        wide = self.size.width >= 110
        parts: list[tuple[str, str]] = []
        failed = [(name, counts.get(name, 0)) for name in ("4xx", "5xx", "6xx", "timeout")]
        if any(value for _name, value in failed):
            parts.append(("failed calls " if wide else "failed ", "bold"))
            for name, value in failed:
                if value:
                    parts += [(f"{name} ", ""), (str(value), BAD), ("  ", "")]
        for name, label, short in (
            ("auth failures", "auth failures ", "auth fail "),
            ("registrations failing", "registrations failing ", "reg fail "),
            ("scanners", "scanning IPs ", "scanners "),
        ):
            value = counts.get(name, 0)
            label = label if wide else short
            if value:
                parts += [
                    ("│ " if parts else "", QUIET),
                    (label, ""),
                    (str(value), BAD),
                    ("  ", ""),
                ]
        for severity, title in self._findings:
            parts += [
                ("│ " if parts else "", QUIET),
                (clean_line(f"{severity}: {title}", 120), WARN),
            ]
            parts.append(("  ", ""))
        if not parts:
            parts.append(("no alerts" if self._version >= 0 else "waiting for data", GOOD))
        # literal text in (text, style) pairs; styles are theme variables
        self.update(Content.assemble(*parts))
