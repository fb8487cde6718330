"""Helpers for the diagnosis tests: the labelled captures read with their config."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from vostui.config import Config, load
from vostui.engine.core import Engine
from vostui.engine.snapshot import EngineSnapshot
from vostui.pipeline import read_files

LABELLED = Path(__file__).resolve().parents[1] / "fixtures" / "diagnose"
CONFIG = LABELLED / "doctor.toml"


def labels() -> list[dict[str, Any]]:
    return list(json.loads((LABELLED / "labels.json").read_text())["captures"])


@lru_cache(maxsize=1)
def config() -> Config:
    return load(str(CONFIG))


@lru_cache(maxsize=64)
def snapshot(name: str) -> EngineSnapshot:
    """The engine's snapshot of one labelled capture (cached: snapshots are immutable)."""
    engine = Engine(config())
    read_files(engine, [str(LABELLED / name)])
    return engine.snapshot()
