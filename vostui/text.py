"""Make hostile strings from packets and logs safe to show.

Everything from the network or a log file passes through `clean` once, at the data
boundary: control characters (C0, DEL, C1, ESC) become visible escapes and the length
is capped. The result is still plain text: the UI must wrap it in `rich.text.Text`,
never hand it to a markup parser.
"""

from __future__ import annotations

import re

MAX_FIELD = 512
# C0 (but tab and newline), DEL, C1; and the invisible characters that reorder or hide
# text: bidi embeddings, overrides and isolates, zero-width spaces and joiners, BOM.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(value: str, limit: int = MAX_FIELD) -> str:
    """Escape control characters (tab and newline kept) and cap the length."""
    if len(value) > limit:
        value = value[:limit] + "…"
    return _CONTROL.sub(_escape, value)


def clean_line(value: str, limit: int = MAX_FIELD) -> str:
    """Like `clean`, and also escape tabs and newlines: for one-line cells."""
    value = clean(value, limit)
    return value.replace("\t", "\\t").replace("\n", "\\n")


def decode(data: bytes, limit: int = MAX_FIELD) -> str:
    """Bytes from the wire to a clean string (invalid UTF-8 replaced)."""
    return clean(data[: limit * 4].decode("utf-8", "replace"), limit)
