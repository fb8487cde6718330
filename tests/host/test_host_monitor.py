"""HostMonitor scheduling (no overlap, failures isolated, prompt stop) and `vostui host`."""

from __future__ import annotations

import argparse
import io
import json
import threading
import time

import pytest

from vostui.host.cli import add_parser, render_text, run_host
from vostui.host.conntrack import ConntrackSnapshot
from vostui.host.monitor import HostMonitor, HostSettings


class Slow:
    """Takes longer than its interval; records how many polls ran at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.running = 0
        self.most = 0
        self.calls = 0
        self.lock = threading.Lock()

    def poll(self) -> ConntrackSnapshot:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.calls += 1
        time.sleep(self.seconds)
        with self.lock:
            self.running -= 1
        return ConntrackSnapshot(at=time.time(), count=self.calls, max=100, use=self.calls / 100)


class Broken:
    def __init__(self) -> None:
        self.calls = 0

    def poll(self) -> object:
        self.calls += 1
        raise RuntimeError("collector bug")


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def poll(self) -> ConntrackSnapshot:
        self.calls += 1
        return ConntrackSnapshot(at=time.time(), count=self.calls, max=10, use=self.calls / 10)


def wait_for(condition, limit: float = 10.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_collector_never_overlaps_itself() -> None:
    slow = Slow(0.15)
    monitor = HostMonitor(HostSettings(interval=0.05), collectors={"conntrack": slow})
    with monitor:
        assert wait_for(lambda: slow.calls >= 3)
        # A synchronous poll while the thread polls is refused, not run alongside.
        monitor.poll_all(timeout=1.0)
    assert slow.most == 1


def test_failing_and_slow_collectors_do_not_stall_others() -> None:
    broken, quick, slow = Broken(), Counting(), Slow(2.0)
    monitor = HostMonitor(
        HostSettings(interval=0.05),
        collectors={"firewall": slow, "recent": broken, "conntrack": quick},
    )
    with monitor:
        assert wait_for(lambda: quick.calls >= 5 and broken.calls >= 2)
        snap = monitor.snapshot()
    status = {s.name: s for s in snap.collectors}
    assert status["recent"].errors >= 2 and "collector bug" in status["recent"].last_error
    assert status["conntrack"].polls >= 5 and status["conntrack"].errors == 0
    assert snap.conntrack is not None and snap.conntrack.count is not None
    assert len(snap.conntrack_use_history) >= 5  # history for the sparkline
    assert snap.recent is None  # a raising collector leaves no snapshot


def test_stop_is_prompt() -> None:
    monitor = HostMonitor(HostSettings(interval=30.0), collectors={"conntrack": Counting()})
    monitor.start()
    time.sleep(0.1)
    started = time.monotonic()
    monitor.stop()
    assert time.monotonic() - started < 2.0  # a bound on shutdown, not a speed claim


def test_history_is_bounded() -> None:
    counting = Counting()
    monitor = HostMonitor(HostSettings(history=4), collectors={"conntrack": counting})
    for _ in range(10):
        monitor.poll("conntrack")
    snap = monitor.snapshot()
    assert len(snap.conntrack_count_history) == 4
    assert snap.conntrack_count_history[-1] == 10
    assert snap.version == 10


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="vostui")
    add_parser(parser.add_subparsers())
    return parser.parse_args(["host", *argv])


def test_cli_json_once() -> None:
    out = io.StringIO()
    args = parse(["--json", "--interval", "0.2", "--only", "udp,system,conntrack"])
    assert run_host(args, out) == 0
    data = json.loads(out.getvalue())
    assert data["schema"] == "vostui.host/1"
    assert data["firewall"] is None and data["udp"] is not None
    # Rates come from two readings: the second one has them.
    assert data["system"]["cpu_percent"]
    names = {c["name"] for c in data["collectors"]}
    assert names == {"udp", "system", "conntrack"}


def test_cli_watch_json_lines_and_text() -> None:
    out = io.StringIO()
    args = parse(["--json", "--watch", "0.1", "--count", "2", "--only", "system"])
    assert run_host(args, out) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and all(json.loads(line)["schema"] for line in lines)
    monitor = HostMonitor(HostSettings(), only=["system", "udp"])
    monitor.poll_all()
    text = render_text(monitor.poll_all())
    assert "SYSTEM" in text and "UDP" in text and "FIREWALL" not in text


@pytest.mark.parametrize("argv", [["--only", "nonsense"], ["--watch", "0"]])
def test_cli_rejects_bad_arguments(argv: list[str]) -> None:
    assert run_host(parse(argv), io.StringIO()) == 2


def test_stop_closes_what_a_collector_keeps_open() -> None:
    class Holding(Counting):
        closed = 0

        def close(self) -> None:
            self.closed += 1

    holding = Holding()
    monitor = HostMonitor(HostSettings(interval=0.05), collectors={"firewall": holding})
    with monitor:
        assert wait_for(lambda: holding.calls >= 1)
    assert holding.closed == 1
