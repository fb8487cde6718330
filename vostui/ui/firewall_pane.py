"""Firewall pane (3): iptables rule counters, xt_recent and hashlimit (vostui/host).

Placeholder until its collector lands; replace `compose` and add `show(...)`.
"""

from __future__ import annotations

from vostui.ui.placeholder import PlaceholderPane


class FirewallPane(PlaceholderPane):
    NUMBER = 3
    TITLE = "Firewall"
    WHAT = "iptables rule counters, xt_recent and hashlimit (vostui/host)"
