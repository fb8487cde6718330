"""RFC 4475 torture-test messages (and RFC 5118 IPv6 ones), with CRLF line ends.

Valid ones must parse with the right fields; invalid ones either raise with a stable
reason (when Call-ID, CSeq or the start line are broken) or parse best effort, as
parser.py documents. Message texts are the RFCs' (section numbers in the names).
"""

from __future__ import annotations

import pytest

from vostui.sip.message import SipParseError
from vostui.sip.parser import parse_message

SDP = (
    "v=0\n"
    "o=mhandley 29739 7272939 IN IP4 192.0.2.3\n"
    "s=-\n"
    "c=IN IP4 192.0.2.4\n"
    "t=0 0\n"
    "m=audio 49217 RTP/AVP 0 12\n"
    "m=video 3227 RTP/AVP 31\n"
    "a=rtpmap:31 LPC\n"
)


def wire(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


# 3.1.1.1 A Short Tortuous INVITE (wsinv)
WSINV = wire(
    "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\n"
    "TO :\n"
    " sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\n"
    'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>\n'
    "  ;\n"
    "  tag = 98asjd8\n"
    "MaX-fOrWaRdS: 0068\n"
    "Call-ID: wsinv.ndaksdj@192.0.2.1\n"
    "Content-Length   : 150\n"
    "cseq: 0009\n"
    "  INVITE\n"
    "Via  : SIP  /   2.0\n"
    " /UDP\n"
    "    192.0.2.2;branch=390skdjuw\n"
    "s :\n"
    "NewFangledHeader:   newfangled value\n"
    " continued newfangled value\n"
    "UnknownHeaderWithUnusualValue: ;;,,;;,;\n"
    "Content-Type: application/sdp\n"
    "Route:\n"
    " <sip:services.example.com;lr;unknownwith=value;unknown-no-value>\n"
    "v:  SIP  / 2.0  / TCP     spindle.example.com   ;\n"
    "  branch  =   z9hG4bK9ikj8  ,\n"
    " SIP  /    2.0   / UDP  192.168.255.111   ; branch=\n"
    " z9hG4bK30239\n"
    'm:"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =\n'
    "      newvalue ;\n"
    "  secondparam ; q = 0.33\n"
    "\n" + SDP
)


def test_wsinv_short_tortuous_invite() -> None:
    msg = parse_message(WSINV)
    assert msg.method == "INVITE"
    assert msg.request_uri is not None
    assert msg.request_uri.user == "vivekg"
    assert msg.request_uri.params == (("unknownparam", ""),)
    assert msg.to.uri.host == "chair-dnrc.example.com" and msg.to.tag == "1918181833n"
    assert msg.from_.display == 'J Rosenberg \\"'
    assert msg.from_.tag == "98asjd8" and msg.from_.uri.user == "jdrosen"
    assert msg.header("max-forwards") == "0068"
    assert (msg.cseq, msg.cseq_method) == (9, "INVITE")
    assert [(v.transport, v.host, v.branch) for v in msg.vias] == [
        ("UDP", "192.0.2.2", "390skdjuw"),
        ("TCP", "spindle.example.com", "z9hG4bK9ikj8"),
        ("UDP", "192.168.255.111", "z9hG4bK30239"),
    ]
    assert msg.header("subject") == ""
    assert msg.header("newfangledheader") == "newfangled value continued newfangled value"
    assert msg.header("unknownheaderwithunusualvalue") == ";;,,;;,;"
    (contact,) = msg.contacts
    assert contact.display == 'Quoted string ""'
    assert contact.params == (("newparam", "newvalue"), ("secondparam", ""), ("q", "0.33"))
    assert msg.content_length == 150
    assert msg.sdp is not None
    assert [m.kind for m in msg.sdp.media] == ["audio", "video"]
    assert msg.sdp.media[1].codecs == ("LPC",)


# 3.1.1.2 Wide Range of Valid Characters (intmeth)
INTMETH = (
    b"!interesting-Method0123456789_*+`.%indeed'~ "
    b"sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too."
    b"(doesn't-it)@example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~\r\n"
    b'To: "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" '
    b"<sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>\r\n"
    b"From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;"
    b"fromParam''~+*_!.-%=\"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd1\x8e\xd1\x89"
    b"\xd0\xb8\xd0\xb9\";tag=_token~1'+`*%!-.\r\n"
    b"Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\r\n"
    b"CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~\r\n"
    b"Max-Forwards: 255\r\n"
    b"extensionHeader-!.%*+_`'~:\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb\r\n"
    b"Content-Length: 0\r\n"
    b"\r\n"
)


def test_intmeth_wide_range_of_characters() -> None:
    msg = parse_message(INTMETH)
    assert msg.method == "!interesting-Method0123456789_*+`.%indeed'~"
    assert msg.cseq_method == msg.method and msg.cseq == 139122385
    assert msg.request_uri is not None
    assert msg.request_uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert msg.request_uri.host == "example.com"
    assert msg.to.display == "BEL:\x07 NUL:\x00 DEL:\x7f"
    assert msg.to.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert msg.from_.display == "token1~` token2'+_ token3*%!.-"
    assert msg.from_.tag == "_token~1'+`*%!-."
    assert msg.from_.param("fromparam''~+*_!.-%") == "работающий"
    assert msg.call_id == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    assert msg.vias[0].branch == "z9hG4bK-.!%66*_+`'~"
    assert msg.header("extensionheader-!.%*+_`'~") == "\ufeff大停電"


# 3.1.1.3 Valid Use of the % Escaping Mechanism (esc01)
ESC01 = wire(
    "INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0\n"
    "To: sip:%75se%72@example.com\n"
    "From: <sip:I%20have%20spaces@example.net>;tag=938\n"
    "Max-Forwards: 87\n"
    "i: esc01.239409asdfakjkn23onasd0-3234\n"
    "CSeq: 234234 INVITE\n"
    "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw\n"
    "C: application/sdp\n"
    "Contact:\n"
    "  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>\n"
    "Content-Length: 150\n"
    "\n" + SDP
)


def test_esc01_escaped_user_parts() -> None:
    msg = parse_message(ESC01)
    assert msg.request_uri is not None
    assert msg.request_uri.user == "sips:user@example.com"
    assert msg.request_uri.host == "example.net"
    assert msg.to.uri.user == "user"
    assert msg.from_.uri.user == "I have spaces"
    assert msg.call_id == "esc01.239409asdfakjkn23onasd0-3234"
    assert msg.content_type == "application/sdp"
    (contact,) = msg.contacts
    assert contact.uri.user == "caller"
    assert contact.uri.params == (("%6c%72", ""), ("n%61me", "v%61lue%25%34%31"))


# 3.1.1.4 Escaped Nulls in URIs (escnull)
ESCNULL = wire(
    "REGISTER sip:example.com SIP/2.0\n"
    "To: sip:null-%00-null@example.com\n"
    "From: sip:null-%00-null@example.com;tag=839923423\n"
    "Max-Forwards: 70\n"
    "Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd\n"
    "CSeq: 14398234 REGISTER\n"
    "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw\n"
    "Contact: <sip:%00@host5.example.com>\n"
    "Contact: <sip:%00%00@host5.example.com>\n"
    "L:0\n"
    "\n"
)


def test_escnull_escaped_nulls() -> None:
    msg = parse_message(ESCNULL)
    assert msg.to.uri.user == "null-\x00-null"
    assert msg.from_.tag == "839923423"
    assert [c.uri.user for c in msg.contacts] == ["\x00", "\x00\x00"]
    assert msg.content_length == 0


# 3.1.1.5 Use of % When It Is Not an Escape (esc02)
ESC02 = wire(
    "RE%47IST%45R sip:registrar.example.com SIP/2.0\n"
    'To: "%Z%45" <sip:resource@example.com>\n'
    'From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj23\n'
    "Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf\n"
    "Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234\n"
    "CSeq: 29344 RE%47IST%45R\n"
    "Max-Forwards: 70\n"
    "Contact: <sip:alias1@host1.example.com>\n"
    "C%6Fntact: <sip:alias2@host2.example.com>\n"
    "Contact: <sip:alias3@host3.example.com>\n"
    "l: 0\n"
    "\n"
)


def test_esc02_percent_outside_uris_is_literal() -> None:
    msg = parse_message(ESC02)
    assert msg.method == "RE%47IST%45R"  # not REGISTER
    assert msg.to.display == "%Z%45"
    assert [c.uri.user for c in msg.contacts] == ["alias1", "alias3"]
    assert msg.header("c%6fntact") == "<sip:alias2@host2.example.com>"


# 3.1.1.6 Message with No LWS between Display Name and < (lwsdisp)
LWSDISP = wire(
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: caller<sip:caller@example.com>;tag=323\n"
    "Max-Forwards: 70\n"
    "Call-ID: lwsdisp.1234abcd@funky.example.com\n"
    "CSeq: 60 OPTIONS\n"
    "Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw\n"
    "l: 0\n"
    "\n"
)


def test_lwsdisp_display_name_without_space() -> None:
    msg = parse_message(LWSDISP)
    assert msg.from_.display == "caller" and msg.from_.tag == "323"


# 3.1.1.7 Long Values in Header Fields (longreq), shortened: 34 Via hops, all spellings
LONGREQ = wire(
    "INVITE sip:user@example.com SIP/2.0\n"
    'To: "I have a user name of ' + "extreme" * 10 + ' proportion"'
    "<sip:user@example.com:6000;unknownparam1=very" + "long" * 20 + "value>\n"
    "F: sip:" + "amazinglylongcallername" * 5 + "@example.net;tag=" + "1298" * 40 + "\n"
    "Call-ID: longreq.one" + "really" * 20 + "longcallid\n"
    "CSeq: 3882340 INVITE\n"
    + "".join(
        f"{name}: SIP/2.0/TCP sip{n}.example.com\n"
        for n, name in zip(
            range(33, 16, -1),
            [
                *("Via", "v", "V", "Via", "ViA", "VIa", "VIA", "via", "viA", "vIa", "vIA"),
                *("V ", "v ", "V  ", "v  ", "Via ", "Via  "),
            ],
            strict=True,
        )
    )
    + "".join(f"Via: SIP/2.0/TCP sip{n}.example.com\n" for n in range(16, 0, -1))
    + "Via: SIP/2.0/TCP host.example.com;received=192.0.2.5;branch=very"
    + "long" * 50
    + "branchvalue\n"
    "Max-Forwards: 70\n"
    "Contact: <sip:" + "amazinglylongcallername" * 5 + "@host5.example.net>\n"
    "Content-Type: application/sdp\n"
    "l: 150\n"
    "\n" + SDP
)


def test_longreq_many_vias_in_every_spelling() -> None:
    msg = parse_message(LONGREQ)
    assert len(msg.vias) == 34
    assert msg.vias[0].host == "sip33.example.com"
    assert msg.vias[-1].received == "192.0.2.5"
    assert msg.from_.tag == "1298" * 40
    assert msg.to.uri.port == 6000
    assert msg.sdp is not None


# 3.1.1.8 Extra Trailing Octets in a UDP Datagram (dblreq)
DBLREQ = wire(
    "REGISTER sip:example.com SIP/2.0\n"
    "To: sip:j.user@example.com\n"
    "From: sip:j.user@example.com;tag=43251j3j324\n"
    "Max-Forwards: 8\n"
    "I: dblreq.0ha0isndaksdj99sdfafnl3lk233412\n"
    "Contact: sip:j.user@host.example.com\n"
    "CSeq: 8 REGISTER\n"
    "Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492\n"
    "Content-Length: 0\n"
    "\n"
    "INVITE sip:joe@example.com SIP/2.0\n"
    "t: sip:joe@example.com\n"
    "From: sip:caller@example.net;tag=141334\n"
    "Max-Forwards: 8\n"
    "Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15\n"
    "CSeq: 8 INVITE\n"
    "Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234\n"
    "Content-Type: application/sdp\n"
    "Content-Length: 150\n"
    "\n" + SDP
)


def test_dblreq_trailing_octets_are_not_the_body() -> None:
    msg = parse_message(DBLREQ)
    assert msg.method == "REGISTER" and msg.body == b"" and msg.sdp is None
    assert msg.call_id == "dblreq.0ha0isndaksdj99sdfafnl3lk233412"


# 3.1.1.9 Semicolon-Separated Parameters in URI User Part (semiuri)
SEMIURI = wire(
    "OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0\n"
    "To: sip:j_user@example.com\n"
    "From: sip:caller@example.org;tag=33242\n"
    "Max-Forwards: 3\n"
    "Call-ID: semiuri.0ha0isndaksdj\n"
    "CSeq: 8 OPTIONS\n"
    "Accept: application/sdp, application/pkcs7-mime,\n"
    "        multipart/mixed, multipart/signed,\n"
    "        message/sip, message/sipfrag\n"
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw\n"
    "l: 0\n"
    "\n"
)


def test_semiuri_user_part_with_semicolon() -> None:
    msg = parse_message(SEMIURI)
    assert msg.request_uri is not None
    assert msg.request_uri.user == "user;par=u@example.net"
    assert msg.request_uri.host == "example.com" and msg.request_uri.params == ()
    assert msg.header("accept") == (
        "application/sdp, application/pkcs7-mime, multipart/mixed, multipart/signed, "
        "message/sip, message/sipfrag"
    )


# 3.1.1.10 Varied and Unknown Transport Types (transports)
TRANSPORTS = wire(
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: <sip:caller@example.com>;tag=323\n"
    "Max-Forwards: 70\n"
    "Call-ID:  transports.kijh4akdnaqjkwendsasfdj\n"
    "Accept: application/sdp\n"
    "CSeq: 60 OPTIONS\n"
    "Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw\n"
    "Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf\n"
    "Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj\n"
    "Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en\n"
    "Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee\n"
    "l: 0\n"
    "\n"
)


def test_transports() -> None:
    msg = parse_message(TRANSPORTS)
    assert [v.transport for v in msg.vias] == ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]
    assert msg.call_id == "transports.kijh4akdnaqjkwendsasfdj"


