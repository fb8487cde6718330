"""The console ends with its terminal, and on SIGTERM, whatever it is doing (issue 16).

Real `vostui open` and `vostui` live (tcpdump on the loopback of a network namespace
this test makes) run in tmux; `tmux kill-session` hangs the terminal up as a dropped SSH
session does. Rounds cover the moments an operator can be at (loading, idle, on the
call screen, typing a filter, on the help screen), with and without a shell around the
command (`vostui open F; sleep 30`), and check that no vostui or tcpdump process of the
round is left 10 s later. Before the fix 2 rounds in 12 left a console behind, blocked
for ever in Textual's output thread (see vostui/ui/terminal_driver.py). It is a race:
run it repeatedly while changing the way out (`pytest --count` is not needed: the
rounds are many and their moments vary).

Processes are found under the tmux pane that the round started and stopped by PID.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ui.tmux_support import (
    alive,
    command_line,
    descendants,
    need,
    pane_pid,
    screen,
    tmux,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
GONE_AFTER_HANGUP = 10.0  # the bound: nothing left 10 s after the terminal went
GONE_AFTER_SIGTERM = 5.0


@dataclass(frozen=True)
class Round:
    mode: str  # "open" or "live"
    moment: str  # "load", "idle", "call", "filter", "help"
    shell: bool  # a shell around the command, as `vostui open F; sleep 30`

    @property
    def name(self) -> str:
        return f"{self.mode}-{self.moment}-{'shell' if self.shell else 'direct'}"


OPEN_MOMENTS = ("load", "idle", "call", "filter")
LIVE_MOMENTS = ("load", "idle", "filter", "help")
HANGUP_ROUNDS = [
    *(Round("open", m, s) for m in OPEN_MOMENTS for s in (False, True) for _ in range(2)),
    *(Round("live", m, s) for m in LIVE_MOMENTS for s in (False, True)),
]


@pytest.fixture(scope="module")
def namespace() -> Iterator[str]:
    """A network namespace with only its loopback up: live rounds capture there."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces and live capture need root")
    for tool in ("tmux", "tcpdump", "ip"):
        need(tool)
    name = f"vostui-exit-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True, timeout=30)
    try:
        subprocess.run(
            ["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"],
            check=True,
            capture_output=True,
            timeout=30,
        )
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30, check=False)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exit") / "config.toml"
    path.write_text('interface = "lo"\nsip_ports = [5060]\nrefresh = 0.25\nlog_files = []\n')
    return path


def command(one: Round, namespace: str, config: Path, tag: str) -> str:
    vostui = f"{shlex.quote(sys.executable)} -m vostui --config {shlex.quote(str(config))}"
    if one.mode == "live":
        # `ip netns exec` execs: the pane's process is vostui itself when there is no shell
        inner = f"ip netns exec {namespace} {vostui} -i lo live"
    elif one.moment == "load":  # at the recorded pace the demo capture loads for minutes
        inner = f"{vostui} open --realtime {FIXTURES / 'demo.pcap'}"
    elif one.moment == "call":
        inner = f"{vostui} open {FIXTURES / 'b2bua_calls.pcap'}"
    else:
        inner = f"{vostui} open {FIXTURES / 'failures.pcap'}"
    # pytest exports COLUMNS and LINES, and Textual would take them over the window size
    # The exit guard's forced way out (3 s) would hide a hang of the orderly one: with
    # a grace longer than the 10 s bound, only the orderly way passes (the forced one
    # has tests/test_exit_guard.py).
    setup = (
        f"cd {shlex.quote(str(ROOT))} && unset COLUMNS LINES && export VOSTUI_TAG={tag}"
        " VOSTUI_EXIT_GRACE=60"
    )
    if one.shell:
        return f"{setup} && NO_COLOR=1 {inner}; echo VOSTUI_EXIT=$?; sleep 30"
    return f"{setup} && exec {inner}"


@dataclass
class Console:
    session: str
    pids: list[int]  # vostui and its tcpdump, found under the pane

    def vostui(self) -> int:
        return next(p for p in self.pids if program(p) == "vostui")


def start(one: Round, namespace: str, config: Path, index: int) -> Console:
    """Start the round's console and bring it to its moment; return its processes."""
    session = f"vostui-exit-{os.getpid()}-{index}"
    tmux(
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        "120",
        "-y",
        "40",
        command(one, namespace, config, session),
    )
    ready = "running" if one.mode == "live" else "total"
    up = wait_for(lambda: "[1] Calls" in screen(session), 30)
    if one.moment != "load":
        up = up and wait_for(lambda: ready in screen(session), 30)
    if one.moment == "call":
        tmux("send-keys", "-t", session, "Enter")
        up = up and wait_for(lambda: "INVITE" in screen(session), 10)
    elif one.moment == "filter":
        tmux("send-keys", "-t", session, "/", "4", "8")
        time.sleep(0.3)
    elif one.moment == "help":
        tmux("send-keys", "-t", session, "?")
        time.sleep(0.3)
    pane = pane_pid(session)
    pids = [p for p in (pane, *descendants(pane)) if _ours(p)]
    console = Console(session, pids)
    if not up or not any(program(p) == "vostui" for p in pids):
        text = screen(session)
        stop(console)
        pytest.fail(f"{one.name}: the console did not reach its moment:\n{text}")
    if one.mode == "live":
        assert any(program(p) == "tcpdump" for p in pids), (one.name, pids)
    return console


