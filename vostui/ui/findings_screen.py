"""Findings: every finding of the latest diagnosis, and one finding in full.

`!` opens the list (most severe first): severity with its mark, what is affected, the
title. The highlighted finding's evidence, cause, check and fix show below it, and
under them the places it names (calls, registrations, source IPs). Enter on the list
opens the finding on its own screen; Enter on a place, on either screen, opens it: a
call's ladder, a registration's history, or the calls filtered to `ip=<that ip>`. The
way there is a navigation message (vostui/ui/navigation.py) the app handles.

Every string in a finding was cleaned by the diagnosis (control characters escaped,
length capped) and is drawn as literal Content, never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from vostui.diagnose import Finding, Ref
from vostui.engine.snapshot import CallView, EngineSnapshot, RegistrationView
from vostui.text import clean_line
from vostui.ui.alerts_strip import SEVERITY_MARK, SEVERITY_SHORT, SEVERITY_STYLE
from vostui.ui.format import ACCENT, QUIET, clock, duration
from vostui.ui.keybar import KeyBar
from vostui.ui.navigation import FilterCalls, OpenCall, OpenRegistration
from vostui.ui.table import Cell, ColumnSpec, RowTable, Tone

if TYPE_CHECKING:
    from vostui.ui.diagnosis import DiagnosisResult

PLACES_HELP = (
    "Under the finding, Open: lists the calls, registrations and source IPs it names. "
    "Tab moves there; Enter opens a call's ladder, a registration's history, or the "
    "calls filtered to ip=<that ip> (Esc on the list clears it)."
)

# The latest engine snapshot (the app's `pipeline.snapshot`), given when a screen is built.
SnapshotFn = Callable[[], EngineSnapshot]

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
    """Every finding, most severe first; Enter opens one, or a place it names."""

    HELP_NOTE = PLACES_HELP

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace,q", "app.pop_screen", "Back", id="findings.back"),
        Binding("tab", "switch_focus", "List/places/finding", show=False, id="findings.switch"),
    ]

    # the list above the finding, both full width: titles and evidence lines are long;
    # the places the highlighted finding names under it
    DEFAULT_CSS = """
    FindingsScreen #findings-head { height: auto; max-height: 3; background: $panel; padding: 0 1; }
    FindingsScreen #findings-body { height: 1fr; layout: vertical; }
    FindingsScreen #findings {
        height: auto; max-height: 45%; min-height: 5; border: round $border-blurred;
    }
    FindingsScreen #findings:focus { border: round $border; }
    FindingsScreen #finding-detail { height: 1fr; border: round $border-blurred; }
    FindingsScreen #finding-detail:focus-within { border: round $border; }
    FindingsScreen #findings-refs {
        height: auto; max-height: 25%; min-height: 3; border: round $border-blurred;
    }
    FindingsScreen #findings-refs:focus { border: round $border; }
    FindingsScreen.-short #findings-refs { max-height: 5; }
    FindingsScreen.-no-refs #findings-refs { display: none; }
    """
    # 80x24: two places show, the finding's text keeps the room (Tab scrolls the places)
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # noqa: RUF012

    def __init__(
        self,
        result: DiagnosisResult | None,
        *,
        running: bool = False,
        snapshot: SnapshotFn | None = None,
    ) -> None:
        super().__init__()
        self.result = result
        self.running = running
        self.snapshot = snapshot
        self._places_of: tuple[str, str, str] | None = None  # whose places are shown

    def compose(self) -> ComposeResult:
        yield Static(Content(""), id="findings-head")
        with Container(id="findings-body"):
            yield RowTable(FINDING_COLUMNS, empty_text="no findings", id="findings")
            yield FindingText(id="finding-detail")
            yield RowTable(REF_COLUMNS, empty_text="nothing to open", id="findings-refs")
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
        self._show(self.selected)

    def _show(self, finding: Finding | None) -> None:
        """The finding in full and the places it names."""
        self.query_one(FindingText).show(finding)
        refs = finding.refs if finding is not None else ()
        places = self.query_one("#findings-refs", RowTable)
        if places.has_focus and not refs:
            self.query_one("#findings", RowTable).focus()
        self.set_class(not refs, "-no-refs")
        places.set_source(RefRows(refs, latest(self.snapshot) if refs else None))
        shown = finding.key if finding is not None else None
        if shown != self._places_of:  # another finding: its first place
            self._places_of = shown
            places.action_edge(0)
        places.border_title = f"{places_title(refs)} (Tab, Enter)"

    @on(RowTable.Highlighted, "#findings")
    def _highlighted(self, event: RowTable.Highlighted) -> None:
        self._show(self.rows.get(event.key))

    @on(RowTable.Selected, "#findings")
    def _selected(self, event: RowTable.Selected) -> None:
        event.stop()
        finding = self.rows.get(event.key)
        if finding is not None:
            self.app.push_screen(FindingScreen(finding, snapshot=self.snapshot))

    @on(RowTable.Selected, "#findings-refs")
    def _place_selected(self, event: RowTable.Selected) -> None:
        event.stop()
        open_place(self, self.query_one("#findings-refs", RowTable), event.key)

    def action_switch_focus(self) -> None:
        """Tab: list, then the places (when there are some), then the finding's text."""
        table = self.query_one("#findings", RowTable)
        places = self.query_one("#findings-refs", RowTable)
        if table.has_focus:
            if places.display and self.selected is not None and self.selected.refs:
                places.focus()
            else:
                self.query_one(FindingText).focus()
        elif places.has_focus:
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
                return (["call", clean_line(ref.call, 120), "gone (evicted)"], "dim")
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
            state = f"{reg.state} {reg.last_code or ''}".strip() if reg else "gone (evicted)"
            tone = "problem" if reg is not None and reg.failing else "" if reg else "dim"
            return (
                ["registration", clean_line(f"{account} from {source}", 200), state],
                tone,
            )
        return (["IP", clean_line(ref.ip, 64), "filter calls"], "")


