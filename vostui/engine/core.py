"""The engine: the single owner of call, registration, gateway and source state.

Feed it datagrams in capture order (`feed`); take immutable snapshots (`snapshot`).
It is not thread-safe: one thread feeds, and whoever snapshots from another thread
holds the same lock (see `vostui.pipeline`).

Bounds and eviction: at most `max_dialogs` INVITE dialogs. When full, the oldest
call that has ended is evicted (looking at the 64 oldest); when none of those has
ended, the oldest call is evicted anyway, counted as `active_calls`. Registrations
and sources are evicted least-recently-seen first. Every eviction is counted in
`Counters.evicted`; messages past a dialog's cap in `Counters.dropped`.
"""

from __future__ import annotations

from collections import Counter, OrderedDict, deque

from vostui.config import Config
from vostui.engine.calls import CORRELATION_HEADERS, TIMER_ENDED, Call, choose_a_leg
from vostui.engine.dialog import ENDED, Dialog
from vostui.engine.gateways import GatewayBook
from vostui.engine.registrations import Registration, account_of
from vostui.engine.snapshot import (
    CallView,
    Counters,
    EngineSnapshot,
    MessageRecord,
    RegistrationView,
    SourceView,
)
from vostui.engine.sources import Source
from vostui.net.datagram import Datagram
from vostui.sip.message import SipMessage, SipParseError
from vostui.sip.parser import parse_message

EVICTION_SCAN = 64
MALFORMED_KEPT = 200
ENDPOINTS_CAP = 10_000


