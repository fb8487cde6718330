"""Typed messages for moving between screens.

Whoever wants to go somewhere posts one of these; it bubbles up to the app, which
alone knows the screens and handles them in one place (`VostuiApp`). A screen never
reaches into another screen's widgets to get there.
"""

from __future__ import annotations

from textual.message import Message


def registration_id(account: str, source: str) -> str:
    """The key of a registration (account from source) in lists and messages."""
    return f"{account}\x00{source}"


class OpenCall(Message):
    """Open a call's ladder: `key` is the `CallView.key`, `message` the engine index of
    a message to put the cursor on (0: the first)."""

    def __init__(self, key: str, message: int = 0) -> None:
        super().__init__()
        self.key = key
        self.message = message


class OpenRegistration(Message):
    """Open a registration's history: `key` is `registration_id(account, source)`."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    @classmethod
    def of(cls, account: str, source: str) -> OpenRegistration:
        return cls(registration_id(account, source))


class FilterCalls(Message):
    """Back to the dashboard with the calls filtered by `text` (vostui/filters.py)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
