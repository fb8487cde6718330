"""parse_message on realistic softswitch traffic: what the engine files messages by."""

from __future__ import annotations

import dataclasses
import re

import pytest

from vostui.sip import parser
from vostui.sip.message import FIELDS, NameAddr, SipMessage, SipParseError, Uri, Via
from vostui.sip.parser import parse_message, parse_name_addr, parse_uri, parse_via_header


def crlf(text: str) -> bytes:
    """Test texts are written with \\n; the wire has CRLF."""
    return text.replace("\n", "\r\n").encode()


SDP_OFFER = (
    "v=0\n"
    "o=VOS3000 8000 8001 IN IP4 203.0.113.10\n"
    "s=SIP Call\n"
    "c=IN IP4 203.0.113.10\n"
    "t=0 0\n"
    "m=audio 10000 RTP/AVP 18 8 0 101\n"
    "a=rtpmap:18 G729/8000\n"
    "a=fmtp:18 annexb=no\n"
    "a=rtpmap:8 PCMA/8000\n"
    "a=rtpmap:0 PCMU/8000\n"
    "a=rtpmap:101 telephone-event/8000\n"
    "a=fmtp:101 0-15\n"
    "a=sendrecv\n"
)


def invite(extra: str = "", body: str = SDP_OFFER) -> bytes:
    sdp = body.replace("\n", "\r\n")
    head = (
        "INVITE sip:0086138000111@198.51.100.7:5060;user=phone SIP/2.0\n"
        "Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK-524287-1;rport\n"
        'From: "1001" <sip:1001@203.0.113.10:5060>;tag=as5f3a9c1e\n'
        "To: <sip:0086138000111@198.51.100.7:5060>\n"
        "Call-ID: 3c2a8d1f6e@203.0.113.10\n"
        "CSeq: 102 INVITE\n"
        "Contact: <sip:1001@203.0.113.10:5060>\n"
        "Max-Forwards: 70\n"
        "User-Agent: DBL-GW 2.1\n"
        "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK\n"
        "Supported: timer, 100rel\n"
        "Session-Expires: 1800;refresher=uac\n"
        "Min-SE: 90\n"
        "Content-Type: application/sdp\n"
        f"{extra}"
        f"Content-Length: {len(sdp)}\n"
        "\n"
    )
    return crlf(head) + sdp.encode()


RINGING_183 = crlf(
    "SIP/2.0 183 Session Progress\n"
    "Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK-524287-1;rport=5060;received=203.0.113.10\n"
    'From: "1001" <sip:1001@203.0.113.10:5060>;tag=as5f3a9c1e\n'
    "To: <sip:0086138000111@198.51.100.7:5060>;tag=gw-77aa\n"
    "Call-ID: 3c2a8d1f6e@203.0.113.10\n"
    "CSeq: 102 INVITE\n"
    "Server: VOS3000 V2.1.8.0\n"
    "User-Agent: should-not-win\n"
    "Contact: <sip:0086138000111@198.51.100.7:5060>\n"
    "Content-Length: 0\n"
    "\n"
)


def test_invite_fields_an_engine_files_by() -> None:
    msg = parse_message(invite())
    assert msg.is_request and msg.method == "INVITE" and msg.status == 0
    assert msg.label == "INVITE"
    assert msg.request_uri == Uri(
        scheme="sip",
        user="0086138000111",
        host="198.51.100.7",
        port=5060,
        params=(("user", "phone"),),
        raw="sip:0086138000111@198.51.100.7:5060;user=phone",
    )
    assert msg.call_id == "3c2a8d1f6e@203.0.113.10"
    assert (msg.cseq, msg.cseq_method) == (102, "INVITE")
    assert msg.from_.display == "1001"
    assert msg.from_.tag == "as5f3a9c1e"
    assert msg.from_.uri.user == "1001" and msg.from_.uri.port == 5060
    assert msg.to.tag == "" and msg.to.uri.user == "0086138000111"
    assert msg.contacts[0].uri.host == "203.0.113.10"
    assert msg.user_agent == "DBL-GW 2.1"
    assert msg.session_expires == 1800 and msg.session_refresher == "uac"
    assert msg.min_se == 90
    assert msg.expires is None
    assert msg.content_type == "application/sdp"
    assert msg.content_length == len(msg.body)
    assert msg.sdp is not None and msg.sdp.media[0].codecs[0] == "G729"
    assert msg.raw.startswith(b"INVITE ")
    assert msg.header("max-forwards") == "70"


