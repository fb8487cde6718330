"""`vostui analyze` as the operator runs it: a real process, real files, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import FIXTURES, need_corpus

CONFIG = FIXTURES.parents[1] / "tools" / "fixtures" / "demo-config.toml"


def vostui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vostui", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_tables_name_gateways_from_the_config() -> None:
    out = vostui("--config", str(CONFIG), "analyze", str(FIXTURES / "b2bua_calls.pcap"))
    assert out.returncode == 0, out.stderr
    assert "softswitch 127.0.0.10" in out.stdout
    for name in ("CUST-A", "CUST-B", "VEND-1", "VEND-2"):
        assert name in out.stdout
    assert out.stdout.index("Calls (10)") < out.stdout.index("Registrations")


def test_json_follows_the_documented_schema() -> None:
    out = vostui("--config", str(CONFIG), "analyze", "--json", str(FIXTURES / "b2bua_calls.pcap"))
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["schema"] == "vostui.analyze/1"
    assert set(doc) >= {"files", "counters", "calls", "registrations", "gateways", "scanners"}
    call = doc["calls"][0]
    assert {"key", "legs", "state", "final_code", "mapping_gateway"} <= set(call)
    leg = call["legs"][0]
    assert {"call_id", "role", "media_offer", "codecs_offered", "ack_missing"} <= set(leg)
    documented = (FIXTURES.parents[1] / "docs" / "analyze-json.md").read_text()
    for field in ("ack_missing", "challenge_loop", "cps_peak", "accounts_tried"):
        assert field in documented


def test_filter_and_sections() -> None:
    path = str(FIXTURES / "failures.pcap")
    out = vostui("analyze", "--json", "--calls", "--filter", "code>=480 state=rejected", path)
    doc = json.loads(out.stdout)
    assert "registrations" not in doc
    codes = sorted(c["final_code"] for c in doc["calls"])
    assert codes == [486, 503]
    # a code class, bare or as a field, as the console's `/` takes it too
    for expression in ("4xx state=rejected", "code=4xx state=rejected"):
        out = vostui("analyze", "--json", "--calls", "--filter", expression, path)
        codes = sorted(c["final_code"] for c in json.loads(out.stdout)["calls"])
        assert codes == [403, 404, 486]
    out = vostui("analyze", "--registrations", str(FIXTURES / "register.pcap"))
    assert "forbidden" in out.stdout and "Calls (" not in out.stdout
    out = vostui("analyze", "--scanners", "--json", str(FIXTURES / "scan_sipvicious.pcap"))
    (scanner,) = [s for s in json.loads(out.stdout)["scanners"] if s["signatures"]]
    assert scanner["ip"] == "127.0.0.66"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["analyze", "/nonexistent.pcap"], "no such file"),
        (["analyze", "--filter", "code>=abc", "FIXTURE"], "not a number"),
        (["analyze", "--filter", "nosuch=1", "FIXTURE"], "unknown field"),
        (["analyze", "README"], "not a pcap or pcapng file"),
        # `open` says it the same way, before the console takes the screen
        (["open", "README"], "not a pcap or pcapng file"),
        (["open", "EMPTY"], "empty file, no capture header"),
        (["open", "FIXTURE", "README"], "not a pcap or pcapng file"),
        (["open", "/nonexistent.pcap"], "no such file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    readme = tmp_path / "README"
    readme.write_text("hello, this is not a capture\n")
    empty = tmp_path / "EMPTY"
    empty.write_bytes(b"")
    named = {"FIXTURE": str(FIXTURES / "failures.pcap"), "README": str(readme), "EMPTY": str(empty)}
    args = [named.get(a, a) for a in args]
    out = vostui(*args)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_truncated_capture_gives_what_was_before_the_cut_and_exit_1(tmp_path: Path) -> None:
    data = (FIXTURES / "b2bua_calls.pcap").read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: len(data) // 2 + 7])
    out = vostui("analyze", "--json", str(cut))
    assert out.returncode == 1
    assert "truncated" in out.stderr
    assert json.loads(out.stdout)["calls"]


def test_netmon_capture_says_how_to_convert_it() -> None:
    path = need_corpus() / "sip_malformed_protos_fuzz_NETMON_format__c07-sip-r2.cap"
    out = vostui("analyze", str(path))
    assert out.returncode == 2
    assert "editcap -F pcap" in out.stderr
