"""iptables-nft counters over netlink, against real rules in a network namespace.

A child process runs inside the server namespace (netlink reads the namespace of the
process that opens the socket) and polls two collectors on each request: one that
reads counters over netlink while the ruleset generation holds, and one that always
runs iptables-nft-save. Between polls the test sends UDP over the veth pair and adds
or removes rules. Every poll must show what the text-only collector and
`iptables -L -v -x -n` show.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vostui.host.iptables import parse_iptables_list

sys.path.insert(0, str(Path(__file__).parent))
from hostns import Lab, netns_unavailable

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "tests" / "fixtures" / "host" / "nft-1.8.9" / "loaded-rules.v4"
SCANNER = "OPTIONS sip:100@x SIP/2.0\r\nUser-Agent: friendly-scanner\r\n\r\n"
PLAIN = "OPTIONS sip:100@x SIP/2.0\r\nUser-Agent: pbx\r\n\r\n"

# One JSON line per "poll" line read: both collectors' filter tables (IPv4 and IPv6).
CHILD = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from vostui.host.firewall import FirewallCollector

def shown(snap):
    out = {}
    for table in snap.tables:
        for chain in table.chains:
            out[f"{table.family}/{table.name}/{chain.name}"] = {
                "policy": [chain.policy, chain.packets, chain.bytes, chain.sip_path],
                "rules": [[r.packets, r.bytes, r.words, r.sip] for r in chain.rules],
            }
    return out

fast = FirewallCollector(sip_ports=(5060,), command="iptables-nft")
text = FirewallCollector(sip_ports=(5060,), command="iptables-nft", netlink=False)
for line in sys.stdin:
    a = fast.poll()
    b = text.poll()
    rates = {f"{r.table}/{r.chain}/{r.index}": r.packets_per_second for r in a.rules()}
    print(json.dumps({
        "problem": a.problem, "text_problem": b.problem, "reads": fast.netlink.reads,
        "planned": fast.netlink.planned, "why_not": fast.netlink.why_not,
        "fast": shown(a), "text": shown(b), "rates": rates, "interval": a.interval,
    }), flush=True)
"""

pytestmark = [pytest.mark.root]


@pytest.fixture
def lab() -> Iterator[Lab]:
    reason = netns_unavailable()
    if reason:
        pytest.skip(reason)
    if not shutil.which("iptables-nft-restore"):
        pytest.skip("iptables-nft is not installed")
    with Lab() as made:
        yield made


class Poller:
    """The child process in the server namespace; `poll()` returns one JSON reply."""

    def __init__(self, lab: Lab, *prefix: str) -> None:
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", lab.server, *prefix, sys.executable, "-c", CHILD, str(ROOT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def poll(self) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("poll\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            _, err = self.proc.communicate(timeout=10)
            raise AssertionError(f"the poller ended: {err[-2000:]}")
        return json.loads(line)

    def close(self) -> str:
        _, err = self.proc.communicate(timeout=10)  # closes stdin: the child's loop ends
        return err


def listed(lab: Lab) -> dict[str, Any]:
    text = lab.in_server("iptables-nft", "-L", "-n", "-v", "-x")
    return {c.name: c for c in parse_iptables_list(text)}


def assert_matches_list(reply: dict[str, Any], lab: Lab) -> None:
    assert not reply["problem"], reply["problem"]
    assert reply["fast"] == reply["text"]
    chains = listed(lab)
    for name, chain in chains.items():
        shown = reply["fast"][f"ipv4/filter/{name}"]
        assert [r[:2] for r in shown["rules"]] == [[r.packets, r.bytes] for r in chain.rules]
        assert shown["policy"][1:3] == [chain.packets, chain.bytes], name