# 3.1.1.11 Multipart MIME Message (mpart01), body shortened
MPART01 = wire(
    "MESSAGE sip:kumiko@example.org SIP/2.0\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport\n"
    "Max-Forwards: 70\n"
    "Route: <sip:127.0.0.1:5080>\n"
    "Identity: r5mwreLuyDRYBi/0TiPwEsY3rEVsk/G2WxhgTV1PF7hHuLIK0YWVKZhKv9Mj8UeXqkMVbnVq37CD+813gv"
    "YjcBUaZngQmXc9WNZSDNGCzA+fWl9MEUHWIZo1CeJebdY/XlgKeTa0Olvq0rt70Q5jiSfbqMJmQFteeivUhkMWYUA=\n"
    "Contact: <sip:fluffy@127.0.0.1:5070>\n"
    "To: <sip:kumiko@example.org>\n"
    "From: <sip:fluffy@example.com>;tag=2fb0dcc9\n"
    "Call-ID: 3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..\n"
    "CSeq: 1 MESSAGE\n"
    "Content-Transfer-Encoding: binary\n"
    'Content-Type: multipart/mixed;boundary="7a9cbec02ceef655"\n'
    "Date: Sat, 15 Oct 2005 04:44:56 GMT\n"
    "User-Agent: SIPimp.org/0.2.5 (curses)\n"
    "Content-Length: 553\n"
    "\n"
    "--7a9cbec02ceef655\n"
    "Content-Type: text/plain\n"
    "Content-Transfer-Encoding: binary\n"
    "\n"
    "Hello\n"
    "--7a9cbec02ceef655\n"
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: binary\n"
    "\n"
    "0R\x1b\x06\t*\x86H\x86\xf7\r\x01\x07\x02\n"
    "--7a9cbec02ceef655--\n"
)


