#!/usr/bin/env python3
"""Make the labelled captures that prove `vostui doctor` (tests/fixtures/diagnose/).

Each problem class is played by real programs on loopback: SIPp with the scenarios in
tools/diagnose/scenarios/, sipvicious for the scans. tcpdump records only
127.0.6.0/24, so other work on lo never leaks into a capture. Every process has a
count and a time bound and is stopped by its own PID; every capture is small (< 1 MB).

Addresses (names as in tests/fixtures/diagnose/doctor.toml):
    127.0.6.10  the softswitch: 5060 takes A-legs and REGISTER, 5070 places B-legs,
                5061 answers OPTIONS
    127.0.6.21  CUST-1, a customer (mapping) gateway
    127.0.6.31-34  VEND-1..VEND-4, vendor (routing) gateways
    127.0.6.41-49  phones that register
    127.0.6.65-68  scanners and brute-forcers

Usage:
    make_captures.py [--only NAME[,NAME]] [--out DIR] [--list] [--labels-only]
Without --out the captures go to tests/fixtures/diagnose/, with labels.json and the
README table written from CLASSES (the single source of the labels).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE / "scenarios"
REPO = HERE.parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "diagnose"
NET = "127.0.6.0/24"
SWITCH = "127.0.6.10"
CUST = "127.0.6.21"
VEND = {1: "127.0.6.31", 2: "127.0.6.32", 3: "127.0.6.33", 4: "127.0.6.34"}
MAX_BYTES = 1_000_000

TE = "a=rtpmap:101 telephone-event/8000"
NO_TE = "a=ptime:20"  # an offer without telephone-event still needs a line here


class CaptureFailed(RuntimeError):
    pass


class Run:
    """The processes of one capture: started, waited on and stopped by PID."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.procs: list[subprocess.Popen[bytes]] = []
        self.media_port = 20000
        self.files = 0

    def _csv(self, rows: Sequence[Sequence[object]]) -> str:
        self.files += 1
        path = self.workdir / f"inject{self.files}.csv"
        lines = ["SEQUENTIAL"] + [";".join(str(v) for v in row) + ";" for row in rows]
        path.write_text("\n".join(lines) + "\n")
        return str(path)

    def _scenario(self, name: str, sets: dict[str, str]) -> str:
        """A `.xml.in` template takes its @name@ fields out of `sets`: SIPp checks response
        codes when it loads a scenario, so a code cannot be a run-time variable."""
        path = SCENARIOS / name
        if not name.endswith(".in"):
            return str(path)
        text = path.read_text()
        for key in list(sets):
            if f"@{key}@" in text:
                text = text.replace(f"@{key}@", sets.pop(key))
        leftover = re.findall(r"@[a-z_0-9]+@", text)
        if leftover:
            raise CaptureFailed(f"{name}: unfilled {', '.join(leftover)}")
        self.files += 1
        out = self.workdir / f"{self.files}-{name[:-3]}"
        out.write_text(text)
        return str(out)

    def sipp(
        self,
        scenario: str,
        *,
        local: str,
        port: int,
        remote: str | None = None,
        sets: dict[str, str] | None = None,
        rows: Sequence[Sequence[object]] | None = None,
        calls: int = 1,
        rate: float = 1.0,
        limit: int = 50,
        timeout: float = 60.0,
        extra: Sequence[str] = (),
    ) -> subprocess.Popen[bytes]:
        self.media_port += 10
        sets = dict(sets or {})
        path = self._scenario(scenario, sets)
        cmd = [
            "sipp",
            "-sf",
            path,
            "-i",
            local,
            "-p",
            str(port),
            "-mi",
            local,
            "-mp",
            str(self.media_port),
            "-m",
            str(calls),
            "-r",
            str(rate),
            "-l",
            str(limit),
            "-timeout",
            f"{int(timeout)}s",
            "-nostdin",
            "-trace_err",
            # an aborted call must not leave a stray BYE in the capture
            "-default_behaviors",
            "-bye",
        ]
        for name, value in sets.items():
            cmd += ["-set", name, value]
        if rows is not None:
            cmd += ["-inf", self._csv(rows)]
        cmd += list(extra)
        if remote is not None:
            cmd.append(remote)
        return self.start(cmd)

    def start(self, cmd: Sequence[str]) -> subprocess.Popen[bytes]:
        self.files += 1
        log = self.workdir / f"{self.files}-{Path(cmd[0]).name}.out"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                list(cmd),
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.procs.append(proc)
        return proc

    def wait(self, proc: subprocess.Popen[bytes], timeout: float) -> int:
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            raise CaptureFailed(f"{proc.args[0]} still running after {timeout:.0f} s") from exc

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(3)


