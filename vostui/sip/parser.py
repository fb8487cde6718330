"""Raw bytes to `SipMessage`: the hot path of every capture and live source.

What is required, and what is best effort:

- Required, else `SipParseError(reason)`: a start line that is a SIP request
  (`METHOD URI SIP/2.0`) or response (`SIP/2.0 NNN reason`, NNN 100-699), a
  non-empty Call-ID and a CSeq `number method` (number 0 to 2**32-1). Those are what
  the engine files a message under; without them a packet cannot be placed in a
  dialog or transaction, so it is counted as broken instead.
- Everything else is best effort and never raises: missing From/To give an empty
  `NameAddr`, a broken URI gives what could be read, a bad Content-Length is treated
  as absent, an SDP body that does not parse gives an empty `Sdp`.

Reasons (stable keys the engine counts by): empty, keepalive (only CR/LF/blanks:
RFC 5626 pings), not_sip (no "SIP/" on the first line: RTP, STUN, HTTP, junk),
bad_start_line, bad_version, bad_status, no_call_id, no_cseq, bad_cseq,
header_too_large (the first 64 KB held no blank line and no Call-ID/CSeq; with them,
the message is returned from what those 64 KB held).

Choices, stated once:
- Header names are canonical lower-case long forms; compact forms follow the IANA
  registry (a accept-contact, b referred-by, c content-type, d request-disposition,
  e content-encoding, f from, i call-id, j reject-contact, k supported,
  l content-length, m contact, n identity-info, o event, r refer-to, s subject,
  t to, u allow-events, v via, x session-expires, y identity).
- Folded lines are joined with one space; values are stripped; a line without a
  colon is skipped. For single-valued headers (Call-ID, CSeq, From, To,
  Content-Length, Content-Type, Expires...) the first occurrence wins.
- Via and Contact values are split on commas outside quotes and <>.
- Hosts are stored lower-case without IPv6 brackets; URI users are %-unescaped
  ("sip:%2B1555@h" has user "+1555"); a password after "user:" is dropped.
- A bare URI (no <>) ends at the first ";": what follows are header parameters
  (tag, expires), as RFC 3261 section 20 says.
- Display names are unquoted and their backslash escapes resolved.
- `Contact: *` is a NameAddr whose `uri.raw` is "*".
- `content_type` is the media type only ("application/sdp"); parameters such as
  a multipart boundary stay in `headers`.
- `user_agent` is User-Agent on requests and Server on responses, falling back to
  the other one (many devices send User-Agent in responses).
- The body is cut by Content-Length; if that is larger than what arrived, the
  body is what arrived; without Content-Length (UDP) it is the rest.
- `raw` is the datagram from its start line on (leading keepalive CR/LF removed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar
from urllib.parse import unquote

from vostui import speedups
from vostui.frozen import fast_constructor
from vostui.sip import sdp as _sdp  # parse_sdp read at call time: the path that runs
from vostui.sip.message import (
    UNSET,
    NameAddr,
    Sdp,
    SipMessage,
    SipParseError,
    Uri,
    Via,
)

MAX_HEADER_BYTES = 65536
"""Only this much of a header block is read; a longer one is cut, never buffered."""

MAX_BODY_BYTES = 65536
"""Only this much of a body is searched for SDP."""

MAX_CSEQ = 2**32 - 1

_T = TypeVar("_T")

COMPACT_FORMS: dict[str, str] = {
    "a": "accept-contact",
    "b": "referred-by",
    "c": "content-type",
    "d": "request-disposition",
    "e": "content-encoding",
    "f": "from",
    "i": "call-id",
    "j": "reject-contact",
    "k": "supported",
    "l": "content-length",
    "m": "contact",
    "n": "identity-info",
    "o": "event",
    "r": "refer-to",
    "s": "subject",
    "t": "to",
    "u": "allow-events",
    "v": "via",
    "x": "session-expires",
    "y": "identity",
}


_new_uri = fast_constructor(Uri)
_new_name_addr = fast_constructor(NameAddr)
_new_via = fast_constructor(Via)


_EMPTY_NAME_ADDR = NameAddr()
_WILDCARD_CONTACT = NameAddr(uri=Uri(scheme="", raw="*"))

# Raw header name -> canonical name ("CSeq", "cseq", "l" ...): a handful of spellings
# per peer. Bounded against scanners that invent names: a full table is emptied.
# (Memo tables for URIs, From/To and Via were tried and dropped: on traffic of unique
# INVITEs they cost more in garbage-collector work than they saved.)
_NAME_CACHE_MAX = 4096
_name_cache: dict[str, str] = {}


def _canonical_name(raw: str) -> str:
    name = _name_cache.get(raw)
    if name is None:
        lowered = raw.strip().lower()
        name = COMPACT_FORMS.get(lowered, lowered)
        if len(raw) <= 64:
            if len(_name_cache) >= _NAME_CACHE_MAX:
                _name_cache.clear()
            _name_cache[raw] = name
    return name


def _to_int(text: str) -> int | None:
    """A header's leading number ("600;refresher=uac" -> 600), else None."""
    if text.isdecimal() and len(text) <= 12:
        return int(text)
    head = text.partition(";")[0].strip()
    if head.isdecimal() and len(head) <= 12:
        return int(head)
    return None


