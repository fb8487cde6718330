# Types of the compiled twin (vostui/_speedups.c); see vostui.speedups.
from typing import Any

from vostui.net.datagram import Datagram

def pcap_records(
    frame_cls: type,
    buf: bytes,
    pos: int,
    rec_size: int,
    big_endian: bool,
    divisor: float,
    linktype: int,
    limit: int,
    number: int,
) -> tuple[list[Any], int, int, int]: ...
def parse_message(data: bytes) -> Any: ...
def branch_of(value: str) -> str | None: ...
def parse_sdp(body: bytes | str) -> Any: ...
def configure_sdp(media_cls: type, sdp_cls: type, parse_sdp_py: Any) -> None: ...
def configure_parser(
    message_cls: type, unset: object, error_cls: type, parse_py: Any, quick_branch_py: Any
) -> None: ...

class FastDecoder:
    def __init__(
        self, decoder: object, slow_decode_packet: Any, datagram_cls: type, stats_cls: type
    ) -> None: ...
    def decode(self, frame: tuple[Any, ...]) -> list[Datagram]: ...
    def decode_packet(
        self, ts: float, linktype: int, data: bytes, number: int = 0, wirelen: int = 0
    ) -> list[Datagram]: ...
