"""Native nftables rules from `nft -j list ruleset`, for hosts with nft and no iptables.

Each rule becomes the same `RuleSpec` the iptables parser makes, so the firewall pane
draws both alike. Only the expressions a softswitch firewall uses are put in words
(ports, addresses, sets, ct state, limit, log, queue, payload strings, verdicts); any
other expression is shown by its JSON key so nothing is hidden.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from vostui.host.iptables import RuleSpec, SavedChain, SavedTable, parse_ports
from vostui.text import clean_line

# Tables iptables-nft creates: shown through iptables-save, not twice.
IPTABLES_TABLES = frozenset({"filter", "raw", "mangle", "nat", "security"})
FAMILY_NAMES = {"ip": "ipv4", "ip6": "ipv6"}


def family_name(family: str) -> str:
    return FAMILY_NAMES.get(family, family)


def is_iptables_table(family: str, name: str) -> bool:
    return family in ("ip", "ip6") and name in IPTABLES_TABLES


def parse_nft_tables(text: str) -> tuple[tuple[str, str], ...]:
    """`nft -j list tables` → ((family, name), ...)."""
    out = []
    for item in _items(text):
        table = item.get("table")
        if isinstance(table, dict):
            out.append((str(table.get("family", "")), str(table.get("name", ""))))
    return tuple(out)


def parse_nft_json(
    text: str, skip_iptables: bool = False, tables: Iterable[str] | None = None
) -> tuple[SavedTable, ...]:
    """Parse `nft -j list ruleset` into tables; rules without a `counter` count as 0.

    `skip_iptables` leaves out the tables iptables-nft owns (read through iptables-save).
    """
    wanted = None if tables is None else frozenset(tables)
    order: list[tuple[str, str]] = []
    chains: dict[tuple[str, str], list[str]] = {}
    heads: dict[tuple[str, str, str], tuple[str, int, int]] = {}
    rules: dict[tuple[str, str, str], list[tuple[int, int, RuleSpec]]] = {}
    for item in _items(text):
        if "table" in item:
            t = item["table"]
            key = (str(t.get("family", "")), str(t.get("name", "")))
            if _keep(key, skip_iptables, wanted) and key not in chains:
                order.append(key)
                chains[key] = []
        elif "chain" in item:
            c = item["chain"]
            key = (str(c.get("family", "")), str(c.get("table", "")))
            if key not in chains:
                continue
            name = str(c.get("name", ""))
            chains[key].append(name)
            # A base chain (with a hook) has a policy; nft keeps no counter for it.
            policy = str(c.get("policy", "accept")).upper() if "hook" in c else ""
            heads[(*key, name)] = (policy, 0, 0)
        elif "rule" in item:
            r = item["rule"]
            key = (str(r.get("family", "")), str(r.get("table", "")))
            if key not in chains:
                continue
            chain = str(r.get("chain", ""))
            if (*key, chain) not in heads:
                chains[key].append(chain)
                heads[(*key, chain)] = ("", 0, 0)
            packets, nbytes, spec = rule_spec(r)
            rules.setdefault((*key, chain), []).append((packets, nbytes, spec))
    out = []
    for family, name in order:
        saved = tuple(
            SavedChain(
                chain,
                *heads[(family, name, chain)],
                tuple(rules.get((family, name, chain), ())),
            )
            for chain in chains[(family, name)]
        )
        out.append(SavedTable(family_name(family), name, saved))
    return tuple(out)


def _keep(key: tuple[str, str], skip_iptables: bool, wanted: frozenset[str] | None) -> bool:
    if skip_iptables and is_iptables_table(*key):
        return False
    return wanted is None or key[1] in wanted


def _items(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    items = data.get("nftables", []) if isinstance(data, dict) else []
    return [item for item in items if isinstance(item, dict)]


def rule_spec(rule: dict[str, Any]) -> tuple[int, int, RuleSpec]:
    """One nft rule → (packets, bytes, RuleSpec)."""
    packets = nbytes = 0
    counted = False
    conditions: list[str] = []
    actions: list[str] = []
    ports: list[tuple[int, int]] = []
    target = ""
    goto = False
    protocol = ""
    for expr in rule.get("expr", []) or []:
        if not isinstance(expr, dict) or not expr:
            continue
        kind, body = next(iter(expr.items()))
        if kind == "counter" and isinstance(body, dict):
            packets = _int(body.get("packets"))
            nbytes = _int(body.get("bytes"))
            counted = True
        elif kind == "match" and isinstance(body, dict):
            words, found, proto = _match_words(body)
            conditions.append(words)
            ports.extend(found)
            protocol = protocol or proto
        elif kind in ("accept", "drop", "return", "continue"):
            target = kind.upper()
            actions.append("return to the calling chain" if kind == "return" else kind)
        elif kind in ("jump", "goto") and isinstance(body, dict):
            target = str(body.get("target", ""))
            goto = kind == "goto"
            actions.append(f"{'go to' if goto else 'jump to'} {target}")
        elif kind == "reject":
            target = "REJECT"
            how = body.get("expr") if isinstance(body, dict) else None
            actions.append("reject" + (f" with {how}" if how else ""))
        elif kind == "log":
            body = body if isinstance(body, dict) else {}
            text = "log"
            if "prefix" in body:
                text += f' "{body["prefix"]}"'
            if "level" in body:
                text += f" at level {body['level']}"
            actions.append(text)
            target = target or "LOG"
        elif kind == "queue":
            body = body if isinstance(body, dict) else {}
            flags = body.get("flags", [])
            flags = [flags] if isinstance(flags, str) else list(flags or [])
            bypass = "bypass" in flags
            actions.append(
                f"to userspace queue {body.get('num', 0)} "
                + (
                    "(bypass: accepted if no program listens)"
                    if bypass
                    else "(no bypass: dropped if no program listens)"
                )
            )
            target = "NFQUEUE"
        elif kind == "limit" and isinstance(body, dict):
            word = "over" if body.get("inv") else "at most"
            rate = f"{body.get('rate', '?')}/{body.get('per', 'second')}"
            burst = body.get("burst")
            conditions.append(f"{word} {rate}" + (f" (burst {burst})" if burst else ""))
        elif kind == "counter":
            continue
        else:
            conditions.append(kind)
    condition = ", ".join(c for c in conditions if c) or "every packet"
    action = ", ".join(actions) or "count only"
    words = f"{condition} → {action}"
    comment = str(rule.get("comment", "") or "")
    if comment:
        words += f"  # {comment}"
    text = f"handle {rule.get('handle', '?')}: {condition} → {action}"
    spec = RuleSpec(
        text=clean_line(text, 400),
        protocol=protocol,
        target=target,
        goto=goto,
        comment=comment,
        ports=tuple(ports),
        words=clean_line(words, 400),
        counted=counted,
    )
    return packets, nbytes, spec


def _match_words(body: dict[str, Any]) -> tuple[str, list[tuple[int, int]], str]:
    left, right, op = body.get("left"), body.get("right"), str(body.get("op", "=="))
    neg = "not " if op == "!=" else ""
    ports: list[tuple[int, int]] = []
    protocol = ""
    value = _value(right)
    if isinstance(left, dict) and "payload" in left:
        payload = left["payload"]
        field = str(payload.get("field", ""))
        proto = str(payload.get("protocol", ""))
        if field in ("dport", "sport"):
            protocol = proto
            if not neg:
                ports = parse_ports(_ports_text(right))
            label = "to port" if field == "dport" else "from port"
            return f"{proto}, {label} {neg}{value}", ports, protocol
        if field in ("saddr", "daddr"):
            label = "from" if field == "saddr" else "to"
            return f"{label} {neg}{value}", ports, protocol
        if "base" in payload:
            return f"payload {neg}has {_payload_text(value)}", ports, protocol
        return f"{proto} {field} {neg}{value}".strip(), ports, protocol
    if isinstance(left, dict) and "meta" in left:
        key = str(left["meta"].get("key", ""))
        label = {"iif": "in on", "iifname": "in on", "oif": "out on", "oifname": "out on"}.get(
            key, key
        )
        if key == "l4proto":
            protocol = value
        return f"{label} {neg}{value}", ports, protocol
    if isinstance(left, dict) and "ct" in left:
        key = str(left["ct"].get("key", ""))
        return f"{'state' if key == 'state' else 'ct ' + key} {neg}{value}", ports, protocol
    return f"{_value(left)} {op} {value}", ports, protocol


def _value(value: Any) -> str:
    if isinstance(value, dict):
        if "set" in value:
            return ",".join(_value(v) for v in value["set"])
        if "range" in value:
            low, high = value["range"]
            return f"{_value(low)}:{_value(high)}"
        if "prefix" in value:
            prefix = value["prefix"]
            return f"{prefix.get('addr')}/{prefix.get('len')}"
        return json.dumps(value, sort_keys=True)
    if isinstance(value, list):
        return ",".join(_value(v) for v in value)
    return str(value)


def _ports_text(value: Any) -> str:
    return _value(value)


def _payload_text(value: str) -> str:
    """A raw payload match (`@th,64,128 0x6672…`) shown as text when it is printable."""
    if value.startswith("0x"):
        try:
            raw = bytes.fromhex(value[2:])
        except ValueError:
            return value
        if raw and all(32 <= b < 127 for b in raw):
            return f'"{raw.decode("ascii")}"'
    return value


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
