"""What the operator sees when the capture cannot run: the problem and the exact fix."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from vostui.text import clean
from vostui.ui.format import ACCENT, BAD, QUIET


class ProblemScreen(Screen[None]):
    """Full screen, no traceback: what is missing, what to run, how to leave."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q,escape", "app.quit", "Quit", id="problem.quit"),
        Binding("d", "dismiss_problem", "Dashboard anyway", id="problem.dashboard"),
    ]

    DEFAULT_CSS = """
    ProblemScreen { align: center middle; }
    ProblemScreen > Vertical {
        width: 90; max-width: 100%; height: auto;
        border: heavy $error; padding: 1 2; background: $surface;
    }
    ProblemScreen #problem-fix { background: $boost; padding: 0 1; margin: 1 0; }
    """

    def __init__(self, label: str, problem: str, fix: str) -> None:
        super().__init__()
        self.label = label
        self.problem = problem
        self.fix = fix

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "vostui cannot capture"
            yield Static(
                Content.assemble(
                    ("source: ", QUIET),
                    (clean(self.label, 200), "bold"),
                    ("\n\n", ""),
                    (clean(self.problem, 1000), BAD),
                ),
                id="problem-text",
            )
            if self.fix:
                yield Static(
                    Content.assemble(("fix:\n", QUIET), (clean(self.fix, 2000), ACCENT)),
                    id="problem-fix",
                )
            yield Static(
                Content("q quits · d shows the dashboard anyway (it stays empty)"),
                id="problem-keys",
            )

    def update_problem(self, label: str, problem: str, fix: str) -> None:
        if (label, problem, fix) == (self.label, self.problem, self.fix):
            return
        self.label, self.problem, self.fix = label, problem, fix
        self.refresh(recompose=True)

    def action_dismiss_problem(self) -> None:
        self.app.pop_screen()
