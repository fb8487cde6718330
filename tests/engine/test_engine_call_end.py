"""Calls end: an INVITE with no final answer is not left `setup` (active) for ever.

Live, Timer B (64*T1 = 32 s of packet time) ends an INVITE that got no response at all;
at the end of a capture (`Engine.finish`) one that was retransmitted to Timer B is
`timed_out` and any other unanswered INVITE `no_answer`. Time is always packet time.
"""

from __future__ import annotations

import pytest

from tests.support import FIXTURES
from vostui.config import load
from vostui.engine.core import Engine
from vostui.engine.snapshot import CallView, EngineSnapshot
from vostui.net.datagram import Datagram
from vostui.pipeline import read_files

T0 = 1_700_000_000.0
CALLER = ("10.0.0.1", 5060)
CALLEE = ("10.0.0.2", 5060)
RETRANSMITS = (0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5)  # T1 = 500 ms doubling: 7 sends
DEMO_CONFIG = FIXTURES.parents[1] / "tools" / "fixtures" / "demo-config.toml"


def sip(
    ts: float,
    first_line: str,
    call_id: str,
    cseq: str = "1 INVITE",
    *,
    to_tag: str = "",
    from_callee: bool = False,
) -> Datagram:
    (src, sport), (dst, dport) = (CALLEE, CALLER) if from_callee else (CALLER, CALLEE)
    to = "<sip:2002@10.0.0.2>" + (f";tag={to_tag}" if to_tag else "")
    text = (
        f"{first_line}\r\n"
        f"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-{call_id}-{cseq.split()[0]}\r\n"
        f"From: <sip:1001@10.0.0.1>;tag=a1\r\n"
        f"To: {to}\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq}\r\n"
        "Content-Length: 0\r\n\r\n"
    )
    return Datagram(ts, src, sport, dst, dport, "udp", text.encode())


def invite(ts: float, call_id: str) -> Datagram:
    return sip(ts, "INVITE sip:2002@10.0.0.2 SIP/2.0", call_id)


def response(ts: float, code: int, reason: str, call_id: str, cseq: str = "1 INVITE") -> Datagram:
    return sip(ts, f"SIP/2.0 {code} {reason}", call_id, cseq, to_tag="b1", from_callee=True)


def call(snap: EngineSnapshot, key: str) -> CallView:
    found = snap.call(key)
    assert found is not None, key
    return found


def active(snap: EngineSnapshot) -> set[str]:
    return {c.key for c in snap.calls if c.active}


# -- live: the timers run on packet time ----------------------------------------------


def test_live_invite_without_any_response_times_out_32_s_after_it_was_sent() -> None:
    engine = Engine()
    for offset in RETRANSMITS[:6]:
        engine.feed(invite(T0 + offset, "silent"))
    engine.feed(invite(T0 + 20.0, "other"))
    snap = engine.snapshot()
    assert call(snap, "silent").state == "setup" and "silent" in active(snap)
    engine.feed(invite(T0 + 31.5, "silent"))  # the 7th and last transmission
    engine.feed(invite(T0 + 32.7, "third"))  # a later packet moves packet time past 32 s
    snap = engine.snapshot()
    silent = call(snap, "silent")
    assert silent.state == "timed_out" and silent.problem
    assert silent.legs[0].hangup_by == "timeout"
    assert silent.ended == pytest.approx(T0 + 32.0)
    assert active(snap) == {"other", "third"}
    gateway = {g.name: g for g in snap.gateways}["10.0.0.2"]
    assert gateway.active == 2 and dict(gateway.codes) == {0: 1}


def test_live_tick_without_packets_ends_the_invite_at_timer_b() -> None:
    """Live and in a replay the pipeline ticks `expire` with no packet coming."""
    engine = Engine()
    engine.feed(invite(T0, "silent"))
    engine.expire(T0 + 31.9)
    assert call(engine.snapshot(), "silent").state == "setup"
    engine.expire(T0 + 32.1)
    snap = engine.snapshot()
    assert call(snap, "silent").state == "timed_out" and not active(snap)


def test_live_ringing_call_is_not_ended_by_timer_b() -> None:
    """A 1xx stops Timer B (RFC 3261 17.1.1.2): ringing goes on, up to Timer C."""
    engine = Engine()
    engine.feed(invite(T0, "ringing"))
    engine.feed(response(T0 + 0.1, 180, "Ringing", "ringing"))
    engine.expire(T0 + 60.0)
    assert call(engine.snapshot(), "ringing").state == "ringing"
    engine.expire(T0 + 181.0)
    assert call(engine.snapshot(), "ringing").state == "timed_out"


def test_live_cancel_that_never_gets_its_487_ends_cancelled() -> None:
    engine = Engine()
    engine.feed(invite(T0, "c"))
    engine.feed(response(T0 + 0.1, 180, "Ringing", "c"))
    engine.feed(sip(T0 + 5.0, "CANCEL sip:2002@10.0.0.2 SIP/2.0", "c", "1 CANCEL"))
    engine.expire(T0 + 36.0)
    assert call(engine.snapshot(), "c").state == "ringing"  # 32 s after the CANCEL, not yet
    engine.expire(T0 + 37.5)
    c = call(engine.snapshot(), "c")
    assert c.state == "cancelled" and c.ended == T0 + 5.0 and not c.problem


# -- the end of a capture ---------------------------------------------------------------


