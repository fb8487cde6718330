"""A dashboard pane: a bordered box titled "[n] Name" that a number key focuses."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.containers import Vertical

from vostui.text import clean_line


class Pane(Vertical):
    """Base of every dashboard pane; `NUMBER` is the key that focuses it."""

    NUMBER: ClassVar[int] = 0
    TITLE: ClassVar[str] = ""
    ALLOW_MAXIMIZE = True

    DEFAULT_CSS = """
    Pane {
        border: round $border-blurred;
        border-title-color: $text-muted;
        height: 1fr;
        width: 1fr;
    }
    Pane:focus-within {
        border: round $border;
        border-title-color: $text-accent;
        border-title-style: bold;
    }
    """

    def on_mount(self) -> None:
        self.set_note("")

    def set_note(self, note: str) -> None:
        """A short note after the title (counts, filter); literal text, never markup."""
        title = f"[{self.NUMBER}] {self.TITLE}"
        # a str title is parsed as markup ("[1]" would vanish): hand over Text
        self.border_title = Text(f"{title} · {clean_line(note, 80)}" if note else title)
