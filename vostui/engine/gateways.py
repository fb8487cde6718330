"""Per-gateway call statistics: attempts, ASR, ACD, PDD, final codes, CPS.

A leg counts for the gateway at its far end: the source of an A-leg (mapping
gateway), the destination of a B-leg or of a direct call (routing side). ASR is
answered legs over legs that reached a final outcome (a leg still unanswered when the
capture ended, `no_answer`, did not: it is left out); ACD is the mean talk time of
answered legs that ended.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from vostui.config import Config
from vostui.engine.dialog import Dialog
from vostui.engine.rates import RateWindow
from vostui.engine.snapshot import GatewayView

NAMES_CACHED = 50_000


@dataclass(slots=True)
class GatewayStats:
    name: str
    address: str
    role: str
    attempts: int = 0
    finished: int = 0
    answered: int = 0
    talk_total: float = 0.0
    talk_count: int = 0
    pdd_total: float = 0.0
    pdd_count: int = 0
    active: int = 0
    codes: Counter[int] = field(default_factory=Counter)
    cps: RateWindow = field(default_factory=RateWindow)

    def view(self, now: float) -> GatewayView:
        return GatewayView(
            name=self.name,
            address=self.address,
            role=self.role,
            attempts=self.attempts,
            answered=self.answered,
            asr=self.answered / self.finished if self.finished else 0.0,
            acd=self.talk_total / self.talk_count if self.talk_count else 0.0,
            mean_pdd=self.pdd_total / self.pdd_count if self.pdd_count else None,
            codes=tuple(sorted(self.codes.items())),
            cps_now=self.cps.rate(now),
            cps_peak=float(self.cps.peak),
            active=self.active,
        )


class GatewayBook:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.stats: dict[str, GatewayStats] = {}
        self._named: dict[str, tuple[str, str, str] | None] = {}

    def name_for(self, ip: str, role: str) -> tuple[str, str, str]:
        if ip in self._named:
            named = self._named[ip]
        else:
            gateway = self.config.gateway_for(ip)
            named = None if gateway is None else (gateway.name, gateway.address, gateway.role)
            if len(self._named) < NAMES_CACHED:
                self._named[ip] = named
        if named is not None:
            return named
        return ip, ip, role if role != "direct" else "unknown"

    def _stats(self, leg: Dialog) -> GatewayStats:
        ip = leg.src_ip if leg.role == "a" else leg.dst_ip
        role = {"a": "mapping", "b": "routing"}.get(leg.role, "unknown")
        name, address, role = self.name_for(ip, role)
        stats = self.stats.get(name)
        if stats is None:
            stats = self.stats[name] = GatewayStats(name, address, role)
        return stats

    def started(self, leg: Dialog) -> None:
        stats = self._stats(leg)
        stats.attempts += 1
        stats.active += 1
        stats.cps.add(leg.start)

    def forget(self, leg: Dialog) -> None:
        """Undo `started` for a leg whose role turned out different (see calls.py)."""
        stats = self._stats(leg)
        stats.attempts = max(0, stats.attempts - 1)
        stats.active = max(0, stats.active - 1)

    def answered(self, leg: Dialog) -> None:
        stats = self._stats(leg)
        stats.answered += 1
        stats.finished += 1
        stats.codes[leg.final_code] += 1
        if leg.ringing is not None:
            stats.pdd_total += leg.ringing - leg.start
            stats.pdd_count += 1

    def ended(self, leg: Dialog) -> None:
        stats = self._stats(leg)
        stats.active = max(0, stats.active - 1)
        if leg.state == "no_answer":
            return  # the capture ended first: its outcome was not seen (not in the ASR)
        if leg.answered is not None:
            if leg.ended is not None:
                stats.talk_total += leg.ended - leg.answered
                stats.talk_count += 1
            return
        stats.finished += 1
        if leg.final_code or leg.state == "timed_out":  # not a CANCEL whose 487 never came
            stats.codes[leg.final_code] += 1  # 0: timed out with no final response
        if leg.ringing is not None:
            stats.pdd_total += leg.ringing - leg.start
            stats.pdd_count += 1

    def reopened(self, leg: Dialog, code: int, counted: bool = True) -> None:
        """A leg that was challenged (401/407) and sent its INVITE again with credentials,
        or answered late after a timer ended it (`counted`: its end was in the stats)."""
        stats = self._stats(leg)
        stats.active += 1
        if not counted:
            return
        stats.finished = max(0, stats.finished - 1)
        if stats.codes[code] > 0:
            stats.codes[code] -= 1
            if not stats.codes[code]:
                del stats.codes[code]

    def views(self, now: float) -> tuple[GatewayView, ...]:
        return tuple(stats.view(now) for stats in self.stats.values() if stats.attempts)
