"""Diagnosis: rules over the engine's (and the host's and logs') snapshots that say what
is wrong, with evidence, and guided checklists per symptom.

Headless: nothing here imports textual or rich. The console and `vostui doctor` draw
the same objects:

    findings = diagnose(engine_snap, host=host_snap, logs=log_snap, config=config)
    checklist = run_checklist("drop_32s", engine_snap, host_snap, log_snap, config)

See `Finding`, `Checklist`, `SYMPTOMS`, `RULES`.
"""

from vostui.diagnose.checklists import (
    FAIL,
    MANUAL,
    NOT_CHECKED,
    PASS,
    SEEN,
    SYMPTOMS,
    Check,
    Checklist,
    Symptom,
    run_checklist,
    symptom,
)
from vostui.diagnose.diagnosis import (
    alert_pairs,
    calls_with_findings,
    diagnose,
    findings_for_call,
    findings_for_registration,
    summary,
)
from vostui.diagnose.finding import (
    CRITICAL,
    INFO,
    NOTICE,
    SEVERITIES,
    WARNING,
    Affected,
    Finding,
    Ref,
    above_info,
    worst,
)
from vostui.diagnose.rules import RULE_IDS, RULES, Rule
from vostui.diagnose.settings import Settings

__all__ = [
    "CRITICAL",
    "FAIL",
    "INFO",
    "MANUAL",
    "NOTICE",
    "NOT_CHECKED",
    "PASS",
    "RULES",
    "RULE_IDS",
    "SEEN",
    "SEVERITIES",
    "SYMPTOMS",
    "WARNING",
    "Affected",
    "Check",
    "Checklist",
    "Finding",
    "Ref",
    "Rule",
    "Settings",
    "Symptom",
    "above_info",
    "alert_pairs",
    "calls_with_findings",
    "diagnose",
    "findings_for_call",
    "findings_for_registration",
    "run_checklist",
    "summary",
    "symptom",
    "worst",
]
