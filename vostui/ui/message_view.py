"""One SIP message as received: raw text with headers highlighted, and its SDP.

Every line comes from the packet, so it is cleaned and handed over as literal
Content (text, style) pairs: `[@click=app.quit]` in a header stays text.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from vostui.engine.snapshot import LegView, MediaEndpoint, MessageRecord
from vostui.ladder import message_lines
from vostui.sip.message import Media, Sdp
from vostui.text import clean_line
from vostui.ui.format import ACCENT, BAD, GOOD, QUIET

NAME = "$text-primary bold"
SDP_LINE = "$text-secondary"


def codecs_of(media: Media) -> tuple[str, ...]:
    try:
        return media.codecs
    except ImportError:  # vostui.sip.sdp not there: name by rtpmap, else by number
        names = dict(media.rtpmap)
        return tuple(names.get(pt, str(pt)).split("/")[0] for pt in media.payloads)


def sdp_summary(sdp: Sdp) -> list[str]:
    """One line per m= line: kind, where media goes, codecs, direction, DTMF payload."""
    return [
        media_line(
            f"{media.kind} {media.connection}:{media.port}",
            codecs_of(media),
            media.direction,
            media.telephone_event,
        )
        for media in sdp.media
    ]


def endpoint_summary(endpoint: MediaEndpoint | None) -> str:
    if endpoint is None:
        return "-"
    return media_line(
        f"{endpoint.address}:{endpoint.port}",
        endpoint.codecs,
        endpoint.direction,
        endpoint.telephone_event,
    )


def media_line(where: str, codecs: Sequence[str], direction: str, dtmf: int | None) -> str:
    """`10.0.0.1:20000 PCMU,PCMA sendrecv telephone-event/101`."""
    voice = [c for c in codecs if not c.lower().startswith("telephone-event")]
    tail = f" telephone-event/{dtmf}" if dtmf is not None else " no telephone-event"
    return clean_line(f"{where} {','.join(voice) or '-'} {direction}{tail}", 200)


def raw_content(record: MessageRecord) -> Content:
    """Start line, `Name: value` headers, blank line, body; colours from the theme."""
    parts: list[tuple[str, str]] = []
    in_body = False
    # 300 characters a line: a 64 KB header must not push the rest off the screen
    for number, line in enumerate(message_lines(record.msg.raw, line_limit=300)):
        if number == 0:
            parts.append((line, ACCENT))
        elif in_body:
            parts.append((line, SDP_LINE if line[:2] in ("m=", "c=", "a=") else ""))
        elif line == "":
            in_body = True
        else:
            name, colon, value = line.partition(":")
            if colon and name and " " not in name.strip():
                parts += [(name, NAME), (":" + value, "")]
            else:
                parts.append((line, ""))
        parts.append(("\n", ""))
    return Content.assemble(*parts)


class MessageView(VerticalScroll):
    """Header line, SDP summary and raw text of the selected message."""

    DEFAULT_CSS = """
    MessageView { padding: 0 1; background: $surface; }
    MessageView > Static { width: 1fr; }
    MessageView > #message-sdp { margin: 1 0; }
    """

    def compose(self) -> ComposeResult:
        yield Static(Content("no message selected"), id="message-head")
        yield Static(Content(""), id="message-sdp")
        yield Static(Content(""), id="message-raw")

    def show(
        self,
        record: MessageRecord | None,
        *,
        number: int = 0,
        stamp: str = "",
        legs: Sequence[LegView] = (),
    ) -> None:
        head = self.query_one("#message-head", Static)
        sdp = self.query_one("#message-sdp", Static)
        raw = self.query_one("#message-raw", Static)
        if record is None:
            head.update(Content("no message selected"))
            sdp.update(Content(""))
            raw.update(Content(""))
            return
        head.update(
            Content.assemble(
                (f"#{number} " if number else "", QUIET),
                (stamp, ""),
                (
                    f"  {clean_line(record.src_addr, 64)} → {clean_line(record.dst_addr, 64)}",
                    "bold",
                ),
                (f"  {clean_line(record.transport, 8)}", QUIET),
                ("  retransmission" if record.retransmission else "", BAD),
            )
        )
        lines: list[tuple[str, str]] = []
        if record.msg.sdp is not None:
            lines.append(("SDP in this message\n", "bold"))
            for line in sdp_summary(record.msg.sdp):
                lines.append(("  " + line + "\n", SDP_LINE))
        for leg in legs:
            lines.append((f"leg {clean_line(leg.role, 8)} {clean_line(leg.call_id, 48)}\n", "bold"))
            lines.append(("  offer  ", QUIET))
            lines.append((endpoint_summary(leg.media_offer) + "\n", ""))
            lines.append(("  answer ", QUIET))
            lines.append(
                (endpoint_summary(leg.media_answer) + "\n", GOOD if leg.media_answer else "")
            )
        sdp.update(Content.assemble(*lines) if lines else Content(""))
        raw.update(raw_content(record))
