"""Scanner signatures on the messages scanners really send."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.support import need_corpus
from vostui.sip.message import SipParseError
from vostui.sip.parser import parse_message
from vostui.sip.scanner import signatures


def request(
    ua: str | None = "Zoiper rev.6751",
    from_: str = '"111" <sip:111@pbx.example>;tag=a1',
    to: str = '"111" <sip:111@pbx.example>',
    contact: str = "<sip:111@192.0.2.50:5060>",
    method: str = "REGISTER",
) -> bytes:
    lines = [
        f"{method} sip:pbx.example SIP/2.0",
        "Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bK-1;rport",
        f"From: {from_}",
        f"To: {to}",
        f"Contact: {contact}",
        "Call-ID: 3999673782",
        f"CSeq: 1 {method}",
    ]
    if ua is not None:
        lines.append(f"User-Agent: {ua}")
    return ("\r\n".join([*lines, "Content-Length: 0", "", ""])).encode()


# svmap's OPTIONS as a honeypot logged it (acoustic corpus), byte for byte.
SVMAP_OPTIONS = (
    b"OPTIONS sip:100@198.51.100.7 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-2159139916;rport\r\n"
    b"Content-Length: 0\r\n"
    b'From: "sipvicious"<sip:100@1.1.1.1>; tag=X_removed\r\n'
    b"Accept: application/sdp\r\n"
    b"User-Agent: friendly-scanner\r\n"
    b'To: "sipvicious"<sip:100@1.1.1.1>\r\n'
    b"Contact: sip:100@127.0.0.1:5061\r\n"
    b"CSeq: 1 OPTIONS\r\n"
    b"Call-ID: 845752980453913316694142\r\n"
    b"Max-Forwards: 70\r\n"
    b"\r\n"
)

# svwar's REGISTER probe for extension 3428948518.
SVWAR_REGISTER = request(
    ua="friendly-scanner",
    from_='"3428948518"<sip:3428948518@198.51.100.7>; tag=X_removed',
    to='"3428948518"<sip:3428948518@198.51.100.7>',
    contact="sip:3428948518@198.51.100.7",
)


@pytest.mark.parametrize(
    ("ua", "expected"),
    [
        ("friendly-scanner", ("friendly-scanner",)),
        ("FRIENDLY-SCANNER", ("friendly-scanner",)),
        ("UNfriendly-scanner - for demo purposes", ("unfriendly-scanner",)),
        ("sipvicious", ("sipvicious",)),
        ("SIPVicious 0.3.4", ("sipvicious",)),
        ("sipcli/v1.8", ("sipcli",)),
        ("VaxSIPUserAgent/3.1", ("vaxsipuseragent",)),
        ("SIPScan", ("sipscan",)),
        ("sip-scan 2.0", ("sipscan",)),
        ("pplsip", ("pplsip",)),
        ("iWar", ("iwar",)),
        ("sundayddr", ("sundayddr",)),
        ("smap 0.6.0", ("smap",)),
        ("SiVuS", ("sivus",)),
        # Legitimate tools and look-alikes: not flagged.
        ("sipsak 0.9.6", ()),
        ("SIPp", ()),
        ("Ozeki VoIP SIP SDK v10.0", ()),
        ("PortSIP VoIP SDK 11.2", ()),
        ("Asterisk PBX 16.2.1", ()),
        ("Zoiper rev.6751", ()),
        ("bitsmapper 1.0", ()),
        ("Linphone/3.6.1 (eXosip2/4.1.0)", ()),
    ],
)
def test_user_agent_signatures(ua: str, expected: tuple[str, ...]) -> None:
    assert signatures(parse_message(request(ua=ua))) == expected


def test_svmap_options_from_the_honeypot() -> None:
    found = signatures(parse_message(SVMAP_OPTIONS))
    assert found == ("friendly-scanner", "sipvicious", "sipvicious-from")


def test_svmap_from_shape_is_caught_with_a_changed_user_agent() -> None:
    data = SVMAP_OPTIONS.replace(b"friendly-scanner", b"Mozilla/5.0").replace(
        b'"sipvicious"', b'"x"'
    )
    assert signatures(parse_message(data)) == ("sipvicious-from",)


def test_svwar_enumeration_shape() -> None:
    assert signatures(parse_message(SVWAR_REGISTER)) == ("friendly-scanner", "svwar-enum")
    disguised = SVWAR_REGISTER.replace(b"friendly-scanner", b"Yealink SIP-T46G 66.85.0.5")
    assert signatures(parse_message(disguised)) == ("svwar-enum",)


def test_phones_writing_display_equal_to_user_are_not_svwar() -> None:
    # Zoiper in the same honeypot log: a space before "<", as phones write it.
    assert signatures(parse_message(request())) == ()
    mismatch = request(from_='"100"<sip:100@pbx.example>;tag=1', to='"101"<sip:101@pbx.example>')
    assert signatures(parse_message(mismatch)) == ()


def test_svwar_shape_only_counts_on_requests() -> None:
    response = SVWAR_REGISTER.replace(
        b"REGISTER sip:pbx.example SIP/2.0", b"SIP/2.0 401 Unauthorized"
    )
    assert "svwar-enum" not in signatures(parse_message(response))


def test_sipvicious_default_contact() -> None:
    data = request(ua="Mozilla", contact="sip:123@1.1.1.1")
    assert signatures(parse_message(data)) == ("sipvicious-contact",)


def test_tool_names_in_from_to_contact() -> None:
    data = request(ua=None, from_='"sipcli" <sip:sipcli@10.0.0.1>;tag=1')
    assert signatures(parse_message(data)) == ("sipcli",)
    # Short names are only trusted in the User-Agent: "smap" may be a user.
    data = request(ua=None, to="<sip:smap@pbx.example>")
    assert signatures(parse_message(data)) == ()


def test_no_user_agent_no_headers() -> None:
    msg = parse_message(b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n")
    assert signatures(msg) == ()


def test_honeypot_log_from_the_corpus() -> None:
    """4,254 REGISTERs of svwar/svcrack ("friendly-scanner") and a Zoiper phone."""
    corpus = need_corpus()
    log = corpus / "TEXT_honeypot_log_svwar_svcrack_friendly-scanner__acoustic_log.txt"
    if not log.exists():
        pytest.skip(f"{log.name} is not in the corpus")
    by_ua: dict[str, Counter[tuple[str, ...]]] = {}
    for block in log.read_bytes().split(b"-------------------------"):
        start = block.find(b"Message:")
        if start < 0:
            continue
        try:
            msg = parse_message(block[start + len(b"Message:") :])
        except SipParseError:
            continue
        by_ua.setdefault(msg.user_agent, Counter())[signatures(msg)] += 1
    scanner = by_ua["friendly-scanner"]
    assert sum(scanner.values()) == 4248
    assert all("friendly-scanner" in found for found in scanner)
    assert scanner[("friendly-scanner", "svwar-enum")] > 1000
    assert scanner[("friendly-scanner", "sipvicious", "sipvicious-from")] == 1
    assert by_ua["Zoiper rev.6751"] == Counter({(): 18})


def test_the_written_out_keyword_test_matches_the_keyword_list() -> None:
    # `_has_keyword` spells out `_KEYWORDS` for speed: each keyword, alone in a text,
    # must pass it, and a text with none of them must not.
    from vostui.sip.scanner import _KEYWORDS, _has_keyword

    for keyword in _KEYWORDS:
        assert _has_keyword(f"x {keyword} y")
    assert not _has_keyword("linphone/5.2 (belle-sip) sipp 3.6")
