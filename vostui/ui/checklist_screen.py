"""Checklist: pick a symptom in the operator's words, walk through its checks on live data.

Each step shows its status with a mark and a word (so it reads in 16 colours and
with NO_COLOR: `✗ FAIL`, `✓ pass`, `– not checked`, `☐ manual`), its evidence, and the
command to run by hand where there is one. The conclusion names the most likely cause
and the fix. The checklist runs with the diagnosis, off the UI thread, on the engine's
snapshot and the host's and logs' when the console follows them; it follows the data
as it refreshes, and `r` runs it again at once.

On a narrow terminal the symptom list and the checklist take the screen in turn
(Enter opens the checklist, Esc goes back to the list); on a wide one they sit side
by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from vostui.diagnose import (
    FAIL,
    MANUAL,
    NOT_CHECKED,
    PASS,
    SEEN,
    SYMPTOMS,
    Check,
    Checklist,
    Symptom,
)
from vostui.text import clean_line
from vostui.ui.format import ACCENT, BAD, GOOD, QUIET, WARN
from vostui.ui.keybar import KeyBar
from vostui.ui.table import Cell, ColumnSpec, RowTable, Tone

if TYPE_CHECKING:
    from vostui.ui.diagnosis import Diagnosis, DiagnosisResult

STATUS_MARK = {
    FAIL: "✗ FAIL",
    SEEN: "! seen",
    PASS: "✓ pass",
    NOT_CHECKED: "– not checked",
    MANUAL: "☐ manual",
}
STATUS_STYLE = {FAIL: BAD, SEEN: WARN, PASS: GOOD, NOT_CHECKED: QUIET, MANUAL: "$text-accent bold"}
HEADING = "$text-primary bold"
COMMAND = "$text-secondary"

SYMPTOM_COLUMNS = (
    ColumnSpec("title", "Symptom", 34, 20, flex=True),
    ColumnSpec("description", "What the operator sees", 60, 20, priority=1, flex=True),
)


class SymptomRows:
    def __init__(self, symptoms: Sequence[Symptom], failed: dict[str, int]) -> None:
        self.symptoms = tuple(symptoms)
        # symptom id -> failing steps in its last run (negative: none failed, that many
        # steps "seen": the data shows some of it, never a ✓)
        self.failed = failed

    def __len__(self) -> int:
        return len(self.symptoms)

    def key(self, index: int) -> str:
        return self.symptoms[index].id

    def cells(self, index: int) -> tuple[Sequence[Cell], Tone]:
        symptom = self.symptoms[index]
        failed = self.failed.get(symptom.id)
        if failed is None:
            mark = ""
        elif failed > 0:
            mark = f"  ✗{failed}"
        else:
            mark = f"  !{-failed}" if failed else "  ✓"
        tone: Tone = "problem" if failed else ""
        return ([symptom.title + mark, symptom.description], tone)


def status_line(checklist: Checklist) -> list[tuple[str, str]]:
    """`2 failed · 2 passed · 1 not checked · 1 manual`."""
    parts: list[tuple[str, str]] = []
    for status, word in (
        (FAIL, "failed"),
        (SEEN, "seen"),
        (PASS, "passed"),
        (NOT_CHECKED, "not checked"),
    ):
        count = sum(1 for step in checklist.steps if step.status == status)
        if count:
            parts += [(" · " if parts else "", QUIET), (f"{count} {word}", STATUS_STYLE[status])]
    manual = sum(1 for step in checklist.steps if step.status == MANUAL)
    if manual:
        parts += [
            (" · " if parts else "", QUIET),
            (f"{manual} to do by hand", STATUS_STYLE[MANUAL]),
        ]
    return parts


def step_mark(number: int, step: Check) -> Content:
    """` 1 ✗ FAIL`: the number and the status as a mark and a word."""
    return Content.assemble(
        (f"{number:>2} ", QUIET),
        (STATUS_MARK.get(step.status, step.status), STATUS_STYLE.get(step.status, "")),
    )


def step_title(step: Check) -> Content:
    return Content.assemble((clean_line(step.title, 300), "bold" if step.status == FAIL else ""))


def step_detail(step: Check, conclusion: str = "") -> Content:
    """Evidence lines, then the command to run by hand (not on a pass); a failure adds
    what it means (unless that is the conclusion, shown once at the end)."""
    parts: list[tuple[str, str]] = []
    for line in step.evidence:
        parts += [("│ ", QUIET), (clean_line(line, 300) + "\n", "")]
    if step.command and step.status != PASS:  # on a pass it is only noise
        parts += [("$ ", QUIET), (clean_line(step.command, 600) + "\n", COMMAND)]
    if step.status == FAIL and step.cause and step.cause != conclusion:
        parts += [("means: ", QUIET), (clean_line(step.cause, 1000) + "\n", "")]
    return Content.assemble(*parts).rstrip()


def conclusion_content(checklist: Checklist) -> Content:
    failed = bool(checklist.failed)
    parts: list[tuple[str, str]] = [
        ("Most likely cause\n" if failed else "Conclusion\n", HEADING),
        (clean_line(checklist.conclusion, 1000) + "\n", BAD if failed else ""),
    ]
    if checklist.fix:
        label = "Fix\n" if failed else "Next\n"
        parts += [("\n" + label, HEADING), (clean_line(checklist.fix, 1000), ACCENT)]
    return Content.assemble(*parts)


class ChecklistView(VerticalScroll):
    """The steps of one checklist and its conclusion; built once per symptom, then
    updated in place as the data refreshes (the steps of a symptom do not change)."""

    DEFAULT_CSS = """
    ChecklistView { padding: 0 1; background: $surface; }
    ChecklistView > Static { width: 1fr; }
    ChecklistView > .step-head { height: auto; margin-top: 1; }
    ChecklistView .step-mark { width: 17; }
    ChecklistView .step-title { width: 1fr; }
    ChecklistView > .step-detail { padding-left: 5; }
    ChecklistView > #checklist-wait { margin-top: 1; }
    ChecklistView > #checklist-about { color: $text-muted; }
    ChecklistView > #checklist-conclusion {
        margin-top: 1; padding: 0 1; background: $boost;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.shown: tuple[str, int] | None = None  # symptom and number of steps mounted
        self._steps: list[tuple[Static, Static, Static]] = []  # mark, title, detail
        self._conclusion: Static | None = None

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble(("pick a symptom", QUIET)), id="checklist-about")

    def show(self, symptom: Symptom | None, checklist: Checklist | None, waiting: str) -> None:
        about = self.query_one("#checklist-about", Static)
        if symptom is None:
            about.update(Content("pick a symptom"))
            self._clear()
            return
        about.update(Content(clean_line(symptom.description, 300)))
        if checklist is None or checklist.symptom != symptom.id:
            self._clear()
            self.mount(Static(Content(waiting), id="checklist-wait"))
            return
        shape = (symptom.id, len(checklist.steps))
        if self.shown != shape:
            self._clear()
            widgets: list[Widget] = []
            for _ in checklist.steps:
                row = (Static(classes="step-mark"), Static(classes="step-title"))
                detail = Static(classes="step-detail")
                widgets += [Horizontal(*row, classes="step-head"), detail]
                self._steps.append((*row, detail))
            self._conclusion = Static(id="checklist-conclusion")
            widgets.append(self._conclusion)
            self.mount_all(widgets)
            self.shown = shape
        for number, (step, (mark, title, detail)) in enumerate(
            zip(checklist.steps, self._steps, strict=True), start=1
        ):
            mark.update(step_mark(number, step))
            title.update(step_title(step))
            detail.update(step_detail(step, checklist.conclusion))
        if self._conclusion is not None:
            self._conclusion.update(conclusion_content(checklist))

    def _clear(self) -> None:
        self.shown = None
        self._steps = []
        self._conclusion = None
        for child in list(self.children):
            if child.id != "checklist-about":
                child.remove()


