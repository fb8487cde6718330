"""Findings: every finding of the latest diagnosis, and one finding in full.

`!` opens the list (most severe first): severity with its mark, what is affected, the
title. The highlighted finding's evidence, cause, check and fix show beside it (below
on a narrow terminal). Enter opens the finding on its own screen with the calls and
registrations it points at; Enter there jumps to one.

Every string in a finding was cleaned by the diagnosis (control characters escaped,
length capped) and is drawn as literal Content, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from vostui.diagnose import Finding, Ref
from vostui.engine.snapshot import CallView, EngineSnapshot, RegistrationView
from vostui.text import clean_line
from vostui.ui.alerts_strip import SEVERITY_MARK, SEVERITY_SHORT, SEVERITY_STYLE
from vostui.ui.format import ACCENT, QUIET, clock, duration
from vostui.ui.keybar import KeyBar
from vostui.ui.table import Cell, ColumnSpec, RowTable, Tone

if TYPE_CHECKING:
    from vostui.ui.diagnosis import DiagnosisResult

SEVERITY_TONE: dict[str, Tone] = {
    "critical": "problem",
    "warning": "warning",
    "notice": "",
    "info": "dim",
}
HEADING = "$text-primary bold"

FINDING_COLUMNS = (
    ColumnSpec("severity", "Severity", 10, 6),
    ColumnSpec("affected", "Affected", 24, 12, priority=3),  # the title names it too
    # a title this wide pushes out the rule, then the affected column, on 80 columns
    ColumnSpec("title", "Finding", 60, 56, flex=True),
    ColumnSpec("count", "Count", 5, 5, priority=1, align="right"),
    ColumnSpec("rule", "Rule", 26, 14, priority=4),
)

REF_COLUMNS = (
    ColumnSpec("kind", "Kind", 12, 4),
    ColumnSpec("what", "What", 60, 20, flex=True),
    ColumnSpec("state", "State", 16, 8, priority=1),
)


def finding_key(finding: Finding) -> str:
    return "\x00".join(finding.key)


def severity_cell(severity: str, wide: bool = True) -> str:
    word = severity if wide else SEVERITY_SHORT.get(severity, severity)
    return f"{SEVERITY_MARK.get(severity, '?')} {word}"


def affected_text(finding: Finding) -> str:
    kind = finding.affected.kind
    what = finding.affected.id
    if kind == "registration":
        return clean_line(what, 120)
    return clean_line(f"{kind} {what}" if what else kind, 120)


def when_text(finding: Finding) -> str:
    if finding.first is None:
        return ""
    if finding.last is None or int(finding.last) == int(finding.first):
        return clock(finding.first)
    return f"{clock(finding.first)}–{clock(finding.last)}"


def finding_head(finding: Finding) -> list[tuple[str, str]]:
    """Severity, title, then rule · affected · count · time · codes."""
    style = SEVERITY_STYLE.get(finding.severity, "")
    facts = [finding.rule, affected_text(finding)]
    if finding.count > 1:
        facts.append(f"{finding.count} times")
    when = when_text(finding)
    if when:
        facts.append(when)
    if finding.codes:
        facts.append("codes " + " ".join(str(code) for code in finding.codes))
    return [
        (f"{SEVERITY_MARK.get(finding.severity, '?')} {finding.severity.upper()}  ", style),
        (clean_line(finding.title, 300), "bold"),
        ("\n" + " · ".join(facts), QUIET),
    ]


def finding_body(finding: Finding) -> list[tuple[str, str]]:
    """Evidence (as on the wire), cause, what to check, the fix."""
    parts: list[tuple[str, str]] = []
    if finding.evidence:
        parts.append(("\n\nEvidence\n", HEADING))
        for line in finding.evidence:
            parts += [("│ ", QUIET), (clean_line(line, 300) + "\n", "")]
    for title, text, style in (
        ("Cause", finding.cause, ""),
        ("Check", finding.check, ""),
        ("Fix", finding.fix, ACCENT),
    ):
        if text:
            parts += [(f"\n{title}\n", HEADING), (clean_line(text, 1000) + "\n", style)]
    return parts


def finding_content(finding: Finding) -> Content:
    return Content.assemble(*finding_head(finding), *finding_body(finding))


def finding_line(finding: Finding, width: int = 200) -> list[tuple[str, str]]:
    """One compact line: `▲ warning  title  (rule)`."""
    return [
        (
            severity_cell(finding.severity, wide=False) + " ",
            SEVERITY_STYLE.get(finding.severity, ""),
        ),
        (clean_line(finding.title, width), ""),
        (f"  {finding.rule}", QUIET),
    ]


def findings_summary(result: DiagnosisResult | None, *, running: bool = False) -> Content:
    """`6 findings  ▲ 5 warning  · 1 info  · as of 12:04:05 · host, logs not followed`."""
    if result is None:
        return Content.assemble(("diagnosing…" if running else "not diagnosed yet", QUIET))
    counts: dict[str, int] = {}
    for finding in result.findings:
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    parts: list[tuple[str, str]] = [(f"{len(result.findings)} findings", "bold")]
    for severity in ("critical", "warning", "notice", "info"):
        if counts.get(severity):
            parts += [
                ("  ", ""),
                (
                    f"{SEVERITY_MARK[severity]} {counts[severity]} {severity}",
                    SEVERITY_STYLE[severity],
                ),
            ]
    parts.append((f"  · as of {clock(result.at)}", QUIET))
    missing = [
        name
        for name, checked in (("host", result.host_checked), ("logs", result.logs_checked))
        if not checked
    ]
    if missing:
        parts.append((f" · {', '.join(missing)} not followed", QUIET))
    if result.problem:
        parts.append((f"\ndiagnosis failed: {result.problem}", SEVERITY_STYLE["critical"]))
    return Content.assemble(*parts)


class FindingRows:
    """The findings as table rows, keyed by (rule, affected)."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = tuple(findings)
        self.keys = [finding_key(f) for f in self.findings]

    def __len__(self) -> int:
        return len(self.findings)

    def key(self, index: int) -> str:
        return self.keys[index]

    def get(self, key: str | None) -> Finding | None:
        if key is None:
            return None
        for finding, known in zip(self.findings, self.keys, strict=True):
            if known == key:
                return finding
        return None

    def cells(self, index: int) -> tuple[Sequence[Cell], Tone]:
        finding = self.findings[index]
        tone = SEVERITY_TONE.get(finding.severity, "")
        return (
            [
                (severity_cell(finding.severity), tone),
                affected_text(finding),
                clean_line(finding.title, 300),
                str(finding.count),
                finding.rule,
            ],
            tone,
        )