def test_finish_ends_every_unanswered_invite_and_leaves_answered_calls_up() -> None:
    engine = Engine()
    for offset in RETRANSMITS:
        engine.feed(invite(T0 + offset, "to-timer-b"))
    engine.feed(invite(T0 + 20.0, "short"))  # sent twice, then the capture ends
    engine.feed(invite(T0 + 20.5, "short"))
    engine.feed(invite(T0 + 21.0, "ringing"))
    engine.feed(response(T0 + 21.1, 180, "Ringing", "ringing"))
    engine.feed(invite(T0 + 22.0, "cancel"))
    engine.feed(response(T0 + 22.1, 100, "Trying", "cancel"))
    engine.feed(sip(T0 + 23.0, "CANCEL sip:2002@10.0.0.2 SIP/2.0", "cancel", "1 CANCEL"))
    engine.feed(invite(T0 + 24.0, "up"))
    engine.feed(response(T0 + 24.5, 200, "OK", "up"))
    engine.feed(sip(T0 + 24.6, "ACK sip:2002@10.0.0.2 SIP/2.0", "up", "1 ACK", to_tag="b1"))
    engine.finish(at=T0 + 31.6)  # the last frame of the capture (RTP, say)
    snap = engine.snapshot()
    assert snap.now == T0 + 31.5  # still the latest SIP message's time

    timed_out = call(snap, "to-timer-b")
    assert timed_out.state == "timed_out" and timed_out.problem
    assert timed_out.final_reason == "no final response"
    assert timed_out.ended == pytest.approx(T0 + 31.6)  # Timer B was to fire at 32 s

    for key in ("short", "ringing"):
        unanswered = call(snap, key)
        assert unanswered.state == "no_answer" and unanswered.problem, key
        assert unanswered.ended == T0 + 31.6 and unanswered.final_code == 0
    assert call(snap, "ringing").pdd == pytest.approx(0.1)

    cancelled = call(snap, "cancel")
    assert cancelled.state == "cancelled" and not cancelled.problem
    assert cancelled.ended == T0 + 23.0 and cancelled.legs[0].hangup_by == "caller"

    assert call(snap, "up").state == "confirmed"
    assert active(snap) == {"up"}
    gateway = {g.name: g for g in snap.gateways}["10.0.0.2"]
    # no_answer legs are left out of the ASR: their outcome was not captured
    assert gateway.active == 1 and gateway.answered == 1
    assert dict(gateway.codes) == {0: 1, 200: 1}  # the CANCEL got no 487: no code
    assert gateway.asr == pytest.approx(1 / 3)  # answered / (timed out, cancelled, answered)


def test_finish_without_a_later_frame_uses_the_last_sip_message() -> None:
    engine = Engine()
    engine.feed(invite(T0, "a"))
    engine.feed(invite(T0 + 4.0, "b"))
    engine.finish()
    snap = engine.snapshot()
    assert call(snap, "a").state == "no_answer" and call(snap, "a").ended == T0 + 4.0
    assert not active(snap)


def test_a_late_answer_after_the_end_still_counts() -> None:
    """A final response after a timer or `finish` ended the INVITE replaces that end."""
    engine = Engine()
    engine.feed(invite(T0, "late"))
    engine.finish(at=T0 + 1.0)
    engine.feed(response(T0 + 2.0, 486, "Busy Here", "late"))
    snap = engine.snapshot()
    late = call(snap, "late")
    assert late.state == "rejected" and late.final_code == 486
    gateway = {g.name: g for g in snap.gateways}["10.0.0.2"]
    assert dict(gateway.codes) == {486: 1} and gateway.active == 0

    engine = Engine()
    engine.feed(invite(T0, "slow"))
    engine.expire(T0 + 33.0)
    assert call(engine.snapshot(), "slow").state == "timed_out"
    engine.feed(response(T0 + 34.0, 503, "Service Unavailable", "slow"))
    snap = engine.snapshot()
    assert call(snap, "slow").state == "rejected"
    gateway = {g.name: g for g in snap.gateways}["10.0.0.2"]
    assert dict(gateway.codes) == {503: 1} and gateway.active == 0 and gateway.asr == 0.0


# -- real captures ----------------------------------------------------------------------


def read(name: str) -> EngineSnapshot:
    config = load(str(DEMO_CONFIG)) if DEMO_CONFIG.exists() else None
    engine = Engine(config)
    read_files(engine, [str(FIXTURES / f"{name}.pcap")])
    return engine.snapshot()


def test_failures_capture_invite_sent_seven_times_is_timed_out_not_active() -> None:
    """failures.pcap ends 31.5 s after the INVITE that nobody answers (7 sends)."""
    snap = read("failures")
    silent = call(snap, "1-9438@127.0.0.21")
    assert silent.state == "timed_out" and silent.problem and not silent.active
    assert silent.legs[0].retransmissions == 6
    assert not active(snap)
    assert all(g.active == 0 for g in snap.gateways)
    states = sorted(c.state for c in snap.calls)
    assert states == ["cancelled"] * 2 + ["rejected"] * 4 + ["timed_out"]


def test_b2bua_leg_to_a_silent_vendor_ends_when_the_switch_tries_the_next_route() -> None:
    snap = read("b2bua_calls")
    (failover,) = [c for c in snap.calls if any(leg.gateway == "VEND-4" for leg in c.legs)]
    silent = next(leg for leg in failover.legs if leg.gateway == "VEND-4")
    after = failover.legs[failover.legs.index(silent) + 1]
    assert silent.state == "timed_out" and silent.ended == after.start
    # the call completed on the next route: not a failed call, not longer for it
    assert failover.state == "completed" and not failover.problem
    assert failover.ended == max(leg.ended or 0.0 for leg in (failover.legs[0], after))
    assert not active(snap)
    vend4 = {g.name: g for g in snap.gateways}["VEND-4"]
    assert vend4.active == 0 and dict(vend4.codes) == {0: 1}


def test_demo_capture_leaves_no_call_active() -> None:
    """demo.pcap: "the last call ends at 155 s: no call is up when the file ends"."""
    snap = read("demo")
    assert not active(snap)
    assert all(g.active == 0 for g in snap.gateways)
