"""Every public capture: as many SIP messages as tshark 4.0 finds (counted with
`tshark -r FILE -Y sip`), and no malformed packet that tshark does not also flag."""

from __future__ import annotations

import pytest
from netbuild import corpus_file

from vostui.net import Decoder, iter_datagrams

TSHARK_SIP = {
    "sip_407_proxy_auth_options_call_rtp_rtcp__rtp_conversacion.pcap": 12,
    "sip_asterisk_register401_subscribe_options_404_call_rtcp__Asterisk_ZFONE_XLITE.pcap": 27,
    "sip_call_183_early_media_g711__nb6-telephone.pcap": 7,
    "sip_call_g711_rtp_freeswitch__sip-rtp-g711.pcap": 10,
    "sip_call_g729a_rtp_freeswitch__sip-rtp-g729a.pcap": 6,
    "sip_call_rfc2833_dtmf_g711a__SIP_DTMF2.pcap": 29,
    "sip_info_dtmf_session_timer_cancel__DTMFsipinfo.pcap": 32,
    "sip_invite_401_challenge_183_session_timer_tcp_udp__MagicJack_short_call.pcap": 11,
    "sip_ipv6_fragmented_prack_update__sngrep_ipv6frag.pcap": 32,
    "sip_register_401_403_407_cancel_408_480__wireshark_aaa.pcap": 81,
    "sip_register_call_g711_rtp_rtcp_plus_h225ras__SIP_CALL_RTP_G711.pcap": 14,
    "sip_single_options_200__suricata-verify.pcap": 2,
    "sip_spoofed_invite_metasploit__metasploit-sip-invite-spoof.pcap": 2,
    "sip_t38_reinvite_488_options_session_expires_rtpevent__FAX-Call-t38.pcap": 92,
    "sip_t38_session_timer_refresher_uac__T38.pcap": 18,
    "sip_tcp_ipip_no_ack_bye_after_32s__sngrep_ipip.pcap": 4,
    "sipvicious_options_register401_call_rfc2833_rtcp__acoustic_Voip-trace.pcap": 19,
    "sip_404_480_489_subscribe_publish__sipnab_sip-routing-error.pcapng": 58,
    "sip_488_codec_reject_options_401__sipnab.pcapng": 13,
    "sip_b2bua_two_legs_489_session_expires_rtp__sipnab_b2bua-asterisk.pcapng": 60,
    "sip_register_401_then_403__sipnab_sip-auth-failure.pcapng": 8,
}
# tshark too reports these as malformed ("IPv4 total length exceeds packet length")
KNOWN_BAD = {
    "sipvicious_options_register401_call_rfc2833_rtcp__acoustic_Voip-trace.pcap": {
        "bad_ipv4_length": 6
    },
}


def looks_like_sip(payload: bytes) -> bool:
    first = payload.split(b"\r\n", 1)[0]
    return first.startswith(b"SIP/2.0 ") or first.endswith(b" SIP/2.0")


@pytest.mark.parametrize("name", sorted(TSHARK_SIP))
def test_sip_message_count_matches_tshark(name: str) -> None:
    decoder = Decoder()
    got = [d for d in iter_datagrams(corpus_file(name), decoder) if looks_like_sip(d.payload)]
    assert len(got) == TSHARK_SIP[name]
    assert decoder.stats.malformed == KNOWN_BAD.get(name, {})
    assert not decoder.stats.warnings
