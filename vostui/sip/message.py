"""The parsed SIP message that the engine works with.

`parse_message` (in `vostui.sip.parser`) fills these from raw bytes. Header names in
`headers` are canonical lower-case long forms ("via", "call-id", "from", ...): compact
forms are expanded, folded lines unfolded, order kept, repeats kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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


# The fields of a message, in order; `_LAZY` are worked out from the headers when first
# read (most messages are filed by Call-ID, CSeq and top Via alone; parsing every From,
# Contact or SDP up front was more than half of the parse time).
_EAGER = (
    "is_request",
    "method",
    "status",
    "reason",
    "headers",
    "body",
    "call_id",
    "cseq",
    "cseq_method",
    "content_type",
    "content_length",
    "raw",
)
_LAZY = (
    "request_uri",
    "from_",
    "to",
    "vias",
    "contacts",
    "user_agent",
    "expires",
    "session_expires",
    "session_refresher",
    "min_se",
    "reason_header",
    "sdp",
)
FIELDS = (
    "is_request",
    "method",
    "status",
    "reason",
    "request_uri",
    "headers",
    "body",
    "call_id",
    "from_",
    "to",
    "cseq",
    "cseq_method",
    "vias",
    "contacts",
    "content_type",
    "content_length",
    "user_agent",
    "expires",
    "session_expires",
    "session_refresher",
    "min_se",
    "reason_header",
    "sdp",
    "raw",
)


class _Unset:
    """The value of a lazy field not read yet; one object, kept by copy and pickle."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNSET"

    def __copy__(self) -> _Unset:
        return self

    def __deepcopy__(self, memo: object) -> _Unset:
        return self

    def __reduce__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


