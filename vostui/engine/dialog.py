"""One SIP dialog (one Call-ID) of an INVITE: a leg of a call, with its state machine.

States, in the order a call moves through them:
    setup        INVITE sent, nothing back yet
    proceeding   100 Trying (or another 1xx without ringing)
    ringing      180/181/182
    early_media  183 (or 18x with SDP)
    answered     2xx to the INVITE, no ACK yet
    confirmed    ACK to the 2xx seen: the call is up
    completed    BYE seen (and, usually, its 200)
    cancelled    CANCEL, then 487 (or no final answer)
    rejected     final response 300-699 to the INVITE (not after CANCEL)
    timed_out    no response at all within Timer B (64*T1 = 32 s), or ringing past the
                 ring limit (Timer C, 3 minutes); at the end of a capture also an INVITE
                 that got no response at all and was still being retransmitted 31 s
                 after it was first sent (its 7th and last transmission with T1 = 500 ms
                 comes at 31.5 s: Timer B fires before the next)
    no_answer    the input ended (a capture read to its end) while the INVITE had no
                 final response and no timer had run out: it was not answered in what
                 was captured (ringing, or not yet retransmitted to Timer B)
Time is packet time; `expire(now)` applies the timers, `finish(at)` ends what the end
of the input leaves open (see `Engine.finish`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vostui.engine.snapshot import LegView, MediaEndpoint, MessageRecord, new_leg_view
from vostui.net.datagram import Datagram
from vostui.sip.message import Media, SipMessage

T1 = 0.5
TIMER_B = 64 * T1  # INVITE transaction timeout, and the no-ACK drop
RING_LIMIT = 180.0  # Timer C: a proxy gives up on a ringing branch after 3 minutes
# At the end of a capture, an INVITE with no response at all that was still being sent
# this long after the first one was retransmitted to Timer B: the caller gives up.
RETRANSMITTED_TO_B = TIMER_B - 2 * T1  # 31 s: the last transmission is at 31.5 s
ENDED = frozenset({"completed", "cancelled", "rejected", "timed_out", "no_answer"})
# Waiting for the final response to the INVITE.
UNANSWERED = frozenset({"setup", "proceeding", "ringing", "early_media"})
STATES = (
    "setup",
    "proceeding",
    "ringing",
    "early_media",
    "answered",
    "confirmed",
    "completed",
    "cancelled",
    "rejected",
    "timed_out",
    "no_answer",
)
# Answers after which the caller sends the INVITE again in the same dialog: with
# credentials (401, 407) or with a session interval at least the Min-SE (422).
RETRIED = frozenset({401, 407, 422})
# Kept after the cap: the most recent messages (the BYE of a long call matters).
TAIL = 32


def _audio(msg: SipMessage) -> Media | None:
    if msg.sdp is None:
        return None
    for media in msg.sdp.media:
        if media.kind == "audio":
            return media
    return msg.sdp.media[0] if msg.sdp.media else None


def _endpoint(msg: SipMessage, sender: str) -> MediaEndpoint | None:
    media = _audio(msg)
    if media is None:
        return None
    return MediaEndpoint(
        address=media.connection,
        port=media.port,
        codecs=media.codecs,
        direction=media.direction,
        telephone_event=media.telephone_event,
        signalled_from=sender,
    )


@dataclass(slots=True)
class Dialog:
    """Mutable state of one INVITE dialog; `view()` gives the immutable `LegView`."""

    call_id: str
    start: float
    caller: str
    callee: str
    src: str  # ip:port of the INVITE's sender
    dst: str
    src_ip: str
    dst_ip: str
    invite_branch: str
    max_messages: int
    role: str = "direct"
    gateway: str = ""
    state: str = "setup"
    ringing: float | None = None
    answered: float | None = None
    confirmed: float | None = None
    ended: float | None = None
    last_activity: float = 0.0
    final_code: int = 0
    final_reason: str = ""
    reason_header: str = ""
    hangup_by: str = ""
    cancel_seen: bool = False
    challenged: int = 0  # 401/407 answered to a first INVITE sent without credentials
    media_offer: MediaEndpoint | None = None
    media_answer: MediaEndpoint | None = None
    session_expires: int | None = None
    user_agent: str = ""
    message_count: int = 0
    retransmissions: int = 0
    ok_retransmissions: int = 0
    ack_missing: bool = False
    invite_last: float = 0.0  # the latest transmission of the INVITE (retransmissions too)
    messages: list[MessageRecord] = field(default_factory=list)
    tail: list[MessageRecord] = field(default_factory=list)
    dropped: int = 0
    methods: list[str] = field(default_factory=list)
    seen: set[tuple[object, ...]] = field(default_factory=set)
    call_key: str = ""  # the call this leg belongs to
    dirty: bool = True
    cached: LegView | None = None

    @property
    def is_ended(self) -> bool:
        return self.state in ENDED

    def _keep(self, record: MessageRecord) -> None:
        if self.max_messages <= 0:  # `analyze` prints no ladders: keeps no messages
            return
        if len(self.messages) < self.max_messages - TAIL:
            self.messages.append(record)
            return
        self.tail.append(record)
        if len(self.tail) > TAIL:
            del self.tail[0]
            self.dropped += 1

    def _signature(self, dg: Datagram, msg: SipMessage) -> tuple[object, ...]:
        branch = msg.branch
        if msg.is_request:
            return (dg.src, dg.sport, dg.dst, dg.dport, msg.method, msg.cseq, branch)
        return (
            dg.src,
            dg.sport,
            dg.dst,
            dg.dport,
            msg.status,
            msg.cseq,
            msg.cseq_method,
            branch,
            msg.to.tag,
        )

    def add(self, index: int, dg: Datagram, msg: SipMessage) -> MessageRecord:
        """Record a message of this dialog and move the state machine."""
        signature = self._signature(dg, msg)
        retrans = signature in self.seen
        if not retrans:
            self.seen.add(signature)
        record = MessageRecord.of(index, dg, msg, retrans)
        self._keep(record)
        self.dirty = True
        self.last_activity = dg.ts
        if msg.method == "INVITE" and msg.is_request and not msg.to.tag:
            self.invite_last = dg.ts
        if retrans:
            self.retransmissions += 1
            if not msg.is_request and 200 <= msg.status < 300 and msg.cseq_method == "INVITE":
                self.ok_retransmissions += 1
            return record
        self.message_count += 1
        if msg.method not in self.methods:
            self.methods.append(msg.method)
        if msg.is_request:
            self._request(dg, msg)
        else:
            self._response(dg, msg)
        return record

    def _from_caller(self, dg: Datagram) -> bool:
        return f"{dg.src}:{dg.sport}" == self.src or dg.src == self.src_ip

    def _request(self, dg: Datagram, msg: SipMessage) -> None:
        method = msg.method
        self._media(dg, msg)
        if method == "INVITE":
            if not msg.to.tag and self.state == "rejected" and self.final_code in RETRIED:
                self._reopen()  # the same INVITE again: with credentials, or a longer timer
            if msg.session_expires is not None:
                self.session_expires = msg.session_expires
        elif method == "ACK":
            if self.answered is not None and self.confirmed is None:
                self.confirmed = dg.ts
                self.ack_missing = False
                if self.state == "answered":
                    self.state = "confirmed"
        elif method == "CANCEL":
            self.cancel_seen = True
            if not self.is_ended and self.answered is None:
                self.hangup_by = "caller"
        elif method == "BYE":
            if self.state not in ("completed",):
                if self.answered is not None and self.confirmed is None:
                    self.ack_missing = True  # the call ends without its 2xx ever ACKed
                self.hangup_by = "caller" if self._from_caller(dg) else "callee"
                if msg.reason_header:
                    self.reason_header = msg.reason_header
                self.state = "completed"
                self.ended = dg.ts

    def _reopen(self) -> None:
        self.state = "setup"
        self.challenged = self.final_code
        self.final_code = 0
        self.final_reason = ""
        self.ended = None
        self.hangup_by = ""

    def _media(self, dg: Datagram, msg: SipMessage) -> None:
        """The latest SDP of each side: the caller's in `media_offer`, the callee's in
        `media_answer`, whoever sent the (re-)INVITE, 18x, 200, ACK or UPDATE."""
        endpoint = _endpoint(msg, dg.src)
        if endpoint is None:
            return
        if self._from_caller(dg):
            self.media_offer = endpoint
        else:
            self.media_answer = endpoint

    def _response(self, dg: Datagram, msg: SipMessage) -> None:
        self._media(dg, msg)
        if msg.cseq_method != "INVITE":
            return
        code = msg.status
        if self.is_ended and self.state not in ("timed_out", "no_answer"):
            return  # a late answer still counts after a timer or the end of a capture
        if code < 200:
            if code == 100:
                if self.state == "setup":
                    self.state = "proceeding"
                return
            if self.ringing is None:
                self.ringing = dg.ts
            early = code == 183 or msg.sdp is not None
            if early:
                self.state = "early_media"
            elif self.state in ("setup", "proceeding"):
                self.state = "ringing"
            return
        if msg.reason_header:
            self.reason_header = msg.reason_header
        if code < 300:
            if self.answered is None:
                self.answered = dg.ts
                self.final_code = code
                self.final_reason = msg.reason
                if msg.session_expires is not None:
                    self.session_expires = msg.session_expires
                self.state = "answered"
                if self.user_agent == "" and msg.user_agent:
                    self.user_agent = msg.user_agent
            return
        if self.answered is not None:
            return  # a late failure after a 2xx (forked branch); the call is up
        self.final_code = code
        self.final_reason = msg.reason
        self.ended = dg.ts
        if code == 487 or self.cancel_seen:
            self.state = "cancelled"
            self.hangup_by = "caller"
        else:
            self.state = "rejected"
            self.hangup_by = "callee"

    def expire(self, now: float) -> bool:
        """Apply the timers at packet time `now`; True when the state changed."""
        if self.state in ("setup", "proceeding") and now - self.start > TIMER_B:
            if self.state == "setup" or now - self.start > RING_LIMIT:
                return self._time_out(self.start + TIMER_B, "no final response")
        if self.state in ("ringing", "early_media") and now - self.start > RING_LIMIT:
            return self._time_out(self.start + RING_LIMIT, "no answer")
        if self.state == "cancelled" and self.ended is None and now - self.start > TIMER_B:
            self.ended = self.last_activity
            self.dirty = True
            return True
        if (
            self.cancel_seen
            and self.state in UNANSWERED
            and self.answered is None
            and now - self.last_activity > TIMER_B
        ):
            return self._cancelled(self.last_activity)  # CANCEL, and no 487 ever came
        if (
            self.state == "answered"
            and self.answered is not None
            and now - self.answered > TIMER_B
            and not self.ack_missing
        ):
            self.ack_missing = True
            self.dirty = True
            return True
        return False

    def finish(self, at: float, next_route: float | None = None) -> bool:
        """The input ended at packet time `at` (after `expire(at)`): an INVITE still
        waiting for its final response ends here. True when the state changed.

        Cancelled (a CANCEL was sent, no 487 came), `timed_out` (no response at all and
        retransmitted to Timer B, or a B-leg the switch gave up on: it tried the next
        route at `next_route`), or else `no_answer`. A call that was answered stays up:
        only its BYE ends it.
        """
        if self.state == "cancelled" and self.ended is None:
            self.ended = self.last_activity
            self.dirty = True
            return True
        if self.state not in UNANSWERED:
            return False
        if self.cancel_seen:
            return self._cancelled(self.last_activity)
        if self.state == "setup" and self.invite_last - self.start >= RETRANSMITTED_TO_B:
            ended = max(self.last_activity, min(self.start + TIMER_B, at))
            return self._time_out(ended, "no final response")
        if next_route is not None:
            why = "no final response" if self.state == "setup" else "no answer"
            return self._time_out(max(self.last_activity, min(next_route, at)), why)
        self.state = "no_answer"
        self.ended = max(self.last_activity, at)
        self.final_reason = "capture ended"
        self.dirty = True
        return True

    def _cancelled(self, at: float) -> bool:
        self.state = "cancelled"
        self.ended = at
        self.hangup_by = "caller"
        self.dirty = True
        return True

    def _time_out(self, at: float, why: str) -> bool:
        self.state = "timed_out"
        self.ended = at
        self.final_reason = why
        self.hangup_by = "timeout"
        self.dirty = True
        return True

    def view(self) -> LegView:
        if self.cached is not None and not self.dirty:
            return self.cached
        self.cached = new_leg_view(
            call_id=self.call_id,
            role=self.role,
            caller=self.caller,
            callee=self.callee,
            src=self.src,
            dst=self.dst,
            gateway=self.gateway,
            state=self.state,
            start=self.start,
            ringing=self.ringing,
            answered=self.answered,
            confirmed=self.confirmed,
            ended=self.ended,
            final_code=self.final_code,
            final_reason=self.final_reason,
            reason_header=self.reason_header,
            hangup_by=self.hangup_by,
            codecs_offered=self.media_offer.codecs if self.media_offer else (),
            codecs_answered=self.media_answer.codecs if self.media_answer else (),
            media_offer=self.media_offer,
            media_answer=self.media_answer,
            session_expires=self.session_expires,
            user_agent=self.user_agent,
            message_count=self.message_count,
            retransmissions=self.retransmissions,
            messages=tuple(self.messages) + tuple(self.tail),
            messages_dropped=self.dropped,
            ok_retransmissions=self.ok_retransmissions,
            ack_missing=self.ack_missing,
            methods=tuple(self.methods),
        )
        self.dirty = False
        return self.cached
