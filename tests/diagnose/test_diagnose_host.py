"""Host and log rules on real host data: iptables and UDP counters inside a network
namespace this test makes, real processes, a real log file followed by LogFollower.
Conntrack near full, a full disk and a busy CPU cannot be made safely on a shared
machine; those rules get snapshots of the collectors' own types."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.diagnose.diagnose_support import config, snapshot
from tests.host.hostns import Lab, netns_unavailable
from vostui.config import Config
from vostui.diagnose import CRITICAL, NOTICE, WARNING, Settings, diagnose, run_checklist
from vostui.engine.core import Engine
from vostui.host.access import HostAccess
from vostui.host.conntrack import ConntrackSnapshot
from vostui.host.logs import LogFollower
from vostui.host.monitor import HostMonitor, HostSettings, HostSnapshot
from vostui.host.processes import ProcessCollector
from vostui.host.system import SystemSnapshot
from vostui.pipeline import read_files

SCANNER_OPTIONS = (
    "OPTIONS sip:100@{server} SIP/2.0\r\n"
    "Via: SIP/2.0/UDP {client}:5061;branch=z9hG4bK-scan;rport\r\n"
    "Max-Forwards: 70\r\n"
    'From: "sipvicious"<sip:100@1.1.1.1>;tag=6236\r\n'
    "To: <sip:100@{server}>\r\n"
    "Call-ID: 1234567890@{client}\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "Contact: <sip:100@{client}:5061>\r\n"
    "User-Agent: friendly-scanner\r\n"
    "Accept: application/sdp\r\n"
    "Content-Length: 0\r\n\r\n"
)
NO_READER = r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
s.bind(("0.0.0.0", int(sys.argv[1])))
print("ready", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _host(**parts: object) -> HostSnapshot:
    return HostSnapshot(at=time.time(), version=1, **parts)  # type: ignore[arg-type]


@pytest.mark.root
def test_firewall_drops_the_scanner_and_udp_buffers_overflow(tmp_path: Path) -> None:
    why = netns_unavailable()
    if why:
        pytest.skip(why)
    with Lab() as lab:
        lab.in_server(
            "iptables",
            "-A",
            "INPUT",
            "-s",
            lab.client_ip,
            "-p",
            "udp",
            "--dport",
            "5060",
            "-j",
            "DROP",
        )
        # A SIP socket nobody reads, with a tiny buffer: the kernel drops what overflows.
        sink = subprocess.Popen(
            ["ip", "netns", "exec", lab.server, sys.executable, "-c", NO_READER, "5070", "30"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        pcap = tmp_path / "scan.pcap"
        dump = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                lab.server,
                "tcpdump",
                "-i",
                "any",
                "-n",
                "-U",
                "--immediate-mode",
                "-w",
                str(pcap),
                "udp port 5060",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
            _wait_listening(dump)
            monitor = HostMonitor(
                HostSettings(
                    access=HostAccess.in_netns(lab.server), sip_ports=(5060, 5070), ipv6=False
                ),
                only=["firewall", "udp"],
            )
            monitor.poll_all()
            payload = SCANNER_OPTIONS.format(server=lab.server_ip, client=lab.client_ip)
            for _ in range(6):  # in batches: a burst overruns the veth backlog
                lab.send(50, payload=payload)
                time.sleep(0.05)
            lab.send(400, payload="x" * 1200, port=5070)
            time.sleep(0.5)
            host = monitor.poll_all()
        finally:
            dump.send_signal(signal.SIGINT)
            dump.wait(10)
            sink.kill()
            sink.wait(10)
        engine = Engine(Config())
        read_files(engine, [str(pcap)])
        findings = diagnose(engine.snapshot(), host=host)

    by_rule = {f.rule: f for f in findings}
    scan = by_rule["scan.signature"]
    assert scan.severity == NOTICE and "already drops" in scan.title
    text = "\n".join(scan.evidence)
    assert f"source {lab.client_ip}/32" in text and "DROP" in text, text
    flood = by_rule["scan.options_flood"]
    assert flood.severity == NOTICE
    udp = by_rule["host.udp_errors"]
    assert udp.severity == WARNING and "RcvbufErrors" in udp.evidence[0]


def _wait_listening(proc: subprocess.Popen) -> None:
    assert proc.stderr is not None
    os.set_blocking(proc.stderr.fileno(), False)
    seen = b""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and b"listening" not in seen:
        chunk = proc.stderr.read() or b""
        seen += chunk
        time.sleep(0.05)
    assert b"listening" in seen, seen


def test_without_host_data_scanners_say_not_checked() -> None:
    findings = diagnose(snapshot("scanner_svmap.pcap"), config=config())
    (scan,) = [f for f in findings if f.rule == "scan.signature"]
    assert scan.severity == WARNING
    assert "firewall: not checked (no host data)" in scan.evidence


def test_softswitch_process_down_and_restarted(tmp_path: Path) -> None:
    names = ("vostui-test-mbx", "vostui-test-db")
    collector = ProcessCollector(names)
    settings = Settings(softswitch_processes=names, processes_configured=True)
    first = _fake(tmp_path, "vostui-test-mbx")
    try:
        collector.poll()
        snap = collector.poll()
        findings = diagnose(Engine().snapshot(), host=_host(processes=snap), settings=settings)
        (down,) = [f for f in findings if f.rule == "host.process_down"]
        assert down.severity == CRITICAL and "vostui-test-db" in down.title
        assert "vostui-test-mbx" not in down.title
        first.kill()
        first.wait(5)
        second = _fake(tmp_path, "vostui-test-mbx")
        try:
            collector.poll()
            snap = collector.poll()
        finally:
            second.kill()
            second.wait(5)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(5)
    findings = diagnose(Engine().snapshot(), host=_host(processes=snap), settings=settings)
    restarted = [f for f in findings if f.rule == "host.process_restarts"]
    assert restarted and "vostui-test-mbx" in restarted[0].title


def _fake(directory: Path, name: str) -> subprocess.Popen:
    """A process whose kernel name is `name` (the collector matches the name `ps`
    shows): a copy of sleep under that name."""
    program = directory / name
    if not program.exists():
        shutil.copy(shutil.which("sleep") or "/bin/sleep", program)
    proc = subprocess.Popen(
        [str(program), "30"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.2)
    return proc


def test_default_process_names_missing_is_only_info() -> None:
    collector = ProcessCollector(("vostui-nonexistent-1", "vostui-nonexistent-2"))
    snap = collector.poll()
    findings = diagnose(Engine().snapshot(), host=_host(processes=snap))
    (only,) = [f for f in findings if f.rule == "host.process_down"]
    assert only.severity == "info"


def test_failed_ssh_logins_from_the_log() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "secure"
        path.write_text("")
        follower = LogFollower([str(path)], interval=0.05, journal=False)
        try:
            follower.poll_once()
            with path.open("a") as handle:
                for n in range(12):
                    handle.write(
                        f"Nov 26 10:00:{n:02d} sw1 sshd[{4000 + n}]: Failed password for root "
                        f"from 203.0.113.50 port {40000 + n} ssh2\n"
                    )
            follower.poll_once()
            logs = follower.snapshot()
        finally:
            follower.stop()
    findings = diagnose(Engine().snapshot(), logs=logs)
    (logins,) = [f for f in findings if f.rule == "logs.failed_logins"]
    assert logins.affected.id == "203.0.113.50" and logins.count == 12
    assert any("Failed password" in line for line in logins.evidence)


def test_conntrack_near_full_and_dropping() -> None:
    ct = ConntrackSnapshot(
        at=time.time(),
        count=96_000,
        max=100_000,
        use=0.96,
        level="critical",
        rates={"drop": 4.0, "early_drop": 0.0, "insert_failed": 0.0},
    )
    findings = diagnose(Engine().snapshot(), host=_host(conntrack=ct))
    (full,) = [f for f in findings if f.rule == "host.conntrack"]
    assert full.severity == CRITICAL and "96%" in full.title
    assert "drop 4.0/s" in "\n".join(full.evidence)
    calm = ConntrackSnapshot(at=time.time(), count=1000, max=100_000, use=0.01, level="ok")
    assert not [f for f in diagnose(Engine().snapshot(), host=_host(conntrack=calm))]


def test_log_partition_and_cpu() -> None:
    system = SystemSnapshot(
        at=time.time(),
        cpu_total=97.0,
        cores=2,
        load=(3.0, 2.5, 2.0),
        log_path="/var/log",
        disk_total=100 * 2**30,
        disk_used=96 * 2**30,
        disk_free=4 * 2**30,
        disk_percent=96.0,
    )
    host = _host(system=system, cpu_history=(95.0, 96.0, 99.0, 97.0))
    findings = {f.rule: f for f in diagnose(Engine().snapshot(), host=host)}
    assert findings["host.log_disk"].severity == CRITICAL
    assert findings["host.cpu"].severity == WARNING
    one_spike = _host(system=system, cpu_history=(10.0, 97.0))
    spike = {f.rule: f for f in diagnose(Engine().snapshot(), host=one_spike)}
    assert "host.cpu" not in spike or spike["host.cpu"].severity == NOTICE


def test_checklists_use_host_data_when_present() -> None:
    ct = ConntrackSnapshot(at=time.time(), count=99_000, max=100_000, use=0.99, level="critical")
    checklist = run_checklist("calls_fail", Engine().snapshot(), host=_host(conntrack=ct))
    statuses = {step.id: step.status for step in checklist.steps}
    assert statuses["conntrack"] == "fail"
    assert checklist.conclusion == checklist.failed[0].cause
