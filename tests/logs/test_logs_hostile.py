"""Hostile log content, written to a real file and followed: what the data layer yields.

Never raw ESC, NUL or C1 in a line's text; invalid UTF-8 replaced; over-long lines cut
and marked with the exact number of bytes cut; repairs counted by reason with a sample;
bursts fill a bounded buffer and what scrolled out is counted.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vostui.host.logs import MAX_LINE_BYTES, LogFollower, decode_line

RAW_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

HOSTILE = [
    b"User-Agent: \x1b[2J\x1b[31mfriendly-scanner\x1b[0m",  # clear screen, colours
    b"title \x1b]0;owned\x07 set",  # OSC: set the terminal title
    b"8-bit CSI \x9b31m raw byte and \xc2\x9b31m encoded",
    b"nul\x00in\x00the\x00middle",
    b"\x00\x00\x00\x00",
    b"invalid utf-8 \xff\xfe\xc3\x28 \xed\xa0\x80 end",
    b"tab\tand bell\x07 and backspace\x08 and DEL\x7f",
    b"windows line ending\r",
    b"carriage\rreturn inside",
    "unicode is fine: Zürich – 東京 – ☎".encode(),
    b"[/bold][@click=app.quit]markup stays text[/]",
]


def follow(path: Path, **options) -> LogFollower:
    follower = LogFollower([str(path)], tail_lines=0, **options)
    follower.poll_once()
    return follower


def test_logs_hostile_lines_come_out_clean(tmp_path: Path) -> None:
    log = tmp_path / "hostile.log"
    log.touch()
    follower = follow(log)
    log.write_bytes(b"\n".join(HOSTILE) + b"\n")
    follower.poll_once()
    snapshot = follower.snapshot()
    texts = [line.text for line in snapshot.lines]
    assert len(texts) == len(HOSTILE)
    for text in texts:
        assert RAW_CONTROL.search(text) is None, repr(text)
    assert texts[0] == "User-Agent: \\x1b[2J\\x1b[31mfriendly-scanner\\x1b[0m"
    assert texts[1] == "title \\x1b]0;owned\\x07 set"
    assert "\\x9b31m encoded" in texts[2]
    assert texts[3] == "nul\\x00in\\x00the\\x00middle"
    assert texts[4] == "\\x00" * 4
    assert texts[5].startswith("invalid utf-8 \ufffd")
    assert texts[6] == "tab\\tand bell\\x07 and backspace\\x08 and DEL\\x7f"
    assert texts[7] == "windows line ending"
    assert texts[8] == "carriage\\x0dreturn inside"
    assert texts[9] == "unicode is fine: Zürich – 東京 – ☎"
    assert texts[10] == "[/bold][@click=app.quit]markup stays text[/]"
    anomalies = dict(snapshot.anomalies)
    assert anomalies["invalid_utf8"] == 2  # the raw 0x9b line and the invalid one
    assert anomalies["control_chars"] == 7
    samples = dict(snapshot.samples)
    assert RAW_CONTROL.search(samples["control_chars"]) is None
    assert samples["invalid_utf8"].startswith("8-bit CSI")


def test_logs_one_megabyte_line_is_capped_and_marked(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    log.touch()
    follower = follow(log)
    megabyte = 1024 * 1024
    with open(log, "ab") as handle:
        # Written in pieces across polls: the reader must hold at most the cap.
        for piece in range(4):
            handle.write(bytes([ord("a") + piece]) * (megabyte // 4))
            handle.flush()
            follower.poll_once()
        handle.write(b"\nafter\n")
    follower.poll_once()
    big, after = follower.snapshot().lines
    assert big.cut == megabyte - MAX_LINE_BYTES
    assert big.text == "a" * MAX_LINE_BYTES + f"…[cut {megabyte - MAX_LINE_BYTES} bytes]"
    assert after.text == "after"
    assert dict(follower.snapshot().anomalies)["cut"] == 1
    tail = follower._sources[str(log)]
    assert len(tail._current.partial) == 0


def test_logs_cut_inside_a_multibyte_character_is_not_invalid_utf8() -> None:
    raw = "é".encode() * 3000  # 6000 bytes; the cap falls inside a character or not
    text, cut, reasons = decode_line(raw, max_bytes=4095)
    assert "\ufffd" not in text
    assert text.startswith("é" * 2047)
    assert cut == 6000 - 4095
    assert reasons == ["cut"]


def test_logs_binary_file_does_not_break_the_reader(tmp_path: Path) -> None:
    log = tmp_path / "binary.log"
    log.touch()
    follower = follow(log)
    log.write_bytes(bytes(range(256)) * 64 + b"\n" + b"\x00" * 100_000 + b"\nend\n")
    follower.poll_once()
    lines = follower.snapshot().lines
    assert lines[-1].text == "end"
    for line in lines:
        assert RAW_CONTROL.search(line.text) is None
        assert len(line.text) <= 4 * MAX_LINE_BYTES + 40  # escapes widen, the cap holds


def test_logs_burst_fills_a_bounded_buffer_and_counts_what_scrolled_out(tmp_path: Path) -> None:
    log = tmp_path / "burst.log"
    log.touch()
    follower = follow(log, capacity=1000)
    with open(log, "a", encoding="utf-8") as handle:
        for n in range(10_000):
            level = "ERROR" if n % 10 == 0 else "INFO"
            handle.write(f"2026-11-26 17:45:01 {level} burst {n}\n")
    while follower.poll_once():
        pass
    snapshot = follower.snapshot()
    assert snapshot.total == 10_000
    assert snapshot.dropped == 9_000
    assert len(snapshot.lines) == 1000
    assert snapshot.lines[0].text.endswith("burst 9000")
    assert snapshot.lines[-1].text.endswith("burst 9999")
    assert dict(snapshot.levels) == {"error": 100, "warning": 0, "info": 900, "debug": 0}
    assert dict(snapshot.level_totals)["error"] == 1000
    assert [line.seq for line in snapshot.since(snapshot.lines[-3].seq)] == [9999, 10000]


@pytest.mark.parametrize("size", [1, 7, 4096, 65536])
def test_logs_lines_split_across_reads_join_again(tmp_path: Path, size: int) -> None:
    log = tmp_path / "pieces.log"
    log.touch()
    follower = follow(log)
    data = "".join(f"line {n} {'x' * (n % 50)}\n" for n in range(300)).encode()
    with open(log, "ab") as handle:
        for start in range(0, len(data), size):
            handle.write(data[start : start + size])
            handle.flush()
            if start // size % 97 == 0:
                follower.poll_once()
    follower.poll_once()
    assert [line.text for line in follower.snapshot().lines] == data.decode().splitlines()