def test_mpart01_multipart_without_sdp() -> None:
    msg = parse_message(MPART01)
    assert msg.content_type == "multipart/mixed"
    assert msg.sdp is None
    assert msg.user_agent == "SIPimp.org/0.2.5 (curses)"
    assert (
        msg.header(
            "identity",
        )
        is not None
    )


# 3.1.1.12 Unusual Reason Phrase (unreason)
UNREASON = wire(
    "SIP/2.0 200 = 2**3 * 5**2 но сто девяносто девять - простое\n"
    "Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923\n"
    "Call-ID: unreason.1234ksdfak3j2erwedfsASdf\n"
    "CSeq: 35 INVITE\n"
    "From: sip:user@example.com;tag=11141343\n"
    "To: sip:user@example.edu;tag=2229\n"
    "Content-Length: 154\n"
    "Content-Type: application/sdp\n"
    "Contact: <sip:user@host198.example.com>\n"
    "\n" + SDP
)


def test_unreason_utf8_reason_phrase() -> None:
    msg = parse_message(UNREASON)
    assert msg.status == 200
    assert msg.reason == "= 2**3 * 5**2 но сто девяносто девять - простое"
    assert msg.label == "200 = 2**3 * 5**2 но сто девяносто девять - простое"


# 3.1.1.13 Empty Reason Phrase (noreason)
NOREASON = wire(
    "SIP/2.0 100 \n"
    "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe\n"
    "Call-ID: noreason.asndj203insdf99223ndf\n"
    "CSeq: 35 INVITE\n"
    "From: <sip:user@example.com>;tag=39ansfi3\n"
    "To: <sip:user@example.edu>;tag=902jndnke3\n"
    "Content-Length: 0\n"
    "Contact: <sip:user@host105.example.com>\n"
    "\n"
)