class FindingText(VerticalScroll):
    """A finding in full, scrollable."""

    DEFAULT_CSS = """
    FindingText { padding: 0 1; background: $surface; }
    FindingText > Static { width: 1fr; }
    """

    def __init__(self, text: str = "no finding selected", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._empty = text

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble((self._empty, QUIET)))

    def show(self, finding: Finding | None) -> None:
        static = self.query_one(Static)
        if finding is None:
            static.update(Content.assemble((self._empty, QUIET)))
            return
        static.update(finding_content(finding))


class FindingsBox(VerticalScroll, can_focus=False):
    """The findings about one call or registration, under its screen's head.

    Compact: one line each (two at most, then "+N more"); open (`f`): every one in
    full, scrollable. Hidden when there are none.
    """

    DEFAULT_CSS = """
    FindingsBox {
        height: auto; max-height: 3; background: $boost; padding: 0 1; display: none;
    }
    FindingsBox.-has { display: block; }
    FindingsBox.-open {
        height: 1fr; max-height: 100%; border: round $border-blurred; background: $surface;
    }
    FindingsBox.-open:focus-within { border: round $border; }
    FindingsBox > Static { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    FindingsBox.-open > Static { text-wrap: wrap; }
    """

    COMPACT = 2

    def __init__(self, what: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.what = what
        self.findings: tuple[Finding, ...] = ()

    def compose(self) -> ComposeResult:
        yield Static(Content(""))

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def set_findings(self, findings: tuple[Finding, ...]) -> None:
        if findings == self.findings and self.is_mounted:
            return
        self.findings = findings
        self.set_class(bool(findings), "-has")
        if not findings:
            self.close()
        self._draw()

    def open(self) -> None:
        if not self.findings:
            return
        self.add_class("-open")
        self.can_focus = True
        self.focus()
        self._draw()

    def close(self) -> None:
        if not self.is_open:
            return
        self.remove_class("-open")
        self.can_focus = False
        self.border_title = None
        self.scroll_home(animate=False)
        self._draw()

    def _draw(self) -> None:
        text = self.query_one(Static)
        findings = self.findings
        if self.is_open:
            self.border_title = f"Findings for this {self.what}: {len(findings)} · f closes"
            text.update(Content("\n\n").join([finding_content(f) for f in findings]))
            return
        lines = [Content.assemble(*finding_line(f)) for f in findings[: self.COMPACT]]
        more = len(findings) - self.COMPACT
        if more > 0:
            lines.append(Content.assemble((f"+{more} more · f shows them all", QUIET)))
        text.update(Content("\n").join(lines))


class FindingsScreen(Screen[None]):
    """Every finding, most severe first; Enter opens one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace,q", "app.pop_screen", "Back", id="findings.back"),
        Binding("tab", "switch_focus", "List/finding", show=False, id="findings.switch"),
    ]

    # the list above the finding, both full width: titles and evidence lines are long
    DEFAULT_CSS = """
    FindingsScreen #findings-head { height: auto; max-height: 3; background: $panel; padding: 0 1; }
    FindingsScreen #findings-body { height: 1fr; layout: vertical; }
    FindingsScreen #findings {
        height: auto; max-height: 45%; min-height: 5; border: round $border-blurred;
    }
    FindingsScreen #findings:focus { border: round $border; }
    FindingsScreen #finding-detail { height: 1fr; border: round $border-blurred; }
    FindingsScreen #finding-detail:focus-within { border: round $border; }
    """

    def __init__(self, result: DiagnosisResult | None, *, running: bool = False) -> None:
        super().__init__()
        self.result = result
        self.running = running

    def compose(self) -> ComposeResult:
        yield Static(Content(""), id="findings-head")
        with Container(id="findings-body"):
            yield RowTable(FINDING_COLUMNS, empty_text="no findings", id="findings")
            yield FindingText(id="finding-detail")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#findings", RowTable)
        table.border_title = "Findings"
        self.query_one("#finding-detail", FindingText).border_title = "Finding"
        self._draw()
        table.focus()

    @property
    def rows(self) -> FindingRows:
        source = self.query_one("#findings", RowTable).source
        return source if isinstance(source, FindingRows) else FindingRows(())

    @property
    def selected(self) -> Finding | None:
        table = self.query_one("#findings", RowTable)
        return self.rows.get(table.cursor_key)

    @property
    def reference_code(self) -> int | None:
        """`R` opens the code reference at the selected finding's first code."""
        finding = self.selected
        return finding.codes[0] if finding is not None and finding.codes else None

    def show_findings(self, result: DiagnosisResult) -> None:
        """A new diagnosis: the cursor stays on the same finding while it is there."""
        self.result = result
        self.running = False
        self._draw()

    def _draw(self) -> None:
        self.query_one("#findings-head", Static).update(
            findings_summary(self.result, running=self.running)
        )
        table = self.query_one("#findings", RowTable)
        findings = self.result.findings if self.result is not None else ()
        table.empty_text = "no findings" if self.result is not None else "diagnosing…"
        table.set_source(FindingRows(findings))
        self.query_one(FindingText).show(self.selected)

    @on(RowTable.Highlighted, "#findings")
    def _highlighted(self, event: RowTable.Highlighted) -> None:
        self.query_one(FindingText).show(self.rows.get(event.key))

    @on(RowTable.Selected, "#findings")
    def _selected(self, event: RowTable.Selected) -> None:
        event.stop()
        finding = self.rows.get(event.key)
        if finding is not None:
            self.app.push_screen(FindingScreen(finding))

    def action_switch_focus(self) -> None:
        table = self.query_one("#findings", RowTable)
        if table.has_focus:
            self.query_one(FindingText).focus()
        else:
            table.focus()


