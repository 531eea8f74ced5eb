"""The exception cos_doctor raises in place of the SDK's, and how it is built.

Hierarchy (everything users already catch keeps catching)::

    Exception
     └── qcloud_cos.cos_exception.CosException
          ├── qcloud_cos.cos_exception.CosServiceError      raised by the SDK for 3xx-5xx replies
          │    └── cos_doctor.CosDiagnosedError             same args, same getters, + .diagnosis
          └── qcloud_cos.cos_exception.CosClientError       network, TLS, proxy, argument errors
               └── cos_doctor.CosDiagnosedClientError       same args, same message, + .diagnosis

Neither ever originates a failure: each is a copy of an exception the SDK raised, carrying the
SDK's state unchanged plus a :class:`~cos_doctor.Diagnosis`.
"""

from __future__ import annotations

import sys
import weakref
from typing import TYPE_CHECKING, Any, Callable

from qcloud_cos.cos_exception import CosClientError, CosServiceError

if TYPE_CHECKING:
    from cos_doctor.diagnosis import Diagnosis

__all__ = [
    "CosDiagnosedClientError",
    "CosDiagnosedError",
    "attach_builder",
    "diagnose_in_place",
    "diagnosed_copy",
]

# Python 3.11+ prints exception notes under the traceback, so the one-line str() can stay
# short; older interpreters only print str(), which must then carry the whole report.
_NOTES_ARE_PRINTED = sys.version_info >= (3, 11)
# Instance-dictionary keys of the lazily rendered note.
_NOTES = "_cos_doctor_notes"  # the list, once rendered (or set, or added to)
_EARLIER_NOTES = "_cos_doctor_earlier_notes"  # the SDK exception's own notes, to come first
NOTES_ARE_PRINTED = _NOTES_ARE_PRINTED
# The builders of diagnoses not read yet, by exception: outside the exception, so nothing
# public (its attributes, vars(), repr, a pickle) reaches what they hold (a request's
# secrets); weak, so an exception nobody reads leaves nothing behind.
_PENDING: weakref.WeakKeyDictionary[BaseException, Callable[[], Diagnosis]] = (
    weakref.WeakKeyDictionary()
)


class _Diagnosed:
    """What both diagnosed exceptions add: ``diagnosis``, its headline, its note.

    ``str(e)`` is the headline (plus the report where notes are not printed). ``__notes__``
    is rendered on first access: the report costs more to word than to build. Tracebacks,
    ``traceback.format_exception``, Sentry-style consumers and ``add_note()`` all read
    ``__notes__`` through attribute access, so each sees the same real list of strings it
    would have seen had the note been rendered when the exception was made.
    """

    @property
    def diagnosis(self) -> Diagnosis | None:
        """The :class:`~cos_doctor.Diagnosis`, built, sealed and kept on first read."""
        state = self.__dict__
        found: Diagnosis | None = state.get("diagnosis")
        if found is None:
            build = _PENDING.get(self)  # type: ignore[call-overload]
            if build is None:
                return None
            found = state.setdefault("diagnosis", _built(build))  # a concurrent reader's wins
            _PENDING.pop(self, None)  # type: ignore[call-overload]
        return found

    @diagnosis.setter
    def diagnosis(self, diagnosis: Diagnosis | None) -> None:
        self.__dict__["diagnosis"] = diagnosis
        _PENDING.pop(self, None)  # type: ignore[call-overload]

    def __str__(self) -> str:
        """Return the headline, plus the full report where notes are not printed."""
        if self.diagnosis is None:
            return str(super().__str__())
        if _NOTES_ARE_PRINTED:
            return self.diagnosis.headline()
        return f"{self.diagnosis.headline()}\n{self.diagnosis.render()}"

    @property
    def __notes__(self) -> list[str]:
        state = self.__dict__
        notes = state.get(_NOTES)
        if notes is None:
            if _EARLIER_NOTES not in state or self.diagnosis is None:
                raise AttributeError("__notes__")
            rendered = [*state[_EARLIER_NOTES], self.diagnosis.render()]
            notes = state.setdefault(_NOTES, rendered)  # a concurrent reader's list wins
        return notes  # type: ignore[no-any-return]

    @__notes__.setter
    def __notes__(self, notes: list[str]) -> None:
        self.__dict__[_NOTES] = notes

    @__notes__.deleter
    def __notes__(self) -> None:
        self.__dict__.pop(_NOTES, None)
        self.__dict__.pop(_EARLIER_NOTES, None)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as before lazy notes: args, then the dictionary with ``__notes__`` rendered."""
        self.diagnosis  # noqa: B018 - built first: the dictionary pickles it, never its builder
        state = {
            name: value
            for name, value in self.__dict__.items()
            if name not in (_NOTES, _EARLIER_NOTES)
        }
        notes = getattr(self, "__notes__", None)
        if notes is not None:
            state["__notes__"] = notes
        return (type(self), self.args, state)  # type: ignore[attr-defined]


class CosDiagnosedError(_Diagnosed, CosServiceError):  # type: ignore[misc]  # no SDK hints
    """A ``CosServiceError`` that knows what went wrong.

    Catch it as ``CosServiceError`` as before: ``args``, ``get_error_code()`` and every other
    getter return exactly what the SDK's exception returned. ``diagnosis`` holds the
    :class:`~cos_doctor.Diagnosis`. ``str(e)`` starts with a one-line headline (status, code,
    server message, rule id); the cause, evidence and numbered fix steps follow in the
    traceback (as exception notes on Python 3.11+, inside ``str(e)`` before that).
    """

    # The SDK's getters index its parsed body and raise KeyError when a reply had none (a HEAD
    # error, a 5xx from a proxy): these answer "Unknown" instead, as the SDK does for bodies
    # it could not parse.
    def get_error_code(self) -> str:
        """Return COS's error Code, or "Unknown" when the reply carried none."""
        return self._digest_field("code")

    def get_error_msg(self) -> str:
        """Return COS's error Message, or "Unknown" when the reply carried none."""
        return self._digest_field("message")

    def get_resource_location(self) -> str:
        """Return the Resource COS named, or "Unknown" when the reply carried none."""
        return self._digest_field("resource")

    def get_trace_id(self) -> str:
        """Return COS's TraceId, or "Unknown" when the reply carried none."""
        return self._digest_field("traceid")

    def get_request_id(self) -> str:
        """Return COS's RequestId, or "Unknown" when the reply carried none."""
        return self._digest_field("requestid")

    def _digest_field(self, name: str) -> str:
        from cos_doctor._sdk import adapter as _sdk

        digest: Any = _sdk.service_error_state(self).digest
        if isinstance(digest, dict) and name in digest:
            return digest[name]  # type: ignore[no-any-return]  # as the SDK returns it
        # A bodiless reply's digest is its headers: the SDK answers "Unknown", and so does this
        # (the request id from the headers is on .diagnosis.request_id).
        return "Unknown"


