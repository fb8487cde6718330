"""`vostui doctor`: exit codes, text, JSON, checklists, errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.diagnose.diagnose_support import CONFIG, LABELLED
from vostui.cli import main
from vostui.diagnose import SYMPTOMS

ROOT = Path(__file__).resolve().parents[2]


def doctor(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["--config", str(CONFIG), "doctor", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_traffic_exits_0(capsys) -> None:
    code, out, _err = doctor(capsys, str(LABELLED / "clean.pcap"))
    assert code == 0
    assert "No findings." in out
    assert "host: not checked" in out


def test_warnings_exit_1_and_name_the_checklist(capsys) -> None:
    code, out, _err = doctor(capsys, str(LABELLED / "no_ack_32s.pcap"))
    assert code == 1
    assert "WARNING" in out and "200 OK never ACKed" in out
    assert "--symptom drop_32s" in out


def test_critical_exits_3(capsys) -> None:
    code, out, _err = doctor(capsys, str(LABELLED / "failures_503.pcap"))
    assert code == 3
    assert out.index("CRITICAL") < out.index("WARNING")


def test_json_document(capsys) -> None:
    code, out, _err = doctor(
        capsys, str(LABELLED / "no_ack_32s.pcap"), "--json", "--symptom", "drop_32s"
    )
    doc = json.loads(out)
    assert doc["schema"] == "vostui.doctor/1"
    assert doc["exit_code"] == code == 1
    assert doc["summary"] == {"critical": 0, "warning": 1, "notice": 0, "info": 0}
    (finding,) = doc["findings"]
    assert finding["rule"] == "call.no_ack"
    assert finding["affected"] == {"kind": "gateway", "id": "VEND-1"}
    assert finding["refs"][0]["call"]
    assert finding["first"].endswith("Z")
    (checklist,) = doc["checklists"]
    assert checklist["symptom"] == "drop_32s"
    assert checklist["steps"][0]["status"] == "fail"
    assert {step["status"] for step in checklist["steps"]} <= {
        "pass",
        "fail",
        "seen",
        "not_checked",
        "manual",
    }
    assert finding["calls"] == [ref["call"] for ref in finding["refs"] if ref["call"]]
    assert doc["source"]["files"][0]["frames"] > 0
    assert not doc["host"]["checked"]


def test_every_checklist_runs(capsys) -> None:
    code, out, _err = doctor(capsys, str(LABELLED / "brute_force.pcap"), "--symptom", "all")
    assert code == 1
    for symptom in SYMPTOMS:
        assert f"Checklist: {symptom.title}" in out
    assert out.count("Most likely cause:") == len(SYMPTOMS)


def test_several_files_at_once(capsys) -> None:
    code, out, _err = doctor(
        capsys, str(LABELLED / "register_404.pcap"), str(LABELLED / "g729_inband.pcap"), "--json"
    )
    doc = json.loads(out)
    assert len(doc["source"]["files"]) == 2
    assert {f["rule"] for f in doc["findings"]} == {"registration.not_found", "dtmf.inband_g729"}
    assert code == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["/nonexistent/x.pcap"], "no such file"),
        (["--symptom", "nosuch", "x"], "unknown symptom"),
        ([str(LABELLED / "README.md")], "not a pcap"),
        ([str(LABELLED)], "is a directory"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv: list[str], message: str) -> None:
    code, out, err = doctor(capsys, *argv)
    assert code == 2
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_list(capsys) -> None:
    code, out, _err = doctor(capsys, "--list")
    assert code == 0
    assert "drop_32s" in out and "call.no_ack" in out


def test_live_host_check_without_files() -> None:
    """No FILE: the host collectors and the logs, once, for real; no SIP analysed."""
    result = subprocess.run(
        [sys.executable, "-m", "vostui", "--config", str(CONFIG), "doctor", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode in (0, 1, 3), result.stderr
    doc = json.loads(result.stdout)
    assert doc["source"]["live"] and not doc["source"]["sip_analysed"]
    assert doc["host"]["checked"] and doc["logs"]["checked"]
    assert doc["traffic"]["calls"] == 0
    assert "Traceback" not in result.stderr
