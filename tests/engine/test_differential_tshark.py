"""vostui's packet layer and SIP parser against Wireshark's dissectors, message by message.

For every SIP message tshark finds in our fixtures and in the public corpus, the
Call-ID, method or status, CSeq number, From/To tags and top Via branch must agree.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.differential import compare
from tests.support import FIXTURES, corpus_dir, need_corpus, need_tool

CORPUS = corpus_dir()
CORPUS_FILES = sorted(p.name for p in CORPUS.glob("*.pcap*")) if CORPUS else []
FIXTURE_FILES = sorted(p.name for p in FIXTURES.glob("*.pcap"))


@pytest.mark.parametrize("name", CORPUS_FILES or ["(no corpus)"])
def test_corpus_agrees_with_tshark(name: str) -> None:
    need_tool("tshark")
    path = need_corpus() / name
    result = compare(str(path))
    assert result.differ == [], f"{result.agree}/{result.tshark} agree"


@pytest.mark.parametrize("name", FIXTURE_FILES or ["(no fixtures)"])
def test_fixtures_agree_with_tshark(name: str) -> None:
    need_tool("tshark")
    path = FIXTURES / name
    if not path.exists():
        pytest.skip("fixtures not made yet (tools/fixtures/make_all.sh)")
    result = compare(str(path))
    assert result.tshark > 0
    assert result.differ == [], f"{result.agree}/{result.tshark} agree"


def test_protos_malformed_capture_agrees_with_tshark(tmp_path: Path) -> None:
    """The PROTOS fuzz capture (NetMon format), converted with editcap as tshark reads it."""
    editcap = need_tool("editcap")
    need_tool("tshark")
    source = need_corpus() / "sip_malformed_protos_fuzz_NETMON_format__c07-sip-r2.cap"
    converted = tmp_path / "protos.pcap"
    subprocess.run([editcap, "-F", "pcap", str(source), str(converted)], check=True)
    result = compare(str(converted))
    assert result.tshark > 0
    assert result.differ == [], f"{result.agree}/{result.tshark} agree"
