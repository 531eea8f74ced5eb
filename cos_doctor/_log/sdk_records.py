"""One failure, one record: the SDK's own records of a failure cos_doctor logs are lowered.

``send_request`` logs each failure itself (its ERROR with the reply, a WARNING for a HEAD 404,
the failed attempts) just before it raises; with cos_doctor's event that made two or three
lines per failure. Whether cos_doctor will log that failure is known only after the raise, so
such a record is held, on its thread, from the SDK's logging call until the hook has decided,
then sent on to the handlers: at DEBUG when the failure went into cos_doctor's log (as if the
SDK had logged it with ``logger.debug``), at its own level otherwise. A record is held only when
the SDK method that logged it was called directly by the hook's wrapper, which always runs
next (it catches what the method raises); every other record passes untouched. A held record
is scrubbed of secrets as it is released, and only if it goes on to a handler.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import TYPE_CHECKING, Any

from cos_doctor._config import settings

if TYPE_CHECKING:
    from collections.abc import Callable, Collection
    from types import CodeType, FrameType

    #: Scrubs a held record as it is released (its logging SDK method's frame given); False
    #: when it could not, and the record is dropped.
    Scrub = Callable[[logging.LogRecord, FrameType], bool]

__all__ = ["DIAGNOSED", "hold", "logger_named", "release"]

#: Set to True on an SDK record whose failure cos_doctor logged (the Sentry integration drops
#: its event when it is kept at ERROR).
DIAGNOSED = "cos_doctor_diagnosed"

_LOGGING_FILE = logging.Logger.handle.__code__.co_filename


class _Held(threading.local):
    # A class default, as reading an attribute a thread never set raises inside getattr().
    records: list[Any] | None = None


_held = _Held()


def logger_named(name: str) -> logging.Logger:
    """``logging.getLogger(name)``, without its module-wide lock when the logger exists."""
    logger = logging.Logger.manager.loggerDict.get(name)
    return logger if isinstance(logger, logging.Logger) else logging.getLogger(name)


def hold(
    record: logging.LogRecord, by: logging.Filter, wrappers: Collection[CodeType], scrub: Scrub
) -> bool:
    """Whether ``record`` is a failure record to hold until the hook decides (then it is held).

    ``by`` is the filter on the SDK's logger that saw it; ``wrappers`` the code of the hook's
    wrappers that catch what the logging SDK method raises; ``scrub`` what makes it fit to go
    on, run at release, only for a record that does.
    """
    if record.levelno < logging.WARNING or not wrappers:
        return False
    caller = _logging_caller(sys._getframe(1))  # noqa: SLF001 - who called logger.error()
    if caller is None or caller.f_back is None or caller.f_back.f_code not in wrappers:
        return False
    logger = logger_named(record.name)
    filters = logger.filters
    after = filters[filters.index(by) + 1 :] if by in filters else []
    pending = _held.records
    if pending is None:
        pending = _held.records = []
    pending.append((logger, record, after, caller, scrub))
    return True


def release(*, logged: bool) -> None:
    """Send this thread's held records on: lowered to DEBUG if ``logged``, else as they were."""
    pending = _held.records
    if not pending:
        return
    _held.records = []
    lower = logged and settings().lower_sdk_records
    for logger, record, after, caller, scrub in pending:
        if logged:
            setattr(record, DIAGNOSED, True)
        if lower and not logger.isEnabledFor(logging.DEBUG):
            continue  # what logger.debug() would have done: no handler sees it, nothing to scrub
        if not scrub(record, caller):  # at the level the SDK logged it, which decides how
            continue  # not known to be clean: better lost than leaked
        if lower:
            record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        _resume(logger, record, after)


def _resume(logger: logging.Logger, record: logging.LogRecord, after: list[Any]) -> None:
    """Logger.handle() from where the holding filter stopped: the filters after it, handlers."""
    for other in after:
        kept = other.filter(record) if hasattr(other, "filter") else other(record)
        if not kept:
            return
        if isinstance(kept, logging.LogRecord):  # Python 3.12+: a filter may replace it
            record = kept
    logger.callHandlers(record)


def _logging_caller(frame: FrameType | None) -> FrameType | None:
    """The function that called the logger: the first frame above logging's own frames."""
    inside = False
    for _ in range(16):
        if frame is None:
            return None
        in_logging = frame.f_code.co_filename == _LOGGING_FILE
        if inside and not in_logging:
            return frame
        inside = inside or in_logging
        frame = frame.f_back
    return None
