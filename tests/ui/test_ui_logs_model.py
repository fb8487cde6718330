"""LogModel: what it keeps incrementally equals filtering and sorting the whole buffer."""

from __future__ import annotations

import random

import pytest

from vostui.host.logs import LogFilter, LogLine, LogSnapshot
from vostui.ui.logs_pane import LogModel, arrival_key, time_key

FILES = ("/var/log/a.log", "/var/log/b.log", "/var/log/secure")


def snapshot(version: int, lines: list[LogLine], dropped: int) -> LogSnapshot:
    return LogSnapshot(
        version=version,
        files=(),
        lines=tuple(lines),
        total=len(lines) + dropped,
        dropped=dropped,
        capacity=500,
        levels=(),
        level_totals=(),
        anomalies=(),
        samples=(),
        rate=0.0,
    )


def expected(model: LogModel, buffer: list[LogLine]) -> list[LogLine]:
    chosen = [line for line in buffer if model.file is None or line.file == model.file]
    chosen = list(model.filter.apply(chosen))
    chosen = [line for line in chosen if all(w in line.text.lower() for w in model.words)]
    return sorted(chosen, key=time_key if model.by_time else arrival_key)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    ("by_time", "file", "log_filter", "words"),
    [
        (True, None, LogFilter(), ()),
        (False, None, LogFilter(), ()),
        (True, None, LogFilter(levels=frozenset({"error", "warning"})), ()),
        (False, FILES[1], LogFilter(), ("gateway",)),
        (True, None, LogFilter(regex=r"call\d+"), ()),
    ],
)
def test_incremental_equals_whole_buffer(
    seed: int, by_time: bool, file: str | None, log_filter: LogFilter, words: tuple[str, ...]
) -> None:
    rng = random.Random(seed)
    model = LogModel(by_time=by_time)
    model.file, model.filter, model.words = file, log_filter, words
    buffer: list[LogLine] = []
    dropped = 0
    seq = 0
    clock = 1000.0
    for version in range(1, 40):
        # batches of every size: a quiet second, a burst past the big-batch path
        for _ in range(rng.choice((0, 1, 5, 40, 300, 700))):
            seq += 1
            clock += rng.random() * 0.01
            # files written a little out of step: some lines stamped before earlier ones
            ts = clock - (rng.random() * 0.5 if rng.random() < 0.2 else 0.0)
            level = rng.choice(("error", "warning", "info", "info", "debug"))
            text = f"{level} call{seq % 13} " + rng.choice(("gateway up", "gateway down", "x"))
            buffer.append(LogLine(seq, rng.choice(FILES), ts, level, text))
        if len(buffer) > 500:
            dropped += len(buffer) - 500
            buffer = buffer[-500:]
        model.update(snapshot(version, buffer, dropped))
        assert model.lines == expected(model, buffer), f"version {version}"
    # an unchanged snapshot is recognised and costs nothing
    assert model.update(snapshot(39, buffer, dropped)) is None


def test_position_finds_a_line_or_the_one_after() -> None:
    model = LogModel(by_time=True)
    lines = [LogLine(n, FILES[0], 100.0 + n, "info", f"line {n}") for n in range(1, 11)]
    model.update(snapshot(1, lines, 0))
    assert model.position(lines[3]) == 3
    gone = LogLine(99, FILES[0], 104.5, "info", "not kept")
    assert model.position(gone) is None and model.nearest(gone) == 4  # the 105.0 line


@pytest.mark.parametrize(
    ("text", "regex", "words", "levels", "described"),
    [
        ("text~vendor-[12]", "vendor-[12]", (), frozenset(), "text~vendor-[12]"),
        ("re:vendor", "vendor", (), frozenset(), "text~vendor"),  # the older form reads
        ("text=user=root", "", ("user=root",), frozenset(), "text=user=root"),
        ("level>=warning sip:1001@x", "", ("sip:1001@x",), {"error", "warning"}, ""),
        ("level=error,info 10:22:33", "", ("10:22:33",), {"error", "info"}, ""),
    ],
)
def test_the_log_filter_takes_the_term_syntax_of_the_calls_filter(
    text: str, regex: str, words: tuple[str, ...], levels: set[str], described: str
) -> None:
    from vostui.ui.log_screen import parse_filter

    log_filter, got_words, got_described = parse_filter(text, FILES)
    assert log_filter.regex == regex
    assert got_words == words
    assert log_filter.levels == frozenset(levels)
    assert not described or got_described == described


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("user=root", "unknown field 'user'; known: callid, file, ip, level, number, text"),
        ("level<=info", "level takes level= or level>="),
        ("ip~10", "ip takes ip="),
        ("callid=", "callid= needs a value"),
        ("level=loud", "unknown level 'loud'"),
        ("file=nosuch", "no followed file matches 'nosuch'"),
    ],
)
def test_a_bad_log_filter_term_says_why(text: str, message: str) -> None:
    from vostui.ui.log_screen import parse_filter

    with pytest.raises(ValueError) as caught:
        parse_filter(text, FILES)
    assert message in str(caught.value)
