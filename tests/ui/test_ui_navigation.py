"""Pilot tests: what an operator does with the keyboard on the dashboard."""

from __future__ import annotations

import pytest
from ui_fakes import FakePipeline, make_app, make_snapshot, pilot_test, screen_text, wait_until

from vostui.ui.call_screen import CallScreen
from vostui.ui.dashboard import PANE_IDS, DashboardScreen
from vostui.ui.help_screen import HelpScreen
from vostui.ui.registration_screen import RegistrationScreen
from vostui.ui.table import RowTable


@pytest.mark.parametrize("size", [(80, 24), (160, 48), (250, 70)])
@pilot_test
async def test_every_pane_is_reachable_with_its_number(size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        for number in (2, 3, 4, 5, 6, 1):
            await pilot.press(str(number))
            await pilot.pause()
            pane = screen.pane(number)
            assert app.focused is not None
            assert pane in app.focused.ancestors_with_self, f"key {number} did not focus {pane}"
            assert pane.display and pane.region.height >= 3, (
                f"pane {number} not on screen at {size}"
            )
            assert f"[{number}] {pane.TITLE}" in screen_text(app)


@pilot_test
async def test_small_terminal_shows_calls_and_the_chosen_pane() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "[1] Calls" in text and "[2] Registrations" in text
        assert "[3] Firewall" not in text
        await pilot.press("3")
        await pilot.pause()
        text = screen_text(app)
        assert "[3] Firewall" in text and "not watched in this session" in text
        assert "[2] Registrations" not in text


@pilot_test
async def test_wide_terminal_shows_every_pane() -> None:
    app = make_app()
    async with app.run_test(size=(250, 70)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        for number, name in PANE_IDS.items():
            assert f"[{number}] " in text, name


@pilot_test
async def test_z_maximises_the_focused_pane_and_restores_it() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("2", "z")
        await pilot.pause()
        screen = app.screen
        assert screen.maximized is screen.pane(2)
        assert "[1] Calls" not in screen_text(app)
        await pilot.press("z")
        await pilot.pause()
        assert screen.maximized is None
        assert "[1] Calls" in screen_text(app)


@pilot_test
async def test_enter_opens_the_call_under_the_cursor_and_escape_goes_back() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#calls-table", RowTable)
        await pilot.press("down", "down")
        key = table.cursor_key
        assert key is not None
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CallScreen)
        assert app.screen.key == key
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert table.cursor_key == key


@pilot_test
async def test_enter_on_a_registration_opens_its_history() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("2", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RegistrationScreen)
        text = screen_text(app)
        # the failing registrations come first: 403 Forbidden, two attempts of two messages
        assert "forbidden" in text and "403 Forbidden" in text
        assert "REGISTER" in text
        history = screen.query_one("#history", RowTable)
        assert len(history.source) == 4
        await pilot.press("up")
        await pilot.pause()
        assert "REGISTER sip:" in screen_text(app)


@pilot_test
async def test_question_mark_lists_the_keys_of_the_screen() -> None:
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for words in ("Filter", "Sort", "Problems", "Zoom", "Quit", "Open"):
            assert words in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("enter", "question_mark")
        await pilot.pause()
        text = screen_text(app)
        assert "Save pcap" in text and "Abs/Δ time" in text


@pilot_test
async def test_colon_opens_the_command_palette_with_the_main_actions() -> None:
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("colon")
        await pilot.pause()
        await pilot.press(*"problem")
        assert await wait_until(pilot, lambda: "Problem calls only" in screen_text(app))
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one("CallsPane").problems_only  # type: ignore[attr-defined]


@pytest.mark.parametrize("keys", [("q",), ("ctrl+c",)])
@pilot_test
async def test_quit_stops_the_pipeline(keys: tuple[str, ...]) -> None:
    pipeline = FakePipeline(make_snapshot(5))
    app = make_app(pipeline)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert pipeline.started == 1
        await pilot.press(*keys)
        await pilot.pause()
    assert pipeline.stopped == 1
    assert app.return_code == 0


@pilot_test
async def test_the_screen_follows_new_snapshots_and_keeps_the_cursor_on_its_call() -> None:
    pipeline = FakePipeline(make_snapshot(10, version=1))
    app = make_app(pipeline)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#calls-table", RowTable)
        await pilot.press("down", "down", "down")
        key = table.cursor_key
        pipeline.set(make_snapshot(14, version=2))
        app.pull()  # what the refresh timer does, without waiting for it
        await pilot.pause()
        assert "14 total" in screen_text(app)
        assert table.cursor_key == key  # four new calls on top, the cursor stayed on its call
        assert table.cursor == 7
