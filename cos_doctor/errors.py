"""The exception cos_doctor raises in place of the SDK's, and how it is built.

Hierarchy (everything users already catch keeps catching)::

    Exception
     └── qcloud_cos.cos_exception.CosException
          └── qcloud_cos.cos_exception.CosServiceError      raised by the SDK for 3xx-5xx replies
               └── cos_doctor.CosDiagnosedError             same args, same getters, + .diagnosis

``CosDiagnosedError`` never originates a failure: it is always a copy of a ``CosServiceError``
the SDK raised, carrying the SDK's state unchanged plus a :class:`~cos_doctor.Diagnosis`.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from qcloud_cos.cos_exception import CosServiceError

if TYPE_CHECKING:
    from cos_doctor.diagnosis import Diagnosis

__all__ = ["CosDiagnosedError", "diagnosed_copy"]

# Python 3.11+ prints exception notes under the traceback, so the one-line str() can stay
# short; older interpreters only print str(), which must then carry the whole report.
_NOTES_ARE_PRINTED = sys.version_info >= (3, 11)


class CosDiagnosedError(CosServiceError):  # type: ignore[misc]  # the SDK ships no type hints
    """A ``CosServiceError`` that knows what went wrong.

    Catch it as ``CosServiceError`` as before: ``args``, ``get_error_code()`` and every other
    getter return exactly what the SDK's exception returned. ``diagnosis`` holds the
    :class:`~cos_doctor.Diagnosis`. ``str(e)`` starts with a one-line headline (status, code,
    server message, rule id); the cause, evidence and numbered fix steps follow in the
    traceback (as exception notes on Python 3.11+, inside ``str(e)`` before that).
    """

    diagnosis: Diagnosis | None = None

    def __str__(self) -> str:
        """Return the headline, plus the full report where notes are not printed."""
        if self.diagnosis is None:
            return str(super().__str__())
        if _NOTES_ARE_PRINTED:
            return self.diagnosis.headline()
        return f"{self.diagnosis.headline()}\n{self.diagnosis.render()}"


# Shown in tracebacks and reprs as users import it; pickle finds it there too.
CosDiagnosedError.__module__ = "cos_doctor"


def diagnosed_copy(error: Any, diagnosis: Diagnosis) -> CosDiagnosedError:
    """Return a ``CosDiagnosedError`` with ``error``'s args and state, plus ``diagnosis``.

    The SDK's ``__init__`` is not re-run (it would parse the XML body again); the new object
    gets the same ``args`` and a copy of the instance dictionary instead, so pickling (which
    replays ``cls(*args)`` and then restores the dictionary) round-trips exactly.
    """
    copy: CosDiagnosedError = CosDiagnosedError.__new__(CosDiagnosedError, *error.args)
    copy.__dict__.update(error.__dict__)
    copy.diagnosis = diagnosis
    if _NOTES_ARE_PRINTED:
        copy.__notes__ = [*getattr(error, "__notes__", ()), diagnosis.render()]
    return copy
