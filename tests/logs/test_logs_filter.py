"""Filter, search, export, merged view, and the lines of one call."""

from __future__ import annotations

from pathlib import Path

import pytest

from vostui.host.logs import (
    LineParser,
    LogFilter,
    LogFollower,
    LogLine,
    LogSearch,
    export,
    levels_at_least,
    lines_for,
)

NOW = 1795715101.0
VOS = "/home/vos3000/log/mbx3000.log"
SECURE = "/var/log/secure"
RAW = [
    (VOS, "2026-11-26 17:45:01.100 [INFO] INVITE Call-ID: abc-1@192.0.2.10 caller=0044123456789"),
    (VOS, "2026-11-26 17:45:01.200 [ERROR] no route callee=sip:88012345678@203.0.113.5"),
    (
        SECURE,
        "Nov 26 17:45:00 host sshd[7]: Failed password for root from 198.51.100.7 port 2 ssh2",
    ),
    (VOS, "2026-11-26 17:45:02.000 [WARN] Call-ID: xyz-9@10.1.2.3 ringing timeout"),
    (SECURE, "Nov 26 17:44:59 host sshd[8]: Accepted publickey for ops from 10.1.2.3 port 5 ssh2"),
    (VOS, "2026-11-26 17:45:03 DEBUG billing 4412345678 done"),
]


@pytest.fixture
def lines() -> list[LogLine]:
    parser = LineParser()
    return [parser.parse(text.encode(), file, n + 1, NOW) for n, (file, text) in enumerate(RAW)]


def seqs(found) -> list[int]:
    return [line.seq for line in found]