class Engine:
    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        self.index = 0
        self.now = 0.0
        self.first: float | None = None
        self.version = 0
        self.dialogs: dict[str, Dialog] = {}
        self.calls: OrderedDict[str, Call] = OrderedDict()
        self.live: set[str] = set()  # Call-IDs of dialogs with timers still to run
        self.recent_a: deque[Call] = deque()
        self.registrations: OrderedDict[tuple[str, str], Registration] = OrderedDict()
        self.sources: OrderedDict[str, Source] = OrderedDict()
        self.gateways = GatewayBook(self.config)
        self.received: set[str] = set()  # endpoints that received a new INVITE
        self.sent: set[str] = set()  # endpoints that sent one
        self.paired_by: set[str] = set()  # softswitch IPs proven by a pairing
        self.configured = frozenset(self.config.softswitch_ips)
        self.counts: Counter[str] = Counter()
        self.malformed: Counter[str] = Counter()
        self.malformed_kept: deque[tuple[int, str, bytes]] = deque(maxlen=MALFORMED_KEPT)
        self.evicted: Counter[str] = Counter()
        self.extra_malformed: dict[str, int] = {}
        self.packets = 0
        self.kernel_drops: int | None = None  # live capture only (tcpdump's count)
        self.kernel_drops_at: float | None = None
        self.frozen_at = 0  # message index at the last gc.freeze (see pipeline)
        self.last_expiry = 0.0
        self.dirty_calls: set[str] = set()
        self.call_views: dict[str, CallView] = {}
        self.reg_views: dict[tuple[str, str], RegistrationView] = {}
        self.dirty_regs: set[tuple[str, str]] = set()

    # -- input -------------------------------------------------------------------

    def feed(self, dg: Datagram) -> MessageRecord | None:
        """Take one datagram; returns its record when it was SIP."""
        self.counts["datagrams"] += 1
        payload = dg.payload
        if not payload or payload.isspace():
            self.counts["keepalives"] += 1
            return None
        try:
            msg = parse_message(payload)
        except SipParseError as exc:
            if exc.reason == "not_sip":
                self.counts["not_sip"] += 1
            elif exc.reason in ("keepalive", "empty"):
                self.counts["keepalives"] += 1
            else:
                self.malformed[f"sip_{exc.reason}"] += 1
                self.malformed_kept.append((dg.frame, exc.reason, payload[:2048]))
            return None
        return self.feed_message(dg, msg)

    def feed_message(self, dg: Datagram, msg: SipMessage) -> MessageRecord | None:
        self.index += 1
        self.counts["sip"] += 1
        ts = dg.ts
        if self.first is None:
            self.first = ts
        if ts > self.now:
            self.now = ts
        if self.now - self.last_expiry >= 1.0:
            self.expire(self.now)  # timers that ran out before this packet arrived
        record = self._route(dg, msg)
        if record is not None and record.retransmission:
            self.counts["retransmissions"] += 1
        self._observe_source(dg, msg)
        return record

    def add_malformed(self, counts: dict[str, int]) -> None:
        """Packet-layer malformed counts, merged into the snapshot's counters."""
        self.extra_malformed = dict(counts)

    def set_packets(self, packets: int) -> None:
        self.packets = packets

    def set_kernel_drops(self, drops: int | None, grew_at: float | None) -> bool:
        """The live capture's kernel drop count and when it last grew; True if it changed."""
        if drops == self.kernel_drops and grew_at == self.kernel_drops_at:
            return False
        self.kernel_drops, self.kernel_drops_at = drops, grew_at
        return True

    # -- routing -----------------------------------------------------------------

    def _route(self, dg: Datagram, msg: SipMessage) -> MessageRecord | None:
        dialog = self.dialogs.get(msg.call_id)
        if dialog is not None:
            return self._dialog_message(dialog, dg, msg)
        if msg.is_request and msg.method == "INVITE" and not msg.to.tag:
            dialog = self._new_dialog(dg, msg)
            return self._dialog_message(dialog, dg, msg)
        if msg.method == "REGISTER":
            return self._register(dg, msg)
        return self._bare(dg, msg)

    def _bare(self, dg: Datagram, msg: SipMessage) -> MessageRecord:
        return MessageRecord.of(self.index, dg, msg)

    def _dialog_message(self, dialog: Dialog, dg: Datagram, msg: SipMessage) -> MessageRecord:
        before_state, before_answer = dialog.state, dialog.answered
        before_dropped, before_code = dialog.dropped, dialog.final_code
        record = dialog.add(self.index, dg, msg)
        self.counts["dialog_messages_dropped"] += dialog.dropped - before_dropped
        self._transition(dialog, before_state, before_answer, before_code)
        self.dirty_calls.add(dialog.call_key)
        if dialog.state in ENDED and dialog.ended is not None and not dialog.ack_missing:
            if dialog.answered is None or dialog.confirmed is not None:
                self.live.discard(dialog.call_id)
        return record

    def _transition(
        self, dialog: Dialog, state: str, answered: float | None, code: int = 0
    ) -> None:
        if answered is None and dialog.answered is not None:
            self.gateways.answered(dialog)
        if state not in ENDED and dialog.state in ENDED:
            self.gateways.ended(dialog)
        elif state in ENDED and dialog.state not in ENDED:
            self.gateways.reopened(dialog, code, counted=state != "no_answer")
            self.live.add(dialog.call_id)
        elif state in TIMER_ENDED and dialog.state != state and dialog.state in ENDED:
            # a final response after a timer (or the end of a file) had ended the INVITE
            self.gateways.reopened(dialog, code, counted=state != "no_answer")
            self.gateways.ended(dialog)

    # -- calls and legs ------------------------------------------------------------

    def _is_softswitch(self, ip: str, endpoint: str) -> bool:
        if self.configured:
            return ip in self.configured
        return endpoint in self.received and endpoint in self.sent

    def _new_dialog(self, dg: Datagram, msg: SipMessage) -> Dialog:
        src = f"{dg.src}:{dg.sport}"
        dst = f"{dg.dst}:{dg.dport}"
        uri = msg.request_uri
        callee = msg.to.uri.user or (uri.user if uri else "")
        dialog = Dialog(
            call_id=msg.call_id,
            start=dg.ts,
            caller=msg.from_.uri.user,
            callee=callee,
            src=src,
            dst=dst,
            src_ip=dg.src,
            dst_ip=dg.dst,
            invite_branch=msg.branch,
            max_messages=self.config.max_messages_per_dialog,
            last_activity=dg.ts,
            user_agent=msg.user_agent,
        )
        if len(self.sent) < ENDPOINTS_CAP:
            self.sent.add(src)
        call: Call | None = None
        if self._is_softswitch(dg.src, src):
            call = self._pair(dialog, msg)
        if call is None:
            if self._is_softswitch(dg.dst, dst):
                dialog.role = "a"
            call = Call(key=dialog.call_id, a=dialog)
            self.calls[call.key] = call
            self.recent_a.append(call)
        dialog.call_key = call.key
        dialog.gateway = self.gateways.name_for(
            dialog.src_ip if dialog.role == "a" else dialog.dst_ip, dialog.role
        )[0]
        if len(self.received) < ENDPOINTS_CAP:
            self.received.add(dst)
        self.dialogs[dialog.call_id] = dialog
        self.live.add(dialog.call_id)
        self.gateways.started(dialog)
        self._evict_calls()
        return dialog

    def _pair(self, b: Dialog, msg: SipMessage) -> Call | None:
        window = self.config.pairing_window
        while self.recent_a and b.start - self.recent_a[0].a.start > window:
            self.recent_a.popleft()
        correlation = ""
        for name in CORRELATION_HEADERS:
            value = msg.header(name)
            if value:
                correlation = value.strip()
                break
        candidates = [call for call in self.recent_a if call.a.dst_ip == b.src_ip]
        call = choose_a_leg(b, candidates, correlation, window, self.config.pairing_digits)
        b.role = "b"
        if call is None:
            return None
        a = call.a
        if a.role != "a":
            self.gateways.forget(a)
            a.role = "a"
            a.gateway = self.gateways.name_for(a.src_ip, "a")[0]
            a.dirty = True
            self.gateways.started(a)
        call.b_legs.append(b)
        self.paired_by.add(b.src_ip)
        return call

    def _evict_calls(self) -> None:
        while len(self.dialogs) > self.config.max_dialogs and self.calls:
            victim = None
            for n, call in enumerate(self.calls.values()):
                if n >= EVICTION_SCAN:
                    break
                if call.ended:
                    victim = call
                    break
            if victim is None:
                victim = next(iter(self.calls.values()))
                self.evicted["active_calls"] += 1
            else:
                self.evicted["calls"] += 1
            self._drop_call(victim)

    def _drop_call(self, call: Call) -> None:
        self.calls.pop(call.key, None)
        self.call_views.pop(call.key, None)
        self.dirty_calls.discard(call.key)
        for leg in call.legs:
            self.dialogs.pop(leg.call_id, None)
            self.live.discard(leg.call_id)
        try:
            self.recent_a.remove(call)
        except ValueError:
            pass

    # -- registrations and sources ---------------------------------------------------

    def _register(self, dg: Datagram, msg: SipMessage) -> MessageRecord:
        if msg.is_request:
            key = (account_of(msg), f"{dg.src}:{dg.sport}")
        else:
            key = (account_of(msg), f"{dg.dst}:{dg.dport}")
        registration = self.registrations.get(key)
        if registration is None:
            if not msg.is_request:
                return self._bare(dg, msg)
            registration = Registration(
                account=key[0],
                source=key[1],
                registrar=f"{dg.dst}:{dg.dport}",
                first_seen=dg.ts,
            )
            self.registrations[key] = registration
            if len(self.registrations) > self.config.max_registrations:
                old_key, _ = self.registrations.popitem(last=False)
                self.reg_views.pop(old_key, None)
                self.dirty_regs.discard(old_key)
                self.evicted["registrations"] += 1
        else:
            self.registrations.move_to_end(key)
        retrans = False
        if msg.is_request:
            retrans = any(
                a.call_id == msg.call_id and a.cseq == msg.cseq for a in registration.history
            )
        record = MessageRecord.of(self.index, dg, msg, retrans)
        if msg.is_request:
            registration.request(record)
        else:
            registration.response(record)
        self.dirty_regs.add(key)
        return record

    def _observe_source(self, dg: Datagram, msg: SipMessage) -> None:
        if msg.is_request:
            source = self.sources.get(dg.src)
            if source is None:
                source = self.sources[dg.src] = Source(dg.src, dg.ts)
                if len(self.sources) > self.config.max_sources:
                    self.sources.popitem(last=False)
                    self.evicted["sources"] += 1
            else:
                self.sources.move_to_end(dg.src)
            source.request(dg.ts, msg)
            return
        source = self.sources.get(dg.dst)
        if source is not None:
            source.answered(msg)
        sender = self.sources.get(dg.src)
        if sender is not None:
            sender.responses_sent += 1

    # -- time --------------------------------------------------------------------

    def expire(self, now: float) -> None:
        """Run the SIP timers at packet time `now`: as packets advance, or as the clock
        does when watching live or replaying (time then moves on without packets)."""
        self.last_expiry = now
        if now > self.now:
            self.now = now
        done = []
        for call_id in self.live:
            dialog = self.dialogs.get(call_id)
            if dialog is None:
                done.append(call_id)
                continue
            before_state, before_answer = dialog.state, dialog.answered
            if dialog.expire(now):
                self._transition(dialog, before_state, before_answer)
                self.dirty_calls.add(dialog.call_key)
            if dialog.state in ENDED and dialog.ended is not None:
                done.append(call_id)
            elif dialog.state == "confirmed" or dialog.ack_missing:
                done.append(call_id)  # timers are over; BYE ends it later
        self.live.difference_update(done)
        for key, registration in self.registrations.items():
            if registration.expire(now):
                self.dirty_regs.add(key)

    def finish(self, at: float | None = None) -> None:
        """End of input (files read to their end): nothing more will come.

        `at` is the packet time of the input's last frame (RTP and other packets
        included: the capture watched until then); default the latest SIP message. The
        timers run at `at`, then every INVITE still waiting for its final response
        ends (`Dialog.finish`): `timed_out` when it got no response at all and was
        retransmitted to Timer B, or is a B-leg the switch failed over from;
        `cancelled` after a CANCEL; else `no_answer`. None of them counts as active
        any more. Answered calls stay up: only a BYE ends them. `now` stays the time
        of the latest SIP message.
        """
        now = self.now
        end = now if at is None else max(at, now)
        self.expire(end)
        self.now = now
        done = []
        for call_id in self.live:
            dialog = self.dialogs.get(call_id)
            if dialog is None:
                done.append(call_id)
                continue
            before_state, before_answer = dialog.state, dialog.answered
            if dialog.finish(end, self._next_route(dialog)):
                self._transition(dialog, before_state, before_answer)
                self.dirty_calls.add(dialog.call_key)
            if dialog.state in ENDED and dialog.ended is not None:
                done.append(call_id)
        self.live.difference_update(done)

    def _next_route(self, dialog: Dialog) -> float | None:
        """When the switch placed the next B-leg of this B-leg's call (it gave up on
        this one and failed over), or None."""
        if dialog.role != "b":
            return None
        call = self.calls.get(dialog.call_key)
        if call is None:
            return None
        later = [leg.start for leg in call.b_legs if leg.start > dialog.start]
        return min(later) if later else None

    # -- output ------------------------------------------------------------------

    def snapshot(self) -> EngineSnapshot:
        self.version += 1
        for key in self.dirty_calls:
            call = self.calls.get(key)
            if call is not None:
                self.call_views[key] = call.view()
        self.dirty_calls.clear()
        for reg_key in self.dirty_regs:
            registration = self.registrations.get(reg_key)
            if registration is not None:
                self.reg_views[reg_key] = registration.view()
        self.dirty_regs.clear()
        now = self.now
        sources: tuple[SourceView, ...] = tuple(s.view(now) for s in self.sources.values())
        softswitch = self.configured or frozenset(self.paired_by)
        return EngineSnapshot(
            version=self.version,
            now=now,
            first=self.first,
            calls=tuple(self.call_views[key] for key in self.calls if key in self.call_views),
            # In the order they were first seen, as calls: never a set's order (which
            # changes from run to run with Python's string hashing).
            registrations=tuple(
                self.reg_views[key] for key in self.registrations if key in self.reg_views
            ),
            gateways=self.gateways.views(now),
            sources=sources,
            counters=self.counters(),
            softswitch=tuple(sorted(softswitch)),
        )

    def counters(self) -> Counters:
        """The counters alone: cheap, for a status line between snapshots."""
        malformed = Counter(self.malformed)
        malformed.update(self.extra_malformed)
        dropped = self.counts["dialog_messages_dropped"]
        return Counters(
            packets=self.packets,
            datagrams=self.counts["datagrams"],
            sip_messages=self.counts["sip"],
            retransmissions=self.counts["retransmissions"],
            not_sip=self.counts["not_sip"],
            malformed=tuple(sorted(malformed.items())),
            evicted=tuple(sorted(self.evicted.items())),
            dropped=(("dialog_messages", dropped),) if dropped else (),
            kernel_drops=self.kernel_drops,
            kernel_drops_at=self.kernel_drops_at,
        )
