"""Live capture: tcpdump writing pcap to a pipe, read incrementally.

`LiveCapture` runs `tcpdump -i IFACE -U -w - -s 0 FILTER` as a child process
(stdin from /dev/null, stderr to a pipe read by a thread: a child writing on the
terminal would garble the screen). Frames are read with `select` and a short timeout,
so `stop()` or the stop event ends the reading within `poll_interval`. `stop()`
terminates only its own tcpdump, by PID, kills it if it does not exit in time, and
joins the stderr thread.

subprocess rather than `sh`: we need the raw stdout file descriptor for `select`
and `os.read`, binary data, and exact control of the one process we started.

Kernel drop counts: tcpdump reports them ("N packets dropped by kernel") when it exits,
and on Linux also when it gets SIGUSR1 (one line: "tcpdump: N packets captured, N packets
received by filter, N packets dropped by kernel"), without exiting. While frames are read,
`request_stats()` sends SIGUSR1 every `stats_interval` seconds, so `counts` and
`kernel_drops` are known while tcpdump runs. SIGUSR1's default action ends a process: it
goes only to our own child, by PID (a pidfd where the kernel has them, so never to a
process that took over the PID), only after tcpdump said "listening on", and only while
/proc says the process catches SIGUSR1 (a tcpdump without the handler, or a stand-in, is
never signalled: its drops stay unknown until it exits).
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator

from vostui import children
from vostui.net.capture import CaptureError, CaptureReader, Frame
from vostui.net.datagram import Datagram
from vostui.net.decoder import Decoder

INSTALL_FIX = "install tcpdump: dnf install tcpdump / apt install tcpdump"
_COUNT = r"(\d+) packets? (captured|received by filter|dropped by kernel|dropped by interface)"
# "N packets dropped by kernel" (at exit, one count a line), or, on SIGUSR1, all counts on
# one line after the program's name: "tcpdump: N packets captured, N packets received ..."
_COUNT_LINE = re.compile(r"^(?:[\w./-]+: )?" + _COUNT)
_COUNTS = re.compile(_COUNT)
STATS_SIGNAL = signal.SIGUSR1
STATS_EVERY = 3.0  # seconds between two requests for tcpdump's counts


def catches(pid: int, sig: int) -> bool:
    """Whether process `pid` has a handler for `sig` (SigCgt in /proc/PID/status)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) >> (sig - 1) & 1)
    except (OSError, ValueError, IndexError):
        return False
    return False


def _open_pidfd(pid: int) -> int | None:
    """A pidfd for our child (Linux 5.3+), or None: then signals go by PID."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None or not hasattr(signal, "pidfd_send_signal"):
        return None
    try:
        fd: int = opener(pid)
    except OSError:
        return None
    return fd


class LiveCaptureError(Exception):
    """tcpdump could not capture. `str()` says what happened, `.fix` what to do about it."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.fix = fix


def build_bpf(sip_ports: Iterable[int], *, fragments: bool = True, vlan: bool = False) -> str:
    """A tcpdump filter for SIP on `sip_ports` over UDP and TCP, plus IP fragments.

    Fragments must pass: only the first fragment of a big UDP datagram carries the
    UDP header, so a port filter alone would drop the rest and the datagram with them.
    The fragment terms let through every fragment on the link, which is cheap: VoIP
    traffic rarely fragments except for large SIP messages.

    `vlan` adds the same ports inside one 802.1Q tag, for links where tags reach the
    capture (no VLAN offload). libpcap's `vlan` shifts the offsets of everything after
    it, so that term comes last.
    """
    ports = sorted({int(p) for p in sip_ports})
    bad = [p for p in ports if not 0 < p < 65536]
    if bad or not ports:
        raise ValueError(f"SIP ports must be 1-65535, got {bad or 'none'}")
    terms = [f"udp port {p}" for p in ports] + [f"tcp port {p}" for p in ports]
    ports_only = " or ".join(terms)
    if fragments:
        terms += ["(ip[6:2] & 0x1fff) != 0", "(ip6 and ip6[6] = 44)"]
    if vlan:
        terms.append(f"(vlan and ({ports_only}))")
    return " or ".join(terms)


