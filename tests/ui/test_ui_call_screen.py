"""The call screen: ladder, selected message, toggles and exports."""

from __future__ import annotations

from pathlib import Path

from ui_fakes import (
    FakePipeline,
    make_app,
    make_call,
    make_snapshot,
    pilot_test,
    screen_text,
    wait_until,
)

from vostui.ui.call_screen import CallScreen, export_name
from vostui.ui.ladder_view import LadderView
from vostui.ui.save_box import ConfirmScreen, SaveBox


async def open_call(pilot, app, key: str) -> CallScreen:  # type: ignore[no-untyped-def]
    await pilot.pause()
    table = app.screen.query_one("#calls-table")
    assert table.select_key(key)
    await pilot.press("enter")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, CallScreen)
    return screen


@pilot_test
async def test_the_ladder_merges_both_legs_with_named_columns() -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_call(pilot, app, "a-3@cust")
        text = screen_text(app)
        # columns named from the config's gateways and the softswitch seen in the snapshot
        assert "cust-net" in text and "softswitch" in text and "vendor-net" in text
        assert "10.0.1.4:5060" in text and "10.0.0.2:5060" in text and "10.0.2.1:5060" in text
        ladder = screen.query_one(LadderView).ladder
        labels = [a.label for a in ladder.arrows]
        assert labels[0] == "INVITE" and labels[-1] == "200 OK"
        assert labels.count("INVITE") == 2 and labels.count("BYE") == 2  # A and B leg
        assert {a.leg for a in ladder.arrows} == {0, 1}
        assert "INVITE SDP" in text and "BYE" in text


@pilot_test
async def test_arrow_keys_move_between_messages_and_show_each_one() -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_call(pilot, app, "a-3@cust")
        text = screen_text(app)
        assert "INVITE sip:44200000003@10.0.0.2 SIP/2.0" in text
        assert "audio 10.0.1.4:20000 PCMU,PCMA sendrecv" in text
        assert "telephone-event/101" in text
        await pilot.press("down")
        await pilot.pause()
        text = screen_text(app)
        assert "#2 " in text and "SIP/2.0 100 Trying" in text
        await pilot.press("end")
        await pilot.pause()
        assert "SIP/2.0 200 OK" in screen_text(app) and "CSeq: 2 BYE" in screen_text(app)


@pilot_test
async def test_retransmissions_are_marked_and_t_toggles_delta_time() -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_call(pilot, app, "a-7@cust")  # every seventh call retransmits
        ladder = screen.query_one(LadderView).ladder
        assert [a.retransmission for a in ladder.arrows].count(True) == 1
        assert "INVITE SDP retx" in screen_text(app)
        assert "│22:13:34.000 " in screen_text(app)
        await pilot.press("t")
        await pilot.pause()
        text = screen_text(app)
        assert "│+0.000 " in text and "│+0.010 " in text
        assert "│22:13:34.000 " not in text  # the ladder's time column; the message head keeps it


@pilot_test
async def test_l_shows_one_leg_at_a_time_then_both_again() -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_call(pilot, app, "a-3@cust")
        view = screen.query_one(LadderView)
        assert len(view.ladder.columns) == 3
        await pilot.press("l")
        await pilot.pause()
        assert {a.leg for a in view.ladder.arrows} == {0} and len(view.ladder.columns) == 2
        assert "legs: leg 1/2 a cust-4 " in screen_text(app)
        await pilot.press("l")
        await pilot.pause()
        assert {a.leg for a in view.ladder.arrows} == {1}
        await pilot.press("l")
        await pilot.pause()
        assert {a.leg for a in view.ladder.arrows} == {0, 1}
        await pilot.press("f4")  # sngrep's extended view: all legs <-> the A-leg
        await pilot.pause()
        assert {a.leg for a in view.ladder.arrows} == {0}
        await pilot.press("f4")
        await pilot.pause()
        assert {a.leg for a in view.ladder.arrows} == {0, 1}