def test_netlink_counters_match_iptables_list_across_rule_changes(lab: Lab) -> None:
    lab.in_server("iptables-nft-restore", input=RULES.read_text())
    six = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -m udp --dport 5060 -j ACCEPT\nCOMMIT\n"
    lab.in_server("ip6tables-nft-restore", input=six)
    poller = Poller(lab)
    try:
        first = poller.poll()  # reads the text
        assert not first["planned"]
        assert_matches_list(first, lab)
        assert "ipv6/filter/INPUT" in first["fast"]
        settled = poller.poll()  # the same generation twice: plans the netlink reads
        assert settled["planned"] and settled["reads"] == 0, settled["why_not"]

        lab.send(12, SCANNER)
        lab.send(9, PLAIN)
        second = poller.poll()
        assert second["reads"] == 1, "the counters did not come over netlink"
        assert_matches_list(second, lab)
        scanner = second["fast"]["ipv4/filter/SIP_SCANNER_BLOCK"]["rules"]
        assert scanner[1][0] == 12  # DROP friendly-scanner
        assert second["rates"]["filter/SIP_SCANNER_BLOCK/2"] > 0

        # A rule added in front: a new generation, so the text is read again (twice,
        # until the generation has held from one text read to the next).
        lab.in_server("iptables-nft", "-I", "INPUT", "1", "-s", lab.client_ip, "-p", "udp")
        lab.send(5, PLAIN)
        third = poller.poll()
        assert third["reads"] == 1 and not third["planned"]
        assert_matches_list(third, lab)
        assert third["fast"]["ipv4/filter/INPUT"]["rules"][0][:2] == [5, 5 * (28 + len(PLAIN))]
        lab.send(1, PLAIN)
        assert_matches_list(poller.poll(), lab)

        lab.send(3, SCANNER)
        fourth = poller.poll()
        assert fourth["reads"] == 2
        assert_matches_list(fourth, lab)

        # And removed again: the rules after it move back, counters stay right.
        lab.in_server("iptables-nft", "-D", "INPUT", "1")
        lab.send(4, PLAIN)
        fifth = poller.poll()
        assert_matches_list(fifth, lab)
        assert_matches_list(poller.poll(), lab)
        lab.send(2, PLAIN)
        sixth = poller.poll()
        assert sixth["reads"] == 3
        assert_matches_list(sixth, lab)
    finally:
        err = poller.close()
    assert "Traceback" not in err, err


def test_native_rule_in_an_iptables_table_never_shows_wrong_numbers(lab: Lab) -> None:
    """nft rules iptables-nft cannot print: whatever the text shows, netlink agrees."""
    if shutil.which("nft") is None:
        pytest.skip("nft is not installed")
    lab.in_server("iptables-nft-restore", input=RULES.read_text())
    lab.in_server("nft", "add", "rule", "ip", "filter", "INPUT", "udp", "dport", "5099", "counter")
    lab.in_server("nft", "add", "rule", "ip", "filter", "INPUT", "meta", "mark", "0x2a")
    poller = Poller(lab)
    try:
        poller.poll()
        poller.poll()
        lab.send(6, SCANNER)
        lab.send(3, PLAIN, port=5099)
        reply = poller.poll()
        assert reply["planned"] and reply["reads"] == 1
        assert reply["fast"]["ipv4/filter/INPUT"]["rules"][-2][:2] == [3, 3 * (28 + len(PLAIN))]
        assert not reply["problem"], reply["problem"]
        assert reply["fast"] == reply["text"]
    finally:
        err = poller.close()
    assert "Traceback" not in err, err


def test_without_net_admin_falls_back_and_explains(lab: Lab) -> None:
    """Root without CAP_NET_ADMIN: netlink says no, the text path says why, no traceback."""
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is not installed")
    lab.in_server("iptables-nft-restore", input=RULES.read_text())
    poller = Poller(lab, "setpriv", "--inh-caps=-all", "--bounding-set=-all")
    try:
        reply = poller.poll()
        assert not reply["planned"] and reply["reads"] == 0
        assert reply["problem"] and reply["problem"] == reply["text_problem"]
    finally:
        err = poller.close()
    assert "Traceback" not in err, err


PLAN = r"""
import subprocess, sys
sys.path.insert(0, sys.argv[1])
from vostui.host.iptables import SaveParser
from vostui.host.nft_netlink import NftCounters
nft = NftCounters()
generation = nft.generation()
text = subprocess.run(["iptables-nft-save", "-c"], capture_output=True, text=True).stdout
good = SaveParser().read(text).tables
extra = text.replace("COMMIT", "[0:0] -A SIP_TRUSTED -s 10.1.1.1/32 -j ACCEPT\nCOMMIT", 1)
bad = SaveParser().read(extra).tables
print(nft.plan(good, generation) is not None, nft.plan(bad, generation) is None)
"""


def test_a_chain_that_counts_otherwise_is_not_planned(lab: Lab) -> None:
    """When a chain holds more or fewer rules than the text, netlink is not used."""
    lab.in_server("iptables-nft-restore", input=RULES.read_text())
    out = lab.in_server(sys.executable, "-c", PLAN, str(ROOT))
    assert out.split() == ["True", "True"]
