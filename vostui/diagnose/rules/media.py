"""Media: where the audio goes (NAT), which codecs, how DTMF travels."""

from __future__ import annotations

from vostui.diagnose.context import (
    Context,
    address_class,
    call_line,
    find,
    header_line,
    is_invite_response,
    message_line,
    negotiated_te,
    unreachable_from,
    voice,
)
from vostui.diagnose.finding import (
    GATEWAY,
    IP,
    NOTICE,
    WARNING,
    Affected,
    Finding,
    Ref,
    covering,
    evidence,
    over_calls,
    refs,
)
from vostui.engine.snapshot import CallView, LegView, MediaEndpoint, MessageRecord
from vostui.sip.parser import parse_uri

EXAMPLES = 3
NOT_VOICE = frozenset({"TELEPHONE-EVENT", "CN", "COMFORT-NOISE", "RED", "ULPFEC"})


def _sdp_record(leg: LegView, endpoint: MediaEndpoint) -> MessageRecord | None:
    """The message that carried this SDP (the first one from that IP with a body)."""
    return find(
        leg,
        lambda r: (
            r.src == endpoint.signalled_from
            and r.msg.sdp is not None
            and any(m.connection == endpoint.address for m in r.msg.sdp.media)
        ),
    )


def private_sdp(ctx: Context) -> list[Finding]:
    """SDP media address in a private/CGNAT range while the SDP came from elsewhere."""
    by_sender: dict[str, list[tuple[CallView, LegView, MediaEndpoint]]] = {}
    for call in ctx.snap.calls:
        for leg in call.legs:
            for endpoint in (leg.media_offer, leg.media_answer):
                if endpoint is None or not endpoint.address:
                    continue
                if unreachable_from(endpoint.address, endpoint.signalled_from):
                    by_sender.setdefault(endpoint.signalled_from, []).append((call, leg, endpoint))
    out = []
    for sender, items in by_sender.items():
        calls = list(dict.fromkeys(call.key for call, _l, _e in items))
        addresses = sorted({e.address for _c, _l, e in items})
        lines = [
            f"SDP from {sender} ({address_class(sender)}) gives media address "
            f"{', '.join(addresses[:5])} ({address_class(addresses[0])})"
        ]
        seen: set[str] = set()
        for call, leg, endpoint in items:
            if call.key in seen:
                continue
            seen.add(call.key)
            if len(seen) > EXAMPLES:
                break
            lines.append(call_line(call, ctx.now))
            record = _sdp_record(leg, endpoint)
            if record is not None:
                lines.append(message_line(record))
                lines.append(f"    c=IN IP4 {endpoint.address}  m=audio {endpoint.port}")
        out.append(
            Finding(
                rule="media.private_sdp",
                severity=WARNING,
                title=(
                    f"{sender} announces private media address {addresses[0]} "
                    f"in {len(calls)} call(s): one-way or no audio"
                ),
                affected=Affected(IP, sender),
                evidence=evidence(lines),
                cause=(
                    "The endpoint is behind NAT and writes its LAN address into the SDP. "
                    "RTP sent there never arrives: no audio or one-way audio, unless the "
                    "softswitch learns the real address from the RTP it receives."
                ),
                check=(
                    "Is RTP arriving from that endpoint, and from which address? "
                    f"tcpdump -ni any -c 20 udp and host {sender} and not port 5060. "
                    "Check the gateway's NAT/STUN/external-IP settings."
                ),
                fix=(
                    "On the endpoint: set its public (external) IP or STUN, disable the "
                    "router's SIP ALG. On the softswitch: enable NAT / media proxy "
                    "(symmetric RTP) for this gateway so media follows the source address."
                ),
                **covering(key for key in calls),
                count=len(calls),
                first=min(leg.start for _c, leg, _e in items),
                last=max(leg.start for _c, leg, _e in items),
            )
        )
    return out


def _host(uri_text: str) -> str:
    return parse_uri(uri_text).host if uri_text else ""


