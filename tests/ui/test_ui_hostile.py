"""Strings from packets are shown literally: no markup, no escape sequences, no crash."""

from __future__ import annotations

from dataclasses import replace

from textual.content import Content
from ui_fakes import (
    FakePipeline,
    make_app,
    make_call,
    make_registration,
    make_snapshot,
    message,
    pilot_test,
    record,
    screen_text,
)

from vostui.engine.snapshot import CallView
from vostui.ui.call_screen import CallScreen
from vostui.ui.dashboard import DashboardScreen

MARKUP_QUIT = "[@click=app.quit]x[/]"
CLOSE_TAG = "[/foo]"
ESCAPES = "\x1b[2J\x1b]0;owned\x07\x9b31m"


def hostile_call() -> CallView:
    call = make_call(90, caller=MARKUP_QUIT, callee=CLOSE_TAG + ESCAPES, user_agent=ESCAPES)
    leg = call.legs[0]
    huge = message(
        call_id=leg.call_id,
        caller="x",
        callee="y",
        user_agent=ESCAPES,
        extra_headers=(("x-huge", "A" * 65536), ("x-markup", "[bold red]not bold[/bold red]")),
    )
    extra = record(call.start + 0.2, huge, "10.0.1.1", 5060, "10.0.0.2", 5060)
    leg = replace(leg, messages=(leg.messages[0], extra, *leg.messages[1:]))
    return replace(call, legs=(leg, *call.legs[1:]), mapping_gateway="[red]gw[/red]")


@pilot_test
async def test_hostile_strings_are_literal_on_the_dashboard_and_in_the_call() -> None:
    call = hostile_call()
    registration = make_registration(7, code=401, user_agent=ESCAPES + MARKUP_QUIT)
    snapshot = make_snapshot(3, extra_calls=[call], extra_registrations=[registration])
    app = make_app(FakePipeline(snapshot))
    async with app.run_test(size=(220, 50)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert MARKUP_QUIT in text and CLOSE_TAG in text and "[red]gw[/red]" in text
        assert "\\x1b[2J" in text and "\x1b" not in text and "\x9b" not in text
        # clicking the text that would be a quit link does nothing but select the row
        row = next(n for n, line in enumerate(text.splitlines()) if MARKUP_QUIT in line)
        column = text.splitlines()[row].index(MARKUP_QUIT)
        await pilot.click(offset=(column + 2, row))
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen) and app.is_running

        table = app.screen.query_one("#calls-table")
        assert table.select_key(call.key)
        await pilot.press("enter", *["down"] * 4)  # the fifth message carries the big header
        await pilot.pause()
        assert isinstance(app.screen, CallScreen)
        text = screen_text(app)
        assert "X-Huge:" in text and "(+65244" in text and "[bold red]not bold[/bold red]" in text
        assert "\\x1b]0;owned\\x07\\x9b31m" in text
        assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text
        await pilot.press("down", "up", "t", "l", "l", "l")
        await pilot.pause()
        assert app.is_running

        # the filter line echoes what is typed, literally
        await pilot.press("escape", "slash", *"[b]")
        await pilot.pause()
        assert "/[b]" in screen_text(app)
        assert app.is_running


@pilot_test
async def test_a_64k_header_is_capped_not_drawn_whole() -> None:
    call = hostile_call()
    app = make_app(FakePipeline(make_snapshot(1, extra_calls=[call])))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.query_one("#calls-table").select_key(call.key)
        await pilot.press("enter", *["down"] * 4)
        await pilot.pause()
        raw = app.screen.query_one("#message-raw")
        content = raw.content
        assert isinstance(content, Content)
        lines = content.plain.splitlines()
        longest = max(len(line) for line in lines)
        assert 300 < longest < 340  # capped at 300 characters and a note of what was cut
        assert "… (+65244 characters)" in content.plain  # "X-Huge: " and 64 KiB, less 300
