"""Host parsers on recorded output: iptables 1.8.9 nft and legacy (recorded here), CentOS 7's
1.4.21 (written by hand, see fixtures/host/centos7-1.4.21/NOTE.md), native nft JSON, /proc."""

from __future__ import annotations

from pathlib import Path

import pytest

from vostui.host.conntrack import (
    parse_conntrack_entries,
    parse_conntrack_s,
    parse_conntrack_stat,
    summarize_entries,
)
from vostui.host.iptables import (
    build_tables,
    parse_iptables_list,
    parse_iptables_save,
    parse_iptables_version,
    parse_rule_spec,
    rule_counters,
    split_args,
)
from vostui.host.nftables import parse_nft_json
from vostui.host.rates import RateTracker
from vostui.host.recent import KernelClock, guess_hz, parse_hashlimit, parse_xt_recent
from vostui.host.udp import parse_snmp, parse_snmp6, parse_udp_sockets

HOST = Path(__file__).resolve().parents[1] / "fixtures" / "host"
VERSIONS = ("nft-1.8.9", "legacy-1.8.9", "centos7-1.4.21")
SIP = (5060, 5061)


def read(*parts: str) -> str:
    return (HOST.joinpath(*parts)).read_text()


def tables_for(version: str, family: str = "ipv4"):
    name = "iptables-save-c.txt" if family == "ipv4" else "ip6tables-save-c.txt"
    return build_tables(parse_iptables_save(read(version, name), family), sip_ports=SIP)


def rules_of(tables, table: str, chain: str):
    for t in tables:
        if t.name == table:
            found = t.chain(chain)
            assert found is not None, f"{table}/{chain} missing"
            return found.rules
    raise AssertionError(f"table {table} missing")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("iptables v1.8.9 (nf_tables)\n", ("1.8.9", "nft")),
        ("iptables v1.8.9 (legacy)\n", ("1.8.9", "legacy")),
        ("iptables v1.4.21\n", ("1.4.21", "legacy")),
        ("iptables v1.8.4 (nf_tables)\n", ("1.8.4", "nft")),
        ("garbage", ("", "")),
    ],
)
def test_backend_detection(text: str, expected: tuple[str, str]) -> None:
    assert parse_iptables_version(text) == expected


@pytest.mark.parametrize("version", VERSIONS)
def test_version_file_matches_back_end(version: str) -> None:
    _, backend = parse_iptables_version(read(version, "iptables-V.txt"))
    assert backend == ("nft" if version.startswith("nft") else "legacy")


@pytest.mark.parametrize("version", VERSIONS)
def test_same_rules_read_alike_on_every_version(version: str) -> None:
    tables = tables_for(version)
    assert {t.name for t in tables} == {"filter", "raw", "mangle"}
    filt = next(t for t in tables if t.name == "filter")
    names = [c.name for c in filt.chains]
    for chain in ("INPUT", "FORWARD", "OUTPUT", "SIP_TRUSTED", "SIP_SCANNER_BLOCK"):
        assert chain in names
    assert filt.chain("FORWARD").policy == "DROP"
    assert filt.chain("SIP_TRUSTED").policy == ""  # custom chain
    # The custom chains hang under the rules that jump to them.
    (inp,) = [n for n in filt.tree() if n.chain.name == "INPUT"]
    (trusted,) = inp.children
    assert trusted.chain.name == "SIP_TRUSTED" and trusted.via == 3
    (scanner,) = trusted.children
    assert scanner.chain.name == "SIP_SCANNER_BLOCK"
    (rate,) = scanner.children
    assert rate.chain.name == "SIP_RATE_LIMIT" and rate.depth == 3
    # Only built-in chains are roots: every custom chain is referenced.
    assert all(n.chain.builtin for n in filt.tree())


