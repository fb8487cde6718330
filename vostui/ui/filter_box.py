"""The `/` filter row of the calls and registrations panes.

One language for every list (vostui/filters.py, README "Filters"), the one
`analyze --filter` takes: `state=rejected code>=400 4xx 1001`. The row shows what is
typed; a term that does not parse (an unknown field, a bad regex) is named on an
error line under it and left out, the other terms act.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from vostui.filters import Filter, FilterError, parse
from vostui.text import clean_line
from vostui.ui.format import BAD

NO_FILTER = Filter(())


class FilterBox(Vertical):
    """An input row and, for a bad term, an error line. Shown with `open`."""

    DEFAULT_CSS = """
    FilterBox { display: none; height: auto; }
    FilterBox.-shown { display: block; }
    FilterBox > Input, FilterBox > Input:focus {
        height: 1; border: none; padding: 0 1; background: $boost;
    }
    FilterBox > .filter-error { display: none; height: 1; padding: 0 1; }
    FilterBox.-error > .filter-error { display: block; }
    """

    class Applied(Message):
        """The filter in force changed (`box.filter`, `box.text`)."""

        def __init__(self, box: FilterBox) -> None:
            super().__init__()
            self.box = box

        @property
        def control(self) -> FilterBox:
            return self.box

    class Done(Message):
        """Enter: the operator goes back to the list (the filter stays)."""

        def __init__(self, box: FilterBox) -> None:
            super().__init__()
            self.box = box

        @property
        def control(self) -> FilterBox:
            return self.box

    def __init__(
        self,
        known: frozenset[str],
        *,
        placeholder: str,
        id: str | None = None,
        input_id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.known = known
        self.input_id = input_id
        self.placeholder = placeholder
        self.filter = NO_FILTER
        self.text = ""  # the text of the filter in force
        self.error = ""

    def compose(self) -> ComposeResult:
        yield Input(placeholder=self.placeholder, id=self.input_id)
        yield Static(Content(""), classes="filter-error")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def active(self) -> bool:
        return bool(self.filter)

    def open(self) -> None:
        self.add_class("-shown")
        self.input.focus()

    def put(self, text: str) -> bool:
        """Put `text` in force as if typed, the row shown (focus stays where it is)."""
        field = self.input
        with field.prevent(Input.Changed):
            field.value = text
            field.cursor_position = len(text)
        self.add_class("-shown")
        return self.apply(text)

    def clear(self) -> bool:
        """Empty and hide the row; False when there was nothing to clear."""
        if not self.text and not self.has_class("-shown"):
            return False
        field = self.input
        with field.prevent(Input.Changed):
            field.value = ""
        self.remove_class("-shown")
        self._set_error("")
        changed = bool(self.text)
        self.text = ""
        self.filter = NO_FILTER
        if changed:
            self.post_message(self.Applied(self))
        return True

    def apply(self, text: str) -> bool:
        """Parse and put in force; a term that does not parse is left out and named on
        the error line (False), the others act."""
        text = " ".join(text.split())
        try:
            parsed = parse(text, self.known)
            error = ""
        except FilterError:
            good: list[str] = []
            error = ""
            for term in text.split():
                try:
                    parse(term, self.known)
                except FilterError as exc:
                    error = error or f"{term} left out: {exc}"
                    continue
                good.append(term)
            text = " ".join(good)
            parsed = parse(text, self.known)
        self._set_error(error)
        if text != self.text:
            self.text = text
            self.filter = parsed
            self.post_message(self.Applied(self))
        return not error

    def _set_error(self, error: str) -> None:
        self.error = error
        self.set_class(bool(error), "-error")
        if error:
            self.query_one(".filter-error", Static).update(
                Content.assemble(("✗ ", BAD), (clean_line(error, 200), BAD))
            )

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.apply(event.value)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.apply(event.value):
            return  # stay in the row: the error line says what to fix
        if not self.text:
            self.remove_class("-shown")
        self.post_message(self.Done(self))
