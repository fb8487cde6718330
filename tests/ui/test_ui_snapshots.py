"""Screen snapshots at 80x24 and 160x48: the dashboard and the call screen as text.

Text, not SVG: a diff of the screen reads like the screen, and it does not change
with fonts or Textual's SVG details. Colours are covered by the theme tests. After
an intended change, regenerate with VOSTUI_UPDATE_SNAPSHOTS=1 and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ui_fakes import FakePipeline, make_app, make_snapshot, pilot_test, screen_text

SNAPSHOTS = Path(__file__).parent / "snapshots"
SIZES = [(80, 24), (160, 48)]


def normalised(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines()).rstrip() + "\n"


def compare(name: str, text: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    text = normalised(text)
    if os.environ.get("VOSTUI_UPDATE_SNAPSHOTS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"no snapshot {path.name}: run with VOSTUI_UPDATE_SNAPSHOTS=1"
    assert text == path.read_text(encoding="utf-8"), f"screen differs from {path.name}"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pilot_test
async def test_dashboard(size: tuple[int, int]) -> None:
    app = make_app(FakePipeline(make_snapshot(40)))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        compare(f"dashboard_{size[0]}x{size[1]}", screen_text(app))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pilot_test
async def test_call_screen(size: tuple[int, int]) -> None:
    app = make_app(FakePipeline(make_snapshot(40)))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#calls-table").select_key("a-14@cust")  # a 404
        await pilot.press("enter", "down", "down")
        await pilot.pause()
        compare(f"call_{size[0]}x{size[1]}", screen_text(app))
