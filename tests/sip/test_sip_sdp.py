"""SDP: media address, codecs, direction; codec naming, 488 helper, NAT helper."""

from __future__ import annotations

import pytest

from vostui.sip.addr import is_private
from vostui.sip.message import Media, Sdp
from vostui.sip.sdp import codec_name, common_codecs, is_hold, parse_sdp

OFFER = (
    "v=0\r\n"
    "o=VOS3000 8000 8001 IN IP4 203.0.113.10\r\n"
    "s=SIP Call\r\n"
    "c=IN IP4 203.0.113.10\r\n"
    "t=0 0\r\n"
    "m=audio 10000 RTP/AVP 18 8 0 101\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=fmtp:18 annexb=no\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n"
)


def test_offer_from_a_softswitch() -> None:
    sdp = parse_sdp(OFFER.encode())
    assert sdp.origin == "VOS3000 8000 8001 IN IP4 203.0.113.10"
    assert sdp.session_connection == "203.0.113.10"
    (audio,) = sdp.media
    assert audio == Media(
        kind="audio",
        port=10000,
        proto="RTP/AVP",
        payloads=(18, 8, 0, 101),
        connection="203.0.113.10",
        direction="sendrecv",
        rtpmap=(
            (18, "G729/8000"),
            (8, "PCMA/8000"),
            (0, "PCMU/8000"),
            (101, "telephone-event/8000"),
        ),
        fmtp=((18, "annexb=no"), (101, "0-15")),
    )
    assert audio.codecs == ("G729", "PCMA", "PCMU", "telephone-event")
    assert audio.telephone_event == 101


def test_str_and_bytes_give_the_same_result() -> None:
    assert parse_sdp(OFFER) == parse_sdp(OFFER.encode())


def test_bare_lf_and_stray_blanks() -> None:
    text = (
        OFFER.replace("\r\n", "\n")
        .replace("m=audio", "  m=audio")
        .replace("a=sendrecv", "a=sendrecv  ")
    )
    sdp = parse_sdp(text)
    assert sdp.media[0].port == 10000 and sdp.media[0].direction == "sendrecv"


def test_media_level_connection_wins_over_session_level() -> None:
    text = (
        "v=0\no=- 1 1 IN IP4 198.51.100.7\ns=-\nc=IN IP4 198.51.100.7\nt=0 0\n"
        "m=audio 20000 RTP/AVP 8\nc=IN IP4 192.168.1.50\n"
        "m=video 20002 RTP/AVP 96\na=rtpmap:96 H264/90000\n"
    )
    audio, video = parse_sdp(text).media
    assert audio.connection == "192.168.1.50"
    assert video.connection == "198.51.100.7"
    assert video.codecs == ("H264",)


def test_no_session_connection_and_multicast_ttl() -> None:
    text = "v=0\no=- 1 1 IN IP4 h\ns=-\nt=0 0\nm=audio 5004 RTP/AVP 0\nc=IN IP4 224.2.1.1/127/3\n"
    sdp = parse_sdp(text)
    assert sdp.session_connection == ""
    assert sdp.media[0].connection == "224.2.1.1"


def test_direction_session_default_and_media_override() -> None:
    text = (
        "v=0\no=- 1 2 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\na=sendonly\n"
        "m=audio 4000 RTP/AVP 0\n"
        "m=audio 4002 RTP/AVP 0\na=recvonly\n"
    )
    first, second = parse_sdp(text).media
    assert first.direction == "sendonly"
    assert second.direction == "recvonly"
    assert parse_sdp("v=0\nm=audio 1 RTP/AVP 0\n").media[0].direction == "sendrecv"


def test_t38_image_stream_has_no_payload_types() -> None:
    text = (
        "v=0\no=- 1 2 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\n"
        "m=image 5004 udptl t38\n"
        "a=T38FaxVersion:0\na=T38MaxBitRate:14400\na=T38FaxRateManagement:transferredTCF\n"
        "m=audio 0 RTP/AVP 8\n"
    )
    image, audio = parse_sdp(text).media
    assert (image.kind, image.port, image.proto, image.payloads) == ("image", 5004, "udptl", ())
    assert image.codecs == ()
    assert audio.port == 0  # refused stream, not a hold
    assert not is_hold(audio)


def test_srtp_and_webrtc_profiles_keep_payloads() -> None:
    text = "v=0\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0\na=rtpmap:111 opus/48000/2\n"
    (audio,) = parse_sdp(text).media
    assert audio.payloads == (111, 0) and audio.codecs == ("opus", "PCMU")


