"""The console over the real Pipeline reading the fixture captures (not the stand-in).

The fixtures (tests/fixtures/, made by real SIPp, a real B2BUA and tcpdump) come with
their ground truth and a config naming their gateways; the screen must agree.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from ui_fakes import pilot_test, screen_text

from vostui.config import Config, load_file
from vostui.pipeline import Pipeline
from vostui.ui.app import VostuiApp
from vostui.ui.call_screen import CallScreen
from vostui.ui.ladder_view import LadderView
from vostui.ui.registration_screen import RegistrationScreen
from vostui.ui.table import RowTable

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
FIXTURE_CONFIG = ROOT / "tools" / "fixtures" / "demo-config.toml"


def fixture(name: str) -> str:
    path = FIXTURES / name
    if not path.is_file():
        pytest.skip(f"{name} is not in tests/fixtures")
    return str(path)


def corpus(name: str) -> str:
    folder = Path(os.environ.get("VOSTUI_CORPUS", ROOT.parent / "shared" / "corpus"))
    path = folder / name
    if not path.is_file():
        pytest.skip(f"{name}: the public corpus (../shared/corpus) is not beside this checkout")
    return str(path)


def fixture_config() -> Config:
    if not FIXTURE_CONFIG.is_file():
        pytest.skip("tools/fixtures/demo-config.toml is missing")
    return load_file(Config(refresh=0.1), FIXTURE_CONFIG)


async def wait_finished(pilot, pipeline: Pipeline) -> None:  # type: ignore[no-untyped-def]
    for _ in range(100):  # at most 10 s
        await pilot.pause(0.1)
        if pipeline.status().state not in ("starting", "running"):
            break
    assert pipeline.status().state == "finished", pipeline.status()
    pilot.app.pull()  # the refresh after the end, without waiting for the timer
    await pilot.pause()


def app_over(path: str, config: Config, **kwargs: object) -> tuple[VostuiApp, Pipeline]:
    pipeline = Pipeline(config, files=[path])
    return VostuiApp(config, pipeline, deterministic=True, **kwargs), pipeline  # type: ignore[arg-type]


@pilot_test
async def test_b2bua_calls_match_the_ground_truth_and_failover_shows_every_leg() -> None:
    path = fixture("b2bua_calls.pcap")
    truth = json.loads((FIXTURES / "b2bua_calls.truth.json").read_text())
    app, pipeline = app_over(path, fixture_config())
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_finished(pilot, pipeline)
        text = screen_text(app)
        assert f"0 active, {len(truth)} total" in text
        for call in truth:
            assert call["callee"] in text
        assert "CUST-A" in text and "CUST-B" in text and "VEND-3" in text
        # the call that VEND-2 refused with 503 and VEND-3 answered: three legs, one ladder
        failover = next(c for c in truth if c["vendors"] == ["VEND-2", "VEND-3"])
        table = app.screen.query_one("#calls-table", RowTable)
        assert table.select_key(failover["a"])
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CallScreen)
        ladder = screen.query_one(LadderView).ladder
        assert len({a.leg for a in ladder.arrows}) == 3
        names = [c.name for c in ladder.columns]
        assert names[:2] == ["CUST-B", "softswitch"] and "VEND-2" in names and "VEND-3" in names
        text = screen_text(app)
        assert "|<-503 Service" in text and "|--BYE" in text
        assert "CUST-B → VEND-3" in text
        await pilot.press("q")
        await pilot.pause()
    assert pipeline.thread is not None and not pipeline.thread.is_alive()


@pilot_test
async def test_failures_stand_out_and_filter_by_code_class() -> None:
    path = fixture("failures.pcap")
    truth = json.loads((FIXTURES / "failures.truth.json").read_text())
    app, pipeline = app_over(path, fixture_config())
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_finished(pilot, pipeline)
        table = app.screen.query_one("#calls-table", RowTable)
        assert len(table.source) == len(truth)
        await pilot.press("slash", *"4xx", "enter")
        await pilot.pause()
        fours = [c for c in truth if c["final"] and 400 <= c["final"] < 500]
        assert len(table.source) == len(fours)
        # the callee that never answered: its INVITE resent, marked in the ladder
        silent = next(c for c in truth if c["final"] is None)
        await pilot.press("escape")
        await pilot.pause()
        assert table.select_key(silent["a"])
        await pilot.press("enter")
        await pilot.pause()
        ladder = app.screen.query_one(LadderView).ladder
        assert sum(a.retransmission for a in ladder.arrows) >= 5
        assert "INVITE SDP retx" in screen_text(app)


@pilot_test
async def test_registrations_fail_first_and_show_each_attempt() -> None:
    path = fixture("register.pcap")
    app, pipeline = app_over(path, fixture_config())
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_finished(pilot, pipeline)
        table = app.screen.query_one("#registrations-table", RowTable)
        states = [table.source.cells(i)[0][2] for i in range(len(table.source))]
        assert states[-1] == "ok"  # 1001, the only one registered, comes last
        assert "!forbidden" in states
        assert table.select_key(
            next(
                table.source.key(i)
                for i in range(len(table.source))
                if "1002@" in table.source.key(i)
            )
        )
        await pilot.press("2", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RegistrationScreen)
        text = screen_text(app)
        assert "401 Unauthorized" in text and "403 Forbidden" in text and "1002@" in text


@pilot_test
async def test_export_writes_a_pcap_that_reads_back(tmp_path: Path) -> None:
    path = fixture("direct_calls_rtp.pcap")
    config = fixture_config()
    app, pipeline = app_over(path, config, export_dir=str(tmp_path))
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_finished(pilot, pipeline)
        await pilot.press("enter")
        await pilot.pause()
        shown = [a.label for a in app.screen.query_one(LadderView).ladder.arrows]
        await pilot.press("s", "enter")  # the offered path, in the save directory
        await pilot.pause()
    saved = list(tmp_path.glob("*.pcap"))
    assert len(saved) == 1
    again = Pipeline(config, files=[str(saved[0])])
    again.start()
    assert again.thread is not None
    again.thread.join(10)
    (call,) = again.snapshot().calls
    labels = [r.msg.label for leg in call.legs for r in sorted(leg.messages, key=lambda r: r.ts)]
    assert labels == shown


@pilot_test
async def test_a_public_b2bua_capture_pairs_its_legs() -> None:
    path = corpus("sip_b2bua_two_legs_489_session_expires_rtp__sipnab_b2bua-asterisk.pcapng")
    app, pipeline = app_over(path, Config(refresh=0.1))
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_finished(pilot, pipeline)
        assert "1 total" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        ladder = app.screen.query_one(LadderView).ladder
        assert {a.leg for a in ladder.arrows} == {0, 1} and len(ladder.columns) == 3


@pilot_test
async def test_a_truncated_capture_is_marked_in_the_status_bar(tmp_path: Path) -> None:
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(Path(fixture("failures.pcap")).read_bytes()[:3000])
    app, pipeline = app_over(str(cut), Config(refresh=0.1))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_finished(pilot, pipeline)
        text = screen_text(app)
        status = next(line for line in text.splitlines() if "cut.pcap" in line)
        assert "finished ⚠ TRUNCATED" in status
        said = [n.message for n in app._notifications]
        assert said == ["capture: cut.pcap: file truncated at byte 3000, in packet 7"]
    whole, pipeline = app_over(fixture("failures.pcap"), Config(refresh=0.1))
    async with whole.run_test(size=(120, 40)) as pilot:
        await wait_finished(pilot, pipeline)
        assert "⚠" not in screen_text(whole)
