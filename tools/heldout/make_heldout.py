#!/usr/bin/env python3
"""Regenerates the held-out diagnosis corpus in tests/fixtures/heldout/ with real programs.

SIPp 3.6 (Debian `sip-tester`), sipvicious and the fixture softswitch
(`tools/fixtures/b2bua.py`, through `switch.py` here) talk over the loopback of a
network namespace made for each capture, and tcpdump records it (`-i lo`, UDP port
5060). Only 127.0.0.0/8 addresses are used; nothing leaves the namespace. Every
program is bounded in count (-m) and time (-timeout, timeout(1)).

The labels were written by someone who had not read the diagnosis rules: they say
what the traffic is, as an operator would, not what the code does.

    sudo /opt/vostui/bin/python tools/heldout/make_heldout.py             # everything
    sudo /opt/vostui/bin/python tools/heldout/make_heldout.py phone_bank  # some, by name
    ... --keep-work                                                       # keep SIPp logs
    ... --relabel       # rewrite labels.json from LABELS for the committed captures

Captures run in parallel (each in its own namespace); everything takes about four
minutes. Each capture is read back with vostui's engine and checked against what it is
meant to contain before it replaces the committed file; labels.json and
provenance.txt are written from LABELS below and the commands that were run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = ROOT / "tests" / "fixtures" / "heldout"
SCEN = HERE / "scenarios"
PY = sys.executable
MAX_BYTES = 1_000_000

SWITCH = "127.0.5.10"
DEAD_REGISTRAR = "127.0.5.11"  # the PBX's old second registrar: nothing listens
CUST_A, CUST_B, CUST_C = "127.0.5.21", "127.0.5.22", "127.0.5.23"
VEND_A, VEND_B, VEND_C, VEND_D = "127.0.5.31", "127.0.5.32", "127.0.5.33", "127.0.5.34"
PBX = "127.0.5.50"
KEEPALIVE_GWS = [f"127.0.6.{n}" for n in range(1, 31)]
SCANNER = "127.0.7.66"
OPTIONS_FLOODER = "127.0.7.70"
INVITE_FLOODER = "127.0.7.71"
CRACKER = "127.0.7.80"
GUESSERS = [f"127.0.8.{n}" for n in range(1, 31)]

PBX_UA = "FPBX-16.0.40(18.20.0)"
CUST_UA = {
    CUST_A: "Sansay-VSXi/9.2",
    CUST_B: "AudioCodes-Sip-Gateway-Mediant 2000/v.6.60A",
    CUST_C: "Sippy Softswitch v5.2",
}
VEND_UA = "Huawei SoftX3000 V300R010"
GW_UAS = [
    "Cisco-SIPGateway/IOS-15.5.3",
    "AudioCodes-Sip-Gateway-Mediant 1000/v.7.20A.256",
    "Dinstar UC2000-VE-8G 2.83",
    "OpenVox VS-GW1600 2.2.0",
    "Patton SN4970/4E30V 6.11",
]
GOOD_ACCOUNTS = [str(n) for n in range(2001, 2014)]  # registered fine by the PBX
WRONG_PASSWORD = ["2014", "2015", "2016"]  # PBX stores an old password
UNKNOWN = ["2091", "2092"]  # accounts the switch does not know
DEAD = ["2017", "2018", "2019"]  # the PBX registers these at 127.0.5.11: nothing answers


def log(text: str) -> None:
    print(f"{time.strftime('%H:%M:%S')}  {text}", file=sys.stderr, flush=True)


def auth(account: str, secret: str) -> str:
    """The injection field SIPp turns into a digest Authorization header."""
    return f"[authentication username={account} password={secret}]"


def password(account: str) -> str:
    if account == "2007":
        return "123123"
    return f"pbx-{account}-secret"


# -- one capture: a namespace, tcpdump, processes ------------------------------------


@dataclass
class Capture:
    name: str
    work: Path
    ns: str = ""
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    t0: float = 0.0
    tcpdump: subprocess.Popen[bytes] | None = None
    record: Path | None = None

    @property
    def pcap(self) -> Path:
        return self.work / f"{self.name}.pcap"

    def note(self, argv: Sequence[str]) -> None:
        shown = " ".join(a if a and " " not in a else repr(a) for a in argv)
        self.commands.append(f"+{time.monotonic() - self.t0:6.1f}s  {shown}")

    def up(self) -> None:
        self.ns = f"vho-{self.name[:10]}-{os.getpid()}"
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"], check=True)
        self.t0 = time.monotonic()
        err = self.work / f"{self.name}.tcpdump.err"
        argv = ["tcpdump", "-i", "lo", "-Z", "root", "--immediate-mode", "-U", "-s", "0"]
        argv += ["-B", "16384"]  # KiB: 50 calls a second must not overflow the ring
        argv += ["-w", str(self.pcap), "udp port 5060"]
        self.note(argv)
        self.tcpdump = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, *argv], stderr=err.open("w")
        )
        for _ in range(50):
            if "listening on" in err.read_text():
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name}: tcpdump did not start: {err.read_text()}")

    def down(self) -> None:
        time.sleep(1.0)  # the last answers and retransmissions
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.tcpdump is not None:
            self.tcpdump.send_signal(signal.SIGINT)
            self.tcpdump.wait(timeout=10)
            err = (self.work / f"{self.name}.tcpdump.err").read_text()
            dropped = re.search(r"(\d+) packets? dropped by kernel", err)
            if dropped is None or int(dropped.group(1)):
                raise RuntimeError(f"{self.name}: tcpdump lost packets: {err.strip()}")
        if self.ns:
            subprocess.run(["ip", "netns", "del", self.ns], check=False)
            self.ns = ""

    def run_bg(self, label: str, secs: float, argv: list[str]) -> subprocess.Popen[bytes]:
        self.note(argv)
        out = (self.work / f"{self.name}.{label}.out").open("wb")
        full = ["ip", "netns", "exec", self.ns, "timeout", "--kill-after=5", str(int(secs) + 5)]
        proc = subprocess.Popen([*full, *argv], stdout=out, stderr=subprocess.STDOUT, cwd=self.work)
        self.procs.append(proc)
        return proc

    def sipp(
        self, label: str, secs: float, *args: str, ua: str = "", wait: bool = False
    ) -> subprocess.Popen[bytes]:
        argv = ["sipp", "-nostdin", "-bind_local", "-timeout", f"{int(secs)}s"]
        argv += ["-key", "ua", ua or "sipp", "-key", "expires", "120", *args]
        proc = self.run_bg(label, secs, argv)
        if wait:
            proc.wait()
        return proc

    def switch(self, secs: float) -> None:
        self.record = self.work / f"{self.name}.switch.jsonl"
        argv = [PY, str(HERE / "switch.py"), "--config", str(HERE / "switch.toml")]
        # It outlives the callers: SIPp may place a call up to one rate period late,
        # and the capture stops when the callers are done, whatever run-for says.
        argv += ["--record", str(self.record), "--run-for", str(int(secs) + 60)]
        self.run_bg("switch", secs + 65, argv)
        time.sleep(0.5)

    def csv(self, label: str, rows: Sequence[Sequence[object]]) -> str:
        path = self.work / f"{self.name}.{label}.csv"
        lines = ["SEQUENTIAL"] + [";".join(str(v) for v in row) + ";" for row in rows]
        path.write_text("\n".join(lines) + "\n")
        return str(path)

    def sleep_until(self, offset: float) -> None:
        delay = self.t0 + offset - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def wait(self, *procs: subprocess.Popen[bytes]) -> None:
        for proc in procs:
            proc.wait()

    def records(self) -> list[dict[str, Any]]:
        if self.record is None or not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines() if line]


def sc(name: str) -> str:
    return str(SCEN / name)


# -- building blocks ------------------------------------------------------------------


def vendor_a(cap: Capture, secs: float, calls: int = 500) -> subprocess.Popen[bytes]:
    return cap.sipp(
        "vend_a",
        secs,
        "-sf",
        sc("uas.xml"),
        "-i",
        VEND_A,
        "-p",
        "5060",
        "-m",
        str(calls),
        ua=VEND_UA,
    )


def phone_bank(
    cap: Capture,
    secs: float,
    accounts: Sequence[str],
    regs: int = 2,
    pause_ms: int = 60_000,
    label: str = "pbx",
) -> subprocess.Popen[bytes]:
    """The PBX at 127.0.5.50:5060 registers its accounts, five a second, like at boot."""
    rows = []
    for account in accounts:
        registrar = DEAD_REGISTRAR if account in DEAD else SWITCH
        secret = "old-" + password(account) if account in WRONG_PASSWORD else password(account)
        rows.append([account, auth(account, secret), registrar, regs, pause_ms])
    path = cap.csv(label, rows)
    n = str(len(rows))
    return cap.sipp(
        label,
        secs,
        "-sf",
        sc("register.xml"),
        SWITCH + ":5060",
        "-i",
        PBX,
        "-p",
        "5060",
        "-inf",
        path,
        "-m",
        n,
        "-l",
        n,
        "-r",
        "5",
        ua=PBX_UA,
    )


def calls(
    cap: Capture,
    label: str,
    src: str,
    secs: float,
    rows: Sequence[Sequence[object]],
    rate: str = "1",
    period_ms: int = 2000,
    dest: str = SWITCH,
    ua: str = "",
    port: str = "5060",
) -> subprocess.Popen[bytes]:
    """Calls from src, one CSV row each (caller;callee;talk ms;cancel ms;ack)."""
    path = cap.csv(label, rows)
    n = str(len(rows))
    return cap.sipp(
        label,
        secs,
        "-sf",
        sc("uac.xml"),
        dest + ":5060",
        "-i",
        src,
        "-p",
        port,
        "-inf",
        path,
        "-m",
        n,
        "-l",
        n,
        "-r",
        rate,
        "-rp",
        str(period_ms),
        ua=ua or CUST_UA.get(src, "sipp"),
    )


def options_pings(
    cap: Capture, label: str, src: str, secs: float, every_s: int, count: int, ua: str
) -> subprocess.Popen[bytes]:
    return cap.sipp(
        label,
        secs,
        "-sf",
        sc("options.xml"),
        SWITCH + ":5060",
        "-i",
        src,
        "-p",
        "5060",
        "-s",
        "ping",
        "-m",
        str(count),
        "-r",
        "1",
        "-rp",
        str(every_s * 1000),
        ua=ua,
    )


def number(prefix: str, n: int, suffix: str = "") -> str:
    body = f"{prefix}{7_000_000_000 + n * 7919:010d}"
    return body[: len(body) - len(suffix)] + suffix if suffix else body


# -- the captures -----------------------------------------------------------------------
#
# Each function makes one capture and returns facts for its label (Call-IDs of
# problem calls are filled in afterwards from the capture itself).


def cap_phone_bank(cap: Capture) -> None:
    cap.switch(85)
    accounts = GOOD_ACCOUNTS[:12] + WRONG_PASSWORD + UNKNOWN + DEAD  # 20 in all
    order = random.Random(20).sample(accounts, len(accounts))
    cap.wait(phone_bank(cap, 80, order, regs=2, pause_ms=60_000))


def cap_gateway_keepalive(cap: Capture) -> None:
    span = 185
    cap.switch(span + 10)
    procs = []
    for i, gw in enumerate(KEEPALIVE_GWS):
        every = 30 + (i * 7) % 31  # 30..60 s, fixed per gateway
        count = 1 + (span - 5 - i // 2) // every
        cap.sleep_until(i * 0.5)
        procs.append(
            options_pings(cap, f"gw{i + 1:02d}", gw, span + 5, every, count, GW_UAS[i % 5])
        )
    cap.wait(*procs)


WHOLESALE_TALK = [4, 7, 12, 18, 25, 33, 41, 45, 9, 15, 22, 28, 36, 6, 11, 19, 27, 38, 44, 14]


def wholesale_rows() -> list[list[object]]:
    rows: list[list[object]] = []
    for n, talk in enumerate(WHOLESALE_TALK):
        rows.append(["5551001", number("86", n), talk * 1000, 0, 1])
    outcomes = ["486"] * 7 + ["480"] * 5 + ["404"] * 4
    for n, code in enumerate(outcomes, start=100):
        rows.append(["5551001", number("86", n, code), 2000, 0, 1])
    for n, ring in enumerate([3000, 4500, 6000, 8000], start=200):
        rows.append(["5551001", number("86", n, "180"), 0, ring, 1])
    return random.Random(40).sample(rows, len(rows))


def cap_wholesale_asr(cap: Capture) -> None:
    cap.switch(140)
    vendor_a(cap, 135)
    cap.wait(calls(cap, "cust_a", CUST_A, 130, wholesale_rows(), period_ms=2000))


LONG_SHORT_TALK = [150, 2, 120, 3, 95, 60, 4, 35, 140, 5, 20, 75, 12, 8, 45, 3]


def cap_long_short_calls(cap: Capture) -> None:
    cap.switch(200)
    vendor_a(cap, 195)
    rows: list[list[object]] = [
        ["7003001", number("1", n), talk * 1000, 0, 1] for n, talk in enumerate(LONG_SHORT_TALK)
    ]
    rows.insert(6, ["7003001", number("1", 50, "777"), 0, 0, 1])  # the callee hangs up at 8 s
    cap.wait(calls(cap, "cust_b", CUST_B, 190, rows, period_ms=3000))


def cap_failover(cap: Capture) -> None:
    cap.switch(70)
    vendor_a(cap, 65)
    cap.sipp(
        "vend_b",
        65,
        "-sf",
        sc("uas.xml"),
        "-i",
        VEND_B,
        "-p",
        "5060",
        "-m",
        "100",
        ua="Sonus SBC 1000",
    )
    rows: list[list[object]] = []
    for n in range(6):
        rows.append(["7003002", number("44", n, "503"), 8000 + n * 2000, 0, 1])
    for n in range(6, 9):
        rows.append(["7003002", number("44", n), 10_000, 0, 1])
    rows.append(["7003002", number("44", 9, "486"), 2000, 0, 1])
    for n in range(10, 12):
        rows.append(["7003002", number("33", n), 9000, 0, 1])
    rows = random.Random(12).sample(rows, len(rows))
    cap.wait(calls(cap, "cust_b", CUST_B, 60, rows, period_ms=2500))


def cap_reinvite_hold(cap: Capture) -> None:
    # The B2BUA fixture does not relay re-INVITEs (it answers them 488), so here a
    # SIPp callee stands at the softswitch's address: the PBX's trunk to the switch.
    cap.sipp(
        "switch_uas",
        45,
        "-sf",
        sc("uas.xml"),
        "-i",
        SWITCH,
        "-p",
        "5060",
        "-m",
        "3",
        ua="VOS3000 2.1.8.05",
    )
    time.sleep(0.3)
    rows = [
        ["2003", number("86", 1), 4000, 8000, 5000, "sendonly"],
        ["2005", number("86", 2), 3000, 10_000, 4000, "inactive"],
        ["2009", number("86", 3), 5000, 6000, 3000, "zero"],
    ]
    path = cap.csv("pbx_hold", rows)
    cap.sipp(
        "pbx_hold",
        40,
        "-sf",
        sc("uac_hold.xml"),
        SWITCH + ":5060",
        "-i",
        PBX,
        "-p",
        "5060",
        "-inf",
        path,
        "-m",
        "3",
        "-l",
        "3",
        "-r",
        "1",
        "-rp",
        "2500",
        ua=PBX_UA,
        wait=True,
    )


def cap_session_timer_422(cap: Capture) -> None:
    cap.sipp(
        "switch_uas",
        45,
        "-sf",
        sc("uas_timer.xml"),
        "-i",
        SWITCH,
        "-p",
        "5060",
        "-m",
        "5",
        ua="VOS3000 2.1.8.05",
    )
    time.sleep(0.3)
    rows = [
        ["5551001", number("86", 1), 10_000, 90],
        ["5551001", number("86", 2), 12_000, 1800],
        ["5551001", number("86", 3), 8000, 120],
        ["5551001", number("86", 4), 11_000, 600],
        ["5551001", number("86", 5), 9000, 180],
    ]
    path = cap.csv("cust_a", rows)
    cap.sipp(
        "cust_a",
        40,
        "-sf",
        sc("uac_timer.xml"),
        SWITCH + ":5060",
        "-i",
        CUST_A,
        "-p",
        "5060",
        "-inf",
        path,
        "-m",
        "5",
        "-l",
        "5",
        "-r",
        "1",
        "-rp",
        "2000",
        ua=CUST_UA[CUST_A],
        wait=True,
    )


HIGH_CPS_CALLS = 350


def cap_trunk_high_cps(cap: Capture) -> None:
    # 50 calls a second for 7 s from a configured customer trunk. A SIPp callee stands
    # at the switch's address (no B legs): through the B2BUA the file would pass 1 MB.
    cap.sipp(
        "switch_uas",
        80,
        "-sf",
        sc("uas.xml"),
        "-i",
        SWITCH,
        "-p",
        "5060",
        "-m",
        str(HIGH_CPS_CALLS),
        "-max_recv_loops",
        "5000",
        ua="VOS3000 2.1.8.05",
    )
    time.sleep(0.3)
    rng = random.Random(50)
    rows: list[list[object]] = []
    for n in range(HIGH_CPS_CALLS):
        pick = rng.random()
        if pick < 0.45:
            rows.append(["8880000", number("1", n), rng.randrange(15, 45) * 1000, 0, 1])
        else:
            code = "486" if pick < 0.75 else ("480" if pick < 0.9 else "404")
            rows.append(["8880000", number("1", n, code), 1000, 0, 1])
    cap.wait(calls(cap, "cust_c", CUST_C, 75, rows, rate="50", period_ms=1000))


def scanner_route(cap: Capture, action: str) -> None:
    # sipvicious 0.3.8's svwar and svcrack do not bind to -b: a source hint on the
    # route to the switch makes their packets leave from the scanner's address.
    argv = ["ip", "route", action, "local", f"{SWITCH}/32", "dev", "lo", "src", SCANNER]
    cap.note(argv)
    subprocess.run(["ip", "netns", "exec", cap.ns, *argv, "table", "local"], check=True)


def sipvicious(cap: Capture, label: str, secs: int, *args: str) -> None:
    home = cap.work / "svhome"
    home.mkdir(exist_ok=True)
    argv = ["env", f"HOME={home}", *args]
    cap.run_bg(label, secs, argv).wait()


SCAN_DICTIONARY = [
    "1234",
    "12345",
    "123456",
    "password",
    "admin",
    "2003",
    "20032003",
    "1111",
    "0000",
    "qwerty",
    "pass",
    "secret",
    "voip",
    "sip",
    "asterisk",
    "changeme",
    "letmein",
    "654321",
    "000000",
    "111111",
    "abc123",
    "test",
    "default",
    "2003pass",
]


def cap_scan_sipvicious(cap: Capture) -> None:
    cap.switch(70)
    vendor_a(cap, 65)
    pbx = phone_bank(cap, 60, GOOD_ACCOUNTS[:5], regs=1)
    legit = calls(
        cap,
        "cust_a",
        CUST_A,
        50,
        [["5551001", number("86", n), 8000, 0, 1] for n in range(4)],
        period_ms=5000,
    )
    cap.sleep_until(4)
    scanner_route(cap, "add")
    sv = "/opt/vostui/bin/" if Path("/opt/vostui/bin/sipvicious_svmap").exists() else ""
    sipvicious(
        cap,
        "svmap",
        20,
        f"{sv}sipvicious_svmap",
        "-b",
        SCANNER,
        "-P",
        "5070",
        "-p",
        "5060",
        "127.0.5.8-12",
    )
    sipvicious(
        cap,
        "svwar",
        30,
        f"{sv}sipvicious_svwar",
        "-b",
        SCANNER,
        "-P",
        "5070",
        "-e2000-2030",
        SWITCH,
    )
    dictionary = cap.work / "scan.dictionary.txt"
    dictionary.write_text("\n".join(SCAN_DICTIONARY) + "\n")
    sipvicious(
        cap,
        "svcrack",
        30,
        f"{sv}sipvicious_svcrack",
        "-b",
        SCANNER,
        "-P",
        "5070",
        "-u",
        "2003",
        "-d",
        str(dictionary),
        SWITCH,
    )
    scanner_route(cap, "del")
    cap.wait(pbx, legit)


def cap_options_flood(cap: Capture) -> None:
    cap.switch(45)
    pings = [
        options_pings(cap, f"gw{i + 1:02d}", gw, 40, 30, 2, GW_UAS[i])
        for i, gw in enumerate(KEEPALIVE_GWS[:5])
    ]
    pbx = phone_bank(cap, 40, GOOD_ACCOUNTS[:5], regs=1)
    cap.sleep_until(8)
    flood = cap.sipp(
        "flood",
        20,
        "-sf",
        sc("options.xml"),
        SWITCH + ":5060",
        "-i",
        OPTIONS_FLOODER,
        "-p",
        "5060",
        "-s",
        "100",
        "-m",
        "600",
        "-r",
        "100",
        "-l",
        "600",
        ua="Asterisk PBX 16.2.1",
    )
    cap.wait(flood, pbx, *pings)


def cap_invite_flood(cap: Capture) -> None:
    cap.switch(45)
    vendor_a(cap, 40)
    legit = calls(
        cap,
        "cust_a",
        CUST_A,
        35,
        [["5551001", number("86", n), 6000, 0, 1] for n in range(5)],
        period_ms=5000,
    )
    cap.sleep_until(6)
    rng = random.Random(71)
    rows = [["100", f"00972{rng.randrange(10**8, 10**9)}", 1000, 0, 1] for _ in range(400)]
    flood = calls(
        cap,
        "flood",
        INVITE_FLOODER,
        25,
        rows,
        rate="80",
        period_ms=1000,
        ua="Asterisk PBX 1.6.0.10",
    )
    cap.wait(flood, legit)


GUESS_PASSWORDS = [
    "1234",
    "12345",
    "123456",
    "password",
    "admin",
    "0000",
    "1111",
    "qwerty",
    "abc123",
    "pass123",
    "voip",
    "sip123",
    "654321",
    "111111",
    "000000",
    "letmein",
    "welcome",
    "secret",
    "changeme",
    "test123",
]
GUESS_UAS = [
    "Linksys/SPA942-6.1.5a",
    "Grandstream GXP2170 1.0.11.6",
    "Yealink SIP-T46S 66.85.0.5",
    "PolycomVVX-VVX_410-UA/5.9.5.0614",
    "Cisco/SPA504G-7.6.2",
    "Zoiper rv2.10.11.3",
    "MicroSIP/3.20.7",
    "Bria 6.5.2",
    "snom710/10.1.54.13",
    "Fanvil X4U 2.12.1",
]


def cap_distributed_guessing(cap: Capture) -> None:
    cap.switch(165)
    pbx = phone_bank(cap, 150, GOOD_ACCOUNTS, regs=3, pause_ms=60_000)
    rng = random.Random(30)
    targets = [*GOOD_ACCOUNTS, "100", "1000", "admin"]
    procs = [pbx]
    for i, ip in enumerate(GUESSERS):
        rows = [
            [user, auth(user, rng.choice(GUESS_PASSWORDS)), SWITCH, 1, 0]
            for user in (rng.choice(targets) for _ in range(3))
        ]
        path = cap.csv(f"guess{i + 1:02d}", rows)
        cap.sleep_until(5 + i * 3)
        procs.append(
            cap.sipp(
                f"guess{i + 1:02d}",
                100,
                "-sf",
                sc("register.xml"),
                SWITCH + ":5060",
                "-i",
                ip,
                "-p",
                "5060",
                "-inf",
                path,
                "-m",
                "3",
                "-r",
                "1",
                "-rp",
                "25000",
                ua=GUESS_UAS[i % len(GUESS_UAS)],
            )
        )
    cap.wait(*procs)


CRACK_GUESSES = 48
PREMIUM = [
    "008821234567890",
    "900123456",
    "008816312345678",
    "00252615123456",
    "900987654",
    "0088213001234",
]


def cap_cracked_account(cap: Capture) -> None:
    cap.switch(110)
    vendor_a(cap, 105)
    pbx = phone_bank(cap, 60, GOOD_ACCOUNTS, regs=1)
    legit = calls(
        cap,
        "cust_a",
        CUST_A,
        60,
        [["5551001", number("86", n), 12_000, 0, 1] for n in range(4)],
        period_ms=8000,
    )
    cap.sleep_until(6)
    extra = ["2007", "20072007", "7002", "2007123", "12342007", "asdf", "zxcvbn", "1q2w3e"]
    extra += ["qwe123", "iloveyou", "monkey", "dragon", "master", "123qwe", "pbx2007"]
    extra += ["sunshine", "princess", "football", "trustno1", "shadow", "hello123", "passw0rd"]
    words = sorted({*GUESS_PASSWORDS, *SCAN_DICTIONARY, *extra} - {"123123"})
    guesses = [*random.Random(80).sample(words, CRACK_GUESSES - 1), "123123"]
    rows = [["2007", auth("2007", guess), SWITCH, 1, 0] for guess in guesses]
    path = cap.csv("crack", rows)
    cap.sipp(
        "crack",
        40,
        "-sf",
        sc("register.xml"),
        SWITCH + ":5060",
        "-i",
        CRACKER,
        "-p",
        "5060",
        "-inf",
        path,
        "-m",
        str(CRACK_GUESSES),
        "-r",
        "2",
        "-l",
        "4",
        ua="Zoiper rv2.10.11.3",
        wait=True,
    )
    time.sleep(4)  # the attacker's registration is in place
    rows = [["2007", dialled, 25_000 + i * 3000, 0, 1] for i, dialled in enumerate(PREMIUM)]
    fraud = calls(cap, "fraud", CRACKER, 70, rows, period_ms=3000, ua="Zoiper rv2.10.11.3")
    cap.wait(fraud, pbx, legit)


def cap_vendor_503_no_failover(cap: Capture) -> None:
    cap.switch(65)
    vendor_a(cap, 60)
    cap.sipp(
        "vend_d",
        60,
        "-sf",
        sc("uas_503.xml"),
        "-i",
        VEND_D,
        "-p",
        "5060",
        "-m",
        "100",
        ua="Kamailio (5.4.8)",
    )
    broken = calls(
        cap,
        "cust_b",
        CUST_B,
        55,
        [["7003002", number("49", n), 10_000, 0, 1] for n in range(20)],
        period_ms=2000,
    )
    fine = calls(
        cap,
        "cust_a",
        CUST_A,
        55,
        [["5551001", number("86", n), 12_000, 0, 1] for n in range(6)],
        period_ms=6000,
    )
    cap.wait(broken, fine)


def cap_no_ack_32s(cap: Capture) -> None:
    cap.switch(65)
    vendor_a(cap, 60)
    lost = calls(
        cap,
        "cust_a",
        CUST_A,
        55,
        [["5551001", number("86", n), 20_000, 0, 0] for n in range(4)],
        period_ms=3000,
    )
    fine = calls(
        cap,
        "cust_b",
        CUST_B,
        55,
        [["7003002", number("86", n), 12_000, 0, 1] for n in range(10, 13)],
        period_ms=4000,
    )
    cap.wait(lost, fine)


MAKERS: dict[str, Callable[[Capture], None]] = {
    "phone_bank": cap_phone_bank,
    "gateway_keepalive": cap_gateway_keepalive,
    "wholesale_asr": cap_wholesale_asr,
    "long_short_calls": cap_long_short_calls,
    "failover": cap_failover,
    "reinvite_hold": cap_reinvite_hold,
    "session_timer_422": cap_session_timer_422,
    "trunk_high_cps": cap_trunk_high_cps,
    "scan_sipvicious": cap_scan_sipvicious,
    "options_flood": cap_options_flood,
    "invite_flood": cap_invite_flood,
    "distributed_guessing": cap_distributed_guessing,
    "cracked_account": cap_cracked_account,
    "vendor_503_no_failover": cap_vendor_503_no_failover,
    "no_ack_32s": cap_no_ack_32s,
}


# -- labels ------------------------------------------------------------------------------
#
# What each capture IS, written from the traffic plan above without reading the
# diagnosis rules. expected: rule ids an operator wants raised; max_severity: the
# highest severity that is right for it (critical = service broken now or fraud
# succeeded, with direct evidence); block_ok / must_not_block: addresses it is right /
# wrong to advise blocking; must_not_raise (optional, an addition to the schema): rule
# ids that would be false alarms here; problem_calls (filled in from the capture):
# Call-IDs (A legs) of calls that are genuinely in trouble.

ALL_GATEWAYS = [CUST_A, CUST_B, CUST_C, VEND_A, VEND_B, VEND_C, VEND_D]

LABELS: dict[str, dict[str, Any]] = {
    "phone_bank": {
        "kind": "ordinary",
        "description": (
            "A customer PBX at 127.0.5.50:5060 (FreePBX) registers 20 accounts at boot, five a "
            "second, then refreshes the accepted ones 60 s later in the same dialogs. 12 accounts "
            "(2001-2012) are accepted after one 401 challenge; 3 (2014-2016) have an old password "
            "stored on the PBX: 401 then 403; 2 (2091, 2092) do not exist on the switch: 404; 3 "
            "(2017-2019) are sent to 127.0.5.11, a decommissioned registrar where nothing "
            "listens: never answered (REGISTER resent until the PBX gives up)."
        ),
        "expected": [
            "registration.forbidden",
            "registration.not_found",
            "registration.no_response",
        ],
        "max_severity": "warning",
        "block_ok": [],
        "must_not_block": [PBX, SWITCH],
        "must_not_raise": [
            "scan.brute_force",
            "scan.enumeration",
            "scan.signature",
            "registration.challenge_loop",
        ],
    },
    "gateway_keepalive": {
        "kind": "ordinary",
        "description": (
            "30 customer access gateways (127.0.6.1-30, all in the config) keep their trunks "
            "alive with OPTIONS to the switch, each at its own steady interval between 30 and "
            "60 s, over about 3 minutes of real time (no time compression): 3 to 7 pings each, all "
            "answered 200 OK. Nothing else happens."
        ),
        "expected": [],
        "max_severity": "info",
        "block_ok": [],
        "must_not_block": [*KEEPALIVE_GWS, SWITCH],
        "must_not_raise": ["scan.options_flood", "scan.signature", "scan.enumeration"],
    },
    "wholesale_asr": {
        "kind": "ordinary",
        "description": (
            "Wholesale traffic: CUST-A (127.0.5.21) sends 40 calls to China (86...) through the "
            "switch, one every 2 s, all routed to VEND-A (127.0.5.31). 20 answered (talk 4-45 s), "
            "7 busy 486, 5 unavailable 480, 4 not found 404, 4 cancelled by the caller after 3-8 s "
            "of ringing (487): ASR 50 %, a normal wholesale mix."
        ),
        "expected": [],
        "max_severity": "notice",
        "block_ok": [],
        "must_not_block": [*ALL_GATEWAYS, SWITCH],
        "must_not_raise": ["gateway.low_asr", "gateway.asr_drop", "call.no_ack"],
    },
    "long_short_calls": {
        "kind": "ordinary",
        "description": (
            "CUST-B (127.0.5.22) sends 17 calls to route 1 (VEND-A), one every 3 s, all answered: "
            "talk times mixed from 2 s to 150 s (five calls of 2-5 s, several of 1-2.5 minutes); "
            "one call is hung up by the callee after 8 s. Every call ends normally with BYE/200."
        ),
        "expected": [],
        "max_severity": "notice",
        "block_ok": [],
        "must_not_block": [*ALL_GATEWAYS, SWITCH],
        "must_not_raise": ["gateway.short_calls", "call.never_ending", "call.no_ack"],
    },
    "failover": {
        "kind": "ordinary",
        "description": (
            "CUST-B sends 12 calls. Route 44 tries VEND-B (127.0.5.32) first, then VEND-A: 6 calls "
            "get 503 from VEND-B and complete on VEND-A, 3 are answered by VEND-B itself, 1 is "
            "busy (486) at VEND-B (final, no failover). Route 33 tries VEND-C (127.0.5.33, nothing "
            "listens: the switch resends the INVITE for 2 s and gives up) then VEND-A: 2 calls "
            "complete on VEND-A. 11 of 12 calls are answered; the B legs have new Call-IDs."
        ),
        "expected": ["gateway.failover", "gateway.capacity", "gateway.unreachable"],
        "max_severity": "warning",
        "block_ok": [],
        "must_not_block": [*ALL_GATEWAYS, SWITCH],
    },
    "reinvite_hold": {
        "kind": "ordinary",
        "description": (
            "The PBX (127.0.5.50) places 3 calls over its trunk to the switch's address (played by "
            "a SIPp callee here: the B2BUA fixture does not relay re-INVITEs). Each call is put on "
            "hold and taken off hold by re-INVITEs in the dialog (CSeq 2 and 3): a=sendonly "
            "(answered recvonly), a=inactive (answered inactive), and the RFC 2543 style "
            "c=0.0.0.0 with a=sendonly; then a=sendrecv again; the caller hangs up."
        ),
        "expected": [],
        "max_severity": "info",
        "block_ok": [],
        "must_not_block": [PBX, SWITCH],
        "must_not_raise": [
            "codec.no_common",
            "media.private_sdp",
            "call.never_ending",
            "call.no_ack",
        ],
    },
    "session_timer_422": {
        "kind": "ordinary",
        "description": (
            "CUST-A (127.0.5.21) calls the switch's address (a SIPp callee that wants session "
            "timers of at least 300 s). 3 of 5 INVITEs offer Session-Expires 90, 120 or 180 s and "
            "get 422 Session Interval Too Small with Min-SE: 300; the caller ACKs and sends the "
            "INVITE again (same Call-ID, CSeq 2, Session-Expires: 300) and it is answered. The "
            "other 2 offer 1800 and 600 s and are answered at once (Session-Expires: 300; "
            "refresher=uac). Calls last 8-12 s, well before any refresh is due."
        ),
        "expected": ["session.interval_too_small"],
        "max_severity": "notice",
        "block_ok": [],
        "must_not_block": [CUST_A, SWITCH],
        "must_not_raise": ["session.refresh_missing", "call.no_ack"],
    },
    "trunk_high_cps": {
        "kind": "ordinary",
        "description": (
            "A call-centre dialler trunk, CUST-C-DIALER (127.0.5.23, in the config), sends 350 "
            "calls at 50 calls a second for 7 s to the switch's address (a SIPp callee: no B legs, "
            "to stay under 1 MB). About 45 % are answered and talk 15-45 s; the rest are busy 486, "
            "unavailable 480 or not found 404. A legitimate trunk at high CPS, not a flood."
        ),
        "expected": [],
        "max_severity": "notice",
        "block_ok": [],
        "must_not_block": [CUST_C, SWITCH],
        "must_not_raise": ["scan.invite_flood", "scan.brute_force", "scan.signature"],
    },
    "scan_sipvicious": {
        "kind": "hostile",
        "description": (
            "sipvicious 0.3.8 from 127.0.7.66 (User-Agent friendly-scanner): svmap over "
            "127.0.5.8-12 (only the switch answers), svwar -e2000-2030 against the switch (20 "
            "extensions exist, 401; the rest 404), svcrack on 2003 with a 24-word dictionary that "
            "does not hold its password: nothing is cracked. Meanwhile the PBX registers 5 "
            "accounts and CUST-A makes 4 answered calls through the switch to VEND-A."
        ),
        "expected": ["scan.signature", "scan.enumeration", "scan.brute_force"],
        "max_severity": "warning",
        "block_ok": [SCANNER],
        "must_not_block": [PBX, CUST_A, VEND_A, SWITCH],
    },
    "options_flood": {
        "kind": "hostile",
        "description": (
            "127.0.7.70 (unknown, User-Agent 'Asterisk PBX 16.2.1') floods the switch with 600 "
            "OPTIONS at about 100 a second for 6 s, all answered 200. Meanwhile 5 access gateways "
            "(127.0.6.1-5) send their normal keep-alive OPTIONS every 30 s and the PBX registers 5 "
            "accounts."
        ),
        "expected": ["scan.options_flood"],
        "max_severity": "warning",
        "block_ok": [OPTIONS_FLOODER],
        "must_not_block": [*KEEPALIVE_GWS[:5], PBX, SWITCH],
    },
    "invite_flood": {
        "kind": "hostile",
        "description": (
            "127.0.7.71 (not a customer, User-Agent 'Asterisk PBX 1.6.0.10') sends 400 INVITEs to "
            "random Israeli numbers (00972...) at 80 a second for 5 s; the switch refuses every "
            "one with 403 (source is not a mapping gateway), the flooder ACKs. Meanwhile CUST-A "
            "makes 5 normal answered calls through the switch to VEND-A."
        ),
        "expected": ["scan.invite_flood"],
        "max_severity": "warning",
        "block_ok": [INVITE_FLOODER],
        "must_not_block": [CUST_A, VEND_A, SWITCH],
        "must_not_raise": ["gateway.forbidden"],
    },
    "distributed_guessing": {
        "kind": "hostile",
        "description": (
            "Slow distributed password guessing: 30 sources (127.0.8.1-30, ordinary phone "
            "User-Agents) each try 3 REGISTERs 25 s apart with a guessed password (accounts "
            "2001-2013 and the non-existent 100, 1000, admin), starting 3 s after one another, "
            "over more than 2 minutes: 90 guesses, each answered 401 or 403 (or 404 for unknown "
            "accounts), none succeeds. Meanwhile the PBX registers its 13 accounts correctly "
            "and refreshes them every 60 s."
        ),
        "expected": ["scan.brute_force"],
        "max_severity": "warning",
        "block_ok": GUESSERS,
        "must_not_block": [PBX, SWITCH],
        "must_not_raise": ["registration.forbidden", "registration.challenge_loop"],
    },
    "cracked_account": {
        "kind": "hostile",
        "description": (
            "127.0.7.80 (User-Agent 'Zoiper rv2.10.11.3') guesses account 2007's password, two "
            "guesses a second, one REGISTER dialog per guess: 47 wrong (401 challenge, then 401 or "
            "403 to the answer), the 48th (123123) gets 200 OK. It is then registered as 2007 "
            "and places 6 calls through the switch to premium and satellite numbers (00882..., "
            "00881..., 900..., 00252...), all answered by VEND-A and talking 25-40 s. Meanwhile "
            "the PBX registers its 13 accounts (2007 included, from 127.0.5.50) and CUST-A makes 4 "
            "normal calls. Fraud succeeded."
        ),
        "expected": ["scan.brute_force", "fraud.premium_calls"],
        "max_severity": "critical",
        "block_ok": [CRACKER],
        "must_not_block": [PBX, CUST_A, VEND_A, SWITCH],
    },
    "vendor_503_no_failover": {
        "kind": "broken",
        "description": (
            "Route 49 has one vendor only, VEND-D (127.0.5.34), which answers 503 Service "
            "Unavailable to every INVITE: all 20 calls from CUST-B (127.0.5.22) to 49... fail with "
            "503, no failover. CUST-A's 6 calls to 86... through VEND-A are answered as usual."
        ),
        "expected": ["gateway.capacity", "gateway.low_asr"],
        "max_severity": "critical",
        "block_ok": [],
        "must_not_block": [*ALL_GATEWAYS, SWITCH],
    },
    "no_ack_32s": {
        "kind": "broken",
        "description": (
            "CUST-A (127.0.5.21) makes 4 calls through the switch to VEND-A; each is answered but "
            "CUST-A never sends the ACK for the 200 OK (a lost ACK, as behind a broken NAT): the "
            "switch resends its 200 OK and hangs both legs up about 32 s after the answer. "
            "CUST-B's 3 calls in the same minute are ACKed and end normally."
        ),
        "expected": ["call.no_ack"],
        "max_severity": "critical",
        "block_ok": [],
        "must_not_block": [*ALL_GATEWAYS, SWITCH],
    },
}


# -- after the run: check, label, keep -----------------------------------------------

DURATION = {
    "gateway_keepalive": 200,
    "long_short_calls": 200,
    "distributed_guessing": 165,
    "wholesale_asr": 140,
    "cracked_account": 110,
    "phone_bank": 85,
    "failover": 70,
    "trunk_high_cps": 70,
    "scan_sipvicious": 70,
    "vendor_503_no_failover": 65,
    "no_ack_32s": 65,
}


def snapshot_of(path: Path) -> Any:
    sys.path.insert(0, str(ROOT))
    from vostui.config import load
    from vostui.engine.core import Engine
    from vostui.pipeline import read_files

    engine = Engine(load(str(OUT / "config.toml")))
    (result,) = read_files(engine, [str(path)])
    if result.warnings:
        raise RuntimeError(f"{path.name}: {result.warnings}")
    snap = engine.snapshot()
    if snap.counters.malformed:
        raise RuntimeError(f"{path.name}: malformed {snap.counters.malformed}")
    return snap


def keys_from(snap: Any, source: str) -> list[str]:
    return sorted(c.key for c in snap.calls if c.legs[0].src.split(":")[0] == source)


PROBLEM_CALLS: dict[str, Callable[[Any], list[str]]] = {
    "no_ack_32s": lambda snap: keys_from(snap, CUST_A),
    "vendor_503_no_failover": lambda snap: keys_from(snap, CUST_B),
    "cracked_account": lambda snap: keys_from(snap, CRACKER),
}


def finish(caps: Sequence[Capture], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    labels_path = out / "labels.json"
    old = json.loads(labels_path.read_text()) if labels_path.exists() else {"captures": []}
    by_file = {c["file"]: c for c in old.get("captures", [])}
    prov_path = out / "provenance.txt"
    prov = prov_path.read_text() if prov_path.exists() else ""
    sections = {}
    for block in prov.split("\n## ")[1:]:
        sections[block.split("\n", 1)[0].strip()] = "## " + block.rstrip() + "\n"
    for cap in caps:
        size = cap.pcap.stat().st_size
        if size >= MAX_BYTES:
            raise RuntimeError(f"{cap.pcap.name} is {size} bytes, over 1 MB")
        snap = snapshot_of(cap.pcap)
        label = dict(LABELS[cap.name])
        label = {"file": f"{cap.name}.pcap", **label}
        if cap.name in PROBLEM_CALLS:
            label["problem_calls"] = PROBLEM_CALLS[cap.name](snap)
        by_file[label["file"]] = label
        if not cap.commands:  # --relabel: the capture and its provenance stay as they are
            continue
        shutil.copyfile(cap.pcap, out / f"{cap.name}.pcap")
        sections[f"{cap.name}.pcap"] = (
            f"## {cap.name}.pcap\n\n"
            + f"made {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, {size} bytes, "
            + f"{snap.counters.sip_messages} SIP messages\n\n"
            + "\n".join(cap.commands)
            + "\n"
        )
    order = list(MAKERS)
    captures = sorted(by_file.values(), key=lambda c: order.index(c["file"][:-5]))
    labels_path.write_text(
        json.dumps({"config": "config.toml", "captures": captures}, indent=1) + "\n"
    )
    head = (
        "# Commands run for each held-out capture (tools/heldout/make_heldout.py)\n\n"
        "Offsets are seconds from the start of the capture. Every command ran inside the\n"
        "capture's own network namespace (ip netns exec NS timeout ... COMMAND).\n\n"
    )
    body = "\n".join(sections[k] for k in sorted(sections, key=lambda k: order.index(k[:-5])))
    prov_path.write_text(head + body)
    log(f"labels.json: {len(captures)} captures")


# -- running ------------------------------------------------------------------------------


def make(name: str, work: Path) -> Capture:
    cap = Capture(name, work)
    log(f"{name}: start")
    cap.up()
    try:
        MAKERS[name](cap)
    finally:
        cap.down()
    size = cap.pcap.stat().st_size
    log(f"{name}: {size // 1024} kB, {time.monotonic() - cap.t0:.0f} s")
    return cap


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", help=f"captures to make (default all): {' '.join(MAKERS)}"
    )
    parser.add_argument("--keep-work", action="store_true", help="keep SIPp logs and CSVs")
    parser.add_argument("--jobs", type=int, default=6, help="captures made at once")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--relabel", action="store_true", help="rewrite labels.json for the committed captures"
    )
    args = parser.parse_args(argv)
    if args.relabel:
        finish([Capture(name, args.out) for name in args.names or list(MAKERS)], args.out)
        return 0
    if os.geteuid() != 0:
        parser.error("run as root: network namespaces and tcpdump need it")
    for tool in ("ip", "tcpdump", "sipp", "timeout"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed")
    names = args.names or list(MAKERS)
    for name in names:
        if name not in MAKERS:
            parser.error(f"no capture {name} (have: {' '.join(MAKERS)})")
    work = Path(tempfile.mkdtemp(prefix="vostui-heldout."))
    log(f"work directory {work}")
    try:
        # The longest first, so they overlap the rest.
        order = sorted(names, key=lambda n: -DURATION.get(n, 60))
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            caps = list(pool.map(lambda n: make(n, work), order))
        finish(caps, args.out)
    finally:
        if args.keep_work:
            log(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
