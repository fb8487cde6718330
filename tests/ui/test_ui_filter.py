"""`/` filter (the one language of vostui/filters.py), problem toggle and sorting on the
calls pane; `/` on the registrations pane."""

from __future__ import annotations

import pytest
from textual.widgets import Input
from ui_fakes import FakePipeline, make_app, make_call, make_snapshot, pilot_test, screen_text

from vostui.filters import CALL_FIELDS, parse
from vostui.ui.calls_pane import CallFilter, CallRows, CallsPane
from vostui.ui.filter_box import FilterBox
from vostui.ui.registrations_pane import RegistrationsPane
from vostui.ui.table import RowTable


def keys_shown(app) -> list[str]:  # type: ignore[no-untyped-def]
    table = app.screen.query_one("#calls-table", RowTable)
    return [table.source.key(i) for i in range(len(table.source))]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("1000007", {"a-7@cust"}),  # caller number
        ("44200000012", {"a-12@cust"}),  # callee number
        ("b-9-ss", {"a-9@cust"}),  # the B-leg's Call-ID finds the call
        ("a-3@cust", {"a-3@cust"}),  # A-leg Call-ID
        ("10.0.2.3", {f"a-{i}@cust" for i in range(20) if i % 3 == 2}),  # vendor IP
        ("503", {"a-9@cust"}),  # final code
        ("5xx", {"a-9@cust"}),  # code class
        ("failed 486", {"a-4@cust"}),  # state and code together (a-19 is still up)
        # the documented language, as `analyze --filter` takes it
        ("state=failed code=486", {"a-4@cust"}),
        ("code>=500", {"a-9@cust"}),
        ("code=4xx", {"a-4@cust", "a-14@cust"}),
        ("code!=2xx state!=setup", {"a-4@cust", "a-9@cust", "a-14@cust"}),
        ("caller~^100000[12]$", {"a-1@cust", "a-2@cust"}),
        ("ip=10.0.2.1 code=503", {"a-9@cust"}),
        ("callid=b-9-ss", {"a-9@cust"}),
    ],
)
def test_filter_matches_numbers_ips_call_ids_states_and_codes(
    query: str, expected: set[str]
) -> None:
    snapshot = make_snapshot(20)
    expression = parse(query, CALL_FIELDS)
    shown = CallFilter().apply(snapshot.calls, expression, problems_only=False, now=snapshot.now)
    assert {c.key for c in shown} == expected


def test_problem_calls_only() -> None:
    snapshot = make_snapshot(20)
    shown = CallFilter().apply(snapshot.calls, parse(""), problems_only=True, now=snapshot.now)
    assert {c.final_code for c in shown} == {486, 503, 404}
    assert all(c.problem for c in shown)


def test_duration_ticks_with_the_clock_for_active_calls() -> None:
    call = make_call(1, talk=None)
    rows = CallRows([call], now=call.start + 65)
    cells, tone = rows.cells(0)
    assert cells[1] == "1:05"
    assert tone == "good"
    rows.now = call.start + 3725
    assert rows.cells(0)[0][1] == "1:02:05"


