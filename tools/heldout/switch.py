#!/usr/bin/env python3
"""The fixture softswitch (tools/fixtures/b2bua.py) with one addition for the held-out corpus.

Like a VOS3000 "phone" account, a registered account may place calls: an INVITE from
an address that is not a mapping gateway is accepted when its From user holds a live
registration whose Contact is at that address (otherwise 403, as in b2bua.py). That is
what lets a cracked account call premium numbers in `cracked_account.pcap`.

Same command line as b2bua.py: switch.py --config switch.toml --record r.jsonl --run-for S
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "b2bua.py"
_spec = importlib.util.spec_from_file_location("b2bua", FIXTURE)
assert _spec is not None and _spec.loader is not None
b2bua: Any = importlib.util.module_from_spec(_spec)
sys.modules["b2bua"] = b2bua
_spec.loader.exec_module(b2bua)


class HeldoutSwitch(b2bua.Switch):  # type: ignore[misc]
    def on_invite(self, req: Any, source: tuple[str, int]) -> None:
        settings = self.settings
        if source[0] not in settings.mapping and req.call_id not in self.calls:
            user = b2bua.user_of(req.get("from") or "")
            binding = self.bindings.get(user)
            if binding and binding[1] > time.time():
                where = b2bua.host_port(b2bua.uri_of(binding[0]))
                if where and where[0] == source[0]:
                    self.log(f"INVITE from {source[0]}: registered account {user}")
                    self.settings = dataclasses.replace(
                        settings, mapping=(*settings.mapping, source[0])
                    )
        super().on_invite(req, source)


b2bua.Switch = HeldoutSwitch  # serve() looks the class up by name

if __name__ == "__main__":
    sys.exit(b2bua.main())
