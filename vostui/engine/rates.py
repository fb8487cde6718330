"""Event rates over a sliding window of packet time, in one-second buckets."""

from __future__ import annotations

from collections import deque

WINDOW = 10


class RateWindow:
    """Counts events per second of packet time; `rate` is the mean over the window."""

    __slots__ = ("buckets", "peak", "window")

    def __init__(self, window: int = WINDOW) -> None:
        self.window = window
        self.buckets: deque[list[int]] = deque()  # [second, count]
        self.peak = 0

    def add(self, ts: float, count: int = 1) -> None:
        second = int(ts)
        if self.buckets and self.buckets[-1][0] == second:
            self.buckets[-1][1] += count
        else:
            self.buckets.append([second, count])
            while self.buckets and self.buckets[0][0] <= second - self.window:
                self.buckets.popleft()
        self.peak = max(self.peak, self.buckets[-1][1])

    def rate(self, now: float) -> float:
        cutoff = int(now) - self.window
        total = sum(count for second, count in self.buckets if second > cutoff)
        return total / self.window
