"""`vostui doctor [FILE...] [--symptom NAME] [--json]`: what is wrong, and what to check.

With FILEs it reads the captures and diagnoses their SIP traffic (add --host to include
this host's firewall, conntrack, UDP, processes, disk and logs). Without FILEs it
checks this host (collectors polled twice, one interval apart, for rates) and the
recent lines of the configured log files; live SIP is not analysed then: give it a
capture (tcpdump -ni any -s0 -w /tmp/sip.pcap port 5060).

Exit codes:
    0  nothing above "info"
    1  notices or warnings
    2  usage error, unreadable file, not a capture, bad config (one line on stderr)
    3  at least one critical finding
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from vostui import __version__
from vostui.diagnose.checklists import FAIL, MANUAL, NOT_CHECKED, PASS, SEEN, SYMPTOMS, Checklist
from vostui.diagnose.diagnosis import summary
from vostui.diagnose.export import SCHEMA, checklist_json, finding_json
from vostui.diagnose.finding import CRITICAL, INFO, Finding
from vostui.report import iso

EXIT_OK, EXIT_FOUND, EXIT_USAGE, EXIT_CRITICAL = 0, 1, 2, 3
LOG_TAIL_LINES = 2000


class DoctorError(Exception):
    """A one-line error for the operator; exit 2."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add `doctor` to the main parser's sub-parsers (the main parser has --config)."""
    names = ", ".join(s.id for s in SYMPTOMS)
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "doctor",
        help="what is wrong: findings with evidence, and guided checklists",
        description="Diagnose captures (or, without FILE, this host): findings with "
        "evidence, cause and fix; --symptom runs a guided checklist. Exit 0: nothing above "
        "info, 1: notices/warnings, 3: critical, 2: usage error.",
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="pcap/pcapng captures")
    parser.add_argument(
        "--symptom",
        metavar="NAME",
        help=f"run the checklist for a symptom: {names}; 'all' runs every one",
    )
    parser.add_argument("--json", action="store_true", help="JSON (docs/doctor-json.md)")
    parser.add_argument(
        "--host",
        action="store_true",
        help="with FILEs: also check this host (firewall, conntrack, UDP, processes, logs)",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the symptoms and the rules, and exit"
    )
    parser.set_defaults(func=run_doctor)
    return parser


