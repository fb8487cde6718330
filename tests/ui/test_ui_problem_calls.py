"""Calls end, and problem calls show why: the calls list over real captures.

After a capture is read, an INVITE that got no final answer is a final state (`timed_out`
or `no_answer`), not an active call. Every call a finding (above info) names, and every
call in a failed final state, carries "!" with its reason in the `Why` column and on
the line under the list; `p` shows exactly those calls.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ui_fakes import (
    FakePipeline,
    make_app,
    make_call,
    make_snapshot,
    pilot_test,
    read_all,
    screen_text,
)

from vostui.config import Config, load_file
from vostui.diagnose.finding import GATEWAY, INFO, NOTICE, WARNING, Affected, Finding, Ref
from vostui.engine.snapshot import CallView
from vostui.filters import parse
from vostui.net.datagram import Datagram
from vostui.net.writer import write_pcap
from vostui.pipeline import Pipeline
from vostui.ui.app import VostuiApp
from vostui.ui.calls_pane import CallFilter, CallRows, CallsPane
from vostui.ui.problems import ProblemCalls
from vostui.ui.table import RowTable

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
DEMO_CONFIG = ROOT / "tools" / "fixtures" / "demo-config.toml"
DOCTOR_CONFIG = FIXTURES / "diagnose" / "doctor.toml"


def capture(path: Path) -> str:
    if not path.is_file():
        pytest.skip(f"{path.name} is not in {path.parent}")
    return str(path)


def app_over(path: str, config_file: Path | None = DEMO_CONFIG) -> tuple[VostuiApp, Pipeline]:
    config = Config(refresh=0.1)
    if config_file is not None and config_file.is_file():
        config = load_file(config, config_file)
    pipeline = Pipeline(config, files=[path])
    return VostuiApp(config, pipeline, deterministic=True), pipeline  # type: ignore[arg-type]


def pane(app: VostuiApp) -> CallsPane:
    return app.screen.query_one(CallsPane)


def shown(app: VostuiApp) -> list[CallView]:
    table = app.screen.query_one("#calls-table", RowTable)
    rows = table.source
    assert isinstance(rows, CallRows)
    return list(rows.calls)


def expected_problems(app: VostuiApp) -> set[str]:
    """What `p` must show: calls in a failed final state, and calls named by findings
    above info (from the same diagnosis the console ran)."""
    snapshot = app.pipeline.snapshot()
    named = {
        ref.call for f in app.diagnosis.findings if f.severity != INFO for ref in f.refs if ref.call
    }
    return {c.key for c in snapshot.calls if c.problem} | (named & {c.key for c in snapshot.calls})


def why_of(app: VostuiApp, key: str) -> str:
    calls = pane(app)
    call = next(c for c in shown(app) if c.key == key)
    return calls.problems.why(call)


def calls_pane_text(app: VostuiApp) -> str:
    """The calls pane's box on screen: from its title to its bottom border."""
    lines = screen_text(app).splitlines()
    top = next(n for n, line in enumerate(lines) if "[1] Calls" in line)
    bottom = next(n for n in range(top + 1, len(lines)) if lines[n].lstrip().startswith("╰"))
    return "\n".join(lines[top : bottom + 1])


# -- failures.pcap: the INVITE nobody answers (sent 7 times over 31.5 s) ------------------


@pilot_test
async def test_unanswered_invite_is_timed_out_after_the_file_and_not_active() -> None:
    app, pipeline = app_over(capture(FIXTURES / "failures.pcap"))
    async with app.run_test(size=(160, 48)) as pilot:
        await read_all(pilot, pipeline)
        snapshot = pipeline.snapshot()
        silent = snapshot.call("1-9438@127.0.0.21")
        assert silent is not None and silent.state == "timed_out" and not silent.active
        text = screen_text(app)
        assert "0 active, 7 total" in text
        assert "!timed_out" in text and "setup" not in text
        assert "failed calls 4xx 5 5xx 1 timeout 1" in text  # the alerts strip counts it
        # its own state first, then the finding that names it (0 of 7 answered: low ASR)
        assert why_of(app, "1-9438@127.0.0.21") == "timed out, low asr"
        assert why_of(app, "1-9313@127.0.0.21") == "503 127.0.0.52, low asr"

        await pilot.press("p")
        await pilot.pause()
        keys = {c.key for c in shown(app)}
        assert keys == expected_problems(app)
        # 4 rejected and 1 timed out by their state; the 2 cancelled ones (the caller's
        # choice) only because the all-calls low ASR notice names every unanswered call
        assert "1-9438@127.0.0.21" in keys and len(keys) == 7
        cancelled = [c for c in shown(app) if c.state == "cancelled"]
        assert len(cancelled) == 2
        assert all(not c.problem for c in cancelled)
        assert "7 of 7 shown (problems) · 0 active" in screen_text(app)

        # the line under the list: the selected call's reason in a sentence
        table = app.screen.query_one("#calls-table", RowTable)
        assert table.select_key("1-9438@127.0.0.21")
        await pilot.pause()
        box = calls_pane_text(app)
        assert "╰─ ! timed out: no final response (7 INVITEs sent)" in box
        assert table.select_key("1-9313@127.0.0.21")
        await pilot.pause()
        assert "╰─ ! 503 Service Unavailable from 127.0.0.52" in calls_pane_text(app)