def test_noreason_empty_reason_phrase() -> None:
    msg = parse_message(NOREASON)
    assert (msg.status, msg.reason, msg.label) == (100, "", "100")


# 3.1.2.2 Content Length Larger Than Message (clerr)
CLERR = wire(
    "INVITE sip:user@example.com SIP/2.0\n"
    "Max-Forwards: 80\n"
    "To: sip:j.user@example.com\n"
    "From: sip:caller@example.net;tag=93942939o2\n"
    "Contact: <sip:caller@hungry.example.net>\n"
    "Call-ID: clerr.0ha0isndaksdjweiafasdk3\n"
    "CSeq: 8 INVITE\n"
    "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523\n"
    "Content-Type: application/sdp\n"
    "Content-Length: 9999\n"
    "\n" + SDP
)


def test_clerr_content_length_larger_than_message() -> None:
    msg = parse_message(CLERR)
    assert msg.content_length == 9999
    assert msg.body == wire(SDP)
    assert msg.sdp is not None and len(msg.sdp.media) == 2


# 3.1.2.3 Negative Content-Length (ncl)
NCL = CLERR.replace(b"Content-Length: 9999", b"Content-Length: -999")


def test_ncl_negative_content_length_is_treated_as_absent() -> None:
    msg = parse_message(NCL)
    assert msg.content_length is None and msg.body == wire(SDP)


