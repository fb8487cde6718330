"""The status bar: the kernel's drop count as a number, its tone, and which path runs."""

from __future__ import annotations

from textual.app import App, ComposeResult
from ui_fakes import FakePipeline, FakeStatus, make_app, make_snapshot, pilot_test, screen_text

from vostui import speedups
from vostui.ui.format import BAD, WARN
from vostui.ui.status_bar import GREW_SECONDS, StatusBar, drop_count


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class BarApp(App[None]):
    def __init__(self, path: str | None, clock: Clock) -> None:
        super().__init__()
        self.path, self.clock = path, clock

    def compose(self) -> ComposeResult:
        yield StatusBar(process=False, path=self.path, clock=self.clock)


def live(drops: int | None) -> FakeStatus:
    return FakeStatus(label="live: any", kernel_drops=drops, malformed=0, evicted=0)


def bar_text(bar: StatusBar) -> str:
    return str(bar.render())


def drop_style(bar: StatusBar) -> str:
    content = bar.render()
    text = str(content)
    start = text.index("drop")
    start = text.index(" ", start) + 1
    styles = [
        str(span.style)
        for span in content.spans  # type: ignore[attr-defined]
        if span.start <= start < span.end
    ]
    return styles[-1] if styles else ""


def test_drop_count_exact_then_compact() -> None:
    assert drop_count(None) == "?"
    assert drop_count(0) == "0"
    assert drop_count(1234) == "1,234"
    assert drop_count(99_999) == "99,999"
    assert drop_count(1_234_567) == "1.2M"


@pilot_test
async def test_drops_as_a_number_in_the_problem_tone_while_they_grow() -> None:
    clock = Clock()
    app = BarApp("pure Python", clock)
    async with app.run_test(size=(80, 3)) as pilot:
        bar = app.query_one(StatusBar)
        bar.show(live(None))  # tcpdump has not answered yet
        await pilot.pause()
        assert "drop ?" in bar_text(bar)
        bar.show(live(0))
        await pilot.pause()
        assert "drop 0" in bar_text(bar) and drop_style(bar) == ""
        bar.show(live(1234))
        await pilot.pause()
        assert "drop 1,234" in bar_text(bar) and drop_style(bar) == BAD
        clock.now += GREW_SECONDS / 2
        bar.show(live(1234))
        assert drop_style(bar) == BAD  # grew a moment ago
        clock.now += GREW_SECONDS
        bar.show(live(1234))
        assert drop_style(bar) == WARN  # stopped growing: missed earlier
        bar.show(live(1300))
        assert "drop 1,300" in bar_text(bar) and drop_style(bar) == BAD
        assert bar_text(bar).rstrip().endswith("vostui py -")


@pilot_test
async def test_the_path_compact_at_80_columns_in_words_when_wide() -> None:
    clock = Clock()
    for path, short, wide in (
        ("compiled path", "vostui C -", "vostui compiled -"),
        ("pure Python", "vostui py -", "vostui pure Python -"),
    ):
        app = BarApp(path, clock)
        async with app.run_test(size=(80, 3)) as pilot:
            bar = app.query_one(StatusBar)
            bar.show(live(0))
            await pilot.pause()
            assert bar_text(bar).rstrip().endswith(short)
        app = BarApp(path, clock)
        async with app.run_test(size=(140, 3)) as pilot:
            bar = app.query_one(StatusBar)
            bar.show(live(0))
            await pilot.pause()
            assert bar_text(bar).rstrip().endswith(wide)
            assert "drops 0" in bar_text(bar)


@pilot_test
async def test_the_path_that_runs_by_default() -> None:
    app = BarApp(None, Clock())
    async with app.run_test(size=(80, 3)):
        assert app.query_one(StatusBar).path == speedups.path_name()


@pilot_test
async def test_the_console_at_80x24_shows_drops_and_the_pinned_path() -> None:
    """The real app (deterministic: the path pinned, whichever was built)."""
    pipeline = FakePipeline(make_snapshot(40), live(12_345))
    app = make_app(pipeline)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = screen_text(app).splitlines()
        status = next(line for line in lines if "live: any" in line)
        assert "│ drop 12,345 │ vostui C -" in status, status
        assert len(status.rstrip()) <= 80
