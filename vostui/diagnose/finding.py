"""A finding: what is wrong, where, the evidence, the likely cause and what to do.

Findings are plain frozen data: the console's alerts strip, the call screen, the CLI's
text and JSON all draw the same objects. Every string in them that came from a packet
or a log line has passed through `vostui.text.clean_line` (see `evidence`), so a
finding can be shown as plain text anywhere; it is never markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from vostui.text import clean_line

CRITICAL = "critical"
WARNING = "warning"
NOTICE = "notice"
INFO = "info"
SEVERITIES = (CRITICAL, WARNING, NOTICE, INFO)  # most severe first
RANK = {name: n for n, name in enumerate(SEVERITIES)}

EVIDENCE_LINES = 12  # a finding shows at most this many evidence lines
EVIDENCE_CHARS = 240  # and cuts each at this length
REFS_CAP = 50  # call and message references kept per finding (the UI jumps to them)

# What a finding is about (`Affected.kind`).
CALL = "call"
REGISTRATION = "registration"
IP = "ip"
GATEWAY = "gateway"
HOST = "host"
CAPTURE = "capture"


@dataclass(frozen=True, slots=True)
class Affected:
    """What the finding is about: a call key, "account source" of a registration, an IP,
    a gateway name, a host part ("conntrack", "udp", a process name)."""

    kind: str
    id: str


@dataclass(frozen=True, slots=True)
class Ref:
    """Where to jump from a finding: a call (and one of its messages) or a registration.

    `call` is the `CallView.key`; `message` is a `MessageRecord.index` (0: none);
    `registration` is (account, source) of a `RegistrationView`; `ip` a source IP.
    """

    call: str = ""
    message: int = 0
    registration: tuple[str, str] | None = None
    ip: str = ""


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str  # stable id, e.g. "call.no_ack"; see `vostui.diagnose.rules.RULES`
    severity: str  # critical, warning, notice, info
    title: str  # one line, in the operator's words
    affected: Affected
    evidence: tuple[str, ...]  # exact message first lines, counters, log lines (cleaned)
    cause: str  # the likely cause
    check: str  # what to check, with exact commands where useful
    fix: str  # what to change
    refs: tuple[Ref, ...] = ()
    count: int = 1  # occurrences folded into this finding (calls, attempts, requests)
    first: float | None = None  # packet (or wall) time of the first occurrence
    last: float | None = None
    codes: tuple[int, ...] = ()  # SIP codes involved: links to the response-code reference
    # Every call the finding covers (`refs` keeps at most REFS_CAP places to jump to):
    # the call list marks exactly these. Empty: the call refs are all of them.
    call_keys: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity across runs: the same rule about the same thing."""
        return (self.rule, self.affected.kind, self.affected.id)

    @property
    def rank(self) -> int:
        return RANK.get(self.severity, len(SEVERITIES))

    def calls(self) -> tuple[str, ...]:
        """Keys of every call this finding covers, in order, without repeats (not capped
        like `refs`): what the call list marks."""
        if self.call_keys:
            return self.call_keys
        return tuple(dict.fromkeys(ref.call for ref in self.refs if ref.call))


def above_info(findings: Iterable[Finding]) -> bool:
    return any(f.rank < RANK[INFO] for f in findings)


def worst(findings: Iterable[Finding]) -> str | None:
    """The most severe severity present, or None."""
    best = None
    for finding in findings:
        if best is None or finding.rank < RANK[best]:
            best = finding.severity
    return best


def evidence(lines: Iterable[str], limit: int = EVIDENCE_LINES) -> tuple[str, ...]:
    """Clean, cut and cap evidence lines; says how many were left out."""
    out: list[str] = []
    extra = 0
    for line in lines:
        if not line:
            continue
        if len(out) < limit:
            out.append(clean_line(line, EVIDENCE_CHARS))
        else:
            extra += 1
    if extra:
        out[-1] = f"… and {extra + 1} more"
    return tuple(out)


def refs(items: Iterable[Ref], cap: int = REFS_CAP) -> tuple[Ref, ...]:
    out: list[Ref] = []
    seen: set[Ref] = set()
    for ref in items:
        if ref in seen:
            continue
        seen.add(ref)
        out.append(ref)
        if len(out) >= cap:
            break
    return tuple(out)


def covering(keys: Iterable[str], *extra: Ref) -> dict[str, Any]:
    """`refs` (the `extra` places first, then the calls, capped) and `call_keys` (every
    call, uncapped) of a finding about calls: pass them to `Finding(...)` with `**`."""
    every = tuple(dict.fromkeys(keys))
    return {
        "refs": refs([*extra, *(Ref(call=key) for key in every)]),
        "call_keys": every,
    }


def over_calls(seen: Iterable[tuple[str, float]]) -> dict[str, Any]:
    """`refs`, `call_keys`, `count`, `first` and `last` of a finding that stands for
    several calls, from (call key, time) pairs: pass them to `Finding(...)` with `**`."""
    pairs = list(seen)
    times = [ts for _key, ts in pairs]
    return {
        **covering(key for key, _ts in pairs),
        "count": len(pairs),
        "first": min(times) if times else None,
        "last": max(times) if times else None,
    }