class ChecklistScreen(Screen[None]):
    """`c`: symptoms on the left (or first), the chosen one's checklist beside it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace,q", "back", "Back", id="checklist.back"),
        Binding("r", "rerun", "Run again", id="checklist.rerun"),
        Binding("tab", "switch_focus", "Symptoms/steps", show=False, id="checklist.switch"),
    ]

    # Textual annotates these oddly (ClassVar[...] | None): mypy rejects a ClassVar here
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012

    DEFAULT_CSS = """
    ChecklistScreen #checklist-head {
        height: auto; max-height: 3; background: $panel; padding: 0 1;
    }
    ChecklistScreen #checklist-body { height: 1fr; layout: horizontal; }
    ChecklistScreen #symptoms { width: 1fr; height: 1fr; border: round $border-blurred; }
    ChecklistScreen #symptoms:focus { border: round $border; }
    ChecklistScreen #checklist { width: 2fr; height: 1fr; border: round $border-blurred; }
    ChecklistScreen #checklist:focus-within { border: round $border; }
    ChecklistScreen.-wide ChecklistView > .step-detail { padding-left: 17; }
    ChecklistScreen.-narrow #symptoms { width: 1fr; }
    ChecklistScreen.-narrow #checklist { display: none; }
    ChecklistScreen.-narrow.-reading #symptoms { display: none; }
    ChecklistScreen.-narrow.-reading #checklist { display: block; width: 1fr; }
    """

    def __init__(self, symptom: str | None = None) -> None:
        super().__init__()
        self.symptom: Symptom | None = None
        self.checklist: Checklist | None = None
        self.failed: dict[str, int] = {}
        self._start = symptom

    @property
    def diagnosis(self) -> Diagnosis | None:
        return getattr(self.app, "diagnosis", None)

    def compose(self) -> ComposeResult:
        yield Static(Content(""), id="checklist-head")
        with Container(id="checklist-body"):
            yield RowTable(SYMPTOM_COLUMNS, id="symptoms")
            yield ChecklistView(id="checklist")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#symptoms", RowTable)
        table.border_title = "Symptoms (Enter runs)"
        self.query_one("#checklist", ChecklistView).border_title = "Checklist"
        table.set_source(SymptomRows(SYMPTOMS, self.failed))
        table.focus()
        if self._start is not None:
            table.select_key(self._start)
            self.pick(self._start)
        else:
            self._draw()

    def on_unmount(self) -> None:
        diagnosis = self.diagnosis
        if diagnosis is not None and diagnosis.symptom == (self.symptom and self.symptom.id):
            diagnosis.want_checklist(None)  # nobody reads it any more: stop running it

    # choosing and running

    def pick(self, symptom_id: str) -> None:
        symptom = next((s for s in SYMPTOMS if s.id == symptom_id), None)
        if symptom is None:
            return
        self.symptom = symptom
        self.checklist = None
        self.add_class("-reading")
        diagnosis = self.diagnosis
        if diagnosis is not None:
            diagnosis.want_checklist(symptom.id)  # runs now (inline in tests)
        result = diagnosis.result if diagnosis is not None else None
        if self.checklist is None and result is not None:
            self.show_findings(result)
        self._draw()
        if self.has_class("-narrow"):
            self.query_one("#checklist", ChecklistView).focus()

    def show_findings(self, result: DiagnosisResult) -> None:
        """Each diagnosis run brings the checklist of the symptom this screen asked for."""
        checklist = result.checklist
        if checklist is None or self.symptom is None or checklist.symptom != self.symptom.id:
            return
        self.checklist = checklist
        self.failed[checklist.symptom] = len(checklist.failed) or -len(checklist.seen)
        self.query_one("#symptoms", RowTable).refresh()
        self._draw()

    def _draw(self) -> None:
        head = self.query_one("#checklist-head", Static)
        view = self.query_one("#checklist", ChecklistView)
        diagnosis = self.diagnosis
        if self.symptom is None:
            head.update(
                Content.assemble(
                    ("Checklist", "bold"),
                    ("  what does the operator see? pick a symptom, Enter runs its checks", QUIET),
                )
            )
            view.show(None, None, "")
            return
        running = diagnosis is not None and diagnosis.running
        waiting = "running the checks…" if diagnosis is not None else "diagnosis is off"
        parts: list[tuple[str, str]] = [(clean_line(self.symptom.title, 120), "bold")]
        if self.checklist is not None and self.checklist.symptom == self.symptom.id:
            parts += [("  ", ""), *status_line(self.checklist)]
        result = diagnosis.result if diagnosis is not None else None
        if result is not None:
            missing = [
                name
                for name, checked in (("host", result.host_checked), ("logs", result.logs_checked))
                if not checked
            ]
            data = "engine" + (
                f" ({' and '.join(missing)} not followed)" if missing else ", host, logs"
            )
            parts.append((f"\ndata: {data} · r runs again", QUIET))
        if running:
            parts.append(("  (running…)", QUIET))
        head.update(Content.assemble(*parts))
        view.show(self.symptom, self.checklist, waiting)
        view.border_title = f"Checklist: {clean_line(self.symptom.title, 60)}"

    # events and keys

    @on(RowTable.Selected, "#symptoms")
    def _selected(self, event: RowTable.Selected) -> None:
        event.stop()
        self.pick(event.key)

    def action_rerun(self) -> None:
        diagnosis = self.diagnosis
        if self.symptom is None:
            table = self.query_one("#symptoms", RowTable)
            if table.cursor_key is not None:
                self.pick(table.cursor_key)
            return
        if diagnosis is not None:
            diagnosis.rerun()
            self._draw()

    def action_back(self) -> None:
        """Esc: from a checklist on a narrow screen back to the symptoms; else close."""
        if self.has_class("-narrow") and self.has_class("-reading"):
            self.remove_class("-reading")
            self.query_one("#symptoms", RowTable).focus()
            return
        self.app.pop_screen()

    def action_switch_focus(self) -> None:
        table = self.query_one("#symptoms", RowTable)
        view = self.query_one("#checklist", ChecklistView)
        if self.has_class("-narrow"):
            self.set_class(not self.has_class("-reading"), "-reading")
            (view if self.has_class("-reading") else table).focus()
        elif table.has_focus:
            view.focus()
        else:
            table.focus()
