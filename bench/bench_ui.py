"""What the console costs with a big engine: refresh time and key-press answer time.

    python bench/bench_ui.py [--calls 20000] [--rounds 30] [--size 160x48]

The real engine is fed `--calls` B2BUA calls (A-leg customer -> softswitch, B-leg
softswitch -> vendor; one in ten still up, one in eight failed) as SIP datagrams,
then the real app runs headless at `--size` over a pipeline that hands it the
engine's snapshots. Between refreshes 20 more calls arrive, so every refresh gets a
new snapshot version (the worst case: the calls pane re-filters and re-sorts all).

Measured, each as median / p95 / max over the rounds:
  refresh    pull the snapshot, hand it to the screen, and render (until idle)
  tick       the same with an unchanged snapshot (durations tick, nothing rebuilt)
  keys       down, pagedown, o (sort), / and a digit (filter), Enter and Esc (call screen)

Headless Textual composes every frame as in a terminal; only the final write to a
tty is skipped. Timings are for this machine; CI never fails on them.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vostui.config import Config
from vostui.engine.core import Engine
from vostui.engine.snapshot import EngineSnapshot, MessageRecord
from vostui.net.datagram import Datagram
from vostui.pipeline import freeze_now
from vostui.ui.app import VostuiApp

SOFTSWITCH = "10.0.0.2"
T0 = 1_700_000_000.0


def sip(start: str, headers: list[tuple[str, str]], body: str = "") -> bytes:
    lines = [start, *(f"{k}: {v}" for k, v in headers), f"Content-Length: {len(body)}", "", body]
    return "\r\n".join(lines).encode()


def leg(
    call_id: str,
    caller: str,
    callee: str,
    a: tuple[str, int],
    b: tuple[str, int],
    ts: float,
    final: int,
    up: bool,
) -> list[Datagram]:
    """One dialog's datagrams: INVITE, 100, 180, final, ACK (and BYE, 200 when it ended)."""
    tag = call_id[:8]

    def headers(method: str, cseq: int, to_tag: str = "") -> list[tuple[str, str]]:
        return [
            ("Via", f"SIP/2.0/UDP {a[0]}:{a[1]};branch=z9hG4bK{call_id}{cseq}{method}"),
            ("From", f"<sip:{caller}@{a[0]}>;tag={tag}"),
            ("To", f"<sip:{callee}@{b[0]}>" + (f";tag={to_tag}" if to_tag else "")),
            ("Call-ID", call_id),
            ("CSeq", f"{cseq} {method}"),
            ("Contact", f"<sip:{caller}@{a[0]}:{a[1]}>"),
        ]

    sdp = (
        f"v=0\r\no=- 1 1 IN IP4 {a[0]}\r\ns=-\r\nc=IN IP4 {a[0]}\r\nt=0 0\r\n"
        "m=audio 20000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
    )

    def req(t: float, method: str, cseq: int, body: str = "", to_tag: str = "") -> Datagram:
        h = headers(method, cseq, to_tag)
        if body:
            h.append(("Content-Type", "application/sdp"))
        return Datagram(
            t, a[0], a[1], b[0], b[1], "udp", sip(f"{method} sip:{callee}@{b[0]} SIP/2.0", h, body)
        )

    def resp(t: float, code: int, reason: str, method: str, cseq: int) -> Datagram:
        return Datagram(
            t,
            b[0],
            b[1],
            a[0],
            a[1],
            "udp",
            sip(f"SIP/2.0 {code} {reason}", headers(method, cseq, "x" + tag)),
        )

    out = [req(ts, "INVITE", 1, sdp), resp(ts + 0.01, 100, "Trying", "INVITE", 1)]
    out.append(resp(ts + 1.0, 180, "Ringing", "INVITE", 1))
    if final == 200:
        out.append(resp(ts + 2.0, 200, "OK", "INVITE", 1))
        out.append(req(ts + 2.05, "ACK", 1, to_tag="x" + tag))
        if not up:
            out.append(req(ts + 30.0, "BYE", 2, to_tag="x" + tag))
            out.append(resp(ts + 30.01, 200, "OK", "BYE", 2))
    elif final:
        out.append(
            resp(
                ts + 3.0, final, "Busy Here" if final == 486 else "Service Unavailable", "INVITE", 1
            )
        )
        out.append(req(ts + 3.01, "ACK", 1, to_tag="x" + tag))
    return out


def call_datagrams(i: int) -> list[Datagram]:
    ts = T0 + i * 0.05
    up = i % 10 == 0
    final = 486 if i % 8 == 3 else 503 if i % 8 == 7 else 200
    caller, callee = f"8613{i:07d}", f"4420{i:07d}"
    customer = (f"10.1.{i % 50}.{1 + i % 200}", 5060)
    vendor = (f"10.2.0.{1 + i % 6}", 5060)
    a = leg(f"a{i:08d}x", caller, callee, customer, (SOFTSWITCH, 5060), ts, final, up)
    b = leg(f"b{i:08d}y", caller, callee, (SOFTSWITCH, 5060), vendor, ts + 0.02, final, up)
    return sorted(a + b, key=lambda d: d.ts)


