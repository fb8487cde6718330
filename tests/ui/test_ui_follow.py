"""Evidence you can follow, and the legs of a call one key away.

On the findings list (`!`) and on one finding's screen, Enter on a call, registration
or source IP the finding names opens it: the call's ladder, the registration's
history, the calls filtered to `ip=<that ip>`. A call gone from the engine is said in a
notification. In the call list `Legs` counts the attempts; on the call screen `b`
shows the rejected B-legs' ladders, one at a time.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ui_fakes import FakePipeline, make_app, make_snapshot, pilot_test, read_all, screen_text

from vostui.config import Config, load_file
from vostui.diagnose import Affected, Finding, Ref
from vostui.pipeline import Pipeline
from vostui.ui.app import VostuiApp
from vostui.ui.call_screen import CallScreen
from vostui.ui.calls_pane import CallsPane
from vostui.ui.dashboard import DashboardScreen
from vostui.ui.findings_screen import FindingScreen, FindingsScreen
from vostui.ui.registration_screen import RegistrationScreen
from vostui.ui.table import RowTable

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "vostui" / "demo"


def demo_app() -> tuple[VostuiApp, Pipeline]:
    pcap, config_file = DEMO / "demo.pcap", DEMO / "demo-config.toml"
    if not pcap.is_file() or not config_file.is_file():
        pytest.skip("vostui/demo/demo.pcap or demo-config.toml is missing")
    config = load_file(Config(refresh=0.1), config_file)
    pipeline = Pipeline(config, files=[str(pcap)])
    return VostuiApp(config, pipeline, deterministic=True), pipeline  # type: ignore[arg-type]


async def to_finding(pilot, rule: str, affected: str = "") -> Finding:  # type: ignore[no-untyped-def]
    """On the findings list, the cursor on the first finding of `rule` (about `affected`)."""
    screen = pilot.app.screen
    assert isinstance(screen, FindingsScreen)
    table = screen.query_one("#findings", RowTable)
    for finding in screen.rows.findings:
        if finding.rule == rule and affected in finding.affected.id:
            assert table.select_key("\x00".join(finding.key))
            await pilot.pause()
            return finding
    raise AssertionError(f"no {rule} finding about {affected!r}")


@pilot_test
async def test_the_findings_list_opens_a_call_a_registration_and_an_ip_it_names() -> None:
    app, pipeline = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await read_all(pilot, pipeline)
        await pilot.press("exclamation_mark")
        await pilot.pause()
        findings = app.screen
        assert isinstance(findings, FindingsScreen)

        # a call: the gateway that failed over names the calls it moved
        finding = await to_finding(pilot, "gateway.failover", "VEND-2")
        places = findings.query_one("#findings-refs", RowTable)
        assert places.display and "Open: " in screen_text(app)
        await pilot.press("tab")
        assert places.has_focus
        await pilot.press("enter")
        await pilot.pause()
        call = app.screen
        assert isinstance(call, CallScreen) and call.key == finding.calls()[0]
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is findings

        # a registration and the source IP of the scanner
        finding = await to_finding(pilot, "scan.signature")
        regs = [ref.registration for ref in finding.refs if ref.registration is not None]
        ip = next(ref.ip for ref in finding.refs if ref.ip)
        assert regs and ip
        assert places.has_focus  # back where it was
        rows = places.source
        for index in range(len(rows)):  # type: ignore[arg-type]
            if rows.ref(rows.key(index)).registration is not None:  # type: ignore[attr-defined]
                break
        assert places.select_key(str(index))
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RegistrationScreen) and screen.registration is not None
        opened = (screen.registration.account, screen.registration.source)
        assert opened == rows.ref(rows.key(index)).registration  # type: ignore[attr-defined]
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is findings
        ip_row = next(
            i
            for i in range(len(rows))  # type: ignore[arg-type]
            if rows.ref(rows.key(i)).ip  # type: ignore[attr-defined]
        )
        assert places.select_key(str(ip_row))
        await pilot.press("enter")
        await pilot.pause()
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)
        pane = dashboard.query_one(CallsPane)
        assert pane.query_text == f"ip={ip}"
        assert pane.filter_box.input.value == f"ip={ip}"  # the row shows what is in force
        assert isinstance(app.focused, RowTable) and app.focused.id == "calls-table"
        assert f"/ip={ip}" in screen_text(app)


@pilot_test
async def test_a_finding_s_screen_opens_what_it_names_and_says_when_a_call_is_gone() -> None:
    snapshot = make_snapshot(20)
    call = snapshot.calls[4]
    finding = Finding(
        rule="test.places",
        severity="warning",
        title="places to go",
        affected=Affected("ip", "10.0.2.2"),
        evidence=("one line",),
        cause="",
        check="",
        fix="",
        refs=(
            Ref(call="evicted-call@nowhere"),
            Ref(call=call.key, message=call.legs[0].messages[1].index),
            Ref(ip="10.0.2.2"),
            Ref(registration=("999@pbx.example", "10.9.9.9:5060")),
        ),
    )
    app = make_app(FakePipeline(snapshot))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = FindingScreen(finding, snapshot=app.pipeline.snapshot)
        app.push_screen(screen)
        await pilot.pause()
        text = screen_text(app)
        assert "Open: 2 call(s), 1 registration(s), 1 IP" in text
        assert text.count("gone (evicted)") == 2
        table = screen.query_one("#finding-refs", RowTable)
        assert table.has_focus
        await pilot.press("enter")  # the evicted call: said, and nothing breaks
        await pilot.pause()
        assert app.screen is screen
        notes = [str(n.message) for n in app._notifications]
        assert any("evicted-call@nowhere is no longer in the engine" in n for n in notes)
        await pilot.press("end")  # the registration that is gone: said too
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        notes = [str(n.message) for n in app._notifications]
        assert any("999@pbx.example from 10.9.9.9:5060 is no longer" in n for n in notes)
        await pilot.press("home", "down", "enter")  # the call, at the message named
        await pilot.pause()
        opened = app.screen
        assert isinstance(opened, CallScreen) and opened.key == call.key
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("down", "enter")  # the IP: the calls filtered to it
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        pane = app.screen.query_one(CallsPane)
        assert pane.query_text == "ip=10.0.2.2"
        shown = pane.table.source
        assert 0 < len(shown) < len(snapshot.calls)  # type: ignore[arg-type]


# -- the legs of a call ------------------------------------------------------------------


def b2bua_snapshot():  # type: ignore[no-untyped-def]
    """tests/fixtures/b2bua_calls.pcap read to its end by the real engine."""
    import time

    pcap = ROOT / "tests" / "fixtures" / "b2bua_calls.pcap"
    config_file = ROOT / "tools" / "fixtures" / "demo-config.toml"
    if not pcap.is_file() or not config_file.is_file():
        pytest.skip("b2bua_calls.pcap or its config is missing")
    pipeline = Pipeline(load_file(Config(), config_file), files=[str(pcap)])
    pipeline.start()
    try:
        for _ in range(200):
            if pipeline.status().state not in ("starting", "running"):
                break
            time.sleep(0.05)
        return pipeline.snapshot()
    finally:
        pipeline.stop()


def test_legs_count_the_routes_tried_before_the_one_taken() -> None:
    from vostui.ui.legs import failed_attempts, leg_label, legs_cell

    snapshot = b2bua_snapshot()
    cells = {call.key: legs_cell(call) for call in snapshot.calls}
    by_key = {call.key: call for call in snapshot.calls}
    # 503 from VEND-2, then VEND-3 answers; VEND-4 times out, then VEND-3
    rejected = by_key["1-13618@127.0.0.22"]
    assert cells[rejected.key] == "2+1✗"
    assert failed_attempts(rejected) == (1,)
    assert leg_label(rejected, 1) == "leg 2/3 b VEND-2 ✗ rejected 503"
    assert leg_label(rejected, 2) == "leg 3/3 b VEND-3 completed 200"
    timed_out = by_key["5-13616@127.0.0.21"]
    assert cells[timed_out.key] == "2+1✗" and timed_out.legs[1].state == "timed_out"
    assert cells["4-13616@127.0.0.21"] == "1"  # refused by the switch itself
    plain = [c for c in snapshot.calls if len(c.legs) == 2]
    assert plain and all(cells[c.key] == "2" for c in plain)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
@pilot_test
async def test_the_call_list_shows_legs_and_b_shows_a_failed_b_leg(size: tuple[int, int]) -> None:
    app, pipeline = demo_app()
    async with app.run_test(size=size) as pilot:
        await read_all(pilot, pipeline)
        text = screen_text(app)
        header = next(line for line in text.splitlines() if "Caller" in line)
        for title in ("Start", "Dur", "Caller", "Callee", "State", "Code", "Legs", "Why"):
            assert title in header, (title, header)  # 80 columns: everything still fits
        assert "2+1✗ 503 VEND-2" in text  # answered on a later route, 503 before it
        pane = app.screen.query_one(CallsPane)
        rows = pane.table.source
        calls = list(rows.calls)  # type: ignore[attr-defined]
        failover = next(c for c in calls if c.legs[1:2] and c.legs[1].final_code == 503)
        plain = next(c for c in calls if len(c.legs) == 2)

        # a call with no failed B-leg: no `b` on the key bar
        assert pane.table.select_key(plain.key)
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CallScreen) and screen.key == plain.key
        assert "Failed legs" not in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()

        # the failover: `b` shows the rejected B-leg alone, `b` again every leg
        assert pane.table.select_key(failover.key)
        await pilot.press("enter")
        await pilot.pause()
        assert screen.key == failover.key
        text = screen_text(app)
        assert "b Failed legs" in text and "legs: all 3, 1✗" in text
        await pilot.press("b")
        await pilot.pause()
        assert screen.only_leg == 1
        view = screen.query_one("#ladder")
        arrows = view.ladder.arrows  # type: ignore[attr-defined]
        assert {a.leg for a in arrows} == {1}
        assert any(a.record.msg.status == 503 for a in arrows)
        words = " ".join(screen_text(app).split())  # the head may wrap at 80 columns
        assert "legs: leg 2/3 b VEND-2 ✗ rejected 503" in words
        await pilot.press("b")
        await pilot.pause()
        assert screen.only_leg is None
        assert {a.leg for a in view.ladder.arrows} == {0, 1, 2}  # type: ignore[attr-defined]
