"""The console under a log flood: key response while 10,000 lines a second arrive.

    python bench/bench_ui_logs.py [--rate 10000] [--seconds 10] [--size 160x48]

A writer thread appends `--rate` softswitch-style lines per second (in batches every
10 ms) to a file for `--seconds`. The real LogFollower follows it in its own thread, the
real app runs headless at `--size` with its own refresh timer (config.refresh), and
the bench presses keys the whole time:

  dashboard   the log pane in the grid, focused: up (pauses the tail), down, pageup, end
  log screen  L, then up, end, n (next match of a search), a filter keystroke

Measured: CPU and wall time of each key press (median / p95), what one refresh costs,
and how many lines a second reached the pane against how many were written (the
follower's buffer holds 50,000 lines; what scrolls out is counted, never lost silently).
Timings are for this machine; CI never fails on them.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_ui import Clock, SnapshotPipeline, call_datagrams

from vostui.config import Config
from vostui.engine.core import Engine
from vostui.host.logs import LogFollower
from vostui.ui.app import VostuiApp
from vostui.ui.log_screen import LogScreen
from vostui.ui.logs_pane import LogsPane

# The writer runs in its own process: the flood must not take the console's GIL.
WRITER = r"""
import sys, time
path, rate, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
levels = ["INFO "] * 94 + ["WARN "] * 5 + ["ERROR"]
written = 0
started = time.monotonic()
with open(path, "a", buffering=1 << 20) as handle:
    while True:
        elapsed = time.monotonic() - started
        if elapsed >= seconds:
            break
        due = min(int(elapsed * rate), int(seconds * rate))
        if due > written:
            now = time.time()
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
            stamp += f".{int(now * 1000) % 1000:03d}"
            handle.write("".join(
                f"[{stamp}] [{levels[n % 100]}] [SipProxy] recv INVITE from "
                f"10.0.{n % 250}.{n % 200}:5060 callid={n}-{n * 7 % 100000}@10.0.1.1 "
                f"caller=1{n % 1000000:06d} callee=4420{n % 10000000:07d}\n"
                for n in range(written, due)
            ))
            handle.flush()
            written = due
        time.sleep(0.01)
print(written)
"""


class Writer:
    """A child process appending `rate` lines a second for `seconds`, 10 ms at a time."""

    def __init__(self, path: Path, rate: int, seconds: float) -> None:
        self.args = [sys.executable, "-c", WRITER, str(path), str(rate), str(seconds)]
        self.process: subprocess.Popen[str] | None = None
        self.written = 0

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True
        )

    def done(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def wait(self) -> int:
        assert self.process is not None
        out, _err = self.process.communicate(timeout=30)
        self.written = int(out.strip() or 0)
        return self.written


def stats(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f"{statistics.median(values):6.1f} / {p95:6.1f}"


def report(name: str, samples: list[tuple[float, float]]) -> str:
    cpu = [c for c, _w in samples]
    wall = [w for _c, w in samples]
    return f"{name:<26} n={len(samples):<4} cpu {stats(cpu)} ms   wall {stats(wall)} ms"


async def run(args: argparse.Namespace, folder: Path) -> list[str]:
    log = folder / "sipproxy.log"
    log.write_text("")
    follower = LogFollower([str(log)])
    engine = Engine(Config())
    for i in range(200):
        for dg in call_datagrams(i):
            engine.feed(dg)
    config = Config(refresh=args.refresh)
    app = VostuiApp(
        config,
        SnapshotPipeline(engine.snapshot()),
        deterministic=True,
        diagnosis=args.diagnosis,
        log_follower=follower,
    )
    width, height = (int(v) for v in args.size.split("x"))
    writer = Writer(log, args.rate, args.seconds)
    keys: dict[str, list[tuple[float, float]]] = {}
    refresh_ms: list[float] = []
    lines: list[str] = []

    async def timed(pilot: Any, name: str, *press: str) -> None:
        with Clock() as clock:
            await pilot.press(*press)
        keys.setdefault(name, []).append(clock.sample)
        refresh_ms.append(app.last_refresh_ms)

    async with app.run_test(size=(width, height)) as pilot:
        await pilot.pause(0.3)
        pane = app.screen.query_one(LogsPane)
        await pilot.press("6")
        # the same keys with no flood: what Pilot and a frame cost on their own
        quiet = time.monotonic()
        while time.monotonic() - quiet < 2.0:
            for key in ("up", "down", "pageup", "end"):
                await timed(pilot, f"quiet: {key}", key)
            await pilot.pause(0.05)
        started = time.monotonic()
        writer.start()
        half = args.seconds / 2
        while time.monotonic() - started < half:
            await timed(pilot, "pane: up (pause)", "up")
            await timed(pilot, "pane: down", "down")
            await timed(pilot, "pane: pageup", "pageup")
            await timed(pilot, "pane: end (resume)", "end")
            await pilot.pause(0.05)
        at_half = pane.model.added
        await timed(pilot, "L (open log screen)", "L")
        screen = app.screen
        assert isinstance(screen, LogScreen)
        await pilot.press("f3", *"callid=1", "enter")
        while not writer.done():
            await timed(pilot, "screen: up (pause)", "up")
            await timed(pilot, "screen: end (resume)", "end")
            await timed(pilot, "screen: n (next match)", "n")
            await pilot.pause(0.05)
        await timed(pilot, "screen: / then 'w' (filter)", "slash", "w")
        await pilot.press("escape")
        writer.wait()
        # let the follower catch up with what was written, bounded
        for _ in range(100):
            snapshot = follower.snapshot()
            if snapshot.total >= writer.written:
                break
            await pilot.pause(0.1)
        caught_up = time.monotonic() - started
        snapshot = follower.snapshot()
        await pilot.press("escape")
        await pilot.pause(0.3)
        lines.append(
            f"written {writer.written} lines in {args.seconds:.0f} s "
            f"({writer.written / args.seconds:.0f}/s); follower read {snapshot.total} "
            f"({snapshot.total / caught_up:.0f}/s over {caught_up:.1f} s until caught up), "
            f"{snapshot.dropped} scrolled out of its {snapshot.capacity}-line buffer"
        )
        taken = pane.model.added
        lines.append(
            f"log pane took {at_half} lines in the first {half:.0f} s "
            f"({at_half / half:.0f}/s), {taken} in all (pane redraws only while on screen)"
        )
        lines.append(f"refresh (pull + draw), ms: median / p95 {stats(refresh_ms)}")
        for name, samples in keys.items():
            lines.append(report(name, samples))
        await pilot.press("q")
    follower.stop()
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=int, default=10_000, help="lines written per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long the flood lasts")
    parser.add_argument("--size", default="160x48")
    parser.add_argument("--refresh", type=float, default=0.5, help="the app's refresh interval")
    parser.add_argument("--diagnosis", choices=("off", "thread"), default="off")
    args = parser.parse_args()
    args.seconds = min(args.seconds, 60.0)  # bounded, whatever was asked
    with tempfile.TemporaryDirectory(prefix="vostui-bench-logs-") as folder:
        print(
            f"flood {args.rate} lines/s for {args.seconds:.0f} s, screen {args.size}, "
            f"refresh {args.refresh} s, diagnosis {args.diagnosis}"
        )
        for text in asyncio.run(run(args, Path(folder))):
            print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
