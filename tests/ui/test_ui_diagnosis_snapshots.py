"""Text snapshots of the findings and checklist screens at 80x24 and 160x48.

Same rules as test_ui_snapshots.py: after an intended change, regenerate with
VOSTUI_UPDATE_SNAPSHOTS=1 and read the diff.
"""

from __future__ import annotations

import pytest
from test_ui_snapshots import SIZES, compare
from ui_fakes import FakePipeline, make_app, make_snapshot, pilot_test, screen_text

from vostui.ui.checklist_screen import ChecklistScreen
from vostui.ui.findings_screen import FindingsScreen


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pilot_test
async def test_findings_screen(size: tuple[int, int]) -> None:
    app = make_app(FakePipeline(make_snapshot(40)))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("exclamation_mark", "down")
        await pilot.pause()
        assert isinstance(app.screen, FindingsScreen)
        compare(f"findings_{size[0]}x{size[1]}", screen_text(app))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pilot_test
async def test_checklist_screen(size: tuple[int, int]) -> None:
    app = make_app(FakePipeline(make_snapshot(40)))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChecklistScreen)
        assert screen.query_one("#symptoms").select_key("calls_fail")
        await pilot.press("enter")
        await pilot.pause()
        compare(f"checklist_{size[0]}x{size[1]}", screen_text(app))
