"""How fast the console answers keys while diagnosis runs on a big engine.

    python bench/bench_ui_diagnosis.py [--calls 20000] [--rounds 30] [--size 160x48]

The real engine is fed `--calls` B2BUA calls (the same synthetic traffic as
bench_ui.py), the real app runs headless over it with diagnosis in its worker thread,
and before each key 20 new calls arrive (a new snapshot version, a pull and its
refresh); with diagnosis on, each pull starts a run when none is in progress, back to
back (no throttle: the worst case), so the keys land while a run is going. The same
keys with diagnosis off are the baseline, and a third pass runs with the app's own
throttle, as an operator would have it.

Reported, median / p95 / max in ms: wall time from posting the key until the first
frame drawn after its effect (the cursor moved, the screen changed), and the CPU time
of the UI thread over the same span (the worker's is not in it). Not Pilot's
`press`: it waits until the whole process is idle, i.e. for the worker too.
Also: how long one diagnosis run takes with the UI busy beside it, and how many key
presses really landed while a run was in progress.
Timings are for this machine; CI never fails on them.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ui import SnapshotPipeline, call_datagrams

from vostui.config import Config
from vostui.diagnose import diagnose
from vostui.engine.core import Engine
from vostui.ui.app import VostuiApp
from vostui.ui.diagnosis import COST_SHARE, INTERVAL
from vostui.ui.table import RowTable


def calls_cursor(app: VostuiApp) -> object:
    return app.screen.query_one("#calls-table", RowTable).cursor


# (name, key, what must change on screen). Each key is timed from posting it until the
# first frame drawn after its effect: what the operator waits for.
KEYS: tuple[tuple[str, str, Callable[[VostuiApp], object]], ...] = (
    ("down", "down", calls_cursor),
    ("pagedown", "pagedown", calls_cursor),
    ("enter (call screen)", "enter", lambda app: type(app.screen)),
    ("escape (back)", "escape", lambda app: type(app.screen)),
    ("! (findings screen)", "exclamation_mark", lambda app: type(app.screen)),
    ("escape (back) ", "escape", lambda app: type(app.screen)),
)


def stats(values: list[float]) -> str:
    values = sorted(values)
    if not values:
        return "   -   /    -   /    -  "
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f"{statistics.median(values):6.1f} / {p95:6.1f} / {values[-1]:6.1f}"


async def measure(
    engine: Engine, calls: int, rounds: int, size: tuple[int, int], mode: str
) -> tuple[dict[str, list[float]], dict[str, list[float]], list[float], int, int]:
    pipeline = SnapshotPipeline(engine.snapshot())
    app = VostuiApp(
        Config(refresh=3600.0),  # the bench drives refreshes itself
        pipeline,  # type: ignore[arg-type]
        deterministic=True,
        diagnosis="thread" if mode == "throttled" else mode,  # type: ignore[arg-type]
    )
    timings: dict[str, list[float]] = {}
    ui_cpu: dict[str, list[float]] = {}  # CPU of the UI thread alone (not the worker's)
    runs: list[float] = []
    landed = pressed = 0
    next_call = calls
    frames: list[float] = []
    display = app._display

    def timed_display(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        frames.append(time.perf_counter())

    app._display = timed_display  # type: ignore[method-assign]
    async with app.run_test(size=size) as pilot:
        diagnosis = app.diagnosis
        if mode == "thread":  # a run on every new version, back to back: the worst case
            diagnosis.interval = 0.0
            diagnosis.cost_share = 0.0
        await app.workers.wait_for_complete()
        await pilot.pause()
        for _ in range(rounds):
            for name, key, look in KEYS:
                # both modes: 20 new calls, a new snapshot and its refresh, then the key;
                # with diagnosis on, the pull starts a run when none is in progress
                for _n in range(20):
                    for dg in call_datagrams(next_call):
                        engine.feed(dg)
                    next_call += 1
                pipeline.current = engine.snapshot()
                app.pull()
                await asyncio.sleep(0.05)  # not pilot.pause(): it waits for the worker too
                running = diagnosis.running
                before = look(app)
                frames.clear()
                started, cpu = time.perf_counter(), time.thread_time()
                app.simulate_key(key)
                changed = None
                while time.perf_counter() - started < 10:
                    await asyncio.sleep(0.001)
                    if changed is None and look(app) != before:
                        changed = time.perf_counter()
                    if changed is not None and frames and frames[-1] >= changed:
                        break
                drawn = frames[-1] if frames else time.perf_counter()
                timings.setdefault(name.strip(), []).append((drawn - started) * 1000)
                ui_cpu.setdefault(name.strip(), []).append((time.thread_time() - cpu) * 1000)
                pressed += 1
                landed += running
            if diagnosis.result is not None:
                runs.append(diagnosis.result.seconds * 1000)
        await app.workers.wait_for_complete()
    return timings, ui_cpu, runs, landed, pressed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--size", default="160x48")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    engine = Engine(Config(max_dialogs=max(50_000, args.calls * 2 + args.rounds * 400)))
    started = time.perf_counter()
    for i in range(args.calls):
        for dg in call_datagrams(i):
            engine.feed(dg)
    print(f"fed {args.calls} calls in {time.perf_counter() - started:.1f} s")
    gc.freeze()  # as the pipeline does every 20k messages: no full collection walks them
    snap = engine.snapshot()
    started = time.perf_counter()
    findings = diagnose(snap)
    alone = (time.perf_counter() - started) * 1000
    print(f"diagnose() alone on {len(snap.calls)} calls: {alone:.0f} ms, {len(findings)} findings")
    print(f"screen {width}x{height}; key wall time median / p95 / max in ms")
    results = {}
    for mode in ("off", "thread", "throttled"):
        results[mode] = asyncio.run(measure(engine, args.calls, args.rounds, (width, height), mode))
    off, off_cpu, _runs, _l, _p = results["off"]
    on, on_cpu, runs, landed, pressed = results["thread"]
    print(f"{'wall':<22} {'diagnosis off':>24}   {'diagnosis running':>24}")
    for name in off:
        print(f"{name:<22} {stats(off[name]):>24}   {stats(on[name]):>24}")
    print(f"{'UI thread CPU':<22} {'diagnosis off':>24}   {'diagnosis running':>24}")
    for name in off:
        print(f"{name:<22} {stats(off_cpu[name]):>24}   {stats(on_cpu[name]):>24}")
    every_off = [v for values in off.values() for v in values]
    every_on = [v for values in on.values() for v in values]
    print(f"{'all keys':<22} {stats(every_off):>24}   {stats(every_on):>24}")
    print(f"keys pressed while a run was in progress: {landed} of {pressed}")
    print(f"diagnosis run beside the UI (worker): {stats(runs)} ms over {len(runs)} runs")
    normal, _cpu, _runs, landed, pressed = results["throttled"]
    every = [v for values in normal.values() for v in values]
    print(
        f"with the app's own throttle (every {INTERVAL:.0f} s at most, and {COST_SHARE:.0f}x"
        f" the last run's time): all keys {stats(every)} ms, {landed} of {pressed} keys"
        " landed in a run"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
