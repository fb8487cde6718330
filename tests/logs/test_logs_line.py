"""One line: its level, its time, the Call-IDs, IPs and numbers it names."""

from __future__ import annotations

import time

import pytest

from vostui.host.logs import LineParser, detect_level, digits_match, parse_timestamp
from vostui.host.logs.identifiers import extract_call_ids, extract_ips, extract_numbers

# A fixed "now" in local time: 2026-11-26 18:00:00.
NOW = time.mktime((2026, 11, 26, 18, 0, 0, 0, 0, -1))


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("<11>Nov 26 17:45:01 host app: boom", "error"),  # facility 1, severity 3
        ("<12>Nov 26 17:45:01 host app: disk", "warning"),
        ("<14>Nov 26 17:45:01 host app: hello", "info"),
        ("<15>Nov 26 17:45:01 host app: dump", "debug"),
        ("2026-11-26 17:45:01.123 [ERROR] route to gateway GW1 failed", "error"),
        ("2026-11-26 17:45:01.123 ERROR CallService: no route", "error"),
        ("2026-11-26 17:45:01,123 WARN  [main] pool low", "warning"),
        ("2026-11-26 17:45:01 <Warning> license expires", "warning"),
        ("[2026-11-26 17:45:01] (CRIT) database gone", "error"),
        ("2026-11-26 17:45:01 FATAL out of handles", "error"),
        ("Nov 26 17:45:01 host sshd[812]: error: kex_exchange_identification: closed", "error"),
        ("Nov 26 17:45:01 host app[1]: Warning: low memory", "warning"),
        ('ts=2026-11-26T17:45:01Z level=debug msg="tick"', "debug"),
        ('{"lvl": "error", "msg": "x"}', "error"),
        ("time=1 severity=NOTICE text", "info"),
        ("2026-11-26 17:45:01 TRACE sip parser", "debug"),
        (
            "Nov 26 17:45:01 host sshd[9]: Failed password for root from 1.2.3.4 port 2 ssh2",
            "warning",
        ),
        (
            "Nov 26 17:45:01 host kernel: SIP-RATE-LIMIT: IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8",
            "warning",
        ),
        ("Nov 26 17:45:01 host kernel: mbx3000[123]: segfault at 0 ip 0", "error"),
        # Words inside messages are not levels.
        ("Nov 26 17:45:01 host app: the error rate was fine", "info"),
        ("Nov 26 17:45:01 host app: interrupt terror ERR_SOMETHING", "info"),
        ("Nov 26 17:45:01 host app: GET /INFO/page", "info"),
        ("Nov 26 17:45:01 host app[1]: [sshd] connected", "info"),
        ("plain line with nothing", "info"),
    ],
)
def test_logs_level_detection(text: str, level: str) -> None:
    assert detect_level(text) == level


def test_logs_per_file_level_patterns_win(tmp_path) -> None:
    parser = LineParser(
        level_patterns=[
            ("*/mbx*.log", r"\bRELEASE cause=(?!16\b)\d+", "warning"),
            ("*", "OOPS", "error"),
        ]
    )
    line = parser.parse(b"12:00 INFO RELEASE cause=34", "/home/vos3000/log/mbx3000.log", 1, NOW)
    assert line.level == "warning"
    line = parser.parse(b"12:00 INFO RELEASE cause=16", "/home/vos3000/log/mbx3000.log", 2, NOW)
    assert line.level == "info"
    assert parser.parse(b"OOPS", "/var/log/secure", 3, NOW).level == "error"
    with pytest.raises(ValueError, match="level must be one of"):
        LineParser(level_patterns=[("*", "x", "loud")])
    with pytest.raises(ValueError, match="level pattern"):
        LineParser(level_patterns=[("*", "(", "error")])


def local(*fields: int) -> float:
    return time.mktime((*fields, 0, 0, -1))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nov 26 17:45:01 host sshd[1]: x", local(2026, 11, 26, 17, 45, 1)),
        ("Nov  6 07:05:09 host x", local(2026, 11, 6, 7, 5, 9)),
        ("<13>Nov 26 17:45:01 host x", local(2026, 11, 26, 17, 45, 1)),
        ("2026-11-26 17:45:01.123 [INFO] x", local(2026, 11, 26, 17, 45, 1) + 0.123),
        ("[2026-11-26 17:45:01,250] x", local(2026, 11, 26, 17, 45, 1) + 0.25),
        ("2026-11-26T17:45:01Z host x", 1795715101.0),
        ("2026-11-26T17:45:01.5+01:00 host x", 1795715101.5 - 3600),
        ("2026-11-26T17:45:01+0100 host x", 1795715101.0 - 3600),  # journalctl short-iso
        ("INFO 2026-11-26 17:45:01 after a level word", local(2026, 11, 26, 17, 45, 1)),
    ],
)
def test_logs_timestamps(text: str, expected: float) -> None:
    assert parse_timestamp(text, NOW) == pytest.approx(expected)


