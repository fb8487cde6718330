"""End to end: the real `vostui` live in tmux while SIPp places calls on loopback.

The test reads the screen as an operator would (tmux capture-pane), finds the calls
in the calls pane and INVITE ... BYE in the ladder, quits with q, and checks that
neither vostui nor its tcpdump is left running. A second run hangs up the terminal
(tmux kill-session sends SIGHUP, as a dropped SSH session does). Traffic stays on
127.0.0.53/54, ports 5094/5095; every child is bounded in time and stopped by PID.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.tmux_support import alive, children, need, screen, tmux, wait_for

ROOT = Path(__file__).resolve().parents[2]
UAS = ("127.0.0.54", 5094)
UAC = ("127.0.0.53", 5095)

pytestmark = [pytest.mark.slow, pytest.mark.root]


@pytest.fixture
def tools() -> None:
    if os.geteuid() != 0:
        pytest.skip("live capture needs root")
    for tool in ("tmux", "sipp", "tcpdump"):
        need(tool)


@pytest.fixture
def console(tools: None, tmp_path: Path) -> Iterator[tuple[str, int, int]]:
    """vostui live on lo in a 160x48 tmux window: (session, vostui pid, tcpdump pid)."""
    config = tmp_path / "config.toml"
    config.write_text(f'interface = "lo"\nsip_ports = [{UAS[1]}]\nrefresh = 0.25\n')
    session = f"vostui-e2e-{os.getpid()}"
    # pytest exports COLUMNS and LINES, and Textual would take them over the window size
    command = (
        f"cd {ROOT} && unset COLUMNS LINES"
        f" && {sys.executable} -m vostui --config {config} -i lo live;"
        " echo VOSTUI_EXIT=$?; sleep 30"
    )
    tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "48", command)
    try:
        assert wait_for(lambda: "live: lo running" in screen(session), 20), screen(session)
        shell = int(tmux("display", "-p", "-t", session, "#{pane_pid}").strip())
        (vostui,) = children(shell, "python3") or children(shell, "python")
        (tcpdump,) = children(vostui, "tcpdump")
        yield session, vostui, tcpdump
    finally:
        tmux("kill-session", "-t", session)


def place_calls(count: int) -> None:
    uas = subprocess.Popen(
        ["sipp", "-sn", "uas", "-i", UAS[0], "-p", str(UAS[1]), "-nostdin", "-timeout", "60s"],
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
                UAC[0],
                "-p",
                str(UAC[1]),
                f"{UAS[0]}:{UAS[1]}",
                "-m",
                str(count),
                "-r",
                "2",
                "-d",
                "2000",
                "-nostdin",
                "-timeout",
                "40s",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
            check=True,
        )
    finally:
        uas.terminate()
        try:
            uas.wait(5)
        except subprocess.TimeoutExpired:
            uas.kill()
            uas.wait(5)


def test_live_calls_appear_and_quit_leaves_nothing_running(console: tuple[str, int, int]) -> None:
    session, vostui, tcpdump = console
    place_calls(3)
    assert wait_for(lambda: "0 active, 3 total" in screen(session), 15), screen(session)
    text = screen(session)
    assert text.count("service") >= 3 and "completed" in text
    tmux("send-keys", "-t", session, "Enter")
    assert wait_for(lambda: "|--BYE" in screen(session), 5), screen(session)
    ladder = screen(session)
    assert "|--INVITE SDP" in ladder and "|<-200 OK SDP" in ladder and "|--ACK" in ladder
    assert ladder.index("|--INVITE") < ladder.index("|--BYE")
    assert f"{UAC[0]}:{UAC[1]}" in ladder and f"{UAS[0]}:{UAS[1]}" in ladder
    tmux("send-keys", "-t", session, "q")  # back to the list, as in sngrep
    assert wait_for(lambda: "[1] Calls" in screen(session), 5), screen(session)
    assert "VOSTUI_EXIT" not in screen(session)
    tmux("send-keys", "-t", session, "q")  # the dashboard's q quits
    assert wait_for(lambda: "VOSTUI_EXIT=0" in screen(session), 10), screen(session)
    assert wait_for(lambda: not alive(tcpdump) and not alive(vostui), 5)


def test_a_hung_up_terminal_stops_vostui_and_tcpdump(console: tuple[str, int, int]) -> None:
    session, vostui, tcpdump = console
    tmux("kill-session", "-t", session)  # SIGHUP to the pane, as when SSH drops
    assert wait_for(lambda: not alive(tcpdump) and not alive(vostui), 10)