@pytest.mark.parametrize("version", VERSIONS)
def test_rules_in_words(version: str) -> None:
    tables = tables_for(version)
    scanner = rules_of(tables, "filter", "SIP_SCANNER_BLOCK")
    words = [r.words for r in scanner]
    assert 'payload contains "friendly-scanner"' in words[0]
    assert 'log "SIP-SCAN: " at level 6' in words[0]
    assert words[1].endswith("→ drop")
    assert "any case" in words[2] and '"sipvicious"' in words[2]
    recent_update = next(r for r in scanner if "recent list SIPFLOOD with" in r.words)
    assert "20+ hits in the last 60 s" in recent_update.words
    assert recent_update.target == "DROP"
    recent_set = next(r for r in scanner if r.words.startswith("add source to recent list"))
    assert recent_set.target == "" and recent_set.words.endswith("count only")

    rate = rules_of(tables, "filter", "SIP_RATE_LIMIT")
    assert "over 50/sec (burst 100) per srcip, table SIPRATE" in rate[0].words
    nfq = rate[1]
    assert nfq.target == "NFQUEUE"
    assert "to userspace queue 0 (bypass" in nfq.words
    assert nfq.sip  # names port 5060

    inp = rules_of(tables, "filter", "INPUT")
    connlimit = inp[3]
    assert "more than 20 connections per source /32" in connlimit.words
    assert "reject with tcp-reset" in connlimit.words
    assert inp[4].spec.comment == "ssh from anywhere"
    assert "# ssh from anywhere" in inp[4].words
    trusted = rules_of(tables, "filter", "SIP_TRUSTED")
    assert trusted[0].spec.comment == 'gateways "core"'
    assert trusted[0].spec.source == "10.250.200.0/24"


@pytest.mark.parametrize("version", VERSIONS)
def test_sip_rules_flagged(version: str) -> None:
    tables = tables_for(version)
    inp = rules_of(tables, "filter", "INPUT")
    flags = {r.index: r.sip for r in inp}
    assert flags[3]  # udp dport 5060
    assert flags[4]  # tcp dport 5060
    assert not flags[5]  # ssh
    assert not flags[1]
    # The RTP range 10000:60000 contains 5060? No: it starts at 10000.
    assert not flags[6]
    mangle = rules_of(tables, "mangle", "PREROUTING")
    assert mangle[0].sip  # multiport 5060,5061
    filt = next(t for t in tables if t.name == "filter")
    assert filt.chain("SIP_SCANNER_BLOCK").sip_path
    assert not filt.chain("INPUT").sip_path


def test_centos7_string_options_and_inversion() -> None:
    tables = tables_for("centos7-1.4.21")
    scanner = rules_of(tables, "filter", "SIP_SCANNER_BLOCK")
    # 1.4.21 always prints --to 65535: the words hide the default.
    assert "--to 65535" in scanner[0].text
    assert "to byte" not in scanner[0].words
    inverted = next(r for r in scanner if "SIP/2.0" in r.words)
    assert 'payload does not contain "SIP/2.0"' in inverted.words
    nfq = rules_of(tables, "filter", "SIP_RATE_LIMIT")[1]
    assert '"|0d0a557365722d4167656e743a2066|"' in nfq.words
    assert rules_of(tables, "filter", "INPUT")[1].words.startswith("state RELATED,ESTABLISHED")


@pytest.mark.parametrize("version", VERSIONS)
def test_save_counters_match_list_output(version: str) -> None:
    """iptables-save -c and iptables -L -n -v -x of the same moment agree, rule by rule."""
    tables = tables_for(version)
    filt = next(t for t in tables if t.name == "filter")
    listed = parse_iptables_list(read(version, "iptables-L-n-v-x.txt"))
    assert {c.name for c in listed} == {c.name for c in filt.chains}
    for lchain in listed:
        chain = filt.chain(lchain.name)
        assert [(r.packets, r.bytes) for r in chain.rules] == [
            (r.packets, r.bytes) for r in lchain.rules
        ]
        targets = [r.target for r in chain.rules]
        assert targets == [r.target for r in lchain.rules]  # empty target column included
        if chain.builtin:
            assert lchain.policy == chain.policy
            assert (lchain.packets, lchain.bytes) == (chain.packets, chain.bytes)


def test_list_output_protocols_differ_by_version() -> None:
    new = parse_iptables_list(read("nft-1.8.9", "iptables-L-n-v-x.txt"))
    old = parse_iptables_list(read("centos7-1.4.21", "iptables-L-n-v-x.txt"))
    assert new[0].rules[2].protocol == "17"
    assert old[0].rules[2].protocol == "udp"
    assert "TO 65535" in old[4].rules[0].extra


@pytest.mark.parametrize("version", ("nft-1.8.9", "legacy-1.8.9"))
def test_ipv6_tables(version: str) -> None:
    tables = tables_for(version, "ipv6")
    (filt,) = tables
    assert filt.family == "ipv6"
    scanner = filt.chain("SIP_SCANNER_BLOCK").rules
    assert "recent list SIPFLOOD6" in scanner[1].words


def test_table_filter_skips_other_tables() -> None:
    text = read("legacy-1.8.9", "iptables-save-c.txt")
    only = parse_iptables_save(text, "ipv4", ("filter",))
    assert [t.name for t in only] == ["filter"]