def tcpdump(path: Path) -> subprocess.Popen[bytes]:
    """tcpdump on lo for our /24 only; returns once it listens."""
    proc = subprocess.Popen(
        [
            "tcpdump",
            "-i",
            "lo",
            "-n",
            "-U",
            "--immediate-mode",
            "-s",
            "0",
            "-w",
            str(path),
            f"udp and net {NET}",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 10
    seen = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 0.2)
        if ready:
            chunk = os.read(proc.stderr.fileno(), 4096)
            if not chunk:
                break
            seen += chunk
            if b"listening on" in seen:
                time.sleep(0.2)
                return proc
    proc.kill()
    proc.wait()
    raise CaptureFailed(f"tcpdump did not start: {seen.decode(errors='replace').strip()}")


def stop_tcpdump(proc: subprocess.Popen[bytes]) -> None:
    time.sleep(0.3)  # the last packets are on their way through lo
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# -- the classes ----------------------------------------------------------------------


def _call_sets(**over: str) -> dict[str, str]:
    sets = {
        "ua": "fixture-switch",
        "hdr": "Accept: application/sdp",
        "media_addr": "",
        "pts": "8 0 101",
        "te_line": TE,
    }
    sets.update(over)
    return sets


def _answer_sets(addr: str, **over: str) -> dict[str, str]:
    sets = {
        "ring_ms": "500",
        "pdd_ms": "100",
        "media_addr": addr,
        "pts": "8 101",
        "te_line": TE,
        "hdr": "Server: fixture-vendor",
    }
    sets.update(over)
    return sets


def _reject_sets(code: int, reason: str, **over: str) -> dict[str, str]:
    sets = {"code": str(code), "reason": reason, "pdd_ms": "200", "hdr": "Server: fixture-vendor"}
    sets.update(over)
    return sets


def _rows(count: int, callee_base: str, talk_ms: int, cancel_ms: int = 0, start: int = 0):
    return [
        (f"2010{n + start:04d}", f"{callee_base}{n + start:04d}", talk_ms, cancel_ms)
        for n in range(count)
    ]


def b_calls(
    run: Run,
    vendor: int,
    rows: Sequence[Sequence[object]],
    uas: str,
    uas_sets: dict[str, str],
    uac_sets: dict[str, str] | None = None,
    rate: float = 5.0,
    timeout: float = 60.0,
    uac: str = "uac_call.xml",
) -> None:
    """The softswitch (127.0.6.10:5070) places calls to one vendor and waits for them."""
    server = run.sipp(
        uas, local=VEND[vendor], port=5060, sets=uas_sets, calls=len(rows), timeout=timeout + 5
    )
    time.sleep(0.3)
    client = run.sipp(
        uac,
        local=SWITCH,
        port=5070,
        remote=f"{VEND[vendor]}:5060",
        sets=uac_sets if uac_sets is not None else _call_sets(media_addr=SWITCH),
        rows=rows,
        calls=len(rows),
        rate=rate,
        timeout=timeout,
    )
    run.wait(client, timeout + 5)
    run.wait(server, 10)


def a_and_b_calls(
    run: Run,
    rows_a: Sequence[Sequence[object]],
    rows_b: Sequence[Sequence[object]],
    *,
    a_offer: dict[str, str],
    a_answer: dict[str, str],
    b_offer: dict[str, str],
    b_answer: dict[str, str],
    rate: float = 1.0,
) -> None:
    """A customer calls the softswitch (A-leg) and the softswitch calls a vendor (B-leg)
    a moment later with the same number behind a prefix: the engine pairs them."""
    count = len(rows_a)
    switch = run.sipp("uas_answer.xml", local=SWITCH, port=5060, sets=a_answer, calls=count)
    vendor = run.sipp("uas_answer.xml", local=VEND[1], port=5060, sets=b_answer, calls=count)
    time.sleep(0.3)
    a = run.sipp(
        "uac_call.xml",
        local=CUST,
        port=5060,
        remote=f"{SWITCH}:5060",
        sets=a_offer,
        rows=rows_a,
        calls=count,
        rate=rate,
    )
    time.sleep(0.25)  # the softswitch routes, then places the B-leg
    b = run.sipp(
        "uac_call.xml",
        local=SWITCH,
        port=5070,
        remote=f"{VEND[1]}:5060",
        sets=b_offer,
        rows=rows_b,
        calls=count,
        rate=rate,
    )
    for proc in (a, b, switch, vendor):
        run.wait(proc, 60)


def options_pings(run: Run, count: int, every: float) -> subprocess.Popen[bytes]:
    """CUST-1 keeps its trunk alive with OPTIONS, as gateways do."""
    run.sipp("uas_options.xml", local=SWITCH, port=5061, calls=count, timeout=count * every + 10)
    time.sleep(0.2)
    return run.sipp(
        "uac_options.xml",
        local=CUST,
        port=5062,
        remote=f"{SWITCH}:5061",
        sets={"ua": "fixture-gateway"},
        calls=count,
        rate=1.0 / every,
        timeout=count * every + 10,
    )


def register(
    run: Run,
    phone: str,
    accounts: Sequence[Sequence[object]],
    registrar: str,
    registrar_sets: dict[str, str],
    ua: str = "fixture-phone",
    rate: float = 2.0,
    extra: Sequence[str] = (),
    listen: bool = True,
) -> None:
    server = None
    if listen:
        server = run.sipp(
            registrar, local=SWITCH, port=5060, sets=registrar_sets, calls=len(accounts), timeout=60
        )
        time.sleep(0.3)
    client = run.sipp(
        "uac_register.xml",
        local=phone,
        port=5060,
        remote=f"{SWITCH}:5060",
        sets={"ua": ua},
        rows=accounts,
        calls=len(accounts),
        rate=rate,
        timeout=60,
        extra=extra,
    )
    run.wait(client, 70)
    if server is not None:
        run.wait(server, 15)


def make_clean(run: Run) -> None:
    pinger = options_pings(run, 6, 2.0)
    register(
        run,
        "127.0.6.41",
        [("1041", "secret1041", "127.0.6.41", 300, 1)],
        "uas_register.xml.in",
        {"code2": "200", "reason2": "OK"},
    )
    a_and_b_calls(
        run,
        _rows(4, "86138", 6000),
        _rows(4, "008686138", 6000),
        a_offer=_call_sets(media_addr=CUST, ua="fixture-customer"),
        a_answer=_answer_sets(SWITCH),
        b_offer=_call_sets(media_addr=SWITCH),
        b_answer=_answer_sets(VEND[1]),
    )
    run.wait(pinger, 20)


def make_no_ack(run: Run) -> None:
    server = run.sipp("uas_noack.xml", local=VEND[1], port=5060, calls=1, timeout=45)
    time.sleep(0.3)
    client = run.sipp(
        "uac_noack.xml",
        local=SWITCH,
        port=5070,
        remote=f"{VEND[1]}:5060",
        rows=[("20100001", "0086138000001")],
        calls=1,
        timeout=45,
    )
    run.wait(client, 50)
    run.wait(server, 10)


def make_session_422(run: Run) -> None:
    b_calls(
        run,
        2,
        _rows(2, "7744207", 2000),
        "uas_reject.xml.in",
        _reject_sets(422, "Session Interval Too Small", hdr="Min-SE: 1800"),
        _call_sets(media_addr=SWITCH, hdr="Session-Expires: 90"),
        rate=2,
    )


def make_refresh_missing(run: Run) -> None:
    b_calls(
        run,
        1,
        _rows(1, "0086138", 40000),
        "uas_answer.xml",
        _answer_sets(VEND[1], hdr="Session-Expires: 30;refresher=uac"),
        _call_sets(media_addr=SWITCH, hdr="Session-Expires: 30;refresher=uac"),
        timeout=60,
    )


def make_private_sdp(run: Run) -> None:
    server = run.sipp("uas_answer.xml", local=SWITCH, port=5060, sets=_answer_sets(SWITCH), calls=2)
    time.sleep(0.3)
    client = run.sipp(
        "uac_call.xml",
        local=CUST,
        port=5060,
        remote=f"{SWITCH}:5060",
        sets=_call_sets(media_addr="192.168.1.50", ua="fixture-customer"),
        rows=_rows(2, "86138", 6000),
        calls=2,
        rate=2,
    )
    run.wait(client, 30)
    run.wait(server, 10)


def make_no_common_codec(run: Run) -> None:
    b_calls(
        run,
        3,
        _rows(3, "86139", 2000),
        "uas_reject.xml.in",
        _reject_sets(
            488, "Not Acceptable Here", hdr='Warning: 304 vendor "Media type not available"'
        ),
        _call_sets(media_addr=SWITCH, pts="18", te_line=NO_TE),
        rate=3,
    )


def make_dtmf_mismatch(run: Run) -> None:
    a_and_b_calls(
        run,
        _rows(2, "86137", 6000),
        _rows(2, "008686137", 6000),
        a_offer=_call_sets(media_addr=CUST, ua="fixture-customer"),
        a_answer=_answer_sets(SWITCH),
        b_offer=_call_sets(media_addr=SWITCH, pts="8 0", te_line=NO_TE),
        b_answer=_answer_sets(VEND[1], pts="8", te_line=NO_TE),
    )


def make_g729_inband(run: Run) -> None:
    b_calls(
        run,
        2,
        _rows(2, "7744207", 6000),
        "uas_answer.xml",
        _answer_sets(VEND[2], pts="18", te_line=NO_TE),
        _call_sets(media_addr=SWITCH, pts="18", te_line=NO_TE),
        rate=2,
    )


def make_register_loop(run: Run) -> None:
    register(
        run,
        "127.0.6.42",
        [("1042", "wrongpass", "127.0.6.42", 300, 4)],
        "uas_register.xml.in",
        {"code2": "401", "reason2": "Unauthorized"},
    )


def make_register_403(run: Run) -> None:
    register(
        run,
        "127.0.6.43",
        [("1043", "wrongpass", "127.0.6.43", 300, 1)],
        "uas_register.xml.in",
        {"code2": "403", "reason2": "Forbidden"},
    )


def make_register_404(run: Run) -> None:
    register(
        run,
        "127.0.6.44",
        [("1099", "secret", "127.0.6.44", 300, 1)],
        "uas_register_reply.xml.in",
        {"code": "404", "reason": "Not Found"},
    )


def make_register_no_response(run: Run) -> None:
    # Nothing listens on the registrar: the REGISTER is resent until SIPp gives up.
    register(
        run,
        "127.0.6.45",
        [("1045", "secret", "127.0.6.45", 300, 1)],
        "",
        {},
        listen=False,
        extra=["-max_non_invite_retrans", "6"],
    )


def make_register_expires(run: Run) -> None:
    register(
        run,
        "127.0.6.46",
        [("1046", "secret", "127.0.6.46", 10, 0), ("1047", "secret", "127.0.6.46", 86400, 0)],
        "uas_register_grant.xml",
        {},
    )


def make_private_contact(run: Run) -> None:
    register(
        run,
        "127.0.6.48",
        [("1048", "secret", "192.168.1.50", 300, 0)],
        "uas_register_grant.xml",
        {},
    )


def make_brute_force(run: Run) -> None:
    accounts = [(f"{1100 + n}", "123456", "127.0.6.67", 300, 1) for n in range(30)]
    register(
        run,
        "127.0.6.67",
        accounts,
        "uas_register.xml.in",
        {"code2": "403", "reason2": "Forbidden"},
        ua="Z 3.15.40006 rv2.8.20",
        rate=10,
    )


def _failures(
    run: Run, vendor: int, code: int, reason: str, count: int, callee: str, rate: float = 5.0
) -> None:
    b_calls(
        run,
        vendor,
        _rows(count, callee, 2000),
        "uas_reject.xml.in",
        _reject_sets(code, reason),
        rate=rate,
    )


def make_failures_503(run: Run) -> None:
    # VEND-2 carries calls, then runs out of capacity: its ASR falls against its own level.
    b_calls(run, 2, _rows(15, "7744207", 6000), "uas_answer.xml", _answer_sets(VEND[2]), rate=5)
    b_calls(
        run,
        2,
        _rows(15, "7744207", 2000, start=100),
        "uas_reject.xml.in",
        _reject_sets(503, "Service Unavailable"),
        rate=5,
    )


def make_failures_404(run: Run) -> None:
    _failures(run, 3, 404, "Not Found", 8, "1212555")
    _failures(run, 3, 484, "Address Incomplete", 3, "12125")


def make_failures_403(run: Run) -> None:
    _failures(run, 1, 403, "Forbidden", 8, "0086138")


def make_failures_486(run: Run) -> None:
    _failures(run, 2, 486, "Busy Here", 10, "7744207")


def make_failures_408_480(run: Run) -> None:
    _failures(run, 3, 480, "Temporarily Unavailable", 6, "1212555")
    _failures(run, 4, 408, "Request Timeout", 6, "5533144")


def make_failures_487(run: Run) -> None:
    server = run.sipp("uas_ring_cancel.xml", local=SWITCH, port=5060, calls=8, timeout=40)
    time.sleep(0.3)
    client = run.sipp(
        "uac_call.xml",
        local=CUST,
        port=5060,
        remote=f"{SWITCH}:5060",
        sets=_call_sets(media_addr=CUST, ua="fixture-customer"),
        rows=_rows(8, "86138", 0, cancel_ms=3000),
        calls=8,
        rate=4,
        timeout=30,
    )
    run.wait(client, 40)
    run.wait(server, 10)


def make_long_pdd(run: Run) -> None:
    b_calls(
        run,
        1,
        _rows(4, "0086138", 6000),
        "uas_answer.xml",
        _answer_sets(VEND[1], pdd_ms="8000", ring_ms="1000"),
        rate=2,
    )


def make_short_calls(run: Run) -> None:
    # min_calls (10) long calls first: the level the short ones collapse from
    b_calls(run, 3, _rows(10, "1212555", 8000), "uas_answer.xml", _answer_sets(VEND[3]), rate=3)
    b_calls(
        run,
        3,
        _rows(15, "1212555", 1500, start=100),
        "uas_answer.xml",
        _answer_sets(VEND[3], ring_ms="200"),
        rate=5,
    )


def make_never_ending(run: Run) -> None:
    # Answered and ACKed, and nobody ever sends BYE: the capture stops at 28 s while the
    # call goes on (doctor.toml sets max_call_seconds = 20). OPTIONS keepalives move the
    # capture's clock on, as live traffic would.
    run.sipp("uas_answer.xml", local=VEND[1], port=5060, sets=_answer_sets(VEND[1]), calls=1)
    time.sleep(0.3)
    run.sipp(
        "uac_call.xml",
        local=SWITCH,
        port=5070,
        remote=f"{VEND[1]}:5060",
        sets=_call_sets(media_addr=SWITCH),
        rows=_rows(1, "0086138", 120000),
        calls=1,
        timeout=40,
    )
    options_pings(run, 14, 2.0)
    time.sleep(28)


def make_options_flood(run: Run) -> None:
    server = run.sipp("uas_options.xml", local=SWITCH, port=5061, calls=250, limit=300, timeout=20)
    time.sleep(0.3)
    client = run.sipp(
        "uac_options.xml",
        local="127.0.6.66",
        port=5060,
        remote=f"{SWITCH}:5061",
        sets={"ua": "sipcheck/1.0"},
        calls=250,
        rate=50,
        limit=300,
        timeout=20,
    )
    run.wait(client, 25)
    run.wait(server, 10)


def make_svmap(run: Run) -> None:
    server = run.sipp("uas_options.xml", local=SWITCH, port=5061, calls=1, timeout=20)
    time.sleep(0.3)
    scan = run.start(
        [
            _tool("sipvicious_svmap"),
            "-b",
            "127.0.6.65",
            "-p",
            "5061",
            "-t",
            "0.05",
            "127.0.6.1-127.0.6.30",
        ]
    )
    run.wait(scan, 30)
    run.wait(server, 10)


def make_enumeration(run: Run) -> None:
    server = run.sipp(
        "uas_register_reply.xml.in",
        local=SWITCH,
        port=5060,
        sets={"code": "404", "reason": "Not Found"},
        calls=100,
        limit=200,
        timeout=30,
    )
    time.sleep(0.3)
    scan = run.start(
        [
            _tool("sipvicious_svwar"),
            "-b",
            "127.0.6.68",
            "-p",
            "5060",
            "-e",
            "100-199",
            "-m",
            "REGISTER",
            "-t",
            "0.02",
            SWITCH,
        ]
    )
    run.wait(scan, 40)
    run.wait(server, 10)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise CaptureFailed(f"{name} not found (pip install sipvicious)")
    return path


@dataclass(frozen=True)
class Capture:
    name: str
    make: Callable[[Run], None]
    problem: str
    how: str
    expected: tuple[str, ...]  # rule ids that must be found; () for clean traffic


CLASSES: tuple[Capture, ...] = (
    Capture(
        "clean",
        make_clean,
        "clean traffic",
        "4 calls CUST-1 → softswitch (A-leg) paired with 4 to VEND-1 (B-leg), G.711 + "
        "telephone-event, 6 s talk, ACK and BYE; one digest REGISTER accepted; OPTIONS "
        "keepalives every 2 s",
        (),
    ),
    Capture(
        "no_ack_32s",
        make_no_ack,
        "2xx never ACKed, call dropped at 32 s",
        "SIPp UAC (softswitch) takes the 200 OK and never ACKs; SIPp UAS (VEND-1) resends "
        "the 200 and sends BYE (Reason 408) after 32 s",
        ("call.no_ack",),
    ),
    Capture(
        "session_timer_422",
        make_session_422,
        "session timer: 422, Min-SE above the offer",
        "2 INVITEs with Session-Expires: 90 to VEND-2, answered 422 with Min-SE: 1800",
        ("session.interval_too_small",),
    ),
    Capture(
        "session_refresh_missing",
        make_refresh_missing,
        "session timer: no refresh before expiry",
        "Session-Expires: 30;refresher=uac agreed, no re-INVITE or UPDATE, BYE at 40 s",
        ("session.refresh_missing",),
    ),
    Capture(
        "private_sdp",
        make_private_sdp,
        "SDP media address private while signalling is not",
        "CUST-1 (127.0.6.21) offers c=192.168.1.50: a private address that is not where "
        "the packets come from (loopback counts as its own class, never as private)",
        ("media.private_sdp",),
    ),
    Capture(
        "private_contact",
        make_private_contact,
        "private Contact behind NAT",
        "REGISTER from 127.0.6.48 with Contact sip:1048@192.168.1.50, accepted",
        ("nat.private_contact",),
    ),
    Capture(
        "no_common_codec_488",
        make_no_common_codec,
        "no common codec",
        "3 INVITEs offering only G.729 to VEND-3, answered 488 with Warning: 304",
        ("codec.no_common",),
    ),
    Capture(
        "dtmf_mismatch",
        make_dtmf_mismatch,
        "telephone-event on the A-leg, missing on the B-leg",
        "2 paired calls: A-leg offer and answer carry telephone-event/8000, the B-leg "
        "offer and answer do not",
        ("dtmf.mismatch",),
    ),
    Capture(
        "g729_inband",
        make_g729_inband,
        "in-band DTMF over G.729",
        "2 calls to VEND-2 with G.729 only and no telephone-event on either side",
        ("dtmf.inband_g729",),
    ),
    Capture(
        "register_challenge_loop",
        make_register_loop,
        "registration challenge loop (wrong password)",
        "1042 registers with a wrong password: 401 to each of 4 authenticated attempts",
        ("registration.challenge_loop",),
    ),
    Capture(
        "register_403",
        make_register_403,
        "registration refused 403",
        "1043: 401, then 403 Forbidden to the authenticated REGISTER",
        ("registration.forbidden",),
    ),
    Capture(
        "register_404",
        make_register_404,
        "registration for an unknown account 404",
        "1099: 404 Not Found",
        ("registration.not_found",),
    ),
    Capture(
        "register_no_response",
        make_register_no_response,
        "registration without a response",
        "1045 registers to 127.0.6.10:5060 where nothing listens; SIPp resends 6 times",
        ("registration.no_response",),
    ),
    Capture(
        "register_expires_out_of_range",
        make_register_expires,
        "registration expiry out of range",
        "1046 with Expires: 10 and 1047 with Expires: 86400, both granted",
        ("registration.expires",),
    ),
    Capture(
        "brute_force",
        make_brute_force,
        "REGISTER brute force over many accounts",
        "127.0.6.67 tries 30 accounts (1100-1129) with one password: 401, then 403 each",
        ("scan.brute_force",),
    ),
    Capture(
        "failures_503",
        make_failures_503,
        "503 burst on one gateway, its ASR falling",
        "15 answered calls to VEND-2, then 15 answered 503 Service Unavailable",
        ("gateway.capacity", "gateway.asr_drop"),
    ),
    Capture(
        "failures_404",
        make_failures_404,
        "dial plan failures 404/484",
        "8 calls answered 404 and 3 answered 484 by VEND-3",
        ("gateway.dial_plan",),
    ),
    Capture(
        "failures_403",
        make_failures_403,
        "authorisation failures 403",
        "8 calls answered 403 Forbidden by VEND-1",
        ("gateway.forbidden",),
    ),
    Capture(
        "failures_486",
        make_failures_486,
        "busy 486",
        "10 calls answered 486 Busy Here by VEND-2",
        ("gateway.busy",),
    ),
    Capture(
        "failures_408_480",
        make_failures_408_480,
        "unreachable or no answer 408/480",
        "6 calls answered 480 by VEND-3, 6 answered 408 by VEND-4",
        ("gateway.unreachable",),
    ),
    Capture(
        "failures_487",
        make_failures_487,
        "caller cancelled 487",
        "8 calls from CUST-1 ring 3 s and are cancelled: 200 to CANCEL, 487",
        ("gateway.cancelled",),
    ),
    Capture(
        "long_pdd",
        make_long_pdd,
        "long post-dial delay",
        "4 calls to VEND-1: 100 Trying at once, 180 Ringing after 8 s, 200 a second later",
        ("gateway.long_pdd",),
    ),
    Capture(
        "short_calls",
        make_short_calls,
        "short calls (ACD collapse)",
        "10 calls of 8 s, then 15 calls hung up 1.5 s after answer, all to VEND-3",
        ("gateway.short_calls",),
    ),
    Capture(
        "never_ending_call",
        make_never_ending,
        "call that never ends",
        "a call to VEND-1 answered and ACKed, no BYE for the 28 s captured "
        "(max_call_seconds = 20 in doctor.toml); CUST-1 OPTIONS keepalives every 2 s",
        ("call.never_ending",),
    ),
    Capture(
        "scanner_options_flood",
        make_options_flood,
        "OPTIONS flood",
        "SIPp from 127.0.6.66: 250 OPTIONS at 50/s, User-Agent sipcheck/1.0 (no tool name)",
        ("scan.options_flood",),
    ),
    Capture(
        "scanner_svmap",
        make_svmap,
        "scanner signature (SIPVicious svmap)",
        "sipvicious_svmap from 127.0.6.65 over 127.0.6.1-30 port 5061; the softswitch answers 200",
        ("scan.signature",),
    ),
    Capture(
        "extension_enumeration",
        make_enumeration,
        "extension enumeration (SIPVicious svwar)",
        "sipvicious_svwar from 127.0.6.68: REGISTER for extensions 100-199, each 404 "
        "(svwar's friendly-scanner User-Agent is a signature too)",
        ("scan.enumeration", "scan.signature"),
    ),
)


def make(capture: Capture, out_dir: Path, keep: bool = False) -> Path:
    """Record one capture; with `keep`, the work directory (SIPp output, error logs,
    scenarios as run) stays in /tmp and its path is printed."""
    out = out_dir / f"{capture.name}.pcap"
    workdir = Path(tempfile.mkdtemp(prefix=f"vostui-{capture.name}-"))
    run = Run(workdir)
    try:
        dump = tcpdump(out)
        try:
            capture.make(run)
        finally:
            stop_tcpdump(dump)
            run.stop_all()
    finally:
        if keep:
            print(f"{capture.name}: work directory {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    size = out.stat().st_size
    if size > MAX_BYTES:
        raise CaptureFailed(f"{out}: {size} bytes, over {MAX_BYTES}")
    return out


def labels() -> dict[str, object]:
    return {
        "config": "doctor.toml",
        "captures": [
            {
                "file": f"{c.name}.pcap",
                "problem": c.problem,
                "how": c.how,
                "expected": list(c.expected),
            }
            for c in CLASSES
        ],
    }


README_HEAD = """# Labelled captures for `vostui doctor`

Made by `tools/diagnose/make_captures.py` with real programs on loopback (SIPp 3.6.1 with
the scenarios in `tools/diagnose/scenarios/`, sipvicious 0.3.8), recorded by tcpdump on
`lo` for 127.0.6.0/24 only. Read them with `doctor.toml` (it names the softswitch
127.0.6.10, the gateways, and sets `max_call_seconds = 20`):

    vostui --config tests/fixtures/diagnose/doctor.toml doctor tests/fixtures/diagnose/X.pcap

`labels.json` holds the same table for the tests and `tools/diagnose/score.py`. A capture
must produce every expected finding; a finding of another rule in it counts as a false
positive in the score; `clean.pcap` must give nothing above "info".

Loopback sources: 127.0.0.0/8 is its own address class ("loopback") for the media and
NAT rules, never "private". So an SDP `c=192.168.1.50` sent from 127.0.6.21 is flagged
as "private media address that is not where the signalling comes from", as it would be
from a public address.

What the fixtures simplify: the "softswitch" is SIPp (a UAS for the A-leg and a UAC for
the B-leg, started a quarter second apart with the same number behind a prefix), so
legs pair because `doctor.toml` names 127.0.6.10 in `softswitch_ips`, by timing and
number as the engine pairs VOS3000 legs. The REGISTER scenario writes its Authorization
header out with the challenge's realm and nonce but a placeholder in place of the digest
response (SIPp's `[authentication]` keyword takes no CSV user name); the fixture
registrar never checks it, so a wrong password is what every authenticated REGISTER
plays. No RTP is sent: the media findings come from SDP.

Rebuild one class (SIPp, tcpdump and sipvicious installed, root for tcpdump):

    python3 tools/diagnose/make_captures.py --only no_ack_32s
    python3 tools/diagnose/score.py

| file | problem class | how it was made | expected findings |
|---|---|---|---|
"""


def write_labels(out_dir: Path) -> None:
    (out_dir / "labels.json").write_text(json.dumps(labels(), indent=1) + "\n")
    rows = [
        f"| `{c.name}.pcap` | {c.problem} | {c.how} | "
        + (", ".join(f"`{r}`" for r in c.expected) or "nothing above info")
        + " |"
        for c in CLASSES
    ]
    (out_dir / "README.md").write_text(README_HEAD + "\n".join(rows) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated capture names")
    parser.add_argument("--out", default="", help="directory (default: the fixtures)")
    parser.add_argument("--list", action="store_true", help="list the classes and exit")
    parser.add_argument("--labels-only", action="store_true", help="write labels and README only")
    parser.add_argument("--keep", action="store_true", help="keep the work directories")
    args = parser.parse_args(argv)
    if args.list:
        for c in CLASSES:
            print(f"{c.name:32} {', '.join(c.expected) or '-'}")
        return 0
    out_dir = Path(args.out) if args.out else FIXTURES
    out_dir.mkdir(parents=True, exist_ok=True)
    if not args.out:
        write_labels(out_dir)
    if args.labels_only:
        return 0
    wanted = {n.strip() for n in args.only.split(",") if n.strip()}
    unknown = wanted - {c.name for c in CLASSES}
    if unknown:
        print(f"unknown capture(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    failed = []
    for capture in CLASSES:
        if wanted and capture.name not in wanted:
            continue
        started = time.monotonic()
        try:
            path = make(capture, out_dir, args.keep)
        except CaptureFailed as exc:
            print(f"{capture.name}: FAILED: {exc}", file=sys.stderr)
            failed.append(capture.name)
            continue
        took = time.monotonic() - started
        print(f"{capture.name}: {path} {path.stat().st_size} bytes in {took:.1f} s", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
