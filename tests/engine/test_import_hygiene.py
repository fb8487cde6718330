"""The headless core never loads Textual or Rich: it runs in the CLI, benchmarks and tests."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEADLESS = [
    "vostui.net",
    "vostui.net.capture",
    "vostui.net.decoder",
    "vostui.net.live",
    "vostui.sip.parser",
    "vostui.sip.codes",
    "vostui.sip.scanner",
    "vostui.engine.core",
    "vostui.pipeline",
    "vostui.report",
    "vostui.filters",
    "vostui.ladder",
    "vostui.demo",
    "vostui.host.monitor",
    "vostui.host.cli",
    "vostui.host.logs",
    "vostui.diagnose",
    "vostui.diagnose.cli",
    "vostui.cli",
]


@pytest.mark.parametrize("module", HEADLESS)
def test_module_does_not_load_textual_or_rich(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(' '.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{module} loads {out.stdout.strip()}"
