"""A table that draws only the rows on screen (Textual's Line API).

DataTable takes seconds to build 10k rows; this asks its `RowSource` for the cells of
the visible rows only, so 20,000 calls cost the same as 20. The cursor follows a row's
key, so it stays on the same call while rows come and go.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from vostui.ui.format import fit, foreground

# Row tones map to component classes, so the theme decides the colours.
Tone = Literal["", "problem", "warning", "good", "dim"]
Cell = str | tuple[str, Tone]


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    key: str
    title: str
    width: int  # preferred cells
    min_width: int
    priority: int = 0  # 0: always shown; higher numbers are dropped first when narrow
    align: Literal["left", "right"] = "left"
    flex: bool = False  # takes the space left over


class RowSource(Protocol):
    """What the table draws: rows by position, each with a stable key."""

    def __len__(self) -> int: ...

    def key(self, index: int) -> str: ...

    def cells(self, index: int) -> tuple[Sequence[Cell], Tone]: ...


class EmptySource:
    def __len__(self) -> int:
        return 0

    def key(self, index: int) -> str:
        raise IndexError(index)

    def cells(self, index: int) -> tuple[Sequence[Cell], Tone]:
        raise IndexError(index)


def layout_columns(
    columns: Sequence[ColumnSpec], width: int, content: Sequence[int] | None = None
) -> list[tuple[ColumnSpec, int]]:
    """Widths for the columns that fit: drop the least important first, then share the rest.

    Spare cells go round-robin towards each column's preferred width (so no column
    takes everything), then to the flexible columns. With `content` (the widest text of
    each column in the rows on hand) the columns are sized by what they hold instead:
    see `_layout_by_content`.
    """
    if content is not None:
        sized = _layout_by_content(columns, width, content)
        if sized is not None:
            return sized
    shown = list(columns)

    def needed(cols: Sequence[ColumnSpec]) -> int:
        return sum(c.min_width for c in cols) + max(0, len(cols) - 1)

    while len(shown) > 1 and needed(shown) > width:
        drop = max(shown, key=lambda c: (c.priority, shown.index(c)))
        if drop.priority == 0:
            break
        shown.remove(drop)
    widths = [c.min_width for c in shown]
    spare = width - needed(shown)
    growing = True
    while spare > 0 and growing:
        growing = False
        for i, column in enumerate(shown):
            if spare > 0 and widths[i] < column.width:
                widths[i] += 1
                spare -= 1
                growing = True
    flexible = [i for i, c in enumerate(shown) if c.flex]
    if spare > 0 and flexible:
        share, rest = divmod(spare, len(flexible))
        for n, i in enumerate(flexible):
            widths[i] += share + (1 if n < rest else 0)
    return list(zip(shown, widths, strict=True))


def _layout_by_content(
    columns: Sequence[ColumnSpec], width: int, content: Sequence[int]
) -> list[tuple[ColumnSpec, int]] | None:
    """Columns sized by what they hold (4-digit callers give their cells to 15-digit
    callees), None where not even the columns always shown fit so.

    Each column wants its content (never less than its title), up to its preferred
    width. The columns always shown (priority 0) get that before an optional column is
    shown at all; optional ones start at their minimum (their title whole). Spare cells
    go round-robin to the columns still cut, the more important first, then to flexible
    columns still short of their text; the rest stays blank.
    """
    want = [min(max(w, len(c.title)), c.width) for c, w in zip(columns, content, strict=True)]
    base = [
        want[i] if c.priority == 0 else min(want[i], max(c.min_width, len(c.title)))
        for i, c in enumerate(columns)
    ]
    shown = list(range(len(columns)))

    def needed(idx: Sequence[int]) -> int:
        return sum(base[i] for i in idx) + max(0, len(idx) - 1)

    while len(shown) > 1 and needed(shown) > width:
        drop = max(shown, key=lambda i: (columns[i].priority, i))
        if columns[drop].priority == 0:
            break
        shown.remove(drop)
    if not shown or needed(shown) > width:
        return None
    while True:
        widths = {i: base[i] for i in shown}
        spare = width - needed(shown)
        spare = _grow(widths, sorted(shown, key=lambda i: columns[i].priority), want, spare)
        # a fixed column still cut takes the place of a less important one, where that
        # makes it whole (State before PDD); flexible text is cut instead
        cut = [i for i in shown if widths[i] < want[i] and not columns[i].flex]
        if not cut:
            break
        first = min(cut, key=lambda i: (columns[i].priority, i))
        rank = columns[first].priority
        less = [i for i in shown if columns[i].priority > rank]
        if not less:
            break
        drop = max(less, key=lambda i: (columns[i].priority, i))
        if widths[drop] + 1 + spare < want[first] - widths[first]:
            break
        shown.remove(drop)
    # then the flexible columns still short of their text (a finding's title, a log line)
    full = [max(w, len(c.title)) for c, w in zip(columns, content, strict=True)]
    _grow(widths, [i for i in shown if columns[i].flex], full, spare)
    # what is left stays blank at the end of the row: no column wider than its text
    return [(columns[i], widths[i]) for i in shown]


def _grow(widths: dict[int, int], order: Sequence[int], want: Sequence[int], spare: int) -> int:
    """Hand out `spare` cells round-robin, in `order`, to columns under `want`; the rest."""
    short = [i for i in order if want[i] > widths[i]]
    while spare > 0 and short:
        for i in list(short):
            if spare == 0:
                break
            widths[i] += 1
            spare -= 1
            if widths[i] >= want[i]:
                short.remove(i)
    return spare


CONTENT_SAMPLE = 200  # rows measured: the first ones and those on screen


class RowTable(ScrollView, can_focus=True):
    """Header line plus rows from a `RowSource`; Enter posts `Selected`."""

    HELP_GROUP = "List"

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "row-table--header",
        "row-table--cursor",
        "row-table--cursor-blurred",
        "row-table--problem",
        "row-table--warning",
        "row-table--good",
        "row-table--dim",
        "row-table--empty",
    }

    DEFAULT_CSS = """
    RowTable {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
    }
    RowTable > .row-table--header { text-style: bold; color: $text-primary; background: $panel; }
    RowTable > .row-table--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
    }
    RowTable > .row-table--cursor-blurred { background: $block-cursor-blurred-background; }
    RowTable > .row-table--problem { color: $error; text-style: bold; }
    RowTable > .row-table--warning { color: $warning; }
    RowTable > .row-table--good { color: $success; }
    RowTable > .row-table--dim { color: $text-muted; }
    RowTable > .row-table--empty { color: $text-muted; text-style: italic; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="table.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="table.page_down"),
        Binding("home,g", "edge(0)", "First", show=False, id="table.first"),
        Binding("end,G", "edge(1)", "Last", show=False, id="table.last"),
        Binding("enter", "select", "Open", id="table.open"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    class Selected(Message):
        """Enter (or a double click) on a row."""

        def __init__(self, table: RowTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> RowTable:
            return self.table

    class Highlighted(Message):
        """The cursor moved to another row."""

        def __init__(self, table: RowTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> RowTable:
            return self.table

    class SortRequested(Message):
        """A click on a column title."""

        def __init__(self, table: RowTable, column: str) -> None:
            super().__init__()
            self.table = table
            self.column = column

        @property
        def control(self) -> RowTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[ColumnSpec],
        *,
        empty_text: str = "nothing yet",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = tuple(columns)
        self.source: RowSource = EmptySource()
        self.empty_text = empty_text
        self.sort_column = ""
        self.sort_reverse = False
        self._cursor_key: str | None = None
        self._layout_width = -1
        self._layout: list[tuple[ColumnSpec, int]] = []
        self._content: list[int] = []  # widest text per column (see _measure)

    # data

    def set_source(self, source: RowSource) -> None:
        """New rows: keep the cursor on the same key when it is still there.

        A cursor on the first row stays there, like `tail -f`: while the operator has
        not moved, the newest call stays under the cursor as calls arrive.
        """
        self.source = source
        self._measure()
        count = len(source)
        index = self.cursor
        if self.cursor > 0 and self._cursor_key is not None and count:
            found = self._find(self._cursor_key, near=self.cursor)
            index = found if found is not None else min(self.cursor, count - 1)
        self.virtual_size = Size(self.size.width, count + 1)
        self._set_cursor(max(0, min(index, count - 1)), scroll=False)
        self.refresh()

    def _find(self, key: str, near: int) -> int | None:
        count = len(self.source)
        if 0 <= near < count and self.source.key(near) == key:
            return near
        for index in range(count):
            if self.source.key(index) == key:
                return index
        return None

    @property
    def cursor_key(self) -> str | None:
        return self._cursor_key

    def select_key(self, key: str) -> bool:
        found = self._find(key, self.cursor)
        if found is None:
            return False
        self._set_cursor(found)
        return True

    def _set_cursor(self, index: int, scroll: bool = True) -> None:
        count = len(self.source)
        key = self.source.key(index) if 0 <= index < count else None
        moved = key != self._cursor_key
        self._cursor_key = key
        self.cursor = index
        if scroll:
            self._scroll_cursor_into_view()
        if moved:
            self.post_message(self.Highlighted(self, key))
        self.refresh()

    def _scroll_cursor_into_view(self) -> None:
        rows_visible = max(1, self.size.height - 1)
        top = round(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + rows_visible:
            self.scroll_to(y=self.cursor - rows_visible + 1, animate=False, immediate=True)

    # actions

    def action_cursor(self, step: int) -> None:
        count = len(self.source)
        if count:
            self._set_cursor(max(0, min(count - 1, self.cursor + step)))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.size.height - 2))

    def action_edge(self, end: int) -> None:
        count = len(self.source)
        if count:
            self._set_cursor(count - 1 if end else 0)

    def action_select(self) -> None:
        if self._cursor_key is not None:
            self.post_message(self.Selected(self, self._cursor_key))

    # mouse

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            column = self._column_at(event.x)
            if column:
                self.post_message(self.SortRequested(self, column))
            return
        index = round(self.scroll_offset.y) + event.y - 1
        if 0 <= index < len(self.source):
            self._set_cursor(index)
            if event.chain >= 2:
                self.action_select()

    def _column_at(self, x: int) -> str:
        position = 0
        for column, width in self._columns_for(self._content_width()):
            if position <= x < position + width + 1:
                return column.key
            position += width + 1
        return ""

    # drawing

    def _content_width(self) -> int:
        return max(1, self.scrollable_content_region.width)

    def _columns_for(self, width: int) -> list[tuple[ColumnSpec, int]]:
        if width != self._layout_width:
            self._layout = layout_columns(self.columns, width, self._content or None)
            self._layout_width = width
        return self._layout

    def _measure(self) -> None:
        """The widest text of each column in the first rows and those on screen; widths
        only grow while the rows change (no jitter as calls come and go)."""
        source = self.source
        count = len(source)
        if not count or not self.columns:
            return
        top = round(self.scroll_offset.y)
        rows = set(range(min(count, CONTENT_SAMPLE)))
        rows.update(range(top, min(count, top + max(1, self.size.height))))
        widest = list(self._content) or [0] * len(self.columns)
        for index in rows:
            cells, _tone = source.cells(index)
            for i, cell in enumerate(cells[: len(widest)]):
                text = cell if isinstance(cell, str) else cell[0]
                if len(text) > widest[i]:
                    widest[i] = len(text)
        if widest != self._content:
            self._content = widest
            self._layout_width = -1

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.source) + 1)
        self._scroll_cursor_into_view()

    def render_line(self, y: int) -> Strip:
        width = self._content_width()
        base = self.rich_style
        if y == 0:
            return self._header(width, base)
        index = round(self.scroll_offset.y) + y - 1
        count = len(self.source)
        if count == 0:
            if y == 1:
                style = base + foreground(self.get_component_rich_style("row-table--empty"))
                return Strip([Segment(fit(" " + self.empty_text, width), style)], width)
            return Strip.blank(width, base)
        if index >= count:
            return Strip.blank(width, base)
        cells, tone = self.source.cells(index)
        if index == self.cursor and self.has_focus:  # the bar in its own colours, readable
            return self._row(
                cells, width, base + self.get_component_rich_style("row-table--cursor"), plain=True
            )
        style = base
        if tone:
            style = style + foreground(self.get_component_rich_style(f"row-table--{tone}"))
        if index == self.cursor:  # not focused: a quiet bar under the row's own colours
            bar = self.get_component_rich_style("row-table--cursor-blurred")
            style = style + Style(bgcolor=bar.bgcolor)
        return self._row(cells, width, style)

    def _header(self, width: int, base: Style) -> Strip:
        style = base + self.get_component_rich_style("row-table--header")
        titles: list[Cell] = []
        for column, _width in self._columns_for(width):
            mark = ""
            if column.key == self.sort_column:
                mark = "▼" if self.sort_reverse else "▲"
            titles.append(column.title + mark)
        return self._row(titles, width, style, header=True)

    def _row(
        self,
        cells: Sequence[Cell],
        width: int,
        style: Style,
        header: bool = False,
        plain: bool = False,
    ) -> Strip:
        segments: list[Segment] = []
        layout = self._columns_for(width)
        by_key = {column.key: n for n, column in enumerate(self.columns)}
        used = 0
        for position, (column, cell_width) in enumerate(layout):
            cell = cells[position] if header else cells[by_key[column.key]]
            text, tone = (cell, "") if isinstance(cell, str) else cell
            if column.align == "right" and not header:
                shown = fit(text, cell_width) if len(text) > cell_width else text.rjust(cell_width)
            else:
                shown = fit(text, cell_width)
            cell_style = style
            if tone and not plain:
                cell_style = style + foreground(self.get_component_rich_style(f"row-table--{tone}"))
            if position:
                segments.append(Segment(" ", style))
                used += 1
            segments.append(Segment(shown, cell_style))
            used += cell_width
        if used < width:
            segments.append(Segment(" " * (width - used), style))
        return Strip(segments, width)
