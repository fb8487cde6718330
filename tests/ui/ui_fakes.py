"""Hand-built engine snapshots and a stand-in pipeline for the UI tests.

The stand-in has the real Pipeline's surface (start, stop, snapshot, status,
message_pcap) and returns what a test gives it, so a test controls exactly what the
screen must show.
"""

from __future__ import annotations

import asyncio
import functools
import io
import threading
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from rich.console import Console

from vostui.config import Config, Gateway
from vostui.engine.snapshot import (
    CallView,
    Counters,
    EngineSnapshot,
    LegView,
    MediaEndpoint,
    MessageRecord,
    RegistrationAttempt,
    RegistrationView,
    SourceView,
)
from vostui.sip.message import Media, NameAddr, Sdp, SipMessage, Uri, Via

T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC

REASONS = {
    100: "Trying",
    180: "Ringing",
    183: "Session Progress",
    200: "OK",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    480: "Temporarily Unavailable",
    486: "Busy Here",
    487: "Request Terminated",
    503: "Service Unavailable",
}


def sdp_body(ip: str, port: int) -> tuple[bytes, Sdp]:
    text = (
        "v=0\r\n"
        f"o=- 1 1 IN IP4 {ip}\r\n"
        "s=-\r\n"
        f"c=IN IP4 {ip}\r\n"
        "t=0 0\r\n"
        f"m=audio {port} RTP/AVP 0 8 101\r\n"
        "a=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:8 PCMA/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\n"
        "a=sendrecv\r\n"
    )
    media = Media(
        kind="audio",
        port=port,
        proto="RTP/AVP",
        payloads=(0, 8, 101),
        connection=ip,
        direction="sendrecv",
        rtpmap=((0, "PCMU/8000"), (8, "PCMA/8000"), (101, "telephone-event/8000")),
    )
    return text.encode(), Sdp(origin=f"- 1 1 IN IP4 {ip}", session_connection=ip, media=(media,))


def message(
    *,
    method: str = "INVITE",
    status: int = 0,
    call_id: str = "call-1",
    caller: str = "1001",
    callee: str = "2002",
    src: str = "10.0.0.1",
    sport: int = 5060,
    dst: str = "10.0.0.2",
    dport: int = 5060,
    cseq: int = 1,
    sdp_ip: str | None = None,
    sdp_port: int = 20000,
    user_agent: str = "TestUA/1.0",
    extra_headers: Sequence[tuple[str, str]] = (),
    reason: str | None = None,
) -> SipMessage:
    is_request = status == 0
    reason = reason if reason is not None else REASONS.get(status, "")
    body, sdp = sdp_body(sdp_ip, sdp_port) if sdp_ip else (b"", None)
    ua_name = "User-Agent" if is_request else "Server"
    headers: list[tuple[str, str]] = [
        ("via", f"SIP/2.0/UDP {src}:{sport};branch=z9hG4bK-{call_id}-{cseq}"),
        ("from", f"<sip:{caller}@{src}>;tag=a{cseq}"),
        ("to", f"<sip:{callee}@{dst}>" + (";tag=b1" if not is_request else "")),
        ("call-id", call_id),
        ("cseq", f"{cseq} {method}"),
        ("user-agent" if is_request else "server", user_agent),
        *extra_headers,
        ("content-length", str(len(body))),
    ]
    if body:
        headers.insert(-1, ("content-type", "application/sdp"))
    start = f"{method} sip:{callee}@{dst} SIP/2.0" if is_request else f"SIP/2.0 {status} {reason}"
    names = {"call-id": "Call-ID", "cseq": "CSeq", "user-agent": ua_name}
    raw_headers = "".join(f"{names.get(k, k.title())}: {v}\r\n" for k, v in headers)
    raw = (start + "\r\n" + raw_headers + "\r\n").encode("utf-8", "replace") + body
    return SipMessage(
        is_request=is_request,
        method=method,
        status=status,
        reason=reason,
        request_uri=Uri(user=callee, host=dst) if is_request else None,
        headers=tuple(headers),
        body=body,
        call_id=call_id,
        from_=NameAddr(uri=Uri(user=caller, host=src), params=(("tag", f"a{cseq}"),)),
        to=NameAddr(uri=Uri(user=callee, host=dst)),
        cseq=cseq,
        cseq_method=method,
        vias=(Via(transport="UDP", host=src, port=sport),),
        contacts=(),
        content_type="application/sdp" if body else "",
        content_length=len(body),
        user_agent=user_agent,
        expires=None,
        session_expires=None,
        session_refresher="",
        min_se=None,
        reason_header="",
        sdp=sdp,
        raw=raw,
    )