def _port(text: str) -> int:
    # isdecimal, not isdigit: int() refuses superscript digits that isdigit accepts.
    if text.isdecimal() and len(text) <= 5:
        port = int(text)
        if port <= 65535:
            return port
    return 0


def _split_outside(value: str, sep: str) -> list[str]:
    """Split on `sep` where it is outside double quotes and <...>."""
    parts: list[str] = []
    start = 0
    in_quotes = False
    in_angle = False
    i = 0
    n = len(value)
    while i < n:
        char = value[i]
        if in_quotes:
            if char == "\\":
                i += 1
            elif char == '"':
                in_quotes = False
        elif char == '"':
            in_quotes = True
        elif char == "<":
            in_angle = True
        elif char == ">":
            in_angle = False
        elif char == sep and not in_angle:
            parts.append(value[start:i])
            start = i + 1
        i += 1
    parts.append(value[start:])
    return parts


def _split_list(value: str) -> list[str]:
    """Comma-separated header values (Via, Contact), empty items dropped."""
    if "," not in value:
        return [value]
    if '"' not in value and "<" not in value:
        items = value.split(",")
    else:
        items = _split_outside(value, ",")
    return [item for item in items if item.strip()]


def _params(text: str) -> tuple[tuple[str, str], ...]:
    """`tag = abc;lr;q=0.5` -> (("tag", "abc"), ("lr", ""), ("q", "0.5"))."""
    out: list[tuple[str, str]] = []
    for piece in _split_outside(text, ";") if '"' in text else text.split(";"):
        name, eq, value = piece.partition("=")
        name = name.strip().lower()
        if not name:
            continue
        if eq:
            value = value.strip()
            if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
                value = value[1:-1]
        out.append((name, value))
    return tuple(out)


def _host_port(text: str) -> tuple[str, int]:
    """`[2001:db8::1]:5060`, `host:5060`, `host`, bare IPv6 -> (host, port)."""
    if " " in text or "\t" in text:
        text = text.replace(" ", "").replace("\t", "")
    if text[:1] == "[":
        end = text.find("]")
        if end < 0:
            return text[1:].lower(), 0
        rest = text[end + 1 :]
        return text[1:end].lower(), _port(rest[1:]) if rest[:1] == ":" else 0
    host, colon, port = text.partition(":")
    if not colon:
        return host.lower(), 0
    if ":" in port:
        return text.lower(), 0  # an unbracketed IPv6 address: no port can be told apart
    return host.lower(), _port(port)


