"""`?`: the keys of the screen underneath, grouped by where they act."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from vostui.ui.format import ACCENT, QUIET

FOCUS = ("app.focus_next", "app.focus_previous", "focus_next", "focus_previous")


def binding_rows(screen: Screen[object]) -> list[tuple[str, str, str]]:
    """(where, keys, what) for every active binding with a description."""
    app = screen.app
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        # ours all carry an id; of Textual's own, only moving focus is worth listing
        if not binding.description or (binding.id is None and binding.action not in FOCUS):
            continue
        where = _where(active.node)
        group = (where, binding.action, binding.description)
        grouped.setdefault(group, []).append(app.get_key_display(binding))
    rows = [
        (where, " ".join(dict.fromkeys(keys)), what) for (where, _a, what), keys in grouped.items()
    ]
    order = {"Everywhere": 2, "This screen": 1}
    rows.sort(key=lambda row: (order.get(row[0], 0), row[0]))
    return rows


def _where(node: DOMNode) -> str:
    from textual.app import App

    if isinstance(node, App):
        return "Everywhere"
    if isinstance(node, Screen):
        return "This screen"
    return str(getattr(node, "HELP_GROUP", "") or getattr(node, "TITLE", "") or type(node).__name__)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "app.pop_screen", "Close", id="help.close"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 72; max-width: 100%; height: auto; max-height: 90%;
        border: round $border; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, rows: list[tuple[str, str, str]], title: str, note: str = "") -> None:
        """`note`: more about the screen's keys (the log filter's syntax), shown below them."""
        super().__init__()
        self.rows = rows
        self.title_text = title
        self.note = note

    def compose(self) -> ComposeResult:
        parts: list[tuple[str, str]] = []
        last = None
        for where, keys, what in self.rows:
            if where != last:
                parts.append((f"{'' if last is None else chr(10)}{where}\n", ACCENT))
                last = where
            parts += [(f"  {keys:<18}", "bold"), (f"{what}\n", "")]
        if self.note:
            parts.append((f"\n{self.note}\n", ""))
        parts.append(("\nEsc or ? closes this", QUIET))
        with VerticalScroll() as scroll:
            scroll.border_title = f"Keys: {self.title_text}"
            yield Static(Content.assemble(*parts))
