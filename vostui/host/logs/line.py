"""One log line as the console shows it: clean text, time, level, and what it names.

Bytes from a log file are hostile (a scanner's User-Agent lands in the softswitch log as
it was sent): invalid UTF-8 is replaced, control characters (NUL, ESC, C1) become
visible escapes through `vostui.text.clean_line`, and a line longer than the cap is cut
and marked "…[cut N bytes]". What was repaired is counted by reason, with one sample.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from vostui.host.logs.identifiers import extract_call_ids, extract_ips, extract_numbers
from vostui.host.logs.levels import LevelPattern, LevelRules
from vostui.host.logs.timestamps import parse_timestamp
from vostui.text import clean_line

MAX_LINE_BYTES = 4096
SAMPLE_CHARS = 200

# Anomaly reasons, as counted in the snapshot.
INVALID_UTF8 = "invalid_utf8"
CONTROL_CHARS = "control_chars"
CUT = "cut"

_CONTROL_BYTES = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]")
_CONTROL_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line of one followed file (or of the journal)."""

    seq: int  # arrival order across all files, from 1
    file: str  # the followed path ("journal" for journalctl)
    ts: float  # epoch seconds: the line's own stamp, else when it was read
    level: str  # one of levels.LEVELS
    text: str  # cleaned, one line, capped; safe as plain text, never as markup
    call_ids: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    ts_from_line: bool = True  # False: `ts` is the arrival time
    cut: int = 0  # bytes cut off the end of an over-long line


def _decode_cut(raw: bytes) -> str:
    # A cut can split a multi-byte character: that is ours, not the writer's, fault.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.start >= len(raw) - 3:
            return raw[: exc.start].decode("utf-8", "replace")
        raise


def decode_line(
    raw: bytes, cut: int = 0, max_bytes: int = MAX_LINE_BYTES
) -> tuple[str, int, list[str]]:
    """Raw bytes of one line (no newline) to (clean text, bytes cut, anomaly reasons)."""
    reasons: list[str] = []
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    if len(raw) > max_bytes:
        cut += len(raw) - max_bytes
        raw = raw[:max_bytes]
    if raw.isascii() and _CONTROL_BYTES.search(raw) is None:
        text = raw.decode("ascii")
    else:
        try:
            text = _decode_cut(raw) if cut else raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("utf-8", "replace")
            reasons.append(INVALID_UTF8)
        if _CONTROL_TEXT.search(text):
            reasons.append(CONTROL_CHARS)
        text = clean_line(text, limit=max(len(text), 1))
    if cut:
        text += f"…[cut {cut} bytes]"
        reasons.append(CUT)
    return text, cut, reasons


class LineParser:
    """Turns raw lines into `LogLine`s; counts what it had to repair."""

    def __init__(
        self,
        max_line_bytes: int = MAX_LINE_BYTES,
        level_patterns: Sequence[LevelPattern | tuple[str, str, str]] = (),
    ) -> None:
        self.max_line_bytes = max_line_bytes
        self.levels = LevelRules(level_patterns)
        self.anomalies: Counter[str] = Counter()
        self.samples: dict[str, str] = {}

    def parse(self, raw: bytes, file: str, seq: int, arrival: float, cut: int = 0) -> LogLine:
        text, cut, reasons = decode_line(raw, cut, self.max_line_bytes)
        if reasons:
            for reason in reasons:
                self.anomalies[reason] += 1
                if reason not in self.samples:
                    self.samples[reason] = text[:SAMPLE_CHARS]
        ts = parse_timestamp(text, arrival)
        return LogLine(
            seq=seq,
            file=file,
            ts=arrival if ts is None else ts,
            level=self.levels.level(file, text),
            text=text,
            call_ids=extract_call_ids(text) if "all" in text or "ALL" in text else (),
            ips=extract_ips(text),
            numbers=extract_numbers(text),
            ts_from_line=ts is not None,
            cut=cut,
        )