def _scheme_end(text: str) -> int:
    """Index of the colon ending a URI scheme ("tel", "urn", "soap.beep"), or -1.

    RFC 3986: a letter, then letters, digits, "+", "-", ".". "100@10.0.0.1:5060" has
    no scheme.
    """
    colon = text.find(":")
    if colon <= 0 or colon > 32:
        return -1
    scheme = text[:colon]
    if not (scheme.isascii() and scheme[0].isalpha()):
        return -1
    if scheme.isalnum() or scheme.replace("+", "").replace("-", "").replace(".", "").isalnum():
        return colon
    return -1


def parse_uri(raw: str) -> Uri:
    """sip:/sips: (user, host, port, params), tel: (number as user, params), others raw."""
    text = raw.strip()
    prefix = text[:5].lower()
    if prefix[:4] == "sip:":
        scheme, rest = "sip", text[4:]
    elif prefix == "sips:":
        scheme, rest = "sips", text[5:]
    else:
        colon = _scheme_end(text)
        scheme = text[:colon].lower() if colon > 0 else ""
        if scheme == "tel":
            number, semi, tel_params = text[4:].partition(";")
            params = _params(tel_params) if semi else ()
            return _new_uri(
                scheme="tel", user=number.strip(), host="", port=0, params=params, raw=raw
            )
        if scheme:
            return _new_uri(scheme=scheme, user="", host="", port=0, params=(), raw=raw)
        rest = text  # no scheme at all ("100@10.0.0.1"): read it as sip
        scheme = "sip"
    user, at, hostpart = rest.partition("@")
    if not at:
        user, hostpart = "", user
    else:
        if ":" in user:
            user = user.partition(":")[0]  # the password of user:password, never shown
        if "%" in user:
            user = unquote(user, errors="replace")
    hostpart, semi, param_text = hostpart.partition(";")
    if "?" in hostpart:
        hostpart = hostpart.partition("?")[0]
        semi = ""
    elif "?" in param_text:
        param_text = param_text.partition("?")[0]
    host, port = _host_port(hostpart)
    params = _params(param_text) if semi else ()
    return _new_uri(scheme=scheme, user=user, host=host, port=port, params=params, raw=raw)


def _unquote_display(text: str) -> tuple[str, str]:
    """`"J \\"R\\"" <sip:..>` -> ('J "R"', ' <sip:..>'): the display name and the rest."""
    end = text.find('"', 1)
    if end > 0 and "\\" not in text[1:end]:
        return text[1:end], text[end + 1 :]
    out: list[str] = []
    i = 1
    n = len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n:
            out.append(text[i + 1])
            i += 2
            continue
        if char == '"':
            return "".join(out), text[i + 1 :]
        out.append(char)
        i += 1
    return "".join(out), ""


def parse_name_addr(text: str) -> NameAddr:
    """From, To, one Contact item: `"Name" <uri>;params`, `Name <uri>`, or `uri;params`."""
    value = text.strip()
    if not value:
        return _EMPTY_NAME_ADDR
    if value == "*":
        return _WILDCARD_CONTACT
    display = ""
    rest = value
    if value[0] == '"':
        display, rest = _unquote_display(value)
    lt = rest.find("<")
    if lt >= 0:
        if lt and not display:
            display = rest[:lt].strip()
        uri_text, _, tail = rest[lt + 1 :].partition(">")
        params = _params(tail.partition(";")[2]) if ";" in tail else ()
        return _new_name_addr(display=display, uri=parse_uri(uri_text.strip()), params=params)
    # A bare addr-spec: header parameters start at the first ";".
    uri_text, semi, tail = rest.partition(";")
    params = _params(tail) if semi else ()
    return _new_name_addr(display=display, uri=parse_uri(uri_text.strip()), params=params)


def _parse_via(text: str) -> Via:
    """`SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport;received=1.2.3.4`."""
    head, semi, param_text = text.partition(";")
    params = _params(param_text) if semi else ()
    transport = ""
    sent_by = head
    slash = head.rfind("/")
    if slash >= 0:
        tail = head[slash + 1 :].split(None, 1)
        if tail:
            transport = tail[0].upper()
        sent_by = tail[1] if len(tail) > 1 else ""
    host, port = _host_port(sent_by.strip())
    found = dict(params)
    return _new_via(
        transport=transport,
        host=host,
        port=port,
        branch=found.get("branch", ""),
        received=found.get("received", "").strip("[]"),
        rport=found.get("rport"),
        params=params,
    )


