"""Shared test helpers (import as `tests.support`): fixtures, the public corpus, tools."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


def corpus_dir() -> Path | None:
    """../shared/corpus beside the repository (VOSTUI_CORPUS overrides), or None."""
    env = os.environ.get("VOSTUI_CORPUS")
    path = Path(env) if env else ROOT.parent / "shared" / "corpus"
    return path if path.is_dir() else None


def need_corpus() -> Path:
    path = corpus_dir()
    if path is None:
        pytest.skip("the public capture corpus (../shared/corpus) is not beside this checkout")
    return path


def need_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (.ci/run installs it)")
    return path


def need_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces, raw capture)")
