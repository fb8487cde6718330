"""Thresholds of the diagnosis rules.

Each default is a module constant. The config sets any of them in its `[diagnose]`
table (`long_pdd_seconds = 8`); settings the config has at top level under the same
name (`max_call_seconds`, `conntrack_warn`, `trusted_ips`, ...) are read from there.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from vostui.config import ConfigError

MAX_CALL_SECONDS = 7200.0  # a call up longer than this has lost its BYE
LONG_PDD_SECONDS = 6.0  # INVITE to first 18x
SHORT_CALL_SECONDS = 5.0  # answered calls shorter than this are "short"
SHORT_CALL_SHARE = 0.5  # of a gateway's recent answered calls
RECENT_SECONDS = 900.0  # failure classes, PDD and short calls look at this last stretch
MIN_CALLS = 10  # recent calls a gateway needs before its ratios mean something
FAILURE_MIN = 3  # failed attempts of one class at one gateway before a finding
FAILURE_SHARE = 0.2  # ... and their share of the gateway's recent finished attempts
ASR_RECENT_CALLS = 20  # the gateway's latest finished attempts: its "now"
ASR_BASELINE_MIN = 10  # attempts before those needed to know its usual level
ASR_DROP = 0.5  # recent ASR below this fraction of its usual level
LOW_ASR = 0.35  # a gateway (or all calls) answering fewer of its attempts: gateway.low_asr
OPTIONS_FLOOD_RATE = 10.0  # OPTIONS per second from one IP
INVITE_FLOOD_RATE = 10.0  # INVITEs per second from one IP with no answered call
DISTRIBUTED_SOURCES = 3  # sources that guess passwords slowly together
SCAN_MIN_REQUESTS = 50  # requests before a rate counts as a flood
BRUTE_FORCE_FAILURES = 10  # failed authentications from one IP
ENUMERATION_ACCOUNTS = 20  # distinct accounts (To users) tried from one IP
REGISTER_LOOP = 3  # authenticated REGISTERs challenged again in a row: wrong password
REGISTER_EXPIRES_MIN = 30  # seconds; shorter floods the registrar
REGISTER_EXPIRES_MAX = 7200  # seconds; longer keeps dead bindings and outlives NAT
REGISTER_RETRIES = 3  # REGISTER resends with no answer at all
DISK_WARN = 85.0  # percent used on the log partition
DISK_CRITICAL = 95.0
CPU_WARN = 90.0  # percent, all cores
FAILED_LOGINS_MIN = 10  # failed logins (ssh, web) from one IP in the logs
CONNTRACK_WARN = 0.70
CONNTRACK_CRITICAL = 0.90
# Callee prefixes of premium-rate, satellite and shared-cost ranges commonly abused in
# toll fraud (IRSF), as dialled: a starting list, to adapt to the operator's market.
# fraud.premium_calls also counts any international number (leading 00 or +) from a
# compromised source; these name the worst of them and catch national premium ranges.
PREMIUM_PREFIXES = (
    "00881",  # Global Mobile Satellite System (Iridium, Globalstar)
    "+881",
    "00882",  # International Networks (shared, revenue-share favourites)
    "+882",
    "00883",
    "+883",
    "00870",  # Inmarsat
    "+870",
    "00252",  # Somalia
    "+252",
    "900",  # national premium rate (900, 1900, 0900 by country)
    "1900",
    "0900",
)


@dataclass(frozen=True, slots=True)
class Settings:
    max_call_seconds: float = MAX_CALL_SECONDS
    long_pdd_seconds: float = LONG_PDD_SECONDS
    short_call_seconds: float = SHORT_CALL_SECONDS
    short_call_share: float = SHORT_CALL_SHARE
    recent_seconds: float = RECENT_SECONDS
    min_calls: int = MIN_CALLS
    failure_min: int = FAILURE_MIN
    failure_share: float = FAILURE_SHARE
    asr_recent_calls: int = ASR_RECENT_CALLS
    asr_baseline_min: int = ASR_BASELINE_MIN
    asr_drop: float = ASR_DROP
    low_asr: float = LOW_ASR
    options_flood_rate: float = OPTIONS_FLOOD_RATE
    invite_flood_rate: float = INVITE_FLOOD_RATE
    distributed_sources: int = DISTRIBUTED_SOURCES
    scan_min_requests: int = SCAN_MIN_REQUESTS
    brute_force_failures: int = BRUTE_FORCE_FAILURES
    enumeration_accounts: int = ENUMERATION_ACCOUNTS
    register_loop: int = REGISTER_LOOP
    register_expires_min: int = REGISTER_EXPIRES_MIN
    register_expires_max: int = REGISTER_EXPIRES_MAX
    register_retries: int = REGISTER_RETRIES
    disk_warn: float = DISK_WARN
    disk_critical: float = DISK_CRITICAL
    cpu_warn: float = CPU_WARN
    failed_logins_min: int = FAILED_LOGINS_MIN
    conntrack_warn: float = CONNTRACK_WARN
    conntrack_critical: float = CONNTRACK_CRITICAL
    premium_prefixes: tuple[str, ...] = PREMIUM_PREFIXES
    rtp_ports: tuple[int, int] = (10000, 60000)
    softswitch_processes: tuple[str, ...] = ()
    processes_configured: bool = False  # the operator named the processes to watch
    trusted_ips: tuple[str, ...] = ()
    gateways: tuple[str, ...] = ()  # addresses (IP or CIDR) of the configured gateways

    @classmethod
    def from_config(cls, config: Any = None, **overrides: Any) -> Settings:
        """Defaults, then whatever the config has under the same names, then overrides."""
        values: dict[str, Any] = {}
        if config is not None:
            for f in fields(cls):
                if f.name == "processes_configured":
                    continue
                if hasattr(config, f.name):
                    values[f.name] = getattr(config, f.name)
            table = getattr(config, "diagnose", None) or {}
            known = {f.name: f for f in fields(cls)}
            for name, value in table.items():
                if name not in known:
                    raise ConfigError(f"[diagnose]: unknown threshold {name!r}")
                values[name] = value
            values["gateways"] = tuple(g.address for g in getattr(config, "gateways", ()))
            origin = getattr(config, "origin", None)
            if callable(origin):
                values["processes_configured"] = origin("softswitch_processes") != "default"
        values.update(overrides)
        for name in ("softswitch_processes", "trusted_ips", "rtp_ports"):
            if name in values:
                values[name] = tuple(values[name])
        if "premium_prefixes" in values:
            values["premium_prefixes"] = _prefixes(values["premium_prefixes"])
        return cls(**values)


def _prefixes(value: Any) -> tuple[str, ...]:
    """`premium_prefixes` as a tuple of non-empty strings of digits (a leading + allowed):
    a bare string or a number is a mistake (it would match every callee digit by digit)."""
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ConfigError('[diagnose] premium_prefixes: a list of strings, e.g. ["00882", "900"]')
    out = []
    for item in value:
        text = item.strip() if isinstance(item, str) else ""
        digits = text[1:] if text.startswith("+") else text
        if not digits.isdigit():
            raise ConfigError(
                f"[diagnose] premium_prefixes: {item!r} is not a prefix of digits "
                '(quoted, a leading + allowed: "00882", "+882")'
            )
        out.append(text)
    return tuple(out)
