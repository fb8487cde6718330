"""The ladder widget: `vostui.ladder` draws the lines, this adds colour and a cursor."""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from vostui.ladder import (
    Arrow,
    Ladder,
    LadderLine,
    arrow_line,
    fit_column_width,
    header_lines,
    line_width,
)
from vostui.ui.format import foreground

HEADER_LINES = 2


class LadderView(ScrollView, can_focus=True):
    """Two header lines (names, addresses) and one line per message."""

    HELP_GROUP = "Ladder"

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "ladder--header",
        "ladder--request",
        "ladder--provisional",
        "ladder--success",
        "ladder--redirect",
        "ladder--failure",
        "ladder--retransmission",
        "ladder--cursor",
        "ladder--time",
    }

    DEFAULT_CSS = """
    LadderView { background: $surface; color: $foreground; scrollbar-size: 1 1; }
    LadderView > .ladder--header { text-style: bold; color: $text-primary; background: $panel; }
    LadderView > .ladder--request { color: $text-accent; text-style: bold; }
    LadderView > .ladder--provisional { color: $text-muted; }
    LadderView > .ladder--success { color: $success; text-style: bold; }
    LadderView > .ladder--redirect { color: $warning; }
    LadderView > .ladder--failure { color: $error; text-style: bold; }
    LadderView > .ladder--retransmission { color: $text-muted; text-style: dim; }
    LadderView > .ladder--cursor { background: $block-cursor-blurred-background; }
    LadderView:focus > .ladder--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground;
    }
    LadderView > .ladder--time { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Previous", show=False, id="ladder.up"),
        Binding("down,j", "move(1)", "Next", show=False, id="ladder.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="ladder.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="ladder.page_down"),
        Binding("home", "edge(0)", "First", show=False, id="ladder.first"),
        Binding("end", "edge(1)", "Last", show=False, id="ladder.last"),
    ]

    cursor: reactive[int] = reactive(0, repaint=False)

    class Highlighted(Message):
        def __init__(self, ladder_view: LadderView, index: int) -> None:
            super().__init__()
            self.ladder_view = ladder_view
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ladder = Ladder((), ())
        self.delta = False
        self._col_width = 16
        self._lines: dict[int, LadderLine] = {}

    def set_ladder(self, ladder: Ladder, *, delta: bool, keep: int | None = None) -> None:
        """New content; the cursor stays on message `keep` (engine index) when present."""
        self.ladder = ladder
        self.delta = delta
        self._lines.clear()
        self._fit()
        target = 0
        if keep is not None:
            for position, arrow in enumerate(ladder.arrows):
                if arrow.record.index == keep:
                    target = position
                    break
        self._move_to(target, announce=True)
        self.refresh()

    @property
    def selected(self) -> Arrow | None:
        arrows = self.ladder.arrows
        return arrows[self.cursor] if 0 <= self.cursor < len(arrows) else None

    def _fit(self) -> None:
        width = self.scrollable_content_region.width or self.size.width or 80
        self._col_width = fit_column_width(self.ladder, width)
        self.virtual_size = Size(
            line_width(self.ladder, self._col_width), len(self.ladder.arrows) + HEADER_LINES
        )

    def on_resize(self, event: events.Resize) -> None:
        self._lines.clear()
        self._fit()

    # cursor

    def _move_to(self, index: int, announce: bool = True) -> None:
        count = len(self.ladder.arrows)
        index = max(0, min(index, count - 1)) if count else 0
        changed = index != self.cursor
        self.cursor = index
        rows = max(1, self.size.height - HEADER_LINES)
        top = round(self.scroll_offset.y)
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + rows:
            self.scroll_to(y=index - rows + 1, animate=False, immediate=True)
        if changed or announce:
            self.post_message(self.Highlighted(self, index))
        self.refresh()

    def action_move(self, step: int) -> None:
        self._move_to(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor + direction * max(1, self.size.height - HEADER_LINES - 1))

    def action_edge(self, end: int) -> None:
        self._move_to(len(self.ladder.arrows) - 1 if end else 0)

    def on_click(self, event: events.Click) -> None:
        if event.y >= HEADER_LINES:
            self._move_to(round(self.scroll_offset.y) + event.y - HEADER_LINES)

    # drawing

    def _line(self, index: int) -> LadderLine:
        line = self._lines.get(index)
        if line is None:
            line = self._lines[index] = arrow_line(
                self.ladder, index, self._col_width, delta=self.delta
            )
        return line

    def _label_style(self, arrow: Arrow) -> Style:
        if arrow.record.msg.is_request:
            name = "ladder--request"
        elif arrow.status < 200:
            name = "ladder--provisional"
        elif arrow.status < 300:
            name = "ladder--success"
        elif arrow.status < 400:
            name = "ladder--redirect"
        else:
            name = "ladder--failure"
        return foreground(self.get_component_rich_style(name))

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = round(self.scroll_offset.x), round(self.scroll_offset.y)
        width = self.scrollable_content_region.width
        base = self.rich_style
        full = line_width(self.ladder, self._col_width)
        if y < HEADER_LINES:
            headers = header_lines(self.ladder, self._col_width)
            text = headers[y] if y < len(headers) else ""
            style = base + self.get_component_rich_style("ladder--header")
            strip = Strip([Segment(text.ljust(full), style)], full)
            return strip.crop(scroll_x, scroll_x + width).extend_cell_length(width, style)
        index = scroll_y + y - HEADER_LINES
        if not 0 <= index < len(self.ladder.arrows):
            return Strip.blank(width, base)
        arrow = self.ladder.arrows[index]
        line = self._line(index)
        text = line.text.ljust(full)
        style = base
        if arrow.retransmission:
            style = style + foreground(self.get_component_rich_style("ladder--retransmission"))
        label_style = style if arrow.retransmission else style + self._label_style(arrow)
        time_style = style + foreground(self.get_component_rich_style("ladder--time"))
        if index == self.cursor:
            cursor = self.get_component_rich_style("ladder--cursor")
            if self.has_focus:  # the bar in its own colours, readable
                style = label_style = time_style = base + cursor
            else:
                bar = Style(bgcolor=cursor.bgcolor)
                style, label_style, time_style = style + bar, label_style + bar, time_style + bar
        cut = min(line.label_start, 13)
        segments = [
            Segment(text[:cut], time_style),
            Segment(text[cut : line.label_start], style),
            Segment(text[line.label_start : line.label_end], label_style),
            Segment(text[line.label_end :], style),
        ]
        strip = Strip(segments, full)
        return strip.crop(scroll_x, scroll_x + width).extend_cell_length(width, base)
