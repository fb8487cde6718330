"""What the rules read: the snapshots, the settings, and facts derived once per run.

A rule is a pure function of a `Context`. Facts several rules need (the legs that count
for each gateway, the sources by IP) are computed on first use and shared, so one
diagnosis walks the 20,000 calls of a busy snapshot a handful of times, not once per
rule and gateway.
"""

from __future__ import annotations

import bisect
import ipaddress
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from vostui.diagnose.legit import Peers
from vostui.diagnose.settings import Settings
from vostui.engine.snapshot import (
    CallView,
    EngineSnapshot,
    LegView,
    MediaEndpoint,
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


def gave_up(leg: LegView) -> bool:
    """An INVITE left without a final answer: timed out, or sent again and again with
    no response at all (whatever state the engine left it in: a capture may end before
    Timer B, and the engine may end it at the end of the input)."""
    if leg.answered is not None or leg.final_code:
        return False
    if leg.state == "timed_out":
        return True
    resent = 0
    for record in leg.messages:
        msg = record.msg
        if not msg.is_request:
            if msg.cseq_method == "INVITE":
                return False  # an answer came (100 Trying, ringing): not unreachable
            continue
        if msg.method == "INVITE" and record.retransmission:
            resent += 1
    return resent >= 2


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


NOT_VOICE = frozenset({"TELEPHONE-EVENT", "CN", "COMFORT-NOISE", "RED", "ULPFEC"})


def voice(codecs: Iterable[str]) -> list[str]:
    return [c for c in codecs if c.upper() not in NOT_VOICE]


def negotiated_te(leg: LegView) -> bool | None:
    """telephone-event in both offer and answer; None without an answered SDP."""
    offer, answer = leg.media_offer, leg.media_answer
    if offer is None or answer is None or leg.answered is None:
        return None
    return offer.telephone_event is not None and answer.telephone_event is not None


def no_common_voice(leg: LegView) -> bool:
    """The answer has voice codecs and none of them was offered."""
    answered = leg.codecs_answered
    offered = leg.codecs_offered
    if not answered or not offered:
        return False
    if answered[0] in offered:
        return False  # the usual case, decided without building sets
    offer = {c.upper() for c in voice(offered)}
    answer = voice(answered)
    return bool(offer and answer) and not any(c.upper() in offer for c in answer)


@dataclass(slots=True)
class CallFacts:
    """What the call rules need, gathered in one pass over every leg of every call."""

    answered_calls: int = 0
    unacked: list[tuple[CallView, LegView]] = field(default_factory=list)
    hung: list[CallView] = field(default_factory=list)
    rejected_422: list[tuple[CallView, LegView]] = field(default_factory=list)
    timed: list[tuple[CallView, LegView]] = field(default_factory=list)  # session timer, answered
    sdp_private: list[tuple[CallView, LegView, MediaEndpoint]] = field(default_factory=list)
    sdp_public: list[tuple[CallView, MediaEndpoint]] = field(default_factory=list)
    contact_private: list[tuple[CallView, MessageRecord]] = field(default_factory=list)
    no_codec: list[tuple[CallView, LegView]] = field(default_factory=list)
    dtmf_split: list[tuple[CallView, LegView, LegView]] = field(default_factory=list)
    g729_inband: list[tuple[CallView, LegView]] = field(default_factory=list)
    # Per gateway, the legs whose outcome is that gateway's, in call start order: a
    # B-leg counts for its vendor; an A-leg only when the softswitch placed no B-leg
    # (it refused the call itself), else its outcome is the vendor's, counted already.
    by_gateway: dict[str, list[tuple[CallView, LegView]]] = field(default_factory=dict)
    recent_by_gateway: dict[str, list[tuple[CallView, LegView]]] = field(default_factory=dict)
    # Failover: a B-leg that failed while a later B-leg of the same call to another
    # gateway was answered; by the failed leg's Call-ID, the leg that completed the call.
    rescued: dict[str, LegView] = field(default_factory=dict)
    # 422 answered and the INVITE retried (same dialog, or a later leg of the call):
    # (call, the 422's leg, the first INVITE, the 422, the retried INVITE)
    retried_422: list[tuple[CallView, LegView, MessageRecord, MessageRecord, MessageRecord]] = (
        field(default_factory=list)
    )


def _media_problem(address: str, sender: str, cache: dict[tuple[str, str], str]) -> str:
    """ "private" (unreachable behind the sender), "public" (public from a private LAN
    sender) or ""; cached per (address, sender): a busy switch repeats the same few."""
    key = (address, sender)
    found = cache.get(key)
    if found is None:
        if unreachable_from(address, sender):
            found = "private"
        elif address_class(address) == PUBLIC and address_class(sender) in (
            PRIVATE,
            CGNAT,
            LINK_LOCAL,
        ):
            found = "public"
        else:
            found = ""
        cache[key] = found
    return found


def _retried_422(
    leg: LegView, later: Iterable[LegView]
) -> tuple[MessageRecord, MessageRecord, MessageRecord] | None:
    """(first INVITE, 422, retried INVITE) when this leg got a 422 to its INVITE and the
    INVITE was sent again, in the same dialog or as a later leg of the same call."""
    invite = reply = None
    for record in leg.messages:
        msg = record.msg
        if msg.is_request:
            if msg.method != "INVITE" or record.retransmission:
                continue
            if invite is None:
                invite = record
            elif reply is not None and msg.cseq != invite.msg.cseq:
                return invite, reply, record  # a new transaction, not the INVITE resent
        elif reply is None and msg.status == 422 and msg.cseq_method == "INVITE":
            reply = record
    if invite is None or reply is None:
        return None
    # A later leg of the call is the retry only towards the same gateway (or address),
    # with a larger Session-Expires: another route tried after the 422 is a failover.
    offered = invite.msg.session_expires or 0
    far_end = leg.dst.rpartition(":")[0]
    for other in later:
        if other.gateway != leg.gateway and other.dst.rpartition(":")[0] != far_end:
            continue
        retry = first_request(other)
        if (
            retry is not None
            and not retry.retransmission
            and retry.ts >= reply.ts
            and (retry.msg.session_expires or 0) > offered
        ):
            return invite, reply, retry
    return None


def scan_calls(snap: EngineSnapshot, max_call_seconds: float, recent_seconds: float) -> CallFacts:
    facts = CallFacts()
    now = snap.now
    since = now - recent_seconds
    by_gateway = facts.by_gateway
    recent = facts.recent_by_gateway
    media_cache: dict[tuple[str, str], str] = {}
    contact_cache: dict[tuple[str, str], bool] = {}
    for call in snap.calls:
        answer_time = call.answered
        answered_call = answer_time is not None
        if answer_time is not None:
            facts.answered_calls += 1
            if call.ended is None and 0 < max_call_seconds < now - answer_time:
                facts.hung.append(call)
        legs = call.legs
        for n, leg in enumerate(legs):
            if n or len(legs) == 1:
                gateway = leg.gateway or "?"
                item = (call, leg)
                group = by_gateway.get(gateway)
                if group is None:
                    group = by_gateway[gateway] = []
                group.append(item)
                if leg.start >= since:
                    recent.setdefault(gateway, []).append(item)
            answered = leg.answered is not None
            if (
                answered
                and leg.confirmed is None
                and (leg.ack_missing or leg.ok_retransmissions >= 3)
            ):
                facts.unacked.append((call, leg))
            code = leg.final_code
            retry = _retried_422(leg, legs[n + 1 :])
            if retry is not None:
                facts.retried_422.append((call, leg, *retry))
            elif code == 422:
                facts.rejected_422.append((call, leg))
            if leg.session_expires and answered:
                facts.timed.append((call, leg))
            if code in (488, 606) or (answered and no_common_voice(leg)):
                facts.no_codec.append((call, leg))
            for endpoint in (leg.media_offer, leg.media_answer):
                if endpoint is None or not endpoint.address:
                    continue
                problem = _media_problem(endpoint.address, endpoint.signalled_from, media_cache)
                if problem == "private":
                    facts.sdp_private.append((call, leg, endpoint))
                elif problem == "public":
                    facts.sdp_public.append((call, endpoint))
            messages = leg.messages
            if messages:
                first = messages[0]
                msg = first.msg
                if msg.is_request and msg.method == "INVITE" and msg.contacts:
                    host = msg.contacts[0].uri.host
                    key = (host, first.src)
                    bad = contact_cache.get(key)
                    if bad is None:
                        bad = contact_cache[key] = bool(host) and unreachable_from(host, first.src)
                    if bad:
                        facts.contact_private.append((call, first))
            if answered:
                te = negotiated_te(leg)
                if te is False:
                    codecs = voice(leg.codecs_answered)
                    if codecs and codecs[0].upper().startswith("G729"):
                        facts.g729_inband.append((call, leg))
        if answered_call and len(legs) > 2:
            bs = legs[1:]
            for b in bs:
                if b.answered is not None:
                    continue  # (a leg left unanswered counts too: the switch moved on)
                for later in bs:
                    if (
                        later is not b
                        and later.answered is not None
                        and later.start >= b.start
                        and later.gateway != b.gateway  # the next route, not a retry
                    ):
                        facts.rescued[b.call_id] = later
                        break
        if answered_call and len(legs) > 1:
            a_te = negotiated_te(legs[0])
            if a_te is not None:
                for b in legs[1:]:
                    b_te = negotiated_te(b)
                    if b_te is not None and b_te != a_te:
                        facts.dtmf_split.append((call, legs[0], b))
    if facts.rejected_422:
        _pair_422_retries(snap, facts)
    return facts


RETRY_422_SECONDS = 10.0  # a new INVITE for the same caller and callee this soon: a retry


def _pair_422_retries(snap: EngineSnapshot, facts: CallFacts) -> None:
    """A 422 whose retry came as a new call (a new Call-ID, same caller and callee,
    within `RETRY_422_SECONDS`, a larger Session-Expires) was retried, not refused."""
    wanted = {(call.caller, call.callee) for call, _leg in facts.rejected_422}
    later: dict[tuple[str, str], list[CallView]] = {}
    for call in snap.calls:
        pair = (call.caller, call.callee)
        if pair in wanted:
            later.setdefault(pair, []).append(call)
    # Per pair, the calls in start order and their starts: each 422 looks only at the
    # calls that started within RETRY_422_SECONDS after it (bisect), not at all of them
    # (a load test repeats one caller and callee for 100,000 calls).
    starts: dict[tuple[str, str], list[float]] = {}
    for pair, group in later.items():
        group.sort(key=lambda c: c.start)
        starts[pair] = [c.start for c in group]
    still: list[tuple[CallView, LegView]] = []
    for call, leg in facts.rejected_422:
        invite = first_request(leg)
        reply = find(leg, is_invite_response(422))
        retry = None
        if invite is not None and reply is not None:
            offered = invite.msg.session_expires or 0
            pair = (call.caller, call.callee)
            group = later.get(pair, [])
            times = starts.get(pair, [])
            lo = bisect.bisect_left(times, reply.ts)
            hi = bisect.bisect_right(times, reply.ts + RETRY_422_SECONDS)
            for other in group[lo:hi]:
                if other is call:
                    continue
                legs = [b for b in other.legs if b.gateway == leg.gateway] or list(other.legs)
                first = first_request(legs[0]) if legs else None
                if first is not None and (first.msg.session_expires or 0) > offered:
                    retry = first
                    break
        if retry is not None and invite is not None and reply is not None:
            facts.retried_422.append((call, leg, invite, reply, retry))
        else:
            still.append((call, leg))
    facts.rejected_422 = still


# The call facts of the latest snapshot: a diagnosis and the checklists run right after
# it on the same (immutable) snapshot walk its calls once. Facts are read, never changed.
# The snapshot is held by a weak reference whose callback drops the facts with it, so
# the cache never keeps a snapshot's calls alive.
_LAST_FACTS: tuple[weakref.ref[EngineSnapshot], tuple[float, float], CallFacts] | None = None


def _forget_facts(ref: weakref.ref[EngineSnapshot]) -> None:
    global _LAST_FACTS
    if _LAST_FACTS is not None and _LAST_FACTS[0] is ref:
        _LAST_FACTS = None


class Context:
    """Inputs of one diagnosis run and the facts derived from them on demand."""

    def __init__(
        self,
        snap: EngineSnapshot,
        host: Any = None,
        logs: Any = None,
        settings: Settings | None = None,
        *,
        reuse_facts: bool = False,
    ) -> None:
        self.snap = snap
        self.reuse_facts = reuse_facts  # take the call facts a diagnosis of snap left
        self.host = host  # vostui.host.monitor.HostSnapshot, or None
        self.logs = logs  # vostui.host.logs.LogSnapshot, or None
        self.settings = settings or Settings()
        self.now = snap.now

    @cached_property
    def calls(self) -> CallFacts:
        global _LAST_FACTS
        s = self.settings
        key = (s.max_call_seconds, s.recent_seconds)
        last = _LAST_FACTS
        if self.reuse_facts and last is not None and last[0]() is self.snap and last[1] == key:
            return last[2]  # the checklists after a diagnosis of the same snapshot
        facts = scan_calls(self.snap, s.max_call_seconds, s.recent_seconds)
        _LAST_FACTS = (weakref.ref(self.snap, _forget_facts), key, facts)
        return facts

    @property
    def legs_by_gateway(self) -> dict[str, list[tuple[CallView, LegView]]]:
        """See `CallFacts.by_gateway`."""
        return self.calls.by_gateway

    @property
    def recent_by_gateway(self) -> dict[str, list[tuple[CallView, LegView]]]:
        """`legs_by_gateway` for the legs started in the last `recent_seconds`."""
        return self.calls.recent_by_gateway

    @cached_property
    def sources(self) -> dict[str, SourceView]:
        return {source.ip: source for source in self.snap.sources}

    @cached_property
    def softswitch(self) -> frozenset[str]:
        return frozenset(self.snap.softswitch)

    @cached_property
    def peers(self) -> Peers:
        """Legitimate devices and compromised sources (`vostui.diagnose.legit`)."""
        return Peers(self.snap, self.settings)

    @cached_property
    def flagged(self) -> dict[str, tuple[str, ...]]:
        """Per source IP, the scanner rules that report it: the one definition of a
        suspicious source (doctor's scanner findings, `vostui analyze`'s list)."""
        from vostui.diagnose.rules.scanners import flag_sources

        return flag_sources(self)

    @cached_property
    def corroborated(self) -> frozenset[str]:
        """The sources of `scan.distributed_guessing` whose guessing something besides
        their few failures shows: an account refused from several of them, a scanner
        signature, more than one account tried. The others may be phones with a wrong
        password: reported, never advised to be blocked."""
        from vostui.diagnose.rules.scanners import corroborated

        return corroborated(self)

    def block_advised(self, ip: str) -> bool:
        """May a finding or a checklist step advise blocking this flagged source?"""
        if self.peers.verdict(ip).legitimate:
            return False
        rules = self.flagged.get(ip, ())
        if rules == ("scan.distributed_guessing",):
            return ip in self.corroborated
        return True

    @cached_property
    def attackers(self) -> frozenset[str]:
        """IPs the scanner rules report as guessing, enumerating or scanning:
        registration rules fold their failures there (not the uncorroborated sources
        of a distributed guess: their failing accounts are theirs to fix)."""
        folding = {
            "scan.brute_force",
            "scan.enumeration",
            "scan.signature",
            "scan.distributed_guessing",
        }
        return frozenset(
            ip
            for ip, rules in self.flagged.items()
            if folding & set(rules)
            and (rules != ("scan.distributed_guessing",) or ip in self.corroborated)
        )

    @cached_property
    def calls_by_source(self) -> dict[str, list[str]]:
        """Call keys by the IP that sent the call's first INVITE (its first leg)."""
        out: dict[str, list[str]] = {}
        for call in self.snap.calls:
            if call.legs:
                out.setdefault(call.legs[0].src.rpartition(":")[0], []).append(call.key)
        return out

    @cached_property
    def _gateway_views(self) -> dict[str, Any]:
        return {g.name: g for g in self.snap.gateways}

    def configured_gateway(self, name: str) -> bool:
        """A gateway named in the config (or within its addresses), not an address that
        merely sent or received calls."""
        view = self._gateway_views.get(name)
        address = view.address if view is not None else name
        if view is not None and view.name != view.address:
            return True  # the engine named it from the config
        if address in self.settings.gateways:
            return True
        try:
            addr = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(addr in net for net in self._gateway_networks)

    def answered_before(self, name: str) -> bool:
        """Has this gateway answered any call in the data (the engine's count, which
        outlives evicted calls, or a leg still in the snapshot)?"""
        view = self._gateway_views.get(name)
        if view is not None and view.answered:
            return True
        return any(leg.answered is not None for _c, leg in self.legs_by_gateway.get(name, ()))

    def trusted(self, ip: str) -> bool:
        return ip in self.settings.trusted_ips

    @cached_property
    def _gateway_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        nets = []
        for address in self.settings.gateways:
            try:
                nets.append(ipaddress.ip_network(address, strict=False))
            except ValueError:
                continue
        return nets

    def known_peer(self, ip: str) -> bool:
        """A trusted IP or a configured gateway: its traffic is business, not a scan
        (a customer trunk sends INVITEs to thousands of different numbers)."""
        if self.trusted(ip):
            return True
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(addr in net for net in self._gateway_networks)


def examples(lines: Iterable[str], count: int = 5) -> list[str]:
    out = []
    for line in lines:
        out.append(line)
        if len(out) >= count:
            break
    return out
