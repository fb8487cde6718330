"""Registration screen: the history of one account from one source, message by message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.content import Content
from textual.widgets import Static

from vostui.engine.snapshot import EngineSnapshot, MessageRecord, RegistrationView
from vostui.ladder import arrow_label, clock_ms
from vostui.text import clean_line
from vostui.ui.findings_screen import FindingsBox, FindingsHolder
from vostui.ui.format import BAD, GOOD, QUIET, clock, duration
from vostui.ui.keybar import KeyBar
from vostui.ui.message_view import MessageView
from vostui.ui.registrations_pane import registration_key
from vostui.ui.table import Cell, ColumnSpec, RowTable, Tone

if TYPE_CHECKING:
    from vostui.ui.diagnosis import DiagnosisResult

HISTORY_COLUMNS = (
    ColumnSpec("attempt", "Try", 4, 3, align="right"),
    ColumnSpec("time", "Time", 12, 12),
    ColumnSpec("direction", "Dir", 3, 3),
    ColumnSpec("message", "Message", 28, 12, flex=True),
    ColumnSpec("expires", "Exp", 6, 5, priority=1, align="right"),
)


class HistoryRows:
    """Every message of every attempt, oldest first; keyed by engine message index."""

    def __init__(self, registration: RegistrationView) -> None:
        self.rows: list[tuple[int, MessageRecord]] = []
        for number, attempt in enumerate(registration.history, start=1):
            for record in attempt.messages:
                self.rows.append((number, record))
        self.registrar = registration.registrar

    def __len__(self) -> int:
        return len(self.rows)

    def key(self, index: int) -> str:
        return str(self.rows[index][1].index)

    def record(self, key: str) -> MessageRecord | None:
        for _number, record in self.rows:
            if str(record.index) == key:
                return record
        return None

    def cells(self, index: int) -> tuple[Sequence[Cell], Tone]:
        number, record = self.rows[index]
        msg = record.msg
        outgoing = record.dst_addr == self.registrar
        tone: Tone = ""
        if not msg.is_request:
            tone = (
                "problem"
                if msg.status >= 300 and msg.status not in (401, 407)
                else (
                    "good" if 200 <= msg.status < 300 else "warning" if msg.status >= 400 else "dim"
                )
            )
        if record.retransmission:
            tone = "dim"
        expires = msg.expires
        if expires is None and msg.contacts:
            raw = msg.contacts[0].param("expires")
            expires = int(raw) if raw and raw.isdigit() else None
        return (
            [
                str(number),
                clock_ms(record.ts),
                "→" if outgoing else "←",
                arrow_label(record) + (" (retx)" if record.retransmission else ""),
                "" if expires is None else str(expires),
            ],
            tone,
        )


class RegistrationScreen(FindingsHolder):
    findings_noun = "registration"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace,q", "app.pop_screen", "Back", id="registration.back"),
        Binding("tab", "switch_focus", "History/message", show=False, id="registration.switch"),
        Binding("f", "toggle_findings", "Its findings", id="registration.findings"),
    ]

    # Textual annotates these oddly (ClassVar[...] | None): mypy rejects a ClassVar here
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012

    DEFAULT_CSS = """
    RegistrationScreen #registration-head {
        height: auto; max-height: 3; background: $panel; padding: 0 1;
    }
    RegistrationScreen #registration-body { height: 1fr; layout: vertical; }
    RegistrationScreen.-wide #registration-body { layout: horizontal; }
    RegistrationScreen #history { height: 1fr; width: 1fr; border: round $border-blurred; }
    RegistrationScreen #history:focus { border: round $border; }
    RegistrationScreen #registration-message {
        height: 1fr; width: 1fr; border: round $border-blurred;
    }
    RegistrationScreen #registration-message:focus-within { border: round $border; }
    RegistrationScreen.-wide #registration-message { width: 2fr; }
    """

    def __init__(self, key: str, snapshot: EngineSnapshot) -> None:
        super().__init__()
        self.key = key
        self.registration = self._find(snapshot)

    def _find(self, snapshot: EngineSnapshot) -> RegistrationView | None:
        for registration in snapshot.registrations:
            if registration_key(registration) == self.key:
                return registration
        return None

    def compose(self) -> ComposeResult:
        yield Static(Content(""), id="registration-head")
        yield FindingsBox("registration", id="registration-findings")
        with Container(id="registration-body"):
            yield RowTable(HISTORY_COLUMNS, empty_text="no attempts kept", id="history")
            yield MessageView(id="registration-message")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#history", RowTable).border_title = "Attempts"
        self.query_one("#registration-message", MessageView).border_title = "Message"
        self._redraw(None)
        table = self.query_one("#history", RowTable)
        table.focus()
        table.action_edge(1)  # the latest attempt is what the operator came for
        diagnosis = getattr(self.app, "diagnosis", None)
        if diagnosis is not None and diagnosis.result is not None:
            self.show_findings(diagnosis.result)

    def show(self, snapshot: EngineSnapshot, status: object, now: float) -> None:
        registration = self._find(snapshot)
        if registration is not None and registration is not self.registration:
            self.registration = registration
            self._redraw(now)

    def _redraw(self, now: float | None) -> None:
        reg = self.registration
        head = self.query_one("#registration-head", Static)
        table = self.query_one("#history", RowTable)
        if reg is None:
            head.update(
                Content.assemble(("registration not found: ", BAD), (clean_line(self.key, 80), ""))
            )
            return
        table.set_source(HistoryRows(reg))
        now = reg.last_seen if now is None else now
        expires = "-"
        if reg.expires_at is not None:
            left = reg.expires_at - now
            expires = "expired" if left <= 0 else f"in {duration(left)}"
        head.update(
            Content.assemble(
                (clean_line(reg.account, 80), "bold"),
                (" from ", QUIET),
                (clean_line(reg.source, 48), "bold"),
                (" to ", QUIET),
                (clean_line(reg.registrar, 48), ""),
                (f"  {clean_line(reg.state, 16)}", BAD if reg.failing else GOOD),
                (f" {reg.last_code or ''}", ""),
                (f"\n{reg.attempts} attempts, {reg.challenges} challenges", ""),
                (f" (loop {reg.challenge_loop})" if reg.challenge_loop else "", BAD),
                (
                    f"  expires {expires}  first {clock(reg.first_seen)}"
                    f" last {clock(reg.last_seen)}",
                    "",
                ),
                (f"  contact {clean_line(reg.contact, 60)}", QUIET),
                (" (private address)" if reg.contact_private else "", BAD),
                (f"\nUA {clean_line(reg.user_agent, 100)}", QUIET),
            )
        )

    @on(RowTable.Highlighted, "#history")
    def _highlighted(self, event: RowTable.Highlighted) -> None:
        table = self.query_one("#history", RowTable)
        rows = table.source
        view = self.query_one(MessageView)
        record = rows.record(event.key) if isinstance(rows, HistoryRows) and event.key else None
        if record is None:
            view.show(None)
            return
        view.show(record, number=table.cursor + 1, stamp=clock_ms(record.ts))

    # diagnosis

    @property
    def reference_code(self) -> int | None:
        """`R` opens the response-code reference at the last answer's code."""
        reg = self.registration
        return reg.last_code if reg is not None and reg.last_code else None

    def show_findings(self, result: DiagnosisResult) -> None:
        reg = self.registration
        findings = result.for_registration(reg.account, reg.source) if reg is not None else ()
        self._set_findings(findings)

    def findings_home(self) -> RowTable:
        return self.query_one("#history", RowTable)

    def action_switch_focus(self) -> None:
        table = self.query_one("#history", RowTable)
        if table.has_focus:
            self.query_one(MessageView).focus()
        else:
            table.focus()
