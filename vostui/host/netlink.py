"""What the two raw netlink readers share (nf_tables counters, conntrack entries):
the netfilter protocol number, message flags, header layouts and the attribute walk.

Both readers only ever send GET requests; see `nft_netlink` and `ct_netlink`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

NETLINK_NETFILTER = 12
NLMSG_NOOP = 1
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_DUMP_INTR = 0x10
NLM_F_DUMP = 0x300
NLA_TYPE_MASK = 0x3FFF  # without NLA_F_NESTED and NLA_F_NET_BYTEORDER

HEADER = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, sequence, port id
ATTR = struct.Struct("=HH")  # nlattr: length, type (host byte order)


def attributes(buf: bytes, start: int, end: int) -> Iterable[tuple[int, int, int]]:
    """(type, data start, data end) of each netlink attribute in buf[start:end]; stops
    at the first one that does not fit."""
    while start + 4 <= end:
        length, kind = ATTR.unpack_from(buf, start)
        if length < 4 or start + length > end:
            return
        yield kind & NLA_TYPE_MASK, start + 4, start + length
        start += (length + 3) & ~3
