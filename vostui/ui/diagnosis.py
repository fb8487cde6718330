"""Diagnosis in the console: `diagnose` off the UI thread, only when the data changed.

The app offers every snapshot it pulls (`Diagnosis.offer`). A run starts only when the
engine's, the host's or the logs' version moved since the last run, never while one is
still running, and at most every `INTERVAL` seconds (or ten times as long as the last
run took, when that is longer: at 20,000 calls a run takes 0.3 s alone and up to a
second beside a busy UI, so diagnosis stays near a tenth of a core). The host monitor
publishes a new version every second even when nothing changed, so a change of the
host or the logs alone waits `HOST_INTERVAL`. The findings come back to the UI thread as a
`DiagnosisReady` message, and `Diagnosis.receive` hands them to every screen that
shows them. A key press never waits for a run.

When a checklist screen is open, the run also works through its symptom's checklist
against the same snapshots, so the checklist follows the data as it refreshes.

Tests (`deterministic` apps) run it inline, on every new version, so what a screen
shows does not depend on thread timing.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from textual.app import App, SystemCommand
from textual.message import Message

from vostui.diagnose import SYMPTOMS, Checklist, Finding, Settings, diagnose, run_checklist
from vostui.engine.snapshot import EngineSnapshot
from vostui.text import clean_line
from vostui.ui.alerts_strip import AlertsStrip

INTERVAL = 3.0  # seconds between two runs at most
COST_SHARE = 10.0  # wait at least this many times the last run's duration
HOST_INTERVAL = 10.0  # when only the host's or the logs' snapshot changed

Mode = Literal["thread", "inline", "off"]


class SnapshotSource(Protocol):
    """A host monitor or a log follower: anything whose `snapshot()` has a `version`."""

    def snapshot(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class DiagnosisResult:
    """One run's findings over one set of snapshots, indexed for the screens."""

    serial: int  # counts runs: a screen redraws when this changes
    versions: tuple[int, int, int]  # engine, host, logs (-1: not there)
    findings: tuple[Finding, ...]
    seconds: float  # how long the run took (wall)
    at: float  # the data's time (the engine snapshot's `now`)
    host_checked: bool
    logs_checked: bool
    checklist: Checklist | None = None
    problem: str = ""  # the run failed (a bug): what went wrong
    by_call: dict[str, tuple[Finding, ...]] = field(default_factory=dict)
    by_registration: dict[tuple[str, str], tuple[Finding, ...]] = field(default_factory=dict)

    def for_call(self, key: str) -> tuple[Finding, ...]:
        return self.by_call.get(key, ())

    def for_registration(self, account: str, source: str) -> tuple[Finding, ...]:
        return self.by_registration.get((account, source), ())


class DiagnosisReady(Message):
    """A run finished; a newer result replaces one not yet handled."""

    def __init__(self, result: DiagnosisResult) -> None:
        super().__init__()
        self.result = result

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DiagnosisReady)


def index_findings(
    findings: tuple[Finding, ...],
) -> tuple[dict[str, tuple[Finding, ...]], dict[tuple[str, str], tuple[Finding, ...]]]:
    """Findings by the call and by the registration they point at (one pass, not one
    scan of every finding each time a call screen redraws)."""
    calls: dict[str, list[Finding]] = {}
    registrations: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        # every call the finding covers (`Finding.calls()`), not only its first refs
        for key in dict.fromkeys(finding.calls()):
            calls.setdefault(key, []).append(finding)
        seen_regs: set[tuple[str, str]] = set()
        for ref in finding.refs:
            if ref.registration is not None and ref.registration not in seen_regs:
                seen_regs.add(ref.registration)
                registrations.setdefault(ref.registration, []).append(finding)
    return (
        {key: tuple(found) for key, found in calls.items()},
        {key: tuple(found) for key, found in registrations.items()},
    )


def _version(snapshot: Any) -> int:
    return int(getattr(snapshot, "version", 0)) if snapshot is not None else -1