def test_split_args_quotes_and_escapes() -> None:
    tokens, quoted = split_args(r'-m comment --comment "a \"b\" c" -j LOG --log-prefix "x: "')
    assert tokens == ["-m", "comment", "--comment", 'a "b" c', "-j", "LOG", "--log-prefix", "x: "]
    assert quoted == {3, 7}
    # A quoted value that starts with a dash is a value, not an option.
    spec = parse_rule_spec('-j LOG --log-prefix "-dash "')
    assert spec.target_options[0].value == "-dash "


@pytest.mark.parametrize(
    "body",
    [
        "",
        "-m",
        "-j",
        "! ! !",
        '-m string --string "unterminated',
        "-p udp --dport notaport -j ACCEPT",
        "-m weird --opt \x1b[31m -j \x00",
    ],
)
def test_hostile_rule_text_never_raises(body: str) -> None:
    spec = parse_rule_spec(body)
    assert "\x1b" not in spec.words and "\x00" not in spec.words


def test_garbage_save_text() -> None:
    assert parse_iptables_save("\x00\xff\n*filter\n[x:y] -A\n-A\nCOMMIT\n") != ()
    assert parse_iptables_save("") == ()


def test_rate_tracker_resets_on_decrease() -> None:
    tracker: RateTracker = RateTracker()
    assert tracker.update({"a": 10}, 100.0) == {"a": None}
    assert tracker.update({"a": 30, "b": 5}, 102.0) == {"a": 10.0, "b": None}
    assert tracker.update({"a": 3, "b": 9}, 103.0) == {"a": None, "b": 4.0}  # zeroed
    assert tracker.update({"b": 9}, 103.0) == {"b": None}  # no time passed


def test_rule_rates_keyed_by_rule_identity() -> None:
    text = read("legacy-1.8.9", "iptables-save-c.txt")
    saved = parse_iptables_save(text)
    tracker: RateTracker = RateTracker()
    packets, _ = rule_counters(saved)
    tracker.update(packets, 0.0)
    bumped = text.replace(
        "[10:870] -A SIP_SCANNER_BLOCK -m string", "[30:2610] -A SIP_SCANNER_BLOCK -m string"
    )
    later = parse_iptables_save(bumped)
    rates = tracker.update(rule_counters(later)[0], 2.0)
    tables = build_tables(later, rates, sip_ports=SIP)
    scanner = rules_of(tables, "filter", "SIP_SCANNER_BLOCK")
    assert scanner[0].packets_per_second == 10.0
    assert scanner[2].packets_per_second == 0.0


def test_native_nft_json() -> None:
    (table,) = parse_nft_json(read("nft-native", "native.json"))
    assert table.family == "inet" and table.name == "vosfw"
    built = build_tables([table], sip_ports=SIP)[0]
    inp = built.chain("input")
    assert inp.policy == "ACCEPT"
    jump = inp.rules[2]
    assert jump.target == "sip_guard" and jump.sip and jump.packets == 9
    assert not inp.rules[0].spec.counted  # `iif lo accept` has no counter
    guard = built.chain("sip_guard")
    assert guard.sip_path
    assert 'payload has "friendly-scanner"' in guard.rules[1].words
    assert 'log "SIP-FLOOD: "' in guard.rules[2].words and "over 50/second" in guard.rules[2].words
    assert [n.chain.name for n in built.tree()] == ["input"]


def test_native_nft_skips_iptables_tables() -> None:
    text = (
        '{"nftables":[{"table":{"family":"ip","name":"filter"}},'
        '{"table":{"family":"inet","name":"firewalld"}}]}'
    )
    assert [t.name for t in parse_nft_json(text, skip_iptables=True)] == ["firewalld"]
    assert parse_nft_json("not json") == ()


def test_xt_recent_with_clock() -> None:
    clock = KernelClock(jiffies=4294971456, hz=250, wall=1_000_000.0)
    lst = parse_xt_recent(read("proc", "xt_recent_SIPFLOOD.txt"), "SIPFLOOD", clock)
    (entry,) = lst.entries
    assert entry.address == "10.250.9.1" and entry.hits == 13 and entry.ttl == 64
    assert entry.seconds_ago == pytest.approx((4294971456 - 4294968313) / 250)
    assert entry.last_seen == pytest.approx(1_000_000.0 - entry.seconds_ago)


