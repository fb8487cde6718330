"""Hostile bytes: parse_message raises SipParseError or returns a message, nothing else.

Seeds are valid messages (softswitch INVITE, responses, RFC 4475 torture messages);
mutations are what broken stacks and fuzzers produce: flipped bytes, cuts, inserted
CR/LF/NUL/":"/";"/","/quotes/brackets, duplicated and deleted slices.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_sip_parser import RINGING_183, invite
from test_sip_torture import ESC01, INTMETH, IPV6_GOOD, LONGREQ, UNREASON, WSINV

from vostui.sip.message import SipMessage, SipParseError
from vostui.sip.parser import parse_message
from vostui.sip.scanner import signatures
from vostui.sip.sdp import parse_sdp

MULTIPART = invite(body="").replace(
    b"Content-Type: application/sdp", b"Content-Type: multipart/mixed;boundary=b1"
).replace(b"Content-Length: 0", b"Content-Length: 80") + (
    b"--b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nm=audio 4 RTP/AVP 0\r\n--b1--\r\n"
)
ODD_VIAS = invite().replace(
    b"Via: ",
    b"Via: SIP/2.0/UDP h;Branch=up;branch = sp ;branch=z9hG4bKlast\r\n"
    b"v: SIP/2.0/TCP h2;branch=b2, ",
    1,
)
SEEDS = [invite(), RINGING_183, MULTIPART, WSINV, INTMETH, ESC01, UNREASON, IPV6_GOOD, LONGREQ]
SEEDS += [ODD_VIAS]
SPECIAL = [b"\r", b"\n", b"\r\n", b"\x00", b":", b";", b",", b'"', b"<", b">", b" ", b"\t"]
SPECIAL += [b"\\", b"@", b"[", b"]", b"=", b"%", b"\xff", b"\xc3", b"\r\n\r\n", b"\r\n ", b"/"]

settings.register_profile(
    "sip-fuzz", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=400
)
FUZZ = settings.get_profile("sip-fuzz")


def parse_or_reject(data: bytes) -> SipMessage | None:
    try:
        msg = parse_message(data)
    except SipParseError as error:
        assert error.reason and error.reason.replace("_", "").isalpha()
        return None
    # Whatever parsed must be usable downstream without surprises.
    assert isinstance(msg.call_id, str) and msg.call_id
    assert 0 <= msg.cseq <= 2**32 - 1
    assert msg.is_request or 100 <= msg.status <= 699
    signatures(msg)
    # Fields parsed on first read: the quick branch equals the parsed top Via's, and
    # every field reads without an exception.
    top = msg.top_via
    assert msg.branch == (top.branch if top is not None else "")
    assert parse_message(data).branch == msg.branch  # the quick path first, then the parse
    msg.fields()
    if msg.sdp is not None:
        for media in msg.sdp.media:
            assert isinstance(media.codecs, tuple)
    return msg


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        pos = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "insert", "cut", "delete", "duplicate", "byte"]))
        if action == "flip":
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif action == "insert":
            data[pos:pos] = draw(st.sampled_from(SPECIAL))
        elif action == "cut":
            del data[pos:]
        elif action == "delete":
            del data[pos : pos + draw(st.integers(1, 40))]
        elif action == "duplicate":
            end = min(len(data), pos + draw(st.integers(1, 200)))
            data[pos:pos] = data[pos:end]
        else:
            data[pos] = draw(st.integers(0, 255))
    return bytes(data)


@FUZZ
@given(st.binary(max_size=3000))
def test_arbitrary_bytes(data: bytes) -> None:
    parse_or_reject(data)


@FUZZ
@given(st.binary(max_size=1500))
def test_arbitrary_bytes_behind_a_valid_start_line(tail: bytes) -> None:
    parse_or_reject(b"INVITE sip:a@b SIP/2.0\r\nCall-ID: f\r\nCSeq: 1 INVITE\r\n" + tail)
    parse_or_reject(b"SIP/2.0 200 OK\r\n" + tail)


@FUZZ
@given(mutated())
def test_mutated_valid_messages(data: bytes) -> None:
    parse_or_reject(data)


@FUZZ
@given(st.text(max_size=300).map(lambda t: "INVITE sip:x SIP/2.0\nCall-ID: 1\nCSeq: 1 X\n" + t))
def test_arbitrary_unicode_headers(text: str) -> None:
    parse_or_reject(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.one_of(st.binary(max_size=2000), st.text(max_size=500)))
def test_sdp_parser_never_raises(body: bytes | str) -> None:
    parse_sdp(body)


def test_every_seed_parses() -> None:
    for seed in SEEDS:
        assert parse_or_reject(seed) is not None
