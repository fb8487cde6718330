"""Fingerprints of SIP scanners and brute-forcers in one message.

`signatures(msg)` names what matched: a tool name when its User-Agent (or its name in
From/To/Contact) is there, and a shape name when the message is built the way a
known tool builds it even with the User-Agent changed. One message is evidence, not
proof: the engine counts signatures per source IP and the diagnosis decides.

Tool names: friendly-scanner, unfriendly-scanner (the same SIPVicious code with a
lab's User-Agent), sipvicious, sipcli, vaxsipuseragent, sipscan (SIPScan, sip-scan),
pplsip, iwar, sundayddr, smap, sivus.

Shapes:
- sipvicious-from: svmap's default From, `"sipvicious"<sip:100@1.1.1.1>`.
- sipvicious-contact: SIPVicious's default Contact, `sip:123@1.1.1.1`.
- svwar-enum: From and To both `"N"<sip:N@host>` (display name equal to the user,
  no space before "<"): how svwar/svcrack write every probe while they enumerate
  extensions or guess passwords. Phones put a space there.

Not flagged, on purpose: sipsak and SIPp (operators use them for health checks and
tests), Ozeki and PortSIP (commercial SDKs in legitimate softphones, although
attackers borrow their names), and "Asterisk"/"FPBX" (spoofed by scanners as often as
used by real PBXs: a User-Agent alone cannot tell them apart).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from vostui import speedups
from vostui.sip.message import SipMessage

# One alternation, one pass over the User-Agent. Group names are signature names
# with "_" for "-". "unfriendly" comes first so that it wins over "friendly".
_UA_TOOLS = re.compile(
    r"(?P<unfriendly_scanner>unfriendly-scanner)"
    r"|(?P<friendly_scanner>friendly-scanner)"
    r"|(?P<sipvicious>sipvicious)"
    r"|(?P<sipcli>\bsipcli\b)"
    r"|(?P<vaxsipuseragent>vaxsipuseragent)"
    r"|(?P<sipscan>\bsip-?scan)"
    r"|(?P<pplsip>pplsip)"
    r"|(?P<iwar>\biwar\b)"
    r"|(?P<sundayddr>sundayddr)"
    r"|(?P<smap>\bsmap\b)"
    r"|(?P<sivus>\bsivus\b)",
    re.IGNORECASE,
)

# In From/To/Contact only the long, unmistakable names: "smap" or "iwar" could be
# somebody's user name there.
_HEADER_TOOLS = re.compile(
    r"(?P<unfriendly_scanner>unfriendly-scanner)"
    r"|(?P<friendly_scanner>friendly-scanner)"
    r"|(?P<sipvicious>sipvicious)"
    r"|(?P<sipcli>\bsipcli\b)"
    r"|(?P<vaxsipuseragent>vaxsipuseragent)"
    r"|(?P<sipscan>\bsip-?scan\b)"
    r"|(?P<pplsip>pplsip)"
    r"|(?P<sundayddr>sundayddr)",
    re.IGNORECASE,
)

# svwar/svcrack: '"%s"<sip:%s@%s>' % (ext, ext, host).
_SVWAR_ADDR = re.compile(r'"([^"<>]{1,64})"<sips?:\1@', re.IGNORECASE)


# Every tool name above holds one of these: a plain substring test rules out nearly
# every honest message before the regular expression runs.
_KEYWORDS = ("scan", "sipvicious", "sipcli", "vaxsip", "pplsip", "iwar", "sunday", "smap", "sivus")


def _has_keyword(low: str) -> bool:
    # Written out: a generator over _KEYWORDS cost more than the tests themselves.
    return (
        "scan" in low
        or "sipvicious" in low
        or "sipcli" in low
        or "vaxsip" in low
        or "pplsip" in low
        or "iwar" in low
        or "sunday" in low
        or "smap" in low
        or "sivus" in low
    )


def _tool_names(pattern: re.Pattern[str], text: str, found: list[str]) -> None:
    if not _has_keyword(text.lower()):
        return
    for match in pattern.finditer(text):
        group = match.lastgroup
        if group is not None:
            name = group.replace("_", "-")
            if name not in found:
                found.append(name)


def signatures(msg: SipMessage) -> tuple[str, ...]:
    """Scanner signatures present in one message, in a stable order; () when none."""
    if no_signature is not None and no_signature(msg.headers, msg.user_agent, msg.is_request):
        return ()  # the compiled path's quick answer for honest messages (same result)
    found: list[str] = []
    if msg.user_agent:
        _tool_names(_UA_TOOLS, msg.user_agent, found)

    from_value = ""
    to_value = ""
    addresses: list[str] = []
    odd_contact = False  # SIPVicious's 1.1.1.1 in a Contact: only then are they parsed
    for name, value in msg.headers:
        if name == "from":
            from_value = from_value or value
            addresses.append(value)
        elif name == "to":
            to_value = to_value or value
            addresses.append(value)
        elif name == "contact":
            addresses.append(value)
            odd_contact = odd_contact or "1.1.1.1" in value
    if addresses:
        _tool_names(_HEADER_TOOLS, "\n".join(addresses), found)

    # (A backslash: a quoted display name may spell "sipvicious" with escapes.)
    if "1.1.1.1" in from_value or "sipvicious" in from_value.lower() or "\\" in from_value:
        from_uri = msg.from_.uri
        if msg.from_.display.lower() == "sipvicious" or (
            from_uri.user == "100" and from_uri.host == "1.1.1.1"
        ):
            found.append("sipvicious-from")
    if odd_contact and any(c.uri.user == "123" and c.uri.host == "1.1.1.1" for c in msg.contacts):
        found.append("sipvicious-contact")
    if msg.is_request and '"<' in from_value and '"<' in to_value:
        from_match = _SVWAR_ADDR.match(from_value)
        to_match = _SVWAR_ADDR.match(to_value)
        if from_match and to_match and from_match.group(1) == to_match.group(1):
            found.append("svwar-enum")
    return tuple(found)


# The compiled path (see `vostui.speedups`): True when `signatures` would certainly find
# nothing (no tool keyword in the User-Agent, From, To or Contact, no SIPVicious
# address, not svwar's shape); then the Python code above is skipped.
no_signature: Callable[[tuple[tuple[str, str], ...], str, bool], bool] | None = (
    speedups.extension.no_signature if speedups.extension is not None else None
)