def run_doctor(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from vostui.config import ConfigError

    stream = out or sys.stdout
    try:
        return _run(args, stream)
    except (DoctorError, ConfigError) as exc:
        print(f"vostui doctor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("vostui doctor: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback for the operator
        print(f"vostui doctor: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _run(args: argparse.Namespace, stream: TextIO) -> int:
    from vostui.config import ConfigError, load

    if getattr(args, "list", False):
        return _list(stream)
    try:
        config = load(getattr(args, "config", None))
    except ConfigError as exc:
        raise DoctorError(str(exc)) from exc
    symptoms = _symptoms(getattr(args, "symptom", None))
    files = list(getattr(args, "files", None) or [])
    _check_files(files)

    report: dict[str, Any] = {"files": [], "live": not files}
    snap = _read(files, config, report) if files else _empty(config)
    host = logs = None
    if not files or getattr(args, "host", False):
        host = _poll_host(config, report)
        logs = _read_logs(config, report)

    from vostui.diagnose.checklists import run_checklist
    from vostui.diagnose.diagnosis import diagnose

    findings = diagnose(snap, host, logs, config)
    checklists = [
        run_checklist(name, snap, host, logs, config, findings=findings) for name in symptoms
    ]
    code = exit_code(findings)
    if getattr(args, "json", False):
        doc = _document(snap, findings, checklists, report, host, logs, code)
        json.dump(doc, stream, indent=1)
        stream.write("\n")
    else:
        stream.write(render_text(snap, findings, checklists, report, host, logs) + "\n")
    return code


def exit_code(findings: Sequence[Finding]) -> int:
    if any(f.severity == CRITICAL for f in findings):
        return EXIT_CRITICAL
    if any(f.severity != INFO for f in findings):
        return EXIT_FOUND
    return EXIT_OK


def _symptoms(name: str | None) -> list[str]:
    if not name:
        return []
    if name == "all":
        return [s.id for s in SYMPTOMS]
    known = [s.id for s in SYMPTOMS]
    if name not in known:
        raise DoctorError(f"unknown symptom {name!r}; one of: {', '.join(known)}, all")
    return [name]


def _check_files(files: Sequence[str]) -> None:
    for name in files:
        if not os.path.exists(name):
            raise DoctorError(f"{name}: no such file")
        if os.path.isdir(name):
            raise DoctorError(f"{name}: is a directory")
        if not os.access(name, os.R_OK):
            raise DoctorError(f"{name}: permission denied")


def _read(files: Sequence[str], config: Any, report: dict[str, Any]) -> Any:
    from vostui.engine.core import Engine
    from vostui.net.capture import CaptureError
    from vostui.pipeline import read_files

    engine = Engine(config)
    try:
        results = read_files(engine, files)
    except CaptureError as exc:
        raise DoctorError(str(exc).splitlines()[0] if str(exc) else "not a capture") from exc
    except OSError as exc:
        raise DoctorError(f"{exc.filename or ''}: {exc.strerror or exc}") from exc
    report["files"] = [
        {"path": r.path, "frames": r.frames, "warnings": list(r.warnings)} for r in results
    ]
    return engine.snapshot()


def _empty(config: Any) -> Any:
    from vostui.engine.core import Engine

    return Engine(config).snapshot()


def _poll_host(config: Any, report: dict[str, Any]) -> Any:
    """One host reading with rates: two polls one interval apart."""
    from vostui.host.monitor import HostMonitor, HostSettings

    settings = HostSettings.from_config(config)
    monitor = HostMonitor(settings)
    monitor.poll_all()
    time.sleep(max(0.2, min(settings.interval, 2.0)))
    snap = monitor.poll_all()
    problems = []
    for name in ("firewall", "recent", "conntrack", "udp", "system", "processes"):
        part = getattr(snap, name, None)
        if part is None:
            problems.append(f"{name}: no result")
        elif getattr(part, "problem", ""):
            problems.append(f"{name}: {part.problem}")
    report["host_problems"] = problems
    return snap


def _read_logs(config: Any, report: dict[str, Any]) -> Any:
    """The recent lines of the configured log files (read once, not followed)."""
    from vostui.host.logs import LogFollower

    follower = LogFollower(list(config.log_files), tail_lines=LOG_TAIL_LINES, journal=False)
    try:
        follower.poll_once()
        snap = follower.snapshot()
    finally:
        follower.stop(timeout=0.5)
    report["log_files"] = [
        getattr(status, "path", str(status)) for status in getattr(snap, "files", ())
    ]
    return snap


# -- text ---------------------------------------------------------------------------------

STATUS_MARK = {
    PASS: "pass",
    FAIL: "FAIL",
    SEEN: "seen",
    NOT_CHECKED: "not checked",
    MANUAL: "manual",
}


def _traffic_line(snap: Any, report: dict[str, Any]) -> str:
    if report["live"]:
        return (
            "live host check: SIP traffic is not analysed without capture files "
            "(tcpdump -ni any -s0 -w /tmp/sip.pcap port 5060, then vostui doctor /tmp/sip.pcap)"
        )
    c = snap.counters
    span = (snap.now - snap.first) if snap.first is not None else 0.0
    answered = sum(1 for call in snap.calls if call.answered is not None)
    text = (
        f"{len(report['files'])} file(s), {c.sip_messages} SIP messages over {span:.0f} s: "
        f"{len(snap.calls)} calls ({answered} answered), {len(snap.registrations)} "
        f"registrations, {len(snap.sources)} sources"
    )
    if snap.softswitch:
        text += f"; softswitch {', '.join(snap.softswitch)}"
    return text


def _host_line(host: Any, logs: Any, report: dict[str, Any]) -> str:
    if host is None:
        return "host: not checked (files only; --host adds this host's state)"
    problems = report.get("host_problems") or []
    text = "host: checked" + (f" ({'; '.join(problems[:4])})" if problems else "")
    if logs is not None:
        text += f"; logs: {getattr(logs, 'total', 0)} recent line(s)"
    return text


def _symptom_for(rule: str) -> str:
    for s in SYMPTOMS:
        if rule in s.rules:
            return s.id
    return ""


def render_text(
    snap: Any,
    findings: Sequence[Finding],
    checklists: Sequence[Checklist],
    report: dict[str, Any],
    host: Any,
    logs: Any,
) -> str:
    lines = [f"vostui doctor: {_traffic_line(snap, report)}", _host_line(host, logs, report)]
    for entry in report.get("files", []):
        for warning in entry["warnings"]:
            lines.append(f"warning: {entry['path']}: {warning}")
    lines.append("")
    if not findings:
        lines.append("No findings.")
    for finding in findings:
        lines.append(f"{finding.severity.upper():8}  {finding.title}")
        lines.append(
            f"          [{finding.rule}] {finding.affected.kind} {finding.affected.id}"
            + (f", {finding.count} occurrence(s)" if finding.count > 1 else "")
        )
        for line in finding.evidence:
            lines.append(f"          | {line}")
        lines.append(f"          cause: {finding.cause}")
        lines.append(f"          check: {finding.check}")
        lines.append(f"          fix:   {finding.fix}")
        lines.append("")
    for checklist in checklists:
        lines.append(f"Checklist: {checklist.title}")
        for n, step in enumerate(checklist.steps, 1):
            lines.append(f" {n:2}. [{STATUS_MARK.get(step.status, step.status)}] {step.title}")
            for line in step.evidence[:6]:
                lines.append(f"       | {line}")
            if step.command and step.status in (FAIL, SEEN, MANUAL, NOT_CHECKED):
                lines.append(f"       run: {step.command}")
        lines.append(f" Most likely cause: {checklist.conclusion}")
        if checklist.fix:
            lines.append(f" Fix: {checklist.fix}")
        lines.append("")
    counts = summary(tuple(findings))
    lines.append("Summary: " + ", ".join(f"{counts[name]} {name}" for name in counts) + ".")
    if not checklists:
        suggested = list(
            dict.fromkeys(s for f in findings if f.severity != INFO and (s := _symptom_for(f.rule)))
        )
        if suggested:
            lines.append(
                "Guided checks: vostui doctor --symptom "
                + " | --symptom ".join(suggested[:4])
                + (" FILE..." if report.get("files") else "")
            )
    return "\n".join(lines)


def _list(stream: TextIO) -> int:
    from vostui.diagnose.rules import RULES

    stream.write("Symptoms (--symptom NAME):\n")
    for s in SYMPTOMS:
        stream.write(f"  {s.id:24} {s.title}\n")
    stream.write("\nRules:\n")
    for rule in RULES:
        stream.write(f"  {rule.id:30} {rule.summary}\n")
    return EXIT_OK


# -- JSON ---------------------------------------------------------------------------------


def _document(
    snap: Any,
    findings: Sequence[Finding],
    checklists: Sequence[Checklist],
    report: dict[str, Any],
    host: Any,
    logs: Any,
    code: int,
) -> dict[str, Any]:
    c = snap.counters
    return {
        "schema": SCHEMA,
        "version": __version__,
        "source": {
            "files": report["files"],
            "live": report["live"],
            "sip_analysed": not report["live"],
        },
        "first": iso(snap.first),
        "last": iso(snap.now) if snap.first is not None else None,
        "traffic": {
            "sip_messages": c.sip_messages,
            "calls": len(snap.calls),
            "answered": sum(1 for call in snap.calls if call.answered is not None),
            "registrations": len(snap.registrations),
            "sources": len(snap.sources),
            "softswitch": list(snap.softswitch),
        },
        "host": {
            "checked": host is not None,
            "problems": report.get("host_problems", []),
        },
        "logs": {
            "checked": logs is not None,
            "files": report.get("log_files", []),
            "lines": getattr(logs, "total", 0) if logs is not None else 0,
        },
        "summary": summary(tuple(findings)),
        "exit_code": code,
        "findings": [finding_json(f) for f in findings],
        "checklists": [checklist_json(c) for c in checklists],
        "symptoms": [{"id": s.id, "title": s.title} for s in SYMPTOMS],
    }
