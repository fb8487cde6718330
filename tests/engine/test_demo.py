"""The demo's log replay: lines written at the replay's pace, stamped with the present."""

from __future__ import annotations

import time
from pathlib import Path

from vostui.demo import DemoLogs, files, load_lines
from vostui.host.logs.timestamps import parse_timestamp


class Round:
    """The pipeline's side of the replay: a shift that puts this round's start now."""

    def __init__(self, first: float, loop_round: int = 0) -> None:
        self.loop_round = loop_round
        self.offset = time.time() - first

    def shift(self, loop_round: int) -> float:
        return self.offset + (loop_round - self.loop_round) * 100.0


def test_shipped_demo_files_exist_and_logs_parse() -> None:
    pcap, config, logs = files()
    assert Path(pcap).stat().st_size > 100_000
    assert Path(config).is_file()
    lines = load_lines(logs)
    assert len(lines) > 100
    assert lines == sorted(lines, key=lambda line: line.ts)


def test_lines_are_written_when_their_time_comes_with_new_stamps(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "mbx.log").write_text(
        "[2026-01-01 10:00:00.000] [INFO ] call callid=abc@1.2.3.4 caller=1001\n"
        "[2026-01-01 10:00:01.000] [ERROR] route failed callid=abc@1.2.3.4\n"
    )
    (source / "messages").write_text("Jan  1 10:00:00 host kernel: SIP-RATE-LIMIT: SRC=1.2.3.4\n")
    first = parse_timestamp("2026-01-01 10:00:00.000", time.time())
    assert first is not None
    replay = Round(first, loop_round=1)
    logs = DemoLogs(replay, str(source))
    start = time.time()
    logs.start()
    try:
        mbx = Path(logs.directory) / "mbx.log"
        deadline = time.time() + 10
        while mbx.read_text().count("\n") < 2 and time.time() < deadline:
            time.sleep(0.05)
        written = mbx.read_text().splitlines()
    finally:
        logs.stop()
    assert len(written) == 2
    assert "callid=abc@1.2.3.4~1" in written[0]  # Call-IDs marked with the round
    stamps = [parse_timestamp(line, time.time()) for line in written]
    assert all(s is not None and start - 1 <= s <= time.time() + 1 for s in stamps)
    assert stamps[1] - stamps[0] >= 0.9  # the recorded pace
    assert not Path(logs.directory).exists()
