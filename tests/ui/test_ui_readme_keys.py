"""The README's key table is the truth: every key it names is bound where it says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vostui.ui.app import VostuiApp
from vostui.ui.call_screen import CallScreen
from vostui.ui.calls_pane import CallsPane
from vostui.ui.dashboard import DashboardScreen
from vostui.ui.findings_screen import FindingsScreen
from vostui.ui.ladder_view import LadderView
from vostui.ui.log_screen import LogScreen
from vostui.ui.logs_pane import LogView
from vostui.ui.registrations_pane import RegistrationsPane
from vostui.ui.table import RowTable

README = Path(__file__).resolve().parents[2] / "README.md"
NAMES = {
    "Enter": "enter",
    "Esc": "escape",
    "End": "end",
    "/": "slash",
    "!": "exclamation_mark",
    "?": "question_mark",
    ":": "colon",
    "Ctrl+P": "ctrl+p",
    "Tab": "tab",
}
# keys Textual handles itself: Esc restores a zoomed pane (App.escape_to_minimize)
BUILT_IN = {"ctrl+p", "escape"}


def name(key: str) -> str:
    if re.fullmatch(r"F\d+", key):
        return key.lower()
    return NAMES.get(key, key)


def key_table() -> list[tuple[str, list[str]]]:
    """(where, keys) for each row: `where` is "dashboard" or "call screen", ..."""
    text = README.read_text(encoding="utf-8")
    table = text.split("### The console", 1)[1].split("\n\n", 2)[1]
    rows = []
    for line in table.splitlines()[2:]:
        cell = line.split("|")[1]
        where = cell.split(":", 1)[0].strip() if "screen:" in cell else "dashboard"
        keys = [str(n) for n in range(1, 7)] if "`1`-`6`" in cell else []
        for tick, paren in re.findall(r"`([^`]+)`|\(([^)]+)\)", cell.replace("`1`-`6`", "")):
            keys += [name(part.strip()) for part in ([tick] if tick else paren.split(","))]
        rows.append((where, keys))
    return rows


WHERE = {
    "dashboard": (VostuiApp, DashboardScreen, CallsPane, RegistrationsPane, RowTable),
    "call screen": (VostuiApp, CallScreen, LadderView),
    "log screen": (VostuiApp, LogScreen, LogView),
    "findings screen": (VostuiApp, FindingsScreen, RowTable),
}


@pytest.mark.parametrize(("where", "keys"), key_table(), ids=lambda v: str(v)[:40])
def test_every_key_in_the_readme_table_is_bound(where: str, keys: list[str]) -> None:
    bound: set[str] = set()
    for cls in WHERE[where]:
        bound |= set(cls._merge_bindings().key_to_bindings)
    missing = [key for key in keys if key not in bound and key not in BUILT_IN]
    assert not missing, f"README names {missing} for the {where}; bound: {sorted(bound)}"
