"""Saving to a file the operator names: a path row, and a question before overwriting.

The row opens with a path in the save directory (`save_dir` in the config; empty: the
directory vostui was started in); Enter saves there, Esc does not save. A relative
path goes into the save directory, a directory gets the offered file name, `~` is the
home directory. An existing file is overwritten only after a yes.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from vostui.text import clean, clean_line
from vostui.ui.format import QUIET


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; y or Enter says yes, n or Esc says no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 72; max-width: 100%; height: auto;
        border: round $warning; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Content.assemble((clean(self.question, 600), ""), ("\n\ny yes · n no", QUIET))
            )

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


def resolve(text: str, directory: str, offered: str) -> Path:
    """Where the operator's answer points: relative to `directory`; a directory gets the
    `offered` file name."""
    path = Path(text.strip() or offered).expanduser()
    if not path.is_absolute():
        path = Path(directory).expanduser() / path
    if path.is_dir():
        path = path / Path(offered).name
    return path


class SaveBox(Horizontal):
    """ "save pcap to: [path]" above the key bar; `ask` opens it."""

    DEFAULT_CSS = """
    SaveBox { display: none; height: 1; background: $boost; }
    SaveBox.-shown { display: block; }
    SaveBox > Static { width: auto; padding: 0 0 0 1; color: $text-accent; }
    SaveBox > Input, SaveBox > Input:focus {
        width: 1fr; height: 1; border: none; padding: 0 1; background: $boost;
    }
    """

    class Chosen(Message):
        """Enter in the row: save `kind` to `path` (not yet checked for an existing file)."""

        def __init__(self, box: SaveBox, kind: str, path: Path) -> None:
            super().__init__()
            self.box = box
            self.kind = kind
            self.path = path

        @property
        def control(self) -> SaveBox:
            return self.box

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kind = ""
        self.directory = "."
        self.offered = ""

    def compose(self) -> ComposeResult:
        yield Static(Content(""))
        yield Input()

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def shown(self) -> bool:
        return self.has_class("-shown")

    def ask(self, kind: str, directory: str, name: str, what: str = "") -> None:
        """Offer `directory`/`name` for `kind` ("pcap", "text"); focus the row now, so
        a key typed right behind `s` lands in it."""
        self.kind = kind
        self.directory = directory
        self.offered = name
        self.query_one(Static).update(Content(f"save {clean_line(what or kind, 40)} to:"))
        field = self.input
        field.value = str(Path(directory).expanduser() / name)
        field.cursor_position = len(field.value)
        self.add_class("-shown")
        self.screen.set_focus(field)

    def close(self) -> None:
        self.remove_class("-shown")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = resolve(event.value, self.directory, self.offered)
        self.close()
        self.post_message(self.Chosen(self, self.kind, path))
