"""capture.kernel_drops: the live capture's kernel drop count, as a finding when it grows."""

from __future__ import annotations

import time

from vostui.config import Config
from vostui.diagnose import diagnose
from vostui.diagnose.finding import NOTICE, WARNING
from vostui.diagnose.rules import RULE_IDS
from vostui.engine.core import Engine
from vostui.pipeline import Pipeline


class StubCapture:
    """What Pipeline reads of a LiveCapture for the drops (no tcpdump)."""

    def __init__(self) -> None:
        self.kernel_drops: int | None = None
        self.drops_grew_at: float | None = None


def drop_findings(engine: Engine) -> list:
    return [f for f in diagnose(engine.snapshot()) if f.rule == "capture.kernel_drops"]


def test_the_rule_is_registered() -> None:
    assert "capture.kernel_drops" in RULE_IDS


def test_no_finding_while_nothing_or_zero_was_dropped() -> None:
    engine = Engine(Config())
    assert drop_findings(engine) == []  # not live: unknown
    engine.set_kernel_drops(0, None)
    assert drop_findings(engine) == []
    assert engine.snapshot().counters.kernel_drops == 0


def test_growing_drops_are_a_warning_with_the_count_and_the_fix() -> None:
    engine = Engine(Config())
    now = time.time()
    engine.expire(now)  # live: the engine's clock is the wall clock
    assert engine.set_kernel_drops(1234, now - 5)
    (finding,) = drop_findings(engine)
    assert finding.severity == WARNING
    assert finding.title == "the kernel dropped 1,234 packets: the capture is incomplete"
    assert finding.count == 1234 and finding.last == now - 5
    assert finding.affected.kind == "capture"
    assert "tcpdump: 1234 packets dropped by kernel" in finding.evidence
    assert "capture_buffer_kib" in finding.fix and "-i" in finding.fix


def test_drops_that_stopped_long_ago_are_a_notice() -> None:
    engine = Engine(Config())
    now = time.time()
    engine.expire(now)
    engine.set_kernel_drops(40, now - 3600)
    (finding,) = drop_findings(engine)
    assert finding.severity == NOTICE and finding.title.endswith("(earlier)")


def test_the_pipeline_makes_a_new_snapshot_when_the_drops_move() -> None:
    """The drops reach the diagnosis even when no SIP message came (all were dropped)."""
    pipeline = Pipeline(Config(), live=True)
    capture = StubCapture()
    pipeline.capture = capture  # type: ignore[assignment]
    first = pipeline.snapshot()
    assert first.counters.kernel_drops is None
    capture.kernel_drops = 0
    second = pipeline.snapshot()
    assert second.version > first.version and second.counters.kernel_drops == 0
    assert pipeline.snapshot() is second  # nothing moved: the same snapshot
    capture.kernel_drops, capture.drops_grew_at = 500, time.time()
    third = pipeline.snapshot()
    assert third.version > second.version and third.counters.kernel_drops == 500
    (finding,) = [f for f in diagnose(third) if f.rule == "capture.kernel_drops"]
    assert finding.severity == WARNING
    assert pipeline.status().kernel_drops == 500