@pilot_test
async def test_problem_view_at_80_columns_keeps_the_reason_visible() -> None:
    app, pipeline = app_over(capture(FIXTURES / "failures.pcap"))
    async with app.run_test(size=(80, 24)) as pilot:
        await read_all(pilot, pipeline)
        await pilot.press("p")
        await pilot.pause()
        box = calls_pane_text(app)
        header = box.splitlines()[1]
        assert "Why" in header and "Code" in header
        assert "timed out" in box
        # the first row (the newest call, timed out) is selected: its reason under the list
        assert "╰─ ! timed out: no final response" in box


# -- findings put the mark on calls that did not fail -------------------------------------


@pilot_test
async def test_one_way_audio_calls_are_marked_with_the_reason() -> None:
    """private_sdp.pcap: two answered calls whose SDP gives a private media address."""
    app, pipeline = app_over(
        capture(FIXTURES / "diagnose" / "private_sdp.pcap"), config_file=DOCTOR_CONFIG
    )
    async with app.run_test(size=(160, 48)) as pilot:
        await read_all(pilot, pipeline)
        finding = next(f for f in app.diagnosis.findings if f.rule == "media.private_sdp")
        named = set(finding.calls())
        assert len(named) == 2
        calls = shown(app)
        assert all(c.state == "completed" and not c.problem for c in calls)
        for call in calls:
            assert why_of(app, call.key) == "one-way"
        text = screen_text(app)
        assert text.count("!completed") == 2 and "one-way" in text
        await pilot.press("p")
        await pilot.pause()
        assert {c.key for c in shown(app)} == named == expected_problems(app)
        assert "one-way · " in calls_pane_text(app)  # the finding's title follows


@pilot_test
async def test_no_ack_call_says_no_ack() -> None:
    app, pipeline = app_over(
        capture(FIXTURES / "diagnose" / "no_ack_32s.pcap"), config_file=DOCTOR_CONFIG
    )
    async with app.run_test(size=(160, 48)) as pilot:
        await read_all(pilot, pipeline)
        (call,) = shown(app)
        assert why_of(app, call.key) == "no ACK"
        await pilot.press("p")
        await pilot.pause()
        assert [c.key for c in shown(app)] == [call.key]
        assert "╰─ ! no ACK · " in calls_pane_text(app)


@pilot_test
async def test_demo_problem_calls_are_exactly_the_failed_and_the_named_ones() -> None:
    app, pipeline = app_over(capture(FIXTURES / "demo.pcap"))
    async with app.run_test(size=(160, 48)) as pilot:
        await read_all(pilot, pipeline)
        snapshot = pipeline.snapshot()
        assert not any(c.active for c in snapshot.calls)
        assert "0 active, 44 total" in screen_text(app)
        await pilot.press("p")
        await pilot.pause()
        calls = shown(app)
        want = expected_problems(app)
        assert {c.key for c in calls} == want
        assert any(not c.problem for c in calls)  # some only because a finding names them
        for call in calls:
            assert why_of(app, call.key), call.key  # every one says why


# -- the end of a capture while calls ring ------------------------------------------------


def sip(ts: float, first_line: str, call_id: str, *, from_callee: bool = False) -> Datagram:
    caller, callee = ("10.0.0.1", 5060), ("10.0.0.2", 5060)
    (src, sport), (dst, dport) = (callee, caller) if from_callee else (caller, callee)
    to_tag = ";tag=b1" if from_callee else ""
    text = (
        f"{first_line}\r\n"
        f"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-{call_id}\r\n"
        "From: <sip:1001@10.0.0.1>;tag=a1\r\n"
        f"To: <sip:2002@10.0.0.2>{to_tag}\r\n"
        f"Call-ID: {call_id}\r\n"
        "CSeq: 1 INVITE\r\n"
        "Content-Length: 0\r\n\r\n"
    )
    return Datagram(ts, src, sport, dst, dport, "udp", text.encode())


