"""Real tcpdump: captures written by it, fragments made by the kernel, LiveCapture end to end.

Traffic goes only to 127.0.0.1 or between two network namespaces the test creates.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from netbuild import REPO

from vostui.net import (
    CaptureReader,
    Decoder,
    LiveCapture,
    LiveCaptureError,
    build_bpf,
    iter_datagrams,
)
from vostui.net.live import classify_failure

pytestmark = pytest.mark.root

PAYLOAD = b"OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\nCall-ID: live@test\r\nContent-Length: 0\r\n\r\n"


def need_tcpdump() -> str:
    path = shutil.which("tcpdump")
    if path is None:
        pytest.skip("tcpdump is not installed")
    return path


def need_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("capturing needs root")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(proc: subprocess.Popen[bytes]) -> None:
    """tcpdump prints 'listening on' once its capture is open."""
    assert proc.stderr is not None
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line or b"listening on" in line:
            return
    raise AssertionError("tcpdump did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    if proc.stderr is not None:
        proc.stderr.close()


def test_tcpdump_file_on_loopback(tmp_path: Path) -> None:
    need_root()
    tcpdump = need_tcpdump()
    port = free_udp_port()
    path = tmp_path / "lo.pcap"
    proc = subprocess.Popen(
        [
            tcpdump,
            "-i",
            "lo",
            "-U",
            "-n",
            "--immediate-mode",
            "-w",
            str(path),
            "udp",
            "port",
            str(port),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_listening(proc)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for i in range(3):
                s.sendto(PAYLOAD + str(i).encode(), ("127.0.0.1", port))
        time.sleep(0.5)  # let the packet buffer reach the file before SIGTERM
    finally:
        stop(proc)
    got = list(iter_datagrams(path))
    assert [d.payload for d in got] == [PAYLOAD + b"0", PAYLOAD + b"1", PAYLOAD + b"2"]
    assert {(d.src, d.dst, d.dport, d.transport) for d in got} == {
        ("127.0.0.1", "127.0.0.1", port, "udp")
    }


@pytest.fixture
def namespaces() -> Iterator[tuple[str, str]]:
    """Two namespaces joined by a veth pair with MTU 1280, IPv4 and IPv6 addresses."""
    need_root()
    if shutil.which("ip") is None:
        pytest.skip("iproute2 (ip) is not installed")
    a, b = f"vnt{os.getpid()}a", f"vnt{os.getpid()}b"
    steps = [
        ["ip", "netns", "add", a],
        ["ip", "netns", "add", b],
        [
            "ip",
            "-n",
            a,
            "link",
            "add",
            "va",
            "mtu",
            "1280",
            "type",
            "veth",
            "peer",
            "vb",
            "netns",
            b,
        ],
        ["ip", "-n", b, "link", "set", "vb", "mtu", "1280"],
        ["ip", "-n", a, "addr", "add", "10.201.0.1/30", "dev", "va"],
        ["ip", "-n", b, "addr", "add", "10.201.0.2/30", "dev", "vb"],
        ["ip", "-n", a, "addr", "add", "fd00:201::1/64", "dev", "va", "nodad"],
        ["ip", "-n", b, "addr", "add", "fd00:201::2/64", "dev", "vb", "nodad"],
        ["ip", "-n", a, "link", "set", "va", "up"],
        ["ip", "-n", b, "link", "set", "vb", "up"],
    ]
    try:
        for step in steps:
            result = subprocess.run(step, capture_output=True, text=True, timeout=20)
            if result.returncode:
                pytest.skip(f"cannot build the test namespaces: {' '.join(step)}: {result.stderr}")
        # fixed neighbour entries: no ARP or neighbour discovery delays the first packets
        link = subprocess.run(
            ["ip", "-n", b, "-j", "link", "show", "vb"], capture_output=True, text=True, timeout=20
        )
        mac = json.loads(link.stdout)[0]["address"]
        for addr in ("10.201.0.2", "fd00:201::2"):
            subprocess.run(
                [
                    "ip",
                    "-n",
                    a,
                    "neigh",
                    "replace",
                    addr,
                    "lladdr",
                    mac,
                    "dev",
                    "va",
                    "nud",
                    "permanent",
                ],
                check=True,
                timeout=20,
            )
        yield a, b
    finally:
        for ns in (a, b):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)


SENDER = """
import socket, sys
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
data = b"INVITE sip:big@x SIP/2.0\\r\\nContent-Length: 3900\\r\\n\\r\\n" + b"v" * 3900
assert len(data) == 3950
for _ in range(2):
    s.sendto(data, (sys.argv[1], 5060))
