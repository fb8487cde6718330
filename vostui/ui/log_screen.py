"""Log screen: every followed file merged by time, or one file at a time, filtered.

Keys: `/` (F7) filters with a small syntax, F3 (Ctrl+F) searches with highlighting and
`n`/`N` jump between matches, `m` switches between the merged view and each file, `s`
(F2) saves the lines shown to a file (asking before overwriting), Enter on a line opens
the call (or registration) it names when the engine has it. The view is a pager: moving
up pauses the tail and counts "+N new"; End resumes.

Filter syntax (the term shape of the calls pane's `/`, vostui/filters.py; terms are
ANDed; see FILTER_HELP):
    level>=warning  level=error,warning  file=secure  ip=10.0.0.0/8  callid=abc
    number=4420  text~REGEX (or re:REGEX)  and plain words, which must all appear
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Input, Static

from vostui.engine.snapshot import CallView, EngineSnapshot
from vostui.host.logs import LogFilter, LogLine, LogSearch, LogSnapshot, export, levels_at_least
from vostui.host.logs.levels import LEVELS
from vostui.host.monitor import HostSnapshot
from vostui.text import clean_line
from vostui.ui.format import ACCENT, BAD, QUIET, WARN
from vostui.ui.host_feed import HostView
from vostui.ui.keybar import KeyBar
from vostui.ui.logs_pane import LogModel, LogView, file_label, follow_note, status_lines
from vostui.ui.save_box import ConfirmScreen

if TYPE_CHECKING:
    from vostui.ui.app import VostuiApp

FILTER_HELP = (
    "Filter (/ or F7): space-separated terms, all must hold; the term\n"
    "syntax of the calls pane's / (field=value, field~regex, words).\n"
    "  level>=warning  error and warning\n"
    "                  (levels: error warning info debug)\n"
    "  level=error,info  only these levels\n"
    "  file=secure     files whose name contains 'secure'\n"
    "  ip=10.1.2.3     lines naming this address or network\n"
    "  callid=abc      lines naming this Call-ID (or part of it)\n"
    "  number=4420...  lines naming this phone number\n"
    "  text~REGEX      a regular expression, any case (also re:REGEX);\n"
    '                  quote spaces: text~"a b"\n'
    "  text=a=b        text with = in it; other words: plain text\n"
    "                  that must appear, any case\n"
    "An empty filter shows every line; x clears filter and search.\n"
    "Search (F3 or Ctrl+F): text, or re:REGEX; n and N go to the\n"
    "next and previous match. Moving up pauses the tail; End resumes."
)

_TOKEN = re.compile(r'(?:[^\s"]+|"[^"]*")+')
# the term shape of vostui/filters.py (`field=value`, `field~regex`, `level>=x`); the
# older `field:value` and `re:REGEX` forms still read
_TERM = re.compile(r"^([a-z][a-z_-]*)(!=|>=|<=|=|~|>|<|:)(.*)$", re.IGNORECASE)
_FIELDS = {
    "level": "level",
    "file": "file",
    "ip": "ip",
    "callid": "callid",
    "call-id": "callid",
    "cid": "callid",
    "number": "number",
    "num": "number",
    "text": "text",
    "re": "text",
}
_OPS = {"level": ("=", ">="), "text": ("=", "~")}
LOG_FIELDS = ("callid", "file", "ip", "level", "number", "text")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value.replace('"', "")


def parse_filter(text: str, files: Sequence[str] = ()) -> tuple[LogFilter, tuple[str, ...], str]:
    """The operator's filter text → (LogFilter, plain words, a one-line description).

    Raises ValueError with a message for the screen: unknown level, bad regex, bad IP,
    no followed file with that name.
    """
    levels: set[str] = set()
    chosen_files: set[str] = set()
    fields: dict[str, str] = {}
    words: list[str] = []
    described: list[str] = []
    for token in _TOKEN.findall(text):
        term = _TERM.match(token)
        name = _FIELDS.get(term.group(1).lower(), "") if term else ""
        if term and not name and term.group(2) in ("=", "!=", "~"):
            raise ValueError(
                f"unknown field {term.group(1).lower()!r}; known: {', '.join(LOG_FIELDS)}"
                f" (text={token} looks for the text itself)"
            )
        if not term or not name:
            words.append(_unquote(token).lower())
            described.append(_unquote(token))
            continue
        op, value = term.group(2), _unquote(term.group(3))
        if op == ":":  # the older forms: re:REGEX, level:error, file:secure
            op = "~" if term.group(1).lower() == "re" else "="
        allowed = _OPS.get(name, ("=",))
        if op not in allowed:
            raise ValueError(f"{name} takes {' or '.join(name + o for o in allowed)}")
        if not value:
            raise ValueError(f"{name}{op} needs a value")
        if name == "level":
            for level in (v.strip() for v in value.lower().split(",") if v.strip()):
                if level == "warn":
                    level = "warning"
                if level not in LEVELS:
                    raise ValueError(f"unknown level {level!r}; one of {', '.join(LEVELS)}")
                levels |= set(levels_at_least(level)) if op == ">=" else {level}
        elif name == "file":
            found = [
                path for path in files if value.lower() in file_label(path).lower() or value == path
            ]
            if not found:
                raise ValueError(f"no followed file matches {value!r}")
            chosen_files |= set(found)
        elif name == "text" and op == "=":
            words.append(value.lower())
        elif name == "text":
            fields["regex"] = value
        else:
            fields[{"callid": "call_id"}.get(name, name)] = value
        described.append(f"{name}{op}{value}")
    log_filter = LogFilter(
        levels=frozenset(levels),
        files=frozenset(chosen_files),
        regex=fields.get("regex", ""),
        ip=fields.get("ip", ""),
        call_id=fields.get("call_id", ""),
        number=fields.get("number", ""),
    )
    return log_filter, tuple(w for w in words if w), " ".join(described)


def parse_search(text: str) -> LogSearch | None:
    text = text.strip()
    if not text:
        return None
    if text.startswith("re:"):
        return LogSearch(text[3:], regex=True)
    return LogSearch(text)


def call_for_line(snapshot: EngineSnapshot, line: LogLine) -> CallView | None:
    """The call a log line names by one of its legs' Call-IDs."""
    if not line.call_ids:
        return None
    wanted = set(line.call_ids)
    for call in snapshot.calls:
        if call.key in wanted or any(leg.call_id in wanted for leg in call.legs):
            return call
    return None