# -- one finding -----------------------------------------------------------------------


class RefRows:
    """Where a finding points: calls (with who called whom), registrations, IPs."""

    def __init__(self, refs: Sequence[Ref], snapshot: EngineSnapshot | None) -> None:
        self.refs = tuple(refs)
        wanted = {ref.call for ref in self.refs if ref.call}
        self.calls: dict[str, CallView] = {}
        self.registrations: dict[tuple[str, str], RegistrationView] = {}
        self.now = snapshot.now if snapshot is not None else 0.0
        if snapshot is not None:
            if wanted:  # one pass over the calls, not one scan per reference
                self.calls = {c.key: c for c in snapshot.calls if c.key in wanted}
            regs = {ref.registration for ref in self.refs if ref.registration}
            if regs:
                self.registrations = {
                    (r.account, r.source): r
                    for r in snapshot.registrations
                    if (r.account, r.source) in regs
                }

    def __len__(self) -> int:
        return len(self.refs)

    def key(self, index: int) -> str:
        return str(index)

    def ref(self, key: str) -> Ref | None:
        index = int(key) if key.isdigit() else -1
        return self.refs[index] if 0 <= index < len(self.refs) else None

    def cells(self, index: int) -> tuple[Sequence[Cell], Tone]:
        ref = self.refs[index]
        if ref.call:
            call = self.calls.get(ref.call)
            if call is None:
                return (["call", clean_line(ref.call, 120), "not in the engine"], "dim")
            code = f" {call.final_code}" if call.final_code else ""
            what = (
                f"{clock(call.start)} {call.caller} → {call.callee}  "
                f"{call.mapping_gateway or '-'} → {call.routing_gateway or '-'}"
                f"  {duration(call.duration(self.now))}"
            )
            tone: Tone = "problem" if call.problem else ""
            message = "  (message)" if ref.message else ""
            return (["call", clean_line(what + message, 200), f"{call.state}{code}"], tone)
        if ref.registration is not None:
            account, source = ref.registration
            reg = self.registrations.get(ref.registration)
            state = f"{reg.state} {reg.last_code or ''}".strip() if reg else "not in the engine"
            tone = "problem" if reg is not None and reg.failing else "" if reg else "dim"
            return (
                ["registration", clean_line(f"{account} from {source}", 200), state],
                tone,
            )
        return (["IP", clean_line(ref.ip, 64), "filter calls"], "")


