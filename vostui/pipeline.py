"""Sources to engine: capture files or a live tcpdump, decoded and fed in one thread.

The engine is the single writer of its state; the feeding thread holds `lock` while
it feeds a batch, and `snapshot()` takes the same lock, so the UI always gets a
consistent, immutable picture. The UI's cost depends on how often it asks, not on
the traffic.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from vostui.config import Config
from vostui.engine.core import Engine
from vostui.engine.snapshot import EngineSnapshot, MessageRecord
from vostui.net.capture import CaptureError, CaptureReader, Frame, open_frames
from vostui.net.datagram import Datagram
from vostui.net.decoder import Decoder
from vostui.net.live import LiveCapture, LiveCaptureError, build_bpf
from vostui.net.writer import write_pcap
from vostui.sip.message import SipParseError
from vostui.sip.parser import parse_message

BATCH = 256
LOOP_GAP = 5.0  # seconds of silence between two rounds of a demo loop


@dataclass(frozen=True, slots=True)
class SourceStatus:
    label: str
    state: str  # starting, running, finished, failed, stopped
    problem: str
    fix: str
    packets: int
    datagrams: int
    sip_messages: int
    packets_per_s: float
    sip_per_s: float
    kernel_drops: int | None
    malformed: int
    evicted: int
    progress: float | None
    warnings: tuple[str, ...] = ()


@dataclass(slots=True)
class FileResult:
    path: str
    frames: int
    warnings: list[str]


FREEZE_EVERY = 20_000  # SIP messages


def freeze_now(engine: Engine) -> None:
    """Keep the cyclic garbage collector off the engine's long-lived objects.

    With 20,000 calls the engine holds millions of small objects; a full collection
    that walks them all stopped the console for seconds. They form no reference
    cycles (they are freed by reference counting as they are evicted), so every
    `FREEZE_EVERY` messages they are moved out of the collector's sight.
    """
    if engine.index - engine.frozen_at >= FREEZE_EVERY:
        gc.freeze()
        engine.frozen_at = engine.index


def feed_frames(
    engine: Engine,
    decoder: Decoder,
    frames: Iterator[Frame],
    batch: Callable[[], None] | None = None,
) -> tuple[int, float | None]:
    """Decode frames into the engine; returns the number of frames and the packet time
    of the latest one (None: no frame), where the capture ends."""
    count = 0
    last: float | None = None
    feed = engine.feed
    decode = decoder.decode
    for frame in frames:
        count += 1
        ts = frame[0]
        if last is None or ts > last:
            last = ts
        for dg in decode(frame):
            feed(dg)
        if count % BATCH == 0:
            freeze_now(engine)
            if batch is not None:
                batch()
    return count, last


def read_files(
    engine: Engine,
    paths: Sequence[str],
    progress: Callable[[str, float], None] | None = None,
) -> list[FileResult]:
    """Read capture files to their end into the engine (the CLI's path: no threads).

    Raises CaptureError for a file that is not a capture at all; a truncated file
    yields what was before the cut and a warning in its FileResult.
    """
    decoder = Decoder()
    results = []
    end: float | None = None  # packet time of the last frame of all the files
    for path in paths:
        reader = CaptureReader(os.path.basename(path))
        size = max(1, os.path.getsize(path)) if os.path.isfile(path) else 1
        frames = open_frames(path, reader)
        tick: Callable[[], None] | None = None
        if progress is not None:

            def tick(path: str = path, reader: CaptureReader = reader, size: int = size) -> None:
                progress(path, min(1.0, reader.offset / size))

        count, last = feed_frames(engine, decoder, frames, tick)
        if last is not None and (end is None or last > end):
            end = last
        decoder.flush()
        results.append(FileResult(path, count, list(reader.warnings)))
    engine.set_packets(decoder.stats.packets)
    engine.add_malformed(decoder.stats.malformed)
    engine.finish(at=end)  # the input ended: INVITEs still unanswered end (no_answer, ...)
    return results


class Pipeline:
    """Feeds the engine from files or a live capture, in its own thread."""

    def __init__(
        self,
        config: Config,
        *,
        live: bool = False,
        files: Sequence[str] = (),
        realtime: bool = False,
        loop: bool = False,
        interface: str | None = None,
    ) -> None:
        self.config = config
        self.live = live
        self.files = list(files)
        self.realtime = realtime or loop
        self.loop = loop
        self.interface = interface or config.interface
        self.engine = Engine(config)
        self.decoder = Decoder()
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None
        self.capture: LiveCapture | None = None
        self._state = "starting"
        self._problem = ""
        self._fix = ""
        self._warnings: list[str] = []
        self._progress: float | None = 0.0 if files else None
        self._rate_mark = (time.monotonic(), 0, 0)
        self._rates = (0.0, 0.0)
        self._snapshot: EngineSnapshot | None = None
        self._snapshot_mark = -1
        self._replay_offset = 0.0  # wall clock minus packet time, while replaying
        self._loop_span = 0.0  # seconds from one demo round to the next
        self._span: float | None = None  # recorded seconds of the files, for progress
        self.loop_round = 0
        if live:
            self.label = f"live: {self.interface}"
        elif loop:
            self.label = f"demo: {', '.join(os.path.basename(f) for f in self.files)}"
        else:
            names = ", ".join(os.path.basename(f) for f in self.files[:3])
            more = f" (+{len(self.files) - 3})" if len(self.files) > 3 else ""
            self.label = f"file: {names}{more}"

    # -- control -------------------------------------------------------------------

    def start(self) -> None:
        target = self._run_live if self.live else self._run_files
        self.thread = threading.Thread(
            target=self._guard(target), name="vostui-capture", daemon=True
        )
        self.thread.start()

    def _guard(self, target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except (CaptureError, LiveCaptureError, OSError) as exc:
                self._fail(str(exc), getattr(exc, "fix", ""))
            except Exception as exc:  # a source must never take the console down
                self._fail(f"internal error in the capture thread: {exc!r}", "")

        return run

    def _fail(self, problem: str, fix: str) -> None:
        self._state = "failed"
        self._problem = problem.splitlines()[0] if problem else "failed"
        self._fix = fix

    def stop(self) -> None:
        self.stop_event.set()
        if self.capture is not None:
            self.capture.stop()
        if self.thread is not None:
            self.thread.join(timeout=5)
        if self._state in ("starting", "running"):
            self._state = "stopped"

    # -- feeding -------------------------------------------------------------------

    def shift(self, loop_round: int) -> float:
        """Seconds added to packet times: a demo loop plays in the present, round after round."""
        if not self.loop:
            return 0.0
        return self._replay_offset + loop_round * self._loop_span

    def _feed(self, datagrams: list[Datagram], loop_round: int) -> None:
        freeze_now(self.engine)
        with self.lock:
            if not self.loop:
                for dg in datagrams:
                    self.engine.feed(dg)
                return
            shift = self.shift(loop_round)
            for dg in datagrams:
                self._feed_shifted(dg, shift, loop_round)

    def _feed_shifted(self, dg: Datagram, shift: float, loop_round: int) -> None:
        """A demo loop: times moved to the present, Call-IDs made unique per round."""
        dg = dataclasses.replace(dg, ts=dg.ts + shift)
        if loop_round == 0:
            self.engine.feed(dg)
            return
        try:
            msg = parse_message(dg.payload)
        except SipParseError:
            self.engine.feed(dg)
            return
        msg = msg.replace(call_id=f"{msg.call_id}~{loop_round}")
        self.engine.feed_message(dg, msg)

    def _run_files(self) -> None:
        if self.realtime:
            self._record_span()  # before the replay clock starts
        self._state = "running"
        first_ts: float | None = None
        last_ts = 0.0
        while not self.stop_event.is_set():
            for n, path in enumerate(self.files):
                reader = CaptureReader(os.path.basename(path))
                size = max(1, os.path.getsize(path))
                pending: list[Datagram] = []
                for frame in open_frames(path, reader):
                    if self.stop_event.is_set():
                        return
                    if first_ts is None:
                        first_ts = frame.ts
                        self._replay_offset = time.time() - frame.ts
                    last_ts = max(last_ts, frame.ts)
                    if self.realtime:
                        # the reader reads ahead: a replay's progress is its recorded time
                        self._progress = min(1.0, (frame.ts - first_ts) / self._record_span())
                        wall = frame.ts + self._replay_offset + self.loop_round * self._loop_span
                        self._wait_until(wall, pending)
                    pending.extend(self.decoder.decode(frame))
                    if len(pending) >= BATCH:
                        self._feed(pending, self.loop_round)
                        pending = []
                        if not self.realtime:
                            self._progress = (n + reader.offset / size) / len(self.files)
                self._feed(pending, self.loop_round)
                self._warnings.extend(reader.warnings)
            with self.lock:
                self.engine.set_packets(self.decoder.stats.packets)
                self.engine.add_malformed(self.decoder.stats.malformed)
                if not self.loop:  # the files ended: unanswered INVITEs end too
                    self.engine.finish(at=last_ts if first_ts is not None else None)
            if not self.realtime:
                self._progress = 1.0
            if not self.loop or first_ts is None:
                break
            self._loop_span = max(self._loop_span, last_ts - first_ts + LOOP_GAP)
            self.loop_round += 1
        if not self.stop_event.is_set():
            self._state = "finished"

    def _record_span(self) -> float:
        """Seconds from the first to the last frame of the files (read once, ahead)."""
        if self._span is None:
            times = [frame.ts for path in self.files for frame in open_frames(path)]
            self._span = max(1e-6, max(times) - min(times)) if times else 1.0
        return self._span

    def _engine_time(self) -> float:
        """Packet time that corresponds to the wall clock now, while replaying."""
        return time.time() if self.loop else time.time() - self._replay_offset

    def _wait_until(self, wall: float, pending: list[Datagram]) -> None:
        """Replay pace: hold a frame until its time comes on the wall clock."""
        delay = wall - time.time()
        if delay <= 0:
            return
        if pending:
            self._feed(pending, self.loop_round)
            pending.clear()
        while delay > 0 and not self.stop_event.is_set():
            self.stop_event.wait(min(delay, 0.2))
            with self.lock:
                self.engine.expire(self._engine_time())
            delay = wall - time.time()

    def _run_live(self) -> None:
        bpf = build_bpf(self.config.sip_ports)
        # immediate mode: the console shows a packet as it comes, not a buffer a second later
        buffer_kib = self.config.capture_buffer_kib if self.config.capture_buffer_kib > 0 else None
        self.capture = LiveCapture(self.interface, bpf, immediate=True, buffer_kib=buffer_kib)
        self.capture.start()
        self._state = "running"
        for frame in self.capture.frames(self.stop_event):
            datagrams = self.decoder.decode(frame)
            if datagrams:
                self._feed(datagrams, 0)
        if self.capture.error and not self.stop_event.is_set():
            self._fail(self.capture.error, self.capture.fix)
        elif not self.stop_event.is_set():
            self._state = "finished"

    # -- output --------------------------------------------------------------------

    def now(self) -> float:
        """The console's clock: wall time live and in replays, packet time for files."""
        if self.live:
            return time.time()
        if self.realtime and self._state == "running":
            return self._engine_time()
        with self.lock:
            return self.engine.now

    def snapshot(self) -> EngineSnapshot:
        with self.lock:
            if self.live:
                self.engine.expire(time.time())
                self.engine.set_packets(self.decoder.stats.packets)
                self.engine.add_malformed(self.decoder.stats.malformed)
            # A new snapshot when messages came, timers changed a call or the kernel's
            # drop count moved; time passing alone does not make one (the console ticks
            # durations from now()).
            engine = self.engine
            capture = self.capture
            drops_moved = capture is not None and engine.set_kernel_drops(
                capture.kernel_drops, capture.drops_grew_at
            )
            changed = bool(engine.dirty_calls or engine.dirty_regs or drops_moved)
            if self._snapshot is None or self._snapshot_mark != engine.index or changed:
                self._snapshot = engine.snapshot()
                self._snapshot_mark = engine.index
            return self._snapshot

    def status(self) -> SourceStatus:
        with self.lock:
            counters = self.engine.counters()
        now = time.monotonic()
        mark_time, mark_packets, mark_sip = self._rate_mark
        packets = self.decoder.stats.packets
        if now - mark_time >= 1.0:
            span = now - mark_time
            self._rates = (
                (packets - mark_packets) / span,
                (counters.sip_messages - mark_sip) / span,
            )
            self._rate_mark = (now, packets, counters.sip_messages)
        drops = self.capture.kernel_drops if self.capture is not None else None
        return SourceStatus(
            label=self.label,
            state=self._state,
            problem=self._problem,
            fix=self._fix,
            packets=packets,
            datagrams=counters.datagrams,
            sip_messages=counters.sip_messages,
            packets_per_s=self._rates[0],
            sip_per_s=self._rates[1],
            kernel_drops=drops,
            malformed=sum(n for _, n in counters.malformed),
            evicted=sum(n for _, n in counters.evicted),
            progress=self._progress,
            warnings=tuple(self._warnings),
        )

    def message_pcap(self, records: Sequence[MessageRecord], path: str) -> None:
        """Write a call's messages as a pcap that Wireshark opens."""
        write_pcap(
            path,
            [
                Datagram(r.ts, r.src, r.sport, r.dst, r.dport, r.transport, r.msg.raw, r.frame)
                for r in sorted(records, key=lambda r: r.index)
            ],
        )