def test_xt_recent_centos7_and_wrap() -> None:
    text = read("centos7-1.4.21", "proc-net-xt_recent-SIPFLOOD.txt")
    lst = parse_xt_recent(text, "SIPFLOOD", KernelClock(4350124456, 1000, 0.0))
    assert [e.address for e in lst.entries] == ["203.0.113.7", "198.51.100.77"]
    assert lst.entries[0].hits == 3 and lst.entries[0].seconds_ago == 1.0
    wrapped = KernelClock(jiffies=5, hz=100, wall=0.0)
    assert wrapped.seconds_ago((1 << 32) - 95) == 1.0
    assert parse_xt_recent("junk\n\n", "X").entries == ()


def test_hz_guess() -> None:
    assert guess_hz(4294946913, 218.72) == 250  # recorded on this machine
    assert guess_hz((1 << 32) - 300 * 1000 + 5_000_000, 5000.0) == 1000
    assert guess_hz(12, 0.5) is None


def test_hashlimit() -> None:
    table = parse_hashlimit(read("proc", "ipt_hashlimit_SIPRATE.txt"), "SIPRATE")
    (bucket,) = table.entries
    assert bucket.source == "10.250.9.1" and bucket.credit_ratio == 1.0
    old = parse_hashlimit(read("centos7-1.4.21", "proc-net-ipt_hashlimit-SIPRATE.txt"))
    assert old.entries[0].source == "203.0.113.7"  # out of credit: being limited, listed first
    assert old.entries[0].credit_ratio == 0.0
    six = parse_hashlimit("5 2001:db8::1:5060->2001:db8::2:5060 10 20 1\n", family="ipv6")
    assert six.entries[0].source == "2001:db8::1" and six.entries[0].source_port == 5060


def test_conntrack_stats_both_kernels() -> None:
    new = parse_conntrack_stat(read("proc", "stat_nf_conntrack.txt"))
    assert new["entries"] == 2 and new["drop"] == 0
    old = parse_conntrack_stat(read("centos7-1.4.21", "proc-net-stat-nf_conntrack.txt"))
    assert old["entries"] == 0xE2A1  # global, not summed over CPUs
    assert old["insert_failed"] == 6 and old["drop"] == 0x15 and old["early_drop"] == 2
    s = parse_conntrack_s(read("proc", "conntrack-S.txt"))
    assert s["insert_failed"] == 0 and "cpu" not in s


def test_conntrack_entries_and_top_sources() -> None:
    entries = list(parse_conntrack_entries(read("centos7-1.4.21", "proc-net-nf_conntrack.txt")))
    assert len(entries) == 5
    tcp = entries[2]
    assert tcp.protocol == "tcp" and tcp.state == "ESTABLISHED" and tcp.assured
    top, sip, sip_total, protocols, scanned = summarize_entries(entries, SIP)
    assert scanned == 5 and sip_total == 3 and protocols == {"udp": 4, "tcp": 1}
    assert top[0].address in ("203.0.113.7", "10.250.200.11") and top[0].entries == 2
    scanner = next(s for s in top if s.address == "203.0.113.7")
    assert scanner.sip_entries == 2
    assert all(e.dport in SIP or e.sport in SIP for e in sip)
    # A conntrack -L line (no "ipv4 2" prefix) parses the same way.
    line = "udp      17 29 src=1.2.3.4 dst=5.6.7.8 sport=1 dport=5060 [UNREPLIED] src=5.6.7.8"
    assert next(iter(parse_conntrack_entries(line))).dport == 5060


def test_udp_snmp_and_sockets() -> None:
    snmp = parse_snmp(read("proc", "net_snmp.txt"))
    assert snmp["InErrors"] == 196 and snmp["RcvbufErrors"] == 196
    assert parse_snmp6(read("proc", "net_snmp6.txt"))["InErrors"] == 0
    (sock,) = parse_udp_sockets(read("proc", "net_udp.txt"), (5060,))
    address, port, rx_queue, _tx, drops, _inode, _uid = sock
    assert (address, port, drops) == ("0.0.0.0", 5060, 196) and rx_queue == 0xD00
    (six,) = parse_udp_sockets(read("proc", "net_udp6.txt"), (5060,))
    assert six[0] == "::" and six[1] == 5060
    assert parse_udp_sockets(read("proc", "net_udp.txt"), (5070,)) == []


