"""Full screens for the host: firewall, conntrack, system.

Each opens from its dashboard pane (Enter) or from anywhere with its key (F, C, S) and
goes back with Esc. They redraw when the collector behind them delivered something new.
A collector that cannot run says why and what to do, in place of its figures.
Enter on an address (a recent-list entry, a conntrack source) opens its log lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.content import Content
from textual.widgets import Static

from vostui.host.conntrack import ConntrackEntriesSnapshot, ConntrackEntry, SourceCount
from vostui.host.iptables import Chain, ChainNode, FirewallSnapshot, Rule
from vostui.host.logs import LogSnapshot
from vostui.host.monitor import HostSnapshot
from vostui.host.processes import ProcessInfo, ProcessSnapshot
from vostui.host.recent import RecentSnapshot
from vostui.host.system import DiskIO, InterfaceIO, SystemSnapshot
from vostui.text import clean_line
from vostui.ui.conntrack_pane import (
    LEVEL_STYLE,
    drop_parts,
    gauge_parts,
    history_parts,
    timeout_parts,
    use_parts,
)
from vostui.ui.firewall_pane import (
    guards_sip,
    idle,
    packets_cell,
    rate_cell,
    rule_key,
    sip_chains,
)
from vostui.ui.format import BAD, QUIET, WARN, clock, count, duration
from vostui.ui.host_feed import (
    HostView,
    Parts,
    grouped,
    join_lines,
    not_running,
    per_second,
    problem_content,
    size,
    waiting,
)
from vostui.ui.keybar import KeyBar
from vostui.ui.sparkline import gauge, sparkline
from vostui.ui.system_pane import cpu_parts, disk_parts, level, memory_parts, udp_parts
from vostui.ui.table import Cell, ColumnSpec, RowTable, Tone


class Rows:
    """Prepared rows for a RowTable: (key, cells, tone)."""

    def __init__(self, rows: Sequence[tuple[str, Sequence[Cell], Tone]]) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def key(self, index: int) -> str:
        return self.rows[index][0]

    def cells(self, index: int) -> tuple[Sequence[Cell], Tone]:
        _key, cells, tone = self.rows[index]
        return cells, tone


class HostScreen(HostView):
    """Head, tables, key bar; Esc back; Tab between tables."""

    NAME: ClassVar[str] = ""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace,q", "app.pop_screen", "Back", id="host.back"),
        Binding("tab", "app.focus_next", "Next table", show=False, id="host.next_table"),
    ]

    DEFAULT_CSS = """
    HostScreen .host-head { height: auto; max-height: 50%; background: $panel; padding: 0 1; }
    HostScreen .host-body { height: 1fr; layout: vertical; }
    HostScreen.-wide .host-body.-split { layout: horizontal; }
    HostScreen RowTable { height: 1fr; width: 1fr; border: round $border-blurred; }
    HostScreen RowTable:focus { border: round $border; }
    """

    # Textual annotates these oddly (ClassVar[...] | None): mypy rejects a ClassVar here
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012

    def __init__(self, select: str | None = None) -> None:
        super().__init__()
        self._select = select
        self._shown: tuple[object, ...] | None = None
        self.host: HostSnapshot | None = None
        self._ready = False  # the app's refresh can reach a pushed screen before its mount

    TITLES: ClassVar[dict[str, str]] = {}

    def on_mount(self) -> None:
        self._ready = True
        for table_id, title in self.TITLES.items():
            self.query_one(f"#{table_id}", RowTable).border_title = title
        tables = list(self.query(RowTable))
        if tables:
            tables[0].focus()
        feed = getattr(self.app, "host_feed", None)
        monitor = getattr(feed, "monitor", None)
        self.show_host(feed.host() if monitor is not None and feed else None, None)

    def head(self) -> Static:
        return self.query_one(".host-head", Static)

    def parts_of(self, host: HostSnapshot) -> tuple[object, ...]:
        """What this screen shows: it redraws only when one of these changed."""
        return (host,)

    def show_host(self, host: HostSnapshot | None, logs: LogSnapshot | None) -> None:
        if not self._ready:
            return
        if host is None:
            self.head().update(not_running(self.NAME))
            return
        shown = (*self.parts_of(host), self.size.width)
        if shown == self._shown:
            return
        self._shown = shown
        self.host = host
        self.draw(host)
        if self._select is not None:
            for table in self.query(RowTable):
                if table.select_key(self._select):
                    table.focus()
                    self._select = None
                    break

    def on_resize(self) -> None:
        if self.host is not None:
            self.draw(self.host)

    def draw(self, host: HostSnapshot) -> None:
        raise NotImplementedError

    def labelled(self, text: str) -> str:
        feed = getattr(self.app, "host_feed", None)
        label = str(getattr(feed, "label", ""))
        return f"{text} · {label}" if label else text

    @on(RowTable.Selected)
    def _selected(self, event: RowTable.Selected) -> None:
        event.stop()
        if event.key.startswith("ip:"):
            from vostui.ui.log_screen import open_logs_for

            address = event.key[3:].split("#", 1)[0]
            open_logs_for(self.app, ips=(address,), label=f"address {address}")


# --- firewall ---------------------------------------------------------------------------

RULE_COLUMNS = (
    ColumnSpec("index", "#", 3, 2, align="right"),
    ColumnSpec("packets", "Pkts", 9, 6, align="right"),
    ColumnSpec("bytes", "Bytes", 8, 6, priority=2, align="right"),
    ColumnSpec("rate", "Pkt/s", 7, 5, align="right"),
    ColumnSpec("sip", "SIP", 3, 3, priority=3),
    ColumnSpec("rule", "Chain / rule", 60, 20, flex=True),
)

LIST_COLUMNS = (
    ColumnSpec("list", "List", 20, 8, priority=1),
    ColumnSpec("address", "Address", 40, 15, flex=True),
    ColumnSpec("hits", "Hits", 10, 5, align="right"),
    ColumnSpec("seen", "Last seen", 9, 8),
    ColumnSpec("ago", "Ago", 7, 5, priority=2, align="right"),
)


def chain_rows(
    firewall: FirewallSnapshot,
) -> list[tuple[str, Sequence[Cell], Tone]]:
    """Each table's chains as a tree: a custom chain under the rule that jumps to it."""
    sip = sip_chains(firewall)
    rows: list[tuple[str, Sequence[Cell], Tone]] = []

    def chain_row(table_name: str, node: ChainNode) -> None:
        chain: Chain = node.chain
        indent = "  " * node.depth
        if chain.builtin:
            where = f"{chain.family} {table_name} " if node.depth == 0 else ""
            text = f"{indent}▾ {where}{chain.name}  policy {chain.policy}"
            packets, nbytes = count(chain.packets), size(chain.bytes)
        else:
            via = f"  (from rule {node.via})" if node.via else "  (nothing jumps here)"
            text = f"{indent}▾ {chain.name}{via}"
            packets, nbytes = "", ""
        if node.loop:
            text += "  (loop: shown above)"
        mark: Cell = ("SIP", "warning") if chain.sip_path else ""
        rows.append(
            (
                f"chain:{chain.family}/{table_name}/{chain.name}/{len(rows)}",
                ["", packets, nbytes, "", mark, clean_line(text, 200)],
                "",
            )
        )
        if node.loop:
            return
        children = {child.via: child for child in node.children}
        for rule in chain.rules:
            rows.append(rule_row(rule, node.depth, sip))
            child = children.get(rule.index)
            if child is not None:
                chain_row(table_name, child)

    for table in firewall.tables:
        for root in table.tree():
            chain = root.chain
            if chain.builtin and not chain.rules and not chain.packets:
                continue  # an empty built-in chain says nothing
            chain_row(table.name, root)
    return rows


