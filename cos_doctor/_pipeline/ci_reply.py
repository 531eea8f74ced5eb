"""Cloud Infinite (data processing, ``ci-process`` / image processing) replies' own error fields.

A failed image download or document preview names its error in the ``X-ErrNo`` response header
(a negative number such as ``-46618``), which may be its only error field; its request ID is
in ``x-ci-request-id`` (Cloud Infinite's Error Codes and Common Response Headers pages; 436/7730,
"Data processing errors"). :func:`ci_error` reads them so a reply without an XML Code still has
one; a Code the body gives always wins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["CiError", "ci_error"]

# Longer than any documented code; a longer value is not one of them.
_MAX_CODE = 16


class CiError(NamedTuple):
    """What a Cloud Infinite reply's headers say: the X-ErrNo code and the request ID."""

    code: str | None
    request_id: str | None


_NONE = CiError(None, None)


def ci_error(headers: Mapping[str, str]) -> CiError:
    """The X-ErrNo code and x-ci-request-id of a reply's (lowercased) headers, when present.

    Only a value shaped like the documented codes (an optional minus sign and digits, not 0)
    counts: anything else in that header is not a code a rule could name.
    """
    raw = headers.get("x-errno")
    if raw is None:
        return _NONE
    code = str(raw).strip()
    digits = code.removeprefix("-")
    if not digits.isdigit() or not digits.isascii() or len(code) > _MAX_CODE or int(digits) == 0:
        return _NONE
    request_id = str(headers.get("x-ci-request-id") or "").strip()
    return CiError(code, request_id or None)