def parse_via_header(text: str) -> tuple[Via, ...]:
    """One Via header line, which may carry several comma-separated hops.

    Items with neither transport nor host (the ";;,;,," of a broken Via) are dropped.
    """
    if "," not in text:
        return (_parse_via(text),)
    vias = (_parse_via(item) for item in _split_list(text))
    return tuple(via for via in vias if via.transport or via.host)


def _boundary(content_type: str) -> bytes:
    for name, value in _params(content_type.partition(";")[2]):
        if name == "boundary":
            return value.encode("utf-8", "replace")
    return b""


def find_sdp_part(body: bytes, content_type: str) -> bytes | None:
    """The application/sdp part of a multipart body (SIP-I/SIP-T ISUP + SDP, ...)."""
    boundary = _boundary(content_type)
    parts = body.split(b"--" + boundary) if boundary else [body]
    for part in parts:
        end = part.find(b"\r\n\r\n")
        skip = 4
        if end < 0:
            end = part.find(b"\n\n")
            skip = 2
        if end < 0:
            continue
        if b"application/sdp" in part[:end].lower():
            content = part[end + skip :]
            return content[:-2] if content.endswith(b"\r\n") else content
    return None


def _sdp_of(body: bytes, content_type: str, full_type: str) -> Sdp | None:
    body = body[:MAX_BODY_BYTES]
    if content_type == "application/sdp":
        return _sdp.parse_sdp(body)
    if content_type.startswith("multipart/"):
        part = find_sdp_part(body, full_type)
        return _sdp.parse_sdp(part) if part else None
    if not content_type and body.lstrip()[:3] == b"v=0":
        return _sdp.parse_sdp(body)
    return None


def _header_end(data: bytes, limit: int) -> tuple[int, int]:
    """(end of the header block, start of the body); (-1, -1) when no blank line."""
    crlf = data.find(b"\r\n\r\n", 0, limit)
    if crlf >= 0 and data.find(b"\n\n", 0, crlf) < 0 and data.find(b"\n\r\n", 0, crlf) < 0:
        return crlf, crlf + 4
    # Bare LF or mixed line ends: the first LF followed by an empty line.
    best = -1
    skip = 0
    for sep in (b"\n\n", b"\n\r\n"):
        pos = data.find(sep, 0, limit)
        if pos >= 0 and (best < 0 or pos < best):
            best = pos
            skip = len(sep)
    if best < 0:
        return -1, -1
    return best, best + skip


def _start_line(line: str) -> tuple[bool, str, int, str, str]:
    """(is_request, method, status, reason, Request-URI text) or SipParseError."""
    if line[:4].upper() == "SIP/":
        parts = line.split(None, 2)
        if parts[0].upper() != "SIP/2.0":
            raise SipParseError("bad_version", parts[0][:40])
        code = parts[1] if len(parts) > 1 else ""
        if not (len(code) == 3 and code.isdecimal()):
            raise SipParseError("bad_status", code[:40])
        status = int(code)
        if not 100 <= status <= 699:
            raise SipParseError("bad_status", code)
        return False, "", status, parts[2].strip() if len(parts) > 2 else "", ""
    parts = line.split()
    if len(parts) < 3:
        raise SipParseError("bad_start_line", line[:80])
    version = parts[-1].upper()
    if version != "SIP/2.0":
        if version.startswith("SIP/"):
            raise SipParseError("bad_version", parts[-1][:40])
        raise SipParseError("bad_start_line", line[:80])
    uri_text = parts[1] if len(parts) == 3 else " ".join(parts[1:-1])
    if uri_text[:1] == "<" and uri_text[-1:] == ">":
        uri_text = uri_text[1:-1]
    return True, parts[0], 0, "", uri_text