class SipMessage:
    """A request or a response. For a response, `method` is the CSeq method.

    Immutable by convention (no field is ever assigned after construction). Built by
    the parser with only the fields every message needs; the others (`_LAZY`) are
    parsed from `headers` on first read and then kept. Built by hand (tests, demo),
    every field is given.
    """

    __slots__ = (*_EAGER, *(f"_{name}" for name in _LAZY), "_first", "_top_via")

    is_request: bool
    method: str
    status: int  # 0 for requests
    reason: str  # reason phrase of a response
    headers: tuple[tuple[str, str], ...]
    body: bytes
    call_id: str
    cseq: int
    cseq_method: str
    content_type: str
    content_length: int | None  # the header's value; None when absent
    raw: bytes  # the whole message as received (header part and body)
    # Lazy fields' storage: UNSET until read (the Request-URI: its text until read).
    _request_uri: Uri | str | None
    _from_: NameAddr
    _to: NameAddr
    _vias: tuple[Via, ...]
    _top_via: Via | None
    _contacts: tuple[NameAddr, ...]
    _user_agent: str
    _expires: int | None
    _session_expires: int | None
    _session_refresher: str
    _min_se: int | None
    _reason_header: str
    _sdp: Sdp | None
    _first: dict[str, str] | None  # first value of each header, by canonical name

    def __init__(
        self,
        *,
        is_request: bool,
        method: str,
        status: int,
        reason: str,
        request_uri: Uri | None,
        headers: tuple[tuple[str, str], ...],
        body: bytes,
        call_id: str,
        from_: NameAddr,
        to: NameAddr,
        cseq: int,
        cseq_method: str,
        vias: tuple[Via, ...],
        contacts: tuple[NameAddr, ...],
        content_type: str,
        content_length: int | None,
        user_agent: str,
        expires: int | None,
        session_expires: int | None,
        session_refresher: str,
        min_se: int | None,
        reason_header: str,
        sdp: Sdp | None,
        raw: bytes,
    ) -> None:
        self.is_request = is_request
        self.method = method
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.call_id = call_id
        self.cseq = cseq
        self.cseq_method = cseq_method
        self.content_type = content_type
        self.content_length = content_length
        self.raw = raw
        self._request_uri = request_uri
        self._from_ = from_
        self._to = to
        self._vias = vias
        self._contacts = contacts
        self._user_agent = user_agent
        self._expires = expires
        self._session_expires = session_expires
        self._session_refresher = session_refresher
        self._min_se = min_se
        self._reason_header = reason_header
        self._sdp = sdp
        self._first = None
        self._top_via = vias[0] if vias else None

    # -- lazy fields: parsed from the headers on first read ------------------------

    @property
    def request_uri(self) -> Uri | None:
        value = self._request_uri
        if isinstance(value, str):  # the parser keeps the text until it is read
            value = self._request_uri = _parser.lazy_request_uri(value)
        return value

    @property
    def from_(self) -> NameAddr:
        value = self._from_
        if value is UNSET:
            value = self._from_ = _parser.lazy_name_addr(self, "from")
        return value

    @property
    def to(self) -> NameAddr:
        value = self._to
        if value is UNSET:
            value = self._to = _parser.lazy_name_addr(self, "to")
        return value

    @property
    def vias(self) -> tuple[Via, ...]:
        value = self._vias
        if value is UNSET:
            value = self._vias = _parser.lazy_vias(self)
        return value

    @property
    def top_via(self) -> Via | None:
        """The first Via (the sender's hop); parsed alone, without the others."""
        value = self._top_via
        if value is UNSET:
            value = self._top_via = _parser.lazy_top_via(self)
        return value

    @property
    def branch(self) -> str:
        """The top Via's branch: what a transaction is known by (read from the text
        without parsing the Via when it is written the usual way)."""
        via = self._top_via
        if via is UNSET:
            return _parser.lazy_branch(self)
        return via.branch if via is not None else ""

    @property
    def contacts(self) -> tuple[NameAddr, ...]:
        value = self._contacts
        if value is UNSET:
            value = self._contacts = _parser.lazy_contacts(self)
        return value

    @property
    def user_agent(self) -> str:
        """User-Agent on requests, Server on responses (falling back to the other)."""
        value = self._user_agent
        if value is UNSET:
            value = self._user_agent = _parser.lazy_user_agent(self)
        return value

    @property
    def expires(self) -> int | None:
        value = self._expires
        if value is UNSET:
            value = self._expires = _parser.lazy_number(self, "expires")
        return value

    @property
    def session_expires(self) -> int | None:
        value = self._session_expires
        if value is UNSET:
            value = self._session_expires = _parser.lazy_number(self, "session-expires")
        return value

    @property
    def session_refresher(self) -> str:
        value = self._session_refresher
        if value is UNSET:
            value = self._session_refresher = _parser.lazy_refresher(self)
        return value

    @property
    def min_se(self) -> int | None:
        value = self._min_se
        if value is UNSET:
            value = self._min_se = _parser.lazy_number(self, "min-se")
        return value

    @property
    def reason_header(self) -> str:
        """Reason: header(s) (Q.850 cause, ...), joined."""
        value = self._reason_header
        if value is UNSET:
            value = self._reason_header = _parser.lazy_reason_header(self)
        return value

    @property
    def sdp(self) -> Sdp | None:
        value = self._sdp
        if value is UNSET:
            value = self._sdp = _parser.lazy_sdp(self)
        return value

    # -- the rest ------------------------------------------------------------------

    def fields(self) -> dict[str, Any]:
        """Every field by name (lazy ones parsed)."""
        return {name: getattr(self, name) for name in FIELDS}

    def replace(self, **changes: Any) -> SipMessage:
        """A copy with some fields changed (as `dataclasses.replace`)."""
        values = self.fields()
        unknown = set(changes) - set(values)
        if unknown:
            raise TypeError(f"unknown SipMessage fields: {sorted(unknown)}")
        values.update(changes)
        return SipMessage(**values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SipMessage):
            return NotImplemented
        return self.fields() == other.fields()

    def __hash__(self) -> int:
        # Equal messages have equal fields, so these agree with __eq__ (and a record
        # holding a message stays hashable, as it was with the frozen dataclass).
        return hash((self.call_id, self.cseq, self.raw))

    def __repr__(self) -> str:
        return f"SipMessage({self.label!r}, call_id={self.call_id!r}, cseq={self.cseq})"

    def header(self, name: str) -> str | None:
        """First value of a header (canonical lower-case long name)."""
        first = self._first
        if first is not None:
            return first.get(name)
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]

    @property
    def label(self) -> str:
        """INVITE, or "200 OK" for a response."""
        return self.method if self.is_request else f"{self.status} {self.reason}".strip()


# The parser fills the lazy fields; imported last, as it imports this module.
from vostui.sip import parser as _parser  # noqa: E402
