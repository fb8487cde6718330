"""Is an address one that cannot be reached from the Internet?

A private address in a Contact, Via or SDP `c=` line of a packet that came from a
public address is the classic sign of a phone behind NAT without a working ALG/STUN
setup: one-way audio, calls that drop after 32 s, registrations that expire.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

# RFC 1918, CGNAT (RFC 6598), link-local, loopback, unique-local and link-local IPv6.
_PRIVATE_NETS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "127.0.0.0/8",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
)


@lru_cache(maxsize=4096)
def is_private(ip: str) -> bool:
    """True for RFC 1918, CGNAT 100.64/10, link-local, loopback and ULA addresses.

    Accepts "[v6]" brackets and "%zone" suffixes; anything that is not an IP address
    (a host name, garbage) is not private.
    """
    text = ip.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    text = text.split("%", 1)[0]
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return any(addr in net for net in _PRIVATE_NETS if net.version == addr.version)
