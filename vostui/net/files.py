"""Capture files to Datagrams in one call."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from vostui.net.capture import CaptureReader, open_frames, read_frames
from vostui.net.datagram import Datagram
from vostui.net.decoder import Decoder


def iter_datagrams(
    source: str | os.PathLike[str] | BinaryIO,
    decoder: Decoder | None = None,
    reader: CaptureReader | None = None,
) -> Iterator[Datagram]:
    """Yield the Datagrams of a capture file (path) or binary stream, in capture order.

    pcap or pcapng, plain or compressed (recognised by content). Pass your own
    `decoder` to read its `stats` afterwards (the reader's warnings are folded into
    `decoder.stats.warnings`), and your own `reader` to see its state while reading.
    Raises `CaptureError` (on the first `next()`) when the input is not a capture.
    """
    decoder = decoder if decoder is not None else Decoder()
    if isinstance(source, (str, os.PathLike)):
        reader = reader if reader is not None else CaptureReader(Path(source).name)
        frames = open_frames(source, reader)
    else:
        reader = reader if reader is not None else CaptureReader(getattr(source, "name", "stream"))
        frames = read_frames(source, reader)
    decode = decoder.decode
    try:
        for frame in frames:
            yield from decode(frame)
    finally:
        decoder.flush()
        decoder.add_capture_warnings(reader.warnings, reader.truncated, reader.corrupt)
