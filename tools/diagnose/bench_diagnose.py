#!/usr/bin/env python3
"""How long does `diagnose` take on a snapshot of N calls (the console runs it every
few seconds)?

The snapshot is real engine output: the labelled captures' datagrams replayed round
after round, each round later in time and with its Call-IDs made unique (as the demo
loop does), until the engine holds N calls. So the mix is the captures' mix: clean
calls, failures, missing ACKs, scans, registrations.

Usage: bench_diagnose.py [--calls 20000] [--repeat 5] [DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))

from vostui.config import load  # noqa: E402
from vostui.diagnose import SYMPTOMS, diagnose, run_checklist  # noqa: E402
from vostui.engine.core import Engine  # noqa: E402
from vostui.net.capture import CaptureReader, open_frames  # noqa: E402
from vostui.net.datagram import Datagram  # noqa: E402
from vostui.net.decoder import Decoder  # noqa: E402
from vostui.sip.message import SipParseError  # noqa: E402
from vostui.sip.parser import parse_message  # noqa: E402


def datagrams(directory: Path) -> list[Datagram]:
    labels = json.loads((directory / "labels.json").read_text())
    out: list[Datagram] = []
    start = None
    offset = 0.0
    for entry in labels["captures"]:
        decoder = Decoder()
        items = []
        for frame in open_frames(str(directory / entry["file"]), CaptureReader(entry["file"])):
            items.extend(decoder.decode(frame))
        if not items:
            continue
        first = items[0].ts
        for dg in items:
            out.append(dataclasses.replace(dg, ts=dg.ts - first + offset))
        offset = out[-1].ts + 1.0
        start = start or out[0].ts
    return out


def build(directory: Path, calls: int) -> tuple[Engine, float]:
    config = load(str(directory / "doctor.toml"))
    config = dataclasses.replace(config, max_dialogs=max(config.max_dialogs, calls * 3))
    engine = Engine(config)
    base = datagrams(directory)
    span = base[-1].ts - base[0].ts + 5.0
    parsed = []
    for dg in base:
        try:
            parsed.append((dg, parse_message(dg.payload)))
        except SipParseError:
            continue
    started = time.perf_counter()
    loop = 0
    t0 = 1_800_000_000.0
    while len(engine.calls) < calls:
        for dg, msg in parsed:
            shifted = dataclasses.replace(dg, ts=t0 + dg.ts + loop * span)
            engine.feed_message(shifted, msg.replace(call_id=f"{msg.call_id}~{loop}"))
        loop += 1
    engine.finish()
    return engine, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("directory", nargs="?", default=str(REPO / "tests/fixtures/diagnose"))
    args = parser.parse_args(argv)
    directory = Path(args.directory)
    engine, fed = build(directory, args.calls)
    snap_started = time.perf_counter()
    snap = engine.snapshot()
    snap_time = time.perf_counter() - snap_started
    config = engine.config
    times = []
    findings: tuple = ()
    for _ in range(args.repeat):
        started = time.perf_counter()
        findings = diagnose(snap, config=config)
        times.append(time.perf_counter() - started)
    checklist_times = []
    for symptom in SYMPTOMS:
        started = time.perf_counter()
        run_checklist(symptom.id, snap, config=config, findings=findings)
        checklist_times.append(time.perf_counter() - started)
    print(
        f"snapshot: {len(snap.calls)} calls, {sum(len(c.legs) for c in snap.calls)} legs, "
        f"{len(snap.registrations)} registrations, {len(snap.sources)} sources "
        f"(fed in {fed:.1f} s, snapshot {snap_time * 1000:.0f} ms)"
    )
    print(
        f"diagnose: median {statistics.median(times) * 1000:.0f} ms, "
        f"min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms over {len(times)} runs; "
        f"{len(findings)} findings"
    )
    print(
        f"checklists (with the findings given): {sum(checklist_times) * 1000:.0f} ms for all "
        f"{len(checklist_times)}, slowest {max(checklist_times) * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
