"""Failed logins and firewall LOG lines grouped by source IP.

The lines are in the forms OpenSSH 8/9 with pam_unix (Rocky, Debian) and the kernel's
iptables LOG target write them, through rsyslog, journalctl -o short-iso, and dmesg.
"""

from __future__ import annotations

import pytest

from vostui.host.logs import LineParser, LogLine, failed_logins, firewall_hits, parse_firewall_line

NOW = 1795715101.0

SECURE = """\
Nov 26 17:40:01 vos sshd[2001]: Invalid user admin from 203.0.113.50 port 40022
Nov 26 17:40:01 vos sshd[2001]: pam_unix(sshd:auth): check pass; user unknown
Nov 26 17:40:01 vos sshd[2001]: pam_unix(sshd:auth): authentication failure; logname= uid=0 \
euid=0 tty=ssh ruser= rhost=203.0.113.50
Nov 26 17:40:03 vos sshd[2001]: Failed password for invalid user admin from 203.0.113.50 port \
40022 ssh2
Nov 26 17:40:05 vos sshd[2001]: Failed password for invalid user admin from 203.0.113.50 port \
40022 ssh2
Nov 26 17:40:06 vos sshd[2001]: Connection closed by invalid user admin 203.0.113.50 port 40022 \
[preauth]
Nov 26 17:41:00 vos sshd[2002]: pam_unix(sshd:auth): authentication failure; logname= uid=0 \
euid=0 tty=ssh ruser= rhost=203.0.113.50  user=root
Nov 26 17:41:02 vos sshd[2002]: Failed password for root from 203.0.113.50 port 40100 ssh2
Nov 26 17:42:00 vos sshd[2003]: Invalid user test from 198.51.100.9 port 5555
Nov 26 17:42:00 vos sshd[2003]: Connection closed by invalid user test 198.51.100.9 port 5555 \
[preauth]
Nov 26 17:43:00 vos vsftpd[3001]: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 \
euid=0 tty=ftp ruser=bob rhost=192.0.2.44
Nov 26 17:44:00 vos sshd[2004]: Accepted password for ops from 10.0.0.2 port 5000 ssh2
2026-11-26T17:44:30+0000 vos sshd[2005]: Failed publickey for git from 2001:db8::66 port 2 ssh2
Nov 26 17:44:40 vos web[10]: Login failed user=admin ip=192.0.2.200
"""

KERNEL = """\
Nov 26 17:45:01 vos kernel: [12345.678901] SIP-RATE-LIMIT: IN=eth0 OUT= \
MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=203.0.113.7 DST=10.0.0.5 LEN=442 TOS=0x00 \
PREC=0x00 TTL=52 ID=0 DF PROTO=UDP SPT=5071 DPT=5060 LEN=422
2026-11-26T17:45:02+0000 vos kernel: SIP-RATE-LIMIT: IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:\
65:43:21:08:00 SRC=203.0.113.7 DST=10.0.0.5 LEN=442 TOS=0x00 PREC=0x00 TTL=52 ID=0 DF PROTO=UDP \
SPT=5071 DPT=5060 LEN=422
[12346.000001] SIP-RATE-LIMIT: IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 \
SRC=203.0.113.7 DST=10.0.0.5 LEN=442 TOS=0x00 PREC=0x00 TTL=52 ID=0 DF PROTO=UDP SPT=5071 DPT=5060 \
LEN=422
Nov 26 17:45:04 vos kernel: SIP-SCAN-DROP IN=eth0 OUT= \
MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=203.0.113.7 DST=10.0.0.5 LEN=442 TOS=0x00 \
PREC=0x00 TTL=52 ID=0 DF PROTO=UDP SPT=5071 DPT=5080 \
LEN=422
Nov 26 17:45:05 vos kernel: IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 \
SRC=198.51.100.3 DST=10.0.0.5 LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=1 DF PROTO=TCP SPT=4444 DPT=22 \
WINDOW=64240 RES=0x00 SYN URGP=0
Nov 26 17:45:06 vos kernel: eth0: link up, 1000Mbps
"""


def parse(text: str, file: str) -> list[LogLine]:
    parser = LineParser()
    return [parser.parse(raw.encode(), file, n, NOW) for n, raw in enumerate(text.splitlines(), 1)]


def test_logs_failed_logins_count_each_attempt_once() -> None:
    result = failed_logins(parse(SECURE, "/var/log/secure"))
    by_ip = {r.ip: r for r in result}
    assert set(by_ip) == {"203.0.113.50", "198.51.100.9", "192.0.2.44", "2001:db8::66"}
    first = by_ip["203.0.113.50"]
    # pid 2001: two "Failed password" (its Invalid user and PAM lines are the same
    # attempts); pid 2002: one.
    assert first.count == 3
    assert first.users == ("admin", "root")
    assert first.first < first.last
    assert result[0] is first  # most attempts first
    assert (by_ip["198.51.100.9"].count, by_ip["198.51.100.9"].users) == (1, ("test",))
    assert (by_ip["192.0.2.44"].count, by_ip["192.0.2.44"].users) == (1, ())
    assert by_ip["2001:db8::66"].users == ("git",)


def test_logs_failed_logins_extra_patterns() -> None:
    lines = parse(SECURE, "/var/log/secure")
    result = failed_logins(lines, [r"Login failed user=(?P<user>\S+) ip=(?P<ip>\S+)"])
    web = next(r for r in result if r.ip == "192.0.2.200")
    assert (web.count, web.users) == (1, ("admin",))
    with pytest.raises(ValueError, match="needs a group"):
        failed_logins(lines, [r"Login failed"])


def test_logs_firewall_line_fields() -> None:
    syslog, journal, dmesg, other, unnamed, not_firewall = KERNEL.splitlines()
    assert parse_firewall_line(syslog) == {
        "SRC": "203.0.113.7",
        "DST": "10.0.0.5",
        "PROTO": "UDP",
        "SPT": "5071",
        "DPT": "5060",
        "prefix": "SIP-RATE-LIMIT:",
    }
    assert parse_firewall_line(journal)["prefix"] == "SIP-RATE-LIMIT:"
    assert parse_firewall_line(dmesg)["prefix"] == "SIP-RATE-LIMIT:"
    assert parse_firewall_line(other)["prefix"] == "SIP-SCAN-DROP"
    assert parse_firewall_line(unnamed)["prefix"] == ""
    assert parse_firewall_line(not_firewall) is None


def test_logs_firewall_hits_grouped_by_source() -> None:
    lines = parse(KERNEL, "/var/log/messages")
    (rate_limited,) = firewall_hits(lines, ["SIP-RATE-LIMIT: "])
    assert (rate_limited.ip, rate_limited.count) == ("203.0.113.7", 3)
    assert rate_limited.prefixes == (("SIP-RATE-LIMIT:", 3),)
    assert rate_limited.ports == (5060,)
    assert rate_limited.protocols == ("UDP",)
    everything = firewall_hits(lines)
    assert [(h.ip, h.count) for h in everything] == [("203.0.113.7", 4), ("198.51.100.3", 1)]
    assert everything[0].prefixes == (("SIP-RATE-LIMIT:", 3), ("SIP-SCAN-DROP", 1))
    assert everything[0].ports == (5060, 5080)
    assert everything[1].protocols == ("TCP",)
    assert firewall_hits(lines, ["NO-SUCH-PREFIX"]) == []
    # The lines themselves are warnings and name both addresses.
    assert lines[0].level == "warning"
    assert lines[0].ips == ("203.0.113.7", "10.0.0.5")
