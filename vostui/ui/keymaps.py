"""The console's keys by binding id: a preset (`keymap = "sngrep"`) and the operator's
own `[keys]` table in the config, which wins.

    keymap = "sngrep"
    [keys]
    "call.back" = "escape,q,left"
    "app.quit" = "q,f10"

Every binding of the console has an id (`?` lists the keys; the ids are in the
BINDINGS of vostui/ui); a key string replaces that binding's keys (Textual keymaps).
"""

from __future__ import annotations

import importlib
import pkgutil

from textual.dom import DOMNode

from vostui.config import Config

PRESETS: dict[str, dict[str, str]] = {
    "": {},
    # what differs in sngrep's call list and call flow, where vostui has the function
    "sngrep": {
        "app.quit": "q,f10,escape",  # Esc leaves the call list (a pane's filter clears first)
        "calls.filter": "slash,f3,f7,f",  # f: filter
        "registrations.filter": "slash,f3,f7,f",
        "call.extended": "f4,x",  # x: the call with all its legs (extended flow)
    },
}


def binding_ids() -> frozenset[str]:
    """The id of every binding of the console's screens and widgets."""
    import vostui.ui

    for module in pkgutil.iter_modules(vostui.ui.__path__, "vostui.ui."):
        importlib.import_module(module.name)
    ids: set[str] = set()
    pending: list[type] = [DOMNode]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if not cls.__module__.startswith("vostui.ui"):
            continue
        for binding in cls.__dict__.get("BINDINGS", ()):
            binding_id = getattr(binding, "id", None)
            if binding_id:
                ids.add(binding_id)
    return frozenset(ids)


def keymap_for(config: Config) -> tuple[dict[str, str], list[str]]:
    """(the keymap to apply, the [keys] ids that name no binding)."""
    keymap = {**PRESETS.get(config.keymap, {}), **config.keys}
    unknown = sorted(set(config.keys) - binding_ids()) if config.keys else []
    return keymap, unknown
