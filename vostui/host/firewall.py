"""The firewall collector: runs iptables-save (or nft) and returns a FirewallSnapshot."""

from __future__ import annotations

import time
from collections.abc import Iterable
from itertools import chain

from vostui.host.access import CommandResult, HostAccess, explain_failure, is_root
from vostui.host.iptables import (
    DEFAULT_TABLES,
    FirewallSnapshot,
    Reading,
    RuleBook,
    SavedTable,
    SaveParser,
    counters_of,
    listed_table,
    parse_iptables_list,
    parse_iptables_version,
)
from vostui.host.nft_netlink import NetlinkShortcut
from vostui.host.nftables import is_iptables_table, parse_nft_json, parse_nft_tables

# How often (in polls) to look again for native nft tables next to iptables-nft ones
# (firewalld on Rocky keeps its rules in `table inet firewalld`, invisible to iptables).
NATIVE_RESCAN_POLLS = 30
PROC_TABLE_NAMES = {"ipv4": "/proc/net/ip_tables_names", "ipv6": "/proc/net/ip6_tables_names"}
LOCK_WAIT = 2  # seconds `iptables -w` waits for the xtables lock before giving up


class FirewallCollector:
    """Reads iptables (both families) or native nftables; one `poll()` per interval.

    `command` is the iptables binary to use: "iptables" follows the host's alternative,
    "iptables-legacy" or "iptables-nft" force a back end. The matching `-save` and
    `ip6tables` commands are derived from it.
    """

    def __init__(
        self,
        access: HostAccess | None = None,
        sip_ports: Iterable[int] = (5060,),
        tables: Iterable[str] = DEFAULT_TABLES,
        command: str = "iptables",
        ipv6: bool = True,
        native_nft: bool = True,
        netlink: bool = True,
    ) -> None:
        self.access = access or HostAccess()
        self.sip_ports = tuple(sip_ports)
        self.tables = tuple(tables)
        self.command = command
        self.ipv6 = ipv6
        self.native_nft = native_nft
        self._parser = SaveParser()
        self._book = RuleBook(self.sip_ports)
        self._version: tuple[str, str] | None = None
        self._polls = 0
        self._native_tables: tuple[tuple[str, str], ...] = ()
        # iptables-nft counters over netlink while the rule set is unchanged: only for
        # this process's own namespace (a prefixed access reads another one).
        self.netlink = NetlinkShortcut() if netlink and self.access.local else None

    def close(self) -> None:
        """Close the netlink socket kept between polls (the monitor calls this on stop)."""
        if self.netlink is not None:
            self.netlink.close()

    def _save_for(self, family: str) -> str:
        base = self.command if family == "ipv4" else self.command.replace("iptables", "ip6tables")
        name, _, suffix = base.partition("-")
        return f"{name}-{suffix}-save" if suffix else f"{name}-save"

    def poll(self) -> FirewallSnapshot:
        started = time.time()
        self._polls += 1
        if self.access.local and not is_root():
            return FirewallSnapshot(
                at=started,
                problem="not root: reading iptables counters needs root (CAP_NET_ADMIN)",
                fix="run vostui with sudo, or as root",
            )
        if self._version is None:
            result = self.access.run([self.command, "-V"])
            if result.missing:
                return self._poll_native_only(started, result)
            if not result.ok:
                problem, fix = explain_failure(result, self.command)
                return FirewallSnapshot(at=started, problem=problem, fix=fix)
            self._version = parse_iptables_version(result.stdout + result.stderr)
        version, backend = self._version
        shortcut = self.netlink if backend == "nft" else None
        readings: list[Reading] = []
        warnings: list[str] = []
        fast = shortcut.counters() if shortcut is not None else None
        if fast is not None:
            readings.append(fast)
        else:
            failed = self._read_saved(readings, warnings, shortcut)
            if failed is not None:
                self._version = None  # detect again next time: the host may have changed
                problem, fix = failed
                return FirewallSnapshot(
                    at=started, backend=backend, version=version, problem=problem, fix=fix
                )
        if backend == "nft" and self.native_nft:
            native = self._native_tables_beside_iptables(warnings)
            if native:
                readings.append(counters_of(native))
        tables, interval = self._book.update(joined(readings), time.monotonic())
        return FirewallSnapshot(
            at=started,
            backend=backend,
            version=version,
            source="iptables-save",
            tables=tables,
            warnings=tuple(warnings),
            interval=interval,
        )

    def _read_saved(
        self, readings: list[Reading], warnings: list[str], shortcut: NetlinkShortcut | None
    ) -> tuple[str, str] | None:
        """Read both families' rules as text (iptables-save, else iptables -L); (problem,
        fix) when IPv4 cannot be read."""
        if shortcut is not None:
            shortcut.before_text()
        from_save = True
        families = ("ipv4", "ipv6") if self.ipv6 else ("ipv4",)
        for family in families:
            if not self._may_hold_tables(family):
                continue  # iptables-save would print nothing: spare the process
            command = self._save_for(family)
            result = self.access.run([command, "-c"])
            if result.missing:
                # No iptables-save (a trimmed image): `iptables -L`, waiting on the lock.
                listed, result = self._list_family(family)
                if result.ok:
                    readings.append(counters_of(listed))
                    from_save = False
                    continue
            if not result.ok:
                problem, fix = explain_failure(result, command)
                if family == "ipv4":
                    return problem, fix
                warnings.append(f"IPv6: {problem}")
                continue
            readings.append(self._parser.read(result.stdout, family, self.tables))
        if shortcut is not None and from_save and not warnings:
            shortcut.after_text(joined(readings))
        return None

    def _may_hold_tables(self, family: str) -> bool:
        """False when the legacy back end has none of the wanted tables in this family.

        The kernel lists loaded x_tables in /proc/net/ip(6)_tables_names (per network
        namespace); iptables-legacy-save prints exactly those, and nothing when the file
        is absent. The nft back end has no such file: always read it.
        """
        if not self.access.local or self._version is None or self._version[1] != "legacy":
            return True
        path = PROC_TABLE_NAMES[family]
        try:
            with open(path, encoding="ascii", errors="replace") as handle:
                names = handle.read().split()
        except FileNotFoundError:
            return False
        except OSError:
            return True
        return any(name in self.tables for name in names)

    def _list_family(self, family: str) -> tuple[list[SavedTable], CommandResult]:
        base = self.command if family == "ipv4" else self.command.replace("iptables", "ip6tables")
        out: list[SavedTable] = []
        result = CommandResult((), 0, "", "")
        for table in self.tables:
            result = self.access.run(
                [base, "-w", str(LOCK_WAIT), "-t", table, "-L", "-n", "-v", "-x"],
                timeout=LOCK_WAIT + self.access.timeout,
            )
            if not result.ok:
                if "does not exist" in result.stderr or "can't initialize" in result.stderr:
                    continue  # the table is not loaded on this host
                return [], result
            out.append(listed_table(parse_iptables_list(result.stdout), family, table))
        return out, result

    def _native_tables_beside_iptables(self, warnings: list[str]) -> list[SavedTable]:
        if self._polls == 1 or self._polls % NATIVE_RESCAN_POLLS == 0:
            listing = self.access.run(["nft", "-j", "list", "tables"])
            if not listing.ok:
                self._native_tables = ()
                return []
            self._native_tables = tuple(
                (family, name)
                for family, name in parse_nft_tables(listing.stdout)
                if not is_iptables_table(family, name)
            )
        out: list[SavedTable] = []
        for family, name in self._native_tables:
            result = self.access.run(["nft", "-j", "list", "table", family, name])
            if result.ok:
                out.extend(parse_nft_json(result.stdout))
            else:
                warnings.append(f"nft table {family} {name}: {explain_failure(result, 'nft')[0]}")
        return out

    def _poll_native_only(self, started: float, missing: CommandResult) -> FirewallSnapshot:
        result = self.access.run(["nft", "-j", "list", "ruleset"])
        if result.missing:
            return FirewallSnapshot(
                at=started,
                problem="neither iptables nor nft is installed: no firewall to show",
                fix="install iptables (yum install iptables-services / apt-get install iptables)"
                " or nftables if this host filters SIP traffic",
            )
        if not result.ok:
            problem, fix = explain_failure(result, "nft")
            return FirewallSnapshot(at=started, backend="nftables", problem=problem, fix=fix)
        reading = counters_of(parse_nft_json(result.stdout))
        tables, interval = self._book.update(reading, time.monotonic())
        return FirewallSnapshot(
            at=started,
            backend="nftables",
            version="",
            source="nft",
            tables=tables,
            warnings=(f"{self.command} is not installed: showing native nftables rules",),
            interval=interval,
        )


def joined(readings: list[Reading]) -> Reading:
    """One Reading of several (both families, native nft tables beside them)."""
    if len(readings) == 1:
        return readings[0]
    return Reading(
        tuple(chain.from_iterable(r.tables for r in readings)),
        tuple(chain.from_iterable(r.rules for r in readings)),
        tuple(chain.from_iterable(r.heads for r in readings)),
    )
