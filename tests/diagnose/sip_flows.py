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
        stale: bool = False,
    ) -> None:
        """One REGISTER transaction from `ip` for `account`, answered `answer` (None:
        never answered, sent 1 + `resends` times; a 401 with stale=true when `stale`)."""
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
        flag = ", stale=true" if stale else ""
        extra = f'WWW-Authenticate: Digest realm="x", nonce="n"{flag}\n' if answer == 401 else ""
        if answer == 200:
            extra = f"Contact: <sip:{account}@{ip}:5060>;expires=300\n"
        reply = _sip(f"SIP/2.0 {answer} {phrase}\n{head}{extra}Content-Length: 0\n\n")
        self._feed(REGISTRAR, ip, reply)

    def options(self, ip: str, user: str, dst: str = REGISTRAR, step: float = 0.01) -> None:
        """One OPTIONS from `ip` to `user`@`dst`, answered 200."""
        self.branch += 1
        head = (
            f"Via: SIP/2.0/UDP {ip}:5060;branch=z9hG4bK-o{self.branch}\n"
            f"From: <sip:ping@{ip}>;tag=o{self.branch}\nTo: <sip:{user}@{dst}>\n"
            f"Call-ID: opt-{self.branch}@{ip}\nCSeq: 1 OPTIONS\n"
        )
        self._feed(
            ip,
            dst,
            _sip(f"OPTIONS sip:{user}@{dst} SIP/2.0\n{head}User-Agent: PBX\nContent-Length: 0\n\n"),
            step,
        )
        self._feed(dst, ip, _sip(f"SIP/2.0 200 OK\n{head}Content-Length: 0\n\n"))

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


PHRASES = {
    200: "OK",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    422: "Session Interval Too Small",
    480: "Temporarily Unavailable",
    486: "Busy Here",
    487: "Request Terminated",
    503: "Service Unavailable",
}


class Calls(Flows):
    """Direct calls (no B2BUA): INVITE from a customer to a vendor, one final answer."""

    n = 0

    def call(
        self,
        src: str,
        dst: str,
        code: int | None,
        *,
        talk: float = 20.0,
        session_expires: int | None = None,
        bye_by_callee: bool = False,
        callee: str = "",
        gap: float = 1.0,
    ) -> str:
        """One call; `code` None: the INVITE is sent 7 times over 32 s and never answered.
        Returns its Call-ID."""
        Calls.n += 1
        call_id = f"call-{Calls.n}@{src}"
        callee = callee or f"44207{Calls.n:06d}"
        se = f"Session-Expires: {session_expires}\n" if session_expires else ""

        def head(method: str, cseq: int, to_tag: str = "") -> str:
            tag = f";tag={to_tag}" if to_tag else ""
            return (
                f"Via: SIP/2.0/UDP {src}:5060;branch=z9hG4bK-{call_id}-{cseq}{method}\n"
                f"From: <sip:1000@{src}>;tag=a\nTo: <sip:{callee}@{dst}>{tag}\n"
                f"Call-ID: {call_id}\nCSeq: {cseq} {method}\n"
            )

        invite = _sip(
            f"INVITE sip:{callee}@{dst} SIP/2.0\n{head('INVITE', 1)}"
            f"Contact: <sip:1000@{src}:5060>\n{se}Content-Length: 0\n\n"
        )
        self._feed(src, dst, invite, gap)
        if code is None:
            for n in range(6):
                self._feed(src, dst, invite, 0.5 * 2**n)
            return call_id
        self._feed(dst, src, _sip(f"SIP/2.0 100 Trying\n{head('INVITE', 1)}Content-Length: 0\n\n"))
        extra = "Min-SE: 1800\n" if code == 422 else f"Contact: <sip:{callee}@{dst}:5060>\n"
        self._feed(
            dst,
            src,
            _sip(
                f"SIP/2.0 {code} {PHRASES[code]}\n{head('INVITE', 1, 'b')}{extra}"
                "Content-Length: 0\n\n"
            ),
            min(0.5, gap),
        )
        self._feed(
            src,
            dst,
            _sip(f"ACK sip:{callee}@{dst} SIP/2.0\n{head('ACK', 1, 'b')}Content-Length: 0\n\n"),
        )
        if code != 200:
            return call_id
        if bye_by_callee:
            self._feed(
                dst,
                src,
                _sip(f"BYE sip:1000@{src} SIP/2.0\n{head('BYE', 2, 'b')}Content-Length: 0\n\n"),
                talk,
            )
            self._feed(
                src, dst, _sip(f"SIP/2.0 200 OK\n{head('BYE', 2, 'b')}Content-Length: 0\n\n")
            )
        else:
            self._feed(
                src,
                dst,
                _sip(f"BYE sip:{callee}@{dst} SIP/2.0\n{head('BYE', 2, 'b')}Content-Length: 0\n\n"),
                talk,
            )
            self._feed(
                dst, src, _sip(f"SIP/2.0 200 OK\n{head('BYE', 2, 'b')}Content-Length: 0\n\n")
            )
        return call_id


