"""Logs pane (6): the tail of the followed log files, like a pager.

The view follows the newest line until the operator moves up; then it stays on what
they are reading and counts "+N new" until End (or moving down to the last line)
resumes. `LogModel` keeps the lines to show incrementally (each refresh looks only at
the lines that arrived since the last one), and `LogView` draws only the lines on screen
(Line API), so a flood of log lines costs the console what fits on the screen.
Lines come cleaned from vostui/host/logs and are drawn as segments, never as markup.
"""

from __future__ import annotations

import bisect
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from vostui.host.logs import LogFilter, LogLine, LogSearch, LogSnapshot, lines_for
from vostui.host.logs.tail import FOLLOWING, LogFileStatus
from vostui.host.monitor import HostSnapshot
from vostui.text import clean_line
from vostui.ui.format import fit, foreground
from vostui.ui.host_feed import HostPane

LABEL_WIDTH = 10
# The line's own stamp at its head: the time column shows it already, in less room.
_OWN_STAMP = re.compile(
    r"(?:<[0-9]{1,3}>)?\[?(?:[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(?:[.,][0-9]{1,9})?(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
    r"|[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?)\]?[ \t]+"
)


def message_start(line: LogLine) -> int:
    """Where the text after the line's own timestamp starts (0 when it has none)."""
    if not line.ts_from_line:
        return 0
    match = _OWN_STAMP.match(line.text)
    return match.end() if match is not None else 0


def file_label(path: str) -> str:
    """A short name for a followed file: `sipproxy`, `messages`, `secure`."""
    name = os.path.basename(path.rstrip("/")) or path
    for suffix in (".log", ".txt"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
    return clean_line(name, 64)


def arrival_key(line: LogLine) -> Any:
    return line.seq


def time_key(line: LogLine) -> Any:
    return (line.ts, line.seq)


class LogModel:
    """The lines one view shows: filtered, in arrival or time order, kept up incrementally."""

    def __init__(self, *, by_time: bool = False) -> None:
        self.by_time = by_time
        self.file: str | None = None  # one file only, or every file
        self.filter = LogFilter()
        self.words: tuple[str, ...] = ()  # plain words, each must appear (any case)
        self.related: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] | None = None
        self.lines: list[LogLine] = []
        self.added = 0  # lines appended since the last reset: the view counts "+N new"
        self.version = -1
        self._last_seq = 0
        self._dropped = -1
        self._shuffled = False  # by time, some line came before an earlier arrival

    @property
    def key(self) -> Callable[[LogLine], Any]:
        return time_key if self.by_time else arrival_key

    @property
    def narrowed(self) -> bool:
        return bool(self.file or self.filter.active or self.words or self.related)

    def reset(self) -> None:
        """Forget what was taken: the next update rebuilds from the whole buffer."""
        self.lines = []
        self.version = -1
        self._last_seq = 0
        self._dropped = -1
        self._shuffled = False

    def update(self, snapshot: LogSnapshot) -> int | None:
        """Take the lines that arrived since last time; None if the snapshot is the same."""
        if snapshot.version == self.version:
            return None
        self.version = snapshot.version
        first = snapshot.lines[0].seq if snapshot.lines else self._last_seq + 1
        if snapshot.dropped != self._dropped:
            self._dropped = snapshot.dropped
            self._trim(first)
        new = snapshot.since(self._last_seq)
        if not new:
            return 0
        self._last_seq = new[-1].seq
        taken = self._choose(new)
        lines = self.lines
        key = self.key
        if len(taken) > 256:
            # a big batch (a flood, or the whole buffer after a reset): sort the batch;
            # it nearly always goes after what is there, else one sort of everything
            batch = sorted(taken, key=key) if self.by_time else list(taken)
            if self.by_time and any(a is not b for a, b in zip(batch, taken, strict=True)):
                self._shuffled = True
            if lines and self.by_time and key(batch[0]) < key(lines[-1]):
                lines.extend(batch)
                lines.sort(key=key)
                self._shuffled = True
            else:
                lines.extend(batch)
        else:
            for line in taken:
                if not lines or key(line) >= key(lines[-1]):
                    lines.append(line)
                else:  # a line stamped earlier than the last shown: put it in its place
                    bisect.insort(lines, line, key=key)
                    self._shuffled = True
        self.added += len(taken)
        return len(taken)

    def _trim(self, first_seq: int) -> None:
        """Drop the lines that scrolled out of the follower's buffer."""
        lines = self.lines
        if not lines:
            return
        if self.by_time and self._shuffled:
            self.lines = [line for line in lines if line.seq >= first_seq]
        else:  # in arrival order too: the dropped lines are a prefix
            cut = bisect.bisect_left(lines, first_seq, key=arrival_key)
            if cut:
                del lines[:cut]

    def _choose(self, lines: Sequence[LogLine]) -> Sequence[LogLine]:
        chosen: Iterable[LogLine] = lines
        if self.file is not None:
            only = self.file
            chosen = [line for line in chosen if line.file == only]
        if self.filter.active:
            chosen = self.filter.apply(chosen)
        if self.words:
            words = self.words
            chosen = [line for line in chosen if all(w in line.text.lower() for w in words)]
        if self.related is not None:
            call_ids, numbers, ips = self.related
            chosen = lines_for(chosen, call_ids=call_ids, numbers=numbers, ips=ips)
        return chosen if isinstance(chosen, Sequence) else list(chosen)

    def position(self, line: LogLine) -> int | None:
        """Where `line` is now (a bisection on the sort key), or None if it is gone."""
        key = self.key
        index = bisect.bisect_left(self.lines, key(line), key=key)
        if index < len(self.lines) and self.lines[index].seq == line.seq:
            return index
        return None

    def nearest(self, line: LogLine) -> int:
        """The position of `line`, or of the line that would follow it."""
        key = self.key
        return min(len(self.lines) - 1, bisect.bisect_left(self.lines, key(line), key=key))