"""


def test_kernel_fragments_captured_by_tcpdump_are_reassembled(
    namespaces: tuple[str, str], tmp_path: Path
) -> None:
    tcpdump = need_tcpdump()
    a, _ = namespaces
    path = tmp_path / "frag.pcap"
    proc = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            a,
            tcpdump,
            "-i",
            "va",
            "-U",
            "-n",
            "--immediate-mode",
            "-w",
            str(path),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_listening(proc)
        for dst in ("10.201.0.2", "fd00:201::2"):
            subprocess.run(
                ["ip", "netns", "exec", a, sys.executable, "-c", SENDER, dst],
                check=True,
                timeout=20,
                capture_output=True,
            )
        time.sleep(0.5)
    finally:
        stop(proc)
    decoder = Decoder()
    big = [d for d in iter_datagrams(path, decoder) if d.dport == 5060 and len(d.payload) > 99]
    assert len(big) == 4, decoder.stats
    assert all(len(d.payload) == 3950 and d.payload.endswith(b"v" * 3900) for d in big)
    assert {d.dst for d in big} == {"10.201.0.2", "fd00:201::2"}
    assert decoder.stats.fragments >= 12 and decoder.stats.reassembled == 4
    assert not decoder.stats.malformed


def run_live_until(live: LiveCapture, decoder: Decoder, want: bytes, port: int) -> list:
    """Send to 127.0.0.1:port until the capture sees it (bounded), then stop the capture."""
    sending = threading.Event()
    found: list = []

    def send() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _ in range(100):  # at most 20 s
                if sending.is_set():
                    return
                if live.started.is_set():
                    s.sendto(want, ("127.0.0.1", port))
                time.sleep(0.2)
        live.stop()  # safety net: never hang the suite

    sender = threading.Thread(target=send)
    sender.start()
    try:
        for d in live.datagrams(decoder):
            if d.payload == want and d.dport == port:
                found.append(d)
                break
    finally:
        sending.set()
        live.stop()
        sender.join()
    return found


def test_live_capture_on_loopback_receives_and_stops() -> None:
    need_root()
    need_tcpdump()
    port = free_udp_port()
    live = LiveCapture("lo", f"udp port {port}")
    decoder = Decoder()
    found = run_live_until(live, decoder, PAYLOAD, port)
    assert found and found[0].src == "127.0.0.1" and found[0].transport == "udp"
    pid = live.pid
    assert pid is not None and live.returncode is not None  # ours, ended and reaped
    assert (
        not Path(f"/proc/{pid}").exists()
        or b"tcpdump" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    )
    assert live.kernel_drops is not None  # tcpdump's exit report was read
    assert "captured" in live.counts
    assert live.error == ""


def test_live_capture_stop_from_another_thread_while_idle() -> None:
    need_root()
    need_tcpdump()
    port = free_udp_port()
    live = LiveCapture("lo", f"udp port {port}", poll_interval=0.1)
    frames: list = []
    reader = threading.Thread(target=lambda: frames.extend(live.frames()))
    reader.start()
    assert live.started.wait(15)
    live.stop()
    reader.join(timeout=15)
    assert not reader.is_alive() and frames == []
    assert live.returncode is not None


def test_stop_event_ends_reading() -> None:
    need_root()
    need_tcpdump()
    stop_event = threading.Event()
    live = LiveCapture("lo", "udp port 9", stop_event=stop_event)
    timer = threading.Timer(1.0, stop_event.set)
    timer.start()
    try:
        assert list(live.frames()) == []
    finally:
        timer.cancel()
        live.stop()
    assert live.returncode is not None


def test_no_such_interface() -> None:
    need_root()
    need_tcpdump()
    live = LiveCapture("nosuch0")
    with pytest.raises(LiveCaptureError) as err:
        list(live.frames())
    assert "no such interface: nosuch0" in str(err.value)
    assert "ip -br link" in err.value.fix
    assert live.error and live.returncode is not None


def test_bad_filter() -> None:
    need_root()
    need_tcpdump()
    with pytest.raises(LiveCaptureError, match="rejected the capture filter"):
        list(LiveCapture("lo", "udp port banana").frames())


def test_tcpdump_missing() -> None:
    live = LiveCapture("lo", tcpdump="/nonexistent/tcpdump")
    with pytest.raises(LiveCaptureError) as err:
        list(live.frames())
    assert err.value.fix == "install tcpdump: dnf install tcpdump / apt install tcpdump"


NOBODY = ("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups")


def test_not_root_says_how_to_fix() -> None:
    need_root()
    need_tcpdump()
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is not installed")
    script = (
        "from vostui.net import LiveCapture, LiveCaptureError\n"
        "try:\n    list(LiveCapture('lo').frames())\n"
        "except LiveCaptureError as e:\n    print(e); print(e.fix)\n"
    )
    result = subprocess.run(
        [
            "setpriv",
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            sys.executable,
            "-c",
            script,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        cwd="/",
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdin=subprocess.DEVNULL,
    )
    assert "may not capture on lo" in result.stdout, result.stdout + result.stderr
    assert "run vostui as root" in result.stdout


def test_classify_failure_messages() -> None:
    perm = classify_failure(["tcpdump: eth0: You don't have permission to capture"], "eth0", 1)
    assert "may not capture" in str(perm) and "setcap" in perm.fix
    other = classify_failure(["something odd"], "eth0", 2)
    assert "status 2" in str(other) and "something odd" in str(other)


def test_build_bpf_lets_fragments_through() -> None:
    assert build_bpf([5060, 5080, 5060]) == (
        "udp port 5060 or udp port 5080 or tcp port 5060 or tcp port 5080"
        " or (ip[6:2] & 0x1fff) != 0 or (ip6 and ip6[6] = 44)"
    )
    with pytest.raises(ValueError):
        build_bpf([0])
    assert build_bpf([5060], fragments=False, vlan=True) == (
        "udp port 5060 or tcp port 5060 or (vlan and (udp port 5060 or tcp port 5060))"
    )


@pytest.mark.parametrize("vlan", [False, True])
def test_build_bpf_compiles_in_tcpdump(vlan: bool) -> None:
    tcpdump = need_tcpdump()
    need_root()
    result = subprocess.run(
        [tcpdump, "-i", "lo", "-d", build_bpf([5060, 5061], vlan=vlan)],
        capture_output=True,
        text=True,
        timeout=20,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert "ret" in result.stdout


def test_live_reader_state_is_exposed() -> None:
    live = LiveCapture("lo", "udp")
    assert isinstance(live.reader, CaptureReader)
    assert live.command[-1] == "udp" and "-U" in live.command and "-w" in live.command


# -- kernel drops while tcpdump runs (SIGUSR1) ------------------------------------------


@pytest.fixture
def loopback_namespace() -> Iterator[str]:
    """A network namespace of our own with its loopback up: traffic stays inside it."""
    need_root()
    if shutil.which("ip") is None:
        pytest.skip("iproute2 (ip) is not installed")
    ns = f"vdr{os.getpid()}"
    try:
        for step in (["ip", "netns", "add", ns], ["ip", "-n", ns, "link", "set", "lo", "up"]):
            result = subprocess.run(step, capture_output=True, text=True, timeout=20)
            if result.returncode:
                pytest.skip(f"cannot build the test namespace: {' '.join(step)}: {result.stderr}")
        yield ns
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)


BURST = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for n in range(int(sys.argv[2])):
    s.sendto(b"OPTIONS sip:x@127.0.0.1 SIP/2.0\\r\\nCall-ID: d%d\\r\\n\\r\\n" % n,
             ("127.0.0.1", int(sys.argv[1])))
"""


