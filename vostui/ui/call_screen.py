"""Call screen: the ladder of one call beside the selected message."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.content import Content
from textual.widgets import Static

from vostui.engine.snapshot import CallView, EngineSnapshot, MessageRecord
from vostui.ladder import Ladder, build_ladder, clock_ms, namer, render_text
from vostui.text import clean_line
from vostui.ui.findings_screen import FindingsBox, FindingsHolder
from vostui.ui.format import BAD, GOOD, QUIET, clock, duration, seconds
from vostui.ui.keybar import KeyBar
from vostui.ui.ladder_view import LadderView
from vostui.ui.legs import FAILED_MARK, failed_attempts, leg_label
from vostui.ui.message_view import MessageView
from vostui.ui.save_box import ConfirmScreen, SaveBox

if TYPE_CHECKING:
    from vostui.ui.app import VostuiApp
    from vostui.ui.diagnosis import DiagnosisResult


def export_name(key: str, suffix: str, when: float | None = None) -> str:
    """A file name from a Call-ID that the network chose: keep only safe characters."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", key)[:40].strip("._") or "call"
    stamp = time.strftime(
        "%Y%m%d-%H%M%S", time.localtime(when if when is not None else time.time())
    )
    return f"vostui-{stem}-{stamp}.{suffix}"


