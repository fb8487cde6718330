"""The SIP ladder of a call: one column per host:port, one arrow per message.

Pure: no textual, no rich. The call screen draws `Ladder` with styles, and the CLI
and the call screen's "write ladder" export use `render_text` for tickets.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vostui.config import Config
from vostui.engine.snapshot import LegView, MessageRecord
from vostui.text import clean, clean_line

LABEL_LIMIT = 48
TIME_WIDTH = 13  # "12:00:01.123 " and "+12345.123 " both fit


@dataclass(frozen=True, slots=True)
class Column:
    address: str  # "ip:port"
    name: str  # gateway name, "softswitch", or "" when unknown


@dataclass(frozen=True, slots=True)
class Arrow:
    record: MessageRecord
    leg: int  # index of the leg in the call (0 = first leg)
    src: int  # column index
    dst: int
    label: str  # clean one-line label: "INVITE", "180 Ringing"
    sdp: bool
    retransmission: bool

    @property
    def status(self) -> int:
        return self.record.msg.status


@dataclass(frozen=True, slots=True)
class Ladder:
    columns: tuple[Column, ...]
    arrows: tuple[Arrow, ...]


@dataclass(frozen=True, slots=True)
class LadderLine:
    """One drawn arrow row; `label_start`/`label_end` locate the label for styling."""

    text: str
    label_start: int
    label_end: int


def namer(config: Config, softswitch: Sequence[str] = ()) -> Callable[[str], str]:
    """Name an IP from the config's gateways, or "softswitch" for the B2BUA's own IPs."""
    own = set(softswitch) | set(config.softswitch_ips)

    def name_for(ip: str) -> str:
        gateway = config.gateway_for(ip)
        if gateway is not None:
            return clean_line(gateway.name, 32)
        return "softswitch" if ip in own else ""

    return name_for


def arrow_label(record: MessageRecord) -> str:
    msg = record.msg
    label = msg.method if msg.is_request else f"{msg.status} {msg.reason}".strip()
    return clean_line(label, LABEL_LIMIT)


def build_ladder(
    legs: Sequence[LegView],
    *,
    name_for: Callable[[str], str] | None = None,
    only_leg: int | None = None,
) -> Ladder:
    """Merge the legs' messages in time order; `only_leg` keeps one leg's messages."""
    tagged: list[tuple[float, int, int, MessageRecord]] = []
    for leg_index, leg in enumerate(legs):
        if only_leg is not None and leg_index != only_leg:
            continue
        for record in leg.messages:
            tagged.append((record.ts, record.index, leg_index, record))
    tagged.sort(key=lambda item: (item[0], item[1]))

    positions: dict[str, int] = {}
    columns: list[Column] = []

    def column_of(ip: str, port: int) -> int:
        address = f"{ip}:{port}"
        found = positions.get(address)
        if found is None:
            found = positions[address] = len(columns)
            name = name_for(ip) if name_for is not None else ""
            columns.append(Column(clean_line(address, 64), name))
        return found

    arrows: list[Arrow] = []
    for _ts, _index, leg_index, record in tagged:
        src = column_of(record.src, record.sport)
        dst = column_of(record.dst, record.dport)
        arrows.append(
            Arrow(
                record=record,
                leg=leg_index,
                src=src,
                dst=dst,
                label=arrow_label(record),
                sdp=record.msg.sdp is not None,
                retransmission=record.retransmission,
            )
        )
    return Ladder(tuple(columns), tuple(arrows))


def time_label(ladder: Ladder, index: int, *, delta: bool) -> str:
    """Absolute local time of day, or the time since the previous message."""
    ts = ladder.arrows[index].record.ts
    if delta:
        previous = ladder.arrows[index - 1].record.ts if index > 0 else ts
        return f"+{max(0.0, ts - previous):.3f}"
    return clock_ms(ts)


def clock_ms(ts: float) -> str:
    """Local time of day with milliseconds: 22:13:20.125."""
    whole = int(ts)
    ms = round((ts - whole) * 1000)
    if ms >= 1000:  # 0.9996 rounds up into the next second
        whole, ms = whole + 1, 0
    return time.strftime("%H:%M:%S", time.localtime(whole)) + f".{ms:03d}"


def _cells(text: str, limit: int) -> list[str]:
    """Text as terminal cells, at most `limit`: a wide character takes two (the second "")."""
    out: list[str] = []
    for char in text:
        wide = unicodedata.east_asian_width(char) in ("W", "F")
        if unicodedata.combining(char):
            continue  # would draw over its neighbour and shift nothing; drop it
        if len(out) + (2 if wide else 1) > limit:
            break
        out.extend((char, "") if wide else (char,))
    return out


def _put(cells: list[str], start: int, text: str, limit: int) -> int:
    """Write text into the cell row from `start`; returns how many cells it took."""
    chars = _cells(text, min(limit, len(cells) - start))
    cells[start : start + len(chars)] = chars
    return len(chars)


def _center(column: int, col_width: int) -> int:
    return TIME_WIDTH + column * col_width + col_width // 2


def line_width(ladder: Ladder, col_width: int) -> int:
    return TIME_WIDTH + max(1, len(ladder.columns)) * col_width


def header_lines(ladder: Ladder, col_width: int) -> list[str]:
    """Two lines: the column names, then their addresses, centred on the lifelines."""
    width = line_width(ladder, col_width)
    names = [" "] * width
    addresses = [" "] * width
    for index, column in enumerate(ladder.columns):
        center = _center(index, col_width)
        for row, text in ((names, column.name), (addresses, column.address)):
            size = len(_cells(text, col_width - 1))
            _put(row, max(0, center - size // 2), text, col_width - 1)
    return ["".join(names).rstrip(), "".join(addresses).rstrip()]


def arrow_line(ladder: Ladder, index: int, col_width: int, *, delta: bool) -> LadderLine:
    """Draw one arrow: `|---INVITE SDP--->|` between its lifelines, time on the left."""
    arrow = ladder.arrows[index]
    width = line_width(ladder, col_width)
    cells = [" "] * width
    _put(cells, 0, time_label(ladder, index, delta=delta), TIME_WIDTH - 1)
    for column in range(len(ladder.columns)):
        cells[_center(column, col_width)] = "|"
    label = arrow.label + (" SDP" if arrow.sdp else "") + (" retx" if arrow.retransmission else "")
    a, b = _center(arrow.src, col_width), _center(arrow.dst, col_width)
    if a == b:  # a message to itself: a stub to the right
        cells[a + 1 : a + 4] = list("-> ")
        used = _put(cells, a + 4, label, col_width - 5)
        return _line(cells, a + 4, a + 4 + used)
    left, right = min(a, b), max(a, b)
    for x in range(left + 1, right):
        cells[x] = "-"
    if b > a:
        cells[right - 1] = ">"
    else:
        cells[left + 1] = "<"
    start = left + 3
    used = _put(cells, start, label, max(0, right - left - 5))
    return _line(cells, start, start + used)


def _line(cells: list[str], start: int, end: int) -> LadderLine:
    """Join cells; label bounds become string offsets (wide characters use one cell slot "")."""
    return LadderLine(
        "".join(cells).rstrip(), len("".join(cells[:start])), len("".join(cells[:end]))
    )


def fit_column_width(ladder: Ladder, width: int | None = None) -> int:
    """A column width that fits the labels, or that fills `width` when given."""
    longest = max((len(_cells(a.label, LABEL_LIMIT * 2)) + 14 for a in ladder.arrows), default=16)
    natural = max(16, min(34, longest))
    if width is None:
        return natural
    columns = max(1, len(ladder.columns))
    return max(14, min(natural, (width - TIME_WIDTH) // columns))


def render_text(
    ladder: Ladder,
    *,
    delta: bool = False,
    title: str = "",
    with_messages: bool = False,
    col_width: int | None = None,
) -> str:
    """The ladder as plain text for a ticket; optionally followed by every message."""
    width = col_width or fit_column_width(ladder)
    out: list[str] = []
    if title:
        out.append(clean_line(title, 400))
    if ladder.arrows:
        first = ladder.arrows[0].record.ts
        out.append(time.strftime("first message %Y-%m-%d %H:%M:%S %z", time.localtime(first)))
    out.append("")
    out.extend(header_lines(ladder, width))
    for index in range(len(ladder.arrows)):
        out.append(arrow_line(ladder, index, width, delta=delta).text)
    if with_messages:
        for index, arrow in enumerate(ladder.arrows):
            record = arrow.record
            out.append("")
            out.append(
                f"--- #{index + 1} {time_label(ladder, index, delta=False)} "
                f"{clean_line(record.src_addr)} -> {clean_line(record.dst_addr)} "
                f"{record.transport}{' (retransmission)' if record.retransmission else ''}"
            )
            out.extend(message_lines(record.msg.raw))
    return "\n".join(out) + "\n"


def _capped(line: str, limit: int) -> str:
    """Clean one line; a cut line says how much was left out."""
    if len(line) <= limit:
        return clean(line, limit)
    return clean(line[:limit], limit) + f"… (+{len(line) - limit} characters)"


def message_lines(raw: bytes, *, line_limit: int = 2000, max_lines: int = 400) -> list[str]:
    """A raw SIP message as clean display lines (CRLF split, control chars escaped)."""
    text = raw.decode("utf-8", "replace")
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    # split on LF first so a lone CR or any other control character shows as an escape
    out = [_capped(line, line_limit).replace("\t", "    ") for line in lines]
    if len(out) > max_lines:
        hidden = len(out) - max_lines
        out = [*out[:max_lines], f"... {hidden} more lines not shown"]
    return out
