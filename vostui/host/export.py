"""HostSnapshot → plain dict for `vostui host --json` (documented in docs/host-json.md)."""

from __future__ import annotations

import dataclasses
from typing import Any

from vostui.host.iptables import Chain, FirewallSnapshot, Rule, Table
from vostui.host.monitor import HostSnapshot

SCHEMA = "vostui.host/1"


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return round(value, 3)
    return value


def rule_dict(rule: Rule) -> dict[str, Any]:
    spec = rule.spec
    return {
        "index": rule.index,
        "packets": rule.packets,
        "bytes": rule.bytes,
        "packets_per_second": _plain(rule.packets_per_second),
        "bytes_per_second": _plain(rule.bytes_per_second),
        "counted": spec.counted,
        "sip": rule.sip,
        "target": spec.target,
        "goto": spec.goto,
        "words": spec.words,
        "text": spec.text,
        "comment": spec.comment,
        "ports": [list(p) for p in spec.ports],
    }


def chain_dict(chain: Chain, callers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": chain.name,
        "policy": chain.policy,
        "builtin": chain.builtin,
        "packets": chain.packets,
        "bytes": chain.bytes,
        "sip_path": chain.sip_path,
        "called_from": callers,
        "rules": [rule_dict(rule) for rule in chain.rules],
    }


def table_dict(table: Table) -> dict[str, Any]:
    callers: dict[str, list[dict[str, Any]]] = {}
    names = {chain.name for chain in table.chains}
    for chain in table.chains:
        for rule in chain.rules:
            if rule.target in names:
                callers.setdefault(rule.target, []).append(
                    {"chain": chain.name, "rule": rule.index}
                )
    return {
        "family": table.family,
        "name": table.name,
        "chains": [chain_dict(c, callers.get(c.name, [])) for c in table.chains],
    }


def firewall_dict(snapshot: FirewallSnapshot) -> dict[str, Any]:
    return {
        "at": snapshot.at,
        "backend": snapshot.backend,
        "version": snapshot.version,
        "source": snapshot.source,
        "interval": _plain(snapshot.interval),
        "problem": snapshot.problem,
        "fix": snapshot.fix,
        "warnings": list(snapshot.warnings),
        "tables": [table_dict(t) for t in snapshot.tables],
    }


def host_dict(snapshot: HostSnapshot) -> dict[str, Any]:
    """The whole snapshot as JSON-ready data, with the schema version first."""
    out: dict[str, Any] = {"schema": SCHEMA, "at": snapshot.at, "version": snapshot.version}
    out["firewall"] = firewall_dict(snapshot.firewall) if snapshot.firewall else None
    for name in ("recent", "conntrack", "conntrack_entries", "udp", "system", "processes"):
        out[name] = _plain(getattr(snapshot, name))
    if snapshot.conntrack_entries is not None:
        out["conntrack_entries"]["sample_note"] = snapshot.conntrack_entries.sample_note
    out["history"] = {
        "conntrack_use_percent": _plain(snapshot.conntrack_use_history),
        "conntrack_count": list(snapshot.conntrack_count_history),
        "cpu_percent": _plain(snapshot.cpu_history),
        "udp_rcvbuf_errors_per_second": _plain(snapshot.udp_rcvbuf_error_history),
        "firewall_drops_per_second": _plain(snapshot.firewall_drop_history),
    }
    out["collectors"] = _plain(snapshot.collectors)
    return out
