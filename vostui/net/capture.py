"""Capture file readers: pcap and pcapng, plain or compressed, from files or pipes.

`CaptureReader` is a push parser: `feed()` it bytes as they arrive (a file read in
chunks, or `tcpdump -U -w -` stdout) and it returns the complete frames so far; call
`finish()` at end of input to record a cut-off last record as a warning. It never
raises on damaged records: it keeps what it could read and says where it stopped in
`warnings`. It raises `CaptureError` only when the input is not a capture at all.
"""

from __future__ import annotations

import bz2
import lzma
import os
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from struct import Struct
from typing import BinaryIO, NamedTuple

from vostui import speedups


class CaptureError(Exception):
    """The input is not a capture we can read; the message is one line for the operator."""


class Frame(NamedTuple):
    """One captured frame as recorded: link-layer bytes plus the record's metadata."""

    ts: float  # seconds since the epoch
    linktype: int  # LINKTYPE_* value of the frame's interface
    data: bytes  # captured bytes (may be shorter than `wirelen` when the snap length cut it)
    number: int  # 1-based position in the capture, as Wireshark numbers it
    wirelen: int  # length on the wire


_new_frame = tuple.__new__  # skips NamedTuple's Python-level __new__ on the hot path

# A record longer than this is taken as a damaged file rather than a packet (Wireshark
# uses the same 256 KiB ceiling for ordinary link types).
MAX_RECORD = 262144
MAX_WARNINGS = 20

