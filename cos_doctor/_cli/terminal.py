"""Printing server-supplied text safely: control characters neutralised, colour only on a TTY."""

from __future__ import annotations

import os
import re
from typing import ClassVar, TextIO

__all__ = ["Output", "neutralise"]

# C0 and C1 controls (but newline and tab) and Unicode bidirectional overrides: a server's
# message could otherwise move the cursor, recolour or rewrite the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def neutralise(text: str) -> str:
    r"""``text`` with terminal control characters shown as escapes (ESC becomes ``\x1b``)."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group(0)):02x}", text)


class Output:
    """Writes neutralised text, coloured only on a terminal without ``NO_COLOR``."""

    _CODES: ClassVar[dict[str, str]] = {
        "red": "31",
        "green": "32",
        "yellow": "33",
        "bold": "1",
        "dim": "2",
    }

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        isatty = getattr(stream, "isatty", None)
        self.colour = bool(isatty and isatty()) and not os.environ.get("NO_COLOR")

    def paint(self, text: str, style: str) -> str:
        """``text`` in ``style`` when colour is on (the text is already neutralised)."""
        return f"\x1b[{self._CODES[style]}m{text}\x1b[0m" if self.colour else text

    def line(self, text: str = "", style: str | None = None) -> None:
        """Write one line of (possibly server-supplied) text."""
        clean = neutralise(text)
        self.stream.write((self.paint(clean, style) if style else clean) + "\n")