def test_port_count_and_junk_payloads() -> None:
    text = "v=0\nm=audio 49170/2 RTP/AVP 0 abc 9999 8\na=rtpmap:x PCMU\na=fmtp:\n"
    (audio,) = parse_sdp(text).media
    assert audio.port == 49170
    assert audio.payloads == (0, 8)
    assert audio.rtpmap == () and audio.fmtp == ()


def test_attributes_before_any_media_line_do_not_leak() -> None:
    text = "v=0\na=rtpmap:0 PCMU/8000\nm=audio 4000 RTP/AVP 0\n"
    assert parse_sdp(text).media[0].rtpmap == ()


@pytest.mark.parametrize(
    "body",
    [b"", b"\x00\xff\xfe", b"m=", b"m=audio", b"c=IN", b"a=rtpmap:", b"v=0\r\nm=\r\n", "ü=ö"],
)
def test_garbage_gives_an_empty_or_partial_sdp(body: bytes | str) -> None:
    assert isinstance(parse_sdp(body), Sdp)


@pytest.mark.parametrize(
    ("direction", "connection", "held"),
    [
        ("sendrecv", "10.0.0.1", False),
        ("sendonly", "10.0.0.1", True),
        ("inactive", "10.0.0.1", True),
        ("recvonly", "10.0.0.1", False),
        ("sendrecv", "0.0.0.0", True),
        ("sendrecv", "::", True),
    ],
)
def test_is_hold(direction: str, connection: str, held: bool) -> None:
    media = Media("audio", 4000, "RTP/AVP", (0,), connection, direction)
    assert is_hold(media) is held


@pytest.mark.parametrize(
    ("pt", "rtpmap", "name"),
    [
        (0, None, "PCMU"),
        (3, None, "GSM"),
        (4, None, "G723"),
        (8, None, "PCMA"),
        (9, None, "G722"),
        (13, None, "CN"),
        (18, None, "G729"),
        (18, "G729a/8000", "G729a"),
        (101, "telephone-event/8000", "telephone-event"),
        (111, "opus/48000/2", "opus"),
        (96, None, "pt96"),
        (8, "", "PCMA"),
        (8, "  /8000", "PCMA"),
    ],
)
def test_codec_name(pt: int, rtpmap: str | None, name: str) -> None:
    assert codec_name(pt, rtpmap) == name


def _audio(payloads: tuple[int, ...], rtpmap: tuple[tuple[int, str], ...] = ()) -> Media:
    return Media("audio", 4000, "RTP/AVP", payloads, "10.0.0.1", "sendrecv", rtpmap)


def test_common_codecs_in_answer_order_ignoring_dtmf_and_cn() -> None:
    offer = _audio((18, 8, 0, 13, 101), ((101, "telephone-event/8000"),))
    answer = _audio((0, 8, 101, 13), ((101, "telephone-event/8000"),))
    assert common_codecs(offer, answer) == ("PCMU", "PCMA")


def test_common_codecs_match_case_insensitively_across_payload_numbers() -> None:
    offer = _audio((97,), ((97, "OPUS/48000/2"),))
    answer = _audio((111,), ((111, "opus/48000/2"),))
    assert common_codecs(offer, answer) == ("opus",)


def test_no_common_codec_is_the_488_case() -> None:
    g729_only = _audio((18, 101), ((101, "telephone-event/8000"),))
    g711_only = _audio((8, 0, 101), ((101, "telephone-event/8000"),))
    assert common_codecs(g729_only, g711_only) == ()


@pytest.mark.parametrize(
    ("ip", "private"),
    [
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("172.31.255.254", True),
        ("172.32.0.1", False),
        ("192.168.100.20", True),
        ("100.64.0.1", True),
        ("100.127.255.255", True),
        ("100.128.0.1", False),
        ("169.254.10.10", True),
        ("127.0.0.1", True),
        ("8.8.8.8", False),
        ("203.0.113.10", False),
        ("fd12:3456::1", True),
        ("fc00::1", True),
        ("fe80::1%eth0", True),
        ("[fe80::1]", True),
        ("::1", True),
        ("::ffff:192.168.1.1", True),
        ("2001:4860::8888", False),
        ("pbx.example.com", False),
        ("", False),
        ("999.1.1.1", False),
    ],
)
def test_is_private(ip: str, private: bool) -> None:
    assert is_private(ip) is private
