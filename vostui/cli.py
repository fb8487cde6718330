"""Command line: `vostui [live]`, `open`, `demo`, `analyze`, `doctor`, `host`, `config`."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print("vostui: not built yet", args, file=sys.stderr)
    return 2
