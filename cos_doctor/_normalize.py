"""Fold the many spellings of one server message into one comparable string."""

from __future__ import annotations

import re

__all__ = ["fold_case", "normalize_message"]

# Real servers and docs disagree on apostrophes: &apos;, ', ‘, ’, `, and the prime sign.
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "`": "'", "\u2032": "'"})
_WHITESPACE = re.compile(r"\s+")


def normalize_message(message: str | None, *, casefold: bool = True) -> str:
    """Return ``message`` in the one form rules compare against.

    Entities unescaped, quotes folded to ``'``, whitespace collapsed, one final period
    dropped, and (unless ``casefold`` is false) case-folded. ``None`` becomes "".
    """
    if not message:
        return ""
    if "&" in message:  # an entity: html (1 ms to import) is loaded only for one
        import html

        message = html.unescape(message)
    text = message.translate(_QUOTES)
    text = _WHITESPACE.sub(" ", text).strip()
    if text.endswith("."):
        text = text[:-1].rstrip()
    return text.casefold() if casefold else text


def fold_case(text: str) -> str:
    """``text`` lowercased the way re.IGNORECASE compares it with a pattern's ASCII letters.

    Besides ASCII case, IGNORECASE equates İ and ı with i and ſ with s (and the Kelvin sign,
    which lower() already maps to k). Replacing them first keeps every position in place, so
    a phrase found with ``in`` here is one a case-insensitive pattern would find.
    """
    if not text.isascii():
        text = text.replace("\u0130", "i").replace("\u0131", "i").replace("\u017f", "s")
    return text.lower()
