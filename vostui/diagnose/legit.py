"""Who is a legitimate device, who was compromised: the one definition every scanner
rule, the block advice and `vostui analyze`'s suspicious sources use.

Criteria (docs/doctor-json.md, "Legitimate devices and block advice"):

Refusals of an account from a source are the credentialed ones (a 403, or a 401/407
to a REGISTER that carried credentials, unless it only asked for a fresh nonce:
stale=true) before the account was first accepted, counted
by the engine in full (`RegistrationView.refused`), never pushed out of the history
by later refreshes. They come at **guessing pace** when, in their densest stretch,
`register_loop` (3) of them came less than `GUESS_INTERVAL` (10 s) apart on average,
or `brute_force_failures` (10) of them less than `SLOW_GUESS_INTERVAL` (20 s) apart on
average. A device with a wrong password retries at its retry or registration interval
(30 s and more on most phones; RFC 5626's back-off starts between 15 and 30 s) until
someone fixes it; a guesser tries the next password at once, or paces itself just
under a per-source limit, and a pause between bursts does not hide a burst.

A source is **compromised** (fraud succeeded, direct evidence) when an account was
accepted (200 to REGISTER) from it and
  - the source carries a scanner signature (User-Agent, SIPVicious shapes), or
  - that account was refused `register_loop` (3) or more times at guessing pace from
    the same source before it was accepted (its password was guessed), or
  - the source collected `brute_force_failures` (10) authentication failures and the
    accounts accepted from it are fewer than a quarter of the accounts it tried;
or when calls placed from a source with that many authentication failures (and fewer
than a quarter of its accounts accepted) were answered.

A source is a **legitimate device** (never advised to be blocked, never a scanner
critical) when it is not compromised, carries no scanner signature, and one of:
  - it is a configured gateway, a trusted address, or the softswitch itself;
  - accounts registered from it were accepted at their first challenge (no refusal
    before their 200 but, at most, one: an old nonce some registrars refuse without
    stale=true), they are at least a quarter of the accounts it tried, and no
    account it never got accepted was refused `register_loop` times at guessing pace
    (a PBX or phone bank with a few wrong passwords or unknown accounts, not a guesser
    that registers its own account too);
  - it placed or answered calls that were answered, did not collect
    `brute_force_failures` authentication failures and tried fewer than
    `enumeration_accounts` (20) accounts;
  - it sends keepalives: OPTIONS are most of its requests, no authentication failed,
    fewer than `enumeration_accounts` targets (To users), each pinged at least twice
    and every 5 s or slower on average, and its OPTIONS rate (now and over its span)
    under half `options_flood_rate`. vostui keeps a count and a time span per source,
    not each interval, so "steady" is judged on the mean interval.

Anything else that a scanner rule flags is suspicious, and the advice to block it is
given; a compromised source is critical.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from vostui.diagnose.settings import Settings
from vostui.engine.registrations import stale
from vostui.engine.snapshot import EngineSnapshot, RegistrationAttempt, RegistrationView, SourceView

ACCEPTED_SHARE = 0.25  # accepted accounts, of those tried, for a device (and not a guesser)
GUESS_INTERVAL = 10.0  # seconds between refusals of one account in a burst: guessing
SLOW_GUESS_INTERVAL = 20.0  # ... over `brute_force_failures` refusals: paced guessing
# Refusals an account may have before its 200 and still count as accepted at its first
# challenge: a capture that starts mid-life catches refreshes sent with the old nonce,
# which some registrars refuse with a plain 401 (no stale=true) before the resend.
FIRST_CHALLENGE_SLACK = 1
KEEPALIVE_MIN_SECONDS = 5.0  # mean interval per pinged target
KEEPALIVE_RATE_SHARE = 0.5  # a keepalive's OPTIONS rate stays under this share of a flood


def ip_of(source: str) -> str:
    """ "1.2.3.4:5060" -> "1.2.3.4" ("[::1]:5060" -> "[::1]")."""
    return source.rpartition(":")[0] or source


def _host(address: str) -> str:
    """The IP of "ip:port" or of a bare IP."""
    if address.count(":") == 1:
        return address.partition(":")[0]
    return ip_of(address) if address.startswith("[") else address


def accepted(reg: RegistrationView) -> bool:
    return reg.state in ("ok", "expired") or any(a.code == 200 for a in reg.history)


def _credentialed(attempt: RegistrationAttempt) -> bool:
    """The REGISTER carried credentials and the answer did not just ask for a fresh
    nonce (stale=true)."""
    sent = False
    for record in attempt.messages:
        msg = record.msg
        if msg.is_request:
            sent = sent or bool(msg.header("authorization") or msg.header("proxy-authorization"))
        elif msg.status == attempt.code and stale(msg):
            return False
    return sent


def refusals(reg: RegistrationView) -> tuple[int, tuple[float, ...], float, float]:
    """(count, times of the latest ones, first, last) of the credentialed refusals (403,
    or 401/407 to an authenticated REGISTER) of this account from this source before
    its first 200. The engine counts them in full; a view it did not build (a test's)
    falls back on the history."""
    if reg.refused is not None:
        times = reg.refused_times
        first = reg.refused_first if reg.refused_first is not None else 0.0
        last = reg.refused_last if reg.refused_last is not None else first
        return reg.refused, times, first, last
    found = []
    for attempt in reg.history:
        if attempt.code == 200:
            break
        if attempt.code == 403 or (attempt.code in (401, 407) and _credentialed(attempt)):
            found.append(attempt.ts)
    if not found:
        return 0, (), 0.0, 0.0
    return len(found), tuple(found), found[0], found[-1]


def _dense(times: tuple[float, ...], count: int, span: float, k: int, interval: float) -> bool:
    """`k` consecutive refusals less than `interval` apart on average: in the densest
    stretch of the latest `times`, or over all `count` of them (first to last)."""
    if k <= 1:
        return count >= 1
    if count < k:
        return False
    limit = (k - 1) * interval
    for n in range(len(times) - k + 1):
        if times[n + k - 1] - times[n] < limit:
            return True
    return span < (count - 1) * interval


def guessed(reg: RegistrationView, settings: Settings) -> int:
    """The refusals of this account before its first 200 when they came at guessing pace
    (see the module docstring), else 0."""
    count, times, first, last = refusals(reg)
    if count < settings.register_loop:
        return 0
    span = last - first
    if _dense(times, count, span, settings.register_loop, GUESS_INTERVAL):
        return count
    if _dense(times, count, span, settings.brute_force_failures, SLOW_GUESS_INTERVAL):
        return count
    return 0


@dataclass(frozen=True, slots=True)
class Verdict:
    legitimate: str  # why the source is a legitimate device ("" when it is not)
    compromised: str  # the direct evidence of a cracked account ("" when none)

    @property
    def block_ok(self) -> bool:
        """May vostui advise blocking this source?"""
        return not self.legitimate


class Peers:
    """Per-IP facts of one snapshot, computed once, and the verdicts built on them."""

    def __init__(self, snap: EngineSnapshot, settings: Settings | None = None) -> None:
        self.snap = snap
        self.settings = settings or Settings()
        self._verdicts: dict[str, Verdict] = {}

    @cached_property
    def sources(self) -> dict[str, SourceView]:
        return {source.ip: source for source in self.snap.sources}

    @cached_property
    def registrations(self) -> dict[str, list[RegistrationView]]:
        out: dict[str, list[RegistrationView]] = {}
        for reg in self.snap.registrations:
            out.setdefault(ip_of(reg.source), []).append(reg)
        return out

    @cached_property
    def _answered(self) -> tuple[Counter[str], Counter[str]]:
        placed: Counter[str] = Counter()
        taken: Counter[str] = Counter()
        for call in self.snap.calls:
            for leg in call.legs:
                if leg.answered is None:
                    continue
                placed[_host(leg.src)] += 1
                taken[_host(leg.dst)] += 1
        return placed, taken

    @property
    def answered_placed(self) -> Counter[str]:
        """Answered call legs per IP that sent the INVITE."""
        return self._answered[0]

    @property
    def answered_taken(self) -> Counter[str]:
        """Answered call legs per IP that answered them."""
        return self._answered[1]

    @cached_property
    def _networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        nets = []
        for address in (*self.settings.gateways, *self.settings.trusted_ips):
            try:
                nets.append(ipaddress.ip_network(address, strict=False))
            except ValueError:
                continue
        return nets

    def configured(self, ip: str) -> str:
        """ "trusted address", "configured gateway", "the softswitch" or ""."""
        if ip in self.settings.trusted_ips:
            return "a trusted address (trusted_ips)"
        if ip in self.snap.softswitch:
            return "the softswitch"
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return ""
        for net in self._networks:
            if addr in net:
                return "a configured gateway or trusted address"
        return ""

    def verdict(self, ip: str) -> Verdict:
        found = self._verdicts.get(ip)
        if found is None:
            found = self._verdicts[ip] = self._judge(ip)
        return found

    def _judge(self, ip: str) -> Verdict:
        s = self.settings
        source = self.sources.get(ip)
        regs = self.registrations.get(ip, [])
        ok = [r for r in regs if accepted(r)]
        tried = max(source.accounts_tried if source else 0, len({r.account for r in regs}))
        signed = source is not None and bool(source.signatures)
        guessing = source is not None and source.auth_failures >= s.brute_force_failures
        share = len(ok) >= ACCEPTED_SHARE * max(tried, 1)  # a fair share accepted
        # A PBX or phone bank: a fair share of its accounts accepted at their first
        # challenge, and no account it never got accepted guessed at.
        clean = [r for r in ok if refusals(r)[0] <= FIRST_CHALLENGE_SLACK]
        device_regs = (
            bool(clean)
            and len(clean) >= ACCEPTED_SHARE * max(tried, 1)
            and not any(guessed(r, s) for r in regs if not accepted(r))
        )
        placed = self.answered_placed.get(ip, 0)
        names = ", ".join(r.account for r in ok[:3])
        compromised = ""
        if ok and signed and source is not None:
            compromised = (
                f"{names} accepted from a source with a scanner signature "
                f"({', '.join(source.signatures[:2])})"
            )
        if not compromised:
            for reg in ok:
                before = guessed(reg, s)
                if before:
                    compromised = (
                        f"{reg.account} accepted after {before} refused attempts with "
                        "credentials from the same source, at guessing pace"
                    )
                    break
        if not compromised and guessing and not share and source is not None:
            if ok:
                compromised = (
                    f"{names} accepted after {source.auth_failures} authentication failures "
                    f"over {tried} account(s)"
                )
            elif placed:
                compromised = (
                    f"{placed} call(s) answered from {ip} after {source.auth_failures} "
                    "authentication failures"
                )
        if compromised or signed:
            return Verdict("", compromised)
        configured = self.configured(ip)
        if configured:
            return Verdict(f"{ip} is {configured}", "")
        if device_regs:
            return Verdict(
                f"{len(clean)} of {tried} account(s) from {ip} accepted at their first challenge",
                "",
            )
        answered = placed + self.answered_taken.get(ip, 0)
        few = source is None or source.accounts_tried < s.enumeration_accounts
        if answered and not guessing and few:
            return Verdict(f"{ip} has {answered} answered call leg(s)", "")
        keepalive = self._keepalive(source)
        if keepalive:
            return Verdict(keepalive, "")
        return Verdict("", "")

    def _keepalive(self, source: SourceView | None) -> str:
        """OPTIONS pings: most of the requests, no failed authentication, fewer than
        `enumeration_accounts` targets, each pinged at least twice and once per
        `KEEPALIVE_MIN_SECONDS` or slower on average, and the OPTIONS rate (now, and
        over the source's span) under `KEEPALIVE_RATE_SHARE` of `options_flood_rate`."""
        if source is None or source.auth_failures:
            return ""
        s = self.settings
        options = source.count("OPTIONS")
        total = sum(n for _m, n in source.counts)
        targets = max(1, source.accounts_tried)
        if options < 2 * targets or options * 2 < total:
            return ""  # a sweep pings each target once
        if source.accounts_tried >= s.enumeration_accounts:
            return ""
        span = source.last_seen - source.first_seen
        rate = max(source.rate("OPTIONS"), options / max(span, 1.0))
        if rate >= KEEPALIVE_RATE_SHARE * s.options_flood_rate:
            return ""
        per_target = span * targets / options
        if per_target < KEEPALIVE_MIN_SECONDS:
            return ""
        return (
            f"{source.ip} sends keepalives: {options} OPTIONS to {targets} target(s), "
            f"one every {per_target:.0f} s per target"
        )


def legitimate_device(
    snapshot: EngineSnapshot, ip: str, settings: Settings | None = None, config: Any = None
) -> str | None:
    """Why the traffic of `ip` fits a legitimate device (the reason, in words), or None.
    Never advise blocking an address for which this returns a reason."""
    settings = settings or Settings.from_config(config)
    reason = Peers(snapshot, settings).verdict(ip).legitimate
    return reason or None


def compromised(
    snapshot: EngineSnapshot, ip: str, settings: Settings | None = None, config: Any = None
) -> str | None:
    """The direct evidence that an account was cracked from `ip`, or None."""
    settings = settings or Settings.from_config(config)
    return Peers(snapshot, settings).verdict(ip).compromised or None
