"""How many log lines per second the log follower sustains (the pane's cost is measured
separately, with the UI).

    python bench/bench_logs.py [--lines 200000] [--seconds 5] [--rates 10000 20000 40000]

Figures (parse, raw tail and catch-up are the best of `--runs`):

- parse: `LineParser.parse` alone on three kinds of line (a VOS3000-style line with a
  Call-ID, numbers and IPs; an sshd failure from /var/log/secure; a kernel iptables LOG
  line), in lines per second of one core;
- raw tail: `FileTail.poll` reading and splitting a file of `--lines` mixed lines
  without parsing them: the ceiling set by reading;
- catch-up: `LogFollower.poll_once` from the start of that file to its end: read,
  split, clean, parse, buffer;
- steady: a writer in another process appends `--rates` lines per second for
  `--seconds` while the follower's own thread follows (default interval 0.25 s): lines
  read per second, how long after the writer stopped everything was read, and the
  follower thread's CPU time (psutil, per thread) as a share of one core;
- flat out: the same with the writer as fast as it can go: beyond what the follower
  parses it falls behind, and past `max_backlog` it skips ahead (counted, in MB).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vostui.host.logs import LineParser, LogFollower
from vostui.host.logs.tail import FileTail

KINDS = {
    "vos3000": (
        "2026-11-26 17:45:01.{n:03d} [INFO] INVITE Call-ID: {n}a7f-3c@192.0.2.10 "
        "caller=00441234{n:05d} callee=sip:8801{n:07d}@203.0.113.5 from 198.51.100.7:5060"
    ),
    "sshd": (
        "Nov 26 17:45:01 vos sshd[{n}]: Failed password for invalid user admin from "
        "203.0.113.{m} port {n} ssh2"
    ),
    "kernel": (
        "Nov 26 17:45:01 vos kernel: [12345.678901] SIP-RATE-LIMIT: IN=eth0 OUT= "
        "MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=203.0.113.{m} DST=10.0.0.5 LEN=442 "
        "TOS=0x00 PREC=0x00 TTL=52 ID=0 DF PROTO=UDP SPT={n} DPT=5060 LEN=422"
    ),
}

# A child that appends lines as fast as it can (or at --rate), then exits.
WRITER = """
import sys, time
path, seconds, rate = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
kinds = sys.argv[4:]
end = time.monotonic() + seconds
n = 0
batch = 100
with open(path, "a", encoding="utf-8") as out:
    start = time.monotonic()
    while time.monotonic() < end:
        out.write("".join(kinds[(n + i) % len(kinds)].format(n=(n + i) % 100000, m=(n + i) % 250)
                          + "\\n" for i in range(batch)))
        out.flush()
        n += batch
        if rate:
            ahead = n / rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
