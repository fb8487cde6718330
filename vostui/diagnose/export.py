"""Findings and checklists as JSON-ready dicts (schema "vostui.doctor/1", see
docs/doctor-json.md). Strings are the findings' own, already cleaned."""

from __future__ import annotations

from typing import Any

from vostui.diagnose.checklists import Check, Checklist
from vostui.diagnose.finding import Finding, Ref
from vostui.report import iso

SCHEMA = "vostui.doctor/1"


def ref_json(ref: Ref) -> dict[str, Any]:
    return {
        "call": ref.call or None,
        "message": ref.message or None,
        "registration": list(ref.registration) if ref.registration else None,
        "ip": ref.ip or None,
    }


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "severity": finding.severity,
        "title": finding.title,
        "affected": {"kind": finding.affected.kind, "id": finding.affected.id},
        "evidence": list(finding.evidence),
        "cause": finding.cause,
        "check": finding.check,
        "fix": finding.fix,
        "count": finding.count,
        "first": iso(finding.first),
        "last": iso(finding.last),
        "first_ts": finding.first,
        "last_ts": finding.last,
        "codes": list(finding.codes),
        "refs": [ref_json(ref) for ref in finding.refs],
        "calls": list(finding.calls()),
    }


def check_json(step: Check) -> dict[str, Any]:
    return {
        "id": step.id,
        "title": step.title,
        "status": step.status,
        "evidence": list(step.evidence),
        "command": step.command or None,
        "cause": step.cause or None,
        "fix": step.fix or None,
        "rules": list(step.rules),
        "refs": [ref_json(ref) for ref in step.refs],
    }


def checklist_json(checklist: Checklist) -> dict[str, Any]:
    return {
        "symptom": checklist.symptom,
        "title": checklist.title,
        "conclusion": checklist.conclusion,
        "fix": checklist.fix or None,
        "steps": [check_json(step) for step in checklist.steps],
        "findings": [
            {"rule": f.rule, "affected": {"kind": f.affected.kind, "id": f.affected.id}}
            for f in checklist.findings
        ],
    }