def rule_row(
    rule: Rule, depth: int, sip: frozenset[tuple[str, str, str]]
) -> tuple[str, Sequence[Cell], Tone]:
    mark: Cell = ("SIP", "warning") if guards_sip(rule, sip) else ""
    target = rule.target
    words = rule.words or rule.text
    text: Cell = clean_line("  " * depth + "  " + words, 400)
    if target in ("DROP", "REJECT") and not idle(rule):
        text = (str(text), "problem")
    return (
        rule_key(rule),
        [
            str(rule.index),
            packets_cell(rule),
            size(rule.bytes) if rule.spec.counted else "-",
            rate_cell(rule),
            mark,
            text,
        ],
        "dim" if idle(rule) else "",
    )


def recent_rows(recent: RecentSnapshot, now: float) -> list[tuple[str, Sequence[Cell], Tone]]:
    rows: list[tuple[str, Sequence[Cell], Tone]] = []
    for lst in recent.lists:
        name = clean_line(lst.name, 40)
        shown = f" (newest {len(lst.entries)})" if lst.total > len(lst.entries) else ""
        rows.append(
            (f"list:{name}", [f"recent {name}", f"{lst.total} addresses{shown}", "", "", ""], "")
        )
        for n, entry in enumerate(lst.entries):
            address = clean_line(entry.address, 60)
            ago = "" if entry.seconds_ago is None else duration(entry.seconds_ago)
            rows.append(
                (
                    f"ip:{address}#{name}/{n}",
                    ["", address, str(entry.hits), clock(entry.last_seen), ago],
                    "",
                )
            )
    for table in recent.hashlimits:
        name = clean_line(table.name, 40)
        rows.append(
            (
                f"hashlimit:{table.family}/{name}",
                [
                    f"hashlimit {name}",
                    f"{table.total} buckets ({table.family})",
                    "credit",
                    "expires",
                    "",
                ],
                "",
            )
        )
        for n, bucket in enumerate(table.entries):
            ratio = bucket.credit_ratio
            left = "?" if ratio is None else f"{ratio * 100:.0f}%"
            tone: Tone = "warning" if ratio is not None and ratio < 0.1 else ""
            source = clean_line(bucket.source, 60)
            rows.append(
                (
                    f"ip:{source}#{table.family}/{name}/{n}",
                    [
                        "",
                        f"{source}:{bucket.source_port} → "
                        f"{clean_line(bucket.destination, 60)}:{bucket.destination_port}",
                        left,
                        f"{bucket.expires_in}s left",
                        "",
                    ],
                    tone,
                )
            )
    return rows


