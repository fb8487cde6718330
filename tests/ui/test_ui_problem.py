"""A capture that cannot start shows the problem and the exact fix, never a traceback."""

from __future__ import annotations

from ui_fakes import FakePipeline, FakeStatus, make_app, make_snapshot, pilot_test, screen_text

from vostui.ui.dashboard import DashboardScreen
from vostui.ui.problem_screen import ProblemScreen


def failed(problem: str, fix: str) -> FakeStatus:
    return FakeStatus(label="live: eth9", state="failed", problem=problem, fix=fix)


@pilot_test
async def test_missing_tcpdump_shows_the_fix() -> None:
    status = failed("tcpdump is not installed", "dnf install tcpdump   # or: apt install tcpdump")
    pipeline = FakePipeline(make_snapshot(0), status)
    app = make_app(pipeline)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ProblemScreen)
        text = screen_text(app)
        assert "tcpdump is not installed" in text
        assert "dnf install tcpdump   # or: apt install tcpdump" in text
        assert "live: eth9" in text and "Traceback" not in text
        await pilot.press("q")
        await pilot.pause()
    assert pipeline.stopped == 1


@pilot_test
async def test_d_shows_the_dashboard_and_a_new_problem_comes_back() -> None:
    pipeline = FakePipeline(make_snapshot(0), failed("no such interface: eth9", "ip link"))
    app = make_app(pipeline)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("d")
        app.pull()
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)  # the same problem stays dismissed
        assert "failed" in screen_text(app)
        pipeline.set(status=failed("you are not root: capture needs CAP_NET_RAW", "sudo vostui"))
        app.pull()
        await pilot.pause()
        assert isinstance(app.screen, ProblemScreen)
        assert "sudo vostui" in screen_text(app)


@pilot_test
async def test_hostile_problem_text_is_literal() -> None:
    pipeline = FakePipeline(
        make_snapshot(0), failed("bad [@click=app.quit]x[/] \x1b[2J", "[b]fix[/b]")
    )
    app = make_app(pipeline)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "bad [@click=app.quit]x[/] \\x1b[2J" in text and "[b]fix[/b]" in text
