"""System pane (5): CPU, memory, disk and the softswitch's processes (vostui/host).

Placeholder until its collector lands; replace `compose` and add `show(...)`.
"""

from __future__ import annotations

from vostui.ui.placeholder import PlaceholderPane


class SystemPane(PlaceholderPane):
    NUMBER = 5
    TITLE = "System"
    WHAT = "CPU, memory, disk and the softswitch's processes (vostui/host)"
