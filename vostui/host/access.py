"""How collectors reach the host: run a command or read /proc, here or in a network namespace.

Commands run through `subprocess` with a timeout, stdin closed and stderr captured, so a
child never writes over the screen and a hung `iptables` never holds a collector past
its timeout. We use subprocess rather than `sh` here: collectors run in threads, and
`sh` forks through its own machinery, warns about fork in threaded processes on 3.12
and costs more per call; a one-shot `subprocess.run` is the cheapest measured spawn.

`/proc/net/*` and `/proc/sys/net/*` follow the network namespace of the process that
reads them. To read them inside a namespace, `HostAccess.in_netns(name)` runs a tiny
Python reader under `ip netns exec` and gets every file back in one JSON reply.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

DEFAULT_TIMEOUT = 5.0

# Run under `ip netns exec`: reads each path (globs expanded), at most N lines of each
# when asked, and prints {"text": {path: content}, "errors": {path: reason}}.
_READER = r"""
import glob, json, sys
limit = int(sys.argv[1])
text, errors = {}, {}
for pattern in sys.argv[2:]:
    paths = sorted(glob.glob(pattern)) if any(c in pattern for c in "*?[") else [pattern]
    for path in paths:
        try:
            with open(path, "r", encoding="utf-8", errors="replace") as handle:
                if limit > 0:
                    lines = []
                    for line in handle:
                        lines.append(line)
                        if len(lines) >= limit:
                            break
                    text[path] = "".join(lines)
                else:
                    text[path] = handle.read()
        except OSError as exc:
            errors[path] = exc.strerror or str(exc)
json.dump({"text": text, "errors": errors}, sys.stdout)
"""


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What one command did. `missing` means the program does not exist."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    missing: bool = False
    timed_out: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.missing and not self.timed_out


@dataclass(frozen=True, slots=True)
class Files:
    """Contents of files read in one go; `errors` maps a path to why it could not be read."""

    text: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def get(self, path: str) -> str | None:
        return self.text.get(path)


@dataclass(frozen=True, slots=True)
class HostAccess:
    """Runs commands and reads files on this host, or inside a network namespace.

    `prefix` is put before every command (e.g. `("ip", "netns", "exec", "ns1")`); when it is
    set, files are read by a child process under the same prefix so /proc is the
    namespace's own.
    """

    prefix: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    env: tuple[tuple[str, str], ...] = ()

    @classmethod
    def in_netns(cls, name: str, timeout: float = DEFAULT_TIMEOUT) -> HostAccess:
        return cls(prefix=("ip", "netns", "exec", name), timeout=timeout)

    @property
    def local(self) -> bool:
        return not self.prefix

    def run(self, argv: Sequence[str], timeout: float | None = None) -> CommandResult:
        full = (*self.prefix, *argv)
        env = None
        if self.env:
            env = dict(os.environ)
            env.update(self.env)
        started = time.monotonic()
        try:
            proc = subprocess.run(
                full,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=self.timeout if timeout is None else timeout,
                check=False,
                env=env,
            )
        except FileNotFoundError:
            return CommandResult(full, 127, "", f"{full[0]}: not found", missing=True)
        except PermissionError as exc:
            return CommandResult(full, 126, "", f"{full[0]}: {exc.strerror}")
        except subprocess.TimeoutExpired as exc:
            return CommandResult(
                full,
                -9,
                _text(exc.stdout),
                _text(exc.stderr),
                timed_out=True,
                seconds=time.monotonic() - started,
            )
        stderr = _text(proc.stderr)
        missing = False
        # Under `ip netns exec` (exit 1: `exec of "x" failed`) or `env` (exit 127) a
        # missing program is a message naming it, not FileNotFoundError.
        if (
            self.prefix
            and proc.returncode in (1, 127, 255)
            and "No such file" in stderr
            and argv
            and argv[0] in stderr
            and ("exec of" in stderr or "env:" in stderr)
        ):
            missing = True
        return CommandResult(
            full,
            proc.returncode,
            _text(proc.stdout),
            stderr,
            missing=missing,
            seconds=time.monotonic() - started,
        )

    def read(self, path: str) -> str | None:
        """One file's text, or None when it cannot be read."""
        return self.read_files([path]).get(path)

    def read_files(self, patterns: Sequence[str], max_lines: int = 0) -> Files:
        """Read every path (globs allowed); `max_lines` > 0 stops each file after that many."""
        if self.local:
            return _read_local(patterns, max_lines)
        result = self.run([sys.executable, "-c", _READER, str(max_lines), *patterns])
        if not result.ok:
            reason = result.stderr.strip() or f"reader exited {result.returncode}"
            return Files({}, {pattern: reason for pattern in patterns})
        try:
            data = json.loads(result.stdout)
        except ValueError:
            return Files({}, {pattern: "unreadable reply from reader" for pattern in patterns})
        return Files(dict(data.get("text", {})), dict(data.get("errors", {})))


def _read_local(patterns: Sequence[str], max_lines: int) -> Files:
    text: dict[str, str] = {}
    errors: dict[str, str] = {}
    for pattern in patterns:
        paths = sorted(glob.glob(pattern)) if any(c in pattern for c in "*?[") else [pattern]
        for path in paths:
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    if max_lines > 0:
                        lines: list[str] = []
                        for line in handle:
                            lines.append(line)
                            if len(lines) >= max_lines:
                                break
                        text[path] = "".join(lines)
                    else:
                        text[path] = handle.read()
            except OSError as exc:
                errors[path] = exc.strerror or str(exc)
    return Files(text, errors)


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    return data.decode("utf-8", "replace")


def is_root() -> bool:
    return os.geteuid() == 0


def explain_failure(result: CommandResult, what: str) -> tuple[str, str]:
    """Turn a failed command into (problem, fix) in the operator's words."""
    name = what or (result.argv[0] if result.argv else "command")
    err = result.stderr.strip()
    low = err.lower()
    if result.missing:
        return (
            f"{name} is not installed",
            f"install it (CentOS/Rocky: yum install {_package_for(name)[0]}; "
            f"Debian: apt-get install {_package_for(name)[1]})",
        )
    if result.timed_out:
        return (
            f"{name} did not answer within {result.seconds:.1f} s",
            "the host may be overloaded or the command is stuck; it is retried next poll",
        )
    if "xtables lock" in low or "holding the xtables lock" in low:
        return (
            f"{name}: another program holds the xtables lock",
            "wait for it (firewall reload, fail2ban, another iptables) or find it with "
            "`fuser /run/xtables.lock`; vostui already waits with -w and retries",
        )
    if "permission denied" in low or "must be root" in low or "operation not permitted" in low:
        return (
            f"{name} needs root (CAP_NET_ADMIN) and vostui is not running as root",
            "run vostui with sudo, or as root",
        )
    if "module" in low and ("not found" in low or "modprobe" in low):
        return (f"{name}: kernel module missing: {_first_line(err)}", "load it with modprobe")
    first = _first_line(err) or f"exit status {result.returncode}"
    return (f"{name} failed: {first}", f"run `{' '.join(result.argv)}` by hand to see why")


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""


def _package_for(name: str) -> tuple[str, str]:
    """(CentOS/Rocky package, Debian package) that ships a command."""
    if name.startswith(("iptables", "ip6tables")):
        return ("iptables", "iptables")
    if name.startswith("nft"):
        return ("nftables", "nftables")
    if name.startswith("conntrack"):
        return ("conntrack-tools", "conntrack")
    return (name, name)
