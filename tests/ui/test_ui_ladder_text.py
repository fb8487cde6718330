"""The text ladder (vostui/ladder.py) that tickets and the CLI use, and the column layout."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

from ui_fakes import GATEWAYS, make_call, message, record

from vostui.config import Config
from vostui.ladder import build_ladder, message_lines, namer, render_text
from vostui.ui.table import ColumnSpec, layout_columns

CONFIG = Config(gateways=GATEWAYS)


def test_a_b2bua_call_reads_left_to_right() -> None:
    call = make_call(3)
    ladder = build_ladder(call.legs, name_for=namer(CONFIG, ("10.0.0.2",)))
    assert [c.name for c in ladder.columns] == ["cust-net", "softswitch", "vendor-net"]
    text = render_text(ladder, title="Call a-3@cust")
    lines = text.splitlines()
    assert lines[0] == "Call a-3@cust"
    assert lines[1].startswith("first message 2023-11-14 22:13:26")
    header = next(n for n, line in enumerate(lines) if "cust-net" in line)
    assert "10.0.1.4:5060" in lines[header + 1]
    body = lines[header + 2 :]
    assert body[0].startswith("22:13:26.000") and "|--INVITE SDP---" in body[0] and ">|" in body[0]
    assert "|<-100 Trying" in body[1]
    # the B-leg's INVITE goes from the middle lifeline to the right one
    b_invite = body[2]
    assert b_invite.index("|--INVITE") > body[0].index("|--INVITE")
    assert sum(1 for line in body if "BYE" in line) == 2


def test_delta_time_and_one_leg() -> None:
    call = make_call(3)
    ladder = build_ladder(call.legs, only_leg=1)
    assert len(ladder.columns) == 2 and {a.leg for a in ladder.arrows} == {1}
    text = render_text(ladder, delta=True)
    stamps = [line.split()[0] for line in text.splitlines()[4:]]
    assert stamps[0] == "+0.000" and stamps[1] == "+0.010"


def test_wide_characters_keep_the_lifelines_straight() -> None:
    config = Config(gateways=(GATEWAYS[0], GATEWAYS[1].__class__("供应商", "10.0.2.0/24")))
    call = make_call(3)
    leg = call.legs[0]
    reply = message(method="INVITE", status=480, reason="暂时无法接通", call_id=leg.call_id)
    extra = record(call.start + 5, reply, "10.0.0.2", 5060, "10.0.1.4", 5060)
    legs = (replace(leg, messages=(*leg.messages, extra)), call.legs[1])
    ladder = build_ladder(legs, name_for=namer(config))
    text = render_text(ladder)
    widths = set()
    from rich.cells import cell_len  # only the test measures with rich

    for line in text.splitlines()[4:]:
        bars = [i for i, ch in enumerate(line) if ch == "|"]
        widths.add(tuple(cell_len(line[:i]) for i in bars))
    assert len({w for w in widths if len(w) == 3}) == 1  # every row has its bars at the same cells
    assert "暂时无法接通" in text and "供应商" in text


def test_hostile_labels_are_escaped() -> None:
    call = make_call(1)
    leg = call.legs[0]
    evil = message(method="INVITE", status=499, reason="\x1b[2J[b]x[/b]", call_id=leg.call_id)
    extra = record(call.start + 5, evil, "10.0.0.2", 5060, "10.0.1.2", 5060)
    ladder = build_ladder([replace(leg, messages=(extra,))])
    text = render_text(ladder, with_messages=True)
    assert "\x1b" not in text and "\\x1b[2J[b]x[/b]" in text


def test_message_lines_escape_controls_and_cap() -> None:
    lines = message_lines(
        b"INVITE x SIP/2.0\r\nX-A: \x00\x1b\x7f\xff\r\nX-B: " + b"B" * 5000 + b"\r\n\r\n"
    )
    assert lines[1] == "X-A: \\x00\\x1b\\x7f\ufffd"
    assert lines[2].endswith("… (+3005 characters)") and len(lines[2]) < 2100


def test_columns_fit_the_width_dropping_the_least_important() -> None:
    columns = [
        ColumnSpec("a", "A", 10, 5),
        ColumnSpec("b", "B", 10, 5, priority=2),
        ColumnSpec("c", "C", 10, 5, priority=1, flex=True),
    ]
    assert [(c.key, w) for c, w in layout_columns(columns, 40)] == [("a", 10), ("b", 10), ("c", 18)]
    assert [(c.key, w) for c, w in layout_columns(columns, 17)] == [("a", 5), ("b", 5), ("c", 5)]
    assert [c.key for c, _w in layout_columns(columns, 12)] == ["a", "c"]
    assert [c.key for c, _w in layout_columns(columns, 3)] == ["a"]


def test_the_ladder_module_loads_without_textual_or_rich() -> None:
    code = (
        "import sys, vostui.ladder; assert not {'textual','rich'} & set(sys.modules), sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_columns_sized_by_content_cut_nothing_that_fits() -> None:
    """80 columns of the calls list: 4-digit callers give their cells to 13-digit callees,
    and an optional column shows only after the columns always shown are whole."""
    from vostui.ui.calls_pane import CALL_COLUMNS

    content = {
        "start": 8, "duration": 4, "caller": 4, "callee": 13, "mapping": 6, "routing": 8,
        "state": 10, "pdd": 3, "code": 3, "legs": 4, "why": 12,
    }  # fmt: skip
    laid = dict(
        (c.key, w)
        for c, w in layout_columns(CALL_COLUMNS, 78, [content[c.key] for c in CALL_COLUMNS])
    )
    assert laid["callee"] >= 13 and laid["caller"] == len("Caller")
    assert laid["routing"] >= 8 and laid["why"] >= 12  # whole, where they fit
    assert "pdd" not in laid  # the least important gave way
    # too narrow for even the columns always shown: the old way, by minimum widths
    assert layout_columns(CALL_COLUMNS, 40, [content[c.key] for c in CALL_COLUMNS])
