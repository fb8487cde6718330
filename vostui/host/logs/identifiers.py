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
# A number stands after "=" or ":" ("caller=123…", "sip:100@", "callee: <tel:+44…>"); what
# stands before that sign says whether it is a phone number. Starting the pattern with the
# sign lets the scan skip quickly over everything else.
_VALUE = re.compile(
    r"[=:][ \t]*[\"'<]?(?P<scheme>(?:sips?|tel):)?\+?(?P<digits>[0-9]{3,20})(?![0-9A-Za-z.:_-])",
    re.IGNORECASE,
)
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
_URI_SCHEMES = ("sips", "sip", "tel")
_FIREWALL_FIELDS = (" SRC=", " DST=")


def _unique(values: list[str]) -> tuple[str, ...]:
    if not values:
        return ()
    return tuple(dict.fromkeys(values))[:MAX_PER_LINE]


def _ipv4(text: str) -> list[str]:
    found = []
    for match in _IPV4.finditer(text):
        start, end = match.span()
        if start and text[start - 1] == ".":
            continue  # part of a longer dotted run ("1.2.3.4.5", a version)
        if text[end : end + 1] == "." and text[end + 1 : end + 2].isdigit():
            continue
        ip = match.group()
        a, b, c, d = ip.split(".")
        if len(ip) <= 15 and int(a) <= 255 and int(b) <= 255 and int(c) <= 255 and int(d) <= 255:
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


def _key_before(text: str, sign: int) -> bool:
    """Is the word before `text[sign]` (an "=" or ":") a number field's name?"""
    end = sign
    while end and text[end - 1] in " \t\"'":
        end -= 1
    start = end
    while start and end - start < 24 and (text[start - 1].isalnum() or text[start - 1] in "-_"):
        start -= 1
    return text[start:end].lower().replace("-", "").replace("_", "") in _KEYS


def _uri_before(text: str, sign: int) -> bool:
    """Is the ":" at `sign` the end of "sip:", "sips:" or "tel:" (not of "gossip:")?"""
    for scheme in _URI_SCHEMES:
        start = sign - len(scheme)
        if start >= 0 and text[start:sign].lower() == scheme:
            return start == 0 or not text[start - 1].isalnum()
    return False


def extract_numbers(text: str) -> tuple[str, ...]:
    if is_firewall_line(text):
        return ()
    found: list[str] = []
    for match in _VALUE.finditer(text):
        sign = match.start()
        digits = match.group("digits")
        if match.group("scheme"):
            # "callee=sip:8801…@": a URI user part, named by a field or not.
            if text[match.end() : match.end() + 1] in ("@", ";", ">", " ", ""):
                found.append(digits)
        elif text[sign] == ":" and _uri_before(text, sign):
            if text[match.end() : match.end() + 1] in ("@", ";", ">", " ", ""):
                found.append(digits)
        elif len(digits) >= 5 and _key_before(text, sign):
            found.append(digits)
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