def test_kernel_drops_known_while_tcpdump_runs(loopback_namespace: str, tmp_path: Path) -> None:
    """A real tcpdump (inside our namespace: `ip netns exec` execs it, same PID) answers
    SIGUSR1 with its counts: the drops are a number while it runs, and it keeps running."""
    tcpdump = need_tcpdump()
    ns = loopback_namespace
    wrapper = tmp_path / "tcpdump-in-ns"
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {ns} {tcpdump} "$@"\n')
    wrapper.chmod(0o755)
    port = 5999
    live = LiveCapture(
        "lo", f"udp port {port}", tcpdump=str(wrapper), poll_interval=0.1, stats_interval=0.3
    )
    frames: list = []
    reader = threading.Thread(target=lambda: frames.extend(live.frames()))
    reader.start()
    try:
        assert live.started.wait(15), list(live.stderr)
        subprocess.run(
            ["ip", "netns", "exec", ns, sys.executable, "-c", BURST, str(port), "50"],
            check=True,
            timeout=20,
            capture_output=True,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and live.counts.get("captured", 0) < 50:
            time.sleep(0.1)
        # known while running: tcpdump answered the signal and is still there
        assert live.counts.get("captured", 0) >= 50, (live.counts, list(live.stderr))
        assert live.kernel_drops == 0
        assert live.returncode is None and live.stats_requests >= 1
        pid = live.pid
        assert pid is not None and b"tcpdump" in Path(f"/proc/{pid}/cmdline").read_bytes()
        assert live.drops_grew_at is None
        assert not any("packets" in line for line in live.stderr)  # counts are not last words
    finally:
        live.stop()
        reader.join(timeout=15)
    assert not reader.is_alive() and len(frames) >= 50
    assert live.returncode is not None and live.kernel_drops == 0  # its exit report too


FLOOD = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for n in range(int(sys.argv[2])):
    s.sendto(b"x" * 200, ("127.0.0.1", int(sys.argv[1])))
"""


def test_kernel_drops_grow_while_tcpdump_runs(loopback_namespace: str, tmp_path: Path) -> None:
    """A flood into a small buffer (-B) while the reader is slow: the kernel drops, and
    the count is known and growing while tcpdump still runs; the finding says so."""
    from vostui.config import Config
    from vostui.diagnose import diagnose
    from vostui.engine.core import Engine

    tcpdump = need_tcpdump()
    ns = loopback_namespace
    wrapper = tmp_path / "tcpdump-in-ns"
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {ns} {tcpdump} "$@"\n')
    wrapper.chmod(0o755)
    live = LiveCapture(
        "lo", "udp port 5998", tcpdump=str(wrapper), buffer_kib=1, stats_interval=0.3
    )

    def slow_reader() -> None:
        for n, _frame in enumerate(live.frames()):
            if n < 2000:
                time.sleep(0.002)  # the pipe fills, tcpdump waits, the kernel's ring overflows

    reader = threading.Thread(target=slow_reader)
    reader.start()
    try:
        assert live.started.wait(15), list(live.stderr)
        subprocess.run(
            ["ip", "netns", "exec", ns, sys.executable, "-c", FLOOD, "5998", "100000"],
            check=True,
            timeout=60,
            capture_output=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not live.kernel_drops:
            time.sleep(0.1)
        drops = live.kernel_drops
        assert drops, live.counts
        assert live.returncode is None and live.drops_grew_at is not None
        engine = Engine(Config())
        engine.expire(time.time())
        engine.set_kernel_drops(drops, live.drops_grew_at)
        (finding,) = [f for f in diagnose(engine.snapshot()) if f.rule == "capture.kernel_drops"]
        assert finding.severity == "warning" and f"{drops:,}" in finding.title
    finally:
        live.stop()
        reader.join(timeout=20)
    assert not reader.is_alive()


STAND_IN = """#!/bin/sh
echo "tcpdump: listening on lo, link-type EN10MB (Ethernet)" >&2
exec sleep 30
"""


def test_no_stats_signal_to_a_process_without_the_handler(tmp_path: Path) -> None:
    """SIGUSR1 would end a process that does not catch it: a stand-in that says
    "listening on" but has no handler is never signalled, and its drops stay unknown."""
    stand_in = tmp_path / "tcpdump"
    stand_in.write_text(STAND_IN)
    stand_in.chmod(0o755)
    live = LiveCapture("lo", tcpdump=str(stand_in), poll_interval=0.05, stats_interval=0.05)
    reader = threading.Thread(target=lambda: list(live.frames()))
    reader.start()
    try:
        assert live.started.wait(15)
        time.sleep(0.5)  # ten stats periods
        assert live.returncode is None and live.stats_requests == 0
        assert live.request_stats() is False
        assert live.kernel_drops is None
    finally:
        live.stop()
        reader.join(timeout=15)
    assert not reader.is_alive() and live.returncode == -15  # ended by our SIGTERM


def test_no_stats_signal_before_listening_or_after_stop() -> None:
    live = LiveCapture("lo", tcpdump="/bin/true")
    assert live.request_stats() is False  # not started
    live.stop()
    assert live.request_stats() is False


def test_counts_lines_on_signal_and_at_exit() -> None:
    live = LiveCapture("lo")
    live._take_counts(
        "tcpdump: 10 packets captured, 12 packets received by filter, 0 packets dropped by kernel"
    )
    assert live.counts == {"captured": 10, "received by filter": 12, "dropped by kernel": 0}
    assert live.kernel_drops == 0 and live.drops_grew_at is None
    live._take_counts(
        "tcpdump: 90 packets captured, 200 packets received by filter, "
        "110 packets dropped by kernel, 3 packets dropped by interface"
    )
    assert live.kernel_drops == 110 and live.counts["dropped by interface"] == 3
    grew = live.drops_grew_at
    assert grew is not None
    live._take_counts("110 packets dropped by kernel")  # the exit report: one a line
    assert live.drops_grew_at == grew  # did not grow
