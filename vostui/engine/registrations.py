"""Registrations per (account, source ip:port), with their attempts.

An attempt is one REGISTER transaction (a new CSeq); retransmissions are not new
attempts. The final response sets the state:
    200 ok (expires from the Contact or Expires of the 200; expires 0: unregistered)
    401/407 challenged; 403 forbidden; 404 not_found; other >= 300 failed
    no final response within 32 s, or none to 4 retransmissions (7.5 s): timeout
`challenge_loop` counts consecutive attempts that carried credentials and were
challenged again: the mark of a wrong password.

`history` keeps the latest `HISTORY` attempts only, so the refusals before the
account was first accepted are counted apart, uncapped: `refused` (a 403, or a
401/407 to a REGISTER that carried credentials and not stale=true, before the first
200), the times of
the first and latest of them, and the times of the latest `REFUSED_TIMES` (enough to
find their densest stretch). Refreshes after the 200 never push them out: a cracked
account stays cracked.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from vostui.engine.dialog import TIMER_B
from vostui.engine.snapshot import MessageRecord, RegistrationAttempt, RegistrationView
from vostui.sip.addr import is_private
from vostui.sip.message import SipMessage

HISTORY = 20
REFUSED_TIMES = 32  # times of the latest refusals before the first 200
GIVE_UP_RETRANSMISSIONS = 4  # sent 5 times, 7.5 s, no answer: nobody is answering
MESSAGES_PER_ATTEMPT = 8
STATE_BY_CODE = {401: "challenged", 407: "challenged", 403: "forbidden", 404: "not_found"}


@dataclass(slots=True)
class Attempt:
    ts: float
    cseq: int
    call_id: str
    authorized: bool
    code: int = 0
    expires: int | None = None
    retransmissions: int = 0
    messages: list[MessageRecord] = field(default_factory=list)

    def view(self) -> RegistrationAttempt:
        return RegistrationAttempt(self.ts, self.code, self.expires, tuple(self.messages))


@dataclass(slots=True)
class Registration:
    account: str
    source: str
    registrar: str
    first_seen: float
    state: str = "pending"
    last_code: int = 0
    attempts: int = 0
    challenges: int = 0
    challenge_loop: int = 0
    expires: int | None = None
    expires_at: float | None = None
    contact: str = ""
    contact_private: bool = False
    user_agent: str = ""
    last_seen: float = 0.0
    history: list[Attempt] = field(default_factory=list)
    accepted: bool = False  # a 200 came at least once
    refused: int = 0  # credentialed refusals before the first 200
    refused_first: float | None = None
    refused_last: float | None = None
    refused_times: deque[float] = field(default_factory=lambda: deque(maxlen=REFUSED_TIMES))
    dirty: bool = True
    cached: RegistrationView | None = None

    def _attempt(self, msg: SipMessage) -> Attempt | None:
        for attempt in reversed(self.history):
            if attempt.call_id == msg.call_id and attempt.cseq == msg.cseq:
                return attempt
        return None

    def request(self, record: MessageRecord) -> None:
        msg = record.msg
        self.last_seen = record.ts
        self.dirty = True
        attempt = self._attempt(msg)
        if attempt is not None:
            attempt.retransmissions += 1
            if len(attempt.messages) < MESSAGES_PER_ATTEMPT:
                attempt.messages.append(record)
            return
        authorized = (
            msg.header("authorization") is not None or msg.header("proxy-authorization") is not None
        )
        expires = _requested_expires(msg)
        attempt = Attempt(record.ts, msg.cseq, msg.call_id, authorized, expires=expires)
        attempt.messages.append(record)
        self.history.append(attempt)
        if len(self.history) > HISTORY:
            del self.history[0]
        self.attempts += 1
        if msg.user_agent:
            self.user_agent = msg.user_agent
        if msg.contacts:
            contact = msg.contacts[0]
            self.contact = contact.uri.raw or contact.uri.host
            # A private Contact that is not where the packet came from: behind NAT.
            host = contact.uri.host
            self.contact_private = is_private(host) and host != record.src

    def response(self, record: MessageRecord) -> None:
        msg = record.msg
        attempt = self._attempt(msg)
        self.last_seen = record.ts
        self.dirty = True
        if attempt is None:
            return
        if len(attempt.messages) < MESSAGES_PER_ATTEMPT:
            attempt.messages.append(record)
        code = msg.status
        if code < 200 or attempt.code >= 200:
            return
        attempt.code = code
        self.last_code = code
        if not self.accepted and (
            code == 403 or (code in (401, 407) and attempt.authorized and not stale(msg))
        ):
            self.refused += 1
            if self.refused_first is None:
                self.refused_first = attempt.ts
            self.refused_last = attempt.ts
            self.refused_times.append(attempt.ts)
        if code < 300:
            self.accepted = True
            expires = _granted_expires(msg, attempt.expires)
            attempt.expires = expires
            self.expires = expires
            self.challenge_loop = 0
            if expires == 0:
                self.state = "unregistered"
                self.expires_at = None
            else:
                self.state = "ok"
                self.expires_at = record.ts + expires if expires is not None else None
            return
        self.state = STATE_BY_CODE.get(code, "failed")
        if code in (401, 407):
            self.challenges += 1
            if attempt.authorized:
                self.challenge_loop += 1

    def expire(self, now: float) -> bool:
        if not self.history:
            return False
        last = self.history[-1]
        unanswered = now - last.ts > TIMER_B or last.retransmissions >= GIVE_UP_RETRANSMISSIONS
        if last.code == 0 and unanswered and self.state != "timeout":
            self.state = "timeout"
            self.last_code = 0
            self.dirty = True
            return True
        if self.state == "ok" and self.expires_at is not None and now > self.expires_at:
            self.state = "expired"
            self.dirty = True
            return True
        return False

    def view(self) -> RegistrationView:
        if self.cached is not None and not self.dirty:
            return self.cached
        self.cached = RegistrationView(
            account=self.account,
            source=self.source,
            registrar=self.registrar,
            state=self.state,
            last_code=self.last_code,
            attempts=self.attempts,
            challenges=self.challenges,
            challenge_loop=self.challenge_loop,
            expires=self.expires,
            expires_at=self.expires_at,
            contact=self.contact,
            contact_private=self.contact_private,
            user_agent=self.user_agent,
            first_seen=self.first_seen,
            last_seen=self.last_seen,
            history=tuple(attempt.view() for attempt in self.history),
            refused=self.refused,
            refused_first=self.refused_first,
            refused_last=self.refused_last,
            refused_times=tuple(self.refused_times),
        )
        self.dirty = False
        return self.cached


def stale(msg: SipMessage) -> bool:
    """A 401/407 that says only the nonce was stale (RFC 7616 stale=true): the
    credentials were right, the UA resends them with the new nonce. Not a refusal."""
    for name in ("www-authenticate", "proxy-authenticate"):
        for value in msg.header_all(name):
            if "stale=true" in value.lower().replace(" ", "").replace('"', ""):
                return True
    return False


def _requested_expires(msg: SipMessage) -> int | None:
    for contact in msg.contacts:
        value = contact.param("expires")
        if value is not None and value.isdigit():
            return int(value)
    return msg.expires


def _granted_expires(msg: SipMessage, requested: int | None) -> int | None:
    """The registrar's word wins: Contact expires in the 200, then Expires, then ours."""
    values = []
    for contact in msg.contacts:
        value = contact.param("expires")
        if value is not None and value.isdigit():
            values.append(int(value))
    if values:
        return max(values)
    if msg.expires is not None:
        return msg.expires
    return requested


def account_of(msg: SipMessage) -> str:
    uri = msg.to.uri
    return f"{uri.user}@{uri.host}" if uri.user else uri.host
