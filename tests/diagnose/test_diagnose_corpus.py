"""Public captures from other people's equipment through `vostui doctor`.

Every capture runs without error; the files that are not pcap/pcapng (a text log, a
NetMon capture) are refused with one line and exit 2. Where a capture's README says
what is in it, the matching finding must be there.
"""

from __future__ import annotations

import json

import pytest

from tests.support import corpus_dir, need_corpus
from vostui.cli import main

CORPUS = corpus_dir()
FILES = sorted(
    p.name
    for p in (CORPUS.iterdir() if CORPUS is not None else ())
    if p.is_file() and p.name not in ("README.md", "SHA256SUMS")
)
NOT_CAPTURES = {
    "TEXT_honeypot_log_svwar_svcrack_friendly-scanner__acoustic_log.txt": "not a pcap",
    "sip_malformed_protos_fuzz_NETMON_format__c07-sip-r2.cap": "NetMon",
}
KNOWN = {
    "sip_tcp_ipip_no_ack_bye_after_32s__sngrep_ipip.pcap": "call.no_ack",
    "sip_488_codec_reject_options_401__sipnab.pcapng": "codec.no_common",
    "sip_register_401_then_403__sipnab_sip-auth-failure.pcapng": "registration.forbidden",
    "sipvicious_options_register401_call_rfc2833_rtcp__acoustic_Voip-trace.pcap": "scan.signature",
    "sip_call_g729a_rtp_freeswitch__sip-rtp-g729a.pcap": "dtmf.inband_g729",
}


@pytest.mark.parametrize("name", FILES or ["(no corpus)"])
def test_corpus_file_runs_through_doctor(capsys, name: str) -> None:
    corpus = need_corpus()
    code = main(["doctor", str(corpus / name), "--json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if name in NOT_CAPTURES:
        assert code == 2
        assert NOT_CAPTURES[name] in err and len(err.strip().splitlines()) == 1
        return
    assert code in (0, 1, 3), err
    doc = json.loads(out)
    assert doc["exit_code"] == code
    rules = {f["rule"] for f in doc["findings"]}
    if name in KNOWN:
        assert KNOWN[name] in rules, rules
