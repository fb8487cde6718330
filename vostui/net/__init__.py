"""Packet layer: capture readers, link layers, IP reassembly, UDP and TCP.

Files: `iter_datagrams(path_or_stream)`. Live: `LiveCapture(iface, build_bpf(ports))`
and `Decoder.decode(frame)`. Export: `write_pcap(path, datagrams)`.
"""

from vostui.net.capture import CaptureError, CaptureReader, Frame, open_frames, read_frames
from vostui.net.datagram import Datagram
from vostui.net.decoder import Decoder, DecoderStats, MalformedSample
from vostui.net.files import iter_datagrams
from vostui.net.live import LiveCapture, LiveCaptureError, build_bpf
from vostui.net.writer import write_pcap

__all__ = [
    "CaptureError",
    "CaptureReader",
    "Datagram",
    "Decoder",
    "DecoderStats",
    "Frame",
    "LiveCapture",
    "LiveCaptureError",
    "MalformedSample",
    "build_bpf",
    "iter_datagrams",
    "open_frames",
    "read_frames",
    "write_pcap",
]