def test_list_output_as_fallback_table() -> None:
    from vostui.host.iptables import listed_table

    text = read("centos7-1.4.21", "iptables-L-n-v-x.txt")
    (table,) = build_tables(
        [listed_table(parse_iptables_list(text), "ipv4", "filter")], sip_ports=SIP
    )
    inp = table.chain("INPUT")
    assert inp.rules[2].words.endswith("jump to SIP_TRUSTED") and inp.rules[2].sip
    assert inp.rules[2].packets == 61020
    assert [n.chain.name for n in table.tree()][:3] == ["INPUT", "FORWARD", "OUTPUT"]


@pytest.mark.parametrize("version", VERSIONS)
def test_counter_only_changes_take_the_fast_path(version: str) -> None:
    """A second parse with new counters gives what a fresh parse gives."""
    from vostui.host.iptables import SaveParser

    text = read(version, "iptables-save-c.txt")
    parser = SaveParser()
    parser.parse(text, "ipv4", ("filter", "mangle"))
    bumped = text.replace("[0:0] -A", "[7:700] -A").replace("ACCEPT [0:0]", "ACCEPT [3:30]")
    bumped = bumped.replace("# Completed on", "# Completed at another time on")
    assert parser.parse(bumped, "ipv4", ("filter", "mangle")) == parse_iptables_save(
        bumped, "ipv4", ("filter", "mangle")
    )
    changed = bumped.replace("--hitcount 20", "--hitcount 30")  # a rule changed: slow path
    assert parser.parse(changed, "ipv4") == parse_iptables_save(changed, "ipv4")


def test_idle_rules_keep_their_objects() -> None:
    saved = parse_iptables_save(read("legacy-1.8.9", "iptables-save-c.txt"))
    previous: dict = {}
    first = build_tables(saved, sip_ports=SIP, previous=previous)
    second = build_tables(saved, sip_ports=SIP, previous=previous)
    a = rules_of(first, "filter", "SIP_SCANNER_BLOCK")
    b = rules_of(second, "filter", "SIP_SCANNER_BLOCK")
    assert all(x is y for x, y in zip(a, b, strict=True))


def test_summary_from_text_matches_entry_parser() -> None:
    from vostui.host.conntrack import summarize_text

    text = read("centos7-1.4.21", "proc-net-nf_conntrack.txt")
    assert summarize_text(text, SIP) == summarize_entries(parse_conntrack_entries(text), SIP)


def test_summary_from_text_matches_entry_parser_on_every_line_shape() -> None:
    # The quick text summary must count what the entry parser counts, line shape by
    # line shape: /proc and `conntrack -L` layouts, ICMP without ports, IPv6, a SIP
    # port only in the reply direction, a SIP port as source, lines without src.
    from vostui.host.conntrack import summarize_text

    lines = [
        "ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.9 sport=5060 dport=5060 "
        "[UNREPLIED] src=10.0.0.9 dst=10.0.0.1 sport=5060 dport=5060 mark=0 use=1",
        "ipv4     2 udp      17 170 src=10.0.0.2 dst=10.0.0.9 sport=40000 dport=5061 "
        "src=10.0.0.9 dst=10.0.0.2 sport=5061 dport=40000 [ASSURED] mark=0 use=1",
        "ipv4     2 udp      17 170 src=10.0.0.3 dst=10.0.0.9 sport=40000 dport=9999 "
        "src=10.0.0.9 dst=10.0.0.3 sport=5060 dport=40000 mark=0 use=1",
        "ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.9 sport=51000 "
        "dport=22 src=10.0.0.9 dst=10.0.0.1 sport=22 dport=51000 [ASSURED] mark=0 use=1",
        "ipv4     2 icmp     1 29 src=10.0.0.4 dst=10.0.0.9 type=8 code=0 id=7 "
        "src=10.0.0.9 dst=10.0.0.4 type=0 code=0 id=7 mark=0 use=1",
        "ipv6     10 udp      17 29 src=2001:db8::1 dst=2001:db8::9 sport=5060 dport=5060 "
        "[UNREPLIED] src=2001:db8::9 dst=2001:db8::1 sport=5060 dport=5060 mark=0 use=1",
        "udp      17 29 src=10.0.0.5 dst=10.0.0.9 sport=5060 dport=5060 [UNREPLIED] "
        "src=10.0.0.9 dst=10.0.0.5 sport=5060 dport=5060 mark=0 use=1",
        "unknown  2 stray line without a source",
        "",
    ]
    text = "\n".join(lines * 3)
    sip = (5060, 5061)
    assert summarize_text(text, sip) == summarize_entries(parse_conntrack_entries(text), sip)
    assert (
        summarize_text(text, sip, max_sip=2)[1]
        == summarize_entries(parse_conntrack_entries(text), sip, max_sip=2)[1]
    )