_PCAP_MAGICS: dict[bytes, tuple[str, float, int]] = {
    # magic as read from the file -> (byte order, fraction divisor, record header size)
    b"\xd4\xc3\xb2\xa1": ("<", 1e6, 16),
    b"\xa1\xb2\xc3\xd4": (">", 1e6, 16),
    b"\x4d\x3c\xb2\xa1": ("<", 1e9, 16),
    b"\xa1\xb2\x3c\x4d": (">", 1e9, 16),
    # Alexey Kuznetzov's patched libpcap (old Red Hat tcpdump): 8 extra bytes per record
    b"\x34\xcd\xb2\xa1": ("<", 1e6, 24),
    b"\xa1\xb2\xcd\x34": (">", 1e6, 24),
}
_PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"
_GZIP = b"\x1f\x8b"
_BZIP2 = b"BZh"
_XZ = b"\xfd7zXZ\x00"
_KNOWN_OTHERS: tuple[tuple[bytes, str], ...] = (
    (b"GMBU", "Microsoft NetMon format: convert with editcap -F pcap"),
    (b"RTSS", "Microsoft NetMon 1.x format: convert with editcap -F pcap"),
    (b"snoop\x00\x00\x00", "Solaris snoop format: convert with editcap -F pcap"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed file: decompress it first (zstd -d)"),
    (b"\x04\x22\x4d\x18", "lz4-compressed file: decompress it first (lz4 -d)"),
    (b"PK\x03\x04", "zip archive: unzip it first"),
    (b"XCP\x00", "NetXray/Sniffer format: convert with editcap -F pcap"),
)

_BLOCK_HEAD = {"<": Struct("<II"), ">": Struct(">II")}
_EPB = {"<": Struct("<IIIII"), ">": Struct(">IIIII")}  # if_id, ts_hi, ts_lo, caplen, len
_PB = {"<": Struct("<HHIIII"), ">": Struct(">HHIIII")}  # if_id, drops, ts_hi, ts_lo, cap, len
_U32 = {"<": Struct("<I"), ">": Struct(">I")}
_U16 = {"<": Struct("<H"), ">": Struct(">H")}
_OPT = {"<": Struct("<HH"), ">": Struct(">HH")}
_I64 = {"<": Struct("<q"), ">": Struct(">q")}
_PCAP_RECORD = {"<": Struct("<IIII"), ">": Struct(">IIII")}
_PCAP_HEADER = {"<": Struct("<HHiIII"), ">": Struct(">HHiIII")}


class _Interface(NamedTuple):
    linktype: int
    snaplen: int
    divisor: float  # timestamp units per second
    offset: float  # seconds added to every timestamp (if_tsoffset)


def describe_magic(head: bytes) -> str:
    """One line that says what a file that is not a capture seems to be."""
    for magic, text in _KNOWN_OTHERS:
        if head.startswith(magic):
            return text
    shown = head[:4].hex()
    if head and all(32 <= b < 127 or b in (9, 10, 13) for b in head[:16]):
        return f"not a pcap or pcapng file (magic 0x{shown}: looks like text)"
    return f"not a pcap or pcapng file (magic 0x{shown or 'empty'})"


class CaptureReader:
    """Incremental pcap/pcapng parser. Feed bytes, get `Frame`s; damage goes to `warnings`."""

    def __init__(self, name: str = "capture", compiled: bool | None = None) -> None:
        """`compiled`: pcap records read by the compiled path (`vostui.speedups`; None:
        where it was built and not switched off), else by the Python loop."""
        self.name = name
        ext = speedups.extension if compiled is None else speedups.compiled() if compiled else None
        if compiled and ext is None:
            raise RuntimeError("the compiled path (vostui._speedups) was not built")
        self._fast_records = ext.pcap_records if ext is not None else None
        self.format = ""  # "pcap" or "pcapng" once the header is read
        self.compression = ""  # "gzip", "bzip2", "xz" or ""
        self.warnings: list[str] = []
        self.warnings_dropped = 0
        self.truncated = False  # the input ended inside a record
        self.corrupt = False  # a damaged record stopped the reading
        self.frames = 0
        self.offset = 0  # input bytes fed so far (compressed bytes for compressed input)
        self._buf = b""
        self._pos = 0  # parse position in _buf
        self._base = 0  # offset in the (decompressed) stream of _buf[0]
        self._stopped = False
        self._decompress: Callable[[bytes], bytes] | None = None
        self._decompressor_eof: Callable[[], bool] | None = None
        self._sniffed = False
        self._head = b""
        # pcap state
        self._order = "<"
        self._divisor = 1e6
        self._rec_size = 16
        self._linktype = 0
        self._max_record = MAX_RECORD
        self._rec_head = _PCAP_RECORD["<"].unpack_from
        # pcapng state
        self._interfaces: list[_Interface] = []
        self._last_ts = 0.0

    # ---- input --------------------------------------------------------------------

    def feed(self, chunk: bytes) -> list[Frame]:
        """Parse `chunk` (the next bytes of the input) and return the frames it completed."""
        self.offset += len(chunk)
        if self._stopped or not chunk:
            return []
        if not self._sniffed:
            self._head += chunk
            if len(self._head) < 8:
                return []
            chunk, self._head = self._head, b""
            self._sniff(chunk)
        if self._decompress is not None:
            try:
                chunk = self._decompress(chunk)
            except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as exc:
                self._warn(
                    f"{self.compression} data damaged after byte {self._stream_pos()}: {exc}"
                )
                self.corrupt = True
                self._stopped = True
                return []
        return self._parse(chunk)

    def finish(self) -> None:
        """Record why the input ended early, if it did. Raise `CaptureError` for an empty one."""
        if not self._sniffed:
            if not self._head:
                raise CaptureError(f"{self.name}: empty file, no capture header")
            head = self._head
            self._head = b""
            self._sniff(head)  # raises for anything but a short pcap/compressed head
            if self._decompress is not None:
                try:
                    head = self._decompress(head)
                except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError):
                    head = b""
            self._parse(head)
        if self._decompressor_eof is not None and not self._decompressor_eof() and not self.corrupt:
            self.truncated = True
            self._warn(f"{self.compression} stream ends early (cut file?)")
        if self._stopped:
            return
        left = len(self._buf) - self._pos
        if not self.format:
            self.truncated = True
            self._warn(f"file truncated at byte {self._base + len(self._buf)}, in the file header")
        elif left:
            self.truncated = True
            where = "in packet" if self.format == "pcap" else "in the block after packet"
            number = self.frames + 1 if self.format == "pcap" else self.frames
            self._warn(f"file truncated at byte {self._base + len(self._buf)}, {where} {number}")
        self._stopped = True

    # ---- format detection ---------------------------------------------------------

    def _sniff(self, head: bytes) -> None:
        self._sniffed = True
        if head.startswith(_GZIP):
            self._set_decompressor("gzip")
        elif head.startswith(_BZIP2):
            self._set_decompressor("bzip2")
        elif head.startswith(_XZ):
            self._set_decompressor("xz")
        elif head[:4] not in _PCAP_MAGICS and not head.startswith(_PCAPNG_SHB):
            raise CaptureError(f"{self.name}: {describe_magic(head)}")

    def _set_decompressor(self, kind: str) -> None:
        self.compression = kind
        if kind == "gzip":
            state = {"d": zlib.decompressobj(wbits=31)}

            def gunzip(data: bytes) -> bytes:
                out = []
                d = state["d"]
                while data:
                    out.append(d.decompress(data))
                    if not d.eof:
                        break
                    # concatenated gzip members (as `cat a.gz b.gz` makes) continue the stream
                    data = d.unused_data
                    if data:
                        d = state["d"] = zlib.decompressobj(wbits=31)
                return b"".join(out)

            self._decompress = gunzip
            self._decompressor_eof = lambda: bool(state["d"].eof)
        elif kind == "bzip2":
            bzd = bz2.BZ2Decompressor()
            self._decompress = bzd.decompress
            self._decompressor_eof = lambda: bool(bzd.eof)
        else:
            xzd = lzma.LZMADecompressor()
            self._decompress = xzd.decompress
            self._decompressor_eof = lambda: bool(xzd.eof)

    # ---- parsing ------------------------------------------------------------------

    def _stream_pos(self) -> int:
        return self._base + self._pos

    def _warn(self, text: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(f"{self.name}: {text}")
        else:
            self.warnings_dropped += 1

    def _stop(self, text: str) -> None:
        self._warn(text)
        self.corrupt = True
        self._stopped = True

    def _parse(self, chunk: bytes) -> list[Frame]:
        if self._pos < len(self._buf):
            self._base += self._pos
            self._buf = self._buf[self._pos :] + chunk
        else:
            self._base += len(self._buf)
            self._buf = chunk
        self._pos = 0
        if not self.format:
            buf = self._buf
            if len(buf) < 24:
                return []
            if buf[:4] in _PCAP_MAGICS:
                self._pcap_header(buf)
            elif buf.startswith(_PCAPNG_SHB):
                self.format = "pcapng"
            else:  # a compressed file whose content is not a capture
                self._stopped = True
                raise CaptureError(f"{self.name}: {self.compression} file: {describe_magic(buf)}")
        if self._stopped:
            return []
        if self.format == "pcap":
            return self._pcap_records()
        return self._pcapng_blocks()

    def _pcap_header(self, buf: bytes) -> None:
        order, divisor, rec_size = _PCAP_MAGICS[buf[:4]]
        _major, _minor, _zone, _sigfigs, snaplen, network = _PCAP_HEADER[order].unpack_from(buf, 4)
        self.format = "pcap"
        self._order = order
        self._divisor = divisor
        self._rec_size = rec_size
        self._rec_head = _PCAP_RECORD[order].unpack_from
        # the upper bits carry FCS flags (pcap "LinkType and additional information")
        self._linktype = network & 0x0FFFFFFF & 0xFFFF
        self._max_record = min(max(MAX_RECORD, snaplen), 16 * 1024 * 1024)
        self._pos = 24

    def _pcap_records(self) -> list[Frame]:
        if self._fast_records is not None:
            fast, pos, number, bad = self._fast_records(
                Frame,
                self._buf,
                self._pos,
                self._rec_size,
                self._order == ">",
                self._divisor,
                self._linktype,
                self._max_record,
                self.frames,
            )
            self._pos = pos
            self.frames = number
            if bad >= 0:
                self._stop(
                    f"damaged record at byte {self._base + pos}, in packet {number + 1}: "
                    f"claims {bad} bytes; stopped reading"
                )
            return fast
        buf = self._buf
        n = len(buf)
        pos = self._pos
        head = self._rec_head
        rec = self._rec_size
        divisor = self._divisor
        linktype = self._linktype
        limit = self._max_record
        number = self.frames
        frames: list[Frame] = []
        append = frames.append
        while pos + rec <= n:
            sec, frac, caplen, wirelen = head(buf, pos)
            end = pos + rec + caplen
            if caplen > limit:
                self._pos = pos
                self.frames = number
                self._stop(
                    f"damaged record at byte {self._base + pos}, in packet {number + 1}: "
                    f"claims {caplen} bytes; stopped reading"
                )
                return frames
            if end > n:
                break
            number += 1
            append(
                _new_frame(
                    Frame,
                    (sec + frac / divisor, linktype, buf[pos + rec : end], number, wirelen),
                )
            )
            pos = end
        self._pos = pos
        self.frames = number
        return frames

    def _pcapng_blocks(self) -> list[Frame]:
        buf = self._buf
        n = len(buf)
        pos = self._pos
        frames: list[Frame] = []
        order = self._order
        while pos + 12 <= n:
            btype = buf[pos : pos + 4]
            if btype == _PCAPNG_SHB:
                bom = buf[pos + 8 : pos + 12]
                if bom == b"\x4d\x3c\x2b\x1a":
                    order = "<"
                elif bom == b"\x1a\x2b\x3c\x4d":
                    order = ">"
                else:
                    self._pos = pos
                    self._stop(
                        f"damaged section header at byte {self._base + pos}; stopped reading"
                    )
                    return frames
                self._order = order
            block_type, blen = _BLOCK_HEAD[order].unpack_from(buf, pos)
            if blen < 12 or blen % 4 or blen > 16 * 1024 * 1024:
                self._pos = pos
                self._stop(
                    f"damaged block at byte {self._base + pos} (type 0x{block_type:x}, "
                    f"length {blen}) after packet {self.frames}; stopped reading"
                )
                return frames
            end = pos + blen
            if end > n:
                break
            if _U32[order].unpack_from(buf, end - 4)[0] != blen:
                self._pos = pos
                self._stop(
                    f"damaged block at byte {self._base + pos} (lengths differ) after packet "
                    f"{self.frames}; stopped reading"
                )
                return frames
            if block_type == 6:
                frame = self._epb(buf, pos, blen, order)
                if frame is not None:
                    frames.append(frame)
            elif block_type == 0x0A0D0D0A:
                self._interfaces = []
            elif block_type == 1:
                self._idb(buf, pos, blen, order)
            elif block_type == 3:
                frame = self._spb(buf, pos, blen, order)
                if frame is not None:
                    frames.append(frame)
            elif block_type == 2:
                frame = self._pb(buf, pos, blen, order)
                if frame is not None:
                    frames.append(frame)
            # other blocks (name resolution, statistics, secrets, custom) carry no packets
            pos = end
        self._pos = pos
        return frames

    def _idb(self, buf: bytes, pos: int, blen: int, order: str) -> None:
        if blen < 20:
            self._warn(f"short interface block at byte {self._base + pos}")
            self._interfaces.append(_Interface(0, 0, 1e6, 0.0))
            return
        linktype = _U16[order].unpack_from(buf, pos + 8)[0]
        snaplen = _U32[order].unpack_from(buf, pos + 12)[0]
        divisor = 1e6
        offset = 0.0
        opt = pos + 16
        end = pos + blen - 4
        unpack_opt = _OPT[order].unpack_from
        while opt + 4 <= end:
            code, length = unpack_opt(buf, opt)
            if code == 0:
                break
            value = buf[opt + 4 : opt + 4 + length]
            if code == 9 and length >= 1:  # if_tsresol
                r = value[0]
                divisor = float(2 ** (r & 0x7F)) if r & 0x80 else float(10 ** min(r, 30))
            elif code == 14 and length == 8:  # if_tsoffset
                offset = float(_I64[order].unpack_from(value)[0])
            opt += 4 + length + (-length % 4)
        self._interfaces.append(_Interface(linktype, snaplen, divisor, offset))

    def _interface(self, if_id: int, pos: int) -> _Interface | None:
        if if_id < len(self._interfaces):
            return self._interfaces[if_id]
        self._warn(
            f"packet at byte {self._base + pos} names interface {if_id}, which has no "
            "description block; packet skipped"
        )
        return None

    def _epb(self, buf: bytes, pos: int, blen: int, order: str) -> Frame | None:
        if blen < 32:
            self._warn(f"short packet block at byte {self._base + pos}; skipped")
            return None
        if_id, ts_hi, ts_lo, caplen, wirelen = _EPB[order].unpack_from(buf, pos + 8)
        iface = self._interface(if_id, pos)
        if iface is None:
            return None
        if caplen > blen - 32:
            self._warn(f"packet block at byte {self._base + pos} claims more than it holds")
            caplen = blen - 32
        self.frames += 1
        ts = ((ts_hi << 32) | ts_lo) / iface.divisor + iface.offset
        self._last_ts = ts
        return _new_frame(
            Frame, (ts, iface.linktype, buf[pos + 28 : pos + 28 + caplen], self.frames, wirelen)
        )

    def _spb(self, buf: bytes, pos: int, blen: int, order: str) -> Frame | None:
        # Simple packet block: no timestamp, no interface id (always interface 0)
        iface = self._interface(0, pos)
        if iface is None:
            return None
        wirelen = _U32[order].unpack_from(buf, pos + 8)[0]
        caplen = min(wirelen, blen - 16)
        if iface.snaplen:
            caplen = min(caplen, iface.snaplen)
        self.frames += 1
        return _new_frame(
            Frame,
            (
                self._last_ts,
                iface.linktype,
                buf[pos + 12 : pos + 12 + caplen],
                self.frames,
                wirelen,
            ),
        )

    def _pb(self, buf: bytes, pos: int, blen: int, order: str) -> Frame | None:
        # Obsolete packet block (pcapng drafts before 1.0)
        if blen < 32:
            self._warn(f"short packet block at byte {self._base + pos}; skipped")
            return None
        if_id, _drops, ts_hi, ts_lo, caplen, wirelen = _PB[order].unpack_from(buf, pos + 8)
        iface = self._interface(if_id, pos)
        if iface is None:
            return None
        caplen = min(caplen, blen - 32)
        self.frames += 1
        ts = ((ts_hi << 32) | ts_lo) / iface.divisor + iface.offset
        self._last_ts = ts
        return _new_frame(
            Frame, (ts, iface.linktype, buf[pos + 28 : pos + 28 + caplen], self.frames, wirelen)
        )


def read_frames(
    stream: BinaryIO, reader: CaptureReader | None = None, chunk_size: int = 1 << 20
) -> Iterator[Frame]:
    """Yield the frames of a capture read from a binary stream, as the bytes arrive.

    Works on files and pipes alike: it asks for what is available (`read1`) rather
    than waiting for a full chunk. Warnings land in `reader.warnings`.
    """
    reader = reader if reader is not None else CaptureReader(getattr(stream, "name", "capture"))
    read = getattr(stream, "read1", None) or stream.read
    while True:
        # compressed input expands: read it in smaller pieces so one chunk stays bounded
        data = read(chunk_size if not reader.compression else 65536)
        if not data:
            break
        yield from reader.feed(data)
    reader.finish()


def open_frames(
    path: str | os.PathLike[str], reader: CaptureReader | None = None
) -> Iterator[Frame]:
    """Yield the frames of a capture file (pcap or pcapng, plain, gzip, bzip2 or xz)."""
    p = Path(path)
    reader = reader if reader is not None else CaptureReader(p.name)
    try:
        f = open(p, "rb")  # noqa: SIM115 - closed by the generator's finally
    except OSError as exc:
        raise CaptureError(f"{p}: {exc.strerror or exc}") from exc
    try:
        yield from read_frames(f, reader)
    finally:
        f.close()