def stable_index(ts: float, msg: SipMessage, retx: bool) -> int:
    """The same message gets the same index in every snapshot, as in the engine."""
    key = f"{msg.call_id}/{msg.cseq}/{msg.method}/{msg.status}/{ts:.3f}/{retx}"
    return zlib.crc32(key.encode())


def record(
    ts: float, msg: SipMessage, src: str, sport: int, dst: str, dport: int, retx: bool = False
) -> MessageRecord:
    index = stable_index(ts, msg, retx)
    return MessageRecord(
        index=index,
        ts=ts,
        src=src,
        sport=sport,
        dst=dst,
        dport=dport,
        transport="udp",
        msg=msg,
        retransmission=retx,
        frame=index % 100_000,
    )


def leg_messages(
    call_id: str,
    caller: str,
    callee: str,
    a: tuple[str, int],
    b: tuple[str, int],
    start: float,
    final: int,
    *,
    talk: float | None = 30.0,
    user_agent: str = "TestUA/1.0",
    retransmit_invite: bool = False,
) -> list[MessageRecord]:
    """INVITE, 100, 180, final (and ACK, BYE, 200 when answered and ended)."""

    def req(ts: float, method: str, cseq: int, sdp: bool = False) -> MessageRecord:
        msg = message(
            method=method,
            call_id=call_id,
            caller=caller,
            callee=callee,
            src=a[0],
            sport=a[1],
            dst=b[0],
            dport=b[1],
            cseq=cseq,
            sdp_ip=a[0] if sdp else None,
            user_agent=user_agent,
        )
        return record(ts, msg, a[0], a[1], b[0], b[1])

    def resp(ts: float, code: int, method: str, cseq: int, sdp: bool = False) -> MessageRecord:
        msg = message(
            method=method,
            status=code,
            call_id=call_id,
            caller=caller,
            callee=callee,
            src=a[0],
            sport=a[1],
            dst=b[0],
            dport=b[1],
            cseq=cseq,
            sdp_ip=b[0] if sdp else None,
            sdp_port=30000,
        )
        return record(ts, msg, b[0], b[1], a[0], a[1])

    out = [req(start, "INVITE", 1, sdp=True)]
    if retransmit_invite:
        first = out[0]
        again = start + 0.5
        out.append(
            replace(
                first, index=stable_index(again, first.msg, True), ts=again, retransmission=True
            )
        )
    out.append(resp(start + 0.01, 100, "INVITE", 1))
    out.append(resp(start + 1.2, 180, "INVITE", 1))
    if final == 200:
        out.append(resp(start + 3.0, 200, "INVITE", 1, sdp=True))
        out.append(req(start + 3.05, "ACK", 1))
        if talk is not None:
            out.append(req(start + 3.0 + talk, "BYE", 2))
            out.append(resp(start + 3.01 + talk, 200, "BYE", 2))
    elif final:
        out.append(resp(start + 4.0, final, "INVITE", 1))
        out.append(req(start + 4.01, "ACK", 1))
    return out


def make_leg(
    role: str,
    call_id: str,
    caller: str,
    callee: str,
    a: tuple[str, int],
    b: tuple[str, int],
    start: float,
    final: int,
    gateway: str,
    *,
    talk: float | None = 30.0,
    user_agent: str = "TestUA/1.0",
    retransmit_invite: bool = False,
) -> LegView:
    messages = leg_messages(
        call_id,
        caller,
        callee,
        a,
        b,
        start,
        final,
        talk=talk,
        user_agent=user_agent,
        retransmit_invite=retransmit_invite,
    )
    answered = start + 3.0 if final == 200 else None
    ended = (
        (start + 3.01 + talk if talk is not None else None)
        if final == 200
        else (start + 4.0 if final else None)
    )
    state = (
        ("ended" if ended else "answered") if final == 200 else ("failed" if final else "ringing")
    )
    offer = MediaEndpoint(a[0], 20000, ("PCMU", "PCMA", "telephone-event"), "sendrecv", 101, a[0])
    answer = (
        MediaEndpoint(b[0], 30000, ("PCMU", "telephone-event"), "sendrecv", 101, b[0])
        if final == 200
        else None
    )
    return LegView(
        call_id=call_id,
        role=role,
        caller=caller,
        callee=callee,
        src=f"{a[0]}:{a[1]}",
        dst=f"{b[0]}:{b[1]}",
        gateway=gateway,
        state=state,
        start=start,
        ringing=start + 1.2,
        answered=answered,
        confirmed=start + 3.05 if answered else None,
        ended=ended,
        final_code=final,
        final_reason=REASONS.get(final, ""),
        reason_header="",
        hangup_by="caller" if ended and final == 200 else "",
        codecs_offered=("PCMU", "PCMA"),
        codecs_answered=("PCMU",) if answered else (),
        media_offer=offer,
        media_answer=answer,
        session_expires=None,
        user_agent=user_agent,
        message_count=len(messages),
        retransmissions=sum(1 for m in messages if m.retransmission),
        messages=tuple(messages),
        messages_dropped=0,
    )


