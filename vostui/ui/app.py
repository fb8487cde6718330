"""The console application: pulls snapshots on a timer and hands them to the screen on top.

The UI never receives per-packet messages: every `config.refresh` seconds it asks the
pipeline for its latest immutable snapshot, so the cost of the UI follows the screen,
not the traffic. Every way out (q, Ctrl+C, SIGHUP, SIGTERM, a terminal that went away)
stops the pipeline, which kills tcpdump.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import time
from collections.abc import Iterable, Sequence
from typing import ClassVar, Protocol

from textual import on
from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.driver import Driver
from textual.filter import Monochrome, NoColor
from textual.screen import Screen
from textual.theme import Theme

from vostui import children
from vostui.config import Config
from vostui.engine.snapshot import EngineSnapshot, MessageRecord
from vostui.exit_guard import EXIT_HANGUP, ExitGuard, grace_seconds
from vostui.text import clean_line
from vostui.ui.call_screen import CallScreen
from vostui.ui.commands import commands_for
from vostui.ui.dashboard import DashboardScreen
from vostui.ui.diagnosis import (
    Diagnosis,
    DiagnosisReady,
    Mode,
    open_checklist,
    open_codes,
    open_findings,
)
from vostui.ui.help_screen import HelpScreen, binding_rows
from vostui.ui.host_feed import HostFeed, HostMonitorLike, LogFollowerLike
from vostui.ui.key_order import KeyOrder
from vostui.ui.keymaps import keymap_for
from vostui.ui.navigation import FilterCalls, OpenCall, OpenRegistration
from vostui.ui.problem_screen import ProblemScreen
from vostui.ui.registration_screen import RegistrationScreen
from vostui.ui.registrations_pane import registration_key
from vostui.ui.status_bar import SourceStatusLike
from vostui.ui.terminal_driver import ConsoleDriver
from vostui.ui.themes import DEFAULT_THEME, load_themes


class PipelineLike(Protocol):
    """What the console needs from vostui.pipeline.Pipeline."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def snapshot(self) -> EngineSnapshot: ...

    def status(self) -> SourceStatusLike: ...

    def now(self) -> float:
        """The clock durations tick against: wall time live and in replays, else packet time."""
        ...

    def message_pcap(self, records: Sequence[MessageRecord], path: str) -> None: ...


FULL_COLLECTION_EVERY = 100  # middle-generation collections (Python's default: 10)


