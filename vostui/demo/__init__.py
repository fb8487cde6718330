"""`vostui demo`: recorded traffic and logs, replayed in the present, in a loop.

The pipeline replays `demo.pcap` with its packet times moved to now (see
`Pipeline.shift`). `DemoLogs` does the same for the recorded log files: it writes each
line into a private directory when its time comes, its timestamp rewritten to the
moment it is written and, from the second round on, its Call-IDs marked with the
round (`~2`) as the pipeline marks the packets'. The log pane follows that directory
like any other log files, so the demo exercises the real tail, rotation and all.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Protocol

from vostui.host.logs.identifiers import extract_call_ids
from vostui.host.logs.timestamps import parse_timestamp

LOG_NAMES = ("sipproxy.log", "mbx.log", "messages", "secure")
_ISO_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{3})?")
_SYSLOG_STAMP = re.compile(r"^[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}")


def files() -> tuple[str, str, str]:
    """(capture, config, logs directory) shipped in the package."""
    here = resources.files("vostui") / "demo"
    return str(here / "demo.pcap"), str(here / "demo-config.toml"), str(here / "logs")


class Replay(Protocol):
    """What the log replay needs of the pipeline: its clock shift and current round."""

    loop_round: int

    def shift(self, loop_round: int) -> float: ...


@dataclass(frozen=True, slots=True)
class _Line:
    ts: float
    name: str
    text: str
    call_ids: tuple[str, ...]


def _stamp(text: str, at: float) -> str:
    """The line with its own timestamp replaced by `at` (same form, local time)."""
    local = time.localtime(at)
    millis = f"{int(at * 1000) % 1000:03d}"
    match = _ISO_STAMP.search(text[:64])
    if match is not None:
        has_millis = "." in match.group()
        new = time.strftime("%Y-%m-%d %H:%M:%S", local) + (f".{millis}" if has_millis else "")
        return text[: match.start()] + new + text[match.end() :]
    match = _SYSLOG_STAMP.match(text)
    if match is not None:
        new = (
            time.strftime("%b ", local) + f"{local.tm_mday:2d}" + time.strftime(" %H:%M:%S", local)
        )
        return new + text[match.end() :]
    return text


def load_lines(directory: str) -> list[_Line]:
    now = time.time()
    lines: list[_Line] = []
    for name in LOG_NAMES:
        path = Path(directory) / name
        if not path.is_file():
            continue
        last = 0.0
        for text in path.read_text(encoding="utf-8", errors="replace").splitlines():
            ts = parse_timestamp(text, now) or last
            last = ts
            lines.append(_Line(ts, name, text, extract_call_ids(text)))
    lines.sort(key=lambda line: line.ts)
    return lines


class DemoLogs:
    """Writes the recorded log lines into `directory` at the replay's pace."""

    def __init__(self, replay: Replay, source: str | None = None) -> None:
        self.replay = replay
        self.source = source or files()[2]
        self.directory = tempfile.mkdtemp(prefix="vostui-demo-logs-")
        self.paths = tuple(os.path.join(self.directory, name) for name in LOG_NAMES)
        for path in self.paths:
            Path(path).touch()
        self.lines = load_lines(self.source)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="vostui-demo-logs", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout=2)
        shutil.rmtree(self.directory, ignore_errors=True)

    def _run(self) -> None:
        loop_round = -1
        while not self.stop_event.is_set():
            if not self.lines:
                return
            # wait for the pipeline to start (its first packet sets the shift) and
            # then for each new round
            while (
                self.replay.loop_round == loop_round or not self.replay.shift(0)
            ) and not self.stop_event.wait(0.2):
                pass
            loop_round = self.replay.loop_round
            self._play(loop_round)

    def _play(self, loop_round: int) -> None:
        shift = self.replay.shift(loop_round)
        for line in self.lines:
            at = line.ts + shift
            while at > time.time():
                if self.stop_event.wait(min(0.2, at - time.time())):
                    return
            text = _stamp(line.text, at)
            if loop_round:
                for call_id in line.call_ids:
                    text = text.replace(call_id, f"{call_id}~{loop_round}")
            # a few lines a second: open, append, close, as a logger that reopens would
            with open(os.path.join(self.directory, line.name), "a", encoding="utf-8") as handle:
                handle.write(text + "\n")
