#!/usr/bin/env python3
"""Score the diagnosis rules against labelled captures: per rule, per severity, false
criticals and false block advice, for the tuning set and the held-out set.

Two sets, kept apart:
    tuning    tests/fixtures/diagnose   the captures the thresholds were set alongside
    held-out  tests/fixtures/heldout    made by someone who did not read the rules;
                                        never tune on it (skipped when absent)

labels.json in each: {"config": "x.toml" (optional), "captures": [{"file": ...,
"expected": [rule ids], and, optional: "kind": "ordinary"|"hostile"|"broken",
"max_severity": "critical"|"warning"|"notice"|"info", "block_ok": [ips],
"must_not_block": [ips]}]}. Without "kind", a capture expecting nothing is ordinary,
one expecting a scan.* rule hostile, any other broken.

Per rule, over all captures of a set:
    TP  the rule fired on a capture labelled with it
    FP  the rule fired (above "info") on a capture not labelled with it
    FN  a capture labelled with it where it did not fire
precision = TP / (TP + FP), recall = TP / (TP + FN); "-" where undefined.
Per severity S:
    precision  of the findings at S, the share whose rule the capture expects
    recall     of the captures labelled max_severity S, the share whose worst
               finding reaches S (and "too severe": worst above the label)
False criticals (counted apart): a critical finding whose rule the capture does not
expect, any critical on an ordinary capture, or one above the capture's max_severity.
False block advice (counted apart): a finding's fix, or a checklist's fix or step fix
(every symptom's checklist is run), advising `iptables ... -s IP -j DROP` for an IP in
must_not_block, any block advice on an ordinary capture, or for an IP outside block_ok
when the label gives block_ok.

Usage: score.py [TUNING_DIR [HELDOUT_DIR]]
Exit 1 when the tuning set misses a labelled rule, clean traffic gives anything above
info, or either set has a false critical or false block advice.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))

from vostui.config import Config, load  # noqa: E402
from vostui.diagnose import RULES, SYMPTOMS, diagnose, run_checklist  # noqa: E402
from vostui.diagnose.finding import INFO, RANK, SEVERITIES, Finding  # noqa: E402
from vostui.engine.core import Engine  # noqa: E402
from vostui.pipeline import read_files  # noqa: E402

TUNING = REPO / "tests" / "fixtures" / "diagnose"
HELDOUT = REPO / "tests" / "fixtures" / "heldout"
BLOCK = re.compile(r"-s\s+([0-9A-Fa-f:.\[\]/]+)\s+-j\s+DROP")


@dataclass
class Result:
    file: str
    expected: tuple[str, ...]
    findings: tuple[Finding, ...]
    kind: str = "broken"
    max_severity: str | None = None
    block_ok: tuple[str, ...] | None = None
    must_not_block: tuple[str, ...] = ()
    # (where, fix) of every checklist and checklist step: advice the operator reads too
    advice: tuple[tuple[str, str], ...] = ()

    @property
    def fired(self) -> set[str]:
        return {f.rule for f in self.findings}

    @property
    def fired_above_info(self) -> set[str]:
        return {f.rule for f in self.findings if f.severity != INFO}

    @property
    def missed(self) -> set[str]:
        return set(self.expected) - self.fired

    @property
    def worst(self) -> str | None:
        ranks = [f.rank for f in self.findings]
        return SEVERITIES[min(ranks)] if ranks else None

    def false_criticals(self) -> list[str]:
        out = []
        for f in self.findings:
            if f.severity != "critical":
                continue
            if (
                f.rule not in self.expected
                or self.kind == "ordinary"
                or (self.max_severity is not None and self.max_severity != "critical")
            ):
                out.append(f"{self.file}: {f.rule}: {f.title}")
        return out

    def false_blocks(self) -> list[str]:
        out = []
        fixes = [(f.rule, f.fix) for f in self.findings] + list(self.advice)
        for where, fix in fixes:
            for ip in BLOCK.findall(fix):
                bad = (
                    ip in self.must_not_block
                    or self.kind == "ordinary"
                    or (self.block_ok is not None and ip not in self.block_ok)
                )
                line = f"{self.file}: {where} advises blocking {ip}"
                if bad and line not in out:
                    out.append(line)
        return out


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    fp_files: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def _kind(entry: dict[str, Any]) -> str:
    if entry.get("kind"):
        return str(entry["kind"])
    expected = entry.get("expected", [])
    if not expected:
        return "ordinary"
    return "hostile" if any(rule.startswith("scan.") for rule in expected) else "broken"


def run(directory: Path) -> list[Result]:
    labels = json.loads((directory / "labels.json").read_text())
    config = load(str(directory / labels["config"])) if labels.get("config") else Config()
    results = []
    for entry in labels["captures"]:
        engine = Engine(config)
        read_files(engine, [str(directory / entry["file"])])
        snap = engine.snapshot()
        findings = diagnose(snap, config=config)
        advice = []
        for symptom in SYMPTOMS:
            checklist = run_checklist(symptom.id, snap, config=config, findings=findings)
            advice.append((f"checklist {symptom.id}", checklist.fix))
            advice += [(f"checklist {symptom.id}/{step.id}", step.fix) for step in checklist.steps]
        block_ok = entry.get("block_ok")
        results.append(
            Result(
                entry["file"],
                tuple(entry.get("expected", ())),
                findings,
                _kind(entry),
                entry.get("max_severity"),
                tuple(block_ok) if block_ok is not None else None,
                tuple(entry.get("must_not_block", ())),
                tuple(advice),
            )
        )
    return results


def scores(results: list[Result]) -> dict[str, Score]:
    table = {rule.id: Score() for rule in RULES}
    for result in results:
        for rule in result.expected:
            score = table.setdefault(rule, Score())
            if rule in result.fired:
                score.tp += 1
            else:
                score.fn += 1
        for rule in result.fired_above_info - set(result.expected):
            score = table.setdefault(rule, Score())
            score.fp += 1
            score.fp_files.append(result.file)
    return table


@dataclass
class SeverityScore:
    right: int = 0  # findings at this severity whose rule is expected
    wrong: int = 0
    labelled: int = 0  # captures labelled with this max_severity
    reached: int = 0  # ... whose worst finding reaches it
    too_severe: int = 0  # ... whose worst finding is above it

    @property
    def precision(self) -> float | None:
        total = self.right + self.wrong
        return self.right / total if total else None

    @property
    def recall(self) -> float | None:
        return self.reached / self.labelled if self.labelled else None


def severity_scores(results: list[Result]) -> dict[str, SeverityScore]:
    table = {severity: SeverityScore() for severity in SEVERITIES}
    for result in results:
        for f in result.findings:
            if f.rule in result.expected:
                table[f.severity].right += 1
            else:
                table[f.severity].wrong += 1
        label = result.max_severity
        if label in table:
            row = table[label]
            row.labelled += 1
            worst = result.worst or INFO  # nothing found: nothing above info
            if RANK[worst] <= RANK[label]:
                row.reached += 1
            if RANK[worst] < RANK[label]:
                row.too_severe += 1
    return table


def clean_problems(results: list[Result]) -> list[str]:
    """Findings above info on captures labelled with nothing."""
    return [
        f"{r.file}: {f.severity} {f.rule}: {f.title}"
        for r in results
        if not r.expected
        for f in r.findings
        if f.severity != INFO
    ]


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def report(results: list[Result], name: str = "tuning set") -> str:
    table = scores(results)
    lines = [
        f"== {name}: {len(results)} capture(s) ==",
        f"{'rule':30} {'TP':>3} {'FP':>3} {'FN':>3} {'precision':>9} {'recall':>6}",
    ]
    for rule, score in sorted(table.items()):
        labelled = score.tp + score.fn
        if not labelled and not score.fp:
            lines.append(f"{rule:30} {'':>3} {'':>3} {'':>3} {'(no labelled capture)':>16}")
            continue
        lines.append(
            f"{rule:30} {score.tp:>3} {score.fp:>3} {score.fn:>3} "
            f"{_ratio(score.precision):>9} {_ratio(score.recall):>6}"
            + (f"   FP in {', '.join(score.fp_files)}" if score.fp_files else "")
        )
    lines.append("")
    lines.append(
        f"{'severity':10} {'right':>5} {'wrong':>5} {'precision':>9} "
        f"{'labelled':>8} {'reached':>7} {'recall':>6} {'too severe':>10}"
    )
    for severity, row in severity_scores(results).items():
        lines.append(
            f"{severity:10} {row.right:>5} {row.wrong:>5} {_ratio(row.precision):>9} "
            f"{row.labelled:>8} {row.reached:>7} {_ratio(row.recall):>6} {row.too_severe:>10}"
        )
    criticals = [line for r in results for line in r.false_criticals()]
    blocks = [line for r in results for line in r.false_blocks()]
    lines.append("")
    lines.append(f"false criticals: {len(criticals)}")
    lines += [f"  {line}" for line in criticals]
    lines.append(f"false block advice: {len(blocks)}")
    lines += [f"  {line}" for line in blocks]
    lines.append("")
    lines.append("per capture: expected -> found (severity)")
    for r in results:
        found = ", ".join(f"{f.rule} ({f.severity})" for f in r.findings) or "nothing"
        mark = "MISSED " + ",".join(sorted(r.missed)) if r.missed else "ok"
        lines.append(
            f"  {r.file:36} [{r.kind}] {','.join(r.expected) or 'clean'} -> {found}  [{mark}]"
        )
    problems = clean_problems(results)
    lines.append("")
    lines.append(
        "clean traffic: nothing above info"
        if not problems
        else "clean traffic: ABOVE INFO: " + "; ".join(problems)
    )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    tuning = Path(argv[1]) if len(argv) > 1 else TUNING
    heldout = Path(argv[2]) if len(argv) > 2 else HELDOUT
    results = run(tuning)
    print(report(results, f"tuning set ({tuning})"))
    bad = bool([r for r in results if r.missed] or clean_problems(results))
    bad = bad or any(r.false_criticals() or r.false_blocks() for r in results)
    print()
    if (heldout / "labels.json").is_file():
        held = run(heldout)
        print(report(held, f"held-out set ({heldout})"))
        bad = bad or any(r.false_criticals() or r.false_blocks() for r in held)
    else:
        print(f"== held-out set: none at {heldout} (skipped) ==")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
