"""Logs pane (6): the softswitch's log files, followed like a pager (vostui/host/logs.py).

Placeholder until its collector lands; replace `compose` and add `show(...)`.
"""

from __future__ import annotations

from vostui.ui.placeholder import PlaceholderPane


class LogsPane(PlaceholderPane):
    NUMBER = 6
    TITLE = "Logs"
    WHAT = "the softswitch's log files, followed like a pager (vostui/host/logs.py)"
