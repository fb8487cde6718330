"""Registrations pane: one row per account and source, failing ones first; `/` filters
(the language of vostui/filters.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from vostui.engine.snapshot import EngineSnapshot, RegistrationView
from vostui.filters import REGISTRATION_FIELDS, registration_fields
from vostui.text import clean_line
from vostui.ui.filter_box import FilterBox
from vostui.ui.format import duration
from vostui.ui.navigation import OpenRegistration, registration_id
from vostui.ui.pane import Pane
from vostui.ui.table import Cell, ColumnSpec, RowTable, Tone

REGISTRATION_COLUMNS = (
    # minimums that keep an account and an "ip:port" readable; narrower, User-Agent goes first
    ColumnSpec("account", "Account", 24, 16, flex=True),
    ColumnSpec("source", "Source", 21, 15, priority=2),
    ColumnSpec("state", "State", 11, 9),  # "!forbidden": "!" marks a failing one
    ColumnSpec("code", "Code", 4, 4, align="right"),
    ColumnSpec("attempts", "Tries", 5, 5, priority=3, align="right"),
    ColumnSpec("expires", "Expires", 8, 7, priority=1, align="right"),
    ColumnSpec("user_agent", "User-Agent", 24, 10, priority=4, flex=True),
)


def registration_key(registration: RegistrationView) -> str:
    return registration_id(registration.account, registration.source)


def order(registrations: Sequence[RegistrationView]) -> list[RegistrationView]:
    """Failing first, then the most recently seen."""
    return sorted(registrations, key=lambda r: (not r.failing, -r.last_seen))


def expires_in(registration: RegistrationView, now: float) -> tuple[str, Tone]:
    if registration.expires_at is None:
        return "", ""
    left = registration.expires_at - now
    if left <= 0:
        return "expired", "warning"
    return duration(left), ""


class RegistrationRows:
    def __init__(self, registrations: Sequence[RegistrationView], now: float) -> None:
        self.registrations = registrations
        self.now = now

    def __len__(self) -> int:
        return len(self.registrations)

    def key(self, index: int) -> str:
        return registration_key(self.registrations[index])

    def cells(self, index: int) -> tuple[Sequence[Cell], Tone]:
        reg = self.registrations[index]
        tone: Tone = "problem" if reg.failing else ""
        code: Cell = str(reg.last_code) if reg.last_code else ""
        return (
            [
                clean_line(reg.account, 96),
                clean_line(reg.source, 48),
                ("!" if reg.failing else "") + clean_line(reg.state, 16),
                code,
                str(reg.attempts),
                expires_in(reg, self.now),
                clean_line(reg.user_agent, 128),
            ],
            tone,
        )


class RegistrationsPane(Pane):
    NUMBER = 2
    TITLE = "Registrations"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash,f3,f7", "filter", "Filter", id="registrations.filter"),
        Binding("escape,f5", "clear_filter", "Clear filter", show=False, id="registrations.clear"),
    ]

    OpenRegistration = OpenRegistration  # the app's navigation message (ui/navigation.py)

    def __init__(self, *, id: str | None = "registrations", classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._shown_version = -1
        self._snapshot: EngineSnapshot | None = None
        self._now = 0.0

    def compose(self) -> ComposeResult:
        yield RowTable(
            REGISTRATION_COLUMNS, empty_text="no REGISTER seen", id="registrations-table"
        )
        yield FilterBox(
            REGISTRATION_FIELDS,
            placeholder="filter: 1001  state=failed  code=403  ip=10.0.0.1  attempts>5",
            id="registrations-filter-box",
            input_id="registrations-filter",
        )

    @property
    def table(self) -> RowTable:
        return self.query_one("#registrations-table", RowTable)

    @property
    def filter_box(self) -> FilterBox:
        return self.query_one(FilterBox)

    def show(self, snapshot: EngineSnapshot, now: float) -> None:
        table = self.table
        self._snapshot = snapshot
        self._now = now
        if snapshot.version != self._shown_version:
            self._rebuild()
        else:
            rows = table.source
            if isinstance(rows, RegistrationRows):
                rows.now = now
            table.refresh()

    def _rebuild(self) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            return
        self._shown_version = snapshot.version
        table = self.table
        every = snapshot.registrations
        box = self.filter_box
        regs = order(
            every
            if not box.active
            else [r for r in every if box.filter.matches(registration_fields(r))]
        )
        table.set_source(RegistrationRows(regs, self._now))
        failing = sum(1 for r in every if r.failing)
        note = f"{failing} failing of {len(every)}" if every else ""
        table.empty_text = "no REGISTER seen"
        if box.active:
            note = f"{len(regs)} of {len(every)} shown (/{box.text}) · {failing} failing"
            if every and not regs:
                table.empty_text = f"0 of {len(every)} shown: none matches /{box.text} (Esc clears)"
        self.set_note(note)

    def action_filter(self) -> None:
        self.filter_box.open()

    def action_clear_filter(self) -> None:
        if not self.filter_box.clear():
            raise SkipAction()  # let Escape reach the screen (restore a maximised pane)
        self.table.focus()

    @on(FilterBox.Applied)
    def _filtered(self, event: FilterBox.Applied) -> None:
        event.stop()
        self._rebuild()

    @on(FilterBox.Done)
    def _filter_done(self, event: FilterBox.Done) -> None:
        event.stop()
        self.table.focus()

    @on(RowTable.Selected, "#registrations-table")
    def _selected(self, event: RowTable.Selected) -> None:
        event.stop()
        self.post_message(self.OpenRegistration(event.key))
