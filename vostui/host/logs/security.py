"""Who is knocking: failed logins and firewall LOG hits, grouped by source IP.

sshd writes one failed attempt on two to four lines ("Invalid user", the PAM
"authentication failure", "Failed password for invalid user"); an attempt is counted
once: per sshd process, its "Failed …" lines count, and only when there are none its
"Invalid user" or PAM lines do. Kernel lines from iptables LOG rules
("SIP-RATE-LIMIT: IN=eth0 OUT= … SRC=1.2.3.4 … DPT=5060") are grouped by SRC and prefix.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vostui.host.logs.line import LogLine

MAX_USERS = 20

_FAILED = re.compile(
    r"Failed (?:password|publickey|keyboard-interactive/pam|none|hostbased) for "
    r"(?:invalid user )?(?P<user>.*?) from (?P<ip>[0-9A-Fa-f:.]+)(?: port \d+)?"
)
_INVALID = re.compile(r"[Ii]nvalid user (?P<user>.*?) from (?P<ip>[0-9A-Fa-f:.]+)")
_PAM = re.compile(
    r"authentication failure;.*?\brhost=(?P<ip>[0-9A-Fa-f:.]+)(?:.*?\buser=(?P<user>\S+))?"
)
# "sshd[1234]:" names the process that handled one connection.
_PROCESS = re.compile(r"(?P<prog>[\w./-]+)\[(?P<pid>\d+)\]:")
_FIREWALL = re.compile(r"(?:^|(?<=[\s:]))IN=\S* OUT=")
_KERNEL_CLOCK = re.compile(r"^\s*\[\s*\d+\.\d+\]")
_FIELD = re.compile(r"\b(SRC|DST|PROTO|SPT|DPT)=(\S+)")


@dataclass(frozen=True, slots=True)
class FailedLogins:
    """Failed login attempts from one source IP."""

    ip: str
    count: int
    users: tuple[str, ...]  # the names tried, first seen first (at most MAX_USERS)
    first: float  # epoch of the first attempt seen
    last: float


@dataclass(frozen=True, slots=True)
class FirewallHits:
    """Kernel LOG lines for one source IP."""

    ip: str
    count: int
    prefixes: tuple[tuple[str, int], ...]  # (LOG prefix, lines), most first
    protocols: tuple[str, ...]
    ports: tuple[int, ...]  # destination ports, most hit first
    first: float
    last: float


class _Attempts:
    __slots__ = ("failed", "first", "last", "other", "users")

    def __init__(self) -> None:
        self.failed = 0
        self.other = 0
        self.users: dict[str, None] = {}
        self.first = float("inf")
        self.last = float("-inf")


def failed_logins(
    lines: Iterable[LogLine], extra_patterns: Sequence[str | re.Pattern[str]] = ()
) -> list[FailedLogins]:
    """Failed logins per source IP, most first.

    `extra_patterns` are regular expressions with a named group `ip` (and optionally
    `user`) for other services (a softswitch's web login, a SIP registrar); each
    matching line counts as one attempt.
    """
    extras = [re.compile(p) if isinstance(p, str) else p for p in extra_patterns]
    for extra in extras:
        if "ip" not in extra.groupindex:
            raise ValueError(f"failed-login pattern {extra.pattern!r} needs a group (?P<ip>…)")
    # (file, process id or line number, ip) -> attempts seen in that one process
    groups: dict[tuple[str, str, str], _Attempts] = defaultdict(_Attempts)
    for line in lines:
        text = line.text
        kind = ""
        match = _FAILED.search(text)
        if match is not None:
            kind = "failed"
        else:
            match = _INVALID.search(text) or _PAM.search(text)
            if match is not None:
                kind = "other"
            else:
                for extra in extras:
                    match = extra.search(text)
                    if match is not None:
                        kind = "extra"
                        break
        if match is None:
            continue
        ip = match.group("ip").strip(".:")
        if not ip:
            continue
        process = _PROCESS.search(text) if kind != "extra" else None
        key = (line.file, process.group("pid") if process else f"#{line.seq}", ip)
        attempts = groups[key]
        if kind == "other":
            attempts.other += 1
        else:
            attempts.failed += 1
        user = match.groupdict().get("user")
        if user:
            attempts.users[user] = None
        attempts.first = min(attempts.first, line.ts)
        attempts.last = max(attempts.last, line.ts)
    per_ip: dict[str, _Attempts] = defaultdict(_Attempts)
    for (_, _, ip), attempts in groups.items():
        total = per_ip[ip]
        # One attempt writes a "Failed …" line plus "Invalid user"/PAM lines.
        total.failed += attempts.failed or attempts.other
        total.users.update(attempts.users)
        total.first = min(total.first, attempts.first)
        total.last = max(total.last, attempts.last)
    result = [
        FailedLogins(ip, a.failed, tuple(a.users)[:MAX_USERS], a.first, a.last)
        for ip, a in per_ip.items()
    ]
    result.sort(key=lambda r: (-r.count, -r.last, r.ip))
    return result


def parse_firewall_line(text: str) -> dict[str, str] | None:
    """The fields of a kernel LOG line ("prefix", "SRC", "DST", "PROTO", "SPT", "DPT")."""
    if "IN=" not in text or " SRC=" not in text:
        return None
    match = _FIREWALL.search(text)
    if match is None:
        return None
    fields = dict(_FIELD.findall(text, match.end()))
    if "SRC" not in fields:
        return None
    # The LOG prefix sits between the syslog header ("… kernel: [ 12.345] ") and IN=.
    head = text[: match.start()]
    kernel = head.rfind("kernel:")
    if kernel >= 0:
        head = head[kernel + len("kernel:") :]
    fields["prefix"] = _KERNEL_CLOCK.sub("", head).strip()
    return fields


def firewall_hits(lines: Iterable[LogLine], prefixes: Sequence[str] = ()) -> list[FirewallHits]:
    """Kernel LOG lines per source IP, most first; only the given prefixes if any."""
    wanted = [p.strip() for p in prefixes if p.strip()]
    counts: dict[str, int] = Counter()
    per_prefix: dict[str, Counter[str]] = defaultdict(Counter)
    protocols: dict[str, dict[str, None]] = defaultdict(dict)
    ports: dict[str, Counter[int]] = defaultdict(Counter)
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    for line in lines:
        fields = parse_firewall_line(line.text)
        if fields is None:
            continue
        prefix = fields["prefix"]
        if wanted:
            # Contained, not equal: a header we do not know may sit before the prefix.
            label = next((w for w in wanted if w in prefix), None)
            if label is None:
                continue
        else:
            label = prefix
        ip = fields["SRC"]
        counts[ip] += 1
        per_prefix[ip][label] += 1
        if "PROTO" in fields:
            protocols[ip][fields["PROTO"]] = None
        if fields.get("DPT", "").isdigit():
            ports[ip][int(fields["DPT"])] += 1
        first[ip] = min(first.get(ip, line.ts), line.ts)
        last[ip] = max(last.get(ip, line.ts), line.ts)
    result = [
        FirewallHits(
            ip=ip,
            count=count,
            prefixes=tuple(per_prefix[ip].most_common()),
            protocols=tuple(protocols[ip]),
            ports=tuple(port for port, _ in ports[ip].most_common()),
            first=first[ip],
            last=last[ip],
        )
        for ip, count in counts.items()
    ]
    result.sort(key=lambda r: (-r.count, -r.last, r.ip))
    return result