def _split_headers(lines: list[str]) -> list[tuple[str, str]]:
    """Header lines (start line excluded) to (canonical name, value), folds joined."""
    headers: list[tuple[str, str]] = []
    append = headers.append
    known = _name_cache.get
    for line in lines:
        # Values keep the CR of a CRLF line end until strip(); names never do.
        name, colon, value = line.partition(":")
        canonical = known(name)
        if canonical is not None and colon:
            append((canonical, value.strip()))
            continue
        if not line:
            continue
        if line[0] == " " or line[0] == "\t":
            if headers:  # a folded line continues the previous header
                extra = line.strip()
                if extra:
                    prev_name, prev_value = headers[-1]
                    headers[-1] = (prev_name, f"{prev_value} {extra}" if prev_value else extra)
            continue
        if not colon or not name.strip():
            continue  # not a header line: skipped, the rest still counts
        append((_canonical_name(name), value.strip()))
    return headers


def _cseq(text: str) -> tuple[int, str]:
    parts = text.split()
    if len(parts) != 2 or not parts[0].isdecimal() or len(parts[0]) > 12:
        raise SipParseError("bad_cseq", text[:80])
    number = int(parts[0])
    if number > MAX_CSEQ:
        raise SipParseError("bad_cseq", text[:80])
    return number, parts[1]


def _refresher(session_expires: str) -> str:
    """`1800;refresher=uac` -> "uac"."""
    for name, value in _params(session_expires.partition(";")[2]):
        if name == "refresher":
            return value.lower()
    return ""


# The same From, To, Contact and Via values come back in every message of a dialog and
# transaction: their parsed, immutable values are shared through small caches that are
# emptied when full (cheaper than an LRU, and a busy switch refills them in a moment).
CACHE_ENTRIES = 4096


class _Shared(Generic[_T]):
    """Parsed values by their text, emptied when full; Request-URIs, From/To/Contact and
    Via come back in the INVITE, ACK and BYE of a dialog and in its responses."""

    __slots__ = ("cache", "parse")

    def __init__(self, parse: Callable[[str], _T]) -> None:
        self.parse = parse
        self.cache: dict[str, _T] = {}

    def __call__(self, text: str) -> _T:
        found = self.cache.get(text)
        if found is None:
            found = self.parse(text)
            if len(self.cache) >= CACHE_ENTRIES:
                self.cache.clear()
            self.cache[text] = found
        return found


_name_addr_cached = _Shared(parse_name_addr)
_uri_cached = _Shared(parse_uri)
_via_cached = _Shared(parse_via_header)