def test_logs_filter_by_each_field(lines: list[LogLine]) -> None:
    assert seqs(LogFilter().apply(lines)) == [1, 2, 3, 4, 5, 6]
    assert not LogFilter().active
    assert seqs(LogFilter(levels=levels_at_least("warning")).apply(lines)) == [2, 3, 4]
    assert seqs(LogFilter(levels=frozenset({"debug"})).apply(lines)) == [6]
    assert seqs(LogFilter(files=frozenset({SECURE})).apply(lines)) == [3, 5]
    assert seqs(LogFilter(regex=r"no route|timeout").apply(lines)) == [2, 4]
    assert seqs(LogFilter(regex="INVITE", ignore_case=False).apply(lines)) == [1]
    assert seqs(LogFilter(regex="invite", ignore_case=False).apply(lines)) == []
    assert seqs(LogFilter(ip="10.1.2.3").apply(lines)) == [4, 5]
    assert seqs(LogFilter(ip="10.0.0.0/8").apply(lines)) == [4, 5]
    assert seqs(LogFilter(ip="203.0.113.0/24").apply(lines)) == [2]
    assert seqs(LogFilter(call_id="abc-1").apply(lines)) == [1]
    assert seqs(LogFilter(number="+44123456789").apply(lines)) == [1]
    assert seqs(LogFilter(number="12345678").apply(lines)) == [2, 6]
    combined = LogFilter(
        levels=frozenset({"error", "warning"}), files=frozenset({VOS}), regex="Call-ID"
    )
    assert seqs(combined.apply(lines)) == [4]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"regex": "(unclosed"}, "bad regular expression"),
        ({"ip": "10.0.0.999"}, "not an IP"),
        ({"number": "12ab"}, "not a phone number"),
        ({"levels": frozenset({"loud"})}, "unknown level"),
    ],
)
def test_logs_bad_filter_says_why(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LogFilter(**options)


def test_logs_search_next_previous_and_highlight(lines: list[LogLine]) -> None:
    search = LogSearch("call-id")
    indexes = search.indexes(lines)
    assert indexes == [0, 3]
    assert search.next_index(indexes, 0) == 3
    assert search.next_index(indexes, 3) == 0  # wraps
    assert search.next_index(indexes, 3, wrap=False) is None
    assert search.previous_index(indexes, 3) == 0
    assert search.previous_index(indexes, 0) == 3
    text = lines[0].text
    (span,) = search.spans(text)
    assert text[span[0] : span[1]] == "Call-ID"
    # Plain text by default: regex characters are literal.
    assert LogSearch("[ERROR]").indexes(lines) == [1]
    assert LogSearch(r"\d{10}", regex=True).indexes(lines) == [0, 1, 5]
    assert LogSearch("").indexes(lines) == []
    assert LogSearch("x*", regex=True).spans("abc") == []  # empty matches are not highlights
    with pytest.raises(ValueError, match="bad regular expression"):
        LogSearch("(", regex=True)


def test_logs_lines_for_a_call(lines: list[LogLine]) -> None:
    assert seqs(lines_for(lines, call_ids=["abc-1@192.0.2.10"])) == [1]
    assert seqs(lines_for(lines, numbers=["44123456789"])) == [1]
    assert seqs(lines_for(lines, numbers=["88012345678"], ips=["198.51.100.7"])) == [2, 3]
    assert seqs(lines_for(lines, ips=["10.1.2.3"])) == [4, 5]
    assert lines_for(lines) == ()
    assert lines_for(lines, ips=["not an ip"]) == ()


def test_logs_export_writes_the_filtered_lines(tmp_path: Path, lines: list[LogLine]) -> None:
    target = tmp_path / "export.txt"
    chosen = LogFilter(files=frozenset({SECURE})).apply(lines)
    assert export(chosen, str(target)) == 2
    assert target.read_text(encoding="utf-8").splitlines() == [
        f"{SECURE}: {lines[2].text}",
        f"{SECURE}: {lines[4].text}",
    ]
    with pytest.raises(FileExistsError):
        export(chosen, str(target))
    assert export(chosen[:1], str(target), overwrite=True, include_file=False) == 1
    assert target.read_text(encoding="utf-8") == lines[2].text + "\n"
    assert [p.name for p in tmp_path.iterdir()] == ["export.txt"]  # no temporary left


def test_logs_export_of_hostile_text_stays_escaped(tmp_path: Path) -> None:
    line = LineParser().parse(b"bad \x1b[2J\x00", "f", 1, NOW)
    target = tmp_path / "out.txt"
    export([line], str(target), include_file=False)
    assert target.read_bytes() == b"bad \\x1b[2J\\x00\n"


def test_logs_merged_view_orders_by_time_and_one_file_at_a_time(tmp_path: Path) -> None:
    a = tmp_path / "a.log"
    b = tmp_path / "b.log"
    a.write_text("2026-11-26 10:00:03 a3\n2026-11-26 10:00:05 a5\n")
    b.write_text("2026-11-26 10:00:01 b1\n2026-11-26 10:00:04 b4\nno stamp b\n")
    follower = LogFollower([str(a), str(b)])
    follower.poll_once()
    snapshot = follower.snapshot()
    arrival = [line.text[-2:] for line in snapshot.lines]
    assert arrival == ["a3", "a5", "b1", "b4", " b"]
    merged = [line.text[-2:] for line in snapshot.by_time()]
    assert merged[:4] == ["b1", "a3", "b4", "a5"]
    assert [line.text[-2:] for line in snapshot.of_file(str(b))] == ["b1", "b4", " b"]
    assert snapshot.window(1, 2) == snapshot.lines[1:3]
    assert snapshot.level_count("info") == 5


def test_logs_snapshot_is_reused_until_something_changes(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("one\n")
    now = [1000.0]
    follower = LogFollower([str(log)], clock=lambda: now[0])
    follower.poll_once()
    first = follower.snapshot()
    now[0] += 1.0
    follower.poll_once()
    assert follower.snapshot() is first
    with open(log, "a") as handle:
        handle.writelines(f"line {n}\n" for n in range(10))
    now[0] += 1.0
    follower.poll_once()
    newer = follower.snapshot()
    assert newer.version > first.version
    assert newer.rate == 5.0  # 10 lines over the 2 s since the first poll
    assert [line.text for line in newer.lines][:2] == ["one", "line 0"]
    # Quiet for longer than the rate window: the rate falls to 0, a new snapshot says so.
    for _ in range(8):
        now[0] += 1.0
        follower.poll_once()
    quiet = follower.snapshot()
    assert quiet.rate == 0.0
    assert quiet.version > newer.version
    assert quiet.lines == newer.lines
