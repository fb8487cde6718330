"""Following real files step by step: start, rotation, truncation, deletion, globs.

These drive `poll_once` from the test so each step of a rotation lands exactly where the
test puts it; the threaded, concurrent runs are in test_logs_rotation.py.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from vostui.host.logs import LogFollower


def write(path: Path, lines: list[str], mode: str = "a") -> None:
    with open(path, mode, encoding="utf-8") as handle:
        handle.writelines(f"{line}\n" for line in lines)


def texts(follower: LogFollower) -> list[str]:
    return [line.text for line in follower.snapshot().lines]


def numbered(prefix: str, count: int, start: int = 0) -> list[str]:
    return [f"{prefix} {n}" for n in range(start, start + count)]


def status(follower: LogFollower, path: Path):
    return next(f for f in follower.snapshot().files if f.path == str(path))


def test_logs_starts_from_the_last_lines_and_waits_for_an_incomplete_one(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    write(log, numbered("old", 100))
    with open(log, "a", encoding="utf-8") as handle:
        handle.write("half a li")
    follower = LogFollower([str(log)], tail_lines=5)
    follower.poll_once()
    assert texts(follower) == numbered("old", 5, start=95)
    with open(log, "a", encoding="utf-8") as handle:
        handle.write("ne\nnext\n")
    follower.poll_once()
    assert texts(follower)[-2:] == ["half a line", "next"]


def test_logs_rename_and_create_reads_the_old_file_to_its_end_first(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    write(log, numbered("one", 10))
    follower = LogFollower([str(log)], tail_lines=100, grace=60)
    follower.poll_once()
    write(log, numbered("two", 5))
    os.rename(log, tmp_path / "a.log.1")
    # The daemon has not reopened yet: these still go to the renamed file.
    write(tmp_path / "a.log.1", numbered("late", 3))
    write(log, numbered("new", 4))
    follower.poll_once()
    assert texts(follower) == (
        numbered("one", 10) + numbered("two", 5) + numbered("late", 3) + numbered("new", 4)
    )
    # Written to the old file after we moved on: read during the grace period.
    write(tmp_path / "a.log.1", ["later still"])
    follower.poll_once()
    assert texts(follower)[-1] == "later still"
    assert status(follower, log).rotations == 1


def test_logs_old_file_is_let_go_after_the_grace_period(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    write(log, ["x"])
    now = [1000.0]
    follower = LogFollower([str(log)], grace=2.0, clock=lambda: now[0])
    follower.poll_once()
    os.rename(log, tmp_path / "a.log.1")
    write(log, ["y"])
    follower.poll_once()
    tail = follower._sources[str(log)]
    assert len(tail.identities()) == 2  # the new file, and the old one for late lines
    now[0] += 3.0
    follower.poll_once()
    assert len(tail.identities()) == 1
    assert texts(follower) == ["x", "y"]


def test_logs_copytruncate_regrown_past_the_old_offset_loses_nothing(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    write(log, numbered("read", 10))
    follower = LogFollower([str(log)], tail_lines=100)
    follower.poll_once()
    write(log, numbered("unread", 5))
    size_before_copy = log.stat().st_size
    shutil.copyfile(log, tmp_path / "a.log.1")
    os.truncate(log, 0)
    # More than the old size: the size alone no longer shows the truncation.
    write(log, numbered("after truncate, a longer line than before", 50))
    assert log.stat().st_size > size_before_copy
    follower.poll_once()
    assert texts(follower) == (
        numbered("read", 10)
        + numbered("unread", 5)
        + numbered("after truncate, a longer line than before", 50)
    )
    state = status(follower, log)
    assert state.truncations == 1
    assert state.recovered_bytes == len("".join(f"{t}\n" for t in numbered("unread", 5)))


def test_logs_truncation_without_a_copy_starts_again_at_zero(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    write(log, numbered("first", 3))
    follower = LogFollower([str(log)])
    follower.poll_once()
    os.truncate(log, 0)
    write(log, ["again"])
    follower.poll_once()
    assert texts(follower) == [*numbered("first", 3), "again"]
    assert status(follower, log).truncations == 1


def test_logs_delete_and_recreate(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    write(log, numbered("first", 3))
    follower = LogFollower([str(log)])
    follower.poll_once()
    with open(log, "a", encoding="utf-8") as still_open:
        still_open.write("written before the delete\n")
        still_open.flush()
        os.unlink(log)
        # A daemon writing into its deleted file: the open descriptor is still read.
        still_open.write("written after the delete\n")
        still_open.flush()
        follower.poll_once()
    state = status(follower, log)
    assert state.state == "deleted"
    assert texts(follower)[-2:] == ["written before the delete", "written after the delete"]
    write(log, ["recreated"])
    follower.poll_once()
    assert texts(follower)[-1] == "recreated"
    assert status(follower, log).state == "following"
    assert status(follower, log).rotations == 1


def test_logs_a_file_that_appears_later_is_read_whole(tmp_path: Path) -> None:
    log = tmp_path / "later.log"
    follower = LogFollower([str(log)], tail_lines=1)
    follower.poll_once()
    assert status(follower, log).state == "missing"
    assert status(follower, log).fix
    write(log, numbered("new", 4))
    follower.poll_once()
    assert texts(follower) == numbered("new", 4)


def test_logs_glob_picks_up_new_files_and_skips_rotated_names(tmp_path: Path) -> None:
    write(tmp_path / "a.log", numbered("a", 50))
    write(tmp_path / "old.log.1", ["rotated"])
    (tmp_path / "old.log.2.gz").write_bytes(b"\x1f\x8b compressed")
    write(tmp_path / "b.log-20261125", ["dateext"])
    follower = LogFollower([str(tmp_path / "*.log*")], tail_lines=2, rescan=0)
    follower.poll_once()
    assert texts(follower) == numbered("a", 2, start=48)
    write(tmp_path / "b.log", numbered("b", 3))
    follower.poll_once()
    assert texts(follower)[-3:] == numbered("b", 3)
    kinds = {Path(f.path).name: f.kind for f in follower.snapshot().files}
    assert kinds == {"a.log": "glob", "b.log": "glob"}


def test_logs_glob_does_not_read_a_rotated_file_twice(tmp_path: Path) -> None:
    # logrotate with `dateext` and `extension .log` gives a name the glob matches.
    log = tmp_path / "mbx.log"
    write(log, numbered("before", 3))
    now = [1000.0]
    follower = LogFollower([str(tmp_path / "*.log")], rescan=0, grace=1.0, clock=lambda: now[0])
    follower.poll_once()
    os.rename(log, tmp_path / "mbx-20261126.log")
    write(log, ["after"])
    for _ in range(3):
        now[0] += 1.0
        follower.poll_once()
    # Someone appends to the rotated file later: only that is new.
    write(tmp_path / "mbx-20261126.log", ["appended to the rotated file"])
    now[0] += 1.0
    follower.poll_once()
    follower.poll_once()
    assert sorted(texts(follower)) == sorted(
        [*numbered("before", 3), "after", "appended to the rotated file"]
    )


def test_logs_empty_glob_is_reported(tmp_path: Path) -> None:
    pattern = str(tmp_path / "vos3000" / "*.log")
    follower = LogFollower([pattern])
    follower.poll_once()
    (state,) = follower.snapshot().files
    assert (state.path, state.state, state.kind) == (pattern, "missing", "glob")
    assert "no file matches" in state.reason


def test_logs_too_many_files_are_counted_not_followed(tmp_path: Path) -> None:
    for n in range(5):
        write(tmp_path / f"f{n}.log", [f"file {n}"])
    follower = LogFollower([str(tmp_path / "*.log")], max_files=3)
    follower.poll_once()
    snapshot = follower.snapshot()
    assert len(snapshot.files) == 3
    assert snapshot.files_over_limit == 2


def test_logs_vanished_glob_file_is_forgotten(tmp_path: Path) -> None:
    log = tmp_path / "gone.log"
    write(log, ["x"])
    now = [1000.0]
    follower = LogFollower(
        [str(tmp_path / "*.log")], rescan=0, grace=1.0, forget_after=5.0, clock=lambda: now[0]
    )
    follower.poll_once()
    log.unlink()
    for _ in range(8):
        now[0] += 1.0
        follower.poll_once()
    assert [f.kind for f in follower.snapshot().files] == ["glob"]  # only "no file matches"
    assert follower.snapshot().files[0].reason == "no file matches"


def test_logs_far_behind_skips_ahead_at_a_line_boundary(tmp_path: Path) -> None:
    log = tmp_path / "flood.log"
    log.touch()
    follower = LogFollower([str(log)], max_backlog=1 << 20, capacity=1_000_000)
    follower.poll_once()
    lines = [f"flood line {n:07d} padding padding padding" for n in range(200_000)]
    write(log, lines)
    while follower.poll_once():
        pass
    snapshot = follower.snapshot()
    assert snapshot.files[0].skipped_bytes > 0
    got = [line.text for line in snapshot.lines]
    assert got[-1] == lines[-1]
    # Every line whole: the jump never leaves half a line.
    assert all(text.startswith("flood line ") and text.endswith("padding") for text in got)
    first = lines.index(got[0])
    assert got == lines[first:]
