"""Two network namespaces joined by a veth pair, for host collector tests and the bench.

Addresses are 10.250.N.1 (sender) and 10.250.N.2 (server), only inside the namespaces
this helper makes; traffic is UDP sent by a bounded loop run under `ip netns exec`.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass, field


def netns_unavailable() -> str | None:
    """Why namespace tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    if shutil.which("ip") is None:
        return "iproute2 (ip) is not installed"
    return None


SEND = r"""
import socket, sys
dst, payload = sys.argv[1], sys.argv[5].encode()
port, count, sports = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
socks = []
for i in range(max(1, sports)):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    socks.append(s)
for i in range(count):
    socks[i % len(socks)].sendto(payload, (dst, port))
"""


@dataclass
class Lab:
    """`client` sends to `server`; `server_ip`/`client_ip` are on the veth pair."""

    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    subnet: int = field(default_factory=lambda: 1 + secrets.randbelow(190))  # never 200
    made: list[str] = field(default_factory=list)

    @property
    def server(self) -> str:
        return f"vostui-test-{self.tag}-s"

    @property
    def client(self) -> str:
        return f"vostui-test-{self.tag}-c"

    @property
    def server_ip(self) -> str:
        return f"10.250.{self.subnet}.2"

    @property
    def client_ip(self) -> str:
        return f"10.250.{self.subnet}.1"

    def sh(self, *argv: str, input: str | None = None, check: bool = True) -> str:
        result = subprocess.run(
            argv, input=input, capture_output=True, text=True, timeout=60, check=False
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)}: {result.stderr.strip()}")
        return result.stdout

    def up(self) -> Lab:
        for ns in (self.server, self.client):
            self.sh("ip", "netns", "add", ns)
            self.made.append(ns)
        a, b = f"vta{self.tag}", f"vtb{self.tag}"
        self.sh(
            "ip",
            "link",
            "add",
            a,
            "netns",
            self.client,
            "type",
            "veth",
            "peer",
            "name",
            b,
            "netns",
            self.server,
        )
        self.sh("ip", "-n", self.client, "addr", "add", f"{self.client_ip}/24", "dev", a)
        self.sh("ip", "-n", self.server, "addr", "add", f"{self.server_ip}/24", "dev", b)
        for ns, dev in ((self.client, a), (self.server, b)):
            self.sh("ip", "-n", ns, "link", "set", dev, "up")
            self.sh("ip", "-n", ns, "link", "set", "lo", "up")
        return self

    def down(self) -> None:
        while self.made:
            ns = self.made.pop()
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30, check=False)

    def __enter__(self) -> Lab:
        try:
            return self.up()
        except BaseException:
            self.down()
            raise

    def __exit__(self, *exc: object) -> None:
        self.down()

    def in_server(self, *argv: str, input: str | None = None, check: bool = True) -> str:
        return self.sh("ip", "netns", "exec", self.server, *argv, input=input, check=check)

    def send(
        self,
        count: int,
        payload: str = "OPTIONS sip:x SIP/2.0\r\n\r\n",
        sports: int = 1,
        port: int = 5060,
    ) -> None:
        """Send `count` UDP datagrams from the client to the server, from `sports` sockets."""
        self.sh(
            "ip",
            "netns",
            "exec",
            self.client,
            sys.executable,
            "-c",
            SEND,
            self.server_ip,
            str(port),
            str(count),
            str(sports),
            payload,
        )
