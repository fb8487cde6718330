"""Snapshots as plain-text tables and as JSON (`vostui analyze`).

The JSON schema is documented in docs/analyze-json.md; `SCHEMA` names its version.
Every string from packets passes through `clean_line` before it is printed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from vostui.engine.snapshot import (
    CallView,
    EngineSnapshot,
    GatewayView,
    LegView,
    MediaEndpoint,
    RegistrationView,
    SourceView,
)
from vostui.text import clean_line

SCHEMA = "vostui.analyze/1"


def clock(ts: float | None) -> str:
    if ts is None:
        return "-"
    return time.strftime("%H:%M:%S", time.localtime(ts)) + f".{int(ts * 1000) % 1000:03d}"


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d}Z"


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 3600:
        return f"{int(value // 3600)}:{int(value % 3600 // 60):02d}:{int(value % 60):02d}"
    if value >= 60:
        return f"{int(value // 60)}:{int(value % 60):02d}"
    return f"{value:.1f}s"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], limit: int = 40) -> str:
    """Columns padded to width; cells cleaned and cut at `limit` characters."""
    cells = [[clean_line(str(c))[:limit] for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines)


def code_text(code: int, reason: str) -> str:
    return f"{code} {reason}".strip() if code else "-"


def calls_table(calls: Sequence[CallView], now: float) -> str:
    rows = [
        (
            clock(c.start),
            seconds(c.duration(now)),
            c.caller,
            c.callee,
            c.mapping_gateway or "-",
            c.routing_gateway or "-",
            c.state + ("!" if c.problem else ""),
            seconds(c.pdd),
            code_text(c.final_code, c.final_reason),
            len(c.legs),
        )
        for c in calls
    ]
    headers = (
        "start",
        "dur",
        "caller",
        "callee",
        "from gw",
        "to gw",
        "state",
        "pdd",
        "code",
        "legs",
    )
    return table(headers, rows)


def registrations_table(regs: Sequence[RegistrationView], now: float) -> str:
    rows = [
        (
            r.account,
            r.source,
            r.state,
            r.last_code or "-",
            r.attempts,
            r.challenge_loop,
            seconds(r.expires_at - now) if r.expires_at is not None else "-",
            r.contact + (" (private)" if r.contact_private else ""),
            r.user_agent or "-",
        )
        for r in regs
    ]
    headers = ("account", "source", "state", "code", "tries", "loop", "expires in", "contact", "UA")
    return table(headers, rows)


def gateways_table(gateways: Sequence[GatewayView]) -> str:
    rows = [
        (
            g.name,
            g.address,
            g.role,
            g.attempts,
            g.answered,
            f"{g.asr * 100:.0f}%",
            seconds(g.acd) if g.acd else "-",
            seconds(g.mean_pdd),
            f"{g.cps_now:.1f}/{g.cps_peak:.0f}",
            " ".join(f"{code}x{n}" if code else f"timeout x{n}" for code, n in g.codes),
        )
        for g in gateways
    ]
    headers = (
        "gateway",
        "address",
        "role",
        "calls",
        "ans",
        "ASR",
        "ACD",
        "PDD",
        "cps/peak",
        "codes",
    )
    return table(headers, rows, limit=60)


def sources_table(sources: Sequence[SourceView]) -> str:
    rows = [
        (
            s.ip,
            " ".join(f"{m}:{n}" for m, n in s.counts[:4]),
            s.accounts_tried,
            s.auth_failures,
            ",".join(s.signatures) or "-",
            (s.user_agents[0] if s.user_agents else "-"),
        )
        for s in sources
    ]
    return table(("source", "requests", "accounts", "auth fail", "signatures", "UA"), rows)


def scanners(snapshot: EngineSnapshot) -> list[SourceView]:
    """Sources with a scanner signature, failed auth or many accounts tried: a raw view
    with no config. `vostui analyze` lists what `vostui doctor` flags instead
    (`vostui.diagnose.rules.scanners.suspicious_sources`)."""
    picked = [
        s for s in snapshot.sources if s.signatures or s.auth_failures or s.accounts_tried >= 10
    ]
    picked.sort(key=lambda s: (not s.signatures, -s.auth_failures, -s.accounts_tried))
    return picked


def sort_registrations(regs: Iterable[RegistrationView]) -> list[RegistrationView]:
    return sorted(regs, key=lambda r: (not r.failing, r.account, r.source))


# -- JSON ------------------------------------------------------------------------


def _media(m: MediaEndpoint | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {
        "address": m.address,
        "port": m.port,
        "codecs": list(m.codecs),
        "direction": m.direction,
        "telephone_event": m.telephone_event,
        "signalled_from": m.signalled_from,
    }


def leg_json(leg: LegView) -> dict[str, Any]:
    return {
        "call_id": leg.call_id,
        "role": leg.role,
        "caller": leg.caller,
        "callee": leg.callee,
        "src": leg.src,
        "dst": leg.dst,
        "gateway": leg.gateway,
        "state": leg.state,
        "start": leg.start,
        "ringing": leg.ringing,
        "answered": leg.answered,
        "confirmed": leg.confirmed,
        "ended": leg.ended,
        "pdd": leg.pdd,
        "final_code": leg.final_code,
        "final_reason": leg.final_reason,
        "reason_header": leg.reason_header,
        "hangup_by": leg.hangup_by,
        "codecs_offered": list(leg.codecs_offered),
        "codecs_answered": list(leg.codecs_answered),
        "media_offer": _media(leg.media_offer),
        "media_answer": _media(leg.media_answer),
        "session_expires": leg.session_expires,
        "user_agent": leg.user_agent,
        "messages": leg.message_count,
        "retransmissions": leg.retransmissions,
        "ok_retransmissions": leg.ok_retransmissions,
        "ack_missing": leg.ack_missing,
        "methods": list(leg.methods),
    }


def call_json(call: CallView, now: float) -> dict[str, Any]:
    return {
        "key": call.key,
        "caller": call.caller,
        "callee": call.callee,
        "mapping_gateway": call.mapping_gateway,
        "routing_gateway": call.routing_gateway,
        "state": call.state,
        "start": call.start,
        "start_iso": iso(call.start),
        "ended": call.ended,
        "duration": round(call.duration(now), 3),
        "talk": round(call.talk(now), 3),
        "pdd": call.pdd,
        "answered": call.answered,
        "final_code": call.final_code,
        "final_reason": call.final_reason,
        "problem": call.problem,
        "legs": [leg_json(leg) for leg in call.legs],
    }


def registration_json(r: RegistrationView) -> dict[str, Any]:
    return {
        "account": r.account,
        "source": r.source,
        "registrar": r.registrar,
        "state": r.state,
        "last_code": r.last_code,
        "attempts": r.attempts,
        "challenges": r.challenges,
        "challenge_loop": r.challenge_loop,
        "expires": r.expires,
        "expires_at": r.expires_at,
        "contact": r.contact,
        "contact_private": r.contact_private,
        "user_agent": r.user_agent,
        "first_seen": r.first_seen,
        "last_seen": r.last_seen,
        "history": [{"ts": a.ts, "code": a.code, "expires": a.expires} for a in r.history],
    }


def gateway_json(g: GatewayView) -> dict[str, Any]:
    return {
        "name": g.name,
        "address": g.address,
        "role": g.role,
        "attempts": g.attempts,
        "answered": g.answered,
        "asr": round(g.asr, 4),
        "acd": round(g.acd, 3),
        "mean_pdd": None if g.mean_pdd is None else round(g.mean_pdd, 3),
        "codes": {str(code): n for code, n in g.codes},
        "cps_now": g.cps_now,
        "cps_peak": g.cps_peak,
        "active": g.active,
    }


def source_json(s: SourceView) -> dict[str, Any]:
    return {
        "ip": s.ip,
        "first_seen": s.first_seen,
        "last_seen": s.last_seen,
        "counts": dict(s.counts),
        "rates": {m: round(r, 3) for m, r in s.rates},
        "accounts_tried": s.accounts_tried,
        "auth_failures": s.auth_failures,
        "user_agents": list(s.user_agents),
        "signatures": list(s.signatures),
    }


def counters_json(snapshot: EngineSnapshot) -> dict[str, Any]:
    c = snapshot.counters
    return {
        "packets": c.packets,
        "datagrams": c.datagrams,
        "sip_messages": c.sip_messages,
        "retransmissions": c.retransmissions,
        "not_sip": c.not_sip,
        "malformed": dict(c.malformed),
        "evicted": dict(c.evicted),
        "dropped": dict(c.dropped),
    }


# One encoder each, made once: json.dumps with options builds a new one per call.
_COMPACT = json.JSONEncoder(separators=(",", ":"))
_INDENTED = json.JSONEncoder(indent=1)


def write_json(
    stream: TextIO, head: Mapping[str, object], lists: Mapping[str, Iterable[object]], indent: bool
) -> None:
    """One JSON document, written list item by list item: a 35,000-call report never
    stands in memory as a whole. Indented for a person at a terminal; compact (and
    encoded by the C encoder) for a pipe."""

    dump = _INDENTED.encode if indent else _COMPACT.encode

    sep = ",\n" if indent else ","
    stream.write("{")
    first = True
    for key, value in head.items():
        stream.write(("" if first else sep) + json.dumps(key) + ":" + dump(value))
        first = False
    for key, items in lists.items():
        stream.write(("" if first else sep) + json.dumps(key) + ":[")
        first = False
        for n, item in enumerate(items):
            stream.write(("" if n == 0 else sep) + dump(item))
        stream.write("]")
    stream.write("}\n")
