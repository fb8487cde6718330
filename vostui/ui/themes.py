"""Themes as TOML files: the fields of `textual.theme.Theme` plus a [variables] table.

Looked up in the shipped `themes/` folder, then ~/.config/vostui/themes and
/etc/vostui/themes (a later folder's file of the same name wins). A file that does
not load is reported, never fatal: the app falls back and says why.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_THEME = "vostui-dark"
COLOR_FIELDS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
KNOWN = {f.name for f in fields(Theme)}


class ThemeError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ThemeProblem:
    path: str
    reason: str


def theme_dirs() -> list[Path]:
    package = Path(__file__).resolve().parents[1]
    return [
        package.parent / "themes",  # source checkout
        package / "_themes",  # installed wheel (pyproject force-include)
        Path("/etc/vostui/themes"),
        Path.home() / ".config" / "vostui" / "themes",
    ]


def _color(name: str, value: Any, path: Path) -> str:
    if not isinstance(value, str):
        raise ThemeError(f"{path.name}: {name} must be a colour string")
    try:
        Color.parse(value)
    except ColorParseError as exc:
        raise ThemeError(f"{path.name}: {name} = {value!r} is not a colour") from exc
    return value


def theme_from_mapping(data: dict[str, Any], path: Path) -> Theme:
    unknown = set(data) - KNOWN
    if unknown:
        raise ThemeError(f"{path.name}: unknown field(s) {', '.join(sorted(unknown))}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ThemeError(f'{path.name}: needs name = "..."')
    if "primary" not in data:
        raise ThemeError(f'{path.name}: needs primary = "#rrggbb"')
    values: dict[str, Any] = {"name": name.strip()}
    for key in COLOR_FIELDS:
        if key in data:
            values[key] = _color(key, data[key], path)
    for key in ("dark", "ansi"):
        if key in data:
            if not isinstance(data[key], bool):
                raise ThemeError(f"{path.name}: {key} must be true or false")
            values[key] = data[key]
    for key in ("luminosity_spread", "text_alpha"):
        if key in data:
            if not isinstance(data[key], int | float):
                raise ThemeError(f"{path.name}: {key} must be a number")
            values[key] = float(data[key])
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ThemeError(f"{path.name}: [variables] must map names to strings")
    values["variables"] = {str(k): v for k, v in variables.items()}
    if values.get("ansi"):
        # Textual's styles refer to these in ANSI mode; a theme without them fails to apply
        values["variables"].setdefault("ansi-background", "ansi_default")
        values["variables"].setdefault("ansi-foreground", "ansi_default")
    theme = Theme(**values)
    try:
        theme.to_color_system()  # the same derivation Textual does when the theme is applied
    except Exception as exc:
        raise ThemeError(f"{path.name}: {exc}") from exc
    return theme


def load_theme_file(path: Path) -> Theme:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeError(f"{path.name}: {exc}") from exc
    except OSError as exc:
        raise ThemeError(f"{path.name}: {exc.strerror}") from exc
    return theme_from_mapping(data, path)


def load_themes(dirs: list[Path] | None = None) -> tuple[dict[str, Theme], list[ThemeProblem]]:
    """Every theme file that loads, by name, and what was wrong with the others."""
    themes: dict[str, Theme] = {}
    problems: list[ThemeProblem] = []
    for folder in theme_dirs() if dirs is None else dirs:
        try:
            paths = sorted(folder.glob("*.toml"))
        except OSError:
            continue
        for path in paths:
            try:
                theme = load_theme_file(path)
            except ThemeError as exc:
                problems.append(ThemeProblem(str(path), str(exc)))
                continue
            themes[theme.name] = theme
    return themes, problems