class FirewallScreen(HostScreen):
    NAME = "firewall"

    def compose(self) -> ComposeResult:
        yield Static(Content(""), classes="host-head")
        with Container(classes="host-body"):
            yield RowTable(RULE_COLUMNS, empty_text="no rules", id="fw-rules")
            yield RowTable(LIST_COLUMNS, empty_text="no recent lists", id="fw-lists")
        yield KeyBar()

    TITLES: ClassVar[dict[str, str]] = {
        "fw-rules": "Chains and rules",
        "fw-lists": "xt_recent lists and hashlimit tables · Enter: log lines of an address",
    }

    DEFAULT_CSS = """
    FirewallScreen #fw-rules { height: 2fr; }
    """

    def parts_of(self, host: HostSnapshot) -> tuple[object, ...]:
        return (host.firewall, host.recent)

    def draw(self, host: HostSnapshot) -> None:
        firewall = host.firewall
        head = self.head()
        rules = self.query_one("#fw-rules", RowTable)
        lists = self.query_one("#fw-lists", RowTable)
        if firewall is None:
            head.update(waiting("firewall"))
        elif firewall.problem:
            head.update(problem_content("firewall", firewall.problem, firewall.fix))
            rules.set_source(Rows([]))
        else:
            head.update(self._head(firewall, host.firewall_drop_history))
            rules.set_source(Rows(chain_rows(firewall)))
        recent = host.recent
        if recent is None:
            lists.empty_text = "waiting for the first reading"
            lists.set_source(Rows([]))
        elif recent.problem:
            lists.empty_text = clean_line(f"{recent.problem} · fix: {recent.fix}", 300)
            lists.set_source(Rows([]))
        else:
            lists.empty_text = clean_line(recent.note or "no recent lists", 300)
            lists.set_source(Rows(recent_rows(recent, host.at)))

    def _head(self, firewall: FirewallSnapshot, drops: tuple[float, ...]) -> Content:
        rules = list(firewall.rules())
        sip = sip_chains(firewall)
        guarding = sum(1 for rule in rules if guards_sip(rule, sip))
        source = " ".join(
            part for part in (firewall.source, firewall.backend, firewall.version) if part
        )
        parts: Parts = [
            (self.labelled(clean_line(source, 80) or "firewall"), "bold"),
            (f"  {len(rules)} rules, {guarding} guard SIP", ""),
        ]
        if firewall.interval is not None:
            parts.append((f"  rates over {firewall.interval:.1f} s", QUIET))
        else:
            parts.append(("  rates from the next reading", QUIET))
        if drops:
            parts += [
                ("\ndropped ", QUIET),
                (f"{per_second(drops[-1])}/s", BAD if drops[-1] else ""),
                (" " + sparkline(drops, 40), QUIET),
            ]
        for warning in firewall.warnings:
            parts.append((f"\nnote: {clean_line(warning, 200)}", WARN))
        return Content.assemble(*parts)