def run_diagnosis(
    serial: int,
    engine_snap: EngineSnapshot,
    host: Any,
    logs: Any,
    config: Any,
    settings: Settings | None,
    symptom: str | None,
) -> DiagnosisResult:
    """Everything one run does; safe to call from any thread (snapshots are immutable).

    The cyclic garbage collector is off during the run: the run's temporaries (per-call
    and per-gateway tallies over 20,000 calls) are freed by reference counting, but
    while they live they were promoted and set off a full collection in every other
    run, 130-150 ms with the UI thread waiting on it.
    """
    started = time.perf_counter()
    versions = (engine_snap.version, _version(host), _version(logs))
    collecting = gc.isenabled()
    if collecting:
        gc.disable()
    try:
        findings = diagnose(engine_snap, host, logs, config, settings=settings)
        checklist = (
            run_checklist(
                symptom, engine_snap, host, logs, config, findings=findings, settings=settings
            )
            if symptom
            else None
        )
    except Exception as exc:  # a bug in a rule or checklist must not end the console
        return DiagnosisResult(
            serial,
            versions,
            (),
            time.perf_counter() - started,
            engine_snap.now,
            host is not None,
            logs is not None,
            problem=clean_line(f"{type(exc).__name__}: {exc}", 200),
        )
    finally:
        if collecting:
            gc.enable()
    by_call, by_registration = index_findings(findings)
    return DiagnosisResult(
        serial,
        versions,
        findings,
        time.perf_counter() - started,
        engine_snap.now,
        host is not None,
        logs is not None,
        checklist,
        by_call=by_call,
        by_registration=by_registration,
    )


