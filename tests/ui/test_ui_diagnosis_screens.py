"""The diagnosis screens on hand-built data: the code reference, hostile text in
findings, and the worker that runs diagnose off the UI thread."""

from __future__ import annotations

import threading
from dataclasses import replace

from ui_fakes import (
    FakePipeline,
    make_app,
    make_call,
    make_snapshot,
    pilot_test,
    screen_text,
    wait_until,
)

from vostui.config import Config
from vostui.diagnose import Affected, Finding, Ref
from vostui.ui.alerts_strip import AlertsStrip
from vostui.ui.app import VostuiApp
from vostui.ui.call_screen import CallScreen
from vostui.ui.codes_screen import CodesScreen
from vostui.ui.dashboard import DashboardScreen
from vostui.ui.diagnosis import DiagnosisReady, index_findings, run_diagnosis
from vostui.ui.findings_screen import FindingScreen, FindingsScreen
from vostui.ui.help_screen import HelpScreen
from vostui.ui.table import RowTable

MARKUP_QUIT = "[@click=app.quit]x[/]"
ESCAPES = "\x1b[2J\x1b]0;owned\x07\x9b31m"


# -- the response-code reference ---------------------------------------------------------


@pilot_test
async def test_typing_codec_filters_to_488_and_explains_it() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("R")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CodesScreen)
        assert len(screen.shown) > 50  # every code before a filter
        await pilot.press(*"codec")  # c is the checklist key elsewhere: here it is text
        await pilot.pause()
        assert isinstance(app.screen, CodesScreen)
        assert 488 in screen.shown and 200 not in screen.shown
        assert screen.query_one("#codes", RowTable).cursor_key == "488"
        text = screen_text(app)
        assert "488 Not Acceptable Here" in text and "Common cause on a softswitch" in text
        await pilot.press(*["backspace"] * 5, "4", "8")
        await pilot.pause()
        assert screen.shown and all(str(code).startswith("48") for code in screen.shown)
        await pilot.press("down")  # the arrows move the list while typing
        await pilot.pause()
        assert screen.query_one("#codes", RowTable).cursor_key == "481"
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, CodesScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)


@pilot_test
async def test_code_reference_opens_at_the_calls_final_code() -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#calls-table", RowTable).select_key("a-4@cust")  # 486
        await pilot.press("enter", "R")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CodesScreen)
        assert screen.query_one("#codes", RowTable).cursor_key == "486"
        assert "486 Busy Here" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CallScreen)


@pilot_test
async def test_an_unlisted_code_falls_back_on_its_class() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.push_screen(CodesScreen(499))
        await pilot.pause()
        text = screen_text(app)
        assert "499 Request Failure" in text or "499 " in text
        assert "not listed" in text


@pilot_test
async def test_keys_screen_lists_the_diagnosis_keys() -> None:
    app = make_app()
    async with app.run_test(size=(80, 40)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for line in ("!", "Findings", "Checklist", "SIP codes"):
            assert line in text


# -- hostile text ------------------------------------------------------------------------


def hostile_finding(call_key: str) -> Finding:
    """What a rule might write from packet text, before any cleaning."""
    return Finding(
        rule="call.no_ack",
        severity="critical",
        title=f"{MARKUP_QUIT} call from [red]gw[/red]",
        affected=Affected("gateway", f"[b]{ESCAPES}"),
        evidence=(f"User-Agent: {ESCAPES}{MARKUP_QUIT}", "[bold red]not bold[/bold red]"),
        cause="[/foo] closes nothing",
        check="run [link=http://x]this[/link]",
        fix="\x00\x1b[31mred\x1b[0m",
        refs=(Ref(call=call_key),),
    )


@pilot_test
async def test_hostile_text_in_findings_is_shown_literally() -> None:
    app = make_app(calls=10)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        key = "a-4@cust"
        result = run_diagnosis(99, app.pipeline.snapshot(), None, None, app.config, None, None)
        finding = hostile_finding(key)
        by_call, by_reg = index_findings((finding,))
        app.diagnosis.receive(
            replace(result, findings=(finding,), by_call=by_call, by_registration=by_reg)
        )
        await pilot.pause()
        text = screen_text(app)
        assert MARKUP_QUIT in text and "\x1b" not in text  # the strip
        await pilot.press("exclamation_mark")
        await pilot.pause()
        text = screen_text(app)
        assert MARKUP_QUIT in text and "[red]gw[/red]" in text
        assert "[bold red]not bold[/bold red]" in text and "[/foo] closes nothing" in text
        assert "\\x1b[2J" in text and "\x1b" not in text and "\x9b" not in text
        assert "\x07" not in text and "\x00" not in text
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FindingScreen)
        assert "[link=http://x]this[/link]" in screen_text(app)
        await pilot.press("enter")  # jump to the call it names
        await pilot.pause()
        assert isinstance(app.screen, CallScreen) and app.screen.key == key
        await pilot.press("f")
        await pilot.pause()
        text = screen_text(app)
        assert "[bold red]not bold[/bold red]" in text and "\x1b" not in text
        assert app.is_running


@pilot_test
async def test_hostile_user_agent_reaches_a_finding_as_text() -> None:
    snapshot = make_snapshot(6)
    scanner = replace(snapshot.sources[0], user_agents=(f"{MARKUP_QUIT}{ESCAPES}",))
    app = make_app(FakePipeline(replace(snapshot, sources=(scanner,))))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.press("exclamation_mark")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FindingsScreen)
        assert screen.rows.findings[0].rule.startswith("scan.")
        found = False
        for _ in screen.rows.findings:
            if MARKUP_QUIT in screen_text(app):
                found = True
                break
            await pilot.press("down")
            await pilot.pause()
        assert found
        text = screen_text(app)
        assert "\x1b" not in text and "\\x1b[2J" in text