# --- conntrack --------------------------------------------------------------------------

SOURCE_COLUMNS = (
    ColumnSpec("address", "Source", 40, 15, flex=True),
    ColumnSpec("entries", "Entries", 9, 7, align="right"),
    ColumnSpec("sip", "On SIP ports", 12, 6, align="right"),
)

ENTRY_COLUMNS = (
    ColumnSpec("protocol", "Proto", 5, 4),
    ColumnSpec("source", "Source", 22, 15, flex=True),
    ColumnSpec("destination", "Destination", 22, 15, priority=2, flex=True),
    ColumnSpec("timeout", "Timeout", 7, 5, align="right"),
    ColumnSpec("state", "State", 14, 8, priority=1),  # unreplied (a scan) or assured
)


def endpoint(address: str, port: int | None) -> str:
    address = clean_line(address, 60)
    if port is None:
        return address
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def source_rows(entries: ConntrackEntriesSnapshot) -> list[tuple[str, Sequence[Cell], Tone]]:
    def row(source: SourceCount) -> tuple[str, Sequence[Cell], Tone]:
        address = clean_line(source.address, 60)
        sip: Cell = (str(source.sip_entries), "warning") if source.sip_entries else "0"
        return (f"ip:{address}#", [address, grouped(source.entries), sip], "")

    return [row(source) for source in entries.top_sources]


def entry_rows(entries: ConntrackEntriesSnapshot) -> list[tuple[str, Sequence[Cell], Tone]]:
    def row(n: int, entry: ConntrackEntry) -> tuple[str, Sequence[Cell], Tone]:
        flags = [entry.state.lower()] if entry.state else []
        if entry.unreplied:
            flags.append("unreplied")
        if entry.assured:
            flags.append("assured")
        return (
            f"ip:{clean_line(entry.source, 60)}#{n}",
            [
                clean_line(entry.protocol, 8),
                endpoint(entry.source, entry.sport),
                endpoint(entry.destination, entry.dport),
                "" if entry.timeout is None else f"{entry.timeout}s",
                " ".join(flags),
            ],
            "warning" if entry.unreplied else "",
        )

    return [row(n, entry) for n, entry in enumerate(entries.sip_entries)]


