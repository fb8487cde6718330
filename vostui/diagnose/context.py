"""What the rules read: the snapshots, the settings, and facts derived once per run.

A rule is a pure function of a `Context`. Facts several rules need (the legs that count
for each gateway, the sources by IP) are computed on first use and shared, so one
diagnosis walks the 20,000 calls of a busy snapshot a handful of times, not once per
rule and gateway.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from functools import cached_property, lru_cache
from typing import Any

from vostui.diagnose.settings import Settings
from vostui.engine.snapshot import (
    CallView,
    EngineSnapshot,
    LegView,
    MessageRecord,
    SourceView,
)
from vostui.report import clock, seconds
from vostui.text import clean_line

LOOPBACK = "loopback"
PRIVATE = "private"
CGNAT = "cgnat"
LINK_LOCAL = "link-local"
PUBLIC = "public"
UNSPECIFIED = "unspecified"
NOT_IP = "not-ip"

_CGNAT = ipaddress.ip_network("100.64.0.0/10")


@lru_cache(maxsize=8192)
def address_class(text: str) -> str:
    """loopback, private (RFC 1918, ULA), cgnat (100.64/10), link-local, public,
    unspecified (0.0.0.0: hold), or not-ip (a host name, garbage).

    Loopback is a class of its own, never "private": on a capture made on one host
    (127.0.0.0/8) a 192.168.x.x media address is as foreign to the signalling as it
    would be behind a public address.
    """
    value = text.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    value = value.split("%", 1)[0]
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return NOT_IP
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if addr.is_unspecified:
        return UNSPECIFIED
    if addr.is_loopback:
        return LOOPBACK
    if addr.is_link_local:
        return LINK_LOCAL
    if isinstance(addr, ipaddress.IPv4Address) and addr in _CGNAT:
        return CGNAT
    if addr.is_private:
        return PRIVATE
    return PUBLIC


def unreachable_from(address: str, source: str) -> bool:
    """An address nobody past a NAT can reach, announced from somewhere else: the
    announced address is private (or CGNAT, link-local, loopback) and its class differs
    from the class of the packet's source address."""
    kind = address_class(address)
    if kind not in (PRIVATE, CGNAT, LINK_LOCAL, LOOPBACK):
        return False
    if address == source:
        return False
    source_kind = address_class(source)
    # Two private addresses: a LAN with a separate media server is normal; only a
    # private address behind a public, loopback or CGNAT source is a NAT problem.
    return source_kind != kind


def first_line(record: MessageRecord) -> str:
    raw = record.msg.raw
    end = raw.find(b"\r\n")
    if end < 0:
        end = raw.find(b"\n")
    line = raw[: end if end >= 0 else 200][:200]
    return line.decode("utf-8", "replace")


def message_line(record: MessageRecord, note: str = "") -> str:
    """`12:00:01.234 10.0.0.1:5060 → 10.0.0.2:5060 INVITE sip:…` as it was on the wire."""
    resent = " (resent)" if record.retransmission else ""
    extra = f"  [{note}]" if note else ""
    return clean_line(
        f"{clock(record.ts)} {record.src}:{record.sport} → {record.dst}:{record.dport} "
        f"{first_line(record)}{resent}{extra}",
        400,
    )


def header_line(record: MessageRecord, name: str, label: str) -> str:
    value = record.msg.header(name)
    return "" if value is None else clean_line(f"    {label}: {value}", 300)


def find(leg: LegView, pred: Callable[[MessageRecord], bool]) -> MessageRecord | None:
    for record in leg.messages:
        if pred(record):
            return record
    return None


def is_invite_response(code: int) -> Callable[[MessageRecord], bool]:
    def pred(record: MessageRecord) -> bool:
        msg = record.msg
        return not msg.is_request and msg.status == code and msg.cseq_method == "INVITE"

    return pred


def first_request(leg: LegView) -> MessageRecord | None:
    return find(leg, lambda r: r.msg.is_request and r.msg.method == "INVITE")


def call_line(call: CallView, now: float) -> str:
    """One call in a line: who called whom, via which gateways, the outcome."""
    via = call.routing_gateway or call.mapping_gateway or call.legs[-1].gateway
    outcome = f"{call.final_code} {call.final_reason}".strip() if call.final_code else call.state
    return clean_line(
        f"call {clock(call.start)} {call.caller or '?'} → {call.callee or '?'}"
        f" via {via or '?'}: {outcome}, {seconds(call.duration(now))}",
        300,
    )


def leg_line(leg: LegView, now: float) -> str:
    outcome = f"{leg.final_code} {leg.final_reason}".strip() if leg.final_code else leg.state
    return clean_line(
        f"{leg.role}-leg {clock(leg.start)} {leg.src} → {leg.dst} ({leg.gateway or '?'})"
        f" {leg.caller or '?'} → {leg.callee or '?'}: {outcome}",
        300,
    )


class Context:
    """Inputs of one diagnosis run and the facts derived from them on demand."""

    def __init__(
        self,
        snap: EngineSnapshot,
        host: Any = None,
        logs: Any = None,
        settings: Settings | None = None,
    ) -> None:
        self.snap = snap
        self.host = host  # vostui.host.monitor.HostSnapshot, or None
        self.logs = logs  # vostui.host.logs.LogSnapshot, or None
        self.settings = settings or Settings()
        self.now = snap.now

    @cached_property
    def legs_by_gateway(self) -> dict[str, list[tuple[CallView, LegView]]]:
        """Per gateway, the legs whose outcome is that gateway's, in start order.

        A B-leg counts for its vendor. An A-leg counts only when the softswitch placed
        no B-leg (it refused the call itself: the customer's side); otherwise its
        outcome is the vendor's, already counted.
        """
        out: dict[str, list[tuple[CallView, LegView]]] = {}
        for call in self.snap.calls:
            legs = call.legs
            if len(legs) == 1:
                leg = legs[0]
                out.setdefault(leg.gateway or "?", []).append((call, leg))
                continue
            for leg in legs[1:]:
                out.setdefault(leg.gateway or "?", []).append((call, leg))
        for items in out.values():
            items.sort(key=lambda item: item[1].start)
        return out

    @cached_property
    def sources(self) -> dict[str, SourceView]:
        return {source.ip: source for source in self.snap.sources}

    @cached_property
    def softswitch(self) -> frozenset[str]:
        return frozenset(self.snap.softswitch)

    @cached_property
    def attackers(self) -> frozenset[str]:
        """IPs the scanner rules report: registration rules fold their failures there."""
        s = self.settings
        found = set()
        for source in self.snap.sources:
            if source.ip in s.trusted_ips:
                continue
            if (
                source.auth_failures >= s.brute_force_failures
                or source.accounts_tried >= s.enumeration_accounts
            ):
                found.add(source.ip)
        return frozenset(found)

    def trusted(self, ip: str) -> bool:
        return ip in self.settings.trusted_ips


def examples(lines: Iterable[str], count: int = 5) -> list[str]:
    out = []
    for line in lines:
        out.append(line)
        if len(out) >= count:
            break
    return out
