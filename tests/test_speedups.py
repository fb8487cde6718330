"""The compiled per-message path (`vostui._speedups`) against its pure-Python reference.

- The C builds with `gcc -std=c99 -Wall -Werror` against this Python's headers (the
  oldest toolchain it must build on is CentOS 7's gcc 4.8, C99).
- Every fixture and corpus capture gives byte-identical `analyze --json` and
  `doctor --json` on both paths (subprocesses with and without VOSTUI_PURE_PYTHON=1).
- Hypothesis: the compiled parser, decoder, pcap reader and quick branch read give
  what the Python ones give on mutated and random input (the same object, field for
  field, or the same error).
- `vostui --version` says which path runs.
- Slow: an ASan/UBSan build of the extension runs the fuzz tests and the corpus.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import FIXTURES, corpus_dir
from vostui import speedups
from vostui.net.capture import CaptureError, CaptureReader, Frame
from vostui.net.decoder import Decoder
from vostui.sip import parser
from vostui.sip.message import SipMessage, SipParseError

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "vostui" / "_speedups.c"
sys.path.insert(0, str(ROOT / "tests" / "net"))
sys.path.insert(0, str(ROOT / "tests" / "sip"))

from netbuild import pcap, pcapng_epb, pcapng_idb, pcapng_shb  # noqa: E402
from test_net_fuzz import LINKTYPES, SEEDS, mutated  # noqa: E402
from test_sip_fuzz import SEEDS as SIP_SEEDS  # noqa: E402
from test_sip_fuzz import SPECIAL  # noqa: E402

EXT = speedups.compiled()
needs_ext = pytest.mark.skipif(EXT is None, reason="the compiled path is not built here")

FUZZ = settings(
    max_examples=int(os.environ.get("VOSTUI_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def captures() -> list[Path]:
    found = sorted(FIXTURES.glob("**/*.pcap")) + sorted(FIXTURES.glob("**/*.pcapng"))
    corpus = corpus_dir()
    if corpus is not None:
        found += sorted(p for p in corpus.iterdir() if p.suffix in (".pcap", ".pcapng", ".cap"))
    return found


# ---- the build ---------------------------------------------------------------------


def compile_flags() -> list[str]:
    return ["-std=c99", "-Wall", "-Werror", f"-I{sysconfig.get_paths()['include']}"]


def test_the_c_is_c99_and_warning_free() -> None:
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed (install.sh --dev installs it)")
    result = subprocess.run(
        [gcc, *compile_flags(), "-O2", "-fsyntax-only", str(SOURCE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # -O2 with a real object file runs the optimiser's warnings too (uninitialised use)
    result = subprocess.run(
        [gcc, *compile_flags(), "-O2", "-fPIC", "-c", str(SOURCE), "-o", os.devnull],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_the_built_extension_is_not_older_than_its_source() -> None:
    """A checkout's in-place build must be redone after the C changes (the tests would
    otherwise check the old code): `python setup.py --inplace`."""
    if EXT is None or EXT.__file__ is None:
        pytest.skip("the compiled path is not built here")
    built = Path(EXT.__file__)
    if built.parent != SOURCE.parent:
        pytest.skip("the extension is installed, not built beside its source")
    assert built.stat().st_mtime >= SOURCE.stat().st_mtime, (
        f"{built.name} is older than {SOURCE.name}: run `python setup.py --inplace`"
    )


def version(env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "vostui", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_version_says_which_path_runs() -> None:
    assert version({"VOSTUI_PURE_PYTHON": "1"}).endswith("(pure Python)")
    expected = "(compiled path)" if EXT is not None else "(pure Python)"
    assert version({"VOSTUI_PURE_PYTHON": ""}).endswith(expected)
    assert speedups.path_name() in ("compiled path", "pure Python")


# ---- analyze and doctor: byte-identical on every capture ----------------------------


def run_all(command: str, files: list[Path], env: dict[str, str], so: str = "") -> dict[str, Any]:
    cmd = [sys.executable, str(ROOT / "tests" / "speedpaths.py")]
    if so:
        cmd += ["--so", so]
    out = subprocess.run(
        [*cmd, command, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def assert_same(pure: dict[str, Any], fast: dict[str, Any]) -> None:
    assert pure["path"] == "pure Python" and fast["path"] == "compiled path"
    assert pure["runs"].keys() == fast["runs"].keys()
    for path, (status, text) in pure["runs"].items():
        assert fast["runs"][path][0] == status, path
        assert fast["runs"][path][1] == text, f"{path}: the two paths' JSON differ"


@needs_ext
@pytest.mark.parametrize("command", ["analyze", "doctor"])
def test_both_paths_give_byte_identical_json_on_every_capture(command: str) -> None:
    files = captures()
    assert len(files) >= 9
    pure = run_all(command, files, {"VOSTUI_PURE_PYTHON": "1"})
    fast = run_all(command, files, {"VOSTUI_PURE_PYTHON": ""})
    assert_same(pure, fast)
    assert any(text for _, text in fast["runs"].values())


# ---- the parser --------------------------------------------------------------------


def outcome(parse: Any, data: bytes) -> tuple[Any, ...]:
    """Everything a parse gives: each slot as the parser leaves it (type and value,
    the first-value table in its order), then every field read; or the error."""
    try:
        msg = parse(data)
    except SipParseError as exc:
        return ("error", exc.reason, exc.detail, str(exc))
    slots = []
    for name in SipMessage.__slots__:
        value = getattr(msg, name)
        if isinstance(value, dict):
            value = list(value.items())
        slots.append((name, type(value).__name__, value if value is not parser.UNSET else "UNSET"))
    return ("message", tuple(slots), tuple(sorted(msg.fields().items())), msg.branch)


def same_parse(data: bytes) -> None:
    fast = parser.compiled_parser()
    assert fast is not None
    assert outcome(fast, data) == outcome(parser.parse_message_py, data)


@st.composite
def mutated_message(draw: st.DrawFn) -> bytes:
    buf = bytearray(draw(st.sampled_from(SIP_SEEDS)))
    for _ in range(draw(st.integers(0, 6))):
        if not buf:
            break
        i = draw(st.integers(0, len(buf) - 1))
        kind = draw(st.sampled_from(["flip", "cut", "insert", "special", "delete", "case"]))
        if kind == "flip":
            buf[i] = draw(st.integers(0, 255))
        elif kind == "cut":
            del buf[i:]
        elif kind == "insert":
            buf[i:i] = draw(st.binary(max_size=6))
        elif kind == "special":
            buf[i:i] = draw(st.sampled_from(SPECIAL))
        elif kind == "case":
            buf[i : i + 8] = bytes(buf[i : i + 8]).swapcase()
        else:
            del buf[i : i + draw(st.integers(1, 12))]
    return bytes(buf)


@needs_ext
@FUZZ
@given(mutated_message())
def test_compiled_parser_same_as_python_on_mutated_messages(data: bytes) -> None:
    same_parse(data)


@needs_ext
@FUZZ
@given(st.binary(max_size=300))
def test_compiled_parser_same_as_python_on_random_bytes(data: bytes) -> None:
    same_parse(data)
    same_parse(b"SIP/2.0 200 OK\r\nCall-ID: x\r\nCSeq: 1 BYE\r\n" + data)
    same_parse(b"INVITE sip:a@b SIP/2.0\r\n" + data + b"\r\ni: c\r\nCSeq: 2 INVITE\r\n\r\n")


HEADER_TEXT = st.text(
    alphabet=st.sampled_from(
        [*"aZ09 \t:;,=<>\"'/@.-_\\", "\x00", "\x0b", "\x1c", "\x7f", "é", "\u2028"]
    ),
    max_size=30,
)


@needs_ext
@FUZZ
@given(
    st.sampled_from(["INVITE", "ack", "SIP/2.0 180 Ringing", "sip/2.0 699", "A B C D"]),
    st.lists(
        st.tuples(
            st.sampled_from(["Call-ID", "i", "CSeq", "l", "Content-Length", "c", "Via", "X"]),
            HEADER_TEXT,
        ),
        max_size=8,
    ),
    st.binary(max_size=40),
)
def test_compiled_parser_same_as_python_on_generated_headers(
    start: str, headers: list[tuple[str, str]], body: bytes
) -> None:
    line = start if start.startswith(("SIP", "sip", "A ")) else f"{start} sip:x@y SIP/2.0"
    text = line + "\r\n" + "".join(f"{name}:{value}\r\n" for name, value in headers)
    data = text.encode("utf-8") + b"\r\n" + body
    same_parse(data)
    same_parse(data.replace(b"Call-ID:", b"Call-ID: c1 ").replace(b"CSeq:", b"CSeq: 7 BYE"))


@needs_ext
@FUZZ
@given(mutated_message(), st.sampled_from(["from", "to", "contact", "via"]))
def test_compiled_lazy_fields_same_as_python(data: bytes, name: str) -> None:
    fast = parser.compiled_parser()
    twins = parser.compiled_lazy()
    assert fast is not None
    try:
        messages = [fast(data), fast(data), parser.parse_message_py(data)]
    except SipParseError:
        return
    branch, name_addr = twins
    assert branch(messages[0]) == parser.lazy_branch_py(messages[1])
    assert branch(messages[2]) == parser.lazy_branch_py(messages[2])
    assert name_addr(messages[0], name) == parser.lazy_name_addr_py(messages[1], name)
    assert name_addr(messages[2], name) == parser.lazy_name_addr_py(messages[2], name)


def test_every_slot_of_a_message_is_set_the_same_way() -> None:
    if EXT is None:
        pytest.skip("the compiled path is not built here")
    for seed in SIP_SEEDS:
        same_parse(seed)
    # the shapes the compiled path takes itself (no fallback): compact forms too
    data = (
        b"INVITE <sip:1@h> SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bKx\r\ni: abc\r\n"
        b"CSeq:  12   INVITE \r\nl: 4;x\r\nc: Application/SDP; a=b\r\n\r\nv=0\r\nmore"
    )
    same_parse(data)
    fast = parser.compiled_parser()
    assert fast is not None
    msg = fast(data)
    assert (msg.call_id, msg.cseq, msg.content_length, msg.body) == ("abc", 12, 4, b"v=0\r")
    assert msg.content_type == "application/sdp" and msg._request_uri == "sip:1@h"


@needs_ext
@FUZZ
@given(
    st.text(
        alphabet=st.sampled_from([*'bB rRaAnNcChH;=,"z9:/\t', "\x0b", "\x1f", "é"]),
        max_size=40,
    )
)
def test_quick_branch_same_as_python(value: str) -> None:
    assert EXT is not None and parser.compiled_parser() is not None  # configures the C
    assert EXT.branch_of(value) == parser.quick_branch_py(value)
    usual = f"SIP/2.0/UDP h:5060;branch={value};rport"
    assert EXT.branch_of(usual) == parser.quick_branch_py(usual)


# ---- From, To, Contact, URIs ------------------------------------------------------

ADDRESS = st.lists(
    st.sampled_from(
        [
            *'aB1 \t:;=@<>",.[]%?*\\/+-',
            "sip:",
            "SIPS:",
            "tel:",
            "sip:u@h",
            "tag=",
            "é",
            "\x0b",
            "\x00",
            ";lr",
            ":5060",
            "<sip:",
            ">;tag=x",
            "[::1]",
            "%2B",
            "user:pw@",
        ]
    ),
    max_size=14,
).map("".join)


def address_outcome(parse: Any, text: str) -> Any:
    value = parse(text)
    uri = getattr(value, "uri", value)
    return value, [(name, type(getattr(uri, name))) for name in uri.__slots__]


@needs_ext
@FUZZ
@given(ADDRESS)
def test_compiled_addresses_same_as_python(text: str) -> None:
    twins = parser.compiled_addresses()
    assert twins is not None
    parse_uri, parse_name_addr = twins
    assert address_outcome(parse_uri, text) == address_outcome(parser.parse_uri, text)
    assert address_outcome(parse_name_addr, text) == address_outcome(parser.parse_name_addr, text)
    for shaped in (f"sip:{text}", f"Name <sip:{text}>;tag=1", f"sip:u@{text};tag=2"):
        expected = address_outcome(parser.parse_name_addr, shaped)
        assert address_outcome(parse_name_addr, shaped) == expected


# ---- scanner signatures ------------------------------------------------------------

SCAN_PIECES = ["sipvicious", "friendly-scanner", "SIPSCAN", "1.1.1.1", '"100"<sip:100@', "\\"]
SCAN_PIECES += ["User-Agent: ", "\r\nFrom: ", "\r\nContact: ", "\r\nTo: ", "Server: smap", "é"]


@needs_ext
@FUZZ
@given(mutated_message(), st.lists(st.sampled_from(SCAN_PIECES), max_size=4), st.randoms())
def test_quick_no_signature_only_when_python_finds_none(
    data: bytes, pieces: list[str], rnd: Any
) -> None:
    from vostui.sip import scanner

    for piece in pieces:
        at = data.find(b"\r\n", rnd.randint(0, max(0, len(data) - 1)))
        if at > 0:
            data = data[:at] + piece.encode() + data[at:]
    try:
        msg = parser.parse_message_py(data)
    except SipParseError:
        return
    assert EXT is not None
    quick = EXT.no_signature(msg.headers, msg.user_agent, msg.is_request)
    saved = scanner.no_signature
    scanner.no_signature = None
    try:
        found = scanner.signatures(msg)
    finally:
        scanner.no_signature = saved
    assert not (quick and found)
    assert scanner.signatures(msg) == found


# ---- SDP ---------------------------------------------------------------------------

SDP_SEEDS = [
    b"v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    b"m=audio 4000 RTP/AVP 0 8 18 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 "
    b"telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n",
    b"v=0\no=  \no=x\na=inactive\nm=image 5000 udptl t38\nc=IN IP6 ::1/64\n"
    b"m=audio 0/2 rtp/savp 96 1000 x\n a=recvonly \na=rtpmap:96 opus/48000/2\n",
]


def sdp_outcome(parse: Any, body: bytes) -> Any:
    sdp = parse(body)
    return sdp, [tuple((name, type(getattr(m, name))) for name in m.__slots__) for m in sdp.media]


@st.composite
def mutated_sdp(draw: st.DrawFn) -> bytes:
    buf = bytearray(draw(st.sampled_from(SDP_SEEDS)))
    pieces = [b"\r\n", b"\n", b" ", b"\t", b"\x0b", b"\x1c", b"=", b"/", b":", b"a=", b"m=", b"c="]
    pieces += [b"o=", b"9", b"\xc3\xa9", b"\x00", b"sendonly", b"rtpmap:", b"fmtp:", b"RTP"]
    for _ in range(draw(st.integers(0, 8))):
        if not buf:
            break
        i = draw(st.integers(0, len(buf) - 1))
        kind = draw(st.sampled_from(["flip", "cut", "piece", "delete"]))
        if kind == "flip":
            buf[i] = draw(st.integers(0, 127))
        elif kind == "cut":
            del buf[i:]
        elif kind == "piece":
            buf[i:i] = draw(st.sampled_from(pieces))
        else:
            del buf[i : i + draw(st.integers(1, 10))]
    return bytes(buf)


@needs_ext
@FUZZ
@given(mutated_sdp())
def test_compiled_sdp_same_as_python(body: bytes) -> None:
    from vostui.sip import sdp

    fast = sdp.compiled_parse_sdp()
    assert fast is not None
    assert sdp_outcome(fast, body) == sdp_outcome(sdp.parse_sdp_py, body)
    text = body.decode("utf-8", "replace")
    assert fast(text) == sdp.parse_sdp_py(text)


@needs_ext
@FUZZ
@given(st.binary(max_size=200))
def test_compiled_sdp_same_as_python_on_random_bytes(body: bytes) -> None:
    from vostui.sip import sdp

    fast = sdp.compiled_parse_sdp()
    assert fast is not None
    assert sdp_outcome(fast, body) == sdp_outcome(sdp.parse_sdp_py, body)
    assert sdp_outcome(fast, b"m=audio 1 RTP " + body) == sdp_outcome(
        sdp.parse_sdp_py, b"m=audio 1 RTP " + body
    )


# ---- the decoder -------------------------------------------------------------------


def decode_all(compiled: bool, frames: list[tuple[int, bytes]], snapped: bool) -> Any:
    decoder = Decoder(max_stream_buffer=2048, compiled=compiled)
    out = []
    for n, (linktype, data) in enumerate(frames):
        wirelen = len(data) + (10 if snapped else 0)
        out.append(decoder.decode(Frame(float(n), linktype, data, n + 1, wirelen)))
        out.append(decoder.decode_packet(n * 0.5, linktype, data, n + 100))
    decoder.flush()
    stats = decoder.stats
    return out, stats, list(stats.samples)


@needs_ext
@FUZZ
@given(st.lists(mutated(), min_size=1, max_size=12), st.booleans())
def test_compiled_decoder_same_as_python_on_mutated_frames(frames: list, snapped: bool) -> None:
    assert decode_all(True, frames, snapped) == decode_all(False, frames, snapped)


@needs_ext
@FUZZ
@given(LINKTYPES, st.binary(max_size=200))
def test_compiled_decoder_same_as_python_on_random_bytes(linktype: int, data: bytes) -> None:
    assert decode_all(True, [(linktype, data)], False) == decode_all(
        False, [(linktype, data)], False
    )


@needs_ext
def test_compiled_decoder_takes_the_common_frames_itself() -> None:
    for linktype, data in SEEDS:
        assert decode_all(True, [(linktype, data)], False) == decode_all(
            False, [(linktype, data)], False
        )
    decoder = Decoder(compiled=True)
    assert decoder.compiled and type(decoder.decode).__name__ == "builtin_function_or_method"
    out = decoder.decode(Frame(1.5, SEEDS[0][0], SEEDS[0][1], 1, 0))
    assert out[0].src == "192.0.2.1" and out[0].transport == "udp" and out[0].frame == 1
    assert decoder.stats.udp == 1 and decoder.stats.packets == 1


# ---- the pcap reader ---------------------------------------------------------------

GOOD_PCAP = pcap([d for _, d in SEEDS[:6]])
GOOD_PCAPNG = (
    pcapng_shb(">")
    + pcapng_idb(">", 1, 9)
    + b"".join(pcapng_epb(">", 0, i, d) for i, (_, d) in enumerate(SEEDS[:4]))
)


def read_capture(compiled: bool, data: bytes, piece: int) -> Any:
    reader = CaptureReader("fuzz", compiled=compiled)
    frames: list[Frame] = []
    error = ""
    try:
        for i in range(0, len(data), piece):
            frames.extend(reader.feed(data[i : i + piece]))
        reader.finish()
    except CaptureError as exc:
        error = str(exc)
    state = (reader.warnings, reader.truncated, reader.corrupt, reader.frames, reader.offset)
    return [(type(f), tuple(f)) for f in frames], error, state


@st.composite
def mutated_file(draw: st.DrawFn) -> bytes:
    buf = bytearray(draw(st.sampled_from([GOOD_PCAP, GOOD_PCAPNG, GOOD_PCAP[:24]])))
    for _ in range(draw(st.integers(0, 6))):
        i = draw(st.integers(0, len(buf) - 1))
        kind = draw(st.sampled_from(["flip", "cut", "insert", "append"]))
        if kind == "flip":
            buf[i] = draw(st.integers(0, 255))
        elif kind == "cut":
            del buf[max(i, 1) :]
        elif kind == "insert":
            buf[i:i] = draw(st.binary(min_size=1, max_size=16))
        else:
            buf += draw(st.binary(max_size=40))
    return bytes(buf)


@needs_ext
@FUZZ
@given(mutated_file(), st.integers(1, 4096))
def test_compiled_pcap_reader_same_as_python(data: bytes, piece: int) -> None:
    assert read_capture(True, data, piece) == read_capture(False, data, piece)


@needs_ext
def test_compiled_pcap_reader_on_every_byte_order_and_resolution() -> None:
    for magic in (
        b"\xd4\xc3\xb2\xa1",
        b"\xa1\xb2\xc3\xd4",
        b"\x4d\x3c\xb2\xa1",
        b"\xa1\xb2\x3c\x4d",
    ):
        big = magic[0] == 0xA1
        order = ">" if big else "<"
        head = magic + struct.pack(order + "HHiIII", 2, 4, 0, 0, 65535, 1)
        body = b"".join(
            struct.pack(order + "IIII", 1700000000 + i, 999999 * i, len(d), len(d) + i) + d
            for i, (_, d) in enumerate(SEEDS[:3])
        )
        data = head + body
        fast = read_capture(True, data, 7)
        assert fast == read_capture(False, data, 1 << 20)
        assert len(fast[0]) == 3 and not fast[1]


# ---- the sanitizer build -----------------------------------------------------------


@pytest.mark.slow
@needs_ext
def test_asan_ubsan_build_runs_fuzz_and_corpus_cleanly(tmp_path: Path) -> None:
    """The extension built with -fsanitize=address,undefined, loaded into Python with
    libasan preloaded: the fuzz tests above and every capture run without a report, and
    the captures give what pure Python gives."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed")
    libasan = subprocess.run(
        [gcc, "-print-file-name=libasan.so"], capture_output=True, text=True
    ).stdout.strip()
    if not os.path.isabs(libasan) or not os.path.exists(libasan):
        pytest.skip("libasan is not installed")
    so = tmp_path / ("_speedups" + (sysconfig.get_config_var("EXT_SUFFIX") or ".so"))
    build = subprocess.run(
        [
            gcc,
            *compile_flags(),
            "-O1",
            "-g",
            "-fno-omit-frame-pointer",
            "-fsanitize=address,undefined",
            "-fno-sanitize-recover=undefined",
            "-fPIC",
            "-shared",
            str(SOURCE),
            "-o",
            str(so),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    env = {
        "LD_PRELOAD": libasan,
        "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1",
        # every object from malloc, so that ASan sees the bounds of each bytes and str
        "PYTHONMALLOC": "malloc",
        "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
        "PYTHONPATH": str(ROOT),
        "VOSTUI_FUZZ_EXAMPLES": os.environ.get("VOSTUI_FUZZ_EXAMPLES", "300"),
    }
    # the fuzz tests of this module, with the sanitized build in place of the real one
    script = (
        "import sys; sys.path.insert(0, 'tests');"
        "import speedpaths; speedpaths.load_extension(sys.argv[1]);"
        "import pytest; sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '-x',"
        " '-k', 'same_as_python or every_slot or takes_the_common', sys.argv[2]]))"
    )
    fuzz = subprocess.run(
        [sys.executable, "-c", script, str(so), __file__],
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, **env},
        cwd=ROOT,
    )
    assert fuzz.returncode == 0, (fuzz.stdout + fuzz.stderr)[-4000:]
    assert "ERROR: AddressSanitizer" not in fuzz.stderr and "runtime error" not in fuzz.stderr
    files = captures()
    for command in ("analyze", "doctor"):
        fast = run_all(command, files, {**env, "VOSTUI_PURE_PYTHON": ""}, so=str(so))
        pure = run_all(command, files, {"VOSTUI_PURE_PYTHON": "1"})
        assert_same(pure, fast)
