"""The follower's thread: it starts, keeps up, can be read from another thread, stops."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from logs_support import wait_started

from vostui.config import Config
from vostui.host.logs import LogFollower


def test_logs_follower_stops_promptly_even_with_a_long_interval(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("x\n")
    follower = LogFollower([str(log)], interval=3600)
    follower.start()
    wait_started(follower)
    assert follower.running
    follower.stop(timeout=5)
    assert not follower.running


def test_logs_follower_stops_in_the_middle_of_a_flood(tmp_path: Path) -> None:
    log = tmp_path / "flood.log"
    log.touch()
    follower = LogFollower([str(log)], interval=0.01, capacity=1000)
    with follower:
        wait_started(follower)
        with open(log, "a", encoding="utf-8") as handle:
            handle.writelines(f"flood {n}\n" for n in range(100_000))
        while follower.snapshot().total == 0:
            time.sleep(0.01)
    # Stopped before it read everything (or just after): either way it stopped.
    assert not follower.running
    snapshot = follower.snapshot()
    assert snapshot.total == snapshot.dropped + len(snapshot.lines)
    assert len(snapshot.lines) <= 1000


def test_logs_snapshots_read_from_another_thread_while_lines_arrive(tmp_path: Path) -> None:
    log = tmp_path / "busy.log"
    log.touch()
    errors: list[BaseException] = []
    follower = LogFollower([str(log)], interval=0.002, capacity=5000)
    stop = threading.Event()

    def reader() -> None:
        # What the UI does on its timer: pull, look at everything.
        last = -1
        try:
            while not stop.is_set():
                snapshot = follower.snapshot()
                assert snapshot.version >= last
                last = snapshot.version
                seqs = [line.seq for line in snapshot.lines]
                assert seqs == sorted(seqs)
                assert sum(count for _, count in snapshot.levels) == len(snapshot.lines)
                snapshot.since(seqs[len(seqs) // 2] if seqs else 0)
        except BaseException as exc:
            errors.append(exc)

    with follower:
        ui = threading.Thread(target=reader)
        ui.start()
        with open(log, "a", encoding="utf-8") as handle:
            for n in range(20_000):
                handle.write(f"2026-11-26 17:45:01 {'ERROR' if n % 7 == 0 else 'INFO'} {n}\n")
                if n % 500 == 0:
                    handle.flush()
                    time.sleep(0.002)
        deadline = time.monotonic() + 15
        while follower.snapshot().total < 20_000 and time.monotonic() < deadline:
            time.sleep(0.01)
        stop.set()
        ui.join(10)
    assert not errors, errors[0]
    snapshot = follower.snapshot()
    assert snapshot.total == 20_000
    assert snapshot.dropped == 15_000


def test_logs_follower_from_config_follows_the_configured_paths(tmp_path: Path) -> None:
    log = tmp_path / "mbx3000.log"
    log.write_text("2026-11-26 17:45:01 [INFO] started\n")
    config = Config(log_files=(str(tmp_path / "*.log"), str(tmp_path / "secure")))
    follower = LogFollower.from_config(config, journal=False)
    follower.poll_once()
    snapshot = follower.snapshot()
    assert {(f.path, f.state) for f in snapshot.files} == {
        (str(log), "following"),
        (str(tmp_path / "secure"), "missing"),
    }
    assert snapshot.lines[0].text.endswith("started")


def test_logs_package_is_headless() -> None:
    """The log pane's data layer runs in the CLI and in benchmarks: no UI library."""
    code = (
        "import sys, vostui.host.logs; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    assert done.stdout.strip() == "[]"