def classify_failure(stderr: list[str], interface: str, returncode: int | None) -> LiveCaptureError:
    """Turn tcpdump's complaint into an operator message with a fix."""
    text = "\n".join(stderr)
    low = text.lower()
    last = next((line for line in reversed(stderr) if line.strip()), "")
    if "permission" in low or "operation not permitted" in low:
        return LiveCaptureError(
            f"tcpdump may not capture on {interface}: {last}",
            "run vostui as root (sudo), or let tcpdump capture: "
            "setcap cap_net_raw,cap_net_admin=eip $(command -v tcpdump)",
        )
    if "no such device" in low or "doesn't exist" in low or "no such interface" in low:
        return LiveCaptureError(
            f"no such interface: {interface}",
            "pick one from `ip -br link` (or use 'any' for all interfaces)",
        )
    if any(
        word in low
        for word in (
            "syntax error",
            "can't parse filter",
            "illegal",
            "unknown port",
            "unknown host",
        )
    ):
        return LiveCaptureError(f"tcpdump rejected the capture filter: {last}", "check the filter")
    status = f"status {returncode}" if returncode is not None else "no status"
    return LiveCaptureError(
        f"tcpdump stopped ({status}): {last or 'no message'}",
        "run the same tcpdump by hand to see why",
    )


