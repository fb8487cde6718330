"""Themes load from files; a bad one falls back with a notice; NO_COLOR is honoured."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.color import Color
from textual.filter import Monochrome, NoColor
from ui_fakes import (
    GATEWAYS,
    FakePipeline,
    make_app,
    make_snapshot,
    pilot_test,
    screen_text,
    wait_until,
)

from vostui.config import Config
from vostui.ui.themes import DEFAULT_THEME, ThemeError, load_theme_file, load_themes, theme_dirs

SHIPPED = ("vostui-dark", "vostui-light", "vostui-high-contrast")


def test_the_shipped_themes_load() -> None:
    themes, problems = load_themes(theme_dirs()[:1])
    assert problems == []
    assert set(SHIPPED) <= set(themes)
    assert themes["vostui-light"].dark is False
    assert themes["vostui-high-contrast"].ansi is True  # the terminal's own 16 colours


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('name = "x"\nprimary = "not-a-colour"\n', "not a colour"),
        ('primary = "#123456"\n', "needs name"),
        ('name = "x"\nprimary = "#123456"\nsparkle = true\n', "unknown field"),
        ('name = "x"\nprimary = "#123456"\ndark = "yes"\n', "true or false"),
        ("name = [\n", "x.toml"),
    ],
)
def test_a_bad_theme_file_says_what_is_wrong(tmp_path: Path, body: str, reason: str) -> None:
    path = tmp_path / "x.toml"
    path.write_text(body)
    with pytest.raises(ThemeError, match=reason):
        load_theme_file(path)
    themes, problems = load_themes([tmp_path])
    assert themes == {} and len(problems) == 1


@pilot_test
async def test_the_configured_theme_is_used() -> None:
    app = make_app(config=Config(gateways=GATEWAYS, theme="vostui-light"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "vostui-light"


@pilot_test
async def test_an_unknown_theme_falls_back_with_a_notification() -> None:
    app = make_app(config=Config(gateways=GATEWAYS, theme="no-such-theme"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == DEFAULT_THEME
        assert any("no-such-theme" in str(n.message) for n in app._notifications)


@pilot_test
async def test_themes_switch_from_the_palette() -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("colon", *"theme: vostui-high")
        assert await wait_until(pilot, lambda: "Theme: vostui-high-contrast" in screen_text(app))
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "vostui-high-contrast"


@pilot_test
async def test_no_color_draws_without_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(FakePipeline(make_snapshot(10)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.no_color
        # no colour at all (no-color.org), not Textual's greys: the terminal's own colours
        assert any(isinstance(f, NoColor) for f in app._filters)
        assert not any(isinstance(f, Monochrome) for f in app._filters)
        filtered = [
            segment
            for strip in app.screen._compositor.render_strips()
            for segment in strip.apply_filter(app._filters[-1], Color(0, 0, 0))
        ]
        for segment in filtered:
            style = segment.style
            if style is None:
                continue
            for colour in (style.color, style.bgcolor):
                assert colour is None or colour.is_default, (segment.text, style)
        # the cursor bar stays visible: reverse where a colour was
        assert any(s.style is not None and s.style.reverse for s in filtered)
    # the real terminal's escapes: tests/ui/test_ui_tmux.py