@pilot_test
async def test_s_saves_the_call_as_pcap_and_w_as_a_text_ladder(tmp_path: Path) -> None:
    pipeline = FakePipeline(make_snapshot(10))
    app = make_app(pipeline, export_dir=str(tmp_path))
    async with app.run_test(size=(160, 48)) as pilot:
        await open_call(pilot, app, "a-3@cust")
        await pilot.press("s")
        await pilot.pause()
        box = app.screen.query_one(SaveBox)
        offered = box.input.value
        assert offered.startswith(str(tmp_path) + "/vostui-a-3_cust-") and offered.endswith(".pcap")
        assert "save pcap to:" in screen_text(app)
        assert pipeline.exports == []  # asked, not yet saved
        await pilot.press("enter")
        await pilot.pause()
        assert len(pipeline.exports) == 1
        count, path = pipeline.exports[0]
        assert count == 14 and path == offered
        await pilot.press("w", "enter")
        await pilot.pause()
        texts = list(tmp_path.glob("*.txt"))
        assert len(texts) == 1
        body = texts[0].read_text()
        assert "Call a-3@cust" in body and "|--INVITE SDP" in body and "CSeq: 2 BYE" in body


@pilot_test
async def test_saving_never_overwrites_without_asking(tmp_path: Path) -> None:
    pipeline = FakePipeline(make_snapshot(10))
    app = make_app(pipeline, export_dir=str(tmp_path))
    async with app.run_test(size=(160, 48)) as pilot:
        await open_call(pilot, app, "a-3@cust")
        await pilot.press("f2", "enter")  # F2 as in sngrep
        await pilot.pause()
        (saved,) = tmp_path.glob("*.pcap")
        saved.write_bytes(b"the first one")
        await pilot.press("f2", "enter")  # the same name again
        assert await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "exists. Overwrite it?" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, CallScreen)
        assert saved.read_bytes() == b"the first one" and len(pipeline.exports) == 1
        await pilot.press("s", "enter", "y")
        await pilot.pause()
        assert saved.read_bytes() == b"fake pcap\n" and len(pipeline.exports) == 2


@pilot_test
async def test_the_path_can_be_changed_and_esc_saves_nothing(tmp_path: Path) -> None:
    pipeline = FakePipeline(make_snapshot(10))
    app = make_app(pipeline, export_dir=str(tmp_path))
    (tmp_path / "cases").mkdir()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_call(pilot, app, "a-3@cust")
        await pilot.press("s", "escape")
        await pilot.pause()
        assert isinstance(app.screen, CallScreen)  # Esc closed the row, not the screen
        assert not app.screen.query_one(SaveBox).shown and pipeline.exports == []
        await pilot.press("s", "ctrl+u", *"mine.pcap", "enter")  # relative: the save dir
        await pilot.pause()
        assert (tmp_path / "mine.pcap").exists()
        await pilot.press("s", "ctrl+u", *"cases", "enter")  # a directory: the offered name
        await pilot.pause()
        (inside,) = (tmp_path / "cases").glob("*.pcap")
        assert inside.name.startswith("vostui-a-3_cust-")


@pilot_test
async def test_the_save_directory_comes_from_the_config(tmp_path: Path) -> None:
    from dataclasses import replace

    from vostui.config import Config

    config = replace(Config(refresh=0.1), save_dir=str(tmp_path / "captures"))
    (tmp_path / "captures").mkdir()
    pipeline = FakePipeline(make_snapshot(10))
    app = make_app(pipeline, config=config)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_call(pilot, app, "a-3@cust")
        await pilot.press("s")
        await pilot.pause()
        assert app.screen.query_one(SaveBox).input.value.startswith(str(tmp_path / "captures"))


def test_export_names_keep_only_safe_characters() -> None:
    name = export_name("../../etc/passwd;rm -rf /\x1b[2J", "pcap", 1_700_000_000.0)
    assert name.startswith("vostui-etc_passwd_rm_-rf_")
    assert "/" not in name and "\x1b" not in name and name.endswith("-20231114-221320.pcap")


@pilot_test
async def test_a_live_call_updates_in_place_and_keeps_the_selected_message() -> None:
    ringing = make_call(2, final=0)  # INVITE, 100, 180 so far
    pipeline = FakePipeline(make_snapshot(2, extra_calls=[ringing], version=1))
    app = make_app(pipeline)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_call(pilot, app, ringing.key)
        view = screen.query_one(LadderView)
        before = len(view.ladder.arrows)
        await pilot.press("down")
        selected = view.selected
        assert selected is not None
        answered = make_call(2, final=200, talk=None)
        pipeline.set(make_snapshot(2, extra_calls=[answered], version=2))
        app.pull()  # what the refresh timer does, without waiting for it
        await pilot.pause()
        assert len(view.ladder.arrows) > before
        assert view.selected is not None
        assert view.selected.record.index == selected.record.index
        assert "200 OK" in screen_text(app)