def parse_message_py(data: bytes) -> SipMessage:
    """Parse one SIP message (a UDP payload or one message framed from TCP).

    Reads what every message is filed by (start line, Call-ID, CSeq, the header list,
    the body); From, To, Via, Contact, SDP and the other fields are parsed when first
    read (see `SipMessage`).

    This is the reference; `parse_message` is the compiled twin where it was built
    (see `vostui.speedups`), which gives the same message or the same error.
    """
    if not data:
        raise SipParseError("empty")
    if not isinstance(data, bytes):
        data = bytes(data)
    if data[0] in b"\r\n \t":
        stripped = data.lstrip(b"\r\n \t")
        if not stripped:
            raise SipParseError("keepalive", f"{len(data)} blank bytes")
        data = stripped
    first_end = data.find(b"\n", 0, MAX_HEADER_BYTES)
    first = data[:first_end] if first_end >= 0 else data[:MAX_HEADER_BYTES]
    if b"SIP/" not in first and b"SIP/" not in first.upper():
        raise SipParseError("not_sip", repr(first[:40]))

    head_end, body_start = _header_end(data, MAX_HEADER_BYTES)
    truncated = False
    if head_end < 0:
        if len(data) > MAX_HEADER_BYTES:
            truncated = True
            head_end = data.rfind(b"\n", 0, MAX_HEADER_BYTES)
            if head_end < 0:
                raise SipParseError("header_too_large", f"{len(data)} bytes, no line end")
        else:
            head_end = len(data)
        body_start = len(data)

    block = data[:head_end].decode("utf-8", "replace")
    line_end = block.find("\n")
    if line_end < 0:
        line_end = len(block)
    is_request, method, status, reason, uri_text = _start_line(block[:line_end].strip())
    headers = _split_headers(block[line_end + 1 :].split("\n"))

    first_value = dict(reversed(headers))
    call_id = first_value.get("call-id")
    if not call_id:
        raise SipParseError("header_too_large" if truncated else "no_call_id")
    cseq_text = first_value.get("cseq")
    if cseq_text is None:
        raise SipParseError("header_too_large" if truncated else "no_cseq")
    cseq, cseq_method = _cseq(cseq_text)
    if not is_request:
        method = cseq_method

    full_type = first_value.get("content-type")
    length_text = first_value.get("content-length")
    content_length = _to_int(length_text) if length_text is not None else None
    if content_length is None:
        body = data[body_start:]
    else:
        body = data[body_start : body_start + content_length]

    msg = _new(SipMessage)
    msg.is_request = is_request
    msg.method = method
    msg.status = status
    msg.reason = reason
    msg.headers = tuple(headers)
    msg.body = body
    msg.call_id = call_id
    msg.cseq = cseq
    msg.cseq_method = cseq_method
    msg.content_type = full_type.partition(";")[0].strip().lower() if full_type else ""
    msg.content_length = content_length
    msg.raw = data
    msg._first = first_value
    msg._request_uri = uri_text if is_request else None
    msg._from_ = UNSET
    msg._to = UNSET
    msg._vias = UNSET
    msg._top_via = UNSET
    msg._contacts = UNSET
    msg._user_agent = UNSET
    msg._expires = UNSET
    msg._session_expires = UNSET
    msg._session_refresher = UNSET
    msg._min_se = UNSET
    msg._reason_header = UNSET
    msg._sdp = UNSET if body else None
    return msg


_new = object.__new__


def compiled_parser() -> Callable[[bytes], SipMessage] | None:
    """The compiled `parse_message` (whatever VOSTUI_PURE_PYTHON says), or None when
    the extension was not built. It hands what it does not take to `parse_message_py`."""
    ext = speedups.compiled()
    if ext is None:
        return None
    ext.configure_parser(SipMessage, UNSET, SipParseError, parse_message_py, quick_branch_py)
    parse: Callable[[bytes], SipMessage] = ext.parse_message
    return parse


# -- the lazy fields of a parsed message (see `SipMessage`) ---------------------------


def _first(msg: SipMessage) -> dict[str, str]:
    first = msg._first
    if first is None:
        first = msg._first = dict(reversed(msg.headers))
    return first


def lazy_request_uri(text: str) -> Uri:
    """The parser leaves the Request-URI's text in its slot until it is read."""
    return _uri_cached(text)


def lazy_name_addr_py(msg: SipMessage, name: str) -> NameAddr:
    text = _first(msg).get(name)
    return _name_addr_cached(text) if text else _EMPTY_NAME_ADDR


def lazy_vias(msg: SipMessage) -> tuple[Via, ...]:
    vias: list[Via] = []
    for name, value in msg.headers:
        if name == "via":
            vias.extend(_via_cached(value))
    return tuple(vias)


def lazy_top_via(msg: SipMessage) -> Via | None:
    if msg._vias is not UNSET:
        return msg._vias[0] if msg._vias else None
    for name, value in msg.headers:
        if name == "via":
            vias = _via_cached(value)  # a response repeats its request's Via
            if vias:
                return vias[0]
    return None if not msg.vias else msg.vias[0]


def quick_branch_py(value: str) -> str | None:
    """The branch of a top Via in the usual shape, `SIP/2.0/UDP h:p;branch=z9hG4bK..;rport`:
    one hop, no quotes, one lower-case `;branch=`; None for anything else (several
    hops, `Branch`, blanks around `=`, a repeated branch: the last one wins in a parse),
    which takes the whole parse."""
    start = value.find(";branch=")
    if start < 0 or "," in value or '"' in value or value.lower().count("branch") != 1:
        return None
    start += 8
    end = value.find(";", start)
    return (value[start:end] if end >= 0 else value[start:]).strip()


