"""Command line: `vostui` (live console), `open`, `demo`, `analyze`, `host`, `config`.

Exit codes (every sub-command):
    0  done; for `analyze`, every file was read to its end
    1  `analyze`: read, but a file was truncated or damaged (results up to the cut)
    2  usage error, unreadable file, not a capture, bad config or filter
  130  interrupted (Ctrl-C)
  129  the console's terminal hung up (SSH dropped); 143 the console got SIGTERM
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from vostui import __version__, report, speedups
from vostui.config import Config, ConfigError, load
from vostui.filters import (
    CALL_FIELDS,
    REGISTRATION_FIELDS,
    SOURCE_FIELDS,
    FilterError,
    matches_call,
    parse,
    registration_fields,
    source_fields,
)
from vostui.net.capture import CaptureError

EXIT_OK, EXIT_DAMAGED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class Usage(Exception):
    """A one-line error for the operator; exit 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vostui",
        description="Incident console for VoIP softswitches. With no command: the live console.",
    )
    parser.add_argument(
        "--version", action="version", version=f"vostui {__version__} ({speedups.path_name()})"
    )
    parser.add_argument("--config", help="TOML config file (see `vostui config --show`)")
    parser.add_argument("-i", "--interface", help="capture interface for live mode (default: any)")
    sub = parser.add_subparsers(dest="command")

    sub.add_parser("live", help="the console on live traffic (the default)")

    p_open = sub.add_parser("open", help="the console over capture files")
    p_open.add_argument("files", nargs="+", metavar="FILE")
    p_open.add_argument("--realtime", action="store_true", help="replay at the recorded pace")

    sub.add_parser("demo", help="the console over a built-in recorded capture, in a loop")

    p_an = sub.add_parser("analyze", help="read captures and print calls, registrations, ...")
    p_an.add_argument("files", nargs="+", metavar="FILE")
    p_an.add_argument("--json", action="store_true", help="JSON (schema: docs/analyze-json.md)")
    what = p_an.add_mutually_exclusive_group()
    for name in ("calls", "registrations", "gateways", "scanners"):
        what.add_argument(f"--{name}", action="store_true", help=f"only the {name}")
    p_an.add_argument(
        "--filter", default="", metavar="EXPR", help="e.g. 'state=rejected code>=500'"
    )
    p_an.add_argument("--quiet", action="store_true", help="no progress on stderr")

    p_cfg = sub.add_parser("config", help="show the effective configuration")
    p_cfg.add_argument("--show", action="store_true", help="values and where each came from")

    try:
        from vostui.host.cli import add_parser as add_host_parser
    except ImportError:  # the host collectors are optional in a partial install
        pass
    else:
        add_host_parser(sub)
    try:
        from vostui.diagnose.cli import add_parser as add_doctor_parser
    except ImportError:
        pass
    else:
        add_doctor_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        overrides = {"interface": args.interface} if args.interface else None
        config = load(args.config, overrides)
        command = args.command or "live"
        if command == "analyze":
            return analyze(args, config)
        if command == "config":
            return show_config(config)
        if command in ("live", "open", "demo"):
            return console(command, args, config)
        handler = getattr(args, "func", None)  # sub-commands that bring their own parser
        if handler is not None:
            return int(handler(args))
        parser.print_help()
        return EXIT_USAGE
    except (Usage, ConfigError, FilterError, CaptureError) as exc:
        print(f"vostui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("vostui: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `vostui analyze ... | head`: the reader has gone
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # a bug: one line, and the traceback only on request
        if os.environ.get("VOSTUI_DEBUG"):
            raise
        print(
            f"vostui: internal error: {exc!r} (run with VOSTUI_DEBUG=1 for details, "
            "and please report it)",
            file=sys.stderr,
        )
        return EXIT_USAGE


# -- analyze ----------------------------------------------------------------------------


def _check_files(files: Sequence[str]) -> None:
    for name in files:
        path = Path(name)
        if not path.exists():
            raise Usage(f"{name}: no such file")
        if path.is_dir():
            raise Usage(f"{name}: is a directory")
        if not os.access(path, os.R_OK):
            raise Usage(f"{name}: permission denied")


def _check_captures(files: Sequence[str]) -> None:
    """`open`: a file that is not a capture (text, empty) fails here, with `analyze`'s
    one-line error and exit 2, before the console takes the screen."""
    from vostui.net.capture import CaptureReader

    head_size = 1 << 16
    for name in files:
        reader = CaptureReader(os.path.basename(name))
        try:
            with open(name, "rb") as handle:
                head = handle.read(head_size)
        except OSError as exc:
            raise Usage(f"{name}: {exc.strerror or exc}") from exc
        reader.feed(head)  # raises CaptureError for what is not a capture
        if len(head) < head_size:
            reader.finish()  # the whole file: raises for an empty one


class Progress:
    """Percent read on stderr, for files big enough to wait on."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.last = 0.0

    def __call__(self, path: str, fraction: float) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.5:
            return
        self.last = now
        print(
            f"\rvostui: reading {os.path.basename(path)} {fraction * 100:5.1f}%",
            end="",
            file=sys.stderr,
        )

    def done(self) -> None:
        if self.enabled and self.last:
            print("\r" + " " * 60 + "\r", end="", file=sys.stderr)


def analyze(args: argparse.Namespace, config: Config) -> int:
    from dataclasses import replace

    from vostui.engine.core import Engine
    from vostui.pipeline import read_files

    _check_files(args.files)
    section = next(
        (n for n in ("calls", "registrations", "gateways", "scanners") if getattr(args, n)), None
    )
    known = {
        "calls": CALL_FIELDS,
        "registrations": REGISTRATION_FIELDS,
        "scanners": SOURCE_FIELDS,
    }.get(section or "calls")
    expression = parse(args.filter, known if section != "gateways" else None)
    big = sum(os.path.getsize(f) for f in args.files) > 20_000_000
    progress = Progress(enabled=big and not args.quiet)
    # The tables and the JSON hold no ladders: the messages themselves need not stay.
    engine = Engine(replace(config, max_messages_per_dialog=0))
    results = read_files(engine, args.files, progress)
    progress.done()
    snap = engine.snapshot()
    now = snap.now
    calls = [c for c in snap.calls if matches_call(expression, c, now)]
    regs = report.sort_registrations(
        r
        for r in snap.registrations
        if not expression or expression.matches(registration_fields(r))
    )
    # The sources `vostui doctor` reports with a scanner rule: one definition for both.
    from vostui.diagnose.rules.scanners import suspicious_sources

    sources = [
        s
        for s, _rules in suspicious_sources(snap, config)
        if not expression or expression.matches(source_fields(s))
    ]
    warnings = [f"{r.path}: {w}" for r in results for w in r.warnings]
    for warning in warnings:
        print(f"vostui: warning: {warning}", file=sys.stderr)
    if args.json:
        head: dict[str, object] = {
            "schema": report.SCHEMA,
            "version": __version__,
            "files": [
                {"path": r.path, "frames": r.frames, "warnings": r.warnings} for r in results
            ],
            "first": snap.first,
            "last": snap.now,
            "softswitch": list(snap.softswitch),
            "counters": report.counters_json(snap),
        }
        lists: dict[str, Iterable[object]] = {}
        if section in (None, "calls"):
            lists["calls"] = (report.call_json(c, now) for c in calls)
        if section in (None, "registrations"):
            lists["registrations"] = (report.registration_json(r) for r in regs)
        if section in (None, "gateways"):
            lists["gateways"] = (report.gateway_json(g) for g in snap.gateways)
        if section in (None, "scanners"):
            lists["scanners"] = (report.source_json(s) for s in sources)
        report.write_json(sys.stdout, head, lists, indent=sys.stdout.isatty())
    else:
        print(_summary(snap, results))
        blocks = []
        if section in (None, "calls"):
            blocks.append(f"Calls ({len(calls)})\n" + report.calls_table(calls, now))
        if section in (None, "registrations"):
            blocks.append(f"Registrations ({len(regs)})\n" + report.registrations_table(regs, now))
        if section in (None, "gateways"):
            blocks.append(
                f"Gateways ({len(snap.gateways)})\n" + report.gateways_table(snap.gateways)
            )
        if section in (None, "scanners"):
            blocks.append(f"Suspicious sources ({len(sources)})\n" + report.sources_table(sources))
        print("\n\n".join(blocks))
    return EXIT_DAMAGED if warnings else EXIT_OK


def _summary(snap: object, results: Sequence[object]) -> str:
    from vostui.engine.snapshot import EngineSnapshot

    assert isinstance(snap, EngineSnapshot)
    c = snap.counters
    answered = sum(1 for call in snap.calls if call.answered is not None)
    span = snap.now - snap.first if snap.first is not None else 0.0
    malformed = sum(n for _, n in c.malformed)
    evicted = sum(n for _, n in c.evicted)
    lines = [
        f"{len(results)} file(s), {c.packets} packets, {c.sip_messages} SIP messages "
        f"({c.retransmissions} retransmissions) over {report.seconds(span)}",
        f"{len(snap.calls)} calls ({answered} answered), {len(snap.registrations)} registrations, "
        f"{len(snap.gateways)} gateways"
        + (f", softswitch {', '.join(snap.softswitch)}" if snap.softswitch else ""),
    ]
    if malformed or evicted:
        lines.append(f"{malformed} malformed, {evicted} evicted")
    return "\n".join(lines) + "\n"


# -- config -------------------------------------------------------------------------------


def show_config(config: Config) -> int:
    from dataclasses import fields

    for f in fields(Config):
        if f.name == "sources":
            continue
        value = getattr(config, f.name)
        if f.name == "gateways":
            value = [f"{g.name}={g.address} ({g.role})" for g in value] or "[]"
        print(f"{f.name} = {value}    # {config.origin(f.name)}")
    return EXIT_OK


# -- the console ------------------------------------------------------------------------


def _need_terminal() -> None:
    if sys.__stdin__ is None or not sys.__stdin__.isatty():
        # no keyboard: a console that nobody could quit, spinning on end-of-input
        raise Usage(
            "the console needs a terminal for its keyboard (stdin is not one);"
            " `vostui analyze` and `vostui doctor` print without one"
        )


def console(command: str, args: argparse.Namespace, config: Config) -> int:
    from vostui.pipeline import Pipeline

    demo_logs = None
    if command == "open":
        _check_files(args.files)
        _check_captures(args.files)
        _need_terminal()
        pipeline = Pipeline(config, files=args.files, realtime=args.realtime)
        title = "vostui: " + ", ".join(os.path.basename(f) for f in args.files)
    elif command == "demo":
        from dataclasses import replace

        _need_terminal()
        from vostui.demo import DemoLogs, files

        pcap, cfg, _ = files()
        if not os.path.isfile(pcap):
            raise Usage(f"the demo capture is missing ({pcap}): reinstall vostui")
        if not args.config:
            config = load(cfg)
        pipeline = Pipeline(config, files=[pcap], loop=True)
        demo_logs = DemoLogs(pipeline)
        config = replace(config, log_files=demo_logs.paths)
        pipeline.config = config
        demo_logs.start()
        title = "vostui demo (recorded traffic, replayed)"
    else:
        _need_terminal()
        pipeline = Pipeline(config, live=True)
        title = f"vostui: live on {config.interface}"
    try:
        from vostui.ui.app import run_console
    except ImportError as exc:
        raise Usage(f"the console cannot start: {exc}") from exc
    try:
        return int(run_console(config, pipeline, title=title))
    finally:
        if demo_logs is not None:
            demo_logs.stop()
