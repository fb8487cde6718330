"""Who is a legitimate device, who was compromised: the one definition every scanner
rule, the block advice and `vostui analyze`'s suspicious sources use.

Criteria (docs/doctor-json.md, "Legitimate devices and block advice"):

A source is **compromised** (fraud succeeded, direct evidence) when an account was
accepted (200 to REGISTER) from it and
  - the source carries a scanner signature (User-Agent, SIPVicious shapes), or
  - that account was refused `register_loop` (3) or more times with credentials from
    the same source, less than 10 s apart, before it was accepted (its password was
    guessed; a device retrying at its registration interval until someone fixes its
    password is not), or
  - the source collected `brute_force_failures` (10) authentication failures and the
    accounts accepted from it are fewer than a quarter of the accounts it tried;
or when calls placed from a source with that many authentication failures (and no
fair share of accepted accounts) were answered.

A source is a **legitimate device** (never advised to be blocked, never a scanner
critical) when it is not compromised, carries no scanner signature, and one of:
  - it is a configured gateway, a trusted address, or the softswitch itself;
  - accounts registered from it were accepted at their first challenge, and they are
    at least a quarter of the accounts it tried (a PBX or phone bank with a few wrong
    passwords or unknown accounts);
  - it placed or answered calls that were answered (and did not collect
    `brute_force_failures` authentication failures);
  - it sends keepalives: OPTIONS are most of its requests, no authentication failed,
    each target is pinged every 5 s or slower on average and, when the source was seen
    for 300 s or more, at least twice. vostui keeps a count and a time span per source,
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
from vostui.engine.snapshot import EngineSnapshot, RegistrationAttempt, RegistrationView, SourceView

ACCEPTED_SHARE = 0.25  # accepted accounts, of those tried, for a device (and not a guesser)
GUESS_INTERVAL = 10.0  # seconds between refused attempts on one account: guessing
KEEPALIVE_MIN_SECONDS = 5.0  # mean interval per pinged target
KEEPALIVE_REPEAT_SPAN = 300.0  # over this span a keepalive pings each target again


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
    for record in attempt.messages:
        msg = record.msg
        if msg.is_request:
            return bool(msg.header("authorization") or msg.header("proxy-authorization"))
    return False


def failures_before_success(reg: RegistrationView) -> tuple[int, float]:
    """Refusals with credentials (401/407 to an authenticated REGISTER, or 403) before
    the first 200 of this account from this source (all of them when none), and the
    mean time between them (0 for fewer than two)."""
    times = []
    for attempt in reg.history:
        if attempt.code == 200:
            break
        if attempt.code == 403 or (attempt.code in (401, 407) and _credentialed(attempt)):
            times.append(attempt.ts)
    if len(times) < 2:
        return len(times), 0.0
    return len(times), (times[-1] - times[0]) / (len(times) - 1)


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
        # A PBX or phone bank: a fair share of its accounts accepted.
        device_regs = bool(ok) and len(ok) >= ACCEPTED_SHARE * max(tried, 1)
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
                before, interval = failures_before_success(reg)
                # A guesser tries the next password at once; a device with a wrong
                # password retries at its registration interval, then gets fixed.
                if before >= s.register_loop and interval < GUESS_INTERVAL:
                    compromised = (
                        f"{reg.account} accepted after {before} refused attempts with "
                        "credentials from the same source"
                    )
                    break
        if not compromised and guessing and not device_regs and source is not None:
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
                f"{len(ok)} of {tried} account(s) from {ip} accepted at their first challenge",
                "",
            )
        answered = placed + self.answered_taken.get(ip, 0)
        if answered and not guessing:
            return Verdict(f"{ip} has {answered} answered call leg(s)", "")
        keepalive = self._keepalive(source)
        if keepalive:
            return Verdict(keepalive, "")
        return Verdict("", "")

    def _keepalive(self, source: SourceView | None) -> str:
        """OPTIONS pings: most of the requests, no failed authentication, each target
        pinged once per `KEEPALIVE_MIN_SECONDS` or slower on average, and, over a span
        long enough to see it (`KEEPALIVE_REPEAT_SPAN`), each target pinged again."""
        if source is None or source.auth_failures:
            return ""
        options = source.count("OPTIONS")
        total = sum(n for _m, n in source.counts)
        targets = max(1, source.accounts_tried)
        if options < 2 or options * 2 < total or options < targets:
            return ""
        span = source.last_seen - source.first_seen
        per_target = span * targets / options
        if per_target < KEEPALIVE_MIN_SECONDS:
            return ""
        if span >= KEEPALIVE_REPEAT_SPAN and options < 2 * targets:
            return ""  # a slow sweep: a keepalive would have come back by now
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
