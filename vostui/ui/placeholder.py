"""A pane whose data source is not connected yet: it says so instead of showing nothing.

Firewall, Conntrack, System and Logs start as these; each lives in its own module so
the host and log work can replace the body without touching the dashboard.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from vostui.ui.pane import Pane


class PlaceholderPane(Pane):
    """Shows "not wired yet" and what will be here."""

    WHAT: ClassVar[str] = ""

    DEFAULT_CSS = """
    PlaceholderPane > Static {
        color: $text-muted;
        padding: 0 1;
        height: 1fr;
    }
    """

    def compose(self) -> ComposeResult:
        body = Text("not wired yet", style="italic")
        if self.WHAT:
            body.append(f"\n{self.WHAT}", style="")
        static = Static(body, classes="placeholder-body")
        static.can_focus = True
        yield static