class CallScreen(FindingsHolder):
    """Enter on a call opens this; Esc goes back."""

    findings_noun = "call"
    HELP_NOTE = (
        "Legs: l shows each leg alone in turn, then every leg again; b shows the B-legs "
        "the switch tried before the route taken and that failed (rejected, timed out), "
        "one at a time, then every leg (the call list's Legs column counts them: 2+1✗); "
        "F4 switches between every leg and the A-leg alone."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace,q", "back", "Back", id="call.back"),
        Binding("t", "toggle_time", "Abs/Δ time", id="call.time"),
        Binding("l", "toggle_leg", "Legs", id="call.legs"),
        # the B-legs tried before the route taken (rejected, timed out), one at a time
        Binding("b", "failed_leg", "Failed legs", id="call.failed_legs"),
        # sngrep's F4 "extended": the call with every leg, or the first (A) leg alone
        Binding("f4", "extended", "All legs/A-leg", show=False, id="call.extended"),
        Binding("s,f2", "save_pcap", "Save pcap", id="call.save_pcap"),
        Binding("w", "save_text", "Save text", id="call.save_text"),
        Binding("f", "toggle_findings", "Call findings", id="call.findings"),
        Binding("g", "logs", "Logs of call", id="call.logs"),
        Binding("tab", "switch_focus", "Ladder/message", show=False, id="call.switch"),
    ]

    # Textual annotates these oddly (ClassVar[...] | None): mypy rejects a ClassVar here
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012

    DEFAULT_CSS = """
    CallScreen #call-head { height: auto; max-height: 3; background: $panel; padding: 0 1; }
    CallScreen #call-body { height: 1fr; layout: vertical; }
    CallScreen.-wide #call-body { layout: horizontal; }
    CallScreen #ladder { height: 3fr; width: 1fr; border: round $border-blurred; }
    CallScreen #ladder:focus { border: round $border; }
    CallScreen #message { height: 2fr; width: 1fr; border: round $border-blurred; }
    CallScreen #message:focus-within { border: round $border; }
    CallScreen.-wide #ladder { height: 1fr; width: 3fr; }
    CallScreen.-wide #message { height: 1fr; width: 2fr; }
    """

    def __init__(self, key: str, snapshot: EngineSnapshot, *, message: int = 0) -> None:
        """`message`: the engine index of a message to put the cursor on (0: the first)."""
        super().__init__()
        self.key = key
        self.call: CallView | None = snapshot.call(key)
        self.softswitch = snapshot.softswitch
        self.delta = False
        self.only_leg: int | None = None
        self.gone = False
        self._message = message

    def open(self, key: str, snapshot: EngineSnapshot, *, message: int = 0) -> None:
        """Show another call in this (installed, reused) screen."""
        self.key = key
        self.call = snapshot.call(key)
        self.softswitch = snapshot.softswitch
        self.only_leg = None
        self.gone = False
        self.query_one(FindingsBox).close()
        view = self.query_one(LadderView)
        view.set_ladder(self._ladder(), delta=self.delta, keep=message or None)
        if not message:
            view.scroll_to(0, 0, animate=False, immediate=True)
        self.query_one(MessageView).scroll_home(animate=False)
        self._head(None)
        self._latest_findings()
        self.refresh_bindings()
        view.focus()

    @property
    def vostui(self) -> VostuiApp:
        from vostui.ui.app import VostuiApp

        assert isinstance(self.app, VostuiApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield Static(Content(""), id="call-head")
        yield FindingsBox("call", id="call-findings")
        with Container(id="call-body"):
            yield LadderView(id="ladder")
            yield MessageView(id="message")
        yield SaveBox(id="call-save")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#ladder", LadderView).border_title = "Ladder"
        self.query_one("#message", MessageView).border_title = "Message"
        view = self.query_one(LadderView)
        view.set_ladder(self._ladder(), delta=self.delta, keep=self._message or None)
        self._head(None)
        self._latest_findings()
        view.focus()

    # data

    def show(self, snapshot: EngineSnapshot, status: object, now: float) -> None:
        """Called on every refresh: rebuild only when this call's view changed."""
        call = snapshot.call(self.key)
        if call is None:
            if not self.gone:
                self.gone = True
                self._head(now)
            return
        self.gone = False
        self.softswitch = snapshot.softswitch
        if call is not self.call:
            self.call = call
            self._redraw(now)
        else:
            self._head(now)

    def _ladder(self) -> Ladder:
        if self.call is None:
            return Ladder((), ())
        name_for = namer(self.vostui.config, self.softswitch)
        return build_ladder(self.call.legs, name_for=name_for, only_leg=self.only_leg)

    def _redraw(self, now: float | None = None) -> None:
        self.refresh_bindings()  # `b` follows the call's failed B-legs
        view = self.query_one(LadderView)
        selected = view.selected
        keep = selected.record.index if selected is not None else None
        view.set_ladder(self._ladder(), delta=self.delta, keep=keep)
        self._head(now)

    def _head(self, now: float | None = None) -> None:
        call = self.call
        head = self.query_one("#call-head", Static)
        if call is None:
            head.update(Content.assemble(("call not found: ", BAD), (clean_line(self.key, 80), "")))
            return
        now = call.start if now is None else now
        code = f"{call.final_code} {clean_line(call.final_reason, 40)}" if call.final_code else "-"
        if self.only_leg is not None:
            legs = self._leg_name(self.only_leg)
        else:
            failed = len(failed_attempts(call))
            legs = f"all {len(call.legs)}" + (f", {failed}{FAILED_MARK}" if failed else "")
        parts: list[tuple[str, str]] = [
            (clean_line(call.caller, 48), "bold"),
            (" → ", QUIET),
            (clean_line(call.callee, 48), "bold"),
            (f"  {clean_line(call.state, 16)}", BAD if call.problem else GOOD),
            (f"  {code}", BAD if call.final_code >= 400 else ""),
            (
                f"  {clean_line(call.mapping_gateway, 32) or '-'}"
                f" → {clean_line(call.routing_gateway, 32) or '-'}",
                "",
            ),
            (f"\nstart {clock(call.start)}  dur {duration(call.duration(now))}", ""),
            (f"  talk {duration(call.talk(now))}  PDD {seconds(call.pdd) or '-'}", ""),
            (f"  legs: {legs}", QUIET),
            ("  time: " + ("Δ" if self.delta else "abs"), QUIET),
        ]
        if self.gone:
            parts.append(("  (no longer in the engine: evicted)", BAD))
        head.update(Content.assemble(*parts))

    def _leg_name(self, index: int) -> str:
        if self.call is None:
            return "?"
        return clean_line(leg_label(self.call, index), 100)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`b` is on the key bar only for a call with a failed B-leg."""
        if action == "failed_leg":
            return self.call is not None and bool(failed_attempts(self.call))
        return super().check_action(action, parameters)

    # diagnosis

    @property
    def reference_code(self) -> int | None:
        """`R` opens the response-code reference at this call's final code."""
        return self.call.final_code if self.call is not None and self.call.final_code else None

    def _latest_findings(self) -> None:
        diagnosis = getattr(self.app, "diagnosis", None)
        result = diagnosis.result if diagnosis is not None else None
        self._set_findings(result.for_call(self.key) if result is not None else ())

    def show_findings(self, result: DiagnosisResult) -> None:
        self._set_findings(result.for_call(self.key))

    def findings_home(self) -> LadderView:
        return self.query_one(LadderView)

    # events

    @on(LadderView.Highlighted)
    def _highlighted(self, event: LadderView.Highlighted) -> None:
        view = self.query_one(LadderView)
        arrow = view.selected
        message = self.query_one(MessageView)
        if arrow is None:
            message.show(None)
            return
        legs = self.call.legs if self.call is not None else ()
        shown_legs = legs if self.only_leg is None else legs[self.only_leg : self.only_leg + 1]
        message.show(
            arrow.record,
            number=event.index + 1,
            stamp=clock_ms(arrow.record.ts),
            legs=shown_legs,
        )

    # actions

    def action_logs(self) -> None:
        """The log lines naming this call's Call-IDs or numbers (vostui/ui/log_screen.py)."""
        from vostui.ui.log_screen import open_logs_for_call

        if self.call is not None:
            open_logs_for_call(self.app, self.call)

    def action_toggle_time(self) -> None:
        self.delta = not self.delta
        self._redraw()

    def action_toggle_leg(self) -> None:
        if self.call is None:
            return
        count = len(self.call.legs)
        if self.only_leg is None:
            self.only_leg = 0
        elif self.only_leg + 1 < count:
            self.only_leg += 1
        else:
            self.only_leg = None
        self._redraw()

    def action_failed_leg(self) -> None:
        """b: the next B-leg tried before the route taken, alone; after the last, all."""
        failed = failed_attempts(self.call) if self.call is not None else ()
        if not failed:
            self.notify("no failed B-leg in this call", markup=False, timeout=3)
            return
        if self.only_leg in failed:
            later = [n for n in failed if n > self.only_leg]
            self.only_leg = later[0] if later else None
        else:  # from every leg, or from a leg that did not fail: the first failed one
            self.only_leg = failed[0]
        self._redraw()

    def action_extended(self) -> None:
        if self.call is None:
            return
        self.only_leg = 0 if self.only_leg is None else None
        self._redraw()

    def action_switch_focus(self) -> None:
        if self.query_one(LadderView).has_focus:
            self.query_one(MessageView).focus()
        else:
            self.query_one(LadderView).focus()

    def _records(self) -> list[MessageRecord]:
        return [arrow.record for arrow in self.query_one(LadderView).ladder.arrows]

    def _file_name(self, suffix: str) -> str:
        start = self.call.start if self.call is not None else None
        return export_name(self.key, suffix, start)

    def action_back(self) -> None:
        box = self.query_one(SaveBox)
        if box.shown:  # Esc in the save row: not saved, still here
            box.close()
            self.query_one(LadderView).focus()
            return
        self.app.pop_screen()

    def action_save_pcap(self) -> None:
        if not self._records():
            self.notify("nothing to save", severity="warning", markup=False)
            return
        self.query_one(SaveBox).ask("pcap", self.vostui.export_dir, self._file_name("pcap"))

    def action_save_text(self) -> None:
        if not self.query_one(LadderView).ladder.arrows or self.call is None:
            self.notify("nothing to save", severity="warning", markup=False)
            return
        self.query_one(SaveBox).ask(
            "text", self.vostui.export_dir, self._file_name("txt"), what="text ladder"
        )

    @on(SaveBox.Chosen)
    def _chosen(self, event: SaveBox.Chosen) -> None:
        event.stop()
        self.query_one(LadderView).focus()
        kind, path = event.kind, event.path
        if not path.exists():
            self._save(kind, path)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._save(kind, path)
            else:
                self.notify(f"not saved: {clean_line(str(path), 200)} kept", markup=False)

        self.app.push_screen(ConfirmScreen(f"{path} exists. Overwrite it?"), answered)

    def _save(self, kind: str, path: Path) -> None:
        if kind == "pcap":
            self._save_pcap(path)
        else:
            self._save_text(path)

    def _save_pcap(self, path: Path) -> None:
        records = self._records()
        try:
            self.vostui.pipeline.message_pcap(records, str(path))
        except Exception as exc:  # any failure is the operator's to read, not a crash
            self.notify(
                f"pcap not saved: {clean_line(str(exc), 200)}", severity="error", markup=False
            )
            return
        self.notify(f"saved {len(records)} messages to {clean_line(str(path), 200)}", markup=False)

    def _save_text(self, path: Path) -> None:
        ladder = self.query_one(LadderView).ladder
        call = self.call
        if call is None:
            return
        title = (
            f"Call {call.key}  {call.caller} -> {call.callee}  {call.state} "
            f"{call.final_code or ''} {call.final_reason}  "
            f"{call.mapping_gateway} -> {call.routing_gateway}"
        )
        text = render_text(ladder, delta=self.delta, title=title, with_messages=True)
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            self.notify(f"ladder not saved: {exc.strerror or exc}", severity="error", markup=False)
            return
        self.notify(f"saved ladder to {clean_line(str(path), 200)}", markup=False)