class ConntrackScreen(HostScreen):
    NAME = "conntrack"

    def compose(self) -> ComposeResult:
        yield Static(Content(""), classes="host-head")
        with Container(classes="host-body -split"):
            yield RowTable(SOURCE_COLUMNS, empty_text="no entries read yet", id="ct-sources")
            yield RowTable(ENTRY_COLUMNS, empty_text="no entries on the SIP ports", id="ct-sip")
        yield KeyBar()

    TITLES: ClassVar[dict[str, str]] = {
        "ct-sources": "Top sources",
        "ct-sip": "On the SIP ports",
    }

    def parts_of(self, host: HostSnapshot) -> tuple[object, ...]:
        return (host.conntrack, host.conntrack_entries)

    def draw(self, host: HostSnapshot) -> None:
        self.head().update(self._head(host))
        sources = self.query_one("#ct-sources", RowTable)
        sip = self.query_one("#ct-sip", RowTable)
        entries = host.conntrack_entries
        if entries is None or entries.problem:
            text = (
                "waiting for the first reading"
                if entries is None
                else clean_line(f"{entries.problem} · fix: {entries.fix}", 300)
            )
            sources.empty_text = sip.empty_text = text
            sources.set_source(Rows([]))
            sip.set_source(Rows([]))
            return
        note = clean_line(entries.sample_note, 120)
        sources.border_title = f"Top sources · {note}"
        shown = len(entries.sip_entries)
        sip.border_title = (
            f"On the SIP ports · {entries.sip_total}"
            + (" in the sample" if entries.capped else "")
            + (f", the first {shown} listed" if entries.sip_total > shown else "")
        )
        sources.set_source(Rows(source_rows(entries)))
        sip.set_source(Rows(entry_rows(entries)))

    def _head(self, host: HostSnapshot) -> Content:
        ct = host.conntrack
        if ct is None:
            return waiting("conntrack")
        if ct.problem:
            return problem_content("conntrack", ct.problem, ct.fix)
        config = getattr(self.app, "config", None)
        warn = float(getattr(config, "conntrack_warn", 0.7))
        critical = float(getattr(config, "conntrack_critical", 0.9))
        width = max(20, self.size.width - 4)
        lines: list[Parts] = [
            [(self.labelled("conntrack"), "bold"), ("  ", ""), *use_parts(ct)],
            [
                *gauge_parts(ct, min(60, width - 30)),
                (f"  warn {warn * 100:.0f}%", LEVEL_STYLE["warn"]),
                (f"  critical {critical * 100:.0f}%", LEVEL_STYLE["critical"]),
            ],
            history_parts(host.conntrack_use_history, critical, min(64, width)),
        ]
        counts = host.conntrack_count_history
        if len(counts) > 1 and min(counts) != max(counts):
            low, high = min(counts), max(counts)
            lines.append(
                [
                    ("entries ", QUIET),
                    (sparkline([c - low for c in counts], min(56, width - 30)), QUIET),
                    (f"  {grouped(low)} … {grouped(high)}", QUIET),
                ]
            )
        lines.append(drop_parts(ct))
        if ct.stats:
            totals = "  ".join(
                f"{name} {grouped(ct.stats[name])}"
                for name in ("insert_failed", "drop", "early_drop", "invalid", "search_restart")
                if name in ct.stats
            )
            lines.append([("totals ", QUIET), (totals, QUIET)])
        extra: Parts = list(timeout_parts(ct))
        if ct.buckets is not None:
            extra += [("  buckets ", QUIET), (grouped(ct.buckets), "")]
        if ct.stats_source:
            extra += [("  counters from ", QUIET), (clean_line(ct.stats_source, 60), QUIET)]
        lines.append(extra)
        entries = host.conntrack_entries
        if entries is not None and not entries.problem:
            lines.append(
                [
                    ("sample ", QUIET),
                    (clean_line(entries.sample_note, 120), WARN if entries.capped else ""),
                    (f", read in {entries.seconds * 1000:.0f} ms", QUIET),
                    (f" from {clean_line(entries.source, 40)}" if entries.source else "", QUIET),
                ]
            )
        return join_lines(lines)


# --- system -----------------------------------------------------------------------------

PROCESS_COLUMNS = (
    ColumnSpec("name", "Process", 12, 8),
    ColumnSpec("pid", "PID", 7, 5, align="right"),
    ColumnSpec("cpu", "CPU%", 6, 5, align="right"),
    ColumnSpec("rss", "RSS", 7, 6, align="right"),
    ColumnSpec("threads", "Thr", 4, 3, priority=2, align="right"),
    ColumnSpec("files", "Files", 5, 5, priority=3, align="right"),
    ColumnSpec("up", "Up", 9, 6, align="right"),
    ColumnSpec("restarts", "Restarts", 8, 4, align="right"),
    ColumnSpec("user", "User", 8, 6, priority=4),
    ColumnSpec("command", "Command", 30, 10, priority=5, flex=True),
)

