"""SIP exchanges built in the test, fed to a real engine: registrations of a phone
bank and of a password guesser, without a capture file."""

from __future__ import annotations

from vostui.config import Config
from vostui.engine.core import Engine
from vostui.engine.snapshot import EngineSnapshot
from vostui.net.datagram import Datagram

REGISTRAR = "203.0.113.1"


def _sip(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


class Flows:
    """Feeds REGISTER transactions into an engine at a moving clock."""

    def __init__(self, config: Config | None = None, start: float = 1000.0) -> None:
        self.engine = Engine(config or Config())
        self.ts = start
        self.branch = 0

    def _feed(self, src: str, dst: str, data: bytes, step: float = 0.01) -> None:
        self.ts += step
        self.engine.feed(Datagram(self.ts, src, 5060, dst, 5060, "udp", data))

    def register(
        self,
        ip: str,
        account: str,
        cseq: int,
        answer: int | None,
        *,
        auth: bool = False,
        agent: str = "Yealink SIP-T46S",
        resends: int = 0,
        step: float = 0.01,
    ) -> None:
        """One REGISTER transaction from `ip` for `account`, answered `answer` (None:
        never answered, sent 1 + `resends` times)."""
        self.branch += 1
        branch = f"z9hG4bK-{self.branch}"
        head = (
            f"Via: SIP/2.0/UDP {ip}:5060;branch={branch}\n"
            f"From: <sip:{account}@{REGISTRAR}>;tag=f{account}\n"
            f"To: <sip:{account}@{REGISTRAR}>\n"
            f"Call-ID: reg-{account}-{ip}\nCSeq: {cseq} REGISTER\n"
        )
        credentials = (
            f'Authorization: Digest username="{account}", realm="x", nonce="n", '
            f'uri="sip:{REGISTRAR}", response="00"\n'
            if auth
            else ""
        )
        request = _sip(
            f"REGISTER sip:{REGISTRAR} SIP/2.0\n{head}{credentials}"
            f"Contact: <sip:{account}@{ip}:5060>\nExpires: 300\nUser-Agent: {agent}\n"
            "Content-Length: 0\n\n"
        )
        for n in range(1 + resends):
            self._feed(ip, REGISTRAR, request, step if n == 0 else 0.5 * 2**n)
        if answer is None:
            return
        phrase = {200: "OK", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}[answer]
        extra = 'WWW-Authenticate: Digest realm="x", nonce="n"\n' if answer == 401 else ""
        if answer == 200:
            extra = f"Contact: <sip:{account}@{ip}:5060>;expires=300\n"
        reply = _sip(f"SIP/2.0 {answer} {phrase}\n{head}{extra}Content-Length: 0\n\n")
        self._feed(REGISTRAR, ip, reply)

    def login(self, ip: str, account: str, final: int, **kw: object) -> None:
        """REGISTER, 401, REGISTER with credentials, `final`."""
        self.register(ip, account, 1, 401, **kw)  # type: ignore[arg-type]
        self.register(ip, account, 2, final, auth=True, **kw)  # type: ignore[arg-type]

    def snapshot(self) -> EngineSnapshot:
        return self.engine.snapshot()


def phone_bank(ip: str = "198.51.100.20") -> EngineSnapshot:
    """20 accounts from one address: 10 accepted at the first challenge, 5 wrong
    passwords (403), 2 unknown (404), 3 never answered."""
    flows = Flows()
    for n in range(20):
        account = str(2000 + n)
        if n < 10:
            flows.login(ip, account, 200)
        elif n < 15:
            flows.login(ip, account, 403)
            flows.login(ip, account, 403)  # the phone tries again
        elif n < 17:
            flows.register(ip, account, 1, 404)
        else:
            flows.register(ip, account, 1, None, resends=5)
    flows.ts += 40.0
    flows.register(ip, "2000", 3, 200, auth=True)  # a refresh: the unanswered time out
    return flows.snapshot()


def cracked_account(
    ip: str = "198.51.100.66", guesses: int = 12, agent: str = "Zoiper rv2.10", step: float = 0.3
) -> EngineSnapshot:
    """One account guessed: refused `guesses` times with credentials, then accepted."""
    flows = Flows()
    cseq = 1
    for _n in range(guesses):
        flows.register(ip, "1001", cseq, 401, agent=agent, step=step)
        flows.register(ip, "1001", cseq + 1, 403, auth=True, agent=agent, step=0.01)
        cseq += 2
    flows.register(ip, "1001", cseq, 401, agent=agent)
    flows.register(ip, "1001", cseq + 1, 200, auth=True, agent=agent)
    return flows.snapshot()


def weak_password_sweep(ip: str = "198.51.100.67", agent: str = "Zoiper rv2.10") -> EngineSnapshot:
    """One password over 30 accounts: 29 refused, one accepted."""
    flows = Flows()
    for n in range(30):
        flows.login(ip, str(3000 + n), 200 if n == 17 else 403, agent=agent)
    return flows.snapshot()
