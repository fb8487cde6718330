"""Configuration: TOML files, environment and flags, with where each value came from.

Precedence, highest first: command-line flags, environment (`VOSTUI_CONFIG` names a
file; `VOSTUI_<KEY>` sets a top-level scalar), `~/.config/vostui/config.toml`,
`/etc/vostui/config.toml`, built-in defaults.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ConfigError(ValueError):
    pass


KEYMAPS = ("", "sngrep")  # the console's key presets (vostui/ui/keymaps.py)


@dataclass(slots=True, frozen=True)
class Gateway:
    """A peer named in the config: `mapping` is the customer side, `routing` the vendor."""

    name: str
    address: str  # IP or CIDR
    role: str = "unknown"

    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return ipaddress.ip_network(self.address, strict=False)


@dataclass(slots=True, frozen=True)
class Config:
    interface: str = "any"
    capture_buffer_kib: int = 0  # tcpdump -B (KiB of kernel capture buffer); 0: its default
    sip_ports: tuple[int, ...] = (5060, 5061, 5070, 6060)
    rtp_ports: tuple[int, int] = (10000, 60000)
    softswitch_ips: tuple[str, ...] = ()  # empty: inferred from traffic
    gateways: tuple[Gateway, ...] = ()
    trusted_ips: tuple[str, ...] = ()
    log_files: tuple[str, ...] = (
        "/home/vos3000/log/*.log",
        "/var/log/messages",
        "/var/log/secure",
    )
    softswitch_processes: tuple[str, ...] = (
        "mbx3000",
        "sipproxy",
        "vos3000",
        "vos3000d",
        "callservice",
        "mysqld",
    )
    theme: str = "vostui-dark"
    save_dir: str = ""  # where the console offers to save (pcap, ladder, logs); "": the cwd
    keymap: str = ""  # "" (vostui's keys) or "sngrep": a preset under [keys]
    keys: dict[str, str] = field(default_factory=dict)  # [keys] binding id = "key,key"
    refresh: float = 0.5  # seconds between UI pulls of the engine snapshot
    host_interval: float = 1.0
    conntrack_warn: float = 0.70
    conntrack_critical: float = 0.90
    max_call_seconds: float = 7200.0
    pairing_window: float = 10.0
    pairing_digits: int = 7
    max_dialogs: int = 50_000
    max_messages_per_dialog: int = 200
    max_registrations: int = 20_000
    max_sources: int = 20_000
    conntrack_entries_interval: float = 10.0
    conntrack_entries_cap: int = 5000
    iptables_command: str = "iptables"
    log_level_patterns: tuple[tuple[str, ...], ...] = ()  # (file glob, regex, level)
    failed_login_patterns: tuple[str, ...] = ()  # regexes with a named group `ip`
    firewall_log_prefixes: tuple[str, ...] = ("SIP-RATE-LIMIT: ",)
    diagnose: dict[str, Any] = field(default_factory=dict)  # thresholds, see vostui.diagnose
    sources: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def gateway_for(self, ip: str) -> Gateway | None:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return None
        for gateway in self.gateways:
            try:
                if addr in gateway.network():
                    return gateway
            except ValueError:
                continue
        return None

    def origin(self, key: str) -> str:
        return dict(self.sources).get(key, "default")


def _coerce(name: str, value: Any, default: Any) -> Any:
    if name == "gateways":
        if not isinstance(value, list):
            raise ConfigError("gateways must be a list of tables")
        out = []
        for item in value:
            if not isinstance(item, dict) or "name" not in item or "address" not in item:
                raise ConfigError("each gateway needs name and address")
            gateway = Gateway(
                str(item["name"]), str(item["address"]), str(item.get("role", "unknown"))
            )
            try:
                gateway.network()
            except ValueError as exc:
                raise ConfigError(f"gateway {gateway.name}: bad address {gateway.address}") from exc
            out.append(gateway)
        return tuple(out)
    if name == "diagnose":
        if not isinstance(value, dict):
            raise ConfigError("[diagnose] must be a table of thresholds")
        return dict(value)
    if name == "keys":
        if not isinstance(value, dict):
            raise ConfigError('[keys] must be a table: binding id = "key,key"')
        out_keys: dict[str, str] = {}
        for binding, keys in value.items():
            if isinstance(keys, list):
                keys = ",".join(str(k) for k in keys)
            if not isinstance(keys, str) or not keys.strip():
                raise ConfigError(f'[keys] {binding}: keys as a string, e.g. "q,f10"')
            out_keys[str(binding)] = ",".join(k.strip() for k in keys.split(",") if k.strip())
        return out_keys
    if name == "keymap":
        if value not in KEYMAPS:
            raise ConfigError(f"keymap: {value!r} is not one of {', '.join(map(repr, KEYMAPS))}")
        return str(value)
    if name == "log_level_patterns":
        if not isinstance(value, list) or not all(
            isinstance(item, list) and len(item) == 3 for item in value
        ):
            raise ConfigError("log_level_patterns must be a list of [file glob, regex, level]")
        return tuple(tuple(str(part) for part in item) for item in value)
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{name} must be a list")
        kind = type(default[0]) if default else str
        try:
            return tuple(kind(v) for v in value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{name}: {exc}") from exc
    try:
        return type(default)(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: {exc}") from exc


def _apply(config: Config, values: dict[str, Any], origin: str) -> Config:
    known = {f.name: f for f in fields(Config) if f.name != "sources"}
    changes: dict[str, Any] = {}
    origins = dict(config.sources)
    for key, value in values.items():
        key = key.replace("-", "_")
        if key not in known:
            raise ConfigError(f"{origin}: unknown setting {key!r}")
        changes[key] = _coerce(key, value, getattr(config, key))
        origins[key] = origin
    return replace(config, **changes, sources=tuple(origins.items()))


def load_file(config: Config, path: Path) -> Config:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from exc
    return _apply(config, data, str(path))


def load(explicit: str | None = None, overrides: dict[str, Any] | None = None) -> Config:
    config = Config()
    candidates = [Path("/etc/vostui/config.toml"), Path.home() / ".config/vostui/config.toml"]
    for path in candidates:
        if path.is_file():
            config = load_file(config, path)
    env_file = os.environ.get("VOSTUI_CONFIG")
    if env_file:
        config = load_file(config, Path(env_file))
    env_values = {}
    for f in fields(Config):
        value = os.environ.get(f"VOSTUI_{f.name.upper()}")
        if value is not None and f.name not in (
            "gateways",
            "sources",
            "log_level_patterns",
            "diagnose",
            "keys",
        ):
            env_values[f.name] = value
    if env_values:
        config = _apply(config, env_values, "environment")
    if explicit:
        config = load_file(config, Path(explicit))
    if overrides:
        config = _apply(config, {k: v for k, v in overrides.items() if v is not None}, "flag")
    return config
