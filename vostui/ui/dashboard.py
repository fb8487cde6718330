"""The dashboard: calls, registrations, host panes and the log tail on one screen.

Wide and tall terminals get a grid with every pane; on smaller ones (80x24) the
calls pane stays on top and one other pane shows below it: the one last chosen
with its number key. `z` maximises the focused pane, Esc restores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.events import DescendantFocus
from textual.screen import Screen
from textual.widget import Widget

from vostui.engine.snapshot import EngineSnapshot
from vostui.ui.alerts_strip import AlertsStrip
from vostui.ui.calls_pane import CallsPane
from vostui.ui.conntrack_pane import ConntrackPane
from vostui.ui.firewall_pane import FirewallPane
from vostui.ui.keybar import KeyBar
from vostui.ui.logs_pane import LogsPane
from vostui.ui.pane import Pane
from vostui.ui.registrations_pane import RegistrationsPane
from vostui.ui.status_bar import SourceStatusLike, StatusBar
from vostui.ui.system_pane import SystemPane

if TYPE_CHECKING:
    from vostui.ui.diagnosis import DiagnosisResult

PANE_IDS = {
    1: "calls",
    2: "registrations",
    3: "firewall",
    4: "conntrack",
    5: "system",
    6: "logs",
}


class DashboardScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(
                str(n), f"focus_pane({n})", f"Focus {name}", show=False, id=f"dashboard.pane{n}"
            )
            for n, name in PANE_IDS.items()
        ),
    ]

    # Textual annotates these oddly (ClassVar[...] | None): mypy rejects a ClassVar here
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # noqa: RUF012

    DEFAULT_CSS = """
    DashboardScreen #panes { layout: vertical; height: 1fr; }
    DashboardScreen #panes > Pane { display: none; height: 2fr; }
    DashboardScreen #panes > CallsPane { display: block; height: 3fr; }
    DashboardScreen #panes > Pane.-current { display: block; }

    DashboardScreen.-wide.-tall #panes {
        layout: grid;
        grid-size: 3 3;
        grid-columns: 3fr 2fr 2fr;
        grid-rows: 1fr 1fr 1fr;
    }
    DashboardScreen.-wide.-tall #panes > Pane { display: block; height: 1fr; }
    DashboardScreen.-wide.-tall #panes > CallsPane { column-span: 2; row-span: 2; height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield AlertsStrip()
        # grid order: calls (2x2), firewall, conntrack, registrations, logs, system
        with Container(id="panes"):
            yield CallsPane()
            yield FirewallPane(id="firewall")
            yield ConntrackPane(id="conntrack")
            yield RegistrationsPane(classes="-current")
            yield LogsPane(id="logs")
            yield SystemPane(id="system")
        # tests (deterministic): no process figures, the path pinned (snapshots must not
        # depend on whether the compiled extension was built)
        deterministic = getattr(self.app, "deterministic", False)
        yield StatusBar(process=not deterministic, path="compiled path" if deterministic else None)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(CallsPane).table.focus()

    def show(self, snapshot: EngineSnapshot, status: SourceStatusLike, now: float) -> None:
        """Draw the latest snapshot; a pane that is not displayed is skipped."""
        self.query_one(AlertsStrip).show(snapshot)
        calls = self.query_one(CallsPane)
        if self._visible(calls):
            calls.show(snapshot, now)
        registrations = self.query_one(RegistrationsPane)
        if self._visible(registrations):
            registrations.show(snapshot, now)
        self.query_one(StatusBar).show(status)

    def show_findings(self, result: DiagnosisResult) -> None:
        """A new diagnosis: the calls its findings name carry the problem mark."""
        self.query_one(CallsPane).set_findings(result.by_call)

    def filter_calls(self, text: str) -> None:
        """The calls pane focused and filtered by `text` (the filter language)."""
        self.action_focus_pane(1)
        self.query_one(CallsPane).set_filter(text)

    def _visible(self, pane: Widget) -> bool:
        if self.maximized is not None and self.maximized is not pane:
            return False
        return pane.display

    def pane(self, number: int) -> Pane:
        return self.query_one(f"#{PANE_IDS[number]}", Pane)

    def action_focus_pane(self, number: int) -> None:
        if self.maximized is not None:
            self.minimize()
        pane = self.pane(number)
        self._make_current(pane)
        # Focus now, not after a refresh (Widget.focus defers it): a key typed right
        # behind the number (`3z`, `2/`) must act on this pane, not the one before.
        for widget in pane.query("*"):
            if widget.focusable:
                self.set_focus(widget)
                return
        self.call_after_refresh(self._focus_first, pane)

    def _focus_first(self, pane: Pane) -> None:
        for widget in pane.query("*"):
            if widget.focusable:
                self.set_focus(widget)
                return

    def _make_current(self, pane: Pane) -> None:
        if isinstance(pane, CallsPane) or pane.has_class("-current"):
            return
        for other in self.query_one("#panes").query_children(Pane):
            other.set_class(other is pane, "-current")

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        for ancestor in event.widget.ancestors_with_self:
            if isinstance(ancestor, Pane):
                self._make_current(ancestor)
                return