class CosDiagnosedClientError(_Diagnosed, CosClientError):  # type: ignore[misc]  # no hints
    """A ``CosClientError`` (network, TLS, proxy, timeout, SDK argument) that knows what went wrong.

    Catch it as ``CosClientError`` as before: ``args`` and ``_message`` are the SDK's, so the
    SDK's message text stays available as ``e.args[0]``. ``diagnosis`` holds the
    :class:`~cos_doctor.Diagnosis`; ``str(e)`` is its headline (plus the report before 3.11).
    """


# Shown in tracebacks and reprs as users import them; pickle finds them there too.
CosDiagnosedError.__module__ = "cos_doctor"
CosDiagnosedClientError.__module__ = "cos_doctor"
_DIAGNOSED = (CosDiagnosedError, CosDiagnosedClientError)


def _built(build: Callable[[], Diagnosis]) -> Diagnosis | None:
    """The diagnosis ``build`` makes; None (and an internal-error event) if cos_doctor fails.

    It runs when the user reads the exception, long after the call raised: a failure of
    cos_doctor's own must not become the user's.
    """
    try:
        return build()
    except Exception as failure:  # noqa: BLE001 - the guard, as around the hook
        from cos_doctor._log.event import log_internal_failure

        log_internal_failure("diagnose", failure)
        return None


def is_diagnosed(error: BaseException) -> bool:
    """Whether ``error`` already carries a diagnosis (it went through cos_doctor once)."""
    return isinstance(error, _DIAGNOSED)


def diagnosed_copy(
    error: Any, diagnosis: Diagnosis | Callable[[], Diagnosis]
) -> CosDiagnosedError | CosDiagnosedClientError:
    """Return a diagnosed copy of ``error`` with its args and state, plus ``diagnosis``.

    ``diagnosis`` may be a function that builds it: it then runs on the first read of
    ``.diagnosis``, the note or ``str()`` (or a pickle), once.

    A ``CosServiceError`` becomes a ``CosDiagnosedError``, a ``CosClientError`` a
    ``CosDiagnosedClientError``. The SDK's ``__init__`` is not re-run (it would parse the XML
    body again); the new object gets the same ``args`` and a copy of the instance dictionary
    instead, so pickling (which replays ``cls(*args)`` and then restores the dictionary)
    round-trips exactly.
    """
    kind: type[CosDiagnosedError | CosDiagnosedClientError] = (
        CosDiagnosedClientError if isinstance(error, CosClientError) else CosDiagnosedError
    )
    copy = kind.__new__(kind, *error.args)
    copy.__dict__.update(error.__dict__)
    attach_builder(copy, error, diagnosis)
    return copy


def attach_builder(
    copy: Any, error: BaseException, diagnosis: Diagnosis | Callable[[], Diagnosis]
) -> None:
    """Give ``copy`` of ``error`` its diagnosis (or builder), ``error``'s chain and notes."""
    earlier = list(copy.__dict__.pop("__notes__", ()))
    if callable(diagnosis):
        _PENDING[copy] = diagnosis
    else:
        copy.diagnosis = diagnosis
    # The SDK's own chain (a CosClientError raised while handling requests' error) stays.
    copy.__cause__ = error.__cause__
    copy.__context__ = error.__context__
    copy.__suppress_context__ = error.__suppress_context__
    if _NOTES_ARE_PRINTED:
        copy.__dict__[_EARLIER_NOTES] = earlier  # the report joins them on first access
    elif earlier:
        copy.__dict__[_NOTES] = earlier


def diagnose_in_place(error: Any, diagnosis: Diagnosis) -> None:
    """Make the SDK's ``CosClientError`` itself a ``CosDiagnosedClientError`` with ``diagnosis``.

    For an error cos_doctor sees while it is being made (the SDK refusing an argument), before
    it is raised: the same object goes on, so its traceback is the SDK's own.
    """
    earlier = list(error.__dict__.pop("__notes__", ()))
    error.__class__ = CosDiagnosedClientError
    error.diagnosis = diagnosis
    if _NOTES_ARE_PRINTED:
        error.__dict__[_EARLIER_NOTES] = earlier
    elif earlier:
        error.__dict__[_NOTES] = earlier