@pilot_test
async def test_typing_a_filter_narrows_the_pane_and_escape_clears_it() -> None:
    app = make_app(FakePipeline(make_snapshot(30)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert len(keys_shown(app)) == 30
        await pilot.press("slash", *"486")
        await pilot.pause()
        assert set(keys_shown(app)) == {"a-4@cust", "a-19@cust"}
        text = screen_text(app)
        assert "2 of 30 shown" in text and "/486" in text
        await pilot.press("enter")  # back to the list, filter kept
        await pilot.pause()
        assert isinstance(app.focused, RowTable)
        assert len(keys_shown(app)) == 2
        await pilot.press("escape")
        await pilot.pause()
        assert len(keys_shown(app)) == 30
        assert "shown" not in screen_text(app)


@pilot_test
async def test_p_toggles_problem_calls_and_o_r_sort() -> None:
    app = make_app(FakePipeline(make_snapshot(30)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        newest_first = keys_shown(app)
        assert newest_first[0] == "a-29@cust"
        await pilot.press("r")
        await pilot.pause()
        assert keys_shown(app) == list(reversed(newest_first))
        await pilot.press("o")  # next column: duration
        await pilot.pause()
        pane = app.screen.query_one(CallsPane)
        assert pane.table.sort_column == "duration"
        assert "Dur▲" in screen_text(app)
        await pilot.press("p")
        await pilot.pause()
        assert len(keys_shown(app)) == 5  # 486, 503, 404 in turn on every fifth call
        await pilot.press("p")
        await pilot.pause()
        assert len(keys_shown(app)) == 30


@pilot_test
async def test_a_click_on_a_column_title_sorts_by_it() -> None:
    app = make_app(FakePipeline(make_snapshot(12)))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#calls-table", RowTable)
        text = screen_text(app)
        line = next(line for line in text.splitlines() if "Code" in line and "Caller" in line)
        column = line.index("Code") - table.region.x
        await pilot.click("#calls-table", offset=(column + 1, 0))
        await pilot.pause()
        assert table.sort_column == "code"
        codes = [table.source.cells(i)[0][8] for i in range(len(table.source))]
        texts = [c if isinstance(c, str) else c[0] for c in codes]
        assert texts == sorted(texts)


@pilot_test
async def test_keys_typed_into_the_filter_are_text_not_commands() -> None:
    app = make_app(FakePipeline(make_snapshot(5)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("slash", "q", "1", "z", "question_mark", "o", "p")
        await pilot.pause()
        assert app.screen.query_one(CallsPane).filter_box.input.value == "q1z?op"
        assert app.is_running and app.screen.maximized is None


def row_with(text: str, needle: str) -> str:
    """A line inside a pane (not a pane's title) that shows `needle`."""
    lines = text.splitlines()
    return next((line for line in lines if needle in line and "╭" not in line), "")


@pilot_test
async def test_the_documented_language_filters_the_calls_pane_in_a_visible_row() -> None:
    app = make_app(FakePipeline(make_snapshot(30)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"code>=400 state=failed")
        await pilot.pause()
        # 486, 503 and 404 in turn on every fifth call; the last three still up
        assert set(keys_shown(app)) == {f"a-{i}@cust" for i in (4, 9, 14, 19, 24)}
        text = screen_text(app)
        assert "5 of 30 shown (/code>=400 state=failed)" in text
        # the row shows what is typed: a line of its own, not only the pane title
        assert row_with(text, "code>=400 state=failed")
        box = app.screen.query_one(CallsPane).filter_box
        assert box.input.region.height == 1 and box.region.y > 0
        assert "▔" not in text and "▁▁▁▁" not in text  # no empty bordered box


@pilot_test
async def test_a_bad_term_is_named_and_left_out_while_the_others_act() -> None:
    app = make_app(FakePipeline(make_snapshot(30)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"486")
        await pilot.pause()
        box = app.screen.query_one(CallsPane).filter_box
        box.input.insert_text_at_cursor(" colour=red")  # pasted: one change
        await pilot.pause()
        text = screen_text(app)
        assert "✗ colour=red left out: unknown field 'colour'; known: callee, caller" in text
        assert set(keys_shown(app)) == {"a-4@cust", "a-19@cust"}  # `486` acts
        assert "2 of 30 shown (/486)" in text
        await pilot.press("enter")  # a bad filter is not taken: the row stays
        await pilot.pause()
        assert isinstance(app.focused, Input)
        box.input.value = "486 code~("
        await pilot.pause()
        assert "bad regular expression '('" in screen_text(app)
        box.input.value = "code~^4 486"
        await pilot.pause()
        assert "✗" not in screen_text(app)
        assert set(keys_shown(app)) == {"a-4@cust", "a-19@cust"}
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.focused, RowTable)
        assert row_with(screen_text(app), "code~^4 486")  # the row stays while in force


@pilot_test
async def test_a_filter_that_hides_every_call_says_0_of_n_not_no_calls_yet() -> None:
    app = make_app(FakePipeline(make_snapshot(30)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"code=699")
        await pilot.pause()
        text = screen_text(app)
        assert keys_shown(app) == []
        assert "0 of 30 shown" in text and "no calls yet" not in text
        await pilot.press("escape")
        await pilot.pause()
        assert len(keys_shown(app)) == 30
        assert "0 of 30" not in screen_text(app)


@pilot_test
async def test_slash_filters_the_registrations_pane_in_the_same_language() -> None:
    app = make_app(FakePipeline(make_snapshot(10, registrations=9)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("2", "slash", *"code=403")
        await pilot.pause()
        pane = app.screen.query_one(RegistrationsPane)
        table = pane.table
        shown = [table.source.key(i).split("\x00")[0] for i in range(len(table.source))]
        assert sorted(shown) == ["102@pbx.example", "105@pbx.example", "108@pbx.example"]
        text = screen_text(app)
        assert "3 of 9 shown (/code=403)" in text
        assert row_with(text, "code=403")
        await pilot.press(*" attempts>5")
        await pilot.pause()
        assert "0 of 9 shown" in screen_text(app)
        await pilot.press(*" ua=x sauce=1")
        await pilot.pause()
        assert "unknown field 'sauce'" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.focused, Input)  # not taken: fix it or Esc
        await pilot.press("escape")
        await pilot.pause()
        assert len(pane.table.source) == 9
        assert not pane.filter_box.has_class("-shown")
        assert isinstance(app.focused, RowTable)
        assert pane.filter_box.error == ""


@pilot_test
async def test_a_finding_filters_the_calls_with_the_same_box() -> None:
    from vostui.ui.navigation import FilterCalls

    app = make_app(FakePipeline(make_snapshot(30)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.screen.post_message(FilterCalls("ip=10.0.2.3"))
        await pilot.pause()
        assert len(keys_shown(app)) == 10
        box = app.screen.query_one(FilterBox)
        assert box.text == "ip=10.0.2.3" and box.input.value == "ip=10.0.2.3"
        assert box.has_class("-shown") and isinstance(app.focused, RowTable)


def test_a_route_tried_before_the_last_one_is_found_by_its_gateway() -> None:
    from dataclasses import replace

    from ui_fakes import make_leg

    call = make_call(3)
    tried = make_leg(
        "b",
        "b-3-first",
        call.caller,
        call.callee,
        ("10.0.0.2", 5060),
        ("10.0.2.9", 5060),
        call.start + 0.01,
        503,
        "vendor-9",
    )
    call = replace(call, legs=(call.legs[0], tried, *call.legs[1:]))
    others = make_snapshot(6).calls
    for query in ("gateway=vendor-9", "vendor-9", "ip=10.0.2.9"):
        shown = CallFilter().apply([call, *others], parse(query, CALL_FIELDS), False, call.start)
        assert [c.key for c in shown] == [call.key], query
