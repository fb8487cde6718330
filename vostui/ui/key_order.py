"""Keys act in the order they were typed, however fast they come.

Textual hands every key to the widget focused when the key is read, at once. Keys that
arrive together (typed fast, a terminal's burst, `tmux send-keys 3z`) were all handed
to the widget focused before the first of them had acted: `3z` zoomed the pane that had
focus before `3`, `/c` opened the checklist instead of typing `c` into the filter, and
`Enter z` after a filter typed `z` into it.

Here the app hands on one key at a time: after a key, a marker message follows it
through the same queues (the focused widget, up to the app); when the marker is back,
the key has been handled, and `SETTLE_ROUNDS` more markers let what the key started
(a Submitted, a focus change) land before the next key is handed on. A marker lost
with a closed screen cannot stall the keyboard: after `STALL_AFTER` seconds the next
key goes anyway.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Generic, TypeVar

from textual import events
from textual.app import App
from textual.message import Message

ReturnType = TypeVar("ReturnType")

SETTLE_ROUNDS = 2
STALL_AFTER = 0.5  # seconds


class KeyHandled(Message):
    """The marker that follows a key (bubbles up to the app)."""

    def __init__(self, rounds: int, serial: int) -> None:
        super().__init__()
        self.rounds = rounds
        self.serial = serial


class KeyOrder(App[ReturnType], Generic[ReturnType]):
    """Mixed into the app: one key at a time, each after the one before has acted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting_keys: deque[events.Key] = deque()
        self._key_serial = 0
        self._key_busy_since: float | None = None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            busy = self._key_busy_since
            if busy is not None and time.monotonic() - busy < STALL_AFTER:
                self._waiting_keys.append(event)
                return
            if busy is not None:  # a marker was lost: do not wait for it any longer
                self._waiting_keys.append(event)
                await self._next_key()
                return
            await self._hand_on(event)
            return
        await super().on_event(event)

    async def _hand_on(self, event: events.Key) -> None:
        self._key_serial += 1
        self._key_busy_since = time.monotonic()
        await super().on_event(event)
        self._mark(SETTLE_ROUNDS)
        self.set_timer(STALL_AFTER, self._stalled)

    def _mark(self, rounds: int) -> None:
        target = self.focused if self.focused is not None else self.screen
        if not target.post_message(KeyHandled(rounds, self._key_serial)):
            self.post_message(KeyHandled(rounds, self._key_serial))

    async def on_key_handled(self, message: KeyHandled) -> None:
        message.stop()
        if message.serial != self._key_serial or self._key_busy_since is None:
            return  # a marker from before a stall
        if message.rounds > 0:
            self._mark(message.rounds - 1)
            return
        await self._next_key()

    async def _next_key(self) -> None:
        self._key_busy_since = None
        if self._waiting_keys:
            await self._hand_on(self._waiting_keys.popleft())

    async def _stalled(self) -> None:
        busy = self._key_busy_since
        if busy is not None and time.monotonic() - busy >= STALL_AFTER:
            await self._next_key()
