"""Immutable views that the engine publishes for the UI, the CLI and diagnosis.

A snapshot is a consistent picture at one packet time (`now`). Nothing in it changes
after it is made; the engine reuses the view of a call whose state did not change, so
a snapshot of 20,000 calls costs little more than a tuple.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vostui.frozen import fast_constructor
from vostui.net.datagram import Datagram
from vostui.sip.message import SipMessage

SCHEMA_VERSION = 1


@dataclass(slots=True, frozen=True)
class MessageRecord:
    """One SIP message as seen on the wire, in a dialog's ladder."""

    index: int  # position in the engine's message sequence
    ts: float
    src: str
    sport: int
    dst: str
    dport: int
    transport: str
    msg: SipMessage
    retransmission: bool = False
    frame: int = 0

    @classmethod
    def of(
        cls, index: int, dg: Datagram, msg: SipMessage, retransmission: bool = False
    ) -> MessageRecord:
        return _new_record(
            index,
            dg.ts,
            dg.src,
            dg.sport,
            dg.dst,
            dg.dport,
            dg.transport,
            msg,
            retransmission,
            dg.frame,
        )

    @property
    def src_addr(self) -> str:
        return f"{self.src}:{self.sport}"

    @property
    def dst_addr(self) -> str:
        return f"{self.dst}:{self.dport}"


# One per SIP message: built without the dataclass's __init__ (see vostui.frozen).
_new_record = fast_constructor(MessageRecord)


@dataclass(slots=True, frozen=True)
class MediaEndpoint:
    """Where one side says it receives media (from its SDP)."""

    address: str
    port: int
    codecs: tuple[str, ...]
    direction: str
    telephone_event: int | None
    signalled_from: str  # IP the SDP arrived from


@dataclass(slots=True, frozen=True)
class LegView:
    """One SIP dialog (one Call-ID): a leg of a call through the B2BUA."""

    call_id: str
    role: str  # "a" (towards the softswitch), "b" (from it), "direct" (no B2BUA seen)
    caller: str
    callee: str
    src: str  # "ip:port" of the INVITE's sender
    dst: str
    gateway: str  # gateway name (or IP) of the far end of this leg
    state: str  # see engine.dialog.STATES
    start: float
    ringing: float | None  # first 18x
    answered: float | None  # 2xx to the INVITE
    confirmed: float | None  # ACK to the 2xx
    ended: float | None
    final_code: int
    final_reason: str
    reason_header: str
    hangup_by: str  # "caller", "callee", "timeout", ""
    codecs_offered: tuple[str, ...]
    codecs_answered: tuple[str, ...]
    media_offer: MediaEndpoint | None  # the caller side's latest SDP (offer, re-offer)
    media_answer: MediaEndpoint | None  # the callee side's latest SDP
    session_expires: int | None
    user_agent: str
    message_count: int
    retransmissions: int
    messages: tuple[MessageRecord, ...]
    messages_dropped: int  # beyond the per-dialog cap
    ok_retransmissions: int = 0  # 2xx to the INVITE sent again (no ACK seen yet)
    ack_missing: bool = False  # answered, and no ACK within 64*T1 (32 s)
    methods: tuple[str, ...] = ()  # methods seen in the dialog (re-INVITE, PRACK, ...)

    @property
    def pdd(self) -> float | None:
        return None if self.ringing is None else self.ringing - self.start

    def talk(self, now: float) -> float:
        if self.answered is None:
            return 0.0
        return max(0.0, (self.ended if self.ended is not None else now) - self.answered)

    def total(self, now: float) -> float:
        return max(0.0, (self.ended if self.ended is not None else now) - self.start)


# Built for every changed leg at every snapshot (see vostui.frozen).
new_leg_view = fast_constructor(LegView)


@dataclass(slots=True, frozen=True)
class CallView:
    """A call as the operator thinks of it: the A-leg and every B-leg attempt in order."""

    key: str  # stable id: the A-leg's Call-ID (or the only leg's)
    legs: tuple[LegView, ...]
    caller: str
    callee: str
    mapping_gateway: str  # where the call came from
    routing_gateway: str  # where it went (the last attempt)
    state: str
    start: float
    ended: float | None
    pdd: float | None
    answered: float | None
    final_code: int
    final_reason: str
    problem: bool  # a failed final state (calls.PROBLEM_STATES) or a 2xx never ACKed

    @property
    def active(self) -> bool:
        return self.ended is None

    def duration(self, now: float) -> float:
        return max(0.0, (self.ended if self.ended is not None else now) - self.start)

    def talk(self, now: float) -> float:
        if self.answered is None:
            return 0.0
        return max(0.0, (self.ended if self.ended is not None else now) - self.answered)