class LogView(ScrollView, can_focus=True):
    """One line per log line: time, file, text coloured by level; a cursor; follows the tail."""

    HELP_GROUP = "Log"

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "log-view--error",
        "log-view--warning",
        "log-view--info",
        "log-view--debug",
        "log-view--time",
        "log-view--file",
        "log-view--cursor",
        "log-view--cursor-blurred",
        "log-view--match",
        "log-view--empty",
        "log-view--problem",
        "log-view--fix",
    }

    DEFAULT_CSS = """
    LogView {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
    }
    LogView > .log-view--error { color: $error; text-style: bold; }
    LogView > .log-view--warning { color: $warning; }
    LogView > .log-view--info { color: $foreground; }
    LogView > .log-view--debug { color: $text-muted; }
    LogView > .log-view--time { color: $text-muted; }
    LogView > .log-view--file { color: $text-secondary; }
    LogView > .log-view--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
    }
    LogView > .log-view--cursor-blurred { background: $block-cursor-blurred-background; }
    LogView > .log-view--match { background: $warning; color: $background; text-style: bold; }
    LogView > .log-view--empty { color: $text-muted; text-style: italic; }
    LogView > .log-view--problem { color: $error; }
    LogView > .log-view--fix { color: $text-accent; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="log.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="log.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="log.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="log.page_down"),
        Binding("home,g", "first", "First", show=False, id="log.first"),
        Binding("end,G", "follow", "End: follow", id="log.follow"),
        Binding("left,h", "pan(-1)", "Left", show=False, id="log.left"),
        Binding("right,l", "pan(1)", "Right", show=False, id="log.right"),
        Binding("enter", "select", "Open", id="log.open"),
    ]

    class Moved(Message):
        """The cursor moved, or following started or stopped."""

        def __init__(self, view: LogView) -> None:
            super().__init__()
            self.view = view

        @property
        def control(self) -> LogView:
            return self.view

    class Selected(Message):
        """Enter on a line."""

        def __init__(self, view: LogView, line: LogLine) -> None:
            super().__init__()
            self.view = view
            self.line = line

        @property
        def control(self) -> LogView:
            return self.view

    def __init__(
        self,
        *,
        blurred_cursor: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.lines: Sequence[LogLine] = ()
        self.key: Callable[[LogLine], Any] = arrival_key
        self.cursor = 0
        self.following = True
        self.new_lines = 0  # arrived (and shown) since following stopped
        self.search: LogSearch | None = None
        self.blurred_cursor = blurred_cursor  # show the cursor while the view has no focus
        self.empty: list[tuple[str, str]] = [("no log lines yet", "empty")]
        self.x = 0  # characters of text scrolled off to the left
        self.show_file = True
        self._labels: dict[str, str] = {}
        self._label_width = 0

    # data

    def set_lines(
        self,
        lines: Sequence[LogLine],
        *,
        added: int = 0,
        key: Callable[[LogLine], Any] | None = None,
        reset: bool = False,
    ) -> None:
        """New lines to show; keeps the cursor on the line being read unless following."""
        old = self.current
        old_top = round(self.scroll_offset.y)
        old_cursor = self.cursor
        if key is not None:
            self.key = key
        self.lines = lines
        self._update_labels(lines)
        count = len(lines)
        self.virtual_size = Size(self.size.width, count)
        if reset:
            self.new_lines = 0
        if self.following or count == 0:
            self.cursor = max(0, count - 1)
            self._stick_to_end()
            # a pane just shown has no height yet: scroll again once it is laid out
            self.call_after_refresh(self._stick_to_end)
        else:
            self.new_lines += added
            self.cursor = self._find(old) if old is not None else 0
            # keep the line being read where it was on the screen
            top = max(0, old_top + self.cursor - old_cursor)
            self.scroll_to(y=top, animate=False, immediate=True)
        self.refresh()

    def _stick_to_end(self) -> None:
        if self.following:
            height = self.scrollable_content_region.height
            self.scroll_to(y=max(0, len(self.lines) - height), animate=False, immediate=True)

    def _find(self, line: LogLine) -> int:
        lines = self.lines
        if not lines:
            return 0
        index = bisect.bisect_left(lines, self.key(line), key=self.key)
        return max(0, min(len(lines) - 1, index))

    def _update_labels(self, lines: Sequence[LogLine]) -> None:
        if not lines:
            return
        # Files are few; checking the newest and oldest lines catches a new one cheaply.
        for line in (lines[0], lines[-1]):
            if line.file not in self._labels:
                self._add_label(line.file)

    def _add_label(self, path: str) -> None:
        self._labels[path] = file_label(path)
        self._label_width = min(LABEL_WIDTH, max(len(v) for v in self._labels.values()))

    def set_files(self, paths: Iterable[str]) -> None:
        for path in paths:
            if path not in self._labels:
                self._add_label(path)

    @property
    def current(self) -> LogLine | None:
        if 0 <= self.cursor < len(self.lines):
            return self.lines[self.cursor]
        return None

    # moving

    def _move_to(self, index: int) -> None:
        count = len(self.lines)
        if not count:
            return
        index = max(0, min(count - 1, index))
        was = self.following
        self.cursor = index
        if index == count - 1:
            self.following = True
            self.new_lines = 0
        else:
            self.following = False
            if was:
                self.new_lines = 0
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.Moved(self))

    def go_to(self, index: int) -> None:
        """Put the cursor on a line (pausing the tail unless it is the last line)."""
        self._move_to(index)

    def pause(self) -> None:
        if self.following and self.lines:
            self.following = False
            self.new_lines = 0
            self.post_message(self.Moved(self))

    def _scroll_cursor_into_view(self) -> None:
        height = max(1, self.scrollable_content_region.height)
        top = round(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def action_cursor(self, step: int) -> None:
        self._move_to(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor + direction * max(1, self.scrollable_content_region.height - 1))

    def action_first(self) -> None:
        self._move_to(0)

    def action_follow(self) -> None:
        """End: back to the newest line, following again."""
        self.following = True
        self.new_lines = 0
        self.cursor = max(0, len(self.lines) - 1)
        self._stick_to_end()
        self.refresh()
        self.post_message(self.Moved(self))

    def action_pan(self, direction: int) -> None:
        step = max(8, self.scrollable_content_region.width // 2)
        self.x = max(0, self.x + direction * step)
        self.refresh()

    def action_select(self) -> None:
        line = self.current
        if line is not None:
            self.post_message(self.Selected(self, line))

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.pause()  # reading back: stop following, as a pager does

    def on_click(self, event: events.Click) -> None:
        index = round(self.scroll_offset.y) + event.y
        if 0 <= index < len(self.lines):
            self._move_to(index)
            if event.chain >= 2:
                self.action_select()

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.lines))
        if self.following:
            self.call_after_refresh(self._stick_to_end)
        else:
            self._scroll_cursor_into_view()

    # drawing

    def _style(self, name: str) -> Style:
        return foreground(self.get_component_rich_style(f"log-view--{name}"))

    def render_line(self, y: int) -> Strip:
        width = max(1, self.scrollable_content_region.width)
        base = self.rich_style
        lines = self.lines
        if not lines:
            if y < len(self.empty):
                text, tone = self.empty[y]
                return Strip([Segment(fit(" " + text, width), base + self._style(tone))], width)
            return Strip.blank(width, base)
        index = round(self.scroll_offset.y) + y
        if index >= len(lines):
            return Strip.blank(width, base)
        line = lines[index]
        cursor = index == self.cursor and (self.has_focus or self.blurred_cursor)
        if cursor and self.has_focus:
            style = base + self.get_component_rich_style("log-view--cursor")
            return self._line(line, width, style, plain=True)
        if cursor:
            bar = self.get_component_rich_style("log-view--cursor-blurred")
            base = base + Style(bgcolor=bar.bgcolor)
        return self._line(line, width, base)

    def _line(self, line: LogLine, width: int, base: Style, plain: bool = False) -> Strip:
        segments: list[Segment] = []
        stamp = time.strftime("%H:%M:%S", time.localtime(line.ts))
        if width >= 36:
            segments.append(Segment(stamp + " ", base if plain else base + self._style("time")))
        if self.show_file and self._label_width and width >= 50:
            label = fit(self._labels.get(line.file, ""), self._label_width)
            segments.append(Segment(label + " ", base if plain else base + self._style("file")))
        text_style = base if plain else base + self._style(line.level)
        text = line.text
        spans = self.search.spans(text) if self.search is not None else []
        x = self.x + message_start(line)
        if not spans:
            segments.append(Segment(text[x:], text_style))
        else:
            match_style = base + self.get_component_rich_style("log-view--match")
            position = x
            for start, end in spans:
                if end <= position:
                    continue
                start = max(start, position)
                if start > position:
                    segments.append(Segment(text[position:start], text_style))
                segments.append(Segment(text[start:end], match_style))
                position = end
            if position < len(text):
                segments.append(Segment(text[position:], text_style))
        strip = Strip(segments)
        if strip.cell_length > width:
            return Strip(
                [*strip.crop(0, width - 1), Segment("…", text_style)], width
            )  # cut lines say so
        return strip.crop_extend(0, width, base)


def status_lines(files: Sequence[LogFileStatus], short: bool = False) -> list[tuple[str, str]]:
    """(text, tone) for each file that is not being followed normally: reason and fix.

    `short` names a file by its base name (a narrow pane); the screen gives the path.
    """
    out: list[tuple[str, str]] = []
    for status in files:
        if status.state == FOLLOWING:
            continue
        path = (os.path.basename(status.path.rstrip("/")) or status.path) if short else status.path
        reason = clean_line(status.reason, 160)
        out.append((f"{clean_line(path, 120)}: {status.state} {reason}", "problem"))
        if status.fix:
            out.append((f"  fix: {clean_line(status.fix, 200)}", "fix"))
    return out


def files_note(files: Sequence[LogFileStatus]) -> str:
    following = sum(1 for status in files if status.state == FOLLOWING)
    troubled = len(files) - following
    note = f"{following} file{'s' if following != 1 else ''}"
    if troubled:
        note += f", {troubled} not followed"
    return note


def follow_note(view: LogView) -> str:
    if view.following or not view.lines:
        return ""
    return f"paused +{view.new_lines} new · End resumes"


class LogsPane(HostPane):
    NUMBER = 6
    TITLE = "Logs"

    def __init__(self, *, id: str | None = "logs", classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.model = LogModel(by_time=True)
        self._snapshot: LogSnapshot | None = None
        self._running = False

    def compose(self) -> ComposeResult:
        view = LogView(id="logs-view")
        view.empty = [("log follower not running in this session", "empty")]
        yield view

    @property
    def view(self) -> LogView:
        return self.query_one("#logs-view", LogView)

    def show_host(self, host: HostSnapshot | None, logs: LogSnapshot | None) -> None:
        if logs is None:
            return
        added = self.model.update(logs)
        if added is None:
            return
        self._snapshot = logs
        view = self.view
        view.empty = [("no log lines yet", "empty"), *status_lines(logs.files, short=True)]
        view.set_files(status.path for status in logs.files)
        view.set_lines(self.model.lines, added=added, key=self.model.key)
        self._note()

    def _note(self) -> None:
        logs = self._snapshot
        if logs is None:
            return
        parts = [files_note(logs.files)]
        if logs.rate:
            parts.append(f"{logs.rate:.0f} lines/s" if logs.rate >= 10 else f"{logs.rate} lines/s")
        paused = follow_note(self.view)
        if paused:
            parts.append(paused)
        self.set_note(" · ".join(parts))

    @on(LogView.Moved, "#logs-view")
    def _moved(self, event: LogView.Moved) -> None:
        event.stop()
        self._note()

    @on(LogView.Selected, "#logs-view")
    def _selected(self, event: LogView.Selected) -> None:
        event.stop()
        self.open_screen()

    def open_screen(self) -> None:
        from vostui.ui.log_screen import open_log_screen

        open_log_screen(self.app, select=self.view.current)