def test_top_via_branch_rport_and_received() -> None:
    request = parse_message(invite())
    via = request.top_via
    assert via == Via(
        transport="UDP",
        host="203.0.113.10",
        port=5060,
        branch="z9hG4bK-524287-1",
        received="",
        rport="",
        params=(("branch", "z9hG4bK-524287-1"), ("rport", "")),
    )
    response = parse_message(RINGING_183)
    assert response.top_via is not None
    assert response.top_via.rport == "5060"
    assert response.top_via.received == "203.0.113.10"
    assert parse_via_header("SIP/2.0/TCP gw.example.com;branch=z9hG4bK1")[0].rport is None


def test_response_takes_method_from_cseq_and_server_as_user_agent() -> None:
    msg = parse_message(RINGING_183)
    assert not msg.is_request
    assert (msg.status, msg.reason, msg.method) == (183, "Session Progress", "INVITE")
    assert msg.label == "183 Session Progress"
    assert msg.request_uri is None
    assert msg.to.tag == "gw-77aa"
    assert msg.user_agent == "VOS3000 V2.1.8.0"
    assert msg.body == b"" and msg.sdp is None and msg.content_length == 0


def test_user_agent_falls_back_to_the_other_header() -> None:
    # Asterisk answers with User-Agent, not Server; some UACs send Server.
    msg = parse_message(RINGING_183.replace(b"Server: VOS3000 V2.1.8.0\r\n", b""))
    assert msg.user_agent == "should-not-win"
    request = parse_message(invite().replace(b"User-Agent:", b"Server:"))
    assert request.user_agent == "DBL-GW 2.1"


@pytest.mark.parametrize("status", [100, 180, 181, 199, 200, 302, 404, 487, 503, 603, 699])
def test_any_status_from_100_to_699(status: int) -> None:
    msg = parse_message(RINGING_183.replace(b"183 Session Progress", f"{status} X".encode()))
    assert msg.status == status


def test_compact_forms_expand_to_long_names() -> None:
    data = crlf(
        "NOTIFY sip:alice@10.0.0.5:5062 SIP/2.0\n"
        "v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKn1\n"
        "f: <sip:pbx@10.0.0.1>;tag=n1\n"
        "t: <sip:alice@10.0.0.5>;tag=a1\n"
        "i: notify-1@10.0.0.1\n"
        "CSeq: 7 NOTIFY\n"
        "m: <sip:pbx@10.0.0.1>\n"
        "o: refer;id=3\n"
        "u: refer, dialog\n"
        "k: timer\n"
        "s: transfer\n"
        "e: gzip\n"
        "r: <sip:bob@10.0.0.9>\n"
        "b: <sip:alice@10.0.0.5>\n"
        "x: 600;refresher=uas\n"
        "a: *;audio\n"
        "y: abc\n"
        "c: message/sipfrag;version=2.0\n"
        "l: 16\n"
        "\n"
        "SIP/2.0 200 OK\n"
    )
    msg = parse_message(data)
    names = [name for name, _ in msg.headers]
    assert names == [
        "via",
        "from",
        "to",
        "call-id",
        "cseq",
        "contact",
        "event",
        "allow-events",
        "supported",
        "subject",
        "content-encoding",
        "refer-to",
        "referred-by",
        "session-expires",
        "accept-contact",
        "identity",
        "content-type",
        "content-length",
    ]
    assert msg.call_id == "notify-1@10.0.0.1"
    assert msg.session_expires == 600 and msg.session_refresher == "uas"
    assert msg.content_type == "message/sipfrag"
    assert msg.body == b"SIP/2.0 200 OK\r\n"
    assert msg.sdp is None


