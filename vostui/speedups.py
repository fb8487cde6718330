"""Which per-message path runs: the compiled twin (`vostui._speedups`) or pure Python.

The compiled extension is built at install time where a C compiler exists. It covers
pcap record iteration, frame decoding (link layers, IPv4/IPv6, UDP) and the SIP start
line and headers every message is filed by; anything unusual in a packet or message
is handed to the Python code, which stays the reference. `VOSTUI_PURE_PYTHON=1` in
the environment forces pure Python (read once, at import).

`extension` is the module the other modules use (None: pure Python); `compiled()`
loads it regardless of the environment (for tests that run both paths).
"""

from __future__ import annotations

import os
from types import ModuleType

ENV = "VOSTUI_PURE_PYTHON"


def compiled() -> ModuleType | None:
    """The compiled extension, or None when it was not built (no C compiler)."""
    try:
        from vostui import _speedups
    except ImportError:
        return None
    return _speedups


def forced_pure() -> bool:
    return os.environ.get(ENV, "").strip() not in ("", "0")


extension: ModuleType | None = None if forced_pure() else compiled()


def path_name() -> str:
    """What `vostui --version` and the status bar say: "compiled path" or "pure Python"."""
    return "compiled path" if extension is not None else "pure Python"


def path_detail() -> str:
    """One line on why this path runs, with the fix when the extension is missing."""
    if extension is not None:
        return "compiled path (vostui._speedups)"
    if forced_pure():
        return f"pure Python ({ENV}=1)"
    return (
        "pure Python (the compiled path was not built: install gcc with "
        "'yum install gcc' or 'apt install gcc', then run install.sh again)"
    )
