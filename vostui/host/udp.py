"""UDP health: kernel UDP errors, drops per SIP socket, receive buffer limits."""

from __future__ import annotations

import ipaddress
import struct
import time
from collections.abc import Iterable
from dataclasses import dataclass

from vostui.host.access import HostAccess
from vostui.host.rates import RateTracker

SNMP_PATH = "/proc/net/snmp"
SNMP6_PATH = "/proc/net/snmp6"
UDP_PATHS = ("/proc/net/udp", "/proc/net/udp6")
RMEM_PATHS = {
    "rmem_max": "/proc/sys/net/core/rmem_max",
    "rmem_default": "/proc/sys/net/core/rmem_default",
    "wmem_max": "/proc/sys/net/core/wmem_max",
}
WATCHED = ("InErrors", "RcvbufErrors", "SndbufErrors", "NoPorts", "InDatagrams", "OutDatagrams")
UDP_STATES = {"07": "open", "01": "connected"}


@dataclass(frozen=True, slots=True)
class UdpSocket:
    """A UDP socket bound to a SIP port: `drops` is the kernel's per-socket drop count."""

    family: str
    local_address: str
    local_port: int
    rx_queue: int  # bytes waiting to be read
    tx_queue: int
    drops: int
    drops_per_second: float | None
    inode: int
    uid: int


@dataclass(frozen=True, slots=True)
class UdpSnapshot:
    at: float
    counters: dict[str, int] | None = None  # Udp: InErrors, RcvbufErrors, ... (IPv4 + IPv6)
    rates: dict[str, float | None] | None = None
    sockets: tuple[UdpSocket, ...] = ()
    rmem_max: int | None = None
    rmem_default: int | None = None
    wmem_max: int | None = None
    problem: str = ""
    fix: str = ""


def parse_snmp(text: str, prefix: str = "Udp") -> dict[str, int]:
    """`/proc/net/snmp`: a header line and a value line per protocol (`Udp:`)."""
    header: list[str] | None = None
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name != prefix:
            continue
        fields = rest.split()
        if header is None:
            header = fields
            continue
        out: dict[str, int] = {}
        for key, value in zip(header, fields, strict=False):
            try:
                out[key] = int(value)
            except ValueError:
                continue
        return out
    return {}


def parse_snmp6(text: str, prefix: str = "Udp6") -> dict[str, int]:
    """`/proc/net/snmp6`: `Udp6InErrors   12` lines; returned without the prefix."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith(prefix):
            key = parts[0][len(prefix) :]
            if key and key[0].isupper():
                try:
                    out[key] = int(parts[1])
                except ValueError:
                    continue
    return out


def _hex_address(text: str) -> str:
    """Kernel hex address (little-endian words) to dotted or colon form."""
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return text
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw[::-1]))
    if len(raw) == 16:
        words = struct.unpack("<4I", raw)
        return str(ipaddress.IPv6Address(struct.pack(">4I", *words)))
    return text


def parse_udp_sockets(
    text: str, ports: Iterable[int] | None = None, family: str = "ipv4"
) -> list[tuple[str, int, int, int, int, int, int]]:
    """`/proc/net/udp[6]` rows on the given local ports:
    (address, port, rx_queue, tx_queue, drops, inode, uid)."""
    wanted = None if ports is None else frozenset(ports)
    rows = []
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 13:
            continue
        address, _, port_hex = parts[1].rpartition(":")
        try:
            port = int(port_hex, 16)
        except ValueError:
            continue
        if wanted is not None and port not in wanted:
            continue
        tx, _, rx = parts[4].partition(":")
        try:
            rows.append(
                (
                    _hex_address(address),
                    port,
                    int(rx, 16),
                    int(tx, 16),
                    int(parts[12]),
                    int(parts[9]),
                    int(parts[7]),
                )
            )
        except ValueError:
            continue
    return rows


class UdpCollector:
    def __init__(self, access: HostAccess | None = None, sip_ports: Iterable[int] = (5060,)):
        self.access = access or HostAccess()
        self.sip_ports = tuple(sip_ports)
        self._counters: RateTracker = RateTracker()
        self._drops: RateTracker = RateTracker()

    def poll(self) -> UdpSnapshot:
        at = time.time()
        files = self.access.read_files([SNMP_PATH, SNMP6_PATH, *UDP_PATHS, *RMEM_PATHS.values()])
        text = files.text
        if SNMP_PATH not in text:
            return UdpSnapshot(
                at,
                problem=f"cannot read {SNMP_PATH}: {files.errors.get(SNMP_PATH, 'missing')}",
                fix="is /proc mounted? vostui needs Linux /proc",
            )
        counters = parse_snmp(text[SNMP_PATH])
        for key, number in parse_snmp6(text.get(SNMP6_PATH, "")).items():
            if key in counters:
                counters[key] += number
        stamp = time.monotonic()
        rates = self._counters.update(
            {k: float(counters[k]) for k in WATCHED if k in counters}, stamp
        )
        rows: list[tuple[str, str, int, int, int, int, int, int]] = []
        for path, family in zip(UDP_PATHS, ("ipv4", "ipv6"), strict=True):
            for row in parse_udp_sockets(text.get(path, ""), self.sip_ports, family):
                rows.append((family, *row))
        drop_rates = self._drops.update(
            {(r[0], r[1], r[2], r[6]): float(r[5]) for r in rows}, stamp
        )
        sockets = tuple(
            UdpSocket(
                family=r[0],
                local_address=r[1],
                local_port=r[2],
                rx_queue=r[3],
                tx_queue=r[4],
                drops=r[5],
                drops_per_second=drop_rates.get((r[0], r[1], r[2], r[6])),
                inode=r[6],
                uid=r[7],
            )
            for r in rows
        )

        def value(key: str) -> int | None:
            try:
                return int(text[RMEM_PATHS[key]].split()[0])
            except (KeyError, IndexError, ValueError):
                return None

        return UdpSnapshot(
            at,
            counters=counters,
            rates=rates,
            sockets=sockets,
            rmem_max=value("rmem_max"),
            rmem_default=value("rmem_default"),
            wmem_max=value("wmem_max"),
        )