class FindingScreen(Screen[None]):
    """One finding in full; Enter on a call or registration below jumps to it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace,q", "app.pop_screen", "Back", id="finding.back"),
        Binding("tab", "switch_focus", "Text/places", show=False, id="finding.switch"),
    ]

    DEFAULT_CSS = """
    FindingScreen #finding-text { height: 1fr; border: round $border-blurred; }
    FindingScreen #finding-text:focus-within { border: round $border; }
    FindingScreen #finding-refs {
        height: auto; max-height: 40%; min-height: 4; border: round $border-blurred;
    }
    FindingScreen #finding-refs:focus { border: round $border; }
    FindingScreen.-no-refs #finding-refs { display: none; }
    """

    def __init__(self, finding: Finding) -> None:
        super().__init__()
        self.finding = finding
        self.gone = False

    def compose(self) -> ComposeResult:
        yield FindingText(id="finding-text")
        yield RowTable(REF_COLUMNS, empty_text="nothing to jump to", id="finding-refs")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#finding-text", FindingText).border_title = "Finding"
        self._draw()
        table = self.query_one("#finding-refs", RowTable)
        if self.finding.refs:
            table.focus()
        else:
            self.query_one(FindingText).focus()

    def _draw(self) -> None:
        finding = self.finding
        self.query_one(FindingText).show(finding)
        table = self.query_one("#finding-refs", RowTable)
        self.set_class(not finding.refs, "-no-refs")
        snapshot = self._snapshot()
        table.set_source(RefRows(finding.refs, snapshot))
        calls = sum(1 for ref in finding.refs if ref.call)
        regs = sum(1 for ref in finding.refs if ref.registration)
        what = ", ".join(
            text
            for n, text in (
                (calls, f"{calls} call(s)"),
                (regs, f"{regs} registration(s)"),
            )
            if n
        )
        gone = " · no longer found" if self.gone else ""
        table.border_title = f"Jump to: {what or 'IPs'} (Enter){gone}"

    def _snapshot(self) -> EngineSnapshot | None:
        pipeline = getattr(self.app, "pipeline", None)
        try:
            return pipeline.snapshot() if pipeline is not None else None
        except Exception:  # the capture failed: the finding still reads
            return None

    @property
    def reference_code(self) -> int | None:
        return self.finding.codes[0] if self.finding.codes else None

    def show_findings(self, result: DiagnosisResult) -> None:
        """Follow the same finding (rule and affected) into the new diagnosis."""
        for finding in result.findings:
            if finding.key == self.finding.key:
                if finding != self.finding or self.gone:
                    self.finding, self.gone = finding, False
                    self._draw()
                return
        if not self.gone:
            self.gone = True
            self._draw()

    @on(RowTable.Selected, "#finding-refs")
    def _selected(self, event: RowTable.Selected) -> None:
        event.stop()
        rows = self.query_one("#finding-refs", RowTable).source
        ref = rows.ref(event.key) if isinstance(rows, RefRows) else None
        if ref is not None:
            jump(self.app, ref)

    def action_switch_focus(self) -> None:
        table = self.query_one("#finding-refs", RowTable)
        if table.has_focus or not self.finding.refs:
            self.query_one(FindingText).focus()
        else:
            table.focus()


def jump(app: Any, ref: Ref) -> None:
    """Open what a finding points at: a call's ladder, a registration's history, or the
    calls filtered by an IP."""
    if ref.call:
        app.open_call(ref.call, message=ref.message)
    elif ref.registration is not None:
        open_registration(app, *ref.registration)
    elif ref.ip:
        filter_calls(app, ref.ip)


def open_registration(app: Any, account: str, source: str) -> None:
    from vostui.ui.registration_screen import RegistrationScreen
    from vostui.ui.registrations_pane import registration_key

    snapshot = app.pipeline.snapshot()
    for registration in snapshot.registrations:
        if (registration.account, registration.source) == (account, source):
            app.push_screen(RegistrationScreen(registration_key(registration), snapshot))
            return
    app.notify("that registration is no longer in the engine", severity="warning", markup=False)


def filter_calls(app: Any, text: str) -> None:
    """Back to the dashboard with the calls filtered by `text` (an IP)."""
    from textual.widgets import Input

    from vostui.ui.calls_pane import CallsPane
    from vostui.ui.dashboard import DashboardScreen

    while len(app.screen_stack) > 1 and not isinstance(app.screen, DashboardScreen):
        app.pop_screen()
    screen = app.screen
    if not isinstance(screen, DashboardScreen):
        return
    pane = screen.query_one(CallsPane)
    screen.action_focus_pane(1)
    pane.action_filter()
    pane.query_one(Input).value = text  # Input.Changed filters, as typing would


class FindingsHolder(Screen[None]):
    """A screen about one call or registration with its findings in a FindingsBox:
    `f` opens them in full or closes them, and focus goes back to `findings_home()`."""

    findings_noun = "item"  # "no findings for this <noun>"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.findings: tuple[Finding, ...] = ()

    def findings_home(self) -> Widget:
        """The widget that has focus when the findings are closed."""
        raise NotImplementedError

    def _set_findings(self, findings: tuple[Finding, ...]) -> None:
        if bool(findings) != bool(self.findings):
            self.refresh_bindings()
        self.findings = findings
        box = self.query_one(FindingsBox)
        had_focus = box.has_focus_within
        box.set_findings(findings)
        if had_focus and not box.is_open:
            self.findings_home().focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`f` is on the key bar only when there is something to open."""
        return bool(self.findings) if action == "toggle_findings" else True

    def action_toggle_findings(self) -> None:
        """f: the findings in full (evidence, cause, check, fix), or compact again."""
        box = self.query_one(FindingsBox)
        if not self.findings:
            self.notify(f"no findings for this {self.findings_noun}", markup=False, timeout=3)
        elif box.is_open:
            box.close()
            self.findings_home().focus()
        else:
            box.open()
