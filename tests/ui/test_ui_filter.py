"""`/` filter, problem toggle and sorting on the calls pane."""

from __future__ import annotations

import pytest
from ui_fakes import FakePipeline, make_app, make_call, make_snapshot, pilot_test, screen_text

from vostui.ui.calls_pane import CallFilter, CallRows, CallsPane
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
    ],
)
def test_filter_matches_numbers_ips_call_ids_states_and_codes(
    query: str, expected: set[str]
) -> None:
    calls = make_snapshot(20).calls
    shown = {c.key for c in CallFilter().apply(calls, query, problems_only=False)}
    assert shown == expected


def test_problem_calls_only() -> None:
    calls = make_snapshot(20).calls
    shown = CallFilter().apply(calls, "", problems_only=True)
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
        assert "2 shown" in text and "/486" in text
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
        assert app.screen.query_one("#calls-filter").value == "q1z?op"  # type: ignore[attr-defined]
        assert app.is_running and app.screen.maximized is None
