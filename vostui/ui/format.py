"""Small formatting helpers shared by the panes and screens.

`safe` is the one way a string from a packet or a log becomes something drawable:
cleaned (control characters escaped, length capped) and wrapped in `Text`, which
Rich never parses as markup.
"""

from __future__ import annotations

import time

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Text

from vostui.text import clean_line

# Styles for textual Content: theme variables, so every theme (and NO_COLOR) applies.
# The base colours, not the $text-* tints: on a 16-colour terminal the tints came out
# as plain white, and a failed call no longer stood out. Bold survives NO_COLOR.
BAD = "$error bold"
WARN = "$warning bold"
GOOD = "$success"
QUIET = "$text-muted"
ACCENT = "$text-accent bold"


def foreground(style: Style) -> Style:
    """A style's colour and attributes without its background.

    For tones drawn over a cursor bar: the full component style has the theme's
    alpha colours blended (a partial one does not, and `$text-muted` came out as
    the background colour), but its background would hide the cursor's.
    """
    return Style(
        color=style.color,
        bold=style.bold,
        dim=style.dim,
        italic=style.italic,
        underline=style.underline,
        strike=style.strike,
        reverse=style.reverse,
    )


def safe(value: str, style: Style | str = "", limit: int = 512) -> Text:
    """Untrusted one-line string to literal `Text` (never markup)."""
    return Text(clean_line(value, limit), style=style, no_wrap=True, end="")


def clock(ts: float | None) -> str:
    """Local time of day, HH:MM:SS."""
    if ts is None:
        return ""
    return time.strftime("%H:%M:%S", time.localtime(ts))


def duration(seconds: float | None) -> str:
    """0:07, 12:04, 1:02:03."""
    if seconds is None:
        return ""
    whole = int(max(0.0, seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def seconds(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def rate(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}"


def count(value: int | None) -> str:
    """Compact counts: 999, 12.3k, 4.5M; "?" when unknown."""
    if value is None:
        return "?"
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"{value / 1000:.1f}k"
    return str(value)


def fit(text: str, width: int) -> str:
    """Cut to `width` cells with an ellipsis, pad to `width`."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)
