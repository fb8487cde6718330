"""100 rotations under a steady write load: every line written is read exactly once.

A writer thread appends numbered lines; the test rotates the file 100 times while the
follower's own thread polls; then every number must appear once. Between two
rotations the test lets the follower complete a poll: a tailer that polls cannot see a
file that was created and rotated away between two of its polls (nor can lnav or
`tail -F`), and real rotations are hours apart.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from logs_support import (
    NumberedWriter,
    assert_exactly_once,
    collect,
    rotate_copytruncate,
    rotate_delete,
    rotate_rename,
    wait_polls,
    wait_started,
)

from vostui.host.logs import LogFollower

ROTATIONS = 100
MIN_LINES = 20_000


def _late_rename(writer: NumberedWriter, index: int) -> None:
    rotate_rename(writer, index, late=5)


MODES: dict[str, Callable[[NumberedWriter, int], None]] = {
    "rename-create": rotate_rename,
    "rename-reopen-late": _late_rename,
    "copytruncate": rotate_copytruncate,
    "delete-recreate": rotate_delete,
}


@pytest.mark.slow
@pytest.mark.parametrize("mode", list(MODES))
def test_logs_100_rotations_under_load_every_line_once(tmp_path: Path, mode: str) -> None:
    log = tmp_path / "mbx3000.log"
    log.touch()
    writer = NumberedWriter(str(log))
    follower = LogFollower([str(log)], interval=0.002, capacity=200_000, grace=0.5)
    rotate = MODES[mode]
    with follower:
        # The follower must have opened the file before the first line is written.
        wait_started(follower)
        writer.start()
        for index in range(1, ROTATIONS + 1):
            time.sleep(0.005)
            rotate(writer, index)
            wait_polls(follower)
        # Keep the load on until at least MIN_LINES lines were written.
        writer.stop_after = max(MIN_LINES, writer.written + 200)
        writer.done.wait(30)
        assert writer.done.is_set()
        lines = collect(follower, writer.written)
        state = follower.snapshot().files[0]
    assert writer.written >= MIN_LINES
    assert_exactly_once(lines, writer.written)
    if mode == "copytruncate":
        assert state.truncations == ROTATIONS
    else:
        assert state.rotations == ROTATIONS
    if mode == "rename-reopen-late":
        assert writer.late_lines == 5 * ROTATIONS