def test_header_names_are_case_insensitive() -> None:
    data = invite().replace(b"Call-ID:", b"cALL-iD:").replace(b"CSeq:", b"CSEQ   :")
    msg = parse_message(data)
    assert msg.call_id == "3c2a8d1f6e@203.0.113.10" and msg.cseq == 102


def test_folded_lines_are_joined_with_one_space() -> None:
    data = invite(extra="Subject: first part\r\n  second part\r\n\tthird part\r\n")
    msg = parse_message(data)
    assert msg.header("subject") == "first part second part third part"


def test_repeated_headers_keep_order_and_first_wins_for_singles() -> None:
    data = crlf(
        "OPTIONS sip:gw@198.51.100.7 SIP/2.0\n"
        "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa\n"
        "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKb, SIP/2.0/TCP 10.0.0.3;branch=z9hG4bKc\n"
        "From: <sip:ping@10.0.0.1>;tag=1\n"
        "To: <sip:gw@198.51.100.7>\n"
        "Call-ID: first@10.0.0.1\n"
        "Call-ID: second@10.0.0.1\n"
        "CSeq: 1 OPTIONS\n"
        "Record-Route: <sip:10.0.0.2;lr>\n"
        "Record-Route: <sip:10.0.0.3;lr>\n"
        "Content-Length: 0\n"
        "\n"
    )
    msg = parse_message(data)
    assert [v.host for v in msg.vias] == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    assert [v.branch for v in msg.vias] == ["z9hG4bKa", "z9hG4bKb", "z9hG4bKc"]
    assert msg.vias[2].transport == "TCP" and msg.vias[2].port == 0
    assert msg.call_id == "first@10.0.0.1"
    assert msg.header_all("record-route") == ["<sip:10.0.0.2;lr>", "<sip:10.0.0.3;lr>"]


def test_contact_list_splits_outside_quotes_and_angle_brackets() -> None:
    data = crlf(
        "SIP/2.0 200 OK\n"
        "Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKr\n"
        "From: <sip:alice@pbx.example>;tag=r1\n"
        "To: <sip:alice@pbx.example>;tag=r2\n"
        "Call-ID: reg-1\n"
        "CSeq: 2 REGISTER\n"
        'Contact: "Doe, John" <sip:alice@10.0.0.5:5062;transport=udp;x=a,b>;expires=3600;q=0.8, '
        "<sip:alice@192.0.2.9>;expires=60\n"
        "Contact: sip:alice@203.0.113.4:5070;expires=120\n"
        "Expires: 3600\n"
        "Content-Length: 0\n"
        "\n"
    )
    msg = parse_message(data)
    assert len(msg.contacts) == 3
    first, second, third = msg.contacts
    assert first.display == "Doe, John"
    assert first.uri.params == (("transport", "udp"), ("x", "a,b"))
    assert first.param("expires") == "3600" and first.param("q") == "0.8"
    assert second.uri.host == "192.0.2.9" and second.param("expires") == "60"
    # A bare URI: what follows ";" belongs to the header, not to the URI.
    assert third.uri.port == 5070 and third.uri.params == ()
    assert third.param("expires") == "120"
    assert msg.expires == 3600


def test_contact_star_for_unregister_all() -> None:
    data = crlf(
        "REGISTER sip:pbx.example SIP/2.0\n"
        "Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKu\n"
        "From: <sip:alice@pbx.example>;tag=u1\n"
        "To: <sip:alice@pbx.example>\n"
        "Call-ID: unreg-1\n"
        "CSeq: 9 REGISTER\n"
        "Contact: *\n"
        "Expires: 0\n"
        "Content-Length: 0\n"
        "\n"
    )
    msg = parse_message(data)
    assert len(msg.contacts) == 1
    assert msg.contacts[0].uri.raw == "*"
    assert msg.expires == 0


def test_bare_lf_line_ends() -> None:
    msg = parse_message(invite().replace(b"\r\n", b"\n"))
    assert msg.call_id == "3c2a8d1f6e@203.0.113.10"
    assert msg.sdp is not None and msg.sdp.media[0].port == 10000