class LiveCapture:
    """One tcpdump process and the frames it captures. Use as a context manager."""

    def __init__(
        self,
        interface: str = "any",
        bpf: str = "",
        *,
        snaplen: int = 0,
        tcpdump: str = "tcpdump",
        buffer_kib: int | None = None,
        immediate: bool = False,
        stop_event: threading.Event | None = None,
        poll_interval: float = 0.2,
        stats_interval: float | None = STATS_EVERY,
    ) -> None:
        self.interface = interface
        self.bpf = bpf
        self.stop_event = stop_event if stop_event is not None else threading.Event()
        self.poll_interval = poll_interval
        self.stats_interval = stats_interval  # None or 0: no SIGUSR1, counts at exit only
        self.reader = CaptureReader(f"tcpdump -i {interface}")
        self.stderr: deque[str] = deque(maxlen=50)
        self.counts: dict[str, int] = {}  # "captured", "dropped by kernel", ... (latest)
        self.counts_at: float | None = None  # monotonic time of the latest counts
        self.drops_grew_at: float | None = None  # wall time the kernel's drops last grew
        self.stats_requests = 0  # SIGUSR1 sent to our tcpdump
        self.started = threading.Event()  # tcpdump said "listening on"
        self.error = ""  # why the capture failed, once it has
        self.fix = ""  # what to do about it
        self._cmd = [tcpdump, "-i", interface, "-U", "-w", "-", "-s", str(snaplen), "-n"]
        if os.geteuid() == 0:
            # Run as root, tcpdump switches to its own user after opening the interface,
            # and that change of user clears PR_SET_PDEATHSIG (vostui.children): it
            # would outlive a vostui killed with -9 until its next write failed. It
            # writes raw packets with -w and decodes nothing, so staying root costs
            # little. (Not root, with capabilities, it keeps no parent-death signal:
            # the broken pipe ends it at its next packet.)
            self._cmd += ["-Z", "root"]
        if buffer_kib:
            self._cmd += ["-B", str(buffer_kib)]
        if immediate:
            self._cmd.append("--immediate-mode")
        if bpf:
            self._cmd.append(bpf)
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr_thread: threading.Thread | None = None
        self._reading = False
        self._lock = threading.Lock()
        self._signal_lock = threading.Lock()  # a signal is never sent while stop() reaps
        self._stopping = False
        self._pidfd: int | None = None

    @property
    def command(self) -> list[str]:
        return list(self._cmd)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def returncode(self) -> int | None:
        return self._proc.poll() if self._proc is not None else None

    @property
    def kernel_drops(self) -> int | None:
        """Packets the kernel dropped: None until tcpdump first said (on SIGUSR1, or at exit)."""
        return self.counts.get("dropped by kernel")

    def start(self) -> None:
        """Start tcpdump. Raises `LiveCaptureError` when it cannot be run."""
        with self._lock:
            if self._proc is not None:
                return
            env = dict(os.environ, LC_ALL="C")  # English messages, for classify_failure
            try:
                self._proc = children.start(
                    self._cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    bufsize=0,
                    env=env,
                )
            except FileNotFoundError as exc:
                self.error, self.fix = f"tcpdump not found ({self._cmd[0]})", INSTALL_FIX
                raise LiveCaptureError(self.error, self.fix) from exc
            except PermissionError as exc:
                self.error = f"tcpdump could not be run ({self._cmd[0]}): {exc.strerror}"
                self.fix = "check that tcpdump is executable by this user, or run as root"
                raise LiveCaptureError(self.error, self.fix) from exc
            self._pidfd = _open_pidfd(self._proc.pid)
            self._stderr_thread = threading.Thread(
                target=self._read_stderr, name=f"tcpdump-stderr-{self._proc.pid}", daemon=True
            )
            self._stderr_thread.start()

    def _read_stderr(self) -> None:
        proc = self._proc
        assert proc is not None and proc.stderr is not None
        for raw in proc.stderr:
            line = raw[:500].decode("utf-8", "replace").rstrip()
            if _COUNT_LINE.match(line):  # counts are kept in `counts`, not as last words
                self._take_counts(line)
                continue
            self.stderr.append(line)
            if "listening on" in line:
                self.started.set()

    def _take_counts(self, line: str) -> None:
        for m in _COUNTS.finditer(line):
            what, value = m.group(2), int(m.group(1))
            if what == "dropped by kernel":
                before = self.counts.get(what, 0)
                if value > before:
                    self.drops_grew_at = time.time()
            self.counts[what] = value
        self.counts_at = time.monotonic()

    def request_stats(self) -> bool:
        """Ask our running tcpdump for its counts (SIGUSR1); its answer comes on stderr.

        Only after tcpdump said "listening on", only to our own child while it runs and
        catches the signal (its default action would end it). False when not sent.
        """
        proc = self._proc
        if proc is None or not self.started.is_set():
            return False
        with self._signal_lock:
            if self._stopping or proc.returncode is not None:
                return False
            if not catches(proc.pid, STATS_SIGNAL):
                return False
            try:
                if self._pidfd is not None:
                    signal.pidfd_send_signal(self._pidfd, STATS_SIGNAL)
                else:
                    proc.send_signal(STATS_SIGNAL)  # by PID: polls first, skips if reaped
            except OSError:  # it ended meanwhile (ESRCH), or is not ours to signal
                return False
            self.stats_requests += 1
            return True

    def _close_pidfd(self) -> None:
        with self._signal_lock:
            self._stopping = True
            if self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None

    def frames(self, stop_event: threading.Event | None = None) -> Iterator[Frame]:
        """Yield frames as tcpdump writes them, until stopped or tcpdump ends.

        `stop_event`, if given, stops the reading too (as `self.stop_event` does).
        Raises `LiveCaptureError` if tcpdump ends on its own with an error (no
        permission, no such interface, bad filter), after setting `error` and `fix`.
        Leaving the loop early stops tcpdump.
        """
        if self.stop_event.is_set() or (stop_event is not None and stop_event.is_set()):
            return
        self.start()
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        fd = proc.stdout.fileno()
        reader = self.reader
        stop = self.stop_event
        other = stop_event if stop_event is not None else stop
        ended = False
        self._reading = True
        interval = self.stats_interval
        stats_due = 0.0  # the first request as soon as tcpdump listens
        try:
            while not stop.is_set() and not other.is_set():
                ready, _, _ = select.select([fd], [], [], self.poll_interval)
                if interval and self.started.is_set():
                    now = time.monotonic()
                    if now >= stats_due:
                        stats_due = now + interval
                        self.request_stats()
                if not ready:
                    continue
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    ended = True
                    break
                try:
                    yield from reader.feed(chunk)
                except CaptureError as exc:
                    self.error = f"tcpdump wrote something that is not pcap: {exc}"
                    self.fix = "check the tcpdump command (it must write pcap to stdout: -w -)"
                    raise LiveCaptureError(self.error, self.fix) from exc
        finally:
            self._reading = False
            if not ended:
                self.stop()
            proc.stdout.close()
        # tcpdump ended by itself: wait for its last words, then say why
        self._close_pidfd()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.stop()
        if self._stderr_thread is not None:
            self._stderr_thread.join(timeout=2)
        if not stop.is_set() and not other.is_set() and (proc.returncode or not reader.format):
            failure = classify_failure(list(self.stderr), self.interface, proc.returncode)
            self.error = str(failure)
            self.fix = failure.fix
            raise failure

    def datagrams(self, decoder: Decoder) -> Iterator[Datagram]:
        """Frames through `decoder`, as Datagrams."""
        decode = decoder.decode
        for frame in self.frames():
            yield from decode(frame)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop reading, end our tcpdump (SIGTERM, then SIGKILL after `timeout`), join."""
        self.stop_event.set()
        proc = self._proc
        if proc is None:
            return
        self._close_pidfd()  # no stats request from here on: the PID may be reaped
        if proc.poll() is None:
            proc.terminate()  # by its PID: the one process we started
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)
        children.forget(proc)
        if self._stderr_thread is not None:
            self._stderr_thread.join(timeout=timeout)
        if not self._reading and proc.stdout is not None and not proc.stdout.closed:
            proc.stdout.close()
        if (
            proc.stderr is not None
            and not proc.stderr.closed
            and not (self._stderr_thread and self._stderr_thread.is_alive())
        ):
            proc.stderr.close()

    def __enter__(self) -> LiveCapture:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
