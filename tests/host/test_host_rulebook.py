"""RuleBook (counters → snapshot tables with rates, touching only what moved) gives exactly
what a fresh `build_tables` with two RateTrackers gives, poll after poll: counters that
move, stop, go down (zeroed), rules added, removed and edited, both families at once."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from vostui.host.firewall import joined
from vostui.host.iptables import (
    RuleBook,
    SaveParser,
    build_tables,
    counters_of,
    listed_table,
    parse_iptables_list,
    parse_iptables_save,
    rule_counters,
)
from vostui.host.rates import RateTracker

HOST = Path(__file__).resolve().parents[1] / "fixtures" / "host"
SIP = (5060, 5061)
COUNTER = re.compile(r"^(:\S+ \S+ )?\[(\d+):(\d+)\]", re.M)


class Reference:
    """What the collector did before RuleBook: full parse, two trackers, build_tables."""

    def __init__(self) -> None:
        self.packets: RateTracker = RateTracker()
        self.bytes: RateTracker = RateTracker()

    def update(self, texts: list[tuple[str, str]], now: float):
        saved = [t for text, family in texts for t in parse_iptables_save(text, family)]
        packets, nbytes = rule_counters(saved)
        return build_tables(
            saved, self.packets.update(packets, now), self.bytes.update(nbytes, now), SIP
        )


def bump(text: str, rng: random.Random, share: float) -> str:
    """Raise (or now and then zero) a share of the counters."""

    def one(match: re.Match[str]) -> str:
        head, p, b = match.group(1) or "", int(match.group(2)), int(match.group(3))
        roll = rng.random()
        if roll < share:
            extra = rng.randint(1, 50)
            p, b = p + extra, b + extra * rng.randint(40, 1400)
        elif roll < share + 0.02:
            p, b = 0, 0  # iptables -Z
        elif roll < share + 0.04:
            b += 1  # bytes alone: the two rates are kept apart
        return f"{head}[{p}:{b}]"

    return COUNTER.sub(one, text)


@pytest.mark.parametrize("version", ["nft-1.8.9", "legacy-1.8.9", "centos7-1.4.21"])
def test_rule_book_equals_a_fresh_build_every_poll(version: str) -> None:
    rng = random.Random(version)
    v4 = (HOST / version / "iptables-save-c.txt").read_text()
    six = HOST / version / "ip6tables-save-c.txt"
    v6 = six.read_text() if six.exists() else ""
    parser = SaveParser()
    book = RuleBook(SIP)
    reference = Reference()
    now = 100.0
    for step in range(40):
        share = (0.0, 0.05, 0.5)[step % 3]
        v4, v6 = bump(v4, rng, share), bump(v6, rng, share)
        if step == 15:  # a rule edited: a new shape, rates kept for the others
            v4 = v4.replace("--hitcount 20", "--hitcount 30", 1)
        if step == 25:  # a rule removed
            lines = v4.splitlines(keepends=True)
            first = next(i for i, line in enumerate(lines) if " -A INPUT " in line)
            v4 = "".join(lines[:first] + lines[first + 1 :])
        if step == 30:  # a rule added in front: every later index moves
            v4 = v4.replace(
                "[0:0] -A INPUT ", "[5:500] -A INPUT -s 10.9.9.9/32 -j DROP\n[0:0] -A INPUT ", 1
            )
        now += (1.0, 0.5, 2.25)[step % 3]
        texts = [(v4, "ipv4"), (v6, "ipv6")]
        got, interval = book.update(
            joined([parser.read(text, family) for text, family in texts]), now
        )
        want = reference.update(texts, now)
        assert got == want, f"step {step}"
        assert interval == (None if step == 0 else pytest.approx((1.0, 0.5, 2.25)[step % 3]))


def test_idle_rules_keep_their_objects_and_moving_ones_do_not() -> None:
    text = (HOST / "legacy-1.8.9" / "iptables-save-c.txt").read_text()
    parser, book = SaveParser(), RuleBook(SIP)
    book.update(parser.read(text), 1.0)
    book.update(parser.read(text), 2.0)  # every rate is 0 from here on
    second, _ = book.update(parser.read(text), 3.0)
    bumped = text.replace("[10:870] -A SIP_SCANNER_BLOCK", "[30:2610] -A SIP_SCANNER_BLOCK", 1)
    third, _ = book.update(parser.read(bumped), 4.0)
    assert third[0] is not second[0]
    scanner2 = second[0].chain("SIP_SCANNER_BLOCK")
    scanner3 = third[0].chain("SIP_SCANNER_BLOCK")
    assert scanner3.rules[0].packets_per_second == 20.0
    assert all(a is b for a, b in zip(scanner2.rules[1:], scanner3.rules[1:], strict=True))
    assert third[0].chain("INPUT") is second[0].chain("INPUT")
    assert all(a is b for a, b in zip(third[1:], second[1:], strict=True))


def test_listed_and_native_tables_go_through_the_book() -> None:
    text = (HOST / "centos7-1.4.21" / "iptables-L-n-v-x.txt").read_text()
    book, reference = RuleBook(SIP), Reference()
    table = listed_table(parse_iptables_list(text), "ipv4", "filter")
    got, _ = book.update(counters_of([table]), 1.0)
    packets, nbytes = rule_counters([table])
    want = build_tables(
        [table], reference.packets.update(packets, 1.0), reference.bytes.update(nbytes, 1.0), SIP
    )
    assert got == want


def test_control_characters_in_a_comment_do_not_shift_the_counters() -> None:
    """iptables-nft-save prints a comment's bytes as they are; \\x1c or U+0085 in one
    must not move a later rule's counter onto another rule (it did: 0 instead of 7)."""
    for odd in ("\x1c", "\x85", "\u2028", "\r"):
        text = (
            "*filter\n:INPUT ACCEPT [1:100]\n"
            f'[5:500] -A INPUT -m comment --comment "a{odd}[9:9] b" -j ACCEPT\n'
            "[7:700] -A INPUT -p udp -j DROP\nCOMMIT\n"
        )
        parser = SaveParser()
        for _ in range(2):  # the first read parses, the second takes the numbers only
            (table,) = parser.parse(text)
            (chain,) = table.chains
            assert [(p, b) for p, b, _ in chain.rules] == [(5, 500), (7, 700)], repr(odd)
            assert (chain.packets, chain.bytes) == (1, 100)


def test_a_table_printed_twice_reads_without_an_error() -> None:
    # Two `iptables-save` outputs pasted together (or a table dumped twice): both
    # copies are read, and the counters-only reads that follow raise nothing and give
    # what a full parse gives.
    text = (
        "*filter\n:INPUT ACCEPT [1:10]\n:ONLY_FIRST - [0:0]\n[2:20] -A INPUT -j ONLY_FIRST\n"
        "COMMIT\n*filter\n:INPUT ACCEPT [3:30]\n[4:40] -A INPUT -p udp -j DROP\nCOMMIT\n"
    )
    full = parse_iptables_save(text)
    assert full[-1].chains[0].packets == 3 and full[-1].chains[0].rules[0][:2] == (4, 40)
    parser = SaveParser()
    for _ in range(3):  # the first read parses, the next ones take the counters-only path
        assert parser.parse(text) == full
