"""Per-second rates of kernel counters between two polls."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class RateTracker(Generic[K]):
    """Remembers the last value of each counter and turns the next one into a rate.

    A counter seen for the first time, or one that went down (rules reloaded, counters
    zeroed with `iptables -Z`, a module reloaded), has no rate on that poll: None, never a
    negative or a made-up number. Keys not in the latest update are forgotten, so a
    ruleset that changes does not grow the tracker.
    """

    __slots__ = ("_at", "_values")

    def __init__(self) -> None:
        self._values: dict[K, float] = {}
        self._at: float | None = None

    def update(self, values: Mapping[K, float], now: float) -> dict[K, float | None]:
        """Rates per second since the previous update, keyed like `values`."""
        previous, then = self._values, self._at
        elapsed = None if then is None else now - then
        rates: dict[K, float | None] = {}
        for key, value in values.items():
            before = previous.get(key)
            if before is None or elapsed is None or elapsed <= 0 or value < before:
                rates[key] = None
            else:
                rates[key] = (value - before) / elapsed
        self._values = dict(values)
        self._at = now
        return rates

    @property
    def last_update(self) -> float | None:
        return self._at
