"""Conntrack pane (4): conntrack table use, drops and the SIP/RTP entries (vostui/host).

Placeholder until its collector lands; replace `compose` and add `show(...)`.
"""

from __future__ import annotations

from vostui.ui.placeholder import PlaceholderPane


class ConntrackPane(PlaceholderPane):
    NUMBER = 4
    TITLE = "Conntrack"
    WHAT = "conntrack table use, drops and the SIP/RTP entries (vostui/host)"
