"""The command palette (`:` or Ctrl+P): the main actions of the screen underneath."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.screen import Screen

if TYPE_CHECKING:
    from vostui.ui.app import VostuiApp


def commands_for(app: VostuiApp, screen: Screen[object]) -> Iterable[SystemCommand]:
    from vostui.ui.call_screen import CallScreen
    from vostui.ui.calls_pane import CallsPane
    from vostui.ui.dashboard import PANE_IDS, DashboardScreen
    from vostui.ui.diagnosis import diagnosis_commands

    if isinstance(screen, DashboardScreen):
        calls = screen.query_one(CallsPane)

        def filter_calls() -> None:
            screen.action_focus_pane(1)
            calls.action_filter()

        yield SystemCommand(
            "Filter calls", "Show calls matching a number, IP, Call-ID, state or code", filter_calls
        )
        yield SystemCommand(
            "Problem calls only",
            "Toggle showing only failed and stuck calls",
            calls.action_problems,
        )
        yield SystemCommand("Sort calls", "Sort by the next column", calls.action_sort_next)
        yield SystemCommand(
            "Open selected call",
            "Ladder and messages of the call under the cursor",
            calls.table.action_select,
        )
        for number, name in PANE_IDS.items():
            yield SystemCommand(
                f"Focus {name} pane",
                f"Same as key {number}",
                lambda number=number: screen.action_focus_pane(number),
            )
    if isinstance(screen, CallScreen):
        yield SystemCommand(
            "Save call as pcap",
            "Write this call's messages to a pcap file (s)",
            screen.action_save_pcap,
        )
        yield SystemCommand(
            "Save ladder as text",
            "Write the ladder and messages for a ticket (w)",
            screen.action_save_text,
        )
        yield SystemCommand(
            "Toggle time",
            "Absolute time or time since the previous message (t)",
            screen.action_toggle_time,
        )
        yield SystemCommand(
            "Toggle legs", "All legs merged, or one leg at a time (l)", screen.action_toggle_leg
        )
    yield from diagnosis_commands(app, screen)
    for what, key, about in (
        ("firewall", "F", "Chains as a tree, rule counters and rates, recent lists"),
        ("conntrack", "C", "Table use, drops, UDP timeouts, who fills the table"),
        ("system", "S", "CPU per core, memory, disks, network, softswitch processes"),
    ):
        yield SystemCommand(
            f"{what.title()} screen",
            f"{about} ({key})",
            lambda what=what: app.action_open_host(what),
        )
    yield SystemCommand("Logs", "The followed log files: filter, search, save (L)", app.action_logs)
    yield SystemCommand(
        "Zoom pane", "Maximise the focused pane or restore it (z)", app.action_toggle_maximize
    )
    for name in sorted(app.vostui_themes):
        yield SystemCommand(
            f"Theme: {name}", "Switch to this theme", lambda name=name: app.use_theme(name)
        )
    yield SystemCommand("Keys", "Show the keys of this screen (?)", app.action_help)
    yield SystemCommand("Quit", "Stop the capture and leave (q)", app.action_quit)
