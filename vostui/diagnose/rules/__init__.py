"""The rule registry: every rule id with a one-line summary, and the checks that run.

A check is a pure function `Context -> list[Finding]`; one check may report several
rule ids (the failure classes of a gateway share one pass over its calls).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vostui.diagnose.context import Context
from vostui.diagnose.finding import Finding
from vostui.diagnose.rules import (
    calls,
    capture,
    fraud,
    gateways,
    host,
    media,
    registrations,
    scanners,
)

Check = Callable[[Context], list[Finding]]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    summary: str
    area: str  # calls, media, registrations, gateways, scanners, fraud, host, capture


_MODULES = (
    ("calls", calls),
    ("media", media),
    ("registrations", registrations),
    ("gateways", gateways),
    ("scanners", scanners),
    ("fraud", fraud),
    ("host", host),
    ("capture", capture),
)
RULES: tuple[Rule, ...] = tuple(
    Rule(rule_id, summary, area) for area, module in _MODULES for rule_id, summary in module.RULES
)
CHECKS: tuple[Check, ...] = tuple(check for _area, module in _MODULES for check in module.CHECKS)
RULE_IDS = frozenset(rule.id for rule in RULES)
