"""SIP response codes: what each means, what usually causes it on a softswitch, what
to check. `R` opens it (on a call's screen, at the call's final code); type a code or
words to filter ("48", "codec", "nat"), as `vostui.sip.codes.search` matches them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, Static

from vostui.sip.codes import CODES, CodeInfo, lookup, search
from vostui.text import clean_line
from vostui.ui.format import ACCENT, QUIET
from vostui.ui.keybar import KeyBar
from vostui.ui.table import Cell, ColumnSpec, RowTable, Tone

HEADING = "$text-primary bold"
CLASS_NAMES = {
    1: "provisional",
    2: "success",
    3: "redirection",
    4: "client failure",
    5: "server failure",
    6: "global failure",
}

CODE_COLUMNS = (
    ColumnSpec("code", "Code", 4, 4, align="right"),
    ColumnSpec("phrase", "Phrase", 30, 16),
    ColumnSpec("meaning", "Meaning", 60, 20, priority=1, flex=True),
)


def code_tone(code: int) -> Tone:
    if code >= 500:
        return "problem"
    if code >= 400:
        return "warning"
    if 200 <= code < 300:
        return "good"
    return ""


def relevance(info: CodeInfo, text: str) -> tuple[int, int]:
    """Lower is closer: the number itself, then a word in the phrase, the meaning, the rest."""
    needle = text.strip().lower()
    if str(info.code).startswith(needle):
        return (0, info.code)
    for rank, field in enumerate((info.phrase, info.meaning), start=1):
        if needle in field.lower():
            return (rank, info.code)
    return (3, info.code)


class CodeRows:
    def __init__(self, infos: Sequence[CodeInfo]) -> None:
        self.infos = tuple(infos)

    def __len__(self) -> int:
        return len(self.infos)

    def key(self, index: int) -> str:
        return str(self.infos[index].code)

    def cells(self, index: int) -> tuple[Sequence[Cell], Tone]:
        info = self.infos[index]
        return ([str(info.code), info.phrase, info.meaning], code_tone(info.code))


def code_content(info: CodeInfo) -> Content:
    klass = CLASS_NAMES.get(info.code // 100, "")
    listed = "" if info.code in CODES else "  (not listed: what its class means)"
    return Content.assemble(
        (f"{info.code} {info.phrase}", "bold"),
        (f"  {info.klass} {klass}{listed}", QUIET),
        ("\n\nMeaning\n", HEADING),
        (info.meaning, ""),
        ("\n\nCommon cause on a softswitch\n", HEADING),
        (info.cause, ""),
        ("\n\nWhat to check\n", HEADING),
        (info.check, ACCENT),
    )


class CodeText(VerticalScroll):
    DEFAULT_CSS = """
    CodeText { padding: 0 1; background: $surface; }
    CodeText > Static { width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble(("no code selected", QUIET)))

    def show(self, info: CodeInfo | None) -> None:
        static = self.query_one(Static)
        static.update(code_content(info) if info else Content.assemble(("no match", QUIET)))
        self.scroll_home(animate=False)


class CodesScreen(Screen[None]):
    """The reference: filter line, list of codes, the selected one explained."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Back", id="codes.back"),
        Binding("slash", "focus_filter", "Filter", id="codes.filter"),
        Binding("up", "move(-1)", "Up", show=False, id="codes.up"),
        Binding("down", "move(1)", "Down", show=False, id="codes.down"),
        Binding("pageup", "move(-10)", "Page up", show=False, id="codes.page_up"),
        Binding("pagedown", "move(10)", "Page down", show=False, id="codes.page_down"),
        Binding("tab", "switch_focus", "List/text", show=False, id="codes.switch"),
    ]

    # Textual annotates these oddly (ClassVar[...] | None): mypy rejects a ClassVar here
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012

    DEFAULT_CSS = """
    CodesScreen #codes-filter { height: 1; border: none; padding: 0 1; background: $boost; }
    CodesScreen #codes-body { height: 1fr; layout: vertical; }
    CodesScreen.-wide #codes-body { layout: horizontal; }
    CodesScreen #codes { height: 1fr; width: 1fr; border: round $border-blurred; }
    CodesScreen #codes:focus { border: round $border; }
    CodesScreen #code-detail { height: 1fr; width: 1fr; border: round $border-blurred; }
    CodesScreen #code-detail:focus-within { border: round $border; }
    CodesScreen.-wide #codes { width: 2fr; }
    CodesScreen.-wide #code-detail { width: 3fr; }
    """

    def __init__(self, code: int | None = None) -> None:
        super().__init__()
        self.code = code

    def compose(self) -> ComposeResult:
        yield Input(placeholder="type a code or words: 48, codec, nat, busy", id="codes-filter")
        with Container(id="codes-body"):
            yield RowTable(CODE_COLUMNS, empty_text="no code matches", id="codes")
            yield CodeText(id="code-detail")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#codes", RowTable)
        table.border_title = "SIP response codes"
        self.query_one("#code-detail", CodeText).border_title = "What it means"
        infos = list(CODES.values())
        if self.code and self.code not in CODES:
            infos.append(lookup(self.code))  # unlisted: shown with its class's text
            infos.sort(key=lambda info: info.code)
        table.set_source(CodeRows(infos))
        if self.code:
            table.select_key(str(self.code))
            table.focus()
        else:
            self._show_selected()
            self.query_one(Input).focus()

    @property
    def shown(self) -> tuple[int, ...]:
        rows = self.query_one("#codes", RowTable).source
        return tuple(info.code for info in rows.infos) if isinstance(rows, CodeRows) else ()

    def _show_selected(self) -> None:
        key = self.query_one("#codes", RowTable).cursor_key
        self.query_one(CodeText).show(lookup(int(key)) if key else None)

    @on(Input.Changed, "#codes-filter")
    def _typed(self, event: Input.Changed) -> None:
        text = clean_line(event.value, 40)
        table = self.query_one("#codes", RowTable)
        found = search(text)
        table.set_source(CodeRows(found))
        table.action_edge(0)
        if found:
            # the list stays in code order; the cursor goes to the closest match
            table.select_key(str(min(found, key=lambda info: relevance(info, text)).code))
        self._show_selected()

    @on(Input.Submitted, "#codes-filter")
    def _submitted(self) -> None:
        self.query_one("#codes", RowTable).focus()

    @on(RowTable.Highlighted, "#codes")
    def _highlighted(self, event: RowTable.Highlighted) -> None:
        self.query_one(CodeText).show(lookup(int(event.key)) if event.key else None)

    @on(RowTable.Selected, "#codes")
    def _selected(self, event: RowTable.Selected) -> None:
        event.stop()
        self.query_one(CodeText).focus()

    def action_move(self, step: int) -> None:
        self.query_one("#codes", RowTable).action_cursor(step)

    def action_focus_filter(self) -> None:
        self.query_one(Input).focus()

    def action_switch_focus(self) -> None:
        table = self.query_one("#codes", RowTable)
        if self.query_one(Input).has_focus:
            table.focus()
        elif table.has_focus:
            self.query_one(CodeText).focus()
        else:
            self.query_one(Input).focus()
