"""install.sh, run for real into temporary prefixes: fresh, again (idempotent), on a host
without Python 3.10+, and failing half-way (nothing left behind).

uv's managed Python is downloaded from GitHub, which this machine cannot reach (only
the package registries): the provisioning test puts a stand-in `uv` on PATH that
"installs" this machine's own Python 3.11 the way uv lays one out, so what is tested
is install.sh's own path through it (found no Python, said so, used the provisioned
one). A fake `python3` that says it is 3.6 stands for CentOS 7's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTALL = ROOT / "install.sh"
# What install.sh runs besides Python: a PATH of only these keeps the host's own
# Python 3.10+ out of sight.
TOOLS = ("bash", "dirname", "sed", "mkdir", "rm", "ln", "cat", "env", "uname", "readlink")

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="install.sh needs bash")


def run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(INSTALL), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=ROOT,
    )


def bare_path(tmp: Path, extra: dict[str, str]) -> dict[str, str]:
    """An environment whose PATH holds the basic tools, an old `python3`, and `extra`
    scripts (name -> bash body)."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    scripts = {"python3": 'echo "Python 3.6.8"; exit 1', **extra}
    for name, body in scripts.items():
        script = bin_dir / name
        script.write_text(f"#!{shutil.which('bash')}\n{body}\n")
        script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k.startswith(("PIP_", "LANG", "HOME"))}
    env["PATH"] = str(bin_dir)
    return env


def test_fresh_install_then_again(tmp_path: Path) -> None:
    # (with gcc here, the compiled path is built: --version says which path runs)
    prefix = tmp_path / "vostui"
    first = run(["--prefix", str(prefix), "--no-link"])
    assert first.returncode == 0, first.stderr
    assert "creating the environment" in first.stdout and "done: vostui" in first.stdout
    version = subprocess.run(
        [str(prefix / "bin" / "vostui"), "--version"], capture_output=True, text=True
    )
    assert version.returncode == 0 and version.stdout.startswith("vostui ")
    again = run(["--prefix", str(prefix), "--no-link"])  # idempotent: an upgrade in place
    assert again.returncode == 0, again.stderr
    assert "upgrading the environment" in again.stdout
    assert (prefix / "bin" / "vostui").exists()


def test_no_python_and_no_way_to_fetch_one_fails_cleanly(tmp_path: Path) -> None:
    prefix = tmp_path / "vostui"
    result = run(["--prefix", str(prefix), "--no-link"], env=bare_path(tmp_path, {}))
    assert result.returncode == 2
    assert "no Python 3.10+ and no curl to fetch uv" in result.stderr
    assert "Traceback" not in result.stderr
    assert not prefix.exists()  # nothing half-installed


def test_a_provisioned_python_where_the_host_has_none(tmp_path: Path) -> None:
    prefix = tmp_path / "vostui"
    # The stand-in for uv: `python install 3.11` lays this Python out under
    # UV_PYTHON_INSTALL_DIR, `python find 3.11` prints its path (as uv does).
    fake_uv = f"""
managed="$UV_PYTHON_INSTALL_DIR/cpython-3.11-linux/bin/python3.11"
case "$1 $2" in
  "python install") mkdir -p "$(dirname "$managed")" && ln -sf {sys.executable} "$managed" ;;
  "python find") [ -x "$managed" ] && echo "$managed" ;;
  *) exit 2 ;;
esac
"""
    result = run(["--prefix", str(prefix), "--no-link"], env=bare_path(tmp_path, {"uv": fake_uv}))
    assert result.returncode == 0, result.stderr
    assert "using a provisioned Python:" in result.stdout
    assert str(prefix / ".python") in result.stdout
    version = subprocess.run(
        [str(prefix / "bin" / "vostui"), "--version"], capture_output=True, text=True
    )
    assert version.returncode == 0
    # No C compiler on this PATH: pure Python, said in one line with the fix.
    assert version.stdout.strip().endswith("(pure Python)")
    said = [line for line in result.stdout.splitlines() if "compiled path was not built" in line]
    assert len(said) == 1 and ("apt install gcc" in said[0] or "yum install gcc" in said[0])
    assert "run install.sh again" in said[0]


def test_a_failed_fresh_install_is_removed(tmp_path: Path) -> None:
    prefix = tmp_path / "vostui"
    env = dict(os.environ)
    # No package index but a closed local port: pip fails after the venv exists.
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_INDEX_URL="http://127.0.0.1:9/simple",
        PIP_EXTRA_INDEX_URL="",
        PIP_FIND_LINKS="",
        PIP_RETRIES="0",
        PIP_TIMEOUT="2",
        PIP_NO_CACHE_DIR="1",
    )
    result = run(["--prefix", str(prefix), "--no-link"], env=env)
    assert result.returncode != 0
    assert "removed the partial install" in result.stderr
    assert not prefix.exists()


def test_bad_options_give_a_one_line_error() -> None:
    result = run(["--frobnicate"])
    assert result.returncode == 2
    assert result.stderr.strip() == "install.sh: unknown option --frobnicate (see --help)"
