"""Throughput and peak memory of `vostui analyze` against tshark and sngrep, same run.

    python bench/bench_analyze.py [--calls 30000] [--rate 800] [--capture F] [--runs 3]
                                  [--skip tshark]

Without --capture it first makes one: a SIPp UAS on 127.0.0.1:5098 and a SIPp UAC
placing `--calls` calls at `--rate` per second (each call is 6 SIP messages: INVITE,
180, 200, ACK, BYE, 200; SIPp's UAS scenario sends no 100), captured by tcpdump on
lo. Both SIPp runs are bounded by their call count and a timeout; tcpdump is stopped
by its PID. Then each tool
reads the capture `--runs` times; the best wall time, its CPU time and the peak RSS
are reported, with vostui's figures as ratios against each baseline.

vostui runs twice: on the compiled path and in pure Python (VOSTUI_PURE_PYTHON=1), the
runs of every tool alternating round by round so that they meet the same load.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
PORT = 5098


def make_capture(path: Path, calls: int, rate: int) -> None:
    for tool in ("sipp", "tcpdump"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed")
    path.parent.mkdir(parents=True, exist_ok=True)
    budget = calls / rate + 60
    dump = subprocess.Popen(
        ["tcpdump", "-i", "lo", "-U", "-s", "0", "-w", str(path), f"udp port {PORT}"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    uas = subprocess.Popen(
        ["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(PORT), "-nostdin"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.0)
        subprocess.run(
            [
                "sipp",
                "-sn",
                "uac",
                "-i",
                "127.0.0.1",
                "-p",
                "5099",
                f"127.0.0.1:{PORT}",
                "-r",
                str(rate),
                "-m",
                str(calls),
                "-l",
                str(rate * 2),
                "-nostdin",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=budget,
            check=False,
        )
        time.sleep(2.0)
    finally:
        for proc in (uas, dump):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()


def run_once(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, float]:
    """Wall time (s), peak RSS (KiB) and CPU time (user + system, s) of one run. (The
    CPU time shows what the wall time would be if the work were spread over more cores:
    none of the tools does that.)"""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(f"{cmd[0]} failed with status {status}")
    return elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def measure(
    tools: dict[str, tuple[list[str], dict[str, str]]], runs: int
) -> dict[str, tuple[float, int, float]]:
    """Best wall time, peak RSS and the CPU time of the best run of each tool, over
    `runs` rounds in which every tool runs once (alternating, so that a load that comes
    and goes meets them all)."""
    best: dict[str, tuple[float, int, float]] = {}
    for _ in range(runs):
        for name, (cmd, env) in tools.items():
            wall, rss, cpu = run_once(cmd, env)
            old = best.get(name)
            peak = max(rss, old[1]) if old else rss
            if old is None or wall < old[0]:
                best[name] = (wall, peak, cpu)
            else:
                best[name] = (old[0], peak, old[2])
    return best


def count_sip(path: Path) -> int:
    """SIP messages in the capture: every frame, since the capture filter kept SIP only.

    (Counting with tshark -Y sip takes longer than the measurement itself.)
    """
    out = subprocess.run(
        ["capinfos", "-c", "-M", str(path)], capture_output=True, text=True, check=True
    ).stdout
    for line in out.splitlines():
        if "Number of packets" in line:
            return int(line.split(":", 1)[1].strip())
    raise SystemExit(f"capinfos gave no packet count for {path}")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def version(cmd: list[str]) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else "?"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=30000)
    parser.add_argument("--rate", type=int, default=800)
    parser.add_argument("--capture", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--skip", action="append", default=[], help="leave a tool out (tshark, sngrep)"
    )
    args = parser.parse_args()
    capture = args.capture or OUT / f"load_{args.calls}.pcap"
    if not capture.exists():
        print(
            f"making {capture} with SIPp ({args.calls} calls at {args.rate}/s)...", file=sys.stderr
        )
        make_capture(capture, args.calls, args.rate)
    messages = count_sip(capture)
    size = capture.stat().st_size
    print(f"capture: {capture.name}, {size / 2**20:.1f} MiB, {messages} SIP messages")
    print(f"machine: {machine()}")
    vostui = [sys.executable, "-m", "vostui", "analyze", "--json", "--quiet", str(capture)]
    commands = {
        "vostui analyze": vostui,
        "vostui analyze, pure Python": vostui,
        "tshark -Y sip -T fields": [
            "tshark",
            "-n",
            "-r",
            str(capture),
            "-Y",
            "sip",
            "-T",
            "fields",
            "-e",
            "sip.Call-ID",
        ],
        "sngrep -N -I": ["sngrep", "-N", "-q", "-l", "1000000", "-I", str(capture)],
    }
    envs = {
        "vostui analyze": {"VOSTUI_PURE_PYTHON": ""},
        "vostui analyze, pure Python": {"VOSTUI_PURE_PYTHON": "1"},
    }
    tools: dict[str, tuple[list[str], dict[str, str]]] = {}
    for name, cmd in commands.items():
        if any(name.startswith(skip) for skip in args.skip):
            continue
        if shutil.which(cmd[0]) is None:
            print(f"{name}: not installed, skipped")
            continue
        tools[name] = (cmd, envs.get(name, {}))
    path = subprocess.run(
        [*vostui[:3], "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(f"vostui: {path}")
    results = measure(tools, args.runs)
    print(f"versions: {version(['tshark', '--version'])}; {version(['sngrep', '-V'])}")
    print()
    print("| tool | best wall s | SIP msg/s | CPU s | CPU us/msg | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (wall, rss, cpu) in results.items():
        print(
            f"| {name} | {wall:.2f} | {messages / wall:,.0f} | {cpu:.2f} "
            f"| {cpu / messages * 1e6:.1f} | {rss / 1024:.0f} |"
        )
    ours = results.get("vostui analyze")
    if ours:
        print()
        for name, (wall, rss, _) in results.items():
            if name == "vostui analyze":
                continue
            print(
                f"vostui vs {name}: {wall / ours[0]:.2f}x the speed, "
                f"{ours[1] / rss:.2f}x the memory"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
