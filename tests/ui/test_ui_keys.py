"""Keys as an sngrep user expects them: q and Esc go back (q on the dashboard quits),
F-keys where the function exists, keys applied in order however fast they come,
zoom that keeps the status and key bars."""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Input
from ui_fakes import FakePipeline, make_app, make_snapshot, pilot_test, screen_text, wait_until

from vostui.ui.call_screen import CallScreen
from vostui.ui.calls_pane import CallsPane
from vostui.ui.dashboard import DashboardScreen
from vostui.ui.registration_screen import RegistrationScreen
from vostui.ui.registrations_pane import RegistrationsPane
from vostui.ui.table import RowTable


async def burst(app, *keys: str) -> None:  # type: ignore[no-untyped-def]
    """Keys as a terminal delivers them when typed fast: all read before any has acted
    (Pilot's press waits for the app to settle after each key; a terminal does not)."""
    for key in keys:
        character = key if len(key) == 1 else None
        if key == "slash":
            character = "/"
        app._driver.send_message(events.Key(key, character))


def shown_keys(app) -> list[str]:  # type: ignore[no-untyped-def]
    table = app.screen.query_one("#calls-table", RowTable)
    return [table.source.key(i) for i in range(len(table.source))]


@pilot_test
async def test_q_goes_back_from_the_call_screen_and_quits_on_the_dashboard() -> None:
    pipeline = FakePipeline(make_snapshot(10))
    app = make_app(pipeline)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CallScreen)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen) and app.is_running
        await pilot.press("2", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RegistrationScreen)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen) and app.is_running
        for key in ("exclamation_mark", "c", "L", "F"):  # findings, checklist, logs, firewall
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, DashboardScreen), key
            await pilot.press("q")
            await pilot.pause()
            assert isinstance(app.screen, DashboardScreen) and app.is_running, key
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0 and pipeline.stopped == 1


@pilot_test
async def test_f10_quits_from_a_sub_screen() -> None:
    app = make_app(FakePipeline(make_snapshot(5)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CallScreen)
        assert "f10 Quit" in screen_text(app)  # q is Back here: the bar says how to leave
        await pilot.press("f10")
        await pilot.pause()
    assert app.return_code == 0


@pilot_test
async def test_f7_filters_f5_clears_f1_helps_in_both_lists() -> None:
    app = make_app(FakePipeline(make_snapshot(30, registrations=9)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f7", *"486", "enter")
        await pilot.pause()
        assert len(shown_keys(app)) == 2
        await pilot.press("f5")
        await pilot.pause()
        assert len(shown_keys(app)) == 30
        await pilot.press("2", "f7", *"code=403", "enter")
        await pilot.pause()
        registrations = app.screen.query_one(RegistrationsPane)
        assert len(registrations.table.source) == 3
        await pilot.press("f5")
        await pilot.pause()
        assert len(registrations.table.source) == 9
        await pilot.press("f1")
        await pilot.pause()
        text = screen_text(app)
        assert "Keys: Dashboard" in text and "f5" in text


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
@pilot_test
async def test_3z_typed_fast_zooms_pane_3_and_keeps_the_status_and_key_bars(
    size: tuple[int, int],
) -> None:
    app = make_app(FakePipeline(make_snapshot(10)))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        await burst(app, "3", "z")
        assert await wait_until(pilot, lambda: screen.maximized is not None)
        await pilot.pause()
        assert screen.maximized is screen.pane(3)
        text = screen_text(app)
        assert "[3] Firewall" in text and "[1] Calls" not in text
        lines = text.rstrip("\n").splitlines()
        assert "file: fake.pcap" in lines[-2]  # the status bar
        assert "Zoom" in lines[-1]  # the key bar
        await burst(app, "z", "2", "z")  # unzoom, another pane, zoom it
        assert await wait_until(pilot, lambda: screen.maximized is screen.pane(2))


@pilot_test
async def test_text_typed_fast_after_slash_goes_into_the_filter() -> None:
    app = make_app(FakePipeline(make_snapshot(30)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        # c is the checklist and o sorts, on the list; after / they are text
        await burst(app, "slash", *"code=486", "enter", "z")
        box = app.screen.query_one(CallsPane).filter_box
        assert await wait_until(pilot, lambda: app.screen.maximized is not None)
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert box.text == "code=486" and box.input.value == "code=486"
        assert len(shown_keys(app)) == 2
        assert isinstance(app.focused, RowTable)  # Enter went back to the list; z zoomed it
        await burst(app, "z", "slash", *"oc", "escape", "enter")
        assert await wait_until(pilot, lambda: isinstance(app.screen, CallScreen))
        assert box.text == "" and not isinstance(app.focused, Input)


def config_from(tmp_path, text: str):  # type: ignore[no-untyped-def]
    from vostui.config import Config, load_file

    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_file(Config(refresh=0.1), path)


@pilot_test
async def test_keys_in_the_config_rebind_by_binding_id(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = config_from(
        tmp_path,
        '[keys]\n"call.back" = "escape,left"\n"app.quit" = ["f10", "ctrl+q"]\n"no.such" = "x"\n',
    )
    assert config.keys == {"call.back": "escape,left", "app.quit": "f10,ctrl+q", "no.such": "x"}
    app = make_app(FakePipeline(make_snapshot(5)), config=config)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        said = [n.message for n in app._notifications]
        assert any("[keys] no.such: no such binding" in m for m in said), said
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CallScreen)
        await pilot.press("q")  # no longer bound here: nothing happens
        await pilot.pause()
        assert isinstance(app.screen, CallScreen)
        await pilot.press("left")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("q")  # not quit any more
        await pilot.pause()
        assert app.is_running
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


@pilot_test
async def test_the_sngrep_keymap(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = config_from(tmp_path, 'keymap = "sngrep"\n')
    app = make_app(FakePipeline(make_snapshot(30)), config=config)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f", *"486", "enter")  # f filters, as F7
        await pilot.pause()
        assert len(shown_keys(app)) == 2
        await pilot.press("escape")  # a filter clears first
        await pilot.pause()
        assert len(shown_keys(app)) == 30 and app.is_running
        await pilot.press("enter", "x")  # x: all legs or the A-leg (extended)
        await pilot.pause()
        assert isinstance(app.screen, CallScreen) and app.screen.only_leg == 0
        await pilot.press("escape")  # back from the call
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("escape")  # Esc leaves the call list, as in sngrep
        await pilot.pause()
    assert app.return_code == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('keymap = "emacs"\n', "keymap: 'emacs' is not one of '', 'sngrep'"),
        ("keys = 3\n", "[keys] must be a table"),
        ('[keys]\n"app.quit" = 3\n', "[keys] app.quit: keys as a string"),
    ],
)
def test_a_bad_keymap_is_refused_when_the_config_loads(tmp_path, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    from vostui.config import ConfigError

    with pytest.raises(ConfigError) as caught:
        config_from(tmp_path, text)
    assert message in str(caught.value)