def lazy_branch_py(msg: SipMessage) -> str:
    value = _first(msg).get("via")
    if value is None:
        return ""
    branch = quick_branch(value)
    if branch is None:
        via = msg.top_via
        return via.branch if via is not None else ""
    return branch


def lazy_contacts(msg: SipMessage) -> tuple[NameAddr, ...]:
    contacts: list[NameAddr] = []
    for name, value in msg.headers:
        if name == "contact":
            if "," in value:
                contacts.extend(parse_name_addr(item) for item in _split_list(value))
            else:
                contacts.append(_name_addr_cached(value))
    return tuple(contacts)


def lazy_user_agent(msg: SipMessage) -> str:
    get = _first(msg).get
    if msg.is_request:
        return get("user-agent") or get("server", "")
    return get("server") or get("user-agent", "")


def lazy_number(msg: SipMessage, name: str) -> int | None:
    text = _first(msg).get(name)
    return _to_int(text) if text is not None else None


def lazy_refresher(msg: SipMessage) -> str:
    text = _first(msg).get("session-expires")
    return _refresher(text) if text and ";" in text else ""


def lazy_reason_header(msg: SipMessage) -> str:
    if "reason" not in _first(msg):
        return ""
    return ", ".join(value for name, value in msg.headers if name == "reason")


def lazy_sdp(msg: SipMessage) -> Sdp | None:
    body = msg.body
    if not body:
        return None
    full_type = _first(msg).get("content-type", "")
    return _sdp_of(body, msg.content_type, full_type)


# The path that runs (see `vostui.speedups`): the compiled twins where they were built,
# else the Python functions above.
parse_message: Callable[[bytes], SipMessage] = (
    compiled_parser() if speedups.extension is not None else None
) or parse_message_py
quick_branch: Callable[[str], str | None] = (
    speedups.extension.branch_of if speedups.extension is not None else quick_branch_py
)


def compiled_addresses() -> tuple[Callable[[str], Uri], Callable[[str], NameAddr]] | None:
    """The compiled twins of `parse_uri` and `parse_name_addr` (whatever
    VOSTUI_PURE_PYTHON says), or None. They take plain sip:/sips: addresses and hand
    the rest (quoted names, escapes, IPv6, other schemes) to the Python functions."""
    ext = speedups.compiled()
    if ext is None:
        return None
    ext.configure_addresses(Uri, NameAddr, parse_uri, parse_name_addr)
    return ext.parse_uri, ext.parse_name_addr


def use_addresses(twins: tuple[Callable[[str], Uri], Callable[[str], NameAddr]] | None) -> None:
    """The parsers behind the shared From/To/Contact and Request-URI values: the
    compiled twins, or (None) the Python functions; the shared values are dropped."""
    _uri_cached.parse, _name_addr_cached.parse = twins or (parse_uri, parse_name_addr)
    _uri_cached.cache.clear()
    _name_addr_cached.cache.clear()


if speedups.extension is not None:
    use_addresses(compiled_addresses())


def compiled_lazy() -> tuple[Callable[[SipMessage], str], Callable[[SipMessage, str], NameAddr]]:
    """The compiled `lazy_branch` and `lazy_name_addr` (the branch and From/To read on
    every message), for a parser's message; they hand anything else to the Python ones.
    Only with the extension built (see `compiled_parser`)."""
    ext = speedups.compiled()
    assert ext is not None
    ext.configure_lazy(lazy_branch_py, lazy_name_addr_py, _name_addr_cached, CACHE_ENTRIES)
    return ext.lazy_branch, ext.lazy_name_addr


lazy_branch: Callable[[SipMessage], str]
lazy_name_addr: Callable[[SipMessage, str], NameAddr]
lazy_branch, lazy_name_addr = (
    compiled_lazy() if speedups.extension is not None else (lazy_branch_py, lazy_name_addr_py)
)