def private_contact(ctx: Context) -> list[Finding]:
    """A private Contact from a non-private source: the UA is behind NAT and tells the
    softswitch to send requests (BYE, re-INVITE, incoming calls) where it cannot."""
    by_source: dict[str, list[str]] = {}
    hits: dict[str, list[Ref]] = {}
    times: dict[str, list[float]] = {}
    for reg in ctx.snap.registrations:
        source_ip = reg.source.rpartition(":")[0]
        if source_ip in ctx.attackers:
            continue
        host = _host(reg.contact)
        if host and unreachable_from(host, source_ip):
            by_source.setdefault(source_ip, []).append(
                f"REGISTER {reg.account} from {reg.source}: Contact {reg.contact} ({reg.state})"
            )
            hits.setdefault(source_ip, []).append(Ref(registration=(reg.account, reg.source)))
            times.setdefault(source_ip, []).append(reg.last_seen)
            for attempt in reg.history[-1:]:
                for record in attempt.messages[:1]:
                    by_source[source_ip].append(message_line(record))
                    by_source[source_ip].append(header_line(record, "contact", "Contact"))
    for call, invite in ctx.calls.contact_private:
        lines = by_source.setdefault(invite.src, [])
        if len(lines) < 3 * EXAMPLES:
            lines.append(message_line(invite))
            lines.append(header_line(invite, "contact", "Contact"))
        hits.setdefault(invite.src, []).append(Ref(call=call.key))
        times.setdefault(invite.src, []).append(invite.ts)
    out = []
    for source, lines in by_source.items():
        found = hits[source]
        out.append(
            Finding(
                rule="nat.private_contact",
                severity=NOTICE,
                title=f"{source} sends a private Contact: behind NAT",
                affected=Affected(IP, source),
                evidence=evidence(lines),
                cause=(
                    "The UA writes its LAN address into Contact. Requests to it (incoming "
                    "calls, BYE, re-INVITE) go to an address nobody can reach, and the "
                    "registration dies when the NAT binding expires."
                ),
                check=(
                    "Does the softswitch use the received address (rport/received) for this "
                    "UA? Is the UA's NAT keep-alive on? Register interval shorter than the "
                    "router's UDP timeout?"
                ),
                fix=(
                    "Enable NAT traversal for this account/gateway on the softswitch (use the "
                    "source address), set the UA's external IP or STUN, disable the SIP ALG, "
                    "keep re-registration below the router's UDP timeout (30-60 s)."
                ),
                refs=refs(found),
                call_keys=tuple(dict.fromkeys(ref.call for ref in found if ref.call)),
                count=len(found),
                first=min(times[source]),
                last=max(times[source]),
            )
        )
    return out


def no_common_codec(ctx: Context) -> list[Finding]:
    """488/606, or an answer that shares no voice codec with the offer."""
    groups: dict[str, list[tuple[CallView, LegView]]] = {}
    for call, leg in ctx.calls.no_codec:
        groups.setdefault(leg.gateway or leg.dst, []).append((call, leg))
    out = []
    for gateway, items in groups.items():
        lines = []
        offers: dict[str, int] = {}
        for _call, leg in items:
            key = " ".join(voice(leg.codecs_offered)) or "(no SDP)"
            offers[key] = offers.get(key, 0) + 1
        lines.append("offered: " + "; ".join(f"{codecs} ×{n}" for codecs, n in offers.items()))
        for call, leg in items[:EXAMPLES]:
            lines.append(call_line(call, ctx.now))
            reply = find(
                leg,
                lambda r: (
                    not r.msg.is_request
                    and r.msg.status in (488, 606)
                    and r.msg.cseq_method == "INVITE"
                ),
            )
            if reply is not None:
                lines.append(message_line(reply))
                lines.append(header_line(reply, "warning", "Warning"))
            elif leg.codecs_answered:
                lines.append(f"    answered with {' '.join(leg.codecs_answered)}")
        out.append(
            Finding(
                rule="codec.no_common",
                severity=WARNING,
                title=f"{len(items)} call(s) to {gateway} failed: no common codec",
                affected=Affected(GATEWAY, gateway),
                evidence=evidence(lines),
                cause=(
                    "The offer and the far end share no voice codec (488 Not Acceptable "
                    "Here, or an answer without a common payload type): typically G.729 "
                    "offered to a G.711-only vendor, or the reverse."
                ),
                check=(
                    "Compare the m= line of the INVITE with the codecs the vendor accepts; "
                    "check the codec list and transcoding settings of both gateways in the "
                    "softswitch."
                ),
                fix=(
                    "Offer a codec the vendor supports (add G.711 A/µ-law to the offer), or "
                    "enable transcoding for this route."
                ),
                **over_calls((call.key, leg.start) for call, leg in items),
                codes=(488,),
            )
        )
    return out


