"""Both per-message paths: the packet-layer and SIP parser tests run on the pure-Python
reference and on the compiled twin (`vostui._speedups`), as `[python]` and
`[compiled]`. The compiled run is skipped, saying so, where the extension was not
built (no C compiler)."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest

import vostui.engine.core
import vostui.pipeline
import vostui.sip.parser
import vostui.sip.scanner
import vostui.sip.sdp
from vostui import speedups

# Test modules whose tests run on both paths.
BOTH_PATHS = {
    "test_sip_parser",
    "test_sip_torture",
    "test_sip_corpus",
    "test_sip_fuzz",
    "test_net_links",
    "test_net_capture",
    "test_net_fuzz",
    "test_net_corpus",
    "test_net_tcp",
    "test_frozen",
    "test_sip_sdp",
    "test_sip_scanner",
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "speed_path" in metafunc.fixturenames and metafunc.module.__name__.rpartition(".")[2] in (
        BOTH_PATHS
    ):
        metafunc.parametrize("speed_path", ["python", "compiled"], indirect=True)


def use_path(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    module: ModuleType | None = None,
) -> None:
    """Switch the per-message path for one test: the decoder and capture reader made
    from now on, and every `parse_message` binding the pipeline reads."""
    ext = speedups.compiled() if path == "compiled" else None
    if path == "compiled" and ext is None:
        pytest.skip("the compiled path (vostui._speedups) is not built here")
    parser = vostui.sip.parser
    parse = parser.compiled_parser() if ext is not None else parser.parse_message_py
    monkeypatch.setattr(speedups, "extension", ext)
    monkeypatch.setattr(parser, "parse_message", parse)
    monkeypatch.setattr(
        parser, "quick_branch", ext.branch_of if ext is not None else parser.quick_branch_py
    )
    monkeypatch.setattr(vostui.engine.core, "parse_message", parse)
    monkeypatch.setattr(vostui.pipeline, "parse_message", parse)
    lazy = (
        parser.compiled_lazy()
        if ext is not None
        else (parser.lazy_branch_py, parser.lazy_name_addr_py)
    )
    monkeypatch.setattr(parser, "lazy_branch", lazy[0])
    monkeypatch.setattr(parser, "lazy_name_addr", lazy[1])
    before = (parser._uri_cached.parse, parser._name_addr_cached.parse)
    parser.use_addresses(parser.compiled_addresses() if ext is not None else None)
    request.addfinalizer(lambda: parser.use_addresses(before))  # type: ignore[arg-type]
    sdp = vostui.sip.sdp
    parse_sdp = sdp.compiled_parse_sdp() if ext is not None else sdp.parse_sdp_py
    monkeypatch.setattr(sdp, "parse_sdp", parse_sdp)
    monkeypatch.setattr(
        vostui.sip.scanner, "no_signature", ext.no_signature if ext is not None else None
    )
    for name, value in (("parse_message", parse), ("parse_sdp", parse_sdp)):
        if module is not None and hasattr(module, name):
            monkeypatch.setattr(module, name, value)


@pytest.fixture(autouse=True)
def speed_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    path = getattr(request, "param", None)
    if path is None:  # a test module that does not run on both paths
        yield speedups.path_name()
        return
    use_path(request, monkeypatch, path, request.module)
    yield path