class VostuiApp(KeyOrder[int]):
    TITLE = "vostui"
    # z (zoom) keeps the status line and the key hints on screen
    ALLOW_IN_MAXIMIZED_VIEW: ClassVar[str] = "StatusBar, KeyBar"

    CSS = """
    Screen { background: $background; }
    /* NO_COLOR: no colour at all; what colour marked, shape and weight mark instead */
    App:nocolor RowTable > .row-table--cursor,
    App:nocolor LogView > .log-view--cursor,
    App:nocolor LadderView:focus > .ladder--cursor,
    App:nocolor Input > .input--cursor { text-style: reverse bold; }
    App:nocolor Pane:focus-within,
    App:nocolor LadderView:focus { border: heavy $border; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q,f10", "quit", "Quit", id="app.quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.interrupt"),
        Binding("question_mark,f1", "help", "Keys", id="app.help"),
        Binding("colon", "command_palette", "Commands", show=False, id="app.commands"),
        Binding("z", "toggle_maximize", "Zoom", id="app.zoom"),
        Binding("exclamation_mark", "findings", "Findings", id="app.findings"),
        Binding("c", "checklist", "Checklist", id="app.checklist"),
        Binding("R", "codes", "SIP codes", id="app.codes"),
        Binding("F", "open_host('firewall')", "Firewall", show=False, id="app.firewall"),
        Binding("C", "open_host('conntrack')", "Conntrack", show=False, id="app.conntrack"),
        Binding("S", "open_host('system')", "System", show=False, id="app.system"),
        Binding("L", "logs", "Logs", show=False, id="app.logs"),
    ]

    def __init__(
        self,
        config: Config,
        pipeline: PipelineLike,
        *,
        title: str = "vostui",
        deterministic: bool = False,
        start_pipeline: bool = True,
        export_dir: str | None = None,
        diagnosis: Mode | None = None,
        host_monitor: HostMonitorLike | None = None,
        log_follower: LogFollowerLike | None = None,
        host_label: str = "",
    ) -> None:
        """`deterministic` (tests): no wall clock, no process figures, no signal or tty watch,
        diagnosis inline (unless `diagnosis` says "thread" or "off")."""
        super().__init__()
        if self.no_color:
            # Textual turns colours to greys (Monochrome) unless the theme is ANSI: NO_COLOR
            # (no-color.org) asks for none, so no colour escape is sent at all
            self._filters = [f for f in self._filters if not isinstance(f, Monochrome)]
            self._filters.append(NoColor())
        self.config = config
        self.pipeline = pipeline
        self.title = title
        self.deterministic = deterministic
        self.start_pipeline = start_pipeline
        # where s/F2 and w offer to save: the flag, else `save_dir`, else the cwd
        self.export_dir = export_dir or os.path.expanduser(config.save_dir) or os.getcwd()
        self.vostui_themes: dict[str, Theme] = {}
        self.snapshot_version = -1
        self.last_refresh_ms = 0.0
        self._stopped = False
        self._problem_dismissed: tuple[str, str] | None = None
        self._event_loop: asyncio.AbstractEventLoop | None = None
        # SIGHUP, SIGTERM, a dead terminal: set by run_console, None in tests
        self.exit_guard: ExitGuard | None = None
        self._warned = 0  # capture warnings already said
        self._call_screen: CallScreen | None = None
        self._frozen = False
        # started on mount, stopped with the pipeline; None: that pane says "not watched"
        self.host_monitor = host_monitor
        self.log_follower = log_follower
        self.host_feed = HostFeed(host_monitor, log_follower, label=host_label)
        self.diagnosis = Diagnosis(
            self, config, mode=diagnosis or ("inline" if deterministic else "thread")
        )

    # start-up

    async def on_mount(self) -> None:
        self._setup_themes()
        self._setup_keys()
        await self.push_screen(DashboardScreen())
        # Full collections of the cyclic GC walk every tracked object: with a big
        # engine behind the screen they were the pauses a key press waited on. The
        # engine's objects are frozen as they come (see pipeline.freeze_now); the
        # widgets present now are frozen here, and full collections made rarer.
        gc.freeze()
        young, middle, _old = gc.get_threshold()
        gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
        if self.start_pipeline:
            try:
                self.pipeline.start()
            except Exception as exc:  # the contract says start() never raises; be sure
                self.push_screen(ProblemScreen("capture", f"the capture did not start: {exc}", ""))
        for problem in self.host_feed.start():
            self.notify(problem, severity="warning", markup=False, timeout=10)
        self._event_loop = asyncio.get_running_loop()
        self.pull()
        self.set_interval(max(0.05, self.config.refresh), self.pull)

    def _setup_themes(self) -> None:
        themes, problems = load_themes()
        for theme in themes.values():
            self.register_theme(theme)
        self.vostui_themes = themes
        for problem in problems:
            self.notify(
                f"theme not loaded: {problem.reason}", severity="warning", markup=False, timeout=10
            )
        wanted = self.config.theme
        if wanted in self.available_themes:
            self.theme = wanted
            return
        fallback = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        self.theme = fallback
        self.notify(
            f"theme {wanted!r} not found or invalid; using {fallback}",
            severity="warning",
            markup=False,
            timeout=10,
        )

    def _setup_keys(self) -> None:
        """`keymap = "sngrep"` and the config's [keys] (vostui/ui/keymaps.py)."""
        keymap, unknown = keymap_for(self.config)
        if keymap:
            self.set_keymap(keymap)
        for binding_id in unknown:
            self.notify(
                f"[keys] {binding_id}: no such binding (? lists the keys of each screen)",
                severity="warning",
                markup=False,
                timeout=10,
            )

    def use_theme(self, name: str) -> None:
        if name in self.available_themes:
            self.theme = name

    def get_driver_class(self) -> type[Driver]:
        if sys.platform.startswith("linux"):  # headless runs (tests) use Textual's own
            return ConsoleDriver  # survives a terminal that hangs up (see terminal_driver)
        return super().get_driver_class()

    def request_exit(self, code: int) -> None:
        """Leave with `code` (129 hang-up, 143 SIGTERM); callable from any thread."""
        loop = self._event_loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._hang_up, code)

    def terminal_lost(self) -> None:
        """The terminal refused a write (it hung up): leave (from Textual's output thread)."""
        if self.exit_guard is not None:
            self.exit_guard.trigger(EXIT_HANGUP, "terminal write failed")
        else:
            self.request_exit(EXIT_HANGUP)

    def _hang_up(self, code: int = EXIT_HANGUP) -> None:
        self.stop_pipeline()
        self.exit(code, return_code=code)

    # the refresh loop

    def pull(self) -> None:
        """Fetch the latest snapshot and status; draw them on the screen on top."""
        if not self.is_running:
            return
        started = time.perf_counter()
        snapshot = self.pipeline.snapshot()
        status = self.pipeline.status()
        now = snapshot.now if self.deterministic else self.pipeline.now()
        self._check_problem(status)
        self._say_warnings(status)
        if status.state == "finished" and not self._frozen and not self.deterministic:
            # A finished capture's calls stay as they are: move them out of the cyclic
            # collector's sight. Measured with 20k calls (3.6M objects) a full
            # collection froze the screen for 2.4 s; refcounting still frees them.
            self._frozen = True
            gc.freeze()
        if not self.is_running:
            return  # shutting down: the screens are losing their widgets
        screen = self.screen
        # a screen just pushed may not have its widgets yet: it draws itself on mount
        if isinstance(screen, DashboardScreen | CallScreen | RegistrationScreen) and (
            screen.is_mounted
        ):
            screen.show(snapshot, status, now)
        self.host_feed.draw(screen)  # the host and log panes on screen, when they changed
        self.diagnosis.offer(snapshot)  # off the UI thread, when the data changed
        self.snapshot_version = snapshot.version
        self.last_refresh_ms = (time.perf_counter() - started) * 1000

    def _say_warnings(self, status: SourceStatusLike) -> None:
        """A capture file's warnings (cut short, damaged), each said once; the status bar
        keeps the mark."""
        warnings = status.warnings
        for warning in warnings[self._warned :]:
            self.notify(f"capture: {warning}", severity="warning", markup=False, timeout=15)
        self._warned = max(self._warned, len(warnings))

    def _check_problem(self, status: SourceStatusLike) -> None:
        if status.state != "failed" or not status.problem:
            return
        key = (status.problem, status.fix)
        screen = self.screen
        if isinstance(screen, ProblemScreen):
            screen.update_problem(status.label, status.problem, status.fix)
            return
        if self._problem_dismissed == key:
            return
        self._problem_dismissed = key  # once dismissed with d, only a new problem comes back
        self.push_screen(ProblemScreen(status.label, status.problem, status.fix))

    # navigation

    @on(OpenCall)
    def _open_call(self, event: OpenCall) -> None:
        event.stop()
        if self.pipeline.snapshot().call(event.key) is None:  # evicted since it was named
            self.notify(
                f"call {clean_line(event.key, 80)} is no longer in the engine (evicted)",
                severity="warning",
                markup=False,
            )
            return
        self.open_call(event.key, message=event.message)

    def open_call(self, key: str, message: int = 0) -> None:
        """The call's ladder, at one of its messages (engine index) when given."""
        # one call screen, reused: composing a new one each time cost ~40 ms more
        snapshot = self.pipeline.snapshot()
        if self._call_screen is None:
            self._call_screen = CallScreen(key, snapshot, message=message)
            self.install_screen(self._call_screen, name="call")
        else:
            while self._call_screen in self.screen_stack and self.screen is not self._call_screen:
                self.pop_screen()  # a jump from a finding over an open call
            self._call_screen.open(key, snapshot, message=message)
            if self.screen is self._call_screen:
                return
        self.push_screen("call")

    @on(DiagnosisReady)
    def _diagnosed(self, event: DiagnosisReady) -> None:
        self.diagnosis.receive(event.result)

    def action_findings(self) -> None:
        open_findings(self)

    def action_checklist(self) -> None:
        open_checklist(self)

    def action_codes(self) -> None:
        open_codes(self)

    @on(OpenRegistration)
    def _open_registration(self, event: OpenRegistration) -> None:
        event.stop()
        snapshot = self.pipeline.snapshot()
        if not any(registration_key(r) == event.key for r in snapshot.registrations):
            account, _, source = event.key.partition("\x00")
            self.notify(
                f"registration {clean_line(account, 80)} from {clean_line(source, 60)}"
                " is no longer in the engine",
                severity="warning",
                markup=False,
            )
            return
        self.push_screen(RegistrationScreen(event.key, snapshot))

    @on(FilterCalls)
    def _filter_calls(self, event: FilterCalls) -> None:
        """Back to the dashboard, the calls pane filtered by `event.text`."""
        event.stop()
        while len(self.screen_stack) > 1 and not isinstance(self.screen, DashboardScreen):
            self.pop_screen()
        screen = self.screen
        if isinstance(screen, DashboardScreen):
            screen.filter_calls(event.text)

    def action_open_host(self, what: str) -> None:
        from vostui.ui.host_screens import open_host_screen

        open_host_screen(self, what)

    def action_logs(self) -> None:
        from vostui.ui.log_screen import open_log_screen

        open_log_screen(self)

    def show_logs_for(
        self,
        call_ids: Sequence[str] = (),
        numbers: Sequence[str] = (),
        ips: Sequence[str] = (),
        label: str = "",
    ) -> None:
        """The log screen narrowed to lines naming these Call-IDs, numbers or IPs."""
        from vostui.ui.log_screen import open_logs_for

        open_logs_for(self, call_ids, numbers, ips, label)

    def action_help(self) -> None:
        screen = self.screen
        if isinstance(screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(
            HelpScreen(
                binding_rows(screen),
                type(screen).__name__.removesuffix("Screen"),
                note=str(getattr(screen, "HELP_NOTE", "")),
            )
        )

    def action_toggle_maximize(self) -> None:
        """z: the focused pane fills the screen; z or Esc again restores it."""
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
        elif screen.focused is not None:
            screen.maximize(screen.focused)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from commands_for(self, screen)
        for command in super().get_system_commands(screen):
            if command.title in ("Theme", "Screenshot", "Maximize", "Minimize"):
                yield command

    # the way out

    def on_unmount(self) -> None:
        # however the app ends (an error, a test's exit too), the host threads end with it
        self.host_feed.stop()

    async def action_quit(self) -> None:
        self.stop_pipeline()
        self.exit(0, return_code=0)

    def stop_pipeline(self) -> None:
        """Stop the capture once (kills tcpdump); safe to call from every exit path."""
        if self._stopped:
            return
        self._stopped = True
        try:
            self.pipeline.stop()
        except Exception as exc:  # leaving must not fail because stopping did
            self.log.error(f"pipeline.stop failed: {exc!r}")
        self.host_feed.stop()


def run_console(config: Config, pipeline: PipelineLike, *, title: str) -> int:
    """Run the console until the operator leaves; the pipeline is started and stopped here."""
    from vostui.host.logs import LogFollower
    from vostui.host.monitor import HostMonitor, HostSettings

    app = VostuiApp(
        config,
        pipeline,
        title=title,
        host_monitor=HostMonitor(HostSettings.from_config(config)),
        log_follower=LogFollower.from_config(config, level_patterns=config.log_level_patterns),
        # files and the demo come from elsewhere; the host panes describe this machine
        host_label="" if getattr(pipeline, "live", True) else "this host",
    )
    # Installed before Textual starts, so a hang-up during start-up is covered too;
    # the guard leaves with os._exit if the orderly way has not ended in a few seconds.
    if not app.is_headless and sys.__stdin__ is not None and sys.__stdin__.isatty():
        app.exit_guard = ExitGuard(app.request_exit, grace=grace_seconds())
        app.exit_guard.install()
    code = 1  # an exception out of Textual
    try:
        app.run()
        # 0 on q, 129 after a hang-up, 143 on SIGTERM, 1 when Textual stopped on an error
        code = app.return_code if app.return_code is not None else 0
    except KeyboardInterrupt:  # a SIGINT from outside (kill -INT); Ctrl+C is a key here
        code = 130
    finally:
        app.stop_pipeline()
        children.kill_all()
        if app.exit_guard is not None:  # and the interpreter's own exit may not hang either
            app.exit_guard.trigger(code, "leaving")
    return code
