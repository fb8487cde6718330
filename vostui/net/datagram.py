"""What the packet layer hands to the SIP layer."""

from __future__ import annotations

from dataclasses import dataclass

from vostui.frozen import fast_constructor


@dataclass(slots=True, frozen=True)
class Datagram:
    """One transport payload: a UDP datagram, or one SIP message framed out of a TCP stream.

    `ts` is the capture timestamp (seconds since the epoch, float). `frame` is the
    1-based number of the (last) frame that carried it in its source, for reference.
    """

    ts: float
    src: str
    sport: int
    dst: str
    dport: int
    transport: str  # "udp" or "tcp"
    payload: bytes
    frame: int = 0


# Made once per packet: built without the dataclass's __init__ (see vostui.frozen).
new_datagram = fast_constructor(Datagram)
