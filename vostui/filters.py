"""The filter language of `--filter` and of the console's `/`.

An expression is terms separated by spaces; a row must match every term.
- `word`: the word appears (case-insensitive) in any searchable field: numbers,
  IPs, Call-IDs, state, code, gateways, accounts, User-Agents (not the duration,
  which changes every second).
- `4xx` (`1xx` to `6xx`): the code is in that class; also `code=4xx`, `code!=2xx`.
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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from vostui.engine.snapshot import CallView, RegistrationView, SourceView

_TERM = re.compile(r"^([a-z_-]+)(!=|>=|<=|=|~|>|<)(.*)$", re.IGNORECASE)
_NUMERIC = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
_CODE_CLASS = re.compile(r"^[1-6]xx$")
NOT_SEARCHED = frozenset(["duration"])  # bare words skip it: it changes every second


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
                number = actual if isinstance(actual, int | float) else float(str(actual))
                return bool(_NUMERIC[self.op](number, float(self.value)))
            except ValueError:
                return False
        text = str(actual).lower()
        if self.op in ("=", "!=") and _CODE_CLASS.match(self.value):
            same = len(text) == 3 and text[0] == self.value[0]
            return same if self.op == "=" else not same
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

    @property
    def words(self) -> bool:
        """Whether a bare word is among its terms (matched against `search_text`)."""
        return any(not term.field for term in self.terms)

    @property
    def fields(self) -> frozenset[str]:
        """The fields its terms name (bare words name none)."""
        return frozenset(term.field for term in self.terms if term.field)

    def matches(self, fields: Fields, text: str | None = None) -> bool:
        """`text`: `search_text(fields)`, when the caller keeps it between calls."""
        if text is None:
            text = search_text(fields)
        return all(term.matches(fields, text) for term in self.terms)


def search_text(fields: Fields) -> str:
    """What bare words are looked for in: every field but the duration, lower case."""
    parts: list[str] = []
    for name, value in fields.items():
        if name in NOT_SEARCHED:
            continue
        if isinstance(value, tuple | list):
            parts.extend(map(str, value))
        else:
            parts.append(str(value))
    return "\x00".join(parts).lower()


def parse(expression: str, known: frozenset[str] | None = None) -> Filter:
    terms = []
    for word in expression.split():
        match = _TERM.match(word)
        if match is None:
            if _CODE_CLASS.match(word.lower()):
                terms.append(Term("code", "=", word.lower()))
            else:
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


def _host(address: str) -> str:
    """ "10.0.0.1:5060" -> "10.0.0.1"; "[2001:db8::1]:5060" -> "2001:db8::1"."""
    return address.rsplit(":", 1)[0].strip("[]")


def _call_ips(call: CallView, now: float) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_host(a) for leg in call.legs for a in (leg.src, leg.dst)))


_CALL_GETTERS: dict[str, Callable[[CallView, float], object]] = {
    "caller": lambda call, now: tuple(leg.caller for leg in call.legs),
    "callee": lambda call, now: tuple(leg.callee for leg in call.legs),
    "ip": _call_ips,
    "callid": lambda call, now: tuple(leg.call_id for leg in call.legs),
    "state": lambda call, now: call.state,
    "code": lambda call, now: tuple(leg.final_code for leg in call.legs if leg.final_code) or (0,),
    "gateway": lambda call, now: tuple(  # every leg's: a route tried and failed too
        dict.fromkeys((call.mapping_gateway, call.routing_gateway, *(g.gateway for g in call.legs)))
    ),
    "mapping": lambda call, now: call.mapping_gateway,
    "routing": lambda call, now: call.routing_gateway,
    "duration": lambda call, now: round(call.duration(now), 3),
    "pdd": lambda call, now: round(call.pdd, 3) if call.pdd is not None else "",
    "problem": lambda call, now: "yes" if call.problem else "no",
    "ua": lambda call, now: tuple(leg.user_agent for leg in call.legs),
}


class CallFields(Mapping[str, object]):
    """A call's fields, each worked out only when a term asks for it: the console
    filters 20,000 calls on every keystroke."""

    __slots__ = ("call", "flagged", "now")

    def __init__(
        self, call: CallView, now: float, flagged: Callable[[CallView], bool] | None = None
    ) -> None:
        self.call = call
        self.now = now
        self.flagged = flagged  # the console's problem calls (findings too), for `problem`

    def __getitem__(self, name: str) -> object:
        if name == "problem" and self.flagged is not None:
            return "yes" if self.flagged(self.call) else "no"
        return _CALL_GETTERS[name](self.call, self.now)

    def __contains__(self, name: object) -> bool:
        return name in _CALL_GETTERS

    def __iter__(self) -> Iterator[str]:
        return iter(_CALL_GETTERS)

    def __len__(self) -> int:
        return len(_CALL_GETTERS)


def call_fields(call: CallView, now: float) -> dict[str, object]:
    return {name: get(call, now) for name, get in _CALL_GETTERS.items()}


def call_search_text(call: CallView) -> str:
    """`search_text(call_fields(...))` built directly (5x faster): what bare words find
    in a call. Addresses keep their ports, so `10.0.0.1:5062` finds a call too."""
    parts = [call.state, call.mapping_gateway, call.routing_gateway]
    for leg in call.legs:
        parts += (leg.caller, leg.callee, leg.call_id, leg.src, leg.dst, leg.user_agent)
        parts += (leg.gateway, leg.state)
        if leg.final_code:
            parts.append(str(leg.final_code))
    if call.pdd is not None:
        parts.append(str(round(call.pdd, 3)))
    parts.append("yes" if call.problem else "no")
    return "\x00".join(parts).lower()


def matches_call(
    expression: Filter,
    call: CallView,
    now: float,
    text: str = "",
    flagged: Callable[[CallView], bool] | None = None,
) -> bool:
    """Whether a call passes: `text` is its `call_search_text`, when kept from before;
    `flagged`, what `problem=yes` means (default: a failed final state)."""
    if not expression:
        return True
    if expression.words and not text:
        text = call_search_text(call)
    return expression.matches(CallFields(call, now, flagged), text)


def registration_fields(reg: RegistrationView) -> dict[str, object]:
    return {
        "account": reg.account,
        "source": reg.source,
        "ip": _host(reg.source),
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