def call_relations(call: CallView) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(Call-IDs, numbers, IPs) to find a call's log lines.

    No addresses: the softswitch's own are on every line of its log, and a gateway's on
    every line of every call through it; the Call-IDs and numbers are this call's own.
    """
    call_ids = tuple(dict.fromkeys(leg.call_id for leg in call.legs if leg.call_id))
    numbers = tuple(dict.fromkeys(n for n in (call.caller, call.callee) if n))
    return call_ids, numbers, ()


class LogScreen(HostView):
    """`L` or Enter on the logs pane opens this; Esc goes back."""

    HELP_NOTE = FILTER_HELP

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace,q", "back", "Back", id="logs.back"),
        Binding("slash,f7", "filter", "Filter", id="logs.filter"),
        Binding("f3,ctrl+f", "search", "Search", id="logs.search"),
        Binding("n", "next_match(1)", "Next", id="logs.next"),
        Binding("N", "next_match(-1)", "Previous", show=False, id="logs.previous"),
        Binding("m", "toggle_files", "Merged/file", id="logs.files"),
        Binding("s,f2", "export", "Save", id="logs.export"),
        Binding("x,f5", "clear", "Clear filter", show=False, id="logs.clear"),
    ]

    DEFAULT_CSS = """
    LogScreen #log-head { height: auto; max-height: 3; background: $panel; padding: 0 1; }
    LogScreen #log-files { height: auto; max-height: 4; padding: 0 1; display: none; }
    LogScreen #log-files.-shown { display: block; }
    LogScreen #log-view { height: 1fr; border: round $border-blurred; }
    LogScreen #log-view:focus { border: round $border; }
    LogScreen #log-meta {
        height: 1; padding: 0 1; background: $boost; text-wrap: nowrap; text-overflow: ellipsis;
    }
    LogScreen #log-detail { height: 3; padding: 0 1; background: $boost; overflow-y: hidden; }
    LogScreen.-short #log-detail { height: 1; }
    LogScreen Input, LogScreen Input:focus {
        display: none; height: 1; border: none; padding: 0 1; background: $boost;
    }
    LogScreen Input.-shown { display: block; }
    """

    # Textual annotates these oddly (ClassVar[...] | None): mypy rejects a ClassVar here
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # noqa: RUF012

    def __init__(self) -> None:
        super().__init__()
        self.model = LogModel(by_time=True)
        self.snapshot: LogSnapshot | None = None
        self.filter_text = ""
        self.filter_error = ""
        self.related_label = ""
        self.search: LogSearch | None = None
        self._select: LogLine | None = None
        self._detail_seq = -1
        self._ready = False  # the app's refresh can reach a pushed screen before its mount

    @property
    def vostui(self) -> VostuiApp:
        from vostui.ui.app import VostuiApp

        assert isinstance(self.app, VostuiApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield Static(Content(""), id="log-head")
        yield Static(Content(""), id="log-files")
        yield LogView(blurred_cursor=True, id="log-view")
        yield Static(Content(""), id="log-meta")
        yield Static(Content(""), id="log-detail")
        yield Input(
            placeholder="filter: level>=warning file=secure ip= callid= number= text~re words",
            id="log-filter",
        )
        yield Input(placeholder="search: text, or re:REGEX (n/N next/previous)", id="log-search")
        yield Input(placeholder="save the lines shown to this file", id="log-export")
        yield KeyBar()

    @property
    def view(self) -> LogView:
        return self.query_one("#log-view", LogView)

    def on_mount(self) -> None:
        self._ready = True
        self.view.border_title = "Logs"
        self.view.focus()
        self._pull()

    def on_screen_resume(self) -> None:
        self._pull()

    def _pull(self) -> None:
        feed = getattr(self.app, "host_feed", None)
        self.show_host(None, feed.logs() if feed is not None else None)

    # data

    def show_host(self, host: HostSnapshot | None, logs: LogSnapshot | None) -> None:
        if not self._ready:
            return
        if logs is None:
            self.view.empty = [("the log follower is not running in this session", "empty")]
            self.view.refresh()
            self._head()
            return
        self.snapshot = logs
        added = self.model.update(logs)
        if added is None and self._select is None:
            return
        view = self.view
        view.set_files(status.path for status in logs.files)
        view.empty = [
            ("no lines match" if self.model.narrowed else "no log lines yet", "empty"),
            *status_lines(logs.files),
        ]
        view.set_lines(self.model.lines, added=added or 0, key=self.model.key)
        if self._select is not None:
            self._go_to_line(self._select)
            self._select = None
        self._head()
        self._files(logs)
        self._detail()

    def _go_to_line(self, line: LogLine) -> None:
        index = self.model.position(line)
        if index is None and self.model.lines:
            index = self.model.nearest(line)
        if index is not None:
            self.view.go_to(index)

    def _rebuild(self) -> None:
        """After the filter or the view changed: take every line again, keep the cursor."""
        keep = None if self.view.following else self.view.current
        self.model.reset()
        self.view.new_lines = 0
        if self.snapshot is not None:
            self.model.update(self.snapshot)
        self.view.set_lines(self.model.lines, key=self.model.key, reset=True)
        if keep is not None and self.model.lines:
            self._go_to_line(keep)
        if self.snapshot is not None:
            self.view.empty = [
                ("no lines match" if self.model.narrowed else "no log lines yet", "empty"),
                *status_lines(self.snapshot.files),
            ]
        self._head()
        self._detail()

    # what the screen says

    def _head(self) -> None:
        logs = self.snapshot
        model = self.model
        mode = (
            f"file {clean_line(model.file, 80)}" if model.file is not None else "all files by time"
        )
        parts: list[tuple[str, str]] = [(mode, "bold")]
        if logs is not None:
            parts.append((f"  {len(model.lines)} of {len(logs.lines)} lines", ""))
            if logs.dropped:
                parts.append((f" ({logs.dropped} older scrolled out)", QUIET))
            if logs.rate:
                parts.append((f"  {logs.rate:g} lines/s", QUIET))
        paused = follow_note(self.view)
        parts.append((f"  {paused}" if paused else "  following", WARN if paused else QUIET))
        second: list[tuple[str, str]] = []
        if self.related_label:
            second += [("  logs of ", QUIET), (clean_line(self.related_label, 120), ACCENT)]
        if self.filter_text:
            second += [("  filter ", QUIET), (clean_line(self.filter_text, 160), ACCENT)]
        if self.filter_error:
            second += [("  ", ""), (clean_line(self.filter_error, 160), BAD)]
        if self.search is not None:
            second += [("  search ", QUIET), (clean_line(self.search.pattern, 80), ACCENT)]
        if second:
            second[0] = (second[0][0].lstrip(), second[0][1])
            parts.append(("\n", ""))
            parts += second
        self.query_one("#log-head", Static).update(Content.assemble(*parts))

    def _files(self, logs: LogSnapshot) -> None:
        lines = status_lines(logs.files)
        widget = self.query_one("#log-files", Static)
        widget.set_class(bool(lines), "-shown")
        if lines:
            styles = {"problem": BAD, "fix": ACCENT}
            parts: list[tuple[str, str]] = []
            for n, (text, tone) in enumerate(lines):
                parts.append((("\n" if n else "") + text, styles.get(tone, "")))
            widget.update(Content.assemble(*parts))

    def _detail(self) -> None:
        line = self.view.current
        seq = line.seq if line is not None else -1
        if seq == self._detail_seq:
            return
        self._detail_seq = seq
        meta = self.query_one("#log-meta", Static)
        detail = self.query_one("#log-detail", Static)
        if line is None:
            meta.update(Content(""))
            detail.update(Content(""))
            return
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(line.ts))
        # the whole path where there is room; the file's short name on a narrow screen
        name = line.file if self.size.width >= 120 else file_label(line.file)
        parts: list[tuple[str, str]] = [
            (clean_line(name, 100), "bold"),
            (f"  {stamp}", QUIET),
            (
                f"  {line.level}",
                BAD if line.level == "error" else WARN if line.level == "warning" else "",
            ),
        ]
        if line.call_ids:
            parts += [("  call-id ", QUIET), (clean_line(" ".join(line.call_ids), 200), "")]
        if line.numbers:
            parts += [("  numbers ", QUIET), (clean_line(" ".join(line.numbers), 120), "")]
        if line.ips:
            parts += [("  ips ", QUIET), (clean_line(" ".join(line.ips), 200), "")]
        if line.cut:
            parts.append((f"  [cut {line.cut} bytes: the line was longer than the cap]", WARN))
        meta.update(Content.assemble(*parts))
        detail.update(Content(clean_line(line.text, 8192)))

    @on(LogView.Moved, "#log-view")
    def _moved(self) -> None:
        self._head()
        self._detail()

    # filter, search, export inputs

    def _open_input(self, name: str, value: str) -> None:
        for other in ("filter", "search", "export"):
            self.query_one(f"#log-{other}", Input).set_class(other == name, "-shown")
        field = self.query_one(f"#log-{name}", Input)
        field.value = value
        field.cursor_position = len(value)
        field.focus()

    def _close_inputs(self) -> None:
        for name in ("filter", "search", "export"):
            self.query_one(f"#log-{name}", Input).remove_class("-shown")
        self.view.focus()

    def action_filter(self) -> None:
        self._open_input("filter", self.filter_text)

    def action_search(self) -> None:
        self._open_input("search", self.search.pattern if self.search else "")

    def action_export(self) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = Path(getattr(self.app, "export_dir", ".")) / f"vostui-logs-{stamp}.log"
        self._open_input("export", str(path))

    def action_back(self) -> None:
        for name in ("filter", "search", "export"):
            if self.query_one(f"#log-{name}", Input).has_class("-shown"):
                self._close_inputs()
                return
        self.app.pop_screen()

    def action_clear(self) -> None:
        self.set_filter("")
        self.related_label = ""
        self.model.related = None
        self.search = None
        self.view.search = None
        self._rebuild()

    @on(Input.Submitted, "#log-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if self.set_filter(event.value):
            self._close_inputs()

    @on(Input.Changed, "#log-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        # apply as typed when it parses: the operator sees the effect at once
        self.set_filter(event.value, quiet=True)

    def set_filter(self, text: str, quiet: bool = False) -> bool:
        """Apply the filter text; on an error keep the last good filter and say why."""
        text = text.strip()
        files = [status.path for status in self.snapshot.files] if self.snapshot else []
        try:
            log_filter, words, described = parse_filter(text, files)
        except ValueError as exc:
            self.filter_error = str(exc)
            self._head()
            return False
        self.filter_error = ""
        if (log_filter, words) == (self.model.filter, self.model.words) and quiet:
            self._head()
            return True
        self.filter_text = described
        self.model.filter = log_filter
        self.model.words = words
        self._rebuild()
        return True

    @on(Input.Submitted, "#log-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        try:
            self.search = parse_search(event.value)
        except ValueError as exc:
            self.notify(clean_line(str(exc), 200), severity="error", markup=False)
            return
        self.view.search = self.search
        self._close_inputs()
        self.view.refresh()
        self._head()
        if self.search is not None:
            self.action_next_match(1, from_here=True)

    def action_next_match(self, direction: int, from_here: bool = False) -> None:
        if self.search is None:
            self.notify("no search: F3 or Ctrl+F first", severity="warning", markup=False)
            return
        lines = self.model.lines
        indexes = self.search.indexes(lines)
        if not indexes:
            self.notify("no line matches the search", severity="warning", markup=False)
            return
        current = self.view.cursor - (1 if from_here else 0)
        if direction > 0:
            index = LogSearch.next_index(indexes, current)
        else:
            index = LogSearch.previous_index(indexes, self.view.cursor)
        if index is not None:
            self.view.go_to(index)
            self.view.focus()
            position = indexes.index(index) + 1
            self.notify(f"match {position} of {len(indexes)}", markup=False, timeout=2)

    @on(Input.Submitted, "#log-export")
    def _export_submitted(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        if not path:
            return
        if not Path(path).is_absolute():  # a bare name goes where the other exports go
            path = str(Path(getattr(self.app, "export_dir", ".")) / path)
        self._close_inputs()
        lines = list(self.model.lines)
        try:
            self._write(lines, path, overwrite=False)
        except FileExistsError:

            def answered(yes: bool | None) -> None:
                if yes:
                    self._write_or_say(lines, path, overwrite=True)

            self.app.push_screen(
                ConfirmScreen(f"{path} exists. Overwrite it with {len(lines)} lines?"), answered
            )
        except OSError as exc:
            self._say_failed(exc)

    def _write_or_say(self, lines: list[LogLine], path: str, overwrite: bool) -> None:
        try:
            self._write(lines, path, overwrite=overwrite)
        except OSError as exc:
            self._say_failed(exc)

    def _write(self, lines: list[LogLine], path: str, overwrite: bool) -> None:
        written = export(lines, path, overwrite=overwrite)
        self.notify(f"saved {written} lines to {clean_line(path, 200)}", markup=False)

    def _say_failed(self, exc: OSError) -> None:
        reason = exc.strerror or str(exc)
        self.notify(f"not saved: {clean_line(reason, 200)}", severity="error", markup=False)

    # views

    def action_toggle_files(self) -> None:
        """All files merged by time → each file in turn → merged again."""
        files = sorted({status.path for status in self.snapshot.files}) if self.snapshot else []
        current = self.model.file
        if current is None:
            following = files[0] if files else None
        else:
            position = files.index(current) if current in files else len(files)
            following = files[position + 1] if position + 1 < len(files) else None
        self.model.file = following
        self.model.by_time = following is None
        self._rebuild()

    def show_related(
        self, call_ids: Sequence[str], numbers: Sequence[str], ips: Sequence[str], label: str
    ) -> None:
        """Only the lines naming these Call-IDs, numbers or IPs (a call's log lines)."""
        self.model.related = (tuple(call_ids), tuple(numbers), tuple(ips))
        self.related_label = label
        if self._ready:
            self._rebuild()

    def clear_related(self) -> None:
        """Back to every line (the operator's filter still applies)."""
        if self.model.related is None and not self.related_label:
            return
        self.model.related = None
        self.related_label = ""
        if self._ready:
            self._rebuild()

    def select(self, line: LogLine | None) -> None:
        """Put the cursor on this line when the screen shows next."""
        self._select = line

    # going to what a line names

    @on(LogView.Selected, "#log-view")
    def _selected(self, event: LogView.Selected) -> None:
        event.stop()
        self.open_line(event.line)

    def open_line(self, line: LogLine) -> None:
        from vostui.ui.navigation import OpenCall, OpenRegistration

        snapshot = self.vostui.pipeline.snapshot()
        call = call_for_line(snapshot, line)
        if call is not None:
            self.post_message(OpenCall(call.key))
            return
        for ip in line.ips:
            for registration in snapshot.registrations:
                if registration.source.rsplit(":", 1)[0].strip("[]") == ip:
                    self.post_message(
                        OpenRegistration.of(registration.account, registration.source)
                    )
                    return
        if line.call_ids:
            what = "call " + clean_line(line.call_ids[0], 80)
        elif line.ips:
            what = "registration from " + ", ".join(line.ips[:3])
        else:
            what = "Call-ID or address"
        self.notify(f"no {what} in the engine for this line", severity="warning", markup=False)


def log_screen(app: App[Any]) -> LogScreen:
    """The app's one log screen (kept, so filter and search survive leaving it)."""
    existing = getattr(app, "_log_screen", None)
    if isinstance(existing, LogScreen):
        return existing
    screen = LogScreen()
    app.install_screen(screen, name="logs")
    app._log_screen = screen  # type: ignore[attr-defined]
    return screen


def _bring_up(app: App[Any], screen: LogScreen) -> None:
    if app.screen is screen:
        screen.show_host(None, getattr(getattr(app, "host_feed", None), "logs", lambda: None)())
        return
    if screen in app.screen_stack:
        while app.screen is not screen:
            app.pop_screen()
        screen._pull()
        return
    app.push_screen("logs")


def open_log_screen(app: App[Any], select: LogLine | None = None) -> LogScreen:
    """Show the log screen, with the cursor on `select` if given.

    Opened this way (L, Enter on the logs pane) it shows every line again: the lines of
    a call that `g` narrowed it to last time are not what the operator asks for now.
    The operator's own filter and search stay."""
    screen = log_screen(app)
    screen.clear_related()
    if select is not None:
        screen.select(select)
    _bring_up(app, screen)
    return screen


def open_logs_for(
    app: App[Any],
    call_ids: Sequence[str] = (),
    numbers: Sequence[str] = (),
    ips: Sequence[str] = (),
    label: str = "",
) -> LogScreen:
    """The log screen narrowed to the lines naming these Call-IDs, numbers or IPs."""
    screen = log_screen(app)
    shown = label or ", ".join([*call_ids[:1], *numbers[:2], *ips[:2]])
    screen.show_related(call_ids, numbers, ips, shown)
    _bring_up(app, screen)
    return screen


def open_logs_for_call(app: App[Any], call: CallView) -> LogScreen:
    """`g` on a call: its log lines, by its legs' Call-IDs and its numbers."""
    call_ids, numbers, ips = call_relations(call)
    label = f"call {call.caller} → {call.callee}"
    return open_logs_for(app, call_ids, numbers, ips, label)
