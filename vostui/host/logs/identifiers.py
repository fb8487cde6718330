"""Call-IDs, IP addresses and phone numbers named in a log line.

These let the console go from a call to its log lines and back. Numbers are taken only
where the line says they are numbers (a `sip:`/`tel:` URI user part, or a field such as
`caller=`, `callee:`, `ani=`): a bare run of digits in a log is as often a PID, a port
or a byte count.
"""

from __future__ import annotations

import ipaddress
import re

MAX_PER_LINE = 8

_IPV4 = re.compile(
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    r"(?!\d|\.\d)"
)
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_CALL_ID = re.compile(r"(?i)\bcall[-_ ]?id\s*[:=]\s*[<\"'\[]?(?P<cid>[^\s\"'<>\[\](),;]{3,256})")
_NUMBER = re.compile(
    r"(?i)\b(?:sips?|tel):(?P<uri>\+?\d{3,20})(?=[@;>\s]|$)"
    r"|\b(?:caller|callee|calling|called|callerid|ani|dnis|cli|cld|number|e164"
    r"|src|dst|from|to)(?:[-_ ]?(?:number|num|no|id|e164))?\s*[=:]\s*[\"'<]?(?:sips?:|tel:)?"
    r"(?P<kv>\+?\d{5,20})(?![\d.:])"
)


def _unique(values: list[str]) -> tuple[str, ...]:
    if not values:
        return ()
    return tuple(dict.fromkeys(values))[:MAX_PER_LINE]


def extract_ips(text: str) -> tuple[str, ...]:
    found: list[str] = []
    if "." in text:
        found.extend(_IPV4.findall(text))
    # A clock "17:45:01" or a MAC also looks like hex and colons: keep what parses.
    if "::" in text or text.count(":") >= 7:
        for candidate in _IPV6.findall(text):
            if "::" not in candidate and candidate.count(":") != 7:
                continue
            if candidate.strip(":") == "":
                continue
            try:
                found.append(ipaddress.IPv6Address(candidate).compressed)
            except ValueError:
                continue
    return _unique(found)


def extract_call_ids(text: str) -> tuple[str, ...]:
    return _unique(_CALL_ID.findall(text))


def extract_numbers(text: str) -> tuple[str, ...]:
    found = [(uri or kv).lstrip("+") for uri, kv in _NUMBER.findall(text)]
    return _unique(found)


def digits_match(a: str, b: str, min_digits: int = 7) -> bool:
    """Same number up to prefixes (00, +, country code, a carrier's tech prefix).

    Equal, or the shorter is a suffix of the longer and has at least `min_digits`
    digits: the way a softswitch's A- and B-leg numbers relate.
    """
    a = a.lstrip("+")
    b = b.lstrip("+")
    if a == b:
        return bool(a)
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= min_digits and long.endswith(short)