NIC_COLUMNS = (
    ColumnSpec("name", "Interface", 10, 6, flex=True),
    ColumnSpec("rx", "In/s", 7, 6, align="right"),
    ColumnSpec("tx", "Out/s", 7, 6, align="right"),
    ColumnSpec("rxp", "Pkt in/s", 8, 6, priority=2, align="right"),
    ColumnSpec("txp", "Pkt out/s", 9, 6, priority=2, align="right"),
    ColumnSpec("drops", "Drop/s", 6, 5, align="right"),
    ColumnSpec("errors", "Err/s", 6, 5, priority=1, align="right"),
)

DISK_COLUMNS = (
    ColumnSpec("name", "Disk", 10, 6, flex=True),
    ColumnSpec("read", "Read/s", 7, 6, align="right"),
    ColumnSpec("write", "Write/s", 7, 6, align="right"),
    ColumnSpec("reads", "r/s", 6, 4, priority=2, align="right"),
    ColumnSpec("writes", "w/s", 6, 4, priority=2, align="right"),
    ColumnSpec("busy", "Busy", 5, 4, align="right"),
)


def uptime(seconds: float) -> str:
    """3d04h for long-running processes, else 12:04 / 1:02:03."""
    if seconds >= 86_400:
        days, rest = divmod(int(seconds), 86_400)
        return f"{days}d{rest // 3600:02d}h"
    return duration(seconds)


def process_rows(processes: ProcessSnapshot) -> list[tuple[str, Sequence[Cell], Tone]]:
    def row(proc: ProcessInfo) -> tuple[str, Sequence[Cell], Tone]:
        restarts = processes.restarts_of(proc.name)
        return (
            f"pid:{proc.pid}",
            [
                clean_line(proc.name, 32),
                str(proc.pid),
                "-" if proc.cpu_percent is None else f"{proc.cpu_percent:.1f}",
                size(proc.rss),
                str(proc.threads),
                "-" if proc.open_files is None else str(proc.open_files),
                uptime(proc.uptime),
                (str(restarts), "warning") if restarts else "0",
                clean_line(proc.user, 32),
                clean_line(proc.command, 200),
            ],
            "",
        )

    rows = [row(proc) for proc in processes.processes]
    for name in processes.missing:
        restarts = processes.restarts_of(name)
        rows.append(
            (
                f"missing:{name}",
                [clean_line(name, 32), "", "", "", "", "", "-", str(restarts), "", "not running"],
                "problem",
            )
        )
    return rows


def nic_rows(interfaces: Sequence[InterfaceIO]) -> list[tuple[str, Sequence[Cell], Tone]]:
    return [
        (
            f"nic:{nic.name}",
            [
                clean_line(nic.name, 32),
                size(nic.rx_bytes_per_second),
                size(nic.tx_bytes_per_second),
                per_second(nic.rx_packets_per_second),
                per_second(nic.tx_packets_per_second),
                (per_second(nic.rx_drops_per_second), "problem")
                if nic.rx_drops_per_second
                else per_second(nic.rx_drops_per_second),
                per_second(nic.rx_errors_per_second),
            ],
            "dim" if not nic.rx_bytes_per_second and not nic.tx_bytes_per_second else "",
        )
        for nic in interfaces
    ]


def disk_rows(disks: Sequence[DiskIO]) -> list[tuple[str, Sequence[Cell], Tone]]:
    return [
        (
            f"disk:{disk.name}",
            [
                clean_line(disk.name, 32),
                size(disk.read_bytes_per_second),
                size(disk.write_bytes_per_second),
                per_second(disk.reads_per_second),
                per_second(disk.writes_per_second),
                "-" if disk.busy_percent is None else f"{disk.busy_percent:.0f}%",
            ],
            "warning" if disk.busy_percent is not None and disk.busy_percent >= 80 else "",
        )
        for disk in disks
    ]


