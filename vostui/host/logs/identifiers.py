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

# Candidates are found with simple patterns (fast to scan) and checked in Python.
_IPV4 = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_CALL_ID_AT = re.compile(
    r"call[-_ ]?id\s*[:=]\s*[<\"'\[]?([^\s\"'<>\[\](),;]{3,256})", re.IGNORECASE
)
_DIGITS = re.compile(r"\+?[0-9]{5,20}")
_URI_NUMBER = re.compile(r"(?:sips?|tel):\+?([0-9]{3,20})(?=[@;> ]|$)", re.IGNORECASE)
_URI_HINTS = ("sip:", "SIP:", "tel:", "TEL:", "sips:", "SIPS:")
_KEY_WORDS = (
    "caller",
    "callee",
    "calling",
    "called",
    "callerid",
    "ani",
    "dnis",
    "cli",
    "cld",
    "number",
    "e164",
    "src",
    "dst",
    "from",
    "to",
)
# "caller", "caller_number", "callee-no", "calledNum": compared without - and _.
_KEYS = frozenset(
    word + suffix for word in _KEY_WORDS for suffix in ("", "number", "num", "no", "id", "e164")
)
_URI_SCHEMES = ("sip:", "sips:", "tel:")
_FIREWALL_FIELDS = (" SRC=", " DST=")


def _unique(values: list[str]) -> tuple[str, ...]:
    if not values:
        return ()
    return tuple(dict.fromkeys(values))[:MAX_PER_LINE]


def _ipv4(text: str) -> list[str]:
    found = []
    for match in _IPV4.finditer(text):
        start, end = match.span()
        if start and text[start - 1] in ".":
            continue  # part of a longer dotted run ("1.2.3.4.5", a version)
        if text[end : end + 1] == "." and text[end + 1 : end + 2].isdigit():
            continue
        ip = match.group()
        parts = ip.split(".")
        if all(len(p) <= 3 and int(p) <= 255 for p in parts):
            found.append(ip)
    return found


def is_firewall_line(text: str) -> bool:
    """A kernel line from an iptables LOG rule: "PREFIX IN=eth0 OUT= … SRC=… DST=…"."""
    return " SRC=" in text and " DST=" in text and "IN=" in text


def _firewall_ips(text: str) -> tuple[str, ...]:
    # Its addresses are in SRC= and DST=; reading those is exact and cheap, and a
    # flood of these lines is exactly when reading must keep up.
    found = []
    for field in _FIREWALL_FIELDS:
        start = text.find(field)
        if start < 0:
            continue
        start += len(field)
        end = text.find(" ", start)
        value = text[start : end if end >= 0 else len(text)]
        try:
            found.append(ipaddress.ip_address(value).compressed)
        except ValueError:
            continue
    return _unique(found)


def extract_ips(text: str) -> tuple[str, ...]:
    if is_firewall_line(text):
        return _firewall_ips(text)
    found: list[str] = _ipv4(text) if "." in text else []
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
    lowered = text.lower()
    found = []
    index = lowered.find("call")
    while index >= 0:
        if index == 0 or not text[index - 1].isalnum():
            match = _CALL_ID_AT.match(text, index)
            if match is not None:
                found.append(match.group(1))
        index = lowered.find("call", index + 4)
    return _unique(found)


def _key_before(context: str) -> bool:
    """Does `context` end with a number field's name: "caller=", "callee: <sip:", "ani='"?"""
    context = context.rstrip("\"'< ")
    lowered = context.lower()
    for scheme in _URI_SCHEMES:
        if lowered.endswith(scheme):
            context = context[: -len(scheme)].rstrip("\"'< ")
            break
    if not context or context[-1] not in "=:":
        return False
    context = context[:-1].rstrip()
    start = len(context)
    while start and (context[start - 1].isalnum() or context[start - 1] in "-_"):
        start -= 1
    word = context[start:].lower().replace("-", "").replace("_", "")
    return word in _KEYS


def extract_numbers(text: str) -> tuple[str, ...]:
    if is_firewall_line(text):
        return ()
    found: list[str] = []
    if any(hint in text for hint in _URI_HINTS):
        found.extend(_URI_NUMBER.findall(text))
    for match in _DIGITS.finditer(text):
        start, end = match.span()
        before = text[start - 1 : start]
        after = text[end : end + 1]
        # Part of a word, an address, a clock or a longer run of digits: not a number.
        if before.isalnum() or after.isalnum() or after in (".", ":") or before in (".", "_", "-"):
            continue
        if before and before in "=:<'\" " and _key_before(text[max(0, start - 30) : start]):
            found.append(match.group().lstrip("+"))
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
