"""Sparklines and gauges as plain characters, for one line of a pane.

Characters rather than a widget: they sit inside a line of text next to the figure
they illustrate, and they still read on a 16-colour terminal or with NO_COLOR.
"""

from __future__ import annotations

from collections.abc import Sequence

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], width: int, top: float | None = None) -> str:
    """The last `width` values as block characters, scaled to `top` (default: their max).

    A fixed `top` (100 for percentages) keeps a flat 2 % from looking like a full bar.
    """
    if width <= 0 or not values:
        return ""
    shown = list(values)[-width:]
    high = top if top is not None else max(shown)
    if high <= 0:
        return BLOCKS[0] * len(shown)
    last = len(BLOCKS) - 1
    out = []
    for value in shown:
        share = max(0.0, min(1.0, value / high))
        out.append(BLOCKS[round(share * last)])
    return "".join(out)


def gauge(share: float, width: int) -> str:
    """A bar `width` cells long filled to `share` (0..1), in eighths of a cell."""
    if width <= 0:
        return ""
    share = max(0.0, min(1.0, share))
    eighths = round(share * width * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full
    if part and full < width:
        bar += " ▏▎▍▌▋▊▉"[part]
    return bar + "·" * (width - len(bar))
