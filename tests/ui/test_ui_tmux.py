"""The real `vostui open` in a real terminal (tmux), read as an operator reads it:
NO_COLOR sends no colour at all, input that is not a capture exits like `analyze`
(one line, exit 2) before the console takes the screen, and a capture cut short is
marked in the status bar."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.ui.tmux_support import tmux, wait_for

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SGR = re.compile(r"\x1b\[([0-9;:]*)m")


def colours(screen: str) -> list[str]:
    """The colour codes among the screen's SGR escapes: 30-38, 40-48, 90-97, 100-107
    (38;5;n and 38;2;r;g;b included); 39 and 49 (the terminal's default) are not."""
    found = []
    for params in SGR.findall(screen):
        codes = [c for c in re.split("[;:]", params) if c]
        index = 0
        while index < len(codes):
            code = int(codes[index])
            if code in (38, 48):
                found.append(";".join(codes[index : index + 5]))
                index += 3 if index + 1 < len(codes) and codes[index + 1] == "5" else 5
                continue
            if 30 <= code <= 37 or 40 <= code <= 47 or 90 <= code <= 97 or 100 <= code <= 107:
                found.append(str(code))
            index += 1
    return found


@pytest.fixture
def terminal() -> Iterator[Callable[[str, str], str]]:
    """Starts `vostui <args>` in a 100x30 tmux window; returns the session name."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (install.sh --dev installs it)")
    sessions: list[str] = []

    def start(args: str, env: str = "") -> str:
        session = f"vostui-t-{os.getpid()}-{len(sessions)}"
        sessions.append(session)
        # pytest exports COLUMNS and LINES, and Textual would take them over the window size
        command = (
            f"cd {ROOT} && unset COLUMNS LINES && {env} PYTHONPATH={ROOT}"
            f" {sys.executable} -m vostui {args}; echo VOSTUI_EXIT=$?; sleep 30"
        )
        tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", command)
        return session

    yield start
    for session in sessions:
        tmux("kill-session", "-t", session)


def test_no_color_sends_no_colour_at_all(terminal: Callable[[str, str], str]) -> None:
    session = terminal(f"open {FIXTURES / 'failures.pcap'}", "NO_COLOR=1")
    assert wait_for(lambda: "finished" in tmux("capture-pane", "-p", "-t", session), 20)
    for keys in ((), ("Enter",), ("q", "slash", "4", "8")):  # list, call, filter row
        for key in keys:
            tmux("send-keys", "-t", session, key)
        time.sleep(1.0)
        shown = tmux("capture-pane", "-p", "-e", "-t", session)
        assert "VOSTUI_EXIT" not in shown
        sent = colours(shown)
        assert not sent, f"colour escapes with NO_COLOR: {sorted(set(sent))[:5]}"
        if "slash" not in keys:  # (the filter row's cursor blinks)
            assert "\x1b[1;7m" in shown  # the cursor bar: reverse, not a colour
    # without NO_COLOR the same screen has colours (the check above can see them)
    coloured = terminal(f"open {FIXTURES / 'failures.pcap'}", "")
    assert wait_for(lambda: "finished" in tmux("capture-pane", "-p", "-t", coloured), 20)
    assert colours(tmux("capture-pane", "-p", "-e", "-t", coloured))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello, this is not a capture\n", "not a pcap or pcapng file"),
        (b"", "empty file, no capture header"),
        (b"abc", "not a pcap or pcapng file"),
    ],
)
def test_open_on_bad_input_exits_like_analyze(
    content: bytes, message: str, tmp_path: Path, terminal: Callable[[str, str], str]
) -> None:
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(content)
    session = terminal(f"open {bad}", "")
    assert wait_for(lambda: "VOSTUI_EXIT" in tmux("capture-pane", "-p", "-t", session), 20)
    shown = tmux("capture-pane", "-p", "-t", session).strip().splitlines()
    assert shown[-1] == "VOSTUI_EXIT=2"
    assert shown[-2] == f"vostui: bad.pcap: {message}" or shown[-2].startswith(
        f"vostui: bad.pcap: {message}"
    )
    assert len(shown) == 2  # one line, no full-screen box
    analyze = subprocess.run(
        [sys.executable, "-m", "vostui", "analyze", str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert analyze.returncode == 2 and analyze.stderr.strip() == shown[-2]


def test_a_truncated_capture_is_marked_in_the_status_bar(
    tmp_path: Path, terminal: Callable[[str, str], str]
) -> None:
    cut = tmp_path / "cut.pcap"
    cut.write_bytes((FIXTURES / "failures.pcap").read_bytes()[:3000])
    session = terminal(f"open {cut}", "")
    assert wait_for(lambda: "TRUNCATED" in tmux("capture-pane", "-p", "-t", session), 20)
    shown = tmux("capture-pane", "-p", "-t", session)
    status = next(line for line in shown.splitlines() if "cut.pcap finished" in line)
    assert "⚠ TRUNCATED" in status
    assert "file truncated at byte" in shown  # and said in full, once