def make_call(
    i: int,
    *,
    start: float | None = None,
    final: int = 200,
    talk: float | None = 30.0,
    caller: str | None = None,
    callee: str | None = None,
    user_agent: str = "TestUA/1.0",
    with_b_leg: bool = True,
) -> CallView:
    """Call number `i`: customer 10.0.1.x -> softswitch 10.0.0.2 -> vendor 10.0.2.x."""
    start = T0 + i * 2.0 if start is None else start
    caller = caller or f"1{i:06d}"
    callee = callee or f"4420{i:07d}"
    customer = (f"10.0.1.{1 + i % 5}", 5060)
    softswitch = ("10.0.0.2", 5060)
    vendor = (f"10.0.2.{1 + i % 3}", 5060)
    a_leg = make_leg(
        "a",
        f"a-{i}@cust",
        caller,
        callee,
        customer,
        softswitch,
        start,
        final,
        f"cust-{1 + i % 5}",
        talk=talk,
        user_agent=user_agent,
        retransmit_invite=i % 7 == 0,
    )
    legs = [a_leg]
    if with_b_leg:
        b_leg = make_leg(
            "b",
            f"b-{i}-ss",
            caller,
            callee,
            softswitch,
            vendor,
            start + 0.02,
            final,
            f"vendor-{1 + i % 3}",
            talk=talk,
        )
        legs.append(b_leg)
    return CallView(
        key=a_leg.call_id,
        legs=tuple(legs),
        caller=caller,
        callee=callee,
        mapping_gateway=a_leg.gateway,
        routing_gateway=legs[-1].gateway,
        state=a_leg.state,
        start=start,
        ended=a_leg.ended,
        pdd=1.2,
        answered=a_leg.answered,
        final_code=final,
        final_reason=REASONS.get(final, ""),
        problem=final >= 400,
    )


def make_registration(
    i: int, *, code: int = 200, user_agent: str = "Phone/2.0", attempts: int = 2
) -> RegistrationView:
    account = f"{100 + i}@pbx.example"
    source = f"10.0.3.{1 + i % 200}:5060"
    history = []
    for n in range(attempts):
        ts = T0 + i + n * 60
        req = message(
            method="REGISTER",
            call_id=f"reg-{i}",
            caller=str(100 + i),
            callee=str(100 + i),
            src=source.split(":")[0],
            dst="10.0.0.2",
            cseq=n + 1,
            user_agent=user_agent,
        )
        resp = message(
            method="REGISTER",
            status=code,
            call_id=f"reg-{i}",
            caller=str(100 + i),
            callee=str(100 + i),
            src=source.split(":")[0],
            dst="10.0.0.2",
            cseq=n + 1,
        )
        messages = (
            record(ts, req, source.split(":")[0], 5060, "10.0.0.2", 5060),
            record(ts + 0.02, resp, "10.0.0.2", 5060, source.split(":")[0], 5060),
        )
        history.append(
            RegistrationAttempt(
                ts=ts, code=code, expires=3600 if code == 200 else None, messages=messages
            )
        )
    ok = code == 200
    state = {200: "ok", 401: "challenged", 403: "forbidden", 404: "not_found", 408: "timeout"}.get(
        code, "failed"
    )
    return RegistrationView(
        account=account,
        source=source,
        registrar="10.0.0.2:5060",
        state=state,
        last_code=code,
        attempts=attempts,
        challenges=0,
        challenge_loop=0,
        expires=3600 if ok else None,
        expires_at=T0 + i + 3600 if ok else None,
        contact=f"<sip:{100 + i}@{source}>",
        contact_private=False,
        user_agent=user_agent,
        first_seen=T0 + i,
        last_seen=history[-1].ts,
        history=tuple(history),
    )