class Diagnosis:
    """The app's diagnosis: when to run, the latest result, and who gets it."""

    def __init__(
        self,
        app: App[Any],
        config: Any,
        *,
        mode: Mode = "thread",
        interval: float = INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.config = config
        self.mode: Mode = mode
        self.interval = interval
        self.cost_share = COST_SHARE
        self.clock = clock
        try:
            self.settings: Settings | None = Settings.from_config(config)
        except Exception:  # a bad [diagnose] table: the config loader says so; use defaults
            self.settings = None
        self.result: DiagnosisResult | None = None
        self.symptom: str | None = None  # the checklist a screen wants worked through
        self.running = False
        self.runs = 0
        self._serial = 0
        self._ran_on: tuple[tuple[int, int, int], str | None] | None = None
        self._started_at: float | None = None
        self._forced = False
        self._latest: EngineSnapshot | None = None

    # what the screens ask for

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.result.findings if self.result is not None else ()

    def want_checklist(self, symptom: str | None) -> None:
        """A checklist screen picked a symptom (None: closed): run for it now."""
        self.symptom = symptom
        if symptom is not None:
            self.rerun()

    def rerun(self) -> None:
        """Run at once on the latest data, even if nothing changed (the `r` key)."""
        self._forced = True
        if self._latest is not None:
            self.offer(self._latest)

    # the refresh loop

    def offer(self, snapshot: EngineSnapshot) -> None:
        """Called on every UI pull: start a run when it is due; cheap when it is not."""
        self._latest = snapshot
        if self.mode == "off" or self.running:
            return
        now = self.clock()
        if self.mode == "thread" and not self._forced and self._started_at is not None:
            since = now - self._started_at
            if since < self._wait():
                return
            last = self._ran_on
            engine_moved = last is None or (snapshot.version, self.symptom) != (
                last[0][0],
                last[1],
            )
            if not engine_moved and since < max(HOST_INTERVAL, self._wait()):
                return  # the host and logs alone (polled every second) wait longer
        host, logs = self._host_and_logs()
        versions = (snapshot.version, _version(host), _version(logs))
        if (versions, self.symptom) == self._ran_on and not self._forced:
            return
        self._forced = False
        self._ran_on = (versions, self.symptom)
        self._started_at = now
        self._serial += 1
        args = (self._serial, snapshot, host, logs, self.config, self.settings, self.symptom)
        if self.mode == "inline":
            self.receive(run_diagnosis(*args))
            return
        self.running = True

        def work() -> None:
            self.app.post_message(DiagnosisReady(run_diagnosis(*args)))

        self.app.run_worker(
            work, name="diagnosis", group="diagnosis", thread=True, exit_on_error=False
        )

    def _wait(self) -> float:
        last = self.result.seconds if self.result is not None else 0.0
        return max(self.interval, last * self.cost_share)

    def _host_and_logs(self) -> tuple[Any, Any]:
        """The host's and the logs' latest snapshots, when the app follows them."""
        return (
            _snapshot_of(getattr(self.app, "host_monitor", None)),
            _snapshot_of(getattr(self.app, "log_follower", None)),
        )

    def receive(self, result: DiagnosisResult) -> None:
        """On the UI thread: keep the result and hand it to every screen showing findings."""
        self.running = False
        self.runs += 1
        self.result = result
        # screens not on the stack (the reused call screen) read `result` when shown
        for screen in self.app.screen_stack:
            show = getattr(screen, "show_findings", None)
            if callable(show) and screen.is_attached:
                show(result)
            for strip in screen.query(AlertsStrip):
                strip.set_findings(result.findings)
        if self._forced and self._latest is not None:
            self.offer(self._latest)  # `r` was pressed while this run was going


def _snapshot_of(source: Any) -> Any:
    if source is None:
        return None
    try:
        return source.snapshot()
    except Exception:  # a monitor that failed says so in its own pane; diagnose without it
        return None


# -- the keys that open the screens (bound in the app) ------------------------------------


def open_findings(app: Any) -> None:
    """`!`: the findings list; pressed again on it, back where the operator was."""
    from vostui.ui.findings_screen import FindingsScreen

    if isinstance(app.screen, FindingsScreen):
        app.pop_screen()
        return
    diagnosis: Diagnosis = app.diagnosis
    app.push_screen(
        FindingsScreen(diagnosis.result, running=diagnosis.running, snapshot=app.pipeline.snapshot)
    )


def open_checklist(app: Any, symptom: str | None = None) -> None:
    """`c`: the checklists (at one symptom from the command palette)."""
    from vostui.ui.checklist_screen import ChecklistScreen

    screen = app.screen
    if isinstance(screen, ChecklistScreen):
        if symptom is None:
            app.pop_screen()
        else:
            screen.pick(symptom)
        return
    app.push_screen(ChecklistScreen(symptom))


def open_codes(app: Any, code: int | None = None) -> None:
    """`R`: the response-code reference, at the code of what is on screen (a call's
    final code, a finding's first code) when there is one."""
    from vostui.ui.codes_screen import CodesScreen

    screen = app.screen
    if isinstance(screen, CodesScreen):
        app.pop_screen()
        return
    if code is None:
        code = getattr(screen, "reference_code", None)
    app.push_screen(CodesScreen(code or None))


def diagnosis_commands(app: Any, screen: Any) -> Iterator[SystemCommand]:
    """The command palette's entries for findings, checklists and the code reference."""
    yield SystemCommand(
        "Findings", "Everything the diagnosis found, most severe first (!)", app.action_findings
    )
    yield SystemCommand(
        "Checklist", "Pick a symptom and walk through its checks (c)", app.action_checklist
    )
    for symptom in SYMPTOMS:
        yield SystemCommand(
            f"Checklist: {symptom.title}",
            symptom.description,
            lambda symptom=symptom.id: open_checklist(app, symptom),
        )
    yield SystemCommand(
        "SIP response codes",
        "What each code means, its usual cause on a softswitch, what to check (R)",
        app.action_codes,
    )
    code = getattr(screen, "reference_code", None)
    if code:
        yield SystemCommand(
            f"SIP code {code} explained",
            "The response-code reference at the code on this screen (R)",
            lambda: open_codes(app, code),
        )
    toggle = getattr(screen, "action_toggle_findings", None)
    if toggle is not None and bool(getattr(screen, "findings", None)):
        yield SystemCommand(
            "Findings here", "Show or hide this screen's findings in full (f)", toggle
        )
    yield SystemCommand(
        "Diagnose again", "Run the diagnosis now on the latest data", app.diagnosis.rerun
    )