new_call_view = fast_constructor(CallView)


@dataclass(slots=True, frozen=True)
class RegistrationAttempt:
    ts: float
    code: int  # 0 while no response
    expires: int | None
    messages: tuple[MessageRecord, ...]


@dataclass(slots=True, frozen=True)
class RegistrationView:
    account: str  # user@domain of the To header
    source: str  # "ip:port" the REGISTER came from
    registrar: str  # "ip:port" it went to
    state: str  # ok, challenged, forbidden, not_found, timeout, failed, unregistered, pending
    last_code: int
    attempts: int
    challenges: int
    challenge_loop: int  # consecutive challenged attempts without success
    expires: int | None
    expires_at: float | None
    contact: str
    contact_private: bool
    user_agent: str
    first_seen: float
    last_seen: float
    history: tuple[RegistrationAttempt, ...]
    # Credentialed refusals (403, or 401/407 to a REGISTER with credentials) before the
    # first 200, uncapped (None: not counted, a view not built by the engine), the
    # times of the first and latest, and of the latest few (engine.registrations).
    refused: int | None = None
    refused_first: float | None = None
    refused_last: float | None = None
    refused_times: tuple[float, ...] = ()

    @property
    def failing(self) -> bool:
        return self.state not in ("ok", "pending", "unregistered")


@dataclass(slots=True, frozen=True)
class GatewayView:
    name: str
    address: str  # IP or CIDR
    role: str  # mapping, routing, unknown
    attempts: int
    answered: int
    asr: float  # 0..1, answered / attempts that reached a final state
    acd: float  # seconds, mean talk time of ended answered calls
    mean_pdd: float | None
    codes: tuple[tuple[int, int], ...]  # (final code, count)
    cps_now: float
    cps_peak: float
    active: int


@dataclass(slots=True, frozen=True)
class SourceView:
    """What one source IP has been sending: the scanner and brute-force picture."""

    ip: str
    first_seen: float
    last_seen: float
    counts: tuple[tuple[str, int], ...]  # (method, count)
    rates: tuple[tuple[str, float], ...]  # (method, per second over the last window)
    accounts_tried: int
    auth_failures: int
    user_agents: tuple[str, ...]
    signatures: tuple[str, ...]  # scanner signatures matched
    responses_sent: int

    @property
    def scanner(self) -> bool:
        return bool(self.signatures)

    def count(self, method: str) -> int:
        return dict(self.counts).get(method, 0)

    def rate(self, method: str) -> float:
        return dict(self.rates).get(method, 0.0)


@dataclass(slots=True, frozen=True)
class Counters:
    packets: int = 0
    datagrams: int = 0
    sip_messages: int = 0
    retransmissions: int = 0
    not_sip: int = 0
    malformed: tuple[tuple[str, int], ...] = ()  # (reason, count), packet and SIP layers
    evicted: tuple[tuple[str, int], ...] = ()  # (what, count)
    dropped: tuple[tuple[str, int], ...] = ()  # (what, count)
    kernel_drops: int | None = None  # live: packets the kernel dropped before tcpdump saw them
    kernel_drops_at: float | None = None  # wall time that count last grew


@dataclass(slots=True, frozen=True, weakref_slot=True)  # the diagnosis caches by weakref
class EngineSnapshot:
    version: int
    now: float  # packet time of the latest message
    first: float | None  # packet time of the first message
    calls: tuple[CallView, ...]
    registrations: tuple[RegistrationView, ...]
    gateways: tuple[GatewayView, ...]
    sources: tuple[SourceView, ...]
    counters: Counters = field(default_factory=Counters)
    softswitch: tuple[str, ...] = ()  # IPs seen acting as the B2BUA

    def call(self, key: str) -> CallView | None:
        for call in self.calls:
            if call.key == key:
                return call
        return None
