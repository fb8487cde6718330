"""The console's Textual driver on a terminal that hangs up (vostui/ui/terminal_driver.py).

These are the mechanics of the issue 16 hang, each checked on its own with a real pty;
tests/ui/test_ui_exit.py checks the whole console in tmux.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Iterator

import pytest
from textual.drivers._writer_thread import MAX_QUEUED_WRITES, WriterThread

from vostui.ui.terminal_driver import ConsoleDriver, _TerminalFile


class FakeApp:
    def __init__(self) -> None:
        self.lost = 0

    def terminal_lost(self) -> None:
        self.lost += 1


@pytest.fixture
def hung_up_stream() -> Iterator[object]:
    """A text stream on a pty whose other end is closed: every write fails with EIO."""
    master, slave = os.openpty()
    os.close(master)
    stream = os.fdopen(slave, "w")
    try:
        yield stream
    finally:
        try:
            stream.close()
        except OSError:
            pass


@pytest.fixture
def driver() -> Iterator[ConsoleDriver]:
    saved = {s: signal.getsignal(s) for s in (signal.SIGTSTP, signal.SIGCONT)}
    app = FakeApp()

    async def build() -> ConsoleDriver:  # Textual's driver wants a running loop to start
        return ConsoleDriver(app, debug=False, mouse=False, size=(80, 24))  # type: ignore[arg-type]

    made = asyncio.run(build())
    try:
        yield made
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def test_sigcont_without_a_suspend_does_not_restart_the_terminal(
    driver: ConsoleDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    resumed: list[bool] = []
    monkeypatch.setattr(driver, "resume_application_mode", lambda: resumed.append(True))
    driver._sigcont_application()  # what a hang-up sends, with SIGHUP
    assert resumed == []
    driver._must_signal_resume = True  # set by a Ctrl+Z suspend
    driver._sigcont_application()
    assert resumed == [True]


def test_a_dead_terminal_is_reported_once_and_never_raises(hung_up_stream: object) -> None:
    app = FakeApp()
    terminal = _TerminalFile(hung_up_stream, app.terminal_lost)  # type: ignore[arg-type]
    for _ in range(3):
        terminal.write("x" * 10_000)
        terminal.flush()
    assert terminal.gone and app.lost == 1
    assert not terminal.isatty()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_close_returns_when_the_terminal_died_with_a_full_queue(
    driver: ConsoleDriver, hung_up_stream: object
) -> None:
    """The issue-16 hang: output thread gone, its queue full, close() waiting for ever."""
    dead = WriterThread(hung_up_stream)  # type: ignore[arg-type]
    dead.start()
    dead.write("first")  # Textual's own thread dies on this EIO
    dead.join(5)
    assert not dead.is_alive()
    for n in range(MAX_QUEUED_WRITES):
        dead._queue.put(f"frame {n}")
    driver._writer_thread = dead
    finished = threading.Event()

    def shut() -> None:
        driver.write("one more frame")
        driver.close()
        finished.set()

    threading.Thread(target=shut, daemon=True).start()
    assert finished.wait(15), "close() hung on the full queue of a dead output thread"


def test_the_output_thread_keeps_emptying_its_queue_after_the_terminal_died(
    driver: ConsoleDriver, hung_up_stream: object
) -> None:
    app = FakeApp()
    writer = WriterThread(_TerminalFile(hung_up_stream, app.terminal_lost))  # type: ignore[arg-type]
    writer.start()
    driver._writer_thread = writer
    for n in range(MAX_QUEUED_WRITES * 4):
        driver.write(f"frame {n}")
    driver.close()
    assert not writer.is_alive() and app.lost == 1
