"""Per-message CPU of each stage of `vostui analyze`, on both per-message paths.

    python bench/bench_stages.py CAPTURE [--runs 3]

Each path runs in its own process (VOSTUI_PURE_PYTHON=1 for pure Python), the runs
alternating. In a process, with the garbage collector off: reading the pcap records
into frames, decoding the frames into datagrams, parsing the SIP messages, and the
engine filing them (with the fields it reads parsed on first read: From/To, SDP,
scanner signatures, ...). Process CPU time per SIP message, best of the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

STAGES = ("read", "decode", "parse", "engine")


def one_run(path: str) -> dict[str, float]:
    import gc
    import time

    from vostui import speedups
    from vostui.engine.core import Engine
    from vostui.net.capture import open_frames
    from vostui.net.decoder import Decoder
    from vostui.sip.parser import parse_message

    gc.disable()
    t0 = time.process_time()
    frames = list(open_frames(path))
    t1 = time.process_time()
    decode = Decoder().decode
    datagrams = [dg for frame in frames for dg in decode(frame)]
    t2 = time.process_time()
    messages = [parse_message(dg.payload) for dg in datagrams]
    t3 = time.process_time()
    feed = Engine().feed_message
    for dg, msg in zip(datagrams, messages, strict=True):
        feed(dg, msg)
    t4 = time.process_time()
    n = len(messages)
    return {
        "path": speedups.path_name(),  # type: ignore[dict-item]
        "messages": n,
        "read": (t1 - t0) / n * 1e6,
        "decode": (t2 - t1) / n * 1e6,
        "parse": (t3 - t2) / n * 1e6,
        "engine": (t4 - t3) / n * 1e6,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("capture")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        json.dump(one_run(args.capture), sys.stdout)
        return 0
    root = str(Path(__file__).resolve().parents[1])
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.runs):
        for pure in ("", "1"):
            env = {**os.environ, "VOSTUI_PURE_PYTHON": pure}
            env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
            out = subprocess.run(
                [sys.executable, __file__, "--child", args.capture],
                capture_output=True,
                text=True,
                check=True,
                env=env,
            )
            run = json.loads(out.stdout)
            name = str(run["path"])
            seen = best.setdefault(name, run)
            for stage in STAGES:
                seen[stage] = min(seen[stage], run[stage])
    print(f"capture: {Path(args.capture).name}, {next(iter(best.values()))['messages']:.0f} SIP")
    print()
    print("| stage, CPU us per SIP message | " + " | ".join(best) + " | ratio |")
    print("|---|" + "---:|" * (len(best) + 1))
    compiled = best.get("compiled path")
    pure = best.get("pure Python")
    for stage in (*STAGES, "total"):
        values = {
            name: sum(run[s] for s in STAGES) if stage == "total" else run[stage]
            for name, run in best.items()
        }
        ratio = ""
        if compiled and pure:
            ratio = f"{values['pure Python'] / values['compiled path']:.1f}x"
        print(f"| {stage} | " + " | ".join(f"{v:.2f}" for v in values.values()) + f" | {ratio} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