def test_mixed_line_ends_find_the_blank_line() -> None:
    data = (
        crlf(
            "BYE sip:1001@203.0.113.10:5060 SIP/2.0\n"
            "Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKbye\n"
            "From: <sip:x@198.51.100.7>;tag=2\n"
            "To: <sip:1001@203.0.113.10>;tag=1\n"
            "Call-ID: mixed\n"
            "CSeq: 3 BYE"
        )
        + b"\n\r\nbody-not-headers: 1\r\n"
    )
    msg = parse_message(data)
    assert msg.cseq_method == "BYE"
    assert msg.body == b"body-not-headers: 1\r\n"
    assert msg.header("body-not-headers") is None


@pytest.mark.parametrize("prefix", [b"\r\n", b"\r\n\r\n", b"\n", b"\r\n  "])
def test_leading_keepalive_bytes_are_skipped(prefix: bytes) -> None:
    msg = parse_message(prefix + invite())
    assert msg.method == "INVITE"
    assert msg.raw.startswith(b"INVITE ")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\r\n\r\n", "keepalive"),
        (b"\r\n", "keepalive"),
        (b"\x00\x01\x00\x00\x21\x12\xa4\x42" + b"\x00" * 12, "not_sip"),  # STUN binding
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "not_sip"),
        (b"\x80\x00\x12\x34" + b"\x00" * 168, "not_sip"),  # RTP on the SIP port
        (b"INVITE SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n", "bad_start_line"),
        (b"SIP/2.0\r\n\r\n", "bad_status"),
        (b"SIP/2.0 99 Too Low\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n", "bad_status"),
        (b"SIP/2.0 700 Too High\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n", "bad_status"),
        (b"SIP/2.0 2000 OK\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n", "bad_status"),
        (b"SIP/2.0 abc OK\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n", "bad_status"),
        (b"SIP/3.0 200 OK\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n", "bad_version"),
        (b"OPTIONS sip:a@b SIP/1.0\r\nCall-ID: a\r\nCSeq: 1 OPTIONS\r\n\r\n", "bad_version"),
        (b"OPTIONS sip:a@b SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n", "no_call_id"),
        (b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID:\r\nCSeq: 1 OPTIONS\r\n\r\n", "no_call_id"),
        (b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: a\r\n\r\n", "no_cseq"),
        (b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: a\r\nCSeq: OPTIONS\r\n\r\n", "bad_cseq"),
        (b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: a\r\nCSeq: 1\r\n\r\n", "bad_cseq"),
        (b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: a\r\nCSeq: -1 OPTIONS\r\n\r\n", "bad_cseq"),
        (b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: a\r\nCSeq: 4294967296 OPTIONS\r\n\r\n", "bad_cseq"),
    ],
)
def test_broken_input_raises_with_a_stable_reason(data: bytes, reason: str) -> None:
    with pytest.raises(SipParseError) as caught:
        parse_message(data)
    assert caught.value.reason == reason


def test_cseq_at_the_top_of_its_range_is_accepted() -> None:
    data = b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: a\r\nCSeq: 4294967295 OPTIONS\r\n\r\n"
    assert parse_message(data).cseq == 2**32 - 1


def test_only_call_id_and_cseq_are_required() -> None:
    msg = parse_message(b"MESSAGE sip:a@b SIP/2.0\r\nCall-ID: bare\r\nCSeq: 5 MESSAGE\r\n")
    assert msg.from_ == NameAddr() and msg.to == NameAddr()
    assert msg.vias == () and msg.contacts == ()
    assert msg.content_length is None and msg.body == b""
    assert msg.user_agent == "" and msg.reason_header == ""


def test_unknown_method_token() -> None:
    data = b"FROBNICATE sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 FROBNICATE\r\n\r\n"
    msg = parse_message(data)
    assert msg.is_request and msg.method == "FROBNICATE" and msg.cseq_method == "FROBNICATE"


def test_body_follows_content_length() -> None:
    sdp_len = len(SDP_OFFER.replace("\n", "\r\n"))
    msg = parse_message(invite() + b"trailing junk after the declared body")
    assert len(msg.body) == sdp_len
    assert msg.raw.endswith(b"trailing junk after the declared body")


def test_content_length_larger_than_what_arrived_takes_what_is_there() -> None:
    data = re.sub(rb"Content-Length: \d+", b"Content-Length: 9999", invite())
    msg = parse_message(data)
    assert msg.content_length is not None and msg.content_length > len(msg.body)
    assert msg.body.startswith(b"v=0") and msg.body.endswith(b"a=sendrecv\r\n")


def test_no_content_length_takes_the_rest() -> None:
    head, _, body = invite().partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.startswith(b"Content-Length")]
    msg = parse_message(b"\r\n".join(lines) + b"\r\n\r\n" + body)
    assert msg.content_length is None
    assert msg.body == body
    assert msg.sdp is not None


@pytest.mark.parametrize("value", [b"-5", b"abc", b"", b"99999999999999999999"])
def test_unreadable_content_length_counts_as_absent(value: bytes) -> None:
    data = re.sub(rb"Content-Length: \d+", b"Content-Length: " + value, invite())
    msg = parse_message(data)
    assert msg.content_length is None
    assert msg.body.startswith(b"v=0")


def test_bad_bytes_in_headers_are_replaced_never_fatal() -> None:
    data = invite(extra="X-Note: caf\xe9\n").replace(b"caf\xc3\xa9", b"caf\xe9\xff\xfe")
    data = data.replace(b"DBL-GW 2.1", b"Evil\xff\x00\x1b[31mUA")
    msg = parse_message(data)
    assert msg.header("x-note") == "caf\ufffd\ufffd\ufffd"
    assert msg.user_agent == "Evil\ufffd\x00\x1b[31mUA"  # cleaning is text.clean()'s job


def test_expires_reason_and_min_se() -> None:
    data = crlf(
        "BYE sip:1001@203.0.113.10:5060 SIP/2.0\n"
        "Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKbye2\n"
        "From: <sip:0086138000111@198.51.100.7>;tag=gw-77aa\n"
        "To: <sip:1001@203.0.113.10>;tag=as5f3a9c1e\n"
        "Call-ID: 3c2a8d1f6e@203.0.113.10\n"
        "CSeq: 103 BYE\n"
        'Reason: Q.850;cause=16;text="Normal call clearing"\n'
        'Reason: SIP;cause=200;text="Call completed elsewhere"\n'
        "Expires: Thu, 01 Dec 1994 16:00:00 GMT\n"
        "Session-Expires: 90\n"
        "Min-SE: 90;lr\n"
        "Content-Length: 0\n"
        "\n"
    )
    msg = parse_message(data)
    assert msg.reason_header == (
        'Q.850;cause=16;text="Normal call clearing", SIP;cause=200;text="Call completed elsewhere"'
    )
    assert msg.expires is None  # the old date form is not a number of seconds
    assert msg.session_expires == 90 and msg.session_refresher == ""
    assert msg.min_se == 90


def test_multipart_body_finds_the_sdp_part() -> None:
    sdp = SDP_OFFER.replace("\n", "\r\n")
    body = (
        "--unique-boundary-1\r\n"
        "Content-Type: application/sdp\r\n"
        "\r\n"
        f"{sdp}\r\n"
        "--unique-boundary-1\r\n"
        "Content-Type: application/isup;version=itu-t92+\r\n"
        "Content-Disposition: signal;handling=optional\r\n"
        "\r\n"
        "\x01\x00\x49\x00\x00\x03\x02\x00\x07\x04\x10\x00\x33\x63\x21\x43\x00\r\n"
        "--unique-boundary-1--\r\n"
    )
    data = invite(body="").replace(
        b"Content-Type: application/sdp",
        b'Content-Type: multipart/mixed;boundary="unique-boundary-1"',
    )
    data = data.replace(
        b"Content-Length: 0", f"Content-Length: {len(body)}".encode()
    ) + body.encode("latin-1")
    msg = parse_message(data)
    assert msg.content_type == "multipart/mixed"
    assert msg.sdp is not None
    assert msg.sdp.media[0].codecs == ("G729", "PCMA", "PCMU", "telephone-event")
    assert msg.sdp.session_connection == "203.0.113.10"


def test_sdp_without_content_type_is_recognised_by_v0() -> None:
    data = invite().replace(b"Content-Type: application/sdp\r\n", b"")
    msg = parse_message(data)
    assert msg.content_type == ""
    assert msg.sdp is not None and msg.sdp.media[0].kind == "audio"


def test_other_bodies_are_not_read_as_sdp() -> None:
    data = invite(body="Signal=5\nDuration=160\n")
    data = data.replace(b"application/sdp", b"application/dtmf-relay")
    msg = parse_message(data)
    assert msg.sdp is None and msg.body == b"Signal=5\r\nDuration=160\r\n"


def test_header_block_over_64k_is_cut_not_buffered() -> None:
    filler = "".join(f"X-Pad-{i}: {'p' * 60}\n" for i in range(1200))  # ~85 KB, no blank line
    data = crlf(
        "OPTIONS sip:a@b SIP/2.0\nCall-ID: big\nCSeq: 1 OPTIONS\nVia: SIP/2.0/UDP 1.2.3.4\n"
        + filler
    )
    assert len(data) > parser.MAX_HEADER_BYTES
    msg = parse_message(data)
    assert msg.call_id == "big"
    assert len(msg.headers) < 1200  # only the first 64 KB were read
    assert msg.body == b""


def test_header_block_over_64k_without_call_id_says_so() -> None:
    filler = "".join(f"X-Pad-{i}: {'p' * 60}\n" for i in range(1200))
    data = crlf("OPTIONS sip:a@b SIP/2.0\n" + filler + "Call-ID: late\nCSeq: 1 OPTIONS\n")
    with pytest.raises(SipParseError) as caught:
        parse_message(data)
    assert caught.value.reason == "header_too_large"


def test_bytes_like_input_is_accepted() -> None:
    assert parse_message(bytearray(invite())).call_id == "3c2a8d1f6e@203.0.113.10"
    assert parse_message(memoryview(invite())).call_id == "3c2a8d1f6e@203.0.113.10"


# URIs


@pytest.mark.parametrize(
    ("text", "scheme", "user", "host", "port", "params"),
    [
        ("sip:1001@10.0.0.1", "sip", "1001", "10.0.0.1", 0, ()),
        ("SIP:1001@GW.Example.COM:5080", "sip", "1001", "gw.example.com", 5080, ()),
        (
            "sips:alice@example.com;transport=tls",
            "sips",
            "alice",
            "example.com",
            0,
            (("transport", "tls"),),
        ),
        ("sip:alice:secret@example.com", "sip", "alice", "example.com", 0, ()),
        ("sip:%2B8613800@gw;user=phone", "sip", "+8613800", "gw", 0, (("user", "phone"),)),
        ("sip:10.0.0.1:5060;lr", "sip", "", "10.0.0.1", 5060, (("lr", ""),)),
        (
            "sip:bob@[2001:db8::1]:5070;transport=udp",
            "sip",
            "bob",
            "2001:db8::1",
            5070,
            (("transport", "udp"),),
        ),
        ("sip:[2001:db8::10]", "sip", "", "2001:db8::10", 0, ()),
        ("sip:bob@example.com?subject=x&priority=urgent", "sip", "bob", "example.com", 0, ()),
        (
            "sip:bob@example.com;maddr=1.2.3.4?h=v",
            "sip",
            "bob",
            "example.com",
            0,
            (("maddr", "1.2.3.4"),),
        ),
        (
            "tel:+1-201-555-0123;phone-context=example.com",
            "tel",
            "+1-201-555-0123",
            "",
            0,
            (("phone-context", "example.com"),),
        ),
        ("urn:service:sos", "urn", "", "", 0, ()),
        ("1001@10.0.0.1:5060", "sip", "1001", "10.0.0.1", 5060, ()),
        ("sip:a@host:99999", "sip", "a", "host", 0, ()),
        ("sip:a@host:\u00b2", "sip", "a", "host", 0, ()),
    ],
)
def test_uri_forms(
    text: str, scheme: str, user: str, host: str, port: int, params: tuple[tuple[str, str], ...]
) -> None:
    uri = parse_uri(text)
    assert (uri.scheme, uri.user, uri.host, uri.port, uri.params) == (
        scheme,
        user,
        host,
        port,
        params,
    )
    assert uri.raw == text


# Name-addr forms


@pytest.mark.parametrize(
    ("text", "display", "uri_user", "params"),
    [
        ('"Alice" <sip:alice@a.example>;tag=1', "Alice", "alice", (("tag", "1"),)),
        ('"A \\"B\\" C" <sip:x@h>', 'A "B" C', "x", ()),
        ("Bob Smith <sip:bob@b.example>;tag=9;x", "Bob Smith", "bob", (("tag", "9"), ("x", ""))),
        ("<sip:carol@c.example;transport=tcp>;expires=30", "", "carol", (("expires", "30"),)),
        ("sip:dave@d.example;tag=5", "", "dave", (("tag", "5"),)),
        ('"sipvicious"<sip:100@1.1.1.1>; tag=6163', "sipvicious", "100", (("tag", "6163"),)),
        ("  <sip:e@e.example>  ", "", "e", ()),
        ("", "", "", ()),
    ],
)
def test_name_addr_forms(
    text: str, display: str, uri_user: str, params: tuple[tuple[str, str], ...]
) -> None:
    name_addr = parse_name_addr(text)
    assert (name_addr.display, name_addr.uri.user, name_addr.params) == (display, uri_user, params)


def test_tag_and_param_helpers() -> None:
    name_addr = parse_name_addr("<sip:a@b>;TAG=Abc;Expires=60")
    assert name_addr.tag == "Abc"  # names lower-cased, values kept
    assert name_addr.param("expires") == "60" and name_addr.param("q") is None


def test_via_with_ipv6_and_spaces() -> None:
    (via,) = parse_via_header(
        "SIP / 2.0 / UDP [2001:db8::9:1]:6050 ; branch = z9hG4bKas3 ; received=[2001:db8::9:255]"
    )
    assert via.transport == "UDP" and via.host == "2001:db8::9:1" and via.port == 6050
    assert via.branch == "z9hG4bKas3" and via.received == "2001:db8::9:255"


def test_fast_constructors_build_the_same_objects_as_the_dataclasses() -> None:
    # The parser builds its objects without their __init__ (speed) and leaves most of a
    # message's fields to be parsed on first read; the result must be indistinguishable
    # from the same message built field by field.
    msg = parse_message(invite())
    rebuilt = SipMessage(**msg.fields())
    assert rebuilt == msg
    assert rebuilt.top_via == msg.top_via == msg.vias[0]
    assert msg.replace(call_id="other").call_id == "other" and msg.call_id != "other"
    for cls, obj in ((Uri, msg.from_.uri), (NameAddr, msg.from_), (Via, msg.vias[0])):
        assert type(obj) is cls
        copy = cls(**{f.name: getattr(obj, f.name) for f in dataclasses.fields(cls)})  # type: ignore[arg-type]
        assert copy == obj
    with pytest.raises(dataclasses.FrozenInstanceError):
        msg.from_.uri.host = "changed"  # type: ignore[misc]


def test_lazy_fields_read_in_any_order_give_what_an_eager_parse_gives() -> None:
    # Each lazy field is worked out on its own from the headers; reading them in
    # another order (top Via before the Via list, the list first) changes nothing.
    data = invite()
    first, second = parse_message(data), parse_message(data)
    assert first.top_via == second.vias[0]
    assert first.vias == second.vias and second.top_via is second.vias[0]
    assert [getattr(first, name) for name in reversed(FIELDS)] == [
        getattr(second, name) for name in FIELDS
    ][::-1]


def test_a_parsed_message_survives_copy_and_pickle_before_its_fields_are_read() -> None:
    import copy
    import pickle

    data = invite()
    for clone in (copy.deepcopy, copy.copy, lambda m: pickle.loads(pickle.dumps(m))):
        assert clone(parse_message(data)) == parse_message(data)
        assert hash(clone(parse_message(data))) == hash(parse_message(data))