# 3.1.2.4 Request Scalar Fields with Overlarge Values (scalar02)
SCALAR02 = wire(
    "REGISTER sip:example.com SIP/2.0\n"
    "Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3\n"
    "To: <sip:user@example.com>\n"
    "From: <sip:user@example.com>;tag=239232jh3\n"
    "CSeq: 36893488147419103232 REGISTER\n"
    "Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32\n"
    "Max-Forwards: 300\n"
    "Expires: 1" + "0" * 100 + "\n"
    "Contact: <sip:user@host129.example.com>\n"
    "  ;expires=280297596632815\n"
    "Content-Length: 0\n"
    "\n"
)

# 3.1.2.5 Response Scalar Fields with Overlarge Values (scalarlg)
SCALARLG = wire(
    "SIP/2.0 503 Service Unavailable\n"
    "Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bKzzxdiwo34sw;received=192.0.2.129\n"
    "To: <sip:user@example.com>\n"
    "From: <sip:other@example.net>;tag=2easdjfejw\n"
    "CSeq: 9292394834772304023312 OPTIONS\n"
    "Call-ID: scalarlg.noase0of0234hn2qofoaf0232aewf2394r\n"
    "Retry-After: 949302838503028349304023988\n"
    'Warning: 1812 overture "In Progress"\n'
    "Content-Length: 0\n"
    "\n"
)

# 3.1.2.6 Unterminated Quoted String in Display Name (quotbal)
QUOTBAL = wire(
    "INVITE sip:user@example.com SIP/2.0\n"
    'To: "Mr. J. User <sip:j.user@example.com>\n'
    "From: sip:caller@example.net;tag=93334\n"
    "Max-Forwards: 10\n"
    "Call-ID: quotbal.aksdj\n"
    "Contact: <sip:caller@host59.example.net>\n"
    "CSeq: 8 INVITE\n"
    "Via: SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39234\n"
    "Content-Type: application/sdp\n"
    "Content-Length: 152\n"
    "\n" + SDP
)

# 3.1.2.7 <> Enclosing Request-URI (ltgtruri)
LTGTRURI = wire(
    "INVITE <sip:user@example.com> SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:caller@example.net;tag=39291\n"
    "Max-Forwards: 23\n"
    "Call-ID: ltgtruri.1@192.0.2.5\n"
    "CSeq: 1 INVITE\n"
    "Via: SIP/2.0/UDP 192.0.2.5\n"
    "Contact: <sip:caller@host5.example.net>\n"
    "Content-Type: application/sdp\n"
    "Content-Length: 159\n"
    "\n" + SDP
)

