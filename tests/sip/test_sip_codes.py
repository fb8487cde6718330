"""The response-code reference an operator reads during an incident."""

from __future__ import annotations

import pytest

from vostui.sip.codes import CODES, CodeInfo, lookup, search

# The codes the reference must explain, with their RFC reason phrases.
REQUIRED = {
    100: "Trying",
    180: "Ringing",
    181: "Call Is Being Forwarded",
    183: "Session Progress",
    200: "OK",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Moved Temporarily",
    305: "Use Proxy",
    380: "Alternative Service",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    415: "Unsupported Media Type",
    422: "Session Interval Too Small",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    483: "Too Many Hops",
    484: "Address Incomplete",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    489: "Bad Event",
    491: "Request Pending",
    500: "Server Internal Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Server Time-out",
    600: "Busy Everywhere",
    603: "Decline",
    604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
}


@pytest.mark.parametrize(("code", "phrase"), sorted(REQUIRED.items()))
def test_every_required_code_is_explained(code: int, phrase: str) -> None:
    info = lookup(code)
    assert info.code == code and info.phrase == phrase
    for text in (info.meaning, info.cause, info.check):
        assert len(text) > 10 and text[0].isupper()


def test_entries_are_keyed_by_their_own_code_and_short() -> None:
    for code, info in CODES.items():
        assert info.code == code
        assert 100 <= code <= 699
        assert len(info.meaning) < 200, code  # a line an operator reads at a glance


def test_softswitch_specific_advice_is_there() -> None:
    assert "balance" in lookup(403).cause
    assert "codec" in lookup(488).cause.lower()
    assert "Min-SE" in lookup(422).check
    assert "capacity" in lookup(503).cause
    assert "ACK" in lookup(200).cause


@pytest.mark.parametrize(
    ("code", "phrase"),
    [
        (199, "Early Dialog Terminated"),
        (299, "Success"),
        (399, "Redirection"),
        (499, "Client Error"),
        (599, "Server Error"),
        (699, "Global Failure"),
        (155, "Provisional"),
    ],
)
def test_unlisted_codes_fall_back_on_their_class(code: int, phrase: str) -> None:
    info = lookup(code)
    assert info.code == code and info.phrase == phrase
    assert info.klass == f"{code // 100}xx"


@pytest.mark.parametrize("code", [0, 99, 700, 4294967301, -1])
def test_impossible_codes_are_called_invalid(code: int) -> None:
    assert lookup(code).phrase == "Invalid"


def test_search_by_number_prefix() -> None:
    assert [i.code for i in search("48")] == list(range(480, 490))
    assert [i.code for i in search("503")] == [503]


def test_search_by_word_is_case_insensitive_and_word_anchored() -> None:
    codec = {i.code for i in search("Codec")}
    assert {488, 606} <= codec
    nat = {i.code for i in search("nat")}
    assert 200 in nat and 183 in nat
    assert 380 not in nat  # "alternative" is not about NAT
    busy = {i.code for i in search("BUSY")}
    assert {486, 600} <= busy


def test_search_results_are_sorted_and_empty_query_lists_everything() -> None:
    found = search("gateway")
    assert [i.code for i in found] == sorted(i.code for i in found)
    assert search("") == list(CODES.values())
    assert search("zzzz-nothing") == []
    assert all(isinstance(i, CodeInfo) for i in search("timer"))