def dtmf_mismatch(ctx: Context) -> list[Finding]:
    """RFC 2833 telephone-event on one leg of a call and not on another: the B2BUA
    has to convert DTMF between them, or the digits are lost."""
    groups: dict[str, list[tuple[CallView, LegView, LegView]]] = {}
    for call, a, b in ctx.calls.dtmf_split:
        groups.setdefault(b.gateway or b.dst, []).append((call, a, b))
    out = []
    for gateway, items in groups.items():
        lines = []
        for call, a, b in items[:EXAMPLES]:
            lines.append(call_line(call, ctx.now))
            for leg in (a, b):
                offer = leg.media_offer
                answer = leg.media_answer
                lines.append(
                    f"    {leg.role}-leg {leg.src} → {leg.dst}: offer "
                    f"{' '.join(offer.codecs) if offer else '-'}; answer "
                    f"{' '.join(answer.codecs) if answer else '-'}"
                )
        a_has = negotiated_te(items[0][1])
        out.append(
            Finding(
                rule="dtmf.mismatch",
                severity=WARNING,
                title=(
                    f"{len(items)} call(s) via {gateway}: telephone-event on the "
                    f"{'A' if a_has else 'B'}-leg only, DTMF may be lost"
                ),
                affected=Affected(GATEWAY, gateway),
                evidence=evidence(lines),
                cause=(
                    "One leg carries DTMF as RFC 2833 telephone-event, the other did not "
                    "negotiate it. Unless the softswitch converts (RFC 2833 ↔ in-band or "
                    "SIP INFO), the digits never reach the IVR or voicemail at the far end."
                ),
                check=(
                    "Compare the rtpmap lines of both legs (telephone-event/8000). Check the "
                    "DTMF mode set for both gateways in the softswitch; test with a call to "
                    "an IVR."
                ),
                fix=(
                    "Set the same DTMF mode on both gateways (RFC 2833 everywhere), or enable "
                    "DTMF conversion in the softswitch for this route."
                ),
                **over_calls((call.key, call.start) for call, _a, _b in items),
            )
        )
    return out


def inband_g729(ctx: Context) -> list[Finding]:
    """G.729 without telephone-event: DTMF has to go in-band and the codec mangles it."""
    groups: dict[str, list[tuple[CallView, LegView]]] = {}
    for call, leg in ctx.calls.g729_inband:
        groups.setdefault(leg.gateway or leg.dst, []).append((call, leg))
    out = []
    for gateway, items in groups.items():
        lines = []
        for call, leg in items[:EXAMPLES]:
            lines.append(call_line(call, ctx.now))
            ok = find(leg, is_invite_response(200))
            if ok is not None:
                lines.append(message_line(ok))
            lines.append(
                f"    offer {' '.join(leg.codecs_offered) or '-'}; answer "
                f"{' '.join(leg.codecs_answered) or '-'} (no telephone-event)"
            )
        out.append(
            Finding(
                rule="dtmf.inband_g729",
                severity=NOTICE,
                title=f"{len(items)} call(s) via {gateway}: G.729 with in-band DTMF",
                affected=Affected(GATEWAY, gateway),
                evidence=evidence(lines),
                cause=(
                    "No telephone-event was negotiated, so DTMF can only travel in-band as "
                    "audio, and G.729 compresses tones badly: digits are missed or doubled."
                ),
                check="Press digits to an IVR over this route; look for telephone-event in SDP.",
                fix=(
                    "Enable RFC 2833 (telephone-event) or SIP INFO DTMF on this gateway, or "
                    "use G.711 where DTMF matters."
                ),
                **over_calls((call.key, leg.start) for call, leg in items),
            )
        )
    return out


def public_sdp_from_private(ctx: Context) -> list[Finding]:
    """The other way round: a public media address in SDP sent from a private source.

    Often deliberate (STUN, an external-IP setting); it breaks when the softswitch sits
    on the same LAN and the router does not hairpin. Notice only.
    """
    by_sender: dict[str, list[tuple[CallView, MediaEndpoint]]] = {}
    for call, endpoint in ctx.calls.sdp_public:
        by_sender.setdefault(endpoint.signalled_from, []).append((call, endpoint))
    out = []
    for sender, items in by_sender.items():
        calls = list(dict.fromkeys(call.key for call, _e in items))
        out.append(
            Finding(
                rule="media.public_sdp",
                severity=NOTICE,
                title=f"{sender} (private) announces public media address {items[0][1].address}",
                affected=Affected(IP, sender),
                evidence=evidence(
                    [f"{len(calls)} call(s); media address {items[0][1].address}"]
                    + [call_line(call, ctx.now) for call, _e in items[:EXAMPLES]]
                ),
                cause=(
                    "The endpoint is on a private network but announces a public address "
                    "(STUN or an external-IP setting). Media from the softswitch then has "
                    "to hairpin through the router, which many routers do not do."
                ),
                check="Is the softswitch on the same LAN as this endpoint? Is RTP arriving?",
                fix="Use the LAN address towards a softswitch on the same network.",
                **covering(key for key in calls),
                count=len(calls),
                first=min(call.start for call, _e in items),
                last=max(call.start for call, _e in items),
            )
        )
    return out


RULES = (
    ("media.private_sdp", "SDP media address private while signalling is not"),
    ("media.public_sdp", "public SDP address from a private source"),
    ("nat.private_contact", "private Contact behind NAT"),
    ("codec.no_common", "no common codec (488 or answer without one)"),
    ("dtmf.mismatch", "telephone-event on one leg only"),
    ("dtmf.inband_g729", "G.729 without telephone-event"),
)
CHECKS = (
    private_sdp,
    public_sdp_from_private,
    private_contact,
    no_common_codec,
    dtmf_mismatch,
    inband_g729,
)
