"""Firewall pane (3): the busiest iptables rules by packets per second.

Rules that guard SIP (they name a SIP port, or sit in a chain only reached from such a
rule) carry a SIP mark; idle rules are dimmed, so what the firewall is doing right now
stands out. Enter opens the firewall screen on the rule under the cursor.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.widgets import Static

from vostui.host.iptables import FirewallSnapshot, Rule
from vostui.host.logs import LogSnapshot
from vostui.host.monitor import HostSnapshot
from vostui.text import clean_line
from vostui.ui.format import count
from vostui.ui.host_feed import HostPane, not_running, per_second, problem_content, waiting
from vostui.ui.sparkline import sparkline
from vostui.ui.table import Cell, ColumnSpec, RowTable, Tone

BUSIEST_COLUMNS = (  # narrow: packets go first, then the chain; the SIP mark stays longest
    ColumnSpec("rate", "Pkt/s", 6, 5, align="right"),
    ColumnSpec("packets", "Pkts", 8, 6, priority=3, align="right"),
    ColumnSpec("sip", "SIP", 3, 3, priority=1),
    ColumnSpec("chain", "Chain", 17, 8, priority=2),
    ColumnSpec("rule", "Rule", 40, 18, flex=True),
)


def rule_key(rule: Rule) -> str:
    return f"{rule.family}/{rule.table}/{rule.chain}/{rule.index}"


def guards_sip(rule: Rule, sip_chains: frozenset[tuple[str, str, str]]) -> bool:
    return rule.sip or (rule.family, rule.table, rule.chain) in sip_chains


def sip_chains(firewall: FirewallSnapshot) -> frozenset[tuple[str, str, str]]:
    return frozenset(
        (table.family, table.name, chain.name)
        for table in firewall.tables
        for chain in table.chains
        if chain.sip_path
    )


def busiest(firewall: FirewallSnapshot) -> list[Rule]:
    """Every rule, the highest packets per second first, then the most packets."""
    return sorted(
        firewall.rules(),
        key=lambda r: (-(r.packets_per_second or 0.0), -r.packets, r.chain, r.index),
    )


def packets_cell(rule: Rule) -> str:
    # an nft rule without a `counter` reports 0 whatever it matched: say we do not know
    return count(rule.packets) if rule.spec.counted else "-"


def rate_cell(rule: Rule) -> str:
    return per_second(rule.packets_per_second) if rule.spec.counted else "-"


def idle(rule: Rule) -> bool:
    rate = rule.packets_per_second
    return rate == 0 or (rate is None and rule.packets == 0)


class BusiestRows:
    def __init__(self, rules: Sequence[Rule], sip: frozenset[tuple[str, str, str]]) -> None:
        self.rules = rules
        self.sip = sip

    def __len__(self) -> int:
        return len(self.rules)

    def key(self, index: int) -> str:
        return rule_key(self.rules[index])

    def cells(self, index: int) -> tuple[Sequence[Cell], Tone]:
        rule = self.rules[index]
        sip: Cell = ("SIP", "warning") if guards_sip(rule, self.sip) else ""
        tone: Tone = "dim" if idle(rule) else ""
        chain = rule.chain if rule.table == "filter" else f"{rule.table}/{rule.chain}"
        return (
            [
                rate_cell(rule),
                packets_cell(rule),
                sip,
                clean_line(chain, 48),
                clean_line(rule.words or rule.text, 300),
            ],
            tone,
        )


def firewall_note(
    firewall: FirewallSnapshot,
    drops: Sequence[float],
    wide: bool,
    *,
    backend: bool | None = None,
    spark: bool | None = None,
    sip_count: bool = True,
) -> str:
    """Rules (SIP ones), drops; on a wide pane the back end and a drop sparkline too."""
    rules = list(firewall.rules())
    sip = sip_chains(firewall)
    guarding = sum(1 for rule in rules if guards_sip(rule, sip)) if sip_count else 0
    parts = [f"{len(rules)} rules" + (f", {guarding} SIP" if guarding else "")]
    if drops:
        parts.append(f"drop {per_second(drops[-1])}/s")
        if wide if spark is None else spark:
            parts[-1] += " " + sparkline(drops, 12)
    if (wide if backend is None else backend) and firewall.backend:
        parts.insert(0, f"{firewall.backend} {firewall.version}".strip())
    return " · ".join(parts)


def fitting_note(firewall: FirewallSnapshot, drops: Sequence[float], room: int) -> str:
    """The fullest note that fits `room` columns: the back end goes first, then the
    sparkline, the count of SIP rules, a drop rate of 0, and last the rule count: a drop
    rate that is not 0 stays."""
    note = ""
    for backend, spark, sip_count in (
        (True, True, True),
        (False, True, True),
        (False, False, True),
        (False, False, False),
    ):
        note = firewall_note(
            firewall, drops, True, backend=backend, spark=spark, sip_count=sip_count
        )
        if len(note) <= room:
            return note
    if drops and not drops[-1]:
        return firewall_note(firewall, (), False, sip_count=False)
    if drops:  # drops going on say more than a rule count the pane lists anyway
        return f"drop {per_second(drops[-1])}/s"
    return note


class FirewallPane(HostPane):
    NUMBER = 3
    TITLE = "Firewall"

    DEFAULT_CSS = """
    FirewallPane > Static { padding: 0 1; height: 1fr; }
    """

    def __init__(self, *, id: str | None = "firewall", classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._shown: object = None
        self._host: HostSnapshot | None = None
        self._width = -1  # the pane's width when its note was drawn

    def compose(self) -> ComposeResult:
        yield RowTable(BUSIEST_COLUMNS, empty_text="no rules", id="firewall-table")
        yield Static(not_running("firewall"), id="firewall-message")

    def on_mount(self) -> None:  # Pane.on_mount runs too (Textual calls each class's)
        self._message(True)

    @property
    def table(self) -> RowTable:
        return self.query_one("#firewall-table", RowTable)

    def show_host(self, host: HostSnapshot | None, logs: LogSnapshot | None) -> None:
        firewall = host.firewall if host is not None else None
        width = self.size.width
        if host is not None and firewall is self._shown and firewall is not None:
            if width == self._width:
                return
        self._shown = firewall
        self._host = host
        self._width = width
        message = self.query_one("#firewall-message", Static)
        if host is None or firewall is None:
            message.update(not_running("firewall") if host is None else waiting("firewall"))
            self._message(True)
            self.set_note(self.host_label())
            return
        if firewall.problem:
            message.update(problem_content("firewall", firewall.problem, firewall.fix))
            self._message(True)
            self.set_note(self.host_label())
            return
        self._message(False)
        self.table.set_source(BusiestRows(busiest(firewall), sip_chains(firewall)))
        label = self.host_label()
        # what the title has room for: "╭─ [3] Firewall · " ... " ─╮"
        room = width - len(f"[{self.NUMBER}] {self.TITLE} · ") - 6
        room -= len(f"{label} · ") if label else 0
        note = fitting_note(firewall, host.firewall_drop_history, room)
        self.set_note(f"{label} · {note}" if label else note)

    def on_resize(self) -> None:
        # the note is made to fit the title: drawn again for the new width, not left as
        # it was when the pane was first shown (at 80x24 that came before its layout)
        if self._host is not None and self.size.width != self._width:
            self.show_host(self._host, None)

    def _message(self, on: bool) -> None:
        self.swap(self.query_one("#firewall-message"), self.table, on)

    def open_screen(self) -> None:
        from vostui.ui.host_screens import open_host_screen

        table = self.table
        open_host_screen(self.app, "firewall", select=table.cursor_key if table.display else None)

    @on(RowTable.Selected, "#firewall-table")
    def _selected(self, event: RowTable.Selected) -> None:
        event.stop()
        self.open_screen()
