"""Compare what vostui extracts from each SIP message with what tshark extracts.

For every frame that tshark dissects as SIP, the Call-ID, method or status code, CSeq
number, From and To tags and the top Via branch must be equal to what vostui's packet
layer and SIP parser give for the messages completed in that frame. SIP quoted inside
ICMP errors (port unreachable) is left out: tshark dissects the quote, but it is not a
message on the wire.
Run as a script for a per-file agreement table: `python tests/differential.py FILES`.
"""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from vostui.net.capture import open_frames
from vostui.net.decoder import Decoder
from vostui.sip.message import SipParseError
from vostui.sip.parser import parse_message

FIELDS = (
    "frame.number",
    "sip.Call-ID",
    "sip.Method",
    "sip.Status-Code",
    "sip.CSeq.seq",
    "sip.from.tag",
    "sip.to.tag",
    "sip.Via.branch",
)

Key = tuple[str, str, str, str, str, str]


@dataclass
class Agreement:
    path: str
    tshark: int = 0
    agree: int = 0
    differ: list[tuple[int, Key | None, Key]] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.agree / self.tshark if self.tshark else 1.0


def tshark_messages(path: str) -> dict[int, list[Key]]:
    out = subprocess.run(
        [
            "tshark",
            "-n",
            "-r",
            path,
            "-Y",
            "sip and not icmp and not icmpv6",
            "-T",
            "fields",
            "-E",
            "separator=\t",
            "-E",
            "occurrence=a",
            "-E",
            "aggregator=\x1f",
        ]
        + [arg for f in FIELDS for arg in ("-e", f)],
        capture_output=True,
        check=True,
        timeout=300,
    ).stdout.decode("utf-8", "replace")
    frames: dict[int, list[Key]] = {}
    for line in out.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        number = int(cols[0])
        call_ids = cols[1].split("\x1f")
        methods = cols[2].split("\x1f")
        statuses = cols[3].split("\x1f")
        cseqs = cols[4].split("\x1f")
        from_tags = cols[5].split("\x1f")
        to_tags = cols[6].split("\x1f")
        branches = cols[7].split("\x1f")
        keys = []
        if len(call_ids) == 1:
            what = methods[0] or statuses[0]
            keys.append((call_ids[0], what, cseqs[0], from_tags[0], to_tags[0], branches[0]))
        else:  # several messages in one frame: tshark lists each field in order
            for i, call_id in enumerate(call_ids):
                keys.append((call_id, "", _at(cseqs, i), _at(from_tags, i), "", ""))
        frames[number] = keys
    return frames


def _at(values: list[str], i: int) -> str:
    return values[i] if i < len(values) else ""


def vostui_messages(path: str) -> dict[int, list[Key]]:
    decoder = Decoder()
    frames: dict[int, list[Key]] = defaultdict(list)
    for frame in open_frames(path):
        for dg in decoder.decode(frame):
            try:
                msg = parse_message(dg.payload)
            except SipParseError:
                continue
            via = msg.top_via
            what = msg.method if msg.is_request else str(msg.status)
            frames[dg.frame].append(
                (
                    msg.call_id,
                    what,
                    str(msg.cseq),
                    msg.from_.tag,
                    msg.to.tag,
                    via.branch if via else "",
                )
            )
    return frames


def compare(path: str) -> Agreement:
    theirs = tshark_messages(path)
    ours = vostui_messages(path)
    result = Agreement(path)
    for number, keys in theirs.items():
        mine = ours.get(number, [])
        multi = len(keys) > 1
        for i, key in enumerate(keys):
            result.tshark += 1
            got = mine[i] if i < len(mine) else None
            if got is not None and multi:
                got = (got[0], "", got[2], got[3], "", "")
            if got == key:
                result.agree += 1
            else:
                result.differ.append((number, got, key))
    return result


def _short(key: Key | None) -> str:
    if key is None:
        return "nothing"
    return str(tuple(v if len(v) < 40 else v[:37] + "..." for v in key))


def main(paths: list[str]) -> int:
    total = agree = 0
    for path in paths:
        result = compare(path)
        total += result.tshark
        agree += result.agree
        print(
            f"{result.agree:6d}/{result.tshark:<6d} {result.ratio * 100:6.2f}%  {Path(path).name}"
        )
        for number, got, want in result.differ[:5]:
            print(f"        frame {number}: vostui {_short(got)} tshark {_short(want)}")
    print(f"{agree}/{total} messages agree ({agree / total * 100 if total else 100:.2f}%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
