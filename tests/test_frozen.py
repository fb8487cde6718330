"""The fast constructors build the same immutable objects as the dataclasses do."""

from __future__ import annotations

import dataclasses

import pytest

from vostui.engine.snapshot import MessageRecord, _new_record
from vostui.frozen import fast_constructor
from vostui.net.datagram import Datagram, new_datagram
from vostui.sip.parser import parse_message


def test_positional_keyword_and_defaults_as_the_dataclass() -> None:
    args = (1.5, "10.0.0.1", 5060, "10.0.0.2", 5080, "udp", b"x")
    assert new_datagram(*args) == Datagram(*args)
    assert new_datagram(*args).frame == 0  # the default
    assert new_datagram(*args, frame=7) == Datagram(*args, frame=7)
    with pytest.raises(dataclasses.FrozenInstanceError):
        new_datagram(*args).ts = 2.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        new_datagram(1.5)  # a missing field is an error, as with the dataclass


def test_message_record_as_the_dataclass() -> None:
    dg = Datagram(1.5, "10.0.0.1", 5060, "10.0.0.2", 5080, "udp", b"", 3)
    msg = parse_message(b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n")
    assert MessageRecord.of(9, dg, msg, True) == MessageRecord(
        9, 1.5, "10.0.0.1", 5060, "10.0.0.2", 5080, "udp", msg, True, 3
    )
    assert type(_new_record(9, 1.5, "a", 1, "b", 2, "udp", msg)) is MessageRecord


def test_classes_with_a_factory_or_post_init_keep_their_own_constructor() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class WithFactory:
        items: list[int] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        n: int

        def __post_init__(self) -> None:
            if self.n < 0:
                raise ValueError("negative")

    assert fast_constructor(WithFactory) is WithFactory
    assert fast_constructor(Checked) is Checked