print(n)
"""


def line(kind: str, n: int) -> str:
    return KINDS[kind].format(n=n % 100000, m=n % 250)


def best(runs: int, measure) -> float:
    return max(measure() for _ in range(runs))


def bench_parse(runs: int, count: int = 50_000) -> dict[str, float]:
    result = {}
    for kind in KINDS:
        raws = [line(kind, n).encode() for n in range(count)]

        def measure(raws: list[bytes] = raws) -> float:
            parser = LineParser()
            start = time.perf_counter()
            for seq, raw in enumerate(raws):
                parser.parse(raw, "/var/log/x", seq, 0.0)
            return count / (time.perf_counter() - start)

        result[kind] = best(runs, measure)
    return result


def write_file(path: Path, count: int) -> int:
    kinds = list(KINDS)
    with open(path, "w", encoding="utf-8") as out:
        for n in range(count):
            out.write(line(kinds[n % len(kinds)], n) + "\n")
    return path.stat().st_size


def bench_raw_tail(path: Path, count: int, runs: int) -> float:
    def measure() -> float:
        # No skipping ahead here: the point is to read every byte.
        tail = FileTail(str(path), start_at_end=False, max_backlog=1 << 40)
        got = 0
        start = time.perf_counter()
        while True:
            lines, more = tail.poll(time.time())
            got += len(lines)
            if not more:
                break
        elapsed = time.perf_counter() - start
        tail.close()
        assert got == count, got
        return count / elapsed

    return best(runs, measure)


def bench_catch_up(path: Path, count: int, runs: int) -> float:
    def measure() -> float:
        # Follow a name that is missing, then give it the file: a file that appears is
        # read from its start (an existing one would show only its last lines).
        target = path.with_suffix(".followed")
        follower = LogFollower([str(target)], capacity=50_000, max_backlog=1 << 40)
        follower.poll_once()
        os.link(path, target)
        start = time.perf_counter()
        while follower.poll_once():
            pass
        elapsed = time.perf_counter() - start
        assert follower.snapshot().total == count
        follower.stop()
        target.unlink()
        return count / elapsed

    return best(runs, measure)


def run_writer(path: Path, seconds: float, rate: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(seconds), str(rate), *KINDS.values()],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def follower_cpu(follower: LogFollower) -> float:
    thread = follower._thread
    assert thread is not None and thread.native_id is not None
    for info in psutil.Process().threads():
        if info.id == thread.native_id:
            return info.user_time + info.system_time
    return 0.0


def bench_live(directory: Path, seconds: float, rate: int) -> dict[str, float]:
    """A writer process appends for `seconds` (at `rate` lines/s, 0: flat out) while the
    follower's thread follows; measured until it has read all it will read."""
    path = directory / f"live-{rate}.log"
    path.touch()
    follower = LogFollower([str(path)], capacity=50_000)
    follower.start()
    while follower.polls < 1:
        time.sleep(0.01)
    cpu_before = follower_cpu(follower)
    start = time.monotonic()
    writer = run_writer(path, seconds, rate)
    written_text, _ = writer.communicate(timeout=seconds + 60)
    written = int(written_text)
    wrote_until = time.monotonic()
    # Done when everything is read, or when what was not read was skipped.
    deadline = wrote_until + 120
    size = path.stat().st_size
    while time.monotonic() < deadline:
        snapshot = follower.snapshot()
        status = snapshot.files[0]
        if snapshot.total >= written:
            break
        if status.skipped_bytes and status.bytes + status.skipped_bytes >= size:
            break
        time.sleep(0.005)
    done = time.monotonic()
    cpu = follower_cpu(follower) - cpu_before
    snapshot = follower.snapshot()
    follower.stop()
    path.unlink()
    return {
        "written": written,
        "read": snapshot.total,
        "skipped_mb": snapshot.files[0].skipped_bytes / 1e6,
        "write_rate": written / (wrote_until - start),
        "read_rate": snapshot.total / (done - start),
        "lag": done - wrote_until,
        "cpu_share": cpu / (done - start),
    }


def report_live(label: str, figures: dict[str, float]) -> None:
    print(
        f"{label:<15} {figures['read_rate']:>10,.0f} lines/s read; writer "
        f"{figures['write_rate']:,.0f}/s; {figures['read']:,.0f} of {figures['written']:,.0f} "
        f"lines read, {figures['skipped_mb']:.0f} MB skipped; all read "
        f"{figures['lag']:.2f} s after the writer stopped; follower thread "
        f"{figures['cpu_share']:.0%} of a core"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rates", type=int, nargs="+", default=[10_000, 20_000, 40_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    print(
        f"# {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    )
    for kind, rate in bench_parse(args.runs).items():
        print(f"parse {kind:<9} {rate:>10,.0f} lines/s")
    with tempfile.TemporaryDirectory(prefix="vostui-bench-logs-") as tmp:
        directory = Path(tmp)
        path = directory / "catchup.log"
        size = write_file(path, args.lines)
        raw = bench_raw_tail(path, args.lines, args.runs)
        print(f"raw tail        {raw:>10,.0f} lines/s  ({raw * size / args.lines / 1e6:.0f} MB/s)")
        catch_up = bench_catch_up(path, args.lines, args.runs)
        print(
            f"catch-up        {catch_up:>10,.0f} lines/s  ({args.lines:,} lines, "
            f"{size / 1e6:.1f} MB)"
        )
        for rate in args.rates:
            report_live(f"steady {rate:,}/s", bench_live(directory, args.seconds, rate))
        report_live("flat out", bench_live(directory, args.seconds, 0))


if __name__ == "__main__":
    main()
