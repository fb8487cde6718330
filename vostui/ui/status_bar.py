"""Status bar: where packets come from and how healthy the capture and vostui are."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import psutil
from textual.content import Content
from textual.widgets import Static

from vostui import speedups
from vostui.text import clean_line
from vostui.ui.format import BAD, QUIET, WARN, count, rate


class SourceStatusLike(Protocol):
    """The fields of vostui.pipeline.SourceStatus that the UI reads."""

    # properties: the real SourceStatus is a frozen dataclass (read-only fields)
    @property
    def label(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def problem(self) -> str: ...
    @property
    def fix(self) -> str: ...
    @property
    def packets(self) -> int: ...
    @property
    def sip_messages(self) -> int: ...
    @property
    def packets_per_s(self) -> float: ...
    @property
    def sip_per_s(self) -> float: ...
    @property
    def kernel_drops(self) -> int | None: ...
    @property
    def malformed(self) -> int: ...
    @property
    def evicted(self) -> int: ...
    @property
    def progress(self) -> float | None: ...
    @property
    def warnings(self) -> tuple[str, ...]: ...


def cut_short(warnings: tuple[str, ...]) -> bool:
    """Whether a capture file's warnings say it ends early (truncated, damaged)."""
    return any(
        word in warning for warning in warnings for word in ("truncated", "ends early", "damaged")
    )


GREW_SECONDS = 60.0  # the drop count stays in the problem tone this long after it grew

# the per-message path (vostui.speedups.path_name()): compact at 80 columns
PATH_SHORT = {"compiled path": "C", "pure Python": "py"}
PATH_WIDE = {"compiled path": "compiled", "pure Python": "pure Python"}


def drop_count(value: int | None) -> str:
    """The kernel's drop count: exact (1,234) while it fits, then compact (123.4k)."""
    if value is None:
        return "?"
    return f"{value:,}" if value < 100_000 else count(value)


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    def __init__(
        self,
        *,
        id: str | None = "status",
        process: bool = True,
        path: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`path`: which per-message path to name (default the one that runs; tests pin it)."""
        super().__init__(Content("starting"), id=id)
        self._process = psutil.Process() if process else None
        if self._process is not None:
            self._process.cpu_percent(None)  # the first call starts the measurement
        self.path = path if path is not None else speedups.path_name()
        self._clock = clock
        self._drops_seen: int | None = None
        self._drops_grew: float | None = None  # when the kernel's count last grew (clock)

    def show(self, status: SourceStatusLike) -> None:
        wide = self.size.width >= 110
        state = status.state
        if status.progress is not None and state == "running":
            state = f"{status.progress * 100:.0f}%"
        elif state == "running" and not wide:
            state = ""  # the figures beside it say so; 80 columns need the room
        drops = status.kernel_drops
        drop_text = drop_count(drops) if status.progress is None else "-"  # files: no kernel drops
        sep = ("  │ " if wide else " │ ", QUIET)
        parts: list[tuple[str, str]] = [
            (clean_line(status.label, 60 if wide else 20), "bold"),
            (f" {clean_line(state, 20)}" if state else "", BAD if status.state == "failed" else ""),
        ]
        if status.warnings:  # a capture file cut short: what is shown ends where it ends
            many = len(status.warnings)
            mark = f"{many} warning{'s' if many > 1 else ''}"
            parts.append((f" ⚠ {'TRUNCATED' if cut_short(status.warnings) else mark}", WARN))
        parts += [
            sep,
            (f"{rate(status.packets_per_s)} pkt/s {rate(status.sip_per_s)} SIP/s", ""),
            sep,
            ("drops " if wide else "drop ", ""),
            (drop_text, self._drops_tone(drops)),
        ]
        # narrow: a zero says nothing, so only what is not zero takes room
        for value, long, short in (
            (status.malformed, "  malformed ", " malf "),
            (status.evicted, "  evicted ", " evict "),
        ):
            if wide or value:
                parts += [(long if wide else short, ""), (count(value), WARN if value else "")]
        parts += [sep, (self._own(wide), "")]
        self.update(Content.assemble(*parts))

    def _drops_tone(self, drops: int | None) -> str:
        """The problem tone while the kernel's count grows (and a minute after), a
        warning tone for drops that stopped: the capture missed packets earlier."""
        if not drops:
            self._drops_seen = drops
            return ""
        now = self._clock()
        if self._drops_seen is None or drops > self._drops_seen:
            self._drops_grew = now
        self._drops_seen = drops
        if self._drops_grew is not None and now - self._drops_grew <= GREW_SECONDS:
            return BAD
        return WARN

    def _own(self, wide: bool) -> str:
        """Which path runs, vostui's own CPU and memory: the console must not be what
        loads the server."""
        path = (PATH_WIDE if wide else PATH_SHORT).get(self.path, self.path)
        if self._process is None:
            return f"vostui {path} -"
        cpu = self._process.cpu_percent(None)
        rss = self._process.memory_info().rss / (1024 * 1024)
        if wide:
            return f"vostui {path} cpu {cpu:.0f}% mem {rss:.0f}M"
        return f"vostui {path} {cpu:.0f}% {rss:.0f}M"
