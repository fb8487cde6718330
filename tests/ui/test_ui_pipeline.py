"""The console over the real Pipeline reading real captures (not the stand-in)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ui_fakes import pilot_test, screen_text

from vostui.config import Config
from vostui.pipeline import Pipeline
from vostui.ui.app import VostuiApp
from vostui.ui.call_screen import CallScreen
from vostui.ui.ladder_view import LadderView

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def capture(name: str) -> str:
    """A capture from tests/fixtures, else from the public corpus beside the checkout."""
    corpus = Path(os.environ.get("VOSTUI_CORPUS", ROOT.parent / "shared" / "corpus"))
    for folder in (FIXTURES, corpus):
        path = folder / name
        if path.is_file():
            return str(path)
    pytest.skip(f"{name} is neither in tests/fixtures nor in the corpus (../shared/corpus)")


async def wait_finished(pilot, pipeline: Pipeline) -> None:  # type: ignore[no-untyped-def]
    for _ in range(100):  # at most 10 s
        await pilot.pause(0.1)
        if pipeline.status().state not in ("starting", "running"):
            break
    await pilot.pause(0.3)  # one more refresh after the end
    assert pipeline.status().state == "finished", pipeline.status()


@pilot_test
async def test_a_b2bua_capture_shows_one_call_with_both_legs_in_the_ladder() -> None:
    path = capture("sip_b2bua_two_legs_489_session_expires_rtp__sipnab_b2bua-asterisk.pcapng")
    config = Config(refresh=0.1)
    pipeline = Pipeline(config, files=[path])
    app = VostuiApp(config, pipeline, deterministic=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_finished(pilot, pipeline)
        text = screen_text(app)
        assert "1 total" in text and "telephone1" in text and "2302" in text
        assert "finished" in text
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CallScreen)
        ladder = app.screen.query_one(LadderView).ladder
        labels = [a.label for a in ladder.arrows]
        assert labels[0] == "INVITE" and "BYE" in labels
        assert {a.leg for a in ladder.arrows} == {0, 1}
        assert len(ladder.columns) == 3
        text = screen_text(app)
        assert "INVITE SDP" in text and "BYE" in text and "softswitch" in text
        await pilot.press("q")
        await pilot.pause()
    assert pipeline.thread is not None and not pipeline.thread.is_alive()


@pilot_test
async def test_registrations_from_a_capture_with_failures_come_first() -> None:
    path = capture("sip_register_401_then_403__sipnab_sip-auth-failure.pcapng")
    config = Config(refresh=0.1)
    pipeline = Pipeline(config, files=[path])
    app = VostuiApp(config, pipeline, deterministic=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_finished(pilot, pipeline)
        await pilot.press("2", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "403" in text and "REGISTER" in text
        assert "forbidden" in text


@pilot_test
async def test_export_writes_a_pcap_that_reads_back(tmp_path: Path) -> None:
    path = capture("sip_call_g711_rtp_freeswitch__sip-rtp-g711.pcap")
    config = Config(refresh=0.1)
    pipeline = Pipeline(config, files=[path])
    app = VostuiApp(config, pipeline, deterministic=True, export_dir=str(tmp_path))
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_finished(pilot, pipeline)
        await pilot.press("enter")
        await pilot.pause()
        shown = len(app.screen.query_one(LadderView).ladder.arrows)
        await pilot.press("s")
        await pilot.pause()
    saved = list(tmp_path.glob("*.pcap"))
    assert len(saved) == 1
    again = Pipeline(config, files=[str(saved[0])])
    again.start()
    again.thread.join(10)  # type: ignore[union-attr]
    snapshot = again.snapshot()
    assert sum(len(leg.messages) for call in snapshot.calls for leg in call.legs) == shown
