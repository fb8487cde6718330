"""Run `vostui analyze --json` / `doctor --json` on many captures in one process, for
the differential test of the two per-message paths (tests/test_speedups.py).

    python tests/speedpaths.py [--so PATH] COMMAND FILE...

prints a JSON object: "FILE" -> [exit status, stdout]. The path is what the
environment says (VOSTUI_PURE_PYTHON=1: pure Python). `--so` loads the compiled
extension from PATH first (the sanitizer build of the ASan/UBSan test).
One process for all captures keeps the test fast; each capture still gets its own
engine, decoder and reader, as `main()` makes them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import sys


def load_extension(path: str) -> None:
    spec = importlib.util.spec_from_file_location("vostui._speedups", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["vostui._speedups"] = module
    spec.loader.exec_module(module)


def run(command: str, files: list[str]) -> dict[str, list[object]]:
    from vostui.cli import main

    out: dict[str, list[object]] = {}
    for path in files:
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(io.StringIO()):
            status = main([command, "--json", path])
        out[path] = [status, buffer.getvalue()]
    return out


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["--so"]:
        load_extension(args[1])
        args = args[2:]
    from vostui import speedups

    result = {"path": speedups.path_name(), "runs": run(args[0], args[1:])}
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
