"""Registrations pane: one row per account and source, failing ones first."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.message import Message

from vostui.engine.snapshot import EngineSnapshot, RegistrationView
from vostui.text import clean_line
from vostui.ui.format import duration
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
    return f"{registration.account}\x00{registration.source}"


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

    class OpenRegistration(Message):
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, *, id: str | None = "registrations", classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._shown_version = -1

    def compose(self) -> ComposeResult:
        yield RowTable(
            REGISTRATION_COLUMNS, empty_text="no REGISTER seen", id="registrations-table"
        )

    @property
    def table(self) -> RowTable:
        return self.query_one("#registrations-table", RowTable)

    def show(self, snapshot: EngineSnapshot, now: float) -> None:
        table = self.table
        if snapshot.version != self._shown_version:
            self._shown_version = snapshot.version
            regs = order(snapshot.registrations)
            table.set_source(RegistrationRows(regs, now))
            failing = sum(1 for r in regs if r.failing)
            self.set_note(f"{failing} failing of {len(regs)}" if regs else "")
        else:
            rows = table.source
            if isinstance(rows, RegistrationRows):
                rows.now = now
            table.refresh()

    @on(RowTable.Selected, "#registrations-table")
    def _selected(self, event: RowTable.Selected) -> None:
        event.stop()
        self.post_message(self.OpenRegistration(event.key))