def make_snapshot(
    calls: int = 20,
    *,
    registrations: int = 6,
    version: int = 1,
    now: float | None = None,
    extra_calls: Sequence[CallView] = (),
    extra_registrations: Sequence[RegistrationView] = (),
) -> EngineSnapshot:
    """`calls` calls: every fifth fails (486/503/404 in turn), the last three still up."""
    built: list[CallView] = []
    codes = (486, 503, 404)
    for i in range(calls):
        if i >= calls - 3:
            built.append(make_call(i, talk=None))
        elif i % 5 == 4:
            built.append(make_call(i, final=codes[(i // 5) % 3]))
        else:
            built.append(make_call(i))
    built.extend(extra_calls)
    regs = [make_registration(i, code=(403 if i % 3 == 2 else 200)) for i in range(registrations)]
    regs.extend(extra_registrations)
    latest = max((c.start for c in built), default=T0) + 10.0
    sources = (
        SourceView(
            ip="198.51.100.7",
            first_seen=T0,
            last_seen=T0 + 5,
            counts=(("OPTIONS", 400), ("REGISTER", 120)),
            rates=(("OPTIONS", 40.0),),
            accounts_tried=60,
            auth_failures=118,
            user_agents=("friendly-scanner",),
            signatures=("sipvicious",),
            responses_sent=0,
        ),
    )
    return EngineSnapshot(
        version=version,
        now=latest if now is None else now,
        first=T0,
        calls=tuple(built),
        registrations=tuple(regs),
        gateways=(),
        sources=sources,
        counters=Counters(
            packets=1234,
            datagrams=1200,
            sip_messages=1100,
            retransmissions=3,
            malformed=(("truncated", 2),),
            evicted=(("dialogs", 1),),
        ),
        softswitch=("10.0.0.2",),
    )


@dataclass(frozen=True, slots=True)
class FakeStatus:
    """The shape of vostui.pipeline.SourceStatus."""

    label: str = "file: fake.pcap"
    state: str = "running"
    problem: str = ""
    fix: str = ""
    packets: int = 1234
    datagrams: int = 1200
    sip_messages: int = 1100
    packets_per_s: float = 120.0
    sip_per_s: float = 80.5
    kernel_drops: int | None = 0
    malformed: int = 2
    evicted: int = 1
    progress: float | None = None
    warnings: tuple[str, ...] = ()


class FakePipeline:
    """Returns what the test sets; records start, stop and exports."""

    def __init__(
        self, snapshot: EngineSnapshot | None = None, status: FakeStatus | None = None
    ) -> None:
        self._lock = threading.Lock()
        self._snapshot = snapshot or make_snapshot()
        self._status = status or FakeStatus()
        self.started = 0
        self.stopped = 0
        self.exports: list[tuple[int, str]] = []

    def start(self) -> None:
        self.started += 1

    def stop(self) -> None:
        self.stopped += 1

    def snapshot(self) -> EngineSnapshot:
        with self._lock:
            return self._snapshot

    def status(self) -> FakeStatus:
        with self._lock:
            return self._status

    def set(self, snapshot: EngineSnapshot | None = None, status: FakeStatus | None = None) -> None:
        with self._lock:
            if snapshot is not None:
                self._snapshot = snapshot
            if status is not None:
                self._status = status

    def now(self) -> float:
        return self.snapshot().now

    def message_pcap(self, records: Sequence[MessageRecord], path: str) -> None:
        self.exports.append((len(records), path))
        with open(path, "wb") as handle:
            handle.write(b"fake pcap\n")


GATEWAYS = (
    Gateway("cust-net", "10.0.1.0/24", "mapping"),
    Gateway("vendor-net", "10.0.2.0/24", "routing"),
)


def make_app(
    pipeline: FakePipeline | None = None,
    *,
    config: Config | None = None,
    export_dir: str | None = None,
    calls: int = 40,
):  # -> VostuiApp (imported late so this module loads without the UI)
    """The real app over the stand-in pipeline: no wall clock, no process figures."""
    from vostui.ui.app import VostuiApp

    return VostuiApp(
        config or Config(gateways=GATEWAYS, refresh=0.1),
        pipeline or FakePipeline(make_snapshot(calls)),
        title="vostui test",
        deterministic=True,
        export_dir=export_dir,
    )


def screen_text(app) -> str:  # app: VostuiApp
    """What the terminal shows, as plain text (the SVG screenshot without styles)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text(styles=False)


def pilot_test(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async Pilot test on its own event loop (no pytest-asyncio needed)."""

    @functools.wraps(test)
    def run(*args: object, **kwargs: object) -> None:
        asyncio.run(test(*args, **kwargs))  # type: ignore[arg-type]

    return run


async def wait_until(pilot, check: Callable[[], bool], seconds: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    """Let the app run until `check()` holds (for work done in workers), bounded in time."""
    for _ in range(int(seconds / 0.05)):
        if check():
            return True
        await pilot.pause(0.05)
    return check()


async def read_all(pilot, pipeline) -> None:  # type: ignore[no-untyped-def]
    """Until the capture is read, then one refresh (and, inline, one diagnosis)."""
    for _ in range(100):  # at most 10 s
        await pilot.pause(0.1)
        if pipeline.status().state not in ("starting", "running"):
            break
    assert pipeline.status().state == "finished", pipeline.status()
    pilot.app.pull()
    await pilot.pause()