# 3.1.2.9 Multiple SP Separating Request-Line Elements (lwsstart)
LWSSTART = wire(
    "INVITE  sip:user@example.com  SIP/2.0\n"
    "Max-Forwards: 8\n"
    "To: sip:user@example.com\n"
    "From: sip:caller@example.net;tag=8814\n"
    "Call-ID: lwsstart.dfknq234oi243099adsdfnawe3@example.com\n"
    "CSeq: 1893884 INVITE\n"
    "Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw3923\n"
    "Contact: <sip:caller@host1.example.net>\n"
    "Content-Type: application/sdp\n"
    "Content-Length: 150\n"
    "\n" + SDP
)

# 3.1.2.11 Escaped Headers in SIP Request-URI (escruri)
ESCRURI = wire(
    "INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:caller@example.net;tag=341518\n"
    "Max-Forwards: 7\n"
    "Contact: <sip:caller@host39923.example.net>\n"
    "Call-ID: escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n5\n"
    "CSeq: 149209342 INVITE\n"
    "Via: SIP/2.0/UDP host-of-the-hour.example.com;branch=z9hG4bKkdjuw\n"
    "Content-Type: application/sdp\n"
    "Content-Length: 150\n"
    "\n" + SDP
)

# 3.1.2.15 Non-token Characters in Display Name (baddn)
BADDN = wire(
    "OPTIONS sip:t.watson@example.org SIP/2.0\n"
    "Via:     SIP/2.0/UDP c.example.com:5060;branch=z9hG4bKkdjuw\n"
    "Max-Forwards:      70\n"
    "From:    Bell, Alexander <sip:a.g.bell@example.com>;tag=43\n"
    "To:      Watson, Thomas <sip:t.watson@example.org>\n"
    "Call-ID: baddn.31415@c.example.com\n"
    "Accept: application/sdp\n"
    "CSeq:    3923239 OPTIONS\n"
    "l: 0\n"
    "\n"
)

# 3.1.2.16 Unknown Protocol Version (badvers)
BADVERS = wire(
    "OPTIONS sip:t.watson@example.org SIP/7.0\n"
    "Via:     SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw\n"
    "Max-Forwards:     70\n"
    "From:    A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe\n"
    "To:      T. Watson <sip:t.watson@example.org>\n"
    "Call-ID: badvers.31417@c.example.com\n"
    "CSeq:    1 OPTIONS\n"
    "l: 0\n"
    "\n"
)

# 3.1.2.17 Start Line and CSeq Method Mismatch (mismatch01)
MISMATCH01 = wire(
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "To: sip:j.user@example.com\n"
    "From: sip:caller@example.net;tag=34525\n"
    "Max-Forwards: 6\n"
    "Call-ID: mismatch01.dj0234sxdfl3\n"
    "CSeq: 8 INVITE\n"
    "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw\n"
    "l: 0\n"
    "\n"
)

# 3.1.2.19 Overlarge Response Code (bigcode)
BIGCODE = wire(
    "SIP/2.0 4294967301 better not break the receiver\n"
    "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe\n"
    "Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3ehjasdfas9i\n"
    "CSeq: 353494 INVITE\n"
    "From: <sip:user@example.com>;tag=39ansfi3\n"
    "To: <sip:user@example.edu>;tag=902jndnke3\n"
    "Content-Length: 0\n"
    "Contact: <sip:user@host105.example.com>\n"
    "\n"
)

# 3.3.1 Missing Required Header Fields (insuf)
INSUF = wire(
    "INVITE sip:user@example.com SIP/2.0\n"
    "CSeq: 193942 INVITE\n"
    "Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf\n"
    "Content-Type: application/sdp\n"
    "l: 152\n"
    "\n" + SDP
)

# 3.1.2.1 Extraneous Header Field Separators (badinv01)
BADINV01 = wire(
    "INVITE sip:user@example.com SIP/2.0\n"
    "To: sip:j.user@example.com\n"
    "From: sip:caller@example.net;tag=134161461246\n"
    "Max-Forwards: 7\n"
    "Call-ID: badinv01.0ha0isndaksdjasdf3234nas\n"
    "CSeq: 8 INVITE\n"
    "Via: SIP/2.0/UDP 192.0.2.15;;,;,,\n"
    'Contact: "Joe" <sip:joe@example.org>;;;;\n'
    "Content-Length: 152\n"
    "Content-Type: application/sdp\n"
    "\n" + SDP
)

