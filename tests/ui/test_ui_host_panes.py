"""Host panes and screens: recorded iptables/conntrack output through the real parsers,
a real HostMonitor on this machine, and collectors that cannot run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from host_fixtures import host_app, recorded_monitor
from test_ui_snapshots import compare
from ui_fakes import pilot_test, screen_text, wait_until

from vostui.host.access import HostAccess
from vostui.host.firewall import FirewallCollector
from vostui.host.monitor import HostMonitor, HostSettings
from vostui.host.recent import RecentCollector
from vostui.ui.dashboard import DashboardScreen
from vostui.ui.host_screens import ConntrackScreen, FirewallScreen, SystemScreen
from vostui.ui.log_screen import LogScreen
from vostui.ui.table import RowTable


def lines_of(text: str) -> list[str]:
    return text.splitlines()


@pytest.mark.parametrize("size", [(160, 48), (250, 70)], ids=lambda s: f"{s[0]}x{s[1]}")
@pilot_test
async def test_dashboard_host_panes_from_recorded_output(size: tuple[int, int]) -> None:
    monitor = recorded_monitor()
    app = host_app(monitor=monitor, label="this host")
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: "183,501" in screen_text(app))
        text = screen_text(app)
        # the busiest rule first, in words, marked as guarding SIP
        firewall_rows = [line for line in lines_of(text) if "SIP INPUT" in line]
        assert firewall_rows and "120" in firewall_rows[0]
        assert "[3] Firewall · this host" in text
        # the title says what fits, not a cut word ("dr…"): at 160x48 the drop rate
        title = next(line for line in lines_of(text) if "[3] Firewall" in line)
        assert "…" not in title.split("[3] Firewall")[1].split("╮")[0]
        assert "drop 80/s" in title
        # conntrack: count/max, use and level, drops moving, the top talker
        assert "183,501 / 262,144" in text and "70.0% warn" in text
        assert "drop 2.5/s" in text and "203.0.113.7" in text
        # system: CPU, load, memory, the log disk, processes up and missing, a restart
        assert "CPU 64%" in text and "load 1.52" in text and "mem 62%" in text
        assert "disk 92% used" in text
        assert "✗ callservice" in text and "↻2" in text
    # the app ended without q: its monitor's threads ended with it
    assert not any(w.thread is not None and w.thread.is_alive() for w in monitor._workers.values())


@pytest.mark.parametrize("pane", [3, 4, 5])
@pilot_test
async def test_each_host_pane_at_80x24(pane: int) -> None:
    app = host_app(monitor=recorded_monitor())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(str(pane))
        await wait_until(pilot, lambda: "[1] Calls" in screen_text(app))
        await pilot.pause(0.2)
        compare(f"host_pane{pane}_80x24", screen_text(app))


@pilot_test
async def test_host_dashboard_snapshot_160x48() -> None:
    app = host_app(monitor=recorded_monitor())
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: "183,501" in screen_text(app))
        await pilot.pause(0.2)
        compare("host_dashboard_160x48", screen_text(app))


@pilot_test
async def test_firewall_screen_shows_chains_as_a_tree() -> None:
    app = host_app(monitor=recorded_monitor())
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("enter")  # on the busiest rule
        await wait_until(pilot, lambda: isinstance(app.screen, FirewallScreen))
        await pilot.pause(0.1)
        text = screen_text(app)
        rows = lines_of(text)
        jump = next(n for n, row in enumerate(rows) if "jump to SIP_TRUSTED" in row)
        chain = next(n for n, row in enumerate(rows) if "▾ SIP_TRUSTED  (from rule 3)" in row)
        assert chain == jump + 1  # the custom chain sits under the rule that jumps to it
        inner = next(n for n, row in enumerate(rows) if "▾ SIP_RATE_LIMIT  (from rule 6)" in row)
        assert rows[inner].index("▾") > rows[chain].index("▾")  # deeper, indented
        assert "policy ACCEPT" in text and "rates over 1.0 s" in text
        # the cursor came along: the busiest rule is selected
        table = app.screen.query_one("#fw-rules", RowTable)
        assert table.cursor_key is not None and table.cursor_key.startswith("ipv4/")
        # xt_recent: addresses with hits and last-seen time; hashlimit with credit left
        assert "recent SIPFLOOD" in text and "203.0.113.7" in text and "22:13:19" in text
        assert "hashlimit SIPRATE" in text and "0%" in text
        # Enter on an address: its log lines
        lists = app.screen.query_one("#fw-lists", RowTable)
        lists.focus()
        assert lists.select_key(next(k for k in keys(lists) if k.startswith("ip:203.0.113.7")))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LogScreen))
        assert "address 203.0.113.7" in screen_text(app)
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)


def keys(table: RowTable) -> list[str]:
    return [table.source.key(i) for i in range(len(table.source))]


@pilot_test
async def test_conntrack_screen_says_it_read_a_sample() -> None:
    app = host_app(monitor=recorded_monitor())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("C")
        await wait_until(pilot, lambda: "812344" in screen_text(app))
        assert isinstance(app.screen, ConntrackScreen)
        text = screen_text(app)
        assert "first 5 of 812344 entries" in text
        assert "from /proc/net/nf_conntrack" in text  # where the sample came from
        assert "warn 70%" in text and "critical 90%" in text
        assert "insert_failed 0/s" in text and "drop 2.5/s" in text
        assert "udp timeout 30s stream 180s" in text
        assert "203.0.113.7:5071" in text and "unreplied" in text


@pilot_test
async def test_system_screen_lists_processes_cores_and_io() -> None:
    app = host_app(monitor=recorded_monitor())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("S")
        await wait_until(pilot, lambda: "sipproxy" in screen_text(app))
        assert isinstance(app.screen, SystemScreen)
        text = screen_text(app)
        assert "92%" in text and "35%" in text  # per core
        assert "3d00h" in text and "512.0M" in text and "not running" in text
        assert "eth0" in text and "2.4M" in text and "sda" in text and "42%" in text
        assert "rcvbuf errors 12/s" in text


@pilot_test
async def test_a_collector_that_cannot_run_says_why_and_the_fix(tmp_path: Path) -> None:
    """No iptables and no nft on the PATH: the pane shows the problem and the fix."""
    empty = tmp_path / "bin"
    empty.mkdir()
    access = HostAccess(env=(("PATH", str(empty)),))
    monitor = HostMonitor(
        HostSettings(interval=0.1),
        collectors={
            "firewall": FirewallCollector(access, (5060,), command="iptables"),
            "recent": RecentCollector(HostAccess(prefix=("/nonexistent/netns-exec",))),
        },
    )
    snapshot = monitor.poll_all(timeout=10)
    assert snapshot.firewall is not None and snapshot.firewall.problem
    app = host_app(monitor=monitor)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: "fix:" in screen_text(app))
        text = screen_text(app)
        assert "[3] Firewall" in text and "firewall: " in text and "Traceback" not in text
        await pilot.press("F")
        await wait_until(pilot, lambda: isinstance(app.screen, FirewallScreen))
        await pilot.pause(0.1)
        text = screen_text(app)
        assert snapshot.firewall.problem[:40] in text and snapshot.firewall.fix[:30] in text


@pytest.mark.skipif(os.geteuid() != 0, reason="the firewall and conntrack collectors need root")
@pilot_test
async def test_real_host_monitor_on_this_machine() -> None:
    """The default collectors on this host: figures appear, and quitting stops every thread."""
    from vostui.config import Config

    config = Config(refresh=0.05)
    monitor = HostMonitor(HostSettings.from_config(config, interval=0.2))
    app = host_app(monitor=monitor, config=config)
    async with app.run_test(size=(250, 70)) as pilot:
        await wait_until(pilot, lambda: "CPU " in screen_text(app) and "mem " in screen_text(app))
        text = screen_text(app)
        assert "[4] Conntrack" in text and ("/ " in text or "fix:" in text)
        await pilot.press("q")
    threads = [w.thread for w in monitor._workers.values()]
    assert threads and not any(t is not None and t.is_alive() for t in threads)


@pilot_test
async def test_no_monitor_says_so_instead_of_nothing() -> None:
    app = host_app()
    async with app.run_test(size=(250, 70)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        for what in ("firewall", "conntrack", "system"):
            assert f"{what}: not watched in this session" in text
        assert "log follower not running" in text
