"""The filter language of `--filter` and of the console's `/`.

An expression is terms separated by spaces; a row must match every term.
- `word`: the word appears (case-insensitive) in any searchable field: numbers,
  IPs, Call-IDs, state, code, gateways, accounts, User-Agents.
- `field=value`, `field!=value`: the field equals (or not) the value, case-insensitive.
- `field~regex`: the field matches the regular expression.
- `field>N`, `field>=N`, `field<N`, `field<=N`: numeric comparison.
Fields of calls: caller, callee, ip, callid, state, code, gateway, mapping, routing,
duration, pdd, problem. Of registrations: account, source, ip, state, code, ua,
attempts. Of sources: ip, ua, signature, accounts, auth.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass

from vostui.engine.snapshot import CallView, RegistrationView, SourceView

_TERM = re.compile(r"^([a-z_-]+)(!=|>=|<=|=|~|>|<)(.*)$", re.IGNORECASE)
_NUMERIC = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


class FilterError(ValueError):
    pass


Fields = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Term:
    field: str
    op: str
    value: str
    pattern: re.Pattern[str] | None = None

    def matches(self, fields: Fields, text: str) -> bool:
        if not self.field:
            return self.value in text
        if self.field not in fields:
            return False
        actual = fields[self.field]
        values = actual if isinstance(actual, tuple | list) else (actual,)
        return any(self._one(v) for v in values)

    def _one(self, actual: object) -> bool:
        if self.op in _NUMERIC:
            try:
                return bool(_NUMERIC[self.op](float(str(actual)), float(self.value)))
            except ValueError:
                return False
        text = str(actual).lower()
        if self.op == "=":
            return text == self.value
        if self.op == "!=":
            return text != self.value
        assert self.pattern is not None
        return self.pattern.search(str(actual)) is not None


@dataclass(frozen=True, slots=True)
class Filter:
    terms: tuple[Term, ...]

    def __bool__(self) -> bool:
        return bool(self.terms)

    def matches(self, fields: Fields) -> bool:
        text = " ".join(str(v).lower() for v in _flatten(fields.values()))
        return all(term.matches(fields, text) for term in self.terms)


def _flatten(values: object) -> list[object]:
    out: list[object] = []
    for value in values:  # type: ignore[attr-defined]
        if isinstance(value, tuple | list):
            out.extend(value)
        else:
            out.append(value)
    return out


def parse(expression: str, known: frozenset[str] | None = None) -> Filter:
    terms = []
    for word in expression.split():
        match = _TERM.match(word)
        if match is None:
            terms.append(Term("", "", word.lower()))
            continue
        name, op, value = match.group(1).lower().replace("-", ""), match.group(2), match.group(3)
        if known is not None and name not in known:
            raise FilterError(f"unknown field {name!r}; known: {', '.join(sorted(known))}")
        pattern = None
        if op == "~":
            try:
                pattern = re.compile(value, re.IGNORECASE)
            except re.error as exc:
                raise FilterError(f"bad regular expression {value!r}: {exc}") from exc
        elif op in _NUMERIC:
            try:
                float(value)
            except ValueError as exc:
                raise FilterError(f"{name}{op}{value}: not a number") from exc
        terms.append(Term(name, op, value.lower(), pattern))
    return Filter(tuple(terms))


CALL_FIELDS = frozenset(
    [
        "caller",
        "callee",
        "ip",
        "callid",
        "state",
        "code",
        "gateway",
        "mapping",
        "routing",
        "duration",
        "pdd",
        "problem",
        "ua",
    ]
)
REGISTRATION_FIELDS = frozenset(["account", "source", "ip", "state", "code", "ua", "attempts"])
SOURCE_FIELDS = frozenset(["ip", "ua", "signature", "accounts", "auth"])


def call_fields(call: CallView, now: float) -> dict[str, object]:
    ips = tuple(
        {leg.src.rsplit(":", 1)[0] for leg in call.legs}
        | {leg.dst.rsplit(":", 1)[0] for leg in call.legs}
    )
    return {
        "caller": tuple(leg.caller for leg in call.legs),
        "callee": tuple(leg.callee for leg in call.legs),
        "ip": ips,
        "callid": tuple(leg.call_id for leg in call.legs),
        "state": call.state,
        "code": tuple(leg.final_code for leg in call.legs if leg.final_code) or (0,),
        "gateway": (call.mapping_gateway, call.routing_gateway),
        "mapping": call.mapping_gateway,
        "routing": call.routing_gateway,
        "duration": round(call.duration(now), 3),
        "pdd": round(call.pdd, 3) if call.pdd is not None else "",
        "problem": "yes" if call.problem else "no",
        "ua": tuple(leg.user_agent for leg in call.legs),
    }


def registration_fields(reg: RegistrationView) -> dict[str, object]:
    return {
        "account": reg.account,
        "source": reg.source,
        "ip": reg.source.rsplit(":", 1)[0],
        "state": reg.state,
        "code": reg.last_code,
        "ua": reg.user_agent,
        "attempts": reg.attempts,
    }


def source_fields(source: SourceView) -> dict[str, object]:
    return {
        "ip": source.ip,
        "ua": source.user_agents,
        "signature": source.signatures,
        "accounts": source.accounts_tried,
        "auth": source.auth_failures,
    }
