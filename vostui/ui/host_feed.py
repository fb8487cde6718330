"""The host monitor and the log follower as the console sees them.

Both run in their own threads (vostui/host); the app owns one `HostFeed`, starts it on
mount, stops it on every way out, and on each refresh hands the latest snapshots to the
host panes that are on screen (`draw`). A pane redraws only when the part it shows
changed, so the cost follows the screen, not the host.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from vostui.host.logs import LogSnapshot
from vostui.host.monitor import HostSnapshot
from vostui.text import clean
from vostui.ui.format import ACCENT, BAD, QUIET
from vostui.ui.pane import Pane


class HostMonitorLike(Protocol):
    """What the console needs from vostui.host.monitor.HostMonitor."""

    def start(self) -> None: ...

    def stop(self, timeout: float = ...) -> None: ...

    def snapshot(self) -> HostSnapshot: ...


class LogFollowerLike(Protocol):
    """What the console needs from vostui.host.logs.LogFollower."""

    def start(self) -> None: ...

    def stop(self, timeout: float = ...) -> None: ...

    def snapshot(self) -> LogSnapshot: ...


class HostPane(Pane):
    """A dashboard pane fed from the host monitor or the log follower; Enter opens its screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_screen", "Open", id="host.open"),
    ]

    def show_host(self, host: HostSnapshot | None, logs: LogSnapshot | None) -> None:
        raise NotImplementedError

    def open_screen(self) -> None:
        raise NotImplementedError

    def action_open_screen(self) -> None:
        self.open_screen()

    def host_label(self) -> str:
        """Whose figures these are, when it is not obvious (a file opened elsewhere)."""
        feed = getattr(self.app, "host_feed", None)
        return str(getattr(feed, "label", ""))

    def swap(self, first: Widget, second: Widget, show_first: bool) -> None:
        """Show one of two bodies; focus moves along when it was on the one hidden."""
        shown, hidden = (first, second) if show_first else (second, first)
        if shown.display and not hidden.display:
            return
        had_focus = hidden.has_focus
        shown.display = True
        hidden.display = False
        shown.can_focus = True
        hidden.can_focus = False
        if had_focus:
            shown.focus()


class HostView(Screen[None]):
    """A full screen fed from the host monitor or the log follower."""

    def show_host(self, host: HostSnapshot | None, logs: LogSnapshot | None) -> None:
        raise NotImplementedError


class HostFeed:
    """Starts, stops and reads the host monitor and the log follower (either may be None)."""

    def __init__(
        self,
        monitor: HostMonitorLike | None,
        follower: LogFollowerLike | None,
        *,
        label: str = "",
    ) -> None:
        self.monitor = monitor
        self.follower = follower
        self.label = label  # "this host" when the calls come from elsewhere (files, demo)
        self.problems: list[str] = []
        self._started = False
        self._stopped = False

    def start(self) -> list[str]:
        """Start both; what failed to start is returned (and kept) as text, never raised."""
        if self._started:
            return self.problems
        self._started = True
        for name, source in (("host monitor", self.monitor), ("log follower", self.follower)):
            if source is None:
                continue
            try:
                source.start()
            except Exception as exc:  # the console runs on without this source
                self.problems.append(f"{name} did not start: {exc}")
        return self.problems

    def stop(self) -> None:
        """Stop both once; safe from every exit path."""
        if self._stopped:
            return
        self._stopped = True
        for source in (self.monitor, self.follower):
            if source is None:
                continue
            try:
                source.stop(1.0)
            except Exception:  # leaving must not fail because stopping did
                continue

    def host(self) -> HostSnapshot | None:
        return self.monitor.snapshot() if self.monitor is not None else None

    def logs(self) -> LogSnapshot | None:
        return self.follower.snapshot() if self.follower is not None else None

    def draw(self, screen: Screen[object]) -> None:
        """Hand the latest snapshots to the screen on top, or to its visible host panes."""
        if self.monitor is None and self.follower is None:
            return
        if isinstance(screen, HostView):
            screen.show_host(self.host(), self.logs())
            return
        panes = [pane for pane in screen.query(HostPane) if _visible(screen, pane)]
        if not panes:
            return
        host, logs = self.host(), self.logs()
        for pane in panes:
            pane.show_host(host, logs)


def _visible(screen: Screen[object], pane: Pane) -> bool:
    if screen.maximized is not None and screen.maximized is not pane:
        return False
    return bool(pane.display)


# --- text shared by the host panes and screens ------------------------------------------


def problem_content(what: str, problem: str, fix: str) -> Content:
    """Why a collector could not run and what to do: literal text, never a traceback."""
    parts: list[tuple[str, str]] = [
        (f"{what}: ", QUIET),
        (clean(problem, 500), BAD),
    ]
    if fix:
        parts += [("\nfix: ", QUIET), (clean(fix, 800), ACCENT)]
    return Content.assemble(*parts)


Parts = list[tuple[str, str]]  # (text, style) pairs of one line


def join_lines(lines: Sequence[Parts]) -> Content:
    """One Content of several lines of parts; empty lines are left out."""
    parts: Parts = []
    for line in (line for line in lines if line):
        if parts:
            parts.append(("\n", ""))
        parts += line
    return Content.assemble(*parts)


class StaticHostPane(HostPane):
    """A host pane drawn as one text body, redrawn when its part of the snapshot or the
    width changes. Subclasses name the body (`BODY`), what they watch and how they draw."""

    BODY: ClassVar[str] = ""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id or self.BODY, classes=classes)
        self._host: HostSnapshot | None = None
        self._shown: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        body = Static(not_running(self.BODY), id=f"{self.BODY}-body")
        body.can_focus = True
        yield body

    def watched(self, host: HostSnapshot) -> tuple[object, ...]:
        raise NotImplementedError

    def content(self, host: HostSnapshot, width: int) -> Content:
        raise NotImplementedError

    def note(self, host: HostSnapshot) -> str:
        return ""

    def show_host(self, host: HostSnapshot | None, logs: LogSnapshot | None) -> None:
        if host is None:
            return
        key = (*self.watched(host), self.size.width)
        if key == self._shown:
            return
        self._shown = key
        self._host = host
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        host = self._host
        if host is None:
            return
        body = self.query_one(f"#{self.BODY}-body", Static)
        body.update(self.content(host, max(1, body.content_region.width)))
        label = self.host_label()
        self.set_note(" · ".join(part for part in (label, self.note(host)) if part))

    def open_screen(self) -> None:
        from vostui.ui.host_screens import open_host_screen

        open_host_screen(self.app, self.BODY)


def not_running(what: str) -> Content:
    return Content.assemble((f"{what}: not watched in this session", QUIET))


def waiting(what: str) -> Content:
    return Content.assemble((f"{what}: waiting for the first reading…", QUIET))


def size(value: float | None) -> str:
    """Bytes as 512B, 4.0K, 12.3M, 1.2G (powers of 1024, as `free -h`)."""
    if value is None:
        return "-"
    for unit in ("B", "K", "M", "G", "T"):
        if abs(value) < 1024 or unit == "T":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    return f"{value:.1f}T"


def per_second(value: float | None) -> str:
    """A rate: 0, 0.4, 12, 3.4k; "-" before the second reading."""
    if value is None:
        return "-"
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k"
    if value >= 10 or value == 0:
        return f"{value:.0f}"
    return f"{value:.1f}"


def grouped(value: int | None) -> str:
    """812,344: full counts where the exact figure matters (conntrack)."""
    return "?" if value is None else f"{value:,}"