@dataclass(frozen=True, slots=True)
class Status:
    label: str = "bench: synthetic"
    state: str = "running"
    problem: str = ""
    fix: str = ""
    packets: int = 0
    datagrams: int = 0
    sip_messages: int = 0
    packets_per_s: float = 0.0
    sip_per_s: float = 0.0
    kernel_drops: int | None = 0
    malformed: int = 0
    evicted: int = 0
    progress: float | None = None
    warnings: tuple[str, ...] = ()


class SnapshotPipeline:
    """Hands the app whatever snapshot the bench put in."""

    def __init__(self, snapshot: EngineSnapshot) -> None:
        self.current = snapshot

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def snapshot(self) -> EngineSnapshot:
        return self.current

    def status(self) -> Status:
        return Status()

    def now(self) -> float:
        return self.current.now

    def message_pcap(self, records: list[MessageRecord], path: str) -> None:
        pass


def summary(name: str, samples: list[tuple[float, float]]) -> str:
    """Median and p95 of CPU time and of wall time, in ms."""

    def stats(values: list[float]) -> str:
        values = sorted(values)
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        return f"{statistics.median(values):6.1f} / {p95:6.1f}"

    cpu = [c for c, _w in samples]
    wall = [w for _c, w in samples]
    return f"{name:<24} cpu {stats(cpu)} ms   wall {stats(wall)} ms"


class Clock:
    """CPU and wall time of a block: CPU is the work; wall adds Pilot's idle waits."""

    def __enter__(self) -> Clock:
        self.cpu, self.wall = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sample = (
            (time.process_time() - self.cpu) * 1000,
            (time.perf_counter() - self.wall) * 1000,
        )


async def measure(engine: Engine, calls: int, rounds: int, size: tuple[int, int]) -> list[str]:
    config = Config(refresh=3600.0)  # the bench drives refreshes itself
    pipeline = SnapshotPipeline(engine.snapshot())
    # Diagnosis runs in its own worker in the console; bench_ui_diagnosis.py measures it.
    app = VostuiApp(config, pipeline, deterministic=True, diagnosis="off")
    lines = []
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        shown = len(pipeline.current.calls)
        refresh, tick, snap, pull, paint = [], [], [], [], []
        next_call = calls
        for _ in range(rounds):
            for _n in range(20):
                for dg in call_datagrams(next_call):
                    engine.feed(dg)
                    freeze_now(engine)
                next_call += 1
            with Clock() as clock:
                pipeline.current = engine.snapshot()
            snap.append(clock.sample)
            with Clock() as clock:
                app.pull()
                await pilot.pause()
            refresh.append(clock.sample)
            with Clock() as clock:
                app.pull()
                await pilot.pause()
            tick.append(clock.sample)
            # the main-thread work alone, no event loop: pull, then draw the whole screen
            pipeline.current = engine.snapshot()
            with Clock() as clock:
                app.pull()
            pull.append(clock.sample)
            with Clock() as clock:
                app.screen._compositor.render_update(full=True)
            paint.append(clock.sample)
        lines.append(
            f"calls in the snapshot: {shown} at start, {len(pipeline.current.calls)} at the end"
        )
        lines.append(summary("engine.snapshot()", snap))
        lines.append(summary("refresh (new version)", refresh))
        lines.append(summary("refresh (tick only)", tick))
        lines.append(summary("  pull() alone", pull))
        lines.append(summary("  full-screen paint", paint))
        keys: dict[str, list[tuple[float, float]]] = {}

        async def timed(name: str, *press: str) -> None:
            with Clock() as clock:
                await pilot.press(*press)
            keys.setdefault(name, []).append(clock.sample)

        for _ in range(rounds):
            await timed("down", "down")
            await timed("pagedown", "pagedown")
            await timed("o (sort)", "o")
            await timed("/ (open filter)", "slash")
            await timed("7 (filter keystroke)", "7")
            await timed("escape (clear filter)", "escape")
            await timed("enter (call screen)", "enter")
            await timed("down (ladder)", "down")
            await timed("escape (back)", "escape")
        for name, values in keys.items():
            lines.append(summary(name, values))
    return lines


class GcWatch:
    """Full (generation 2) garbage collections: how many, and how long they stopped us."""

    def __init__(self) -> None:
        self.started = 0.0
        self.pauses: list[float] = []

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.pauses.append((time.perf_counter() - self.started) * 1000)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--size", default="160x48")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    config = Config(max_dialogs=max(50_000, args.calls * 2 + args.rounds * 60))
    engine = Engine(config)
    started = time.perf_counter()
    for i in range(args.calls):
        for dg in call_datagrams(i):
            engine.feed(dg)
            freeze_now(engine)  # as the real pipeline does while it feeds
    fed = time.perf_counter() - started
    print(f"fed {args.calls} calls ({args.calls * 14} datagrams at most) in {fed:.1f} s")
    print(f"screen {width}x{height}; median / p95 over {args.rounds} rounds")
    watch = GcWatch()
    gc.callbacks.append(watch)
    for line in asyncio.run(measure(engine, args.calls, args.rounds, (width, height))):
        print(line)
    gc.callbacks.remove(watch)
    if watch.pauses:
        print(
            f"full GC during the measurements: {len(watch.pauses)}, "
            f"longest {max(watch.pauses):.0f} ms ({len(gc.get_objects())} objects tracked)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