def failing_mix() -> EngineSnapshot:
    """47 calls, 37 of them fail: 8x486, 7x404, 6x503, 5x403, 4x408, 5x487, 2 never
    answered; from one customer to two vendors (the 503s all from 198.51.100.21)."""
    flows = Calls()
    codes: list[int | None] = [486] * 8 + [404] * 7 + [403] * 5 + [408] * 4 + [487] * 5
    codes += [None, None] + [200] * 10
    for n, code in enumerate(codes):
        flows.call("198.51.100.5", "198.51.100.20" if n % 2 else "198.51.100.22", code)
    for _n in range(6):
        flows.call("198.51.100.5", "198.51.100.21", 503)
    return flows.snapshot()


def retried_422(gateway: str = "198.51.100.40") -> EngineSnapshot:
    """INVITE with Session-Expires 90, 422 (Min-SE 1800), the INVITE again (same
    Call-ID, next CSeq) with Session-Expires 1800, answered."""
    flows = Calls()
    src = "198.51.100.5"
    for n in range(2):
        call_id = f"st-{n}@{src}"

        def head(cseq: int, method: str = "INVITE", tag: str = "", call_id: str = call_id) -> str:
            return (
                f"Via: SIP/2.0/UDP {src}:5060;branch=z9hG4bK-{call_id}-{cseq}{method}\n"
                f"From: <sip:1000@{src}>;tag=a\nTo: <sip:4420@{gateway}>{tag}\n"
                f"Call-ID: {call_id}\nCSeq: {cseq} {method}\n"
            )

        for cseq, se in ((1, 90), (2, 1800)):
            flows._feed(
                src,
                gateway,
                _sip(
                    f"INVITE sip:4420@{gateway} SIP/2.0\n{head(cseq)}Contact: <sip:1000@{src}>\n"
                    f"Supported: timer\nSession-Expires: {se}\nMin-SE: 90\n"
                    "Content-Length: 0\n\n"
                ),
                1.0,
            )
            if cseq == 1:
                flows._feed(
                    gateway,
                    src,
                    _sip(
                        f"SIP/2.0 422 Session Interval Too Small\n{head(1, tag=';tag=x')}"
                        "Min-SE: 1800\nContent-Length: 0\n\n"
                    ),
                    0.05,
                )
                flows._feed(
                    src,
                    gateway,
                    _sip(
                        f"ACK sip:4420@{gateway} SIP/2.0\n"
                        f"{head(1, 'ACK', ';tag=x')}Content-Length: 0\n\n"
                    ),
                )
        flows._feed(
            gateway,
            src,
            _sip(
                f"SIP/2.0 200 OK\n{head(2, tag=';tag=y')}Contact: <sip:4420@{gateway}>\n"
                "Session-Expires: 1800;refresher=uac\nContent-Length: 0\n\n"
            ),
            0.5,
        )
        flows._feed(
            src,
            gateway,
            _sip(
                f"ACK sip:4420@{gateway} SIP/2.0\n{head(2, 'ACK', ';tag=y')}Content-Length: 0\n\n"
            ),
        )
    return flows.snapshot()


def retried_422_new_call(gateway: str = "198.51.100.41") -> EngineSnapshot:
    """A 422 to Session-Expires 90, then a new call (new Call-ID) for the same caller
    and callee with Session-Expires 1800, answered."""
    flows = Calls()
    flows.call("198.51.100.5", gateway, 422, session_expires=90, callee="4420999")
    flows.call("198.51.100.5", gateway, 200, session_expires=1800, callee="4420999")
    return flows.snapshot()
