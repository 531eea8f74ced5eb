"""Printing server-supplied text safely: control characters neutralised, JSON kept valid.

Colour only on a terminal, or wherever ``FORCE_COLOR`` asks for it.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, ClassVar, TextIO

__all__ = ["Output", "colour_wanted", "neutralise"]

# C0 and C1 controls (but newline and tab) and Unicode bidirectional overrides: a server's
# message could otherwise move the cursor, recolour or rewrite the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def neutralise(text: str) -> str:
    r"""``text`` with terminal control characters shown as escapes (ESC becomes ``\x1b``)."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group(0)):02x}", text)


def colour_wanted(stream: TextIO) -> bool:
    """Whether to colour ``stream``: ``FORCE_COLOR`` set, else a terminal without ``NO_COLOR``."""
    # Both conventions count a variable only when set and non-empty, whatever its value. With
    # both set, FORCE_COLOR wins: force-color.org's reference implementation reads NO_COLOR
    # first and lets FORCE_COLOR override it, and no-color.org lets a more specific request
    # (per-instance) override the NO_COLOR default (https://force-color.org, https://no-color.org).
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Output:
    """Writes neutralised text, coloured as :func:`colour_wanted` says."""

    _CODES: ClassVar[dict[str, str]] = {
        "red": "31",
        "green": "32",
        "yellow": "33",
        "bold": "1",
        "dim": "2",
    }

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.colour = colour_wanted(stream)

    def paint(self, text: str, style: str) -> str:
        """``text`` in ``style`` when colour is on (the text is already neutralised)."""
        return f"\x1b[{self._CODES[style]}m{text}\x1b[0m" if self.colour else text

    def line(self, text: str = "", style: str | None = None) -> None:
        """Write one line of (possibly server-supplied) text."""
        clean = neutralise(text)
        self.stream.write((self.paint(clean, style) if style else clean) + "\n")

    def json(self, data: Any) -> None:
        """Write ``data`` as JSON: still valid JSON, with every control character escaped."""
        # json.dumps escapes C0 controls itself; C1 controls and bidirectional overrides get the
        # same \uXXXX escape (valid inside the JSON strings they can only appear in).
        text = json.dumps(data, ensure_ascii=False, indent=2)
        self.stream.write(_CONTROL.sub(lambda found: f"\\u{ord(found.group(0)):04x}", text) + "\n")
