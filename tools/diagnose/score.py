#!/usr/bin/env python3
"""Score the diagnosis rules against the labelled captures: precision and recall per rule.

Each capture in labels.json names the rules that must fire on it (none for clean
traffic). For every rule, over all captures:
    TP  the rule fired on a capture labelled with it
    FP  the rule fired (above "info") on a capture not labelled with it
    FN  a capture labelled with it where it did not fire
precision = TP / (TP + FP), recall = TP / (TP + FN); "-" where undefined.
It also checks that clean traffic yields nothing above "info".

Usage: score.py [DIR]   (default tests/fixtures/diagnose; exit 1 on a miss)
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))

from vostui.config import load  # noqa: E402
from vostui.diagnose import RULES, diagnose  # noqa: E402
from vostui.diagnose.finding import INFO, Finding  # noqa: E402
from vostui.engine.core import Engine  # noqa: E402
from vostui.pipeline import read_files  # noqa: E402


@dataclass
class Result:
    file: str
    expected: tuple[str, ...]
    findings: tuple[Finding, ...]

    @property
    def fired(self) -> set[str]:
        return {f.rule for f in self.findings}

    @property
    def fired_above_info(self) -> set[str]:
        return {f.rule for f in self.findings if f.severity != INFO}

    @property
    def missed(self) -> set[str]:
        return set(self.expected) - self.fired


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


def run(directory: Path) -> list[Result]:
    labels = json.loads((directory / "labels.json").read_text())
    config = load(str(directory / labels["config"]))
    results = []
    for entry in labels["captures"]:
        engine = Engine(config)
        read_files(engine, [str(directory / entry["file"])])
        findings = diagnose(engine.snapshot(), config=config)
        results.append(Result(entry["file"], tuple(entry["expected"]), findings))
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


def report(results: list[Result]) -> str:
    table = scores(results)
    lines = [f"{'rule':30} {'TP':>3} {'FP':>3} {'FN':>3} {'precision':>9} {'recall':>6}"]
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
    lines.append("per capture: expected -> found (severity)")
    for r in results:
        found = ", ".join(f"{f.rule} ({f.severity})" for f in r.findings) or "nothing"
        mark = "MISSED " + ",".join(sorted(r.missed)) if r.missed else "ok"
        lines.append(f"  {r.file:36} {','.join(r.expected) or 'clean'} -> {found}  [{mark}]")
    problems = clean_problems(results)
    lines.append("")
    lines.append(
        "clean traffic: nothing above info"
        if not problems
        else "clean traffic: ABOVE INFO: " + "; ".join(problems)
    )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    directory = Path(argv[1]) if len(argv) > 1 else REPO / "tests" / "fixtures" / "diagnose"
    results = run(directory)
    print(report(results))
    missed = [r for r in results if r.missed]
    return 1 if missed or clean_problems(results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