def test_logs_syslog_december_read_in_january_is_last_year() -> None:
    january = time.mktime((2027, 1, 2, 0, 30, 0, 0, 0, -1))
    assert parse_timestamp("Dec 31 23:59:59 host x", january) == local(2026, 12, 31, 23, 59, 59)
    assert parse_timestamp("Jan  2 00:29:00 host x", january) == local(2027, 1, 2, 0, 29, 0)


@pytest.mark.parametrize(
    "text",
    ["no time here", "2026-13-40 99:99:99 not a date", "Foo 26 17:45:01", "12345678901234 numbers"],
)
def test_logs_no_timestamp(text: str) -> None:
    assert parse_timestamp(text, NOW) is None


def test_logs_line_without_a_stamp_gets_its_arrival_time() -> None:
    parser = LineParser()
    line = parser.parse(b"no stamp", "f", 1, 1234.5)
    assert (line.ts, line.ts_from_line) == (1234.5, False)
    line = parser.parse(b"Nov 26 17:45:01 x", "f", 2, NOW)
    assert line.ts_from_line


def test_logs_identifiers_from_a_softswitch_line() -> None:
    text = (
        "2026-11-26 17:45:01.123 [INFO] INVITE Call-ID: 3c2a-77@192.0.2.10 "
        "caller=0044123456789 callee=sip:88012345678@203.0.113.5:5060 from 198.51.100.7"
    )
    assert extract_call_ids(text) == ("3c2a-77@192.0.2.10",)
    assert extract_ips(text) == ("192.0.2.10", "203.0.113.5", "198.51.100.7")
    assert extract_numbers(text) == ("0044123456789", "88012345678")


@pytest.mark.parametrize(
    ("text", "call_ids"),
    [
        ("callid=abc123def", ("abc123def",)),
        ("CALLID[ZXCV-1234]", ()),  # no separator: not a field
        ("Call-ID:<a@b>", ("a@b",)),
        ("call_id = 'q1w2e3'", ("q1w2e3",)),
        ("recall identifier: nope", ()),
    ],
)
def test_logs_call_id_forms(text: str, call_ids: tuple[str, ...]) -> None:
    assert extract_call_ids(text) == call_ids


@pytest.mark.parametrize(
    ("text", "ips"),
    [
        ("from 1.2.3.4:5060 to 10.0.0.1", ("1.2.3.4", "10.0.0.1")),
        ("version 1.2.3.4.5 and 256.1.1.1 and 01.2.3.4", ("01.2.3.4",)),
        ("at fe80::1 and 2001:db8::5 at 12:34:56", ("fe80::1", "2001:db8::5")),
        ("MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 only", ()),
        (
            "kernel: DROP IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 "
            "SRC=2001:0db8:0000:0000:0000:0000:0000:0001 DST=2001:db8::2 LEN=80",
            ("2001:db8::1", "2001:db8::2"),
        ),
        ("kernel: X IN=eth0 OUT= SRC=203.0.113.7 DST=10.0.0.5 LEN=1", ("203.0.113.7", "10.0.0.5")),
    ],
)
def test_logs_ip_forms(text: str, ips: tuple[str, ...]) -> None:
    assert extract_ips(text) == ips


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("INVITE sip:100@pbx", ("100",)),
        ("To: <tel:+4412345678>", ("4412345678",)),
        ("ani=5551234 dnis: '0044207946'", ("5551234", "0044207946")),
        ("calledNumber=88012345 Caller-ID: 77712345", ("88012345", "77712345")),
        ("sshd[12345]: port 51234 pid=98765 len=123456", ()),  # PIDs, ports, sizes
        ("caller=12345.6 callee=1.2.3.4", ()),
    ],
)
def test_logs_number_forms(text: str, numbers: tuple[str, ...]) -> None:
    assert extract_numbers(text) == numbers


def test_logs_numbers_match_up_to_prefixes() -> None:
    assert digits_match("0044123456789", "+44123456789")
    assert digits_match("88012345678", "12345678")
    assert not digits_match("123456", "9123456")  # too short to trust a suffix
    assert not digits_match("441234567", "441234568")
    assert not digits_match("", "")