# 3.3.15 Unacceptable Accept Offering, 3.4.x: a 2543-style INVITE without
# Content-Length or branch (inv2543)
INV2543 = wire(
    "INVITE sip:UserB@example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP iftgw.example.com\n"
    "From: <sip:+13035551111@ift.client.example.net;user=phone>\n"
    "Record-Route: <sip:UserB@example.com;maddr=ss1.example.com>\n"
    "To: sip:+16505552222@ss1.example.net;user=phone\n"
    "Call-ID: inv2543.1717@ift.client.example.com\n"
    "CSeq: 56 INVITE\n"
    "Content-Type: application/sdp\n"
    "\n"
    "v=0\n"
    "o=mhandley 29739 7272939 IN IP4 192.0.2.5\n"
    "s=-\n"
    "c=IN IP4 192.0.2.5\n"
    "t=0 0\n"
    "m=audio 49217 RTP/AVP 0\n"
)

# 3.3.x Unknown schemes (unkscm, novelsc, unksm2)
UNKSCM = wire(
    "OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:caller@example.net;tag=384\n"
    "Max-Forwards: 3\n"
    "Call-ID: unkscm.nasdfasser0q239nwsdfasdkl34\n"
    "CSeq: 3923423 OPTIONS\n"
    "Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234\n"
    "Content-Length: 0\n"
    "\n"
)
NOVELSC = UNKSCM.replace(
    b"nobodyKnowsThisScheme:totallyopaquecontent", b"soap.beep://192.0.2.103:3002"
)
UNKSM2 = wire(
    "REGISTER sip:example.com SIP/2.0\n"
    "To: isbn:2983792873\n"
    "From: <http://www.example.com>;tag=3234233\n"
    "Call-ID: unksm2.daksdj@hyphenated-host.example.com\n"
    "CSeq: 234902 REGISTER\n"
    "Max-Forwards: 70\n"
    "Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKkdjuw\n"
    "Contact: <name:John_Smith>\n"
    "l: 0\n"
    "\n"
)

# 3.1.2.14 / mcl01: Multiple Content-Length values
MCL01 = wire(
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK293423\n"
    "To: sip:user@example.com\n"
    "From: sip:other@example.net;tag=3923942\n"
    "Call-ID: mcl01.fhn2323orihawfdoa3o4r52o3irsdf\n"
    "CSeq: 15932 OPTIONS\n"
    "Content-Length: 13\n"
    "Max-Forwards: 60\n"
    "Content-Length: 5\n"
    "Content-Type: text/plain\n"
    "\n"
    "There's no way to know how many octets are supposed to be here.\n"
)

# 3.1.2.18 Multiple Values in Single Value Required Fields (multi01)
MULTI01 = wire(
    "INVITE sip:user@company.com SIP/2.0\n"
    "Contact: <sip:caller@host25.example.net>\n"
    "Via: SIP/2.0/UDP 192.0.2.25;branch=z9hG4bKkdjuw\n"
    "Max-Forwards: 70\n"
    "CSeq: 5 INVITE\n"
    "Call-ID: multi01.98asdh@192.0.2.1\n"
    "CSeq: 59 INVITE\n"
    "Call-ID: multi01.98asdh@192.0.2.2\n"
    "From: sip:caller@example.com;tag=3413415\n"
    "To: sip:user@example.com\n"
    "To: sip:other@example.net\n"
    "From: sip:caller@example.net;tag=2923420123\n"
    "Content-Type: application/sdp\n"
    "l: 154\n"
    "Contact: <sip:caller@host36.example.net>\n"
    "Max-Forwards: 5\n"
    "\n" + SDP
)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (SCALAR02, "bad_cseq"),
        (SCALARLG, "bad_cseq"),
        (BADVERS, "bad_version"),
        (BIGCODE, "bad_status"),
        (INSUF, "no_call_id"),
        (wire("INVITE sip:alan@jasomi.com\nCall-ID: test2\nCSeq: 1 INVITE\n\n"), "not_sip"),
    ],
    ids=["scalar02", "scalarlg", "badvers", "bigcode", "insuf", "no-version"],
)
def test_invalid_messages_raise_with_reason(data: bytes, reason: str) -> None:
    with pytest.raises(SipParseError) as caught:
        parse_message(data)
    assert caught.value.reason == reason