# -- the worker --------------------------------------------------------------------------


def threaded_app(pipeline: FakePipeline) -> VostuiApp:
    return VostuiApp(
        Config(refresh=3600.0),  # the test pulls itself
        pipeline,  # type: ignore[arg-type]
        deterministic=True,
        diagnosis="thread",
    )


@pilot_test
async def test_diagnosis_runs_in_a_worker_only_when_the_data_changed() -> None:
    pipeline = FakePipeline(make_snapshot(20, version=1))
    app = threaded_app(pipeline)
    posted: list[DiagnosisReady] = []

    def hook(message: object) -> None:
        if isinstance(message, DiagnosisReady):
            posted.append(message)

    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        diagnosis = app.diagnosis
        diagnosis.interval = 0.0
        assert await wait_until(pilot, lambda: diagnosis.runs == 1)
        assert posted and posted[0].result.versions[0] == 1
        strip = app.screen.query_one(AlertsStrip)
        assert await wait_until(pilot, lambda: "warn" in str(strip.render()))
        # the same snapshot again and again: no new run
        for _ in range(5):
            app.pull()
            await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert diagnosis.runs == 1
        # a new version: one run, its findings about the new calls
        extra = make_call(50, final=503)
        pipeline.set(make_snapshot(20, version=2, extra_calls=[extra]))
        app.pull()
        assert await wait_until(pilot, lambda: diagnosis.runs == 2)
        assert diagnosis.result is not None and diagnosis.result.versions[0] == 2
        # throttled: a newer version waits for the interval ...
        diagnosis.interval = 3600.0
        pipeline.set(make_snapshot(20, version=3))
        app.pull()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert diagnosis.runs == 2 and not diagnosis.running
        # ... unless the operator asks (r on a checklist, "Diagnose again")
        diagnosis.rerun()
        assert await wait_until(pilot, lambda: diagnosis.runs == 3)
        assert diagnosis.result is not None and diagnosis.result.versions[0] == 3


@pilot_test
async def test_keys_answer_while_a_diagnosis_is_running() -> None:
    """A key press does not wait for the worker: the screen changes while it runs."""
    pipeline = FakePipeline(make_snapshot(20))
    app = threaded_app(pipeline)
    async with app.run_test(size=(80, 24)) as pilot:
        diagnosis = app.diagnosis
        assert await wait_until(pilot, lambda: diagnosis.runs == 1)
        release = threading.Event()
        original = diagnosis.app.run_worker

        def slow_worker(work, **kwargs):  # type: ignore[no-untyped-def]
            def held() -> None:
                release.wait(10)
                work()

            return original(held, **kwargs)

        diagnosis.app.run_worker = slow_worker  # type: ignore[method-assign]
        diagnosis.rerun()
        assert diagnosis.running
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert isinstance(app.screen, FindingsScreen)  # answered while the run waits
        await pilot.press("escape", "c")
        await pilot.pause()
        assert type(app.screen).__name__ == "ChecklistScreen"
        release.set()
        assert await wait_until(pilot, lambda: diagnosis.runs == 2)


class FakeHost:
    """A host monitor whose snapshot version the test moves (the real one polls every s)."""

    def __init__(self) -> None:
        self.version = 1

    def snapshot(self) -> object:
        return type("HostSnapshot", (), {"version": self.version})()


@pilot_test
async def test_host_changes_alone_wait_longer_than_new_calls() -> None:
    pipeline = FakePipeline(make_snapshot(20, version=1))
    app = threaded_app(pipeline)
    clock = [0.0]
    host = FakeHost()
    async with app.run_test(size=(80, 24)) as pilot:
        diagnosis = app.diagnosis
        app.host_monitor = host  # type: ignore[assignment]
        diagnosis.clock = lambda: clock[0]
        diagnosis.cost_share = 0.0

        async def pull_at(when: float) -> None:
            clock[0] = when
            app.pull()
            await app.workers.wait_for_complete()
            await pilot.pause()

        await app.workers.wait_for_complete()
        await pull_at(0.0)
        diagnosis.rerun()  # a run that saw the host, at t=0
        await app.workers.wait_for_complete()
        await pilot.pause()
        runs = diagnosis.runs
        assert diagnosis.result is not None and diagnosis.result.host_checked
        host.version = 2
        await pull_at(5.0)
        assert diagnosis.runs == runs  # only the host moved: not before HOST_INTERVAL
        await pull_at(11.0)
        assert diagnosis.runs == runs + 1
        pipeline.set(make_snapshot(20, version=2))
        await pull_at(12.0)
        assert diagnosis.runs == runs + 1  # new calls, but within INTERVAL of the last run
        await pull_at(14.5)
        assert diagnosis.runs == runs + 2
        assert diagnosis.result is not None and diagnosis.result.versions == (2, 2, -1)


@pilot_test
async def test_a_finding_about_an_ip_filters_the_calls_by_it() -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.press("exclamation_mark")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FindingsScreen)
        finding = screen.selected
        assert finding is not None and finding.refs[0].ip == "198.51.100.7"
        await pilot.press("enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        calls = app.screen.query_one("#calls")
        assert calls.query_one("#calls-filter").value == "ip=198.51.100.7"
        assert "/ip=198.51.100.7" in screen_text(app)
