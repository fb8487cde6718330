"""Calls pane: one row per call (legs paired), sortable, filterable with `/` (the language of
vostui/filters.py).

Problem calls (a failed final state, or named by a finding: see `vostui.ui.problems`)
carry "!" before their state, the reason in the `Why` column, and, for the selected
row, the reason and the findings' titles on the line under the list; `p` shows only
them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from vostui.diagnose.finding import Finding
from vostui.engine.snapshot import CallView, EngineSnapshot
from vostui.filters import CALL_FIELDS, Filter, call_search_text, matches_call
from vostui.text import clean_line
from vostui.ui.filter_box import FilterBox
from vostui.ui.format import clock, duration, seconds
from vostui.ui.legs import FAILED_MARK, legs_cell, legs_sort_key
from vostui.ui.navigation import OpenCall
from vostui.ui.pane import Pane
from vostui.ui.problems import ProblemCalls
from vostui.ui.table import Cell, ColumnSpec, RowTable, Tone

CALL_COLUMNS = (
    ColumnSpec("start", "Start", 8, 8, priority=1),  # sngrep keeps its time too
    ColumnSpec("duration", "Dur", 7, 5, align="right"),
    ColumnSpec("caller", "Caller", 16, 11, flex=True),  # E.164 numbers are 11-15 digits
    ColumnSpec("callee", "Callee", 16, 11, flex=True),
    ColumnSpec("mapping", "Mapping", 12, 6, priority=4, flex=True),  # before Why when narrow
    ColumnSpec("routing", "Routing", 12, 6, priority=2, flex=True),  # Why names it on failure
    ColumnSpec("state", "State", 10, 10),  # "!timed_out": "!" marks a problem call
    ColumnSpec("pdd", "PDD", 5, 4, priority=4, align="right"),
    ColumnSpec("code", "Code", 4, 4, align="right"),
    # "2": A-leg and B-leg; "2+1✗": and a route tried before, failed (vostui/ui/legs.py).
    # Fits at 80 columns; narrower, Start, then Why, then Legs give way.
    ColumnSpec("legs", "Legs", 5, 4, priority=3, align="right"),
    ColumnSpec("why", "Why", 24, 10, priority=1, flex=True),  # "503 VEND-2", "no ACK", "one-way"
)
SORT_ORDER = tuple(column.key for column in CALL_COLUMNS)


def sort_key(
    column: str, now: float, why: Callable[[CallView], str] | None = None
) -> Callable[[CallView], Any]:
    """Key function for `sorted` over CallViews by a column (`why`: a call's reasons)."""
    if column == "why" and why is not None:
        reason = why
        return lambda c: (reason(c) == "", reason(c))  # the calls with a reason first
    if column == "duration":
        return lambda c: (c.ended if c.ended is not None else now) - c.start
    if column == "caller":
        return lambda c: c.caller
    if column == "callee":
        return lambda c: c.callee
    if column == "mapping":
        return lambda c: c.mapping_gateway
    if column == "routing":
        return lambda c: c.routing_gateway
    if column == "state":
        return lambda c: c.state
    if column == "pdd":
        return lambda c: c.pdd if c.pdd is not None else -1.0
    if column == "code":
        return lambda c: c.final_code
    if column == "legs":
        return legs_sort_key
    return lambda c: c.start


class CallRows:
    """The filtered, sorted calls of one snapshot; cells made only when drawn."""

    def __init__(
        self, calls: Sequence[CallView], now: float, problems: ProblemCalls | None = None
    ) -> None:
        self.calls = calls
        self.now = now
        self.problems = problems if problems is not None else ProblemCalls()

    def __len__(self) -> int:
        return len(self.calls)

    def key(self, index: int) -> str:
        return self.calls[index].key

    def cells(self, index: int) -> tuple[Sequence[Cell], Tone]:
        call = self.calls[index]
        code: Cell = ""
        if call.final_code:
            code = (str(call.final_code), "problem" if call.final_code >= 400 else "")
        problems = self.problems
        flagged = problems.flagged(call)
        tone: Tone = ""
        if flagged:
            tone = "problem"
        elif call.active and call.answered is not None:
            tone = "good"
        cells: list[Cell] = [
            clock(call.start),
            duration(call.duration(self.now)),
            clean_line(call.caller, 64),
            clean_line(call.callee, 64),
            clean_line(call.mapping_gateway, 40),
            clean_line(call.routing_gateway, 40),
            ("!" if flagged else "") + clean_line(call.state, 16),
            seconds(call.pdd),
            code,
            (legs, "warning") if FAILED_MARK in (legs := legs_cell(call)) else legs,
            clean_line(problems.why(call), 80) if flagged else "",
        ]
        return cells, tone


def _failed(call: CallView) -> bool:
    return call.problem


class CallFilter:
    """The `/` filter (vostui/filters.py) over calls. Each call's search text is kept by
    identity (the engine reuses unchanged views): 20,000 calls on every keystroke."""

    def __init__(self) -> None:
        self._texts: dict[int, tuple[CallView, str]] = {}

    def apply(
        self,
        calls: Sequence[CallView],
        expression: Filter,
        problems_only: bool,
        now: float,
        flagged: Callable[[CallView], bool] | None = None,
    ) -> list[CallView]:
        """The calls that match `expression`; with `problems_only`, only those `flagged`
        (default: `CallView.problem`, the failed final states)."""
        is_problem = flagged if flagged is not None else _failed
        if not expression:
            return [call for call in calls if is_problem(call)] if problems_only else list(calls)
        if not expression.words:
            return [
                call
                for call in calls
                if (not problems_only or is_problem(call))
                and matches_call(expression, call, now, flagged=is_problem)
            ]
        # only bare words (the common case, typed a key at a time): a plain loop
        words = [t.value for t in expression.terms] if not expression.fields else None
        fresh: dict[int, tuple[CallView, str]] = {}
        old = self._texts
        out: list[CallView] = []
        for call in calls:
            key = id(call)
            entry = old.get(key)
            if entry is None or entry[0] is not call:
                entry = (call, call_search_text(call))
            fresh[key] = entry
            if problems_only and not is_problem(call):
                continue
            text = entry[1]
            if words is not None:
                for word in words:
                    if word not in text:
                        break
                else:
                    out.append(call)
            elif matches_call(expression, call, now, text, is_problem):
                out.append(call)
        self._texts = fresh
        return out


class CallsPane(Pane):
    """The calls of the latest snapshot. Enter posts `OpenCall`."""

    NUMBER = 1
    TITLE = "Calls"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash,f3,f7", "filter", "Filter", id="calls.filter"),
        Binding("o", "sort_next", "Sort", id="calls.sort"),
        Binding("r", "sort_reverse", "Reverse", show=False, id="calls.reverse"),
        Binding("p", "problems", "Problems", id="calls.problems"),
        Binding("escape,f5", "clear_filter", "Clear filter", show=False, id="calls.clear"),
    ]

    DEFAULT_CSS = """
    CallsPane { border-subtitle-align: left; border-subtitle-color: $error; }
    """

    OpenCall = OpenCall  # the app's navigation message (vostui/ui/navigation.py)

    def __init__(self, *, id: str | None = "calls") -> None:
        super().__init__(id=id)
        self.problems_only = False
        self._filter = CallFilter()
        self.problems = ProblemCalls()
        self._problem_mark: frozenset[tuple[str, str, str, str]] = frozenset()
        self._snapshot: EngineSnapshot | None = None
        self._shown_version = -1
        self._now = 0.0

    def compose(self) -> ComposeResult:
        table = RowTable(CALL_COLUMNS, empty_text="no calls yet", id="calls-table")
        table.sort_column = "start"
        table.sort_reverse = True
        yield table
        yield FilterBox(
            CALL_FIELDS,
            placeholder="filter: 1001  state=rejected  code>=400  4xx  ip=10.0.0.1  (? keys)",
            id="calls-filter-box",
            input_id="calls-filter",
        )

    def on_mount(self) -> None:
        super().on_mount()
        result = getattr(getattr(self.app, "diagnosis", None), "result", None)
        if result is not None:
            self.set_findings(result.by_call)

    def set_findings(self, by_call: dict[str, tuple[Finding, ...]]) -> None:
        """The latest diagnosis: the findings that name each call (`DiagnosisResult.by_call`)."""
        problems = ProblemCalls(by_call)
        mark = frozenset(
            (key, f.rule, f.affected.kind, f.affected.id)
            for key, found in problems.by_call.items()
            for f in found
        )
        self.problems = problems
        if mark != self._problem_mark:
            self._problem_mark = mark
            self.refilter()  # other calls carry the mark: `p` shows other calls
            return
        rows = self.table.source
        if isinstance(rows, CallRows):
            rows.problems = problems  # the same calls: new titles for the line below
        self._show_why()

    @property
    def table(self) -> RowTable:
        return self.query_one("#calls-table", RowTable)

    @property
    def filter_box(self) -> FilterBox:
        return self.query_one(FilterBox)

    @property
    def query_text(self) -> str:
        """The filter in force, as typed."""
        return self.filter_box.text

    def show(self, snapshot: EngineSnapshot, now: float) -> None:
        """Rebuild the rows when the snapshot changed; otherwise only tick durations."""
        self._snapshot = snapshot
        self._now = now
        if snapshot.version != self._shown_version:
            self._rebuild()
        else:
            rows = self.table.source
            if isinstance(rows, CallRows):
                rows.now = now
            self.table.refresh()

    def _rebuild(self) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            return
        self._shown_version = snapshot.version
        table = self.table
        box = self.filter_box
        problems = self.problems
        calls = self._filter.apply(
            snapshot.calls, box.filter, self.problems_only, self._now, problems.flagged
        )
        calls.sort(
            key=sort_key(table.sort_column, self._now, problems.why), reverse=table.sort_reverse
        )
        table.set_source(CallRows(calls, self._now, problems))
        total = len(snapshot.calls)
        active = sum(1 for c in snapshot.calls if c.ended is None)
        note = f"{active} active, {total} total"
        table.empty_text = "no calls yet"
        if box.active or self.problems_only:
            shown = "problems" if self.problems_only else ""
            if box.active:
                shown = f"{shown} /{box.text}".strip()
            note = f"{len(calls)} of {total} shown ({shown}) · {active} active"
            if total and not calls:
                clear = "Esc clears" if box.active else "p shows all"
                table.empty_text = f"0 of {total} shown: none matches {shown} ({clear})"
        self.set_note(note)
        self._show_why()

    def _show_why(self) -> None:
        """Under the list: why the selected call is a problem call (nothing otherwise)."""
        table = self.table
        rows = table.source
        line = ""
        if isinstance(rows, CallRows) and 0 <= table.cursor < len(rows):
            line = self.problems.line(rows.calls[table.cursor])
        self.border_subtitle = Text(f"! {clean_line(line, 200)}") if line else ""

    def refilter(self) -> None:
        self._shown_version = -1
        self._rebuild()

    # actions

    def action_filter(self) -> None:
        self.filter_box.open()

    def set_filter(self, text: str) -> None:
        """Filter by `text` (a finding's IP: `ip=10.0.2.3`); the list keeps the focus."""
        self.filter_box.put(text)
        self.table.focus()

    def action_clear_filter(self) -> None:
        if not self.filter_box.clear():
            raise SkipAction()  # let Escape reach the screen (restore a maximised pane)
        self.table.focus()

    def action_sort_next(self) -> None:
        table = self.table
        position = SORT_ORDER.index(table.sort_column) if table.sort_column in SORT_ORDER else -1
        table.sort_column = SORT_ORDER[(position + 1) % len(SORT_ORDER)]
        table.sort_reverse = False  # a new column starts ascending; r reverses
        self.refilter()

    def action_sort_reverse(self) -> None:
        self.table.sort_reverse = not self.table.sort_reverse
        self.refilter()

    def action_problems(self) -> None:
        self.problems_only = not self.problems_only
        self.refilter()

    # events

    @on(FilterBox.Applied)
    def _filtered(self, event: FilterBox.Applied) -> None:
        event.stop()
        self.refilter()

    @on(FilterBox.Done)
    def _filter_done(self, event: FilterBox.Done) -> None:
        event.stop()
        self.table.focus()

    @on(RowTable.SortRequested)
    def _sort_clicked(self, event: RowTable.SortRequested) -> None:
        table = self.table
        if table.sort_column == event.column:
            table.sort_reverse = not table.sort_reverse
        else:
            table.sort_column = event.column
            table.sort_reverse = False
        self.refilter()

    @on(RowTable.Highlighted, "#calls-table")
    def _highlighted(self, event: RowTable.Highlighted) -> None:
        self._show_why()

    @on(RowTable.Selected, "#calls-table")
    def _selected(self, event: RowTable.Selected) -> None:
        event.stop()
        self.post_message(self.OpenCall(event.key))