class FindingScreen(Screen[None]):
    """One finding in full; Enter on a call, registration or IP below opens it."""

    HELP_NOTE = PLACES_HELP

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

    def __init__(self, finding: Finding, *, snapshot: SnapshotFn | None = None) -> None:
        super().__init__()
        self.finding = finding
        self.snapshot = snapshot
        self.gone = False

    def compose(self) -> ComposeResult:
        yield FindingText(id="finding-text")
        yield RowTable(REF_COLUMNS, empty_text="nothing to open", id="finding-refs")
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
        table.set_source(RefRows(finding.refs, latest(self.snapshot)))
        gone = " · no longer found" if self.gone else ""
        table.border_title = f"{places_title(finding.refs)} (Enter){gone}"

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
        open_place(self, self.query_one("#finding-refs", RowTable), event.key)

    def action_switch_focus(self) -> None:
        table = self.query_one("#finding-refs", RowTable)
        if table.has_focus or not self.finding.refs:
            self.query_one(FindingText).focus()
        else:
            table.focus()


def latest(snapshot: SnapshotFn | None) -> EngineSnapshot | None:
    """The latest snapshot, or None (no source given, or the capture failed: the
    finding still reads)."""
    if snapshot is None:
        return None
    try:
        return snapshot()
    except Exception:
        return None


def places_title(refs: Sequence[Ref]) -> str:
    """`Open: 3 call(s), 1 registration(s), 1 IP`."""
    counts = (
        (sum(1 for ref in refs if ref.call), "call(s)"),
        (sum(1 for ref in refs if ref.registration is not None), "registration(s)"),
        (sum(1 for ref in refs if ref.ip and not ref.call and ref.registration is None), "IP"),
    )
    what = ", ".join(f"{n} {noun}" for n, noun in counts if n)
    return f"Open: {what or 'nothing'}"


def place_message(ref: Ref) -> Message | None:
    """Where a finding's place leads: a call's ladder (at its message), a registration's
    history, or the calls filtered to that source IP."""
    if ref.call:
        return OpenCall(ref.call, ref.message)
    if ref.registration is not None:
        return OpenRegistration.of(*ref.registration)
    if ref.ip:
        return FilterCalls(f"ip={ref.ip}")
    return None


def open_place(screen: Screen[None], table: RowTable, key: str) -> None:
    rows = table.source
    ref = rows.ref(key) if isinstance(rows, RefRows) else None
    message = place_message(ref) if ref is not None else None
    if message is not None:
        screen.post_message(message)


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