@pilot_test
async def test_calls_ringing_when_the_capture_ends_are_no_answer(tmp_path: Path) -> None:
    t0 = 1_700_000_000.0
    invite = "INVITE sip:2002@10.0.0.2 SIP/2.0"
    path = tmp_path / "cut.pcap"
    write_pcap(
        path,
        [
            sip(t0, invite, "ringing"),
            sip(t0 + 0.1, "SIP/2.0 180 Ringing", "ringing", from_callee=True),
            sip(t0 + 1.0, invite, "silent"),
            sip(t0 + 1.5, invite, "silent"),  # retransmitted, 2.5 s before the end
            sip(t0 + 4.0, invite, "answered"),
            sip(t0 + 4.5, "SIP/2.0 200 OK", "answered", from_callee=True),
        ],
    )
    app, pipeline = app_over(str(path), config_file=None)
    async with app.run_test(size=(160, 48)) as pilot:
        await read_all(pilot, pipeline)
        snapshot = pipeline.snapshot()
        states = {c.key: c.state for c in snapshot.calls}
        assert states == {"ringing": "no_answer", "silent": "no_answer", "answered": "answered"}
        assert [c.key for c in snapshot.calls if c.active] == ["answered"]
        text = screen_text(app)
        assert "1 active, 3 total" in text and text.count("!no_answer") == 2
        assert "failed calls no answer 2" in text
        await pilot.press("p")
        await pilot.pause()
        assert {c.key for c in shown(app)} == {"ringing", "silent"}
        assert why_of(app, "ringing") == "no answer"
        assert "no answer: no final response before the capture ended" in calls_pane_text(app)


# -- the rules without the console --------------------------------------------------------


def finding(rule: str, severity: str, keys: list[str], gateway: str = "vendor-2") -> Finding:
    return Finding(
        rule=rule,
        severity=severity,
        title=f"{gateway}: {rule}",
        affected=Affected(GATEWAY, gateway),
        evidence=(),
        cause="",
        check="",
        fix="",
        refs=tuple(Ref(call=key) for key in keys),
    )


def test_problem_calls_are_the_failed_ones_and_those_findings_above_info_name() -> None:
    calls = make_snapshot(20).calls
    answered = next(c for c in calls if c.key == "a-1@cust")
    by_call = {
        "a-1@cust": (finding("gateway.capacity", WARNING, ["a-1@cust"], "vendor-2"),),
        "a-2@cust": (finding("gateway.cancelled", INFO, ["a-2@cust"]),),  # info: no mark
        "a-3@cust": (finding("gateway.never_heard_of", NOTICE, ["a-3@cust"]),),
    }
    problems = ProblemCalls(by_call)
    flagged = {c.key for c in CallFilter().apply(calls, parse(""), True, 0.0, problems.flagged)}
    assert flagged == {c.key for c in calls if c.problem} | {"a-1@cust", "a-3@cust"}
    # `/problem=yes` means what `p` shows, and `problem=no` the rest
    by_field = CallFilter().apply(calls, parse("problem=yes"), False, 0.0, problems.flagged)
    assert {c.key for c in by_field} == flagged
    rest = CallFilter().apply(calls, parse("problem=no"), True, 0.0, problems.flagged)
    assert rest == []
    # a gateway finding says the code this call got there: the B-leg at vendor-2 answered
    assert problems.why(answered) == "200 vendor-2"
    assert problems.why(next(c for c in calls if c.key == "a-3@cust")) == "never heard of"
    failed = next(c for c in calls if c.key == "a-9@cust")
    assert problems.why(failed) == "503 vendor-1"
    rows = CallRows([answered, failed], now=answered.start + 60, problems=problems)
    assert rows.cells(0)[0][6] == "!ended" and rows.cells(0)[0][10] == "200 vendor-2"
    assert rows.cells(0)[1] == "problem"


@pilot_test
async def test_a_new_diagnosis_moves_the_mark_without_a_new_snapshot() -> None:
    snapshot = make_snapshot(10)
    app = make_app(FakePipeline(snapshot))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        calls = app.screen.query_one(CallsPane)
        await pilot.press("p")
        await pilot.pause()
        before = {c.key for c in shown(app)}
        assert before == {c.key for c in snapshot.calls if c.problem}
        calls.set_findings({"a-1@cust": (finding("media.private_sdp", WARNING, ["a-1@cust"]),)})
        await pilot.pause()
        assert {c.key for c in shown(app)} == before | {"a-1@cust"}
        assert "one-way" in screen_text(app)
        calls.set_findings({})
        await pilot.pause()
        assert {c.key for c in shown(app)} == before
        assert make_call(1).key == "a-1@cust"
