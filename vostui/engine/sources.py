"""Per source IP: what it sends, how fast, which accounts it tries, scanner marks.

Accounts tried are the distinct To users of its REGISTER and OPTIONS requests, and
of its INVITEs refused as unknown or forbidden (403, 404, 484, 485, 604): a trunk
that calls thousands of numbers is not enumerating them, svwar's INVITE probes
are (capped: `ACCOUNTS_CAP` are remembered, the count goes on). Auth failures
are 403 answers to it, and 401/407 answers to requests that already carried
credentials.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from vostui.engine.rates import WINDOW, RateWindow
from vostui.engine.snapshot import SourceView
from vostui.sip.message import SipMessage
from vostui.sip.scanner import signatures

ACCOUNTS_CAP = 2000
AGENTS_CAP = 8
RATED = ("INVITE", "REGISTER", "OPTIONS")
PROBES = ("REGISTER", "OPTIONS")
REFUSED = frozenset({403, 404, 484, 485, 604})
PENDING_INVITES = 256


@dataclass(slots=True)
class Source:
    ip: str
    first_seen: float
    last_seen: float = 0.0
    counts: Counter[str] = field(default_factory=Counter)
    rates: dict[str, RateWindow] = field(default_factory=dict)
    accounts: set[str] = field(default_factory=set)
    accounts_more: int = 0
    auth_failures: int = 0
    agents: list[str] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)
    responses_sent: int = 0
    credentialed: set[tuple[str, int]] = field(default_factory=set)
    invites: dict[str, str] = field(default_factory=dict)  # Call-ID -> callee, latest
    dirty: bool = True
    cached: SourceView | None = None

    def request(self, ts: float, msg: SipMessage) -> None:
        self.last_seen = ts
        self.dirty = True
        method = msg.method
        self.counts[method] += 1
        if method in RATED:
            window = self.rates.get(method)
            if window is None:
                window = self.rates[method] = RateWindow()
            window.add(ts)
            user = msg.to.uri.user
            if method in PROBES:
                self._tried(user)
            elif user and not msg.to.tag:
                self.invites[msg.call_id] = user
                if len(self.invites) > PENDING_INVITES:
                    del self.invites[next(iter(self.invites))]
            if msg.header("authorization") or msg.header("proxy-authorization"):
                if len(self.credentialed) < ACCOUNTS_CAP:
                    self.credentialed.add((msg.call_id, msg.cseq))
        agent = msg.user_agent
        if agent and agent not in self.agents and len(self.agents) < AGENTS_CAP:
            self.agents.append(agent)
        for mark in signatures(msg):
            if mark not in self.marks:
                self.marks.append(mark)

    def _tried(self, user: str) -> None:
        if user and user not in self.accounts:
            if len(self.accounts) < ACCOUNTS_CAP:
                self.accounts.add(user)
            else:
                self.accounts_more += 1

    def answered(self, msg: SipMessage) -> None:
        """A response sent to this source."""
        code = msg.status
        if code in REFUSED and msg.cseq_method == "INVITE":
            user = self.invites.pop(msg.call_id, "")
            if user:
                self._tried(user)
                self.dirty = True
        if code == 403 or (code in (401, 407) and (msg.call_id, msg.cseq) in self.credentialed):
            self.auth_failures += 1
            self.dirty = True

    def view(self, now: float) -> SourceView:
        quiet = now - self.last_seen > WINDOW + 1  # every rate has decayed to zero
        if self.cached is not None and not self.dirty and (quiet or not self.rates):
            if not any(rate for _, rate in self.cached.rates):
                return self.cached
        self.cached = SourceView(
            ip=self.ip,
            first_seen=self.first_seen,
            last_seen=self.last_seen,
            counts=tuple(self.counts.most_common()),
            rates=tuple((method, window.rate(now)) for method, window in self.rates.items()),
            accounts_tried=len(self.accounts) + self.accounts_more,
            auth_failures=self.auth_failures,
            user_agents=tuple(self.agents),
            signatures=tuple(self.marks),
            responses_sent=self.responses_sent,
        )
        self.dirty = False
        return self.cached