def test_quotbal_unterminated_quote_is_best_effort() -> None:
    msg = parse_message(QUOTBAL)
    assert msg.call_id == "quotbal.aksdj"
    assert msg.to.display.startswith("Mr. J. User")


def test_ltgtruri_and_lwsstart_request_lines() -> None:
    for data in (LTGTRURI, LWSSTART):
        msg = parse_message(data)
        assert msg.request_uri is not None
        assert (msg.request_uri.user, msg.request_uri.host) == ("user", "example.com")


def test_escruri_headers_in_request_uri_are_dropped() -> None:
    msg = parse_message(ESCRURI)
    assert msg.request_uri is not None
    assert msg.request_uri.host == "example.com" and msg.request_uri.params == ()


def test_baddn_unquoted_display_names_with_commas() -> None:
    msg = parse_message(BADDN)
    assert msg.from_.display == "Bell, Alexander" and msg.from_.tag == "43"
    assert msg.to.display == "Watson, Thomas"


def test_mismatch01_keeps_both_methods() -> None:
    msg = parse_message(MISMATCH01)
    assert (msg.method, msg.cseq_method) == ("OPTIONS", "INVITE")


def test_badinv01_empty_separators() -> None:
    msg = parse_message(BADINV01)
    assert [v.host for v in msg.vias] == ["192.0.2.15"]
    assert msg.contacts[0].display == "Joe" and msg.contacts[0].params == ()


def test_inv2543_no_content_length_no_branch() -> None:
    msg = parse_message(INV2543)
    assert msg.content_length is None and msg.vias[0].branch == ""
    assert msg.to.uri.user == "+16505552222" and msg.to.param("user") == "phone"
    assert msg.from_.uri.params == (("user", "phone"),)
    assert msg.sdp is not None and msg.sdp.media[0].payloads == (0,)


def test_unknown_uri_schemes() -> None:
    unkscm = parse_message(UNKSCM).request_uri
    assert unkscm is not None and unkscm.scheme == "nobodyknowsthisscheme"
    novelsc = parse_message(NOVELSC).request_uri
    assert novelsc is not None and novelsc.scheme == "soap.beep"
    assert novelsc.raw == "soap.beep://192.0.2.103:3002"
    msg = parse_message(UNKSM2)
    assert msg.to.uri.scheme == "isbn" and msg.from_.uri.scheme == "http"
    assert msg.contacts[0].uri.scheme == "name"


def test_mcl01_first_content_length_wins() -> None:
    msg = parse_message(MCL01)
    assert msg.content_length == 13 and msg.body == b"There's no wa"


def test_multi01_first_value_of_single_headers_wins() -> None:
    msg = parse_message(MULTI01)
    assert msg.call_id == "multi01.98asdh@192.0.2.1" and msg.cseq == 5
    assert msg.from_.tag == "3413415" and msg.to.uri.user == "user"
    assert len(msg.contacts) == 2


# RFC 5118 IPv6 torture tests
IPV6_GOOD = wire(
    "REGISTER sip:[2001:db8::10] SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:user@example.com;tag=81x2\n"
    "Via: SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111;received=[2001:db8::9:255]\n"
    "Call-ID: SSG9559905523997077@hlau_4100\n"
    "Max-Forwards: 70\n"
    'Contact: "Caller" <sip:caller@[2001:db8::1]>\n'
    "CSeq: 98176 REGISTER\n"
    "Content-Length: 0\n"
    "\n"
)
# Port inside the brackets: a known bug pattern; the "host" keeps it.
IPV6_BUG = IPV6_GOOD.replace(b"sip:[2001:db8::10]", b"sip:[2001:db8::10:5070]")


def test_ipv6_hosts() -> None:
    msg = parse_message(IPV6_GOOD)
    assert msg.request_uri is not None and msg.request_uri.host == "2001:db8::10"
    via = msg.vias[0]
    assert (via.host, via.port, via.received) == ("2001:db8::9:1", 6050, "2001:db8::9:255")
    assert msg.contacts[0].uri.host == "2001:db8::1"
    bug = parse_message(IPV6_BUG).request_uri
    assert bug is not None and bug.host == "2001:db8::10:5070" and bug.port == 0
