"""Run every rule over the snapshots: `diagnose(engine_snap, host, logs, config)`.

Findings come back sorted (most severe first, then the most occurrences, then by
title), deduplicated by (rule, affected) and capped. A rule that raises is a bug; it
must not take the console down, so it becomes an "info" finding that says so.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from vostui.diagnose.context import Context
from vostui.diagnose.finding import CAPTURE, INFO, Affected, Finding, evidence
from vostui.diagnose.rules import CHECKS
from vostui.diagnose.settings import Settings
from vostui.engine.snapshot import EngineSnapshot
from vostui.text import clean_line

MAX_FINDINGS = 200
TITLE_CHARS = 200
TEXT_CHARS = 1000


def sort_key(finding: Finding) -> tuple[int, int, str]:
    return (finding.rank, -finding.count, finding.title)


def diagnose(
    engine_snap: EngineSnapshot,
    host: Any = None,
    logs: Any = None,
    config: Any = None,
    *,
    settings: Settings | None = None,
    limit: int = MAX_FINDINGS,
) -> tuple[Finding, ...]:
    """Findings for one picture of the traffic (and of the host and logs, when given).

    `host` is a `vostui.host.monitor.HostSnapshot`, `logs` a
    `vostui.host.logs.LogSnapshot`; either may be None (its rules are then skipped).
    `config` is a `vostui.config.Config` (thresholds are read from it by name).
    """
    ctx = Context(engine_snap, host, logs, settings or Settings.from_config(config))
    found: dict[tuple[str, str, str], Finding] = {}
    for check in CHECKS:
        try:
            results = check(ctx)
        except Exception as exc:  # one broken rule must not hide the others
            results = [_broken(check.__name__, exc)]
        for finding in results:
            known = found.get(finding.key)
            if known is None or sort_key(finding) < sort_key(known):
                found[finding.key] = finding
    ordered = sorted(found.values(), key=sort_key)
    return tuple(_sanitized(f) for f in ordered[:limit])


def _sanitized(finding: Finding) -> Finding:
    """Titles and texts name accounts, users and IPs taken from packets: clean them
    once here so every rule's output is safe plain text (evidence already is)."""
    return replace(
        finding,
        title=clean_line(finding.title, TITLE_CHARS),
        affected=Affected(finding.affected.kind, clean_line(finding.affected.id, 200)),
        cause=clean_line(finding.cause, TEXT_CHARS),
        check=clean_line(finding.check, TEXT_CHARS),
        fix=clean_line(finding.fix, TEXT_CHARS),
    )


def _broken(name: str, exc: Exception) -> Finding:
    return Finding(
        rule="diagnose.error",
        severity=INFO,
        title=f"rule {name} failed: {type(exc).__name__}",
        affected=Affected(CAPTURE, name),
        evidence=evidence([f"{type(exc).__name__}: {exc}"]),
        cause="A bug in vostui's diagnosis; the other rules ran.",
        check="Run `vostui doctor FILE --json` and report the capture that triggers it.",
        fix="Report it with the capture (or its calls) that triggers it.",
    )


def findings_for_call(findings: tuple[Finding, ...], call_key: str) -> tuple[Finding, ...]:
    """The findings that cover one call (`Finding.calls()`, every call, not only the
    first `REFS_CAP` refs): the call screen's reasons, the call list's problem mark."""
    return tuple(f for f in findings if call_key in f.calls())


def calls_with_findings(findings: tuple[Finding, ...]) -> dict[str, tuple[Finding, ...]]:
    """Every call key any finding covers, with those findings (most severe first): one
    pass for the call list's problem marks and its "why" column."""
    out: dict[str, list[Finding]] = {}
    for finding in findings:
        for key in finding.calls():
            out.setdefault(key, []).append(finding)
    return {key: tuple(found) for key, found in out.items()}


def findings_for_registration(
    findings: tuple[Finding, ...], account: str, source: str
) -> tuple[Finding, ...]:
    key = (account, source)
    return tuple(f for f in findings if any(ref.registration == key for ref in f.refs))


def alert_pairs(findings: tuple[Finding, ...], limit: int = 5) -> list[tuple[str, str]]:
    """(severity, title) of the findings above info, most severe first: what
    `AlertsStrip.set_findings` takes."""
    return [(f.severity, f.title) for f in findings if f.severity != INFO][:limit]


def summary(findings: tuple[Finding, ...]) -> dict[str, int]:
    """Count per severity, every severity present (0 when none)."""
    counts = {"critical": 0, "warning": 0, "notice": 0, "info": 0}
    for finding in findings:
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    return counts
