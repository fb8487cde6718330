"""SDP bodies: where the media goes, with which codecs, in which direction.

`parse_sdp` is best effort and never raises: a broken line is skipped, a broken
number becomes 0. What an operator needs from SDP is the media address and port
(NAT, one-way audio), the codec lists (488 Not Acceptable Here) and the direction
(hold, re-INVITE to T.38).
"""

from __future__ import annotations

from collections.abc import Callable

from vostui import speedups
from vostui.frozen import fast_constructor
from vostui.sip.message import Media, Sdp

_new_media = fast_constructor(Media)
_new_sdp = fast_constructor(Sdp)

# RFC 3551 static payload types (and a few well-known leftovers).
STATIC_PAYLOADS: dict[int, str] = {
    0: "PCMU",
    3: "GSM",
    4: "G723",
    5: "DVI4",
    6: "DVI4",
    7: "LPC",
    8: "PCMA",
    9: "G722",
    10: "L16",
    11: "L16",
    12: "QCELP",
    13: "CN",
    14: "MPA",
    15: "G728",
    16: "DVI4",
    17: "DVI4",
    18: "G729",
    25: "CelB",
    26: "JPEG",
    28: "nv",
    31: "H261",
    32: "MPV",
    33: "MP2T",
    34: "H263",
}

DIRECTIONS = frozenset({"sendrecv", "sendonly", "recvonly", "inactive"})

# Not voice codecs: they ride along with any codec and never decide a 488.
_NOT_VOICE = frozenset({"TELEPHONE-EVENT", "CN", "COMFORT-NOISE", "RED", "ULPFEC"})


def codec_name(pt: int, rtpmap_value: str | None = None) -> str:
    """Encoding name of a payload type: "PCMU", "G729", "telephone-event", "opus".

    The rtpmap wins when present ("PCMA/8000" gives "PCMA"); a static type without
    one is named from RFC 3551; an unknown dynamic type is "pt96".
    """
    if rtpmap_value:
        name = rtpmap_value.split("/", 1)[0].strip()
        if name:
            return name
    return STATIC_PAYLOADS.get(pt, f"pt{pt}")


def common_codecs(offer: Media, answer: Media) -> tuple[str, ...]:
    """Voice codecs present in both, in the answer's order (its first one is used).

    telephone-event, CN, RED and FEC are ignored; names compare case-insensitively.
    An empty result on an offer/answer pair is what a 488 is about.
    """
    offered = {name.upper() for name in offer.codecs}
    out: list[str] = []
    seen: set[str] = set()
    for name in answer.codecs:
        key = name.upper()
        if key in _NOT_VOICE or key in seen or key not in offered:
            continue
        seen.add(key)
        out.append(name)
    return tuple(out)


def is_hold(media: Media) -> bool:
    """The sender of this SDP puts the stream on hold.

    Hold is `a=sendonly` or `a=inactive` (RFC 3264), or the old RFC 2543 way,
    `c=IN IP4 0.0.0.0`. `recvonly` is the answer to a hold, not a hold, and port 0
    means the stream is refused, not held.
    """
    return media.direction in ("sendonly", "inactive") or media.connection in ("0.0.0.0", "::")


def _connection_address(value: str) -> str:
    """`IN IP4 224.2.1.1/127/3` -> `224.2.1.1`."""
    parts = value.split()
    if len(parts) < 3:
        return ""
    return parts[2].partition("/")[0]


def _number(text: str) -> int:
    return int(text) if text.isdecimal() and len(text) <= 10 else 0


class _MediaDraft:
    """Mutable while the lines of one `m=` section are read."""

    __slots__ = ("connection", "direction", "fmtp", "kind", "payloads", "port", "proto", "rtpmap")

    def __init__(self, value: str) -> None:
        # `audio 49170/2 RTP/AVP 0 8 101`; non-RTP protos (udptl t38) get no payloads.
        parts = value.split()
        self.kind = parts[0].lower() if parts else ""
        self.port = _number(parts[1].partition("/")[0]) if len(parts) > 1 else 0
        self.proto = parts[2] if len(parts) > 2 else ""
        self.payloads: tuple[int, ...] = ()
        if "RTP" in self.proto.upper():
            self.payloads = tuple(int(f) for f in parts[3:] if f.isdecimal() and len(f) <= 3)
        self.connection = ""
        self.direction = ""
        self.rtpmap: list[tuple[int, str]] = []
        self.fmtp: list[tuple[int, str]] = []

    def media(self, session_connection: str, session_direction: str) -> Media:
        return _new_media(
            kind=self.kind,
            port=self.port,
            proto=self.proto,
            payloads=self.payloads,
            connection=self.connection or session_connection,
            direction=self.direction or session_direction,
            rtpmap=tuple(self.rtpmap),
            fmtp=tuple(self.fmtp),
        )


def parse_sdp_py(body: bytes | str) -> Sdp:
    """Origin, session `c=`, and every `m=` section with its effective address and direction.

    The reference; `parse_sdp` is its compiled twin where it was built (ASCII bodies;
    it hands the others here)."""
    text = body if isinstance(body, str) else bytes(body).decode("utf-8", "replace")
    origin = ""
    session_connection = ""
    session_direction = "sendrecv"
    drafts: list[_MediaDraft] = []
    current: _MediaDraft | None = None
    for line in text.split("\n"):
        if line[:1] in (" ", "\t"):
            line = line.lstrip()
        kind = line[:2]
        if kind == "a=":
            value = line[2:].rstrip()
            if current is None:
                if value in DIRECTIONS:
                    session_direction = value
            elif value[:7] == "rtpmap:":
                pt, _, name = value[7:].partition(" ")
                if pt.isdecimal() and len(pt) <= 3:
                    current.rtpmap.append((int(pt), name.strip()))
            elif value[:5] == "fmtp:":
                pt, _, params = value[5:].partition(" ")
                if pt.isdecimal() and len(pt) <= 3:
                    current.fmtp.append((int(pt), params.strip()))
            elif value in DIRECTIONS:
                current.direction = value
        elif kind == "m=":
            current = _MediaDraft(line[2:])
            drafts.append(current)
        elif kind == "c=":
            address = _connection_address(line[2:])
            if current is None:
                session_connection = address
            else:
                current.connection = address
        elif kind == "o=" and not origin:
            origin = line[2:].strip()
    return _new_sdp(
        origin=origin,
        session_connection=session_connection,
        media=tuple(d.media(session_connection, session_direction) for d in drafts),
    )


def compiled_parse_sdp() -> Callable[[bytes | str], Sdp] | None:
    """The compiled `parse_sdp` (whatever VOSTUI_PURE_PYTHON says), or None."""
    ext = speedups.compiled()
    if ext is None:
        return None
    ext.configure_sdp(Media, Sdp, parse_sdp_py)
    parse: Callable[[bytes | str], Sdp] = ext.parse_sdp
    return parse


# The path that runs (see `vostui.speedups`).
parse_sdp: Callable[[bytes | str], Sdp] = (
    compiled_parse_sdp() if speedups.extension is not None else None
) or parse_sdp_py
