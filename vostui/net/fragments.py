"""IP fragment reassembly (IPv4 and IPv6), bounded in count, size and packet time.

A big INVITE (many codecs, long Via chains) over UDP arrives in fragments; only the
first one carries the UDP header, so every fragment must be kept until the datagram is
whole. Pending datagrams are bounded: the oldest is evicted when too many are open,
and a datagram whose fragments stop arriving expires after `timeout` seconds of
packet time. Overlapping fragments with different content drop the datagram (as
RFC 5722 asks for IPv6): an attacker must not choose what we reassemble.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

# (reason, frame number, sample bytes) -> None
Report = Callable[[str, int, bytes], None]

MAX_PARTS = 128  # fragments per datagram; a real 64 KiB datagram over Ethernet needs 45


class _Pending:
    __slots__ = ("first_ts", "frame", "parts", "proto", "received", "sample", "total")

    def __init__(self, ts: float, frame: int, sample: bytes) -> None:
        self.first_ts = ts
        self.frame = frame
        self.sample = sample
        self.parts: dict[int, bytes] = {}
        self.proto = -1  # known from the fragment at offset 0
        self.total = -1  # known from the last fragment
        self.received = 0


class Reassembler:
    """Collects fragments by (version, src, dst, id[, proto]) and returns whole payloads."""

    def __init__(
        self,
        report: Report,
        evicted: Callable[[str], None],
        max_pending: int = 1024,
        timeout: float = 30.0,
        max_size: int = 65535,
    ) -> None:
        self._report = report
        self._evicted = evicted
        self.max_pending = max_pending
        self.timeout = timeout
        self.max_size = max_size
        self._pending: dict[Hashable, _Pending] = {}
        self.reassembled = 0
        self.duplicates = 0

    def __len__(self) -> int:
        return len(self._pending)

    def add(
        self,
        key: Hashable,
        ts: float,
        frame: int,
        offset: int,
        more: bool,
        proto: int,
        payload: bytes,
        sample: bytes,
    ) -> tuple[int, bytes] | None:
        """Add one fragment; return (protocol, payload) when this one completes the datagram.

        `proto` is the upper protocol as this fragment names it; only the fragment at
        offset 0 is trusted for it (for IPv6 the others may name something else).
        """
        self.expire(ts)
        pending = self._pending
        entry = pending.get(key)
        if entry is None:
            if len(pending) >= self.max_pending:
                oldest = next(iter(pending))
                del pending[oldest]
                self._evicted("ip_fragments")
            entry = pending[key] = _Pending(ts, frame, sample)
        end = offset + len(payload)
        if end > self.max_size or len(entry.parts) >= MAX_PARTS:
            del pending[key]
            self._report("frag_too_big", frame, sample)
            return None
        if not more:
            if (entry.total >= 0 and entry.total != end) or any(
                o + len(p) > end for o, p in entry.parts.items()
            ):
                del pending[key]
                self._report("frag_overlap", frame, sample)
                return None
            entry.total = end
        elif entry.total >= 0 and end > entry.total:
            del pending[key]
            self._report("frag_overlap", frame, sample)
            return None
        for o, p in entry.parts.items():
            if o < end and offset < o + len(p):
                if o == offset and p == payload:
                    self.duplicates += 1  # a resent fragment: harmless
                    return None
                del pending[key]
                self._report("frag_overlap", frame, sample)
                return None
        entry.parts[offset] = payload
        entry.received += len(payload)
        if offset == 0:
            entry.proto = proto
        # without overlaps, received == total means every byte is there
        if entry.received == entry.total and entry.proto >= 0:
            del pending[key]
            self.reassembled += 1
            parts = entry.parts
            return entry.proto, b"".join(parts[o] for o in sorted(parts))
        return None

    def expire(self, now: float) -> None:
        """Drop datagrams whose first fragment is older than the timeout (packet time)."""
        pending = self._pending
        limit = now - self.timeout
        while pending:
            key = next(iter(pending))
            entry = pending[key]
            if entry.first_ts >= limit:
                break
            del pending[key]
            self._report("frag_timeout", entry.frame, entry.sample)

    def flush(self) -> None:
        """End of input: every datagram still incomplete counts as timed out."""
        for entry in self._pending.values():
            self._report("frag_timeout", entry.frame, entry.sample)
        self._pending.clear()