def core_lines(system: SystemSnapshot, width: int) -> list[Parts]:
    """One small bar per core, as many per line as fit."""
    cores = system.cpu_percent
    if not cores:
        return []
    cell = 18  # "cpu12 ██████···· 100%"
    per_line = max(1, width // cell)
    lines: list[Parts] = []
    for start in range(0, len(cores), per_line):
        line: Parts = []
        for n in range(start, min(len(cores), start + per_line)):
            busy = cores[n]
            line += [
                (f"{n:>3} ", QUIET),
                (gauge(busy / 100, 8), level(busy, 75, 90)),
                (f" {busy:3.0f}%  ", ""),
            ]
        lines.append(line)
    return lines


class SystemScreen(HostScreen):
    NAME = "system"

    DEFAULT_CSS = """
    SystemScreen #sys-io { height: 1fr; layout: horizontal; }
    """

    def compose(self) -> ComposeResult:
        yield Static(Content(""), classes="host-head")
        with Container(classes="host-body"):
            yield RowTable(PROCESS_COLUMNS, empty_text="no processes", id="sys-processes")
            with Container(id="sys-io"):
                yield RowTable(NIC_COLUMNS, empty_text="no interfaces", id="sys-nics")
                yield RowTable(DISK_COLUMNS, empty_text="no disks", id="sys-disks")
        yield KeyBar()

    TITLES: ClassVar[dict[str, str]] = {
        "sys-processes": "Softswitch processes",
        "sys-nics": "Network I/O",
        "sys-disks": "Disk I/O",
    }

    def parts_of(self, host: HostSnapshot) -> tuple[object, ...]:
        return (host.system, host.processes, host.udp)

    def draw(self, host: HostSnapshot) -> None:
        system = host.system
        self.head().update(self._head(host))
        processes = self.query_one("#sys-processes", RowTable)
        if host.processes is None:
            processes.empty_text = "waiting for the first reading"
        elif host.processes.problem:
            processes.empty_text = clean_line(
                f"{host.processes.problem} · fix: {host.processes.fix}", 300
            )
        elif not host.processes.watched:
            processes.empty_text = "no softswitch_processes in the configuration"
        else:
            processes.set_source(Rows(process_rows(host.processes)))
        if system is not None and not system.problem:
            self.query_one("#sys-nics", RowTable).set_source(Rows(nic_rows(system.interfaces)))
            self.query_one("#sys-disks", RowTable).set_source(Rows(disk_rows(system.disks)))

    def _head(self, host: HostSnapshot) -> Content:
        system = host.system
        if system is None:
            return waiting("system")
        if system.problem:
            return problem_content("system", system.problem, system.fix)
        width = max(20, self.size.width - 4)
        lines: list[Parts] = [
            [
                (self.labelled("system"), "bold"),
                ("  ", ""),
                *cpu_parts(system, host.cpu_history, 40),
            ],
            *core_lines(system, width),
            [
                *memory_parts(system),
                (f"  ({size(system.memory_available)} available", QUIET),
                (
                    f", {size(system.swap_used)} of {size(system.swap_total)} swap in use)"
                    if system.swap_total
                    else ", no swap)",
                    QUIET,
                ),
            ],
            disk_parts(system),
        ]
        udp = host.udp
        if udp is not None and udp.problem:
            lines.append([("udp ", QUIET), (clean_line(udp.problem, 200), BAD)])
        elif udp is not None:
            line = udp_parts(udp)
            if udp.rmem_max is not None:
                line += [("rmem_max ", QUIET), (size(udp.rmem_max), "")]
            if host.udp_rcvbuf_error_history:
                line.append(("  " + sparkline(host.udp_rcvbuf_error_history, 30), QUIET))
            lines.append(line)
            for sock in udp.sockets[:4]:
                lines.append(
                    [
                        ("  socket ", QUIET),
                        (endpoint(sock.local_address, sock.local_port), ""),
                        (f"  queued {size(sock.rx_queue)}", QUIET),
                        (f"  drops {grouped(sock.drops)}", BAD if sock.drops else QUIET),
                        (
                            f" ({per_second(sock.drops_per_second)}/s)",
                            BAD if sock.drops_per_second else QUIET,
                        ),
                    ]
                )
        return join_lines(lines)


SCREENS: dict[str, type[HostScreen]] = {
    "firewall": FirewallScreen,
    "conntrack": ConntrackScreen,
    "system": SystemScreen,
}


def open_host_screen(app: App[Any], what: str, select: str | None = None) -> None:
    """Push the firewall, conntrack or system screen (not twice in a row)."""
    kind = SCREENS[what]
    if isinstance(app.screen, kind):
        return
    app.push_screen(kind(select=select))