def program(pid: int) -> str:
    """ "vostui" for a vostui process (python -m vostui ...), "tcpdump", else ""."""
    argv = command_line(pid).split()
    if not argv:
        return ""
    first = os.path.basename(argv[0])
    if first == "tcpdump":
        return "tcpdump"
    if first == "vostui" or (first.startswith("python") and "vostui" in argv[1:3]):
        return "vostui"
    return ""


def _ours(pid: int) -> bool:
    return program(pid) != ""


def survivors(console: Console, seconds: float) -> list[int]:
    wait_for(lambda: not any(alive(p) for p in console.pids), seconds)
    return [p for p in console.pids if alive(p)]


def stop(console: Console) -> None:
    """After a failure: end what the round started, by PID, and its window."""
    for pid in console.pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    tmux("kill-session", "-t", console.session)


def stack(pid: int) -> str:
    """The Python stacks of a process left behind, for the failure message."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    try:
        done = subprocess.run(
            [spy, "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired):
        return "(py-spy not available)"
    return done.stdout[-3000:]


def hang_up_round(args: tuple[int, Round, str, Path]) -> str:
    index, one, namespace, config = args
    console = start(one, namespace, config, index)
    tmux("kill-session", "-t", console.session)  # the SSH session drops
    left = survivors(console, GONE_AFTER_HANGUP)
    if not left:
        return ""
    report = f"{one.name}: left running {[command_line(p) for p in left]}\n{stack(left[0])}"
    stop(console)
    return report


@pytest.mark.slow
@pytest.mark.root
def test_a_hung_up_terminal_leaves_no_vostui_or_tcpdump(namespace: str, config: Path) -> None:
    rounds = [(i, one, namespace, config) for i, one in enumerate(HANGUP_ROUNDS)]
    assert len(rounds) >= 20
    with ThreadPoolExecutor(max_workers=3) as pool:
        reports = [r for r in pool.map(hang_up_round, rounds) if r]
    assert reports == [], "\n\n".join(reports)


SIGTERM_ROUNDS = [
    Round("open", "load", True),
    Round("open", "idle", False),
    Round("open", "call", True),
    Round("open", "filter", False),
    Round("live", "idle", True),
    Round("live", "help", False),
]


@pytest.mark.slow
@pytest.mark.root
@pytest.mark.parametrize("one", SIGTERM_ROUNDS, ids=[r.name for r in SIGTERM_ROUNDS])
def test_sigterm_ends_the_console_in_every_state(one: Round, namespace: str, config: Path) -> None:
    console = start(one, namespace, config, 100 + SIGTERM_ROUNDS.index(one))
    try:
        os.kill(console.vostui(), signal.SIGTERM)
        left = survivors(console, GONE_AFTER_SIGTERM)
        assert left == [], [command_line(p) for p in left]
        if one.shell:  # the shell saw the exit status of a SIGTERM: 128 + 15
            assert wait_for(lambda: "VOSTUI_EXIT=143" in screen(console.session), 5), screen(
                console.session
            )
    finally:
        stop(console)


@pytest.mark.slow
@pytest.mark.root
def test_kill_9_takes_tcpdump_with_it(namespace: str, config: Path) -> None:
    """vostui killed with -9 runs no exit path: tcpdump goes by PR_SET_PDEATHSIG. A shell
    around it keeps the terminal up (vostui alone in the pane would take the terminal
    with it, and the hang-up would end tcpdump whatever vostui did)."""
    console = start(Round("live", "idle", True), namespace, config, 200)
    try:
        os.kill(console.vostui(), signal.SIGKILL)
        left = survivors(console, GONE_AFTER_SIGTERM)
        assert left == [], [command_line(p) for p in left]
    finally:
        stop(console)


@pytest.mark.parametrize("args", [["open", str(FIXTURES / "failures.pcap")], ["demo"], ["live"]])
def test_no_terminal_on_stdin_is_a_one_line_error_not_a_console(args: list[str]) -> None:
    """With no keyboard nobody could quit it (and Textual spun on end-of-input)."""
    done = subprocess.run(
        [sys.executable, "-m", "vostui", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 2, done
    assert "needs a terminal" in done.stderr and len(done.stderr.strip().splitlines()) == 1
