"""TCP stream reassembly and message framing (SIP over TCP).

Each direction of a connection is a byte stream; segments are put in sequence order
(retransmissions and overlaps are not delivered twice, early segments wait, bounded),
and the stream is cut into messages: a header block that ends at CRLFCRLF, then as
many body bytes as its Content-Length (or compact `l`) says, 0 when absent. CRLF
keepalives between messages are skipped.

A message must start with a start line: a status line that begins with the protocol
marker (`SIP/2.0 200 OK`) or a request line that ends with it (`INVITE uri SIP/2.0`).
A stream joined midway, or after a hole the capture lost, is resynchronised on the
next such line: what came before is counted, not guessed at. Memory is bounded per
direction (`max_buffer`) and overall (`max_total`); streams idle for `idle` seconds of
packet time or beyond `max_streams` are evicted, least recently active first.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable

from vostui.net.datagram import Datagram, new_datagram

Report = Callable[[str, int, bytes], None]
Count = Callable[[str], None]

FIN = 0x01
SYN = 0x02
RST = 0x04

_MASK = 0xFFFFFFFF
_CONTENT_LENGTH = re.compile(rb"\r\n(?:content-length|l)[ \t]*:[ \t]*(\d{1,10})", re.IGNORECASE)
_CRLF = b"\r\n"
_END = b"\r\n\r\n"

_MAX_URI = 4096  # longest Request-URI looked back over

# a segment this far ahead of what we expect is not "out of order": the stream moved on
# (we joined midway, or lost a lot) and we restart from it
_FAR_AHEAD = 1 << 24


class _Direction:
    __slots__ = (
        "fin_seq",
        "first_frame",
        "gap_since",
        "key",
        "last_ts",
        "messages",
        "next_seq",
        "ooo",
        "ooo_bytes",
        "pending",
        "scan_from",
        "synced",
    )

    def __init__(self, key: tuple[str, int, str, int], next_seq: int, ts: float) -> None:
        self.key = key
        self.next_seq = next_seq
        self.last_ts = ts
        self.pending = b""  # bytes received in order but not yet a whole message
        self.scan_from = 0  # where to resume looking for CRLFCRLF in `pending`
        self.synced = False  # at a message boundary we trust
        self.ooo: dict[int, bytes] = {}  # segments that arrived ahead of a hole
        self.ooo_bytes = 0
        self.gap_since = 0.0
        self.fin_seq = -1
        self.first_frame = 0
        self.messages = 0


class TcpReassembler:
    """Turns TCP segments into framed messages (`Datagram(transport="tcp")`)."""

    def __init__(
        self,
        report: Report,
        count: Count,
        evicted: Count,
        *,
        max_streams: int = 4096,
        idle: float = 900.0,
        max_buffer: int = 256 * 1024,
        max_total: int = 64 * 1024 * 1024,
        max_out_of_order: int = 64,
        gap_timeout: float = 3.0,
        start_marker: bytes = b"SIP/2.0",
    ) -> None:
        self._report = report
        self._count = count  # harmless events (retransmissions, skipped bytes)
        self._evicted = evicted
        self.max_streams = max_streams
        self.idle = idle
        self.max_buffer = max_buffer
        self.max_total = max_total
        self.max_out_of_order = max_out_of_order
        self.gap_timeout = gap_timeout
        self.marker = start_marker
        self._status_prefix = start_marker + b" "
        self._request_suffix = b" " + start_marker
        self._streams: OrderedDict[tuple[str, int, str, int], _Direction] = OrderedDict()
        self.buffered = 0  # bytes held across all streams
        self.messages = 0
        # where recently closed directions ended, so a segment resent after the FIN is
        # recognised as old rather than taken for a new stream
        self._closed: OrderedDict[tuple[str, int, str, int], int] = OrderedDict()

    def __len__(self) -> int:
        return len(self._streams)

    # ---- segments -----------------------------------------------------------------

    def segment(
        self,
        out: list[Datagram],
        ts: float,
        frame: int,
        src: str,
        sport: int,
        dst: str,
        dport: int,
        seq: int,
        flags: int,
        payload: bytes,
    ) -> None:
        key = (src, sport, dst, dport)
        streams = self._streams
        d = streams.get(key)
        if flags & RST:
            if d is not None:
                self._close(d, frame)
            back = streams.get((dst, dport, src, sport))
            if back is not None:
                self._close(back, frame)
            return
        if d is None:
            if not payload and not flags & SYN:
                return  # a bare ACK of a connection we do not follow
            closed_at = self._closed.get(key)
            if closed_at is not None and not flags & SYN:
                rel = (seq + len(payload) - closed_at) & _MASK
                if rel == 0 or rel >= 0x80000000:
                    self._count("tcp_retransmission")
                    return
            self._make_room(ts)
            d = _Direction(key, (seq + 1) & _MASK if flags & SYN else seq, ts)
            d.first_frame = frame
            # after a SYN the first byte starts a message; midway we must find one
            d.synced = bool(flags & SYN)
            streams[key] = d
        else:
            streams.move_to_end(key)
            if flags & SYN and (seq + 1) & _MASK != d.next_seq:
                # the 4-tuple is reused by a new connection: start over
                self._close(d, frame)
                self._make_room(ts)
                d = _Direction(key, (seq + 1) & _MASK, ts)
                d.synced = True
                streams[key] = d
        d.last_ts = ts
        if flags & SYN:
            seq = (seq + 1) & _MASK  # data on a SYN (TCP Fast Open) follows the SYN's number
        if payload:
            self._data(out, d, ts, frame, seq, payload)
        if flags & FIN:
            d.fin_seq = (seq + len(payload)) & _MASK
        if d.fin_seq >= 0 and d.fin_seq == d.next_seq:
            self._close(d, frame)
        elif d.ooo and ts - d.gap_since > self.gap_timeout:
            self._skip_gap(out, d, ts, frame)
        if self.buffered > self.max_total:
            self._shed(frame)
        self._expire_idle(ts)

    def _data(
        self, out: list[Datagram], d: _Direction, ts: float, frame: int, seq: int, payload: bytes
    ) -> None:
        rel = (seq - d.next_seq) & _MASK
        if rel >= 0x80000000:
            rel -= 0x100000000
        if rel == 0:
            self._deliver(out, d, ts, frame, payload)
        elif rel < 0:
            if rel + len(payload) <= 0:
                self._count("tcp_retransmission")
                return
            self._count("tcp_overlap")
            self._deliver(out, d, ts, frame, payload[-rel:])
        elif rel > _FAR_AHEAD:
            self._resync(d, frame, "tcp_gap")
            d.next_seq = seq
            self._deliver(out, d, ts, frame, payload)
        else:
            old = d.ooo.get(seq)
            if old is not None and len(old) >= len(payload):
                self._count("tcp_retransmission")
                return
            if not d.ooo:
                d.gap_since = ts
            d.ooo[seq] = payload
            grow = len(payload) - (len(old) if old is not None else 0)
            d.ooo_bytes += grow
            self.buffered += grow
            if len(d.ooo) > self.max_out_of_order or d.ooo_bytes > self.max_buffer:
                self._skip_gap(out, d, ts, frame)
            return
        if d.ooo:
            self._drain(out, d, ts, frame)

    def _deliver(
        self, out: list[Datagram], d: _Direction, ts: float, frame: int, payload: bytes
    ) -> None:
        d.next_seq = (d.next_seq + len(payload)) & _MASK
        before = len(d.pending)
        self._frame(out, d, ts, frame, d.pending + payload if before else payload)
        self.buffered += len(d.pending) - before

    def _drain(self, out: list[Datagram], d: _Direction, ts: float, frame: int) -> None:
        """Deliver waiting segments that the stream has now reached."""
        ooo = d.ooo
        progress = True
        while ooo and progress:
            progress = False
            for seq in list(ooo):
                rel = (seq - d.next_seq) & _MASK
                if rel >= 0x80000000:
                    rel -= 0x100000000
                if rel > 0:
                    continue
                payload = ooo.pop(seq)
                d.ooo_bytes -= len(payload)
                self.buffered -= len(payload)
                if rel + len(payload) > 0:
                    self._deliver(out, d, ts, frame, payload[-rel:] if rel else payload)
                    progress = True

    def _skip_gap(self, out: list[Datagram], d: _Direction, ts: float, frame: int) -> None:
        """Bytes the capture never saw: give up on them, resume at the earliest waiting segment."""

        def distance(seq: int) -> int:
            return (seq - d.next_seq) & _MASK

        first = min(d.ooo, key=distance)
        self._resync(d, frame, "tcp_gap")
        d.next_seq = first
        self._drain(out, d, ts, frame)

    def _resync(self, d: _Direction, frame: int, reason: str) -> None:
        self._report(reason, frame, d.pending[:64])
        self.buffered -= len(d.pending)
        d.pending = b""
        d.scan_from = 0
        d.synced = False

    # ---- framing ------------------------------------------------------------------

    def _frame(
        self, out: list[Datagram], d: _Direction, ts: float, frame: int, data: bytes
    ) -> None:
        pos = 0
        n = len(data)
        scan = d.scan_from
        src, sport, dst, dport = d.key
        while pos < n:
            if not d.synced:
                start = self._find_start(data, pos)
                if start < 0:  # none yet: keep only what may begin one
                    keep = -start - 1
                    self._count_skipped(keep - pos)
                    pos = keep
                    break
                self._count_skipped(start - pos)
                pos = start
                d.synced = True
                scan = pos
            # keepalives (CRLF, double CRLF) between messages
            while pos < n and data[pos] in (13, 10):
                pos += 1
            if pos >= n:
                break
            scan = max(scan, pos)
            head_end = data.find(_END, scan)
            first_line_end = data.find(_CRLF, pos, head_end + 2 if head_end >= 0 else n)
            if not 65 <= data[pos] <= 90 or (
                first_line_end >= 0
                and not (
                    data.startswith(self._status_prefix, pos)
                    or data.endswith(self._request_suffix, pos, first_line_end)
                )
            ):
                # not a start line: we are not at a message boundary after all (or this
                # stream never carried our protocol, which is no fault of the packet)
                if d.messages:
                    self._report("tcp_unframed", frame, data[pos : pos + 64])
                else:
                    self._count("tcp_not_sip")
                d.synced = False
                pos = first_line_end + 2 if first_line_end >= 0 else pos + 1
                scan = pos
                continue
            if head_end < 0:
                if n - pos > self.max_buffer:
                    self._report("tcp_unframed", frame, data[pos : pos + 64])
                    d.synced = False
                    pos = n
                else:
                    scan = max(pos, n - 3)
                break
            m = _CONTENT_LENGTH.search(data, pos, head_end)
            length = int(m.group(1)) if m else 0
            end = head_end + 4 + length
            if end - pos > self.max_buffer:
                self._report("tcp_bad_content_length", frame, data[pos : pos + 64])
                d.synced = False
                pos = head_end + 4
                scan = pos
                continue
            if end > n:
                scan = head_end  # the header block is whole; wait for the body
                break
            out.append(new_datagram(ts, src, sport, dst, dport, "tcp", data[pos:end], frame))
            self.messages += 1
            d.messages += 1
            pos = end
            scan = pos
        d.pending = data[pos:] if pos < n else b""
        d.scan_from = scan - pos if scan > pos else 0

    def _find_start(self, data: bytes, pos: int) -> int:
        """Where the next start line begins; or -(k + 1) when one may begin at k later."""
        marker = self.marker
        m = len(marker)
        i = data.find(marker, pos)
        while i >= 0:
            after = data[i + m : i + m + 2]
            if len(after) < 2:
                return -self._line_start(data, pos, i) - 1  # cannot tell yet
            if after[:1] == b" ":  # a status line starts with the marker
                return i
            if after == _CRLF and i > pos and data[i - 1] == 32:
                # a request line: METHOD SP Request-URI SP marker
                line = max(pos, data.rfind(b"\n", pos, i) + 1)
                space = data.rfind(b" ", max(line, i - _MAX_URI), i - 1)
                if space > line:
                    start = space
                    # the method: capital letters (garbage before it on the line is not)
                    while start > line and space - start < 32 and 65 <= data[start - 1] <= 90:
                        start -= 1
                    if start < space:
                        return start
            i = data.find(marker, i + 1)
        return -self._line_start(data, pos, len(data)) - 1

    @staticmethod
    def _line_start(data: bytes, pos: int, i: int) -> int:
        """Start of the (bounded) line holding `i`: what to keep while waiting for more."""
        return max(pos, data.rfind(b"\n", pos, i) + 1, i - _MAX_URI - 64)

    def _count_skipped(self, n: int) -> None:
        if n > 0:
            self._count("tcp_resync_skip")

    # ---- bounds -------------------------------------------------------------------

    def _close(self, d: _Direction, frame: int) -> None:
        if self._streams.pop(d.key, None) is None:
            return
        closed = self._closed
        closed[d.key] = d.next_seq
        closed.move_to_end(d.key)
        if len(closed) > 1024:
            closed.popitem(last=False)
        if d.synced and d.pending.strip(b"\r\n"):
            self._report("tcp_incomplete", frame, d.pending[:64])
        if d.ooo:
            self._report("tcp_gap", frame, b"")
        self.buffered -= len(d.pending) + d.ooo_bytes

    def _make_room(self, ts: float) -> None:
        self._expire_idle(ts)
        while len(self._streams) >= self.max_streams:
            oldest = next(iter(self._streams.values()))
            self._close(oldest, oldest.first_frame)
            self._evicted("tcp_stream_limit")

    def _expire_idle(self, ts: float) -> None:
        streams = self._streams
        limit = ts - self.idle
        while streams:
            d = next(iter(streams.values()))
            if d.last_ts >= limit:
                break
            self._close(d, d.first_frame)
            self._evicted("tcp_stream_idle")

    def _shed(self, frame: int) -> None:
        """Over the memory budget for all streams: drop the least recently active."""
        while self.buffered > self.max_total and self._streams:
            d = next(iter(self._streams.values()))
            self._close(d, frame)
            self._evicted("tcp_stream_memory")

    def flush(self) -> None:
        """End of input: what is still buffered will never complete."""
        for d in list(self._streams.values()):
            self._close(d, d.first_frame)
