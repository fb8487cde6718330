"""Diagnosis in the console over the labelled captures, with the real Pipeline and engine.

Each capture in tests/fixtures/diagnose/ was made by SIPp or sipvicious and is labelled
with the findings it must produce (labels.json). The console must show them where an
operator looks: the alerts strip, the findings screen, the call's and the
registration's screens, and the checklists.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ui_fakes import pilot_test, read_all, screen_text

from vostui.config import Config, load_file
from vostui.pipeline import Pipeline
from vostui.ui.alerts_strip import AlertsStrip
from vostui.ui.app import VostuiApp
from vostui.ui.call_screen import CallScreen
from vostui.ui.checklist_screen import ChecklistScreen
from vostui.ui.codes_screen import CodesScreen
from vostui.ui.findings_screen import FindingsBox, FindingScreen, FindingsScreen
from vostui.ui.registration_screen import RegistrationScreen
from vostui.ui.table import RowTable

ROOT = Path(__file__).resolve().parents[2]
CAPTURES = ROOT / "tests" / "fixtures" / "diagnose"


def capture(name: str) -> str:
    path = CAPTURES / name
    if not path.is_file():
        pytest.skip(f"{name} is not in tests/fixtures/diagnose")
    return str(path)


def labels() -> dict[str, list[str]]:
    path = CAPTURES / "labels.json"
    if not path.is_file():
        pytest.skip("tests/fixtures/diagnose/labels.json is missing")
    data = json.loads(path.read_text())
    return {entry["file"]: entry["expected"] for entry in data["captures"]}


def app_over(name: str, **kwargs: object) -> tuple[VostuiApp, Pipeline]:
    config = load_file(Config(refresh=0.1), CAPTURES / "doctor.toml")
    pipeline = Pipeline(config, files=[capture(name)])
    return VostuiApp(config, pipeline, deterministic=True, **kwargs), pipeline  # type: ignore[arg-type]


def strip_text(app: VostuiApp) -> str:
    return str(app.screen.query_one(AlertsStrip).render())


@pilot_test
async def test_no_ack_shows_in_the_strip_on_the_call_and_in_full() -> None:
    app, pipeline = app_over("no_ack_32s.pcap")
    async with app.run_test(size=(80, 24)) as pilot:
        await read_all(pilot, pipeline)
        finding = next(f for f in app.diagnosis.findings if f.rule == "call.no_ack")
        # the strip: severity count and the finding's title, on one 80-column line
        strip = strip_text(app)
        assert "▲1 warn" in strip and "200 OK never ACKed" in strip
        # the call's screen: the finding under the head, compact
        table = app.screen.query_one("#calls-table", RowTable)
        assert table.select_key(finding.calls()[0])
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CallScreen)
        assert [f.rule for f in screen.findings] == ["call.no_ack"]
        text = screen_text(app)
        assert "▲ warn" in text and "200 OK never ACKed" in text and "Evidence" not in text
        # f: in full, with the evidence as on the wire and the fix
        await pilot.press("f")
        await pilot.pause()
        box = screen.query_one(FindingsBox)
        assert box.is_open and box.has_focus
        text = screen_text(app)
        assert "Evidence" in text and "SIP/2.0 200 OK" in text and "no ACK]" in text
        await pilot.press("end")
        await pilot.pause()
        assert "Make the Contact in the 200 OK reachable" in screen_text(app)
        # R: the code reference at the call's final code
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, CodesScreen)
        assert app.screen.query_one("#codes", RowTable).cursor_key == "200"
        assert "64*T1" in screen_text(app)
        await pilot.press("escape", "f")
        await pilot.pause()
        assert not box.is_open and "Evidence" not in screen_text(app)


@pilot_test
async def test_findings_screen_opens_a_finding_and_jumps_to_its_call() -> None:
    app, pipeline = app_over("failures_503.pcap")
    async with app.run_test(size=(160, 48)) as pilot:
        await read_all(pilot, pipeline)
        await pilot.press("exclamation_mark")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FindingsScreen)
        rules = [f.rule for f in screen.rows.findings]
        assert {"gateway.capacity", "gateway.asr_drop"} <= set(rules)
        # severity reads as a word and a mark, not only as a colour
        text = screen_text(app)
        assert "▲ warning" in text and "VEND-2" in text
        while screen.selected is not None and screen.selected.rule != "gateway.capacity":
            await pilot.press("down")
        finding = screen.selected
        assert finding is not None and finding.rule == "gateway.capacity"
        assert "Evidence" in screen_text(app)  # the highlighted one, beside the list
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, FindingScreen)
        text = screen_text(app)
        for heading in ("Evidence", "Cause", "Check", "Fix"):
            assert heading in text, heading
        assert "Open: " in text and "503" in text
        await pilot.press("enter")
        await pilot.pause()
        call = app.screen
        assert isinstance(call, CallScreen)
        assert call.key == finding.calls()[0]
        assert call.call is not None and call.call.final_code == 503
        # back out: call, finding, then the list with its cursor where it was
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert app.screen is screen and screen.selected == finding
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "DashboardScreen"


@pilot_test
async def test_registration_finding_on_its_screen_and_as_a_jump() -> None:
    app, pipeline = app_over("register_challenge_loop.pcap")
    async with app.run_test(size=(80, 24)) as pilot:
        await read_all(pilot, pipeline)
        finding = next(f for f in app.diagnosis.findings if f.rule == "registration.challenge_loop")
        await pilot.press("2", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RegistrationScreen)
        assert finding in screen.findings
        assert "challenged 4 times in a row" in screen_text(app)
        await pilot.press("escape", "exclamation_mark")
        await pilot.pause()
        findings = app.screen
        assert isinstance(findings, FindingsScreen)
        assert findings.query_one("#findings", RowTable).select_key("\x00".join(finding.key))
        await pilot.press("enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RegistrationScreen)
        assert app.screen.registration is not None
        assert app.screen.registration.account.startswith("1042@")


@pilot_test
async def test_checklist_calls_drop_at_32_s_fails_with_evidence() -> None:
    app, pipeline = app_over("no_ack_32s.pcap")
    async with app.run_test(size=(80, 24)) as pilot:
        await read_all(pilot, pipeline)
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChecklistScreen)
        text = screen_text(app)
        assert "Calls drop at about 32 seconds" in text and "Gateway won't register" in text
        table = screen.query_one("#symptoms", RowTable)
        assert table.select_key("drop_32s")
        await pilot.press("enter")
        await pilot.pause()
        checklist = screen.checklist
        assert checklist is not None and checklist.symptom == "drop_32s"
        failed = {step.id for step in checklist.failed}
        assert "drop_at_32" in failed
        text = screen_text(app)
        # narrow: the checklist took the screen; status as a mark and a word
        assert "Symptoms" not in text
        assert re.search(r"1 ✗ FAIL +Is every 200 OK acknowledged", text) and "no ACK]" in text
        steps = [
            str(mark.render()) + " " + str(title.render())
            for mark, title in zip(
                screen.query(".step-mark"), screen.query(".step-title"), strict=True
            )
        ]
        assert len(steps) == len(checklist.steps)
        assert any("✗ FAIL" in t and "32 s after the answer" in t for t in steps)
        assert any("✓ pass" in t for t in steps) and any("☐ manual" in t for t in steps)
        await pilot.press("end")
        await pilot.pause()
        text = screen_text(app)
        assert "Most likely cause" in text and "Fix" in text
        assert "$ lsmod" in text  # the manual step's command
        # r runs it again; Esc goes back to the symptoms, Esc again closes
        runs = app.diagnosis.runs
        await pilot.press("r")
        await pilot.pause()
        assert app.diagnosis.runs == runs + 1
        await pilot.press("escape")
        await pilot.pause()
        assert "Symptoms" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ChecklistScreen)
        assert app.diagnosis.symptom is None  # nobody reads it: no longer run


@pilot_test
async def test_checklist_says_not_checked_without_host_data() -> None:
    app, pipeline = app_over("register_no_response.pcap")
    async with app.run_test(size=(160, 48)) as pilot:
        await read_all(pilot, pipeline)
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChecklistScreen)
        screen.pick("gateway_wont_register")
        await pilot.pause()
        text = screen_text(app)
        # wide: the list and the checklist side by side
        assert "Symptoms" in text and "Checklist: Gateway won't register" in text
        assert "✗ FAIL" in text and "– not checked" in text
        assert "host and logs not followed" in text or "host, logs not followed" in text


@pytest.mark.parametrize(
    "name", ["no_ack_32s.pcap", "register_403.pcap", "scanner_svmap.pcap", "failures_486.pcap"]
)
@pilot_test
async def test_every_labelled_finding_reaches_the_findings_screen(name: str) -> None:
    expected = labels()[name]
    app, pipeline = app_over(name)
    async with app.run_test(size=(160, 48)) as pilot:
        await read_all(pilot, pipeline)
        await pilot.press("exclamation_mark")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FindingsScreen)
        shown = {f.rule for f in screen.rows.findings}
        assert set(expected) <= shown, (expected, shown)
        text = screen_text(app)
        for finding in screen.rows.findings:
            if finding.rule in expected:
                assert finding.title[:20] in text, finding.title


@pilot_test
async def test_clean_capture_says_no_alerts() -> None:
    app, pipeline = app_over("clean.pcap")
    async with app.run_test(size=(80, 24)) as pilot:
        await read_all(pilot, pipeline)
        assert app.diagnosis.result is not None
        assert "no alerts" in strip_text(app)
