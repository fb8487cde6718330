"""The parsed SIP message that the engine works with.

`parse_message` (in `vostui.sip.parser`) fills these from raw bytes. Header names in
`headers` are canonical lower-case long forms ("via", "call-id", "from", ...): compact
forms are expanded, folded lines unfolded, order kept, repeats kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class SipParseError(ValueError):
    """Raised for bytes that are not a SIP message; `reason` is a short, stable key."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(slots=True, frozen=True)
class Uri:
    scheme: str = "sip"
    user: str = ""
    host: str = ""
    port: int = 0
    params: tuple[tuple[str, str], ...] = ()
    raw: str = ""


@dataclass(slots=True, frozen=True)
class NameAddr:
    """From, To, Contact: display name, URI, header parameters (tag, expires, ...)."""

    display: str = ""
    uri: Uri = field(default_factory=Uri)
    params: tuple[tuple[str, str], ...] = ()

    @property
    def tag(self) -> str:
        for name, value in self.params:
            if name == "tag":
                return value
        return ""

    def param(self, name: str) -> str | None:
        for key, value in self.params:
            if key == name:
                return value
        return None


@dataclass(slots=True, frozen=True)
class Via:
    transport: str = ""
    host: str = ""
    port: int = 0
    branch: str = ""
    received: str = ""
    rport: str | None = None  # None: absent; "": present without value
    params: tuple[tuple[str, str], ...] = ()


# Codec lists by (payload types, rtpmap): a switch sees a few dozen offers all day.
_CODECS: dict[tuple[object, ...], tuple[str, ...]] = {}


@dataclass(slots=True, frozen=True)
class Media:
    """One `m=` line with what applies to it."""

    kind: str  # audio, video, image, ...
    port: int
    proto: str
    payloads: tuple[int, ...]
    connection: str  # effective c= address (media level wins over session level)
    direction: str  # sendrecv, sendonly, recvonly, inactive
    rtpmap: tuple[tuple[int, str], ...] = ()  # (payload type, "PCMU/8000")
    fmtp: tuple[tuple[int, str], ...] = ()

    @property
    def codecs(self) -> tuple[str, ...]:
        """Encoding names in offer order, static payload types named too."""
        key = (self.payloads, self.rtpmap)
        found = _CODECS.get(key)
        if found is None:
            from vostui.sip.sdp import codec_name  # sdp imports this module

            names = dict(self.rtpmap)
            found = tuple(codec_name(pt, names.get(pt)) for pt in self.payloads)
            if len(_CODECS) >= 1024:
                _CODECS.clear()
            _CODECS[key] = found
        return found

    @property
    def telephone_event(self) -> int | None:
        for pt, name in self.rtpmap:
            if name.lower().startswith("telephone-event/"):
                return pt
        return None


@dataclass(slots=True, frozen=True)
class Sdp:
    origin: str = ""  # o= line, raw
    session_connection: str = ""
    media: tuple[Media, ...] = ()


@dataclass(slots=True, frozen=True)
class SipMessage:
    """A request or a response. For a response, `method` is the CSeq method."""

    is_request: bool
    method: str
    status: int  # 0 for requests
    reason: str  # reason phrase of a response
    request_uri: Uri | None
    headers: tuple[tuple[str, str], ...]
    body: bytes
    call_id: str
    from_: NameAddr
    to: NameAddr
    cseq: int
    cseq_method: str
    vias: tuple[Via, ...]
    contacts: tuple[NameAddr, ...]
    content_type: str
    content_length: int | None  # the header's value; None when absent
    user_agent: str  # User-Agent on requests, Server on responses
    expires: int | None
    session_expires: int | None
    session_refresher: str
    min_se: int | None
    reason_header: str  # Reason: header (Q.850 cause, ...)
    sdp: Sdp | None
    raw: bytes  # the whole message as received (header part and body)

    def header(self, name: str) -> str | None:
        """First value of a header (canonical lower-case long name)."""
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]

    @property
    def top_via(self) -> Via | None:
        return self.vias[0] if self.vias else None

    @property
    def label(self) -> str:
        """INVITE, or "200 OK" for a response."""
        return self.method if self.is_request else f"{self.status} {self.reason}".strip()
