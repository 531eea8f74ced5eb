"""The one structured event per failed SDK call, and redaction of the SDK's own log records.

cos_doctor never configures logging. When the application configured structlog, the event
goes through the application's structlog pipeline; otherwise it goes to the stdlib logger
``cos_doctor``, with the structured fields on the record (``extra``) and a readable message,
so ``basicConfig``, ``dictConfig``, handlers, levels and filters govern it.

Field names are namespaced (``cos.*``, ``cos_doctor.*``) or OpenTelemetry semantic-convention
names (``cloud.*``, ``http.*``, ``error.type``, ``exception.*``), so they never overwrite the
application's own context (a ``request_id`` bound through structlog's contextvars survives).
The schema is versioned (:data:`SCHEMA_VERSION`) and documented in the README.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import sys
import threading
from typing import TYPE_CHECKING, Any

from cos_doctor._config import settings
from cos_doctor._log.otel import record_on_span
from cos_doctor._log.sdk_records import hold, logger_named
from cos_doctor._log.storm import StormGate, Window
from cos_doctor._redact import PATTERNS_ONLY, Redactor, client_redactor, scrub
from cos_doctor._sdk import adapter as _sdk

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator
    from types import CodeType, FrameType

    from cos_doctor._pipeline.diagnose import EventFacts
    from cos_doctor.diagnosis import Diagnosis

__all__ = [
    "EVENT",
    "INTERNAL_FAILURE_EVENT",
    "INVESTIGATION_EVENT",
    "LOGGER_NAME",
    "SCHEMA_VERSION",
    "STORM_EVENT",
    "SdkSecretFilter",
    "emitting",
    "error_type",
    "event_fields",
    "holds_own_event",
    "log_diagnosis",
    "log_internal_failure",
    "log_investigation",
    "quiet",
    "sdk_secret_filter",
]

LOGGER_NAME = "cos_doctor"
EVENT = "cos_request_failed"
STORM_EVENT = "cos_request_failed_repeatedly"
INTERNAL_FAILURE_EVENT = "cos_doctor_internal_error"
INVESTIGATION_EVENT = "cos_request_investigated"
#: Bumped when a field of the events is renamed or removed (adding one is not a change).
SCHEMA_VERSION = "1"

_LEVEL_METHODS = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warning",
    logging.ERROR: "error",
    logging.CRITICAL: "critical",
}


class _State(threading.local):
    # A class default: reading an attribute a thread never set costs an AttributeError
    # inside getattr() (6x the time), paid by every failure a storm collapses.
    emitting = False


_state = _State()
# Every event carries "cos_doctor.event_id", "<mark>-<pid>-<n>": an upload whose body holds this
# process's mark is the application shipping cos_doctor's own event, whichever thread sends it.
_MARK = f"cosdoctor{os.urandom(8).hex()}"  # os is loaded already; secrets is not
_MARK_BYTES = _MARK.encode()
_SEQUENCE = itertools.count(1)
# "<mark>-<pid>-", formatted once per process rather than per event (a forked child's is redone).
_id_prefix = f"{_MARK}-{os.getpid()}-"
# How far into an upload's body the mark is looked for: a shipped event, or a batch's first.
_MARK_SCAN = 256 * 1024


def emitting() -> bool:
    """Whether this thread is inside cos_doctor's own work: emitting an event, or investigating.

    A log processor or handler that itself calls COS (shipping logs to a bucket, say) must
    not have its failures diagnosed and logged again: that recursion turned one failure into
    over a hundred events and requests. investigate()'s own read calls are not the user's
    failures either.
    """
    return _state.emitting


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Within the block, this thread's SDK failures are not logged as events (re-entrant)."""
    before = emitting()
    _state.emitting = True
    try:
        yield
    finally:
        _state.emitting = before


def holds_own_event(body: object) -> bool:
    """Whether an upload's body (text or bytes) holds an event this process emitted.

    A pipeline that ships cos_doctor's events to COS from a thread of its own (a processor
    queues the event, a worker uploads it) is out of sight of the thread-local guard; the
    event's id in the body it uploads says where the failure came from.
    """
    if isinstance(body, str):
        return body.find(_MARK, 0, _MARK_SCAN) >= 0
    if isinstance(body, (bytes, bytearray)):
        return body.find(_MARK_BYTES, 0, _MARK_SCAN) >= 0
    return False


def event_fields(diagnosis: Diagnosis | EventFacts) -> dict[str, Any]:
    """The event's structured fields (schema :data:`SCHEMA_VERSION`); no prose, no secrets."""
    evidence = {
        item.key: list(item.value) if isinstance(item.value, tuple) else item.value
        for item in diagnosis.evidence
    }
    return {
        "cos_doctor.schema_version": SCHEMA_VERSION,
        "cos_doctor.rule_id": diagnosis.rule_id,
        "cos_doctor.generic": diagnosis.generic,
        "cos_doctor.evidence": evidence,
        "cos_doctor.docs": list(diagnosis.docs),
        # Ids, not sentences: the text is in the knowledge base, in every locale.
        "cos_doctor.causes": [
            {"id": cause.id, "confidence": cause.confidence, "because": list(cause.because)}
            for cause in diagnosis.causes
        ],
        "cos_doctor.parts": [
            {key: group[key] for key in ("rule_id", "error_code", "count", "part_numbers")}
            for group in diagnosis.part_groups()
        ],
        "cloud.provider": "tencent_cloud",
        "cloud.region": diagnosis.region,
        "http.request.method": diagnosis.http_method,
        "http.response.status_code": diagnosis.http_status,
        "error.type": error_type(diagnosis),
        "cos.error.message": diagnosis.error_message,
        "cos.bucket": diagnosis.bucket,
        "cos.key": diagnosis.key,
        "cos.operation": diagnosis.operation,
        "cos.request_id": diagnosis.request_id,
        "cos.trace_id": diagnosis.trace_id,
        # Only a call through boto3 / botocore has this evidence; else the COS SDK's package.
        "cos.client.library": "botocore" if "client_library" in evidence else "cos-python-sdk-v5",
    }


def error_type(diagnosis: Diagnosis | EventFacts) -> str:
    """OpenTelemetry's ``error.type``: the failure's low-cardinality class.

    COS's Code, else the HTTP status (a HEAD reply has no body); a failure with no reply at all
    (DNS, refused, timeout, TLS) has neither, and its rule id names the class instead
    (``client-dns-failure``): one of a documented list, as the convention asks.
    """
    if diagnosis.error_code:
        return diagnosis.error_code
    if diagnosis.http_status is not None:
        return str(diagnosis.http_status)
    return diagnosis.rule_id


def log_diagnosis(diagnosis: Diagnosis | EventFacts) -> bool:
    """Emit the event for one diagnosed failure, at the configured level, storms collapsed.

    True when the failure went into the log: its own event, or counted for a storm's summary.
    """
    if emitting():
        return False
    current = settings()
    expected = current.is_expected(diagnosis.rule_id, diagnosis.error_code)
    try:  # the application's trace gets it whatever the log does with it
        record_on_span(diagnosis, error_type(diagnosis), expected=expected)
    except Exception as failure:  # noqa: BLE001 - a broken tracer must not cost the event
        log_internal_failure("opentelemetry", failure)
    level = current.expected_level if expected else current.level  # Settings.level_for
    if level is None:
        return False
    fields = event_fields(diagnosis)
    if current.storm_window > 0:
        key = (diagnosis.rule_id, diagnosis.bucket, diagnosis.operation, diagnosis.http_status)
        if not _storms.admit(key, current.storm_window, level, fields):
            return True
    # quiet(), inlined: its generator-based context manager cost more than the rest of this.
    state = _state
    before = state.emitting
    state.emitting = True
    try:
        _emit(level, EVENT, fields, _Headline(fields, diagnosis))
    finally:
        state.emitting = before
    return True


def log_investigation(diagnosis: Diagnosis | None, finding: dict[str, Any]) -> None:
    """Emit ``cos_request_investigated`` at INFO: the failure's fields plus the finding."""
    fields = event_fields(diagnosis) if diagnosis is not None else {}
    fields["cos_doctor.finding"] = finding
    message = f"{INVESTIGATION_EVENT}: {finding.get('text')}"
    with contextlib.suppress(Exception), quiet():  # a broken log setup must not break investigate
        _emit(logging.INFO, INVESTIGATION_EVENT, fields, message)


def log_internal_failure(stage: str, error: BaseException) -> None:
    """Record that cos_doctor itself failed; the user's original exception goes on unchanged."""
    if emitting():
        return
    # A broken logging setup must not break the host either.
    with contextlib.suppress(Exception), quiet():
        fields = {
            "cos_doctor.schema_version": SCHEMA_VERSION,
            "cos_doctor.stage": stage,
            "exception.type": type(error).__name__,
            "exception.message": scrub(str(error)[:500]),  # cut, then sealed
        }
        message = f"{INTERNAL_FAILURE_EVENT}: cos_doctor failed ({stage}): {type(error).__name__}"
        _emit(logging.ERROR, INTERNAL_FAILURE_EVENT, fields, message)


def _summarise(window: Window) -> None:
    """The one event that closes a storm: how many identical failures were not logged."""
    if emitting():
        return
    fields = dict(window.last_fields or {})
    fields.update(
        {
            "cos_doctor.storm.repeated": window.suppressed,
            "cos_doctor.storm.window_seconds": window.seconds,
            "cos_doctor.storm.first_seen": window.first_seen,
            "cos_doctor.storm.last_seen": window.last_seen,
            "cos_doctor.storm.keys": list(window.keys),
            "cos_doctor.storm.keys_not_listed": window.keys_not_listed,
            "cos_doctor.storm.request_ids": list(window.request_ids),
            "cos_doctor.storm.request_ids_not_listed": window.request_ids_not_listed,
        }
    )
    message = (
        f"{STORM_EVENT}: {window.suppressed} more identical failures not logged one by one "
        f"within {window.seconds:g} s ({_where(fields)})"
        f"{_listed('keys', window.keys, window.keys_not_listed)}"
        f"{_listed('request_ids', window.request_ids, window.request_ids_not_listed)}"
    )
    try:
        with quiet():
            _emit(window.level, STORM_EVENT, fields, message)
    except Exception as failure:  # noqa: BLE001 - runs in a timer, at exit or in uninstall()
        log_internal_failure("storm summary", failure)


def _listed(label: str, values: list[str], more: int) -> str:
    if not values:
        return ""
    return f" {label}={','.join(values)}" + (f" (+{more} more)" if more else "")


_storms = StormGate(_summarise)


def flush_storms() -> None:
    """Emit the summary of every open storm now (``uninstall()`` and process exit do)."""
    _storms.flush()


def _emit(level: int, event: str, fields: dict[str, Any], message: object) -> None:
    event_id = f"{_id_prefix}{next(_SEQUENCE)}"
    structlog = sys.modules.get("structlog")
    if structlog is not None and structlog.is_configured():
        fields = {"cos_doctor.event_id": event_id, **fields}
        logger = _structlog_proxy(structlog).bind()
        method = _LEVEL_METHODS.get(level)
        if method is None:
            logger.log(level, event, **fields)
        else:
            getattr(logger, method)(event, **fields)
        return
    # Logger.log() minus its `disabled` check: dictConfig()'s default disables every logger
    # that exists when it runs, and the events would stop for good after an app's late
    # configuration. Levels, logging.disable(), filters, handlers and propagation still decide.
    stdlib = logger_named(LOGGER_NAME)
    if level <= stdlib.manager.disable or level < stdlib.getEffectiveLevel():
        return
    here = sys._getframe()  # noqa: SLF001 - the record's origin, as Logger.log would find it
    record = stdlib.makeRecord(
        stdlib.name,
        level,
        here.f_code.co_filename,
        here.f_lineno,
        message,
        (),
        None,
        here.f_code.co_name,
        {"event": event, "cos_doctor.event_id": event_id, **fields},
    )
    kept = stdlib.filter(record)
    if kept:
        stdlib.callHandlers(kept if isinstance(kept, logging.LogRecord) else record)


_proxy: tuple[Any, Any] = (None, None)  # the structlog module, and its proxy made below


def _structlog_proxy(structlog: Any) -> Any:
    """The lazy proxy structlog gives for the ``cos_doctor`` logger: made once, not per event.

    Told never to cache, each ``bind()`` assembles the logger from structlog's configuration
    of the moment, as a fresh ``get_logger()`` does: a ``configure()`` after install() (or
    ``cache_logger_on_first_use`` in it) still governs the next event.
    """
    global _proxy  # noqa: PLW0603 - one per structlog module, made by the first event
    module, proxy = _proxy
    if module is not structlog:
        proxy = structlog.wrap_logger(
            None, logger_factory_args=(LOGGER_NAME,), cache_logger_on_first_use=False
        )
        _proxy = (structlog, proxy)
    return proxy


def _after_fork_in_child() -> None:
    global _id_prefix  # noqa: PLW0603 - the child's own pid in its event ids
    _id_prefix = f"{_MARK}-{os.getpid()}-"


if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=_after_fork_in_child)


class _Headline:
    """The stdlib record's message, rendered only if a handler formats it."""

    __slots__ = ("_diagnosis", "_fields")

    def __init__(self, fields: dict[str, Any], diagnosis: Diagnosis | EventFacts) -> None:
        self._fields = fields
        self._diagnosis = diagnosis

    def __str__(self) -> str:
        fields = self._fields
        status = fields["http.response.status_code"]
        if status is None and self._diagnosis.error_code is None:
            # No reply to quote (DNS, refused, timeout…): the rule's title says what failed
            # (worded by the Diagnosis, or by the Assessment for such a failure's EventFacts).
            said = getattr(self._diagnosis, "title", None) or fields["cos_doctor.rule_id"]
        else:  # a pasted Code may come without its status
            message = fields["cos.error.message"]
            said = f"{fields['error.type']} (HTTP {'?' if status is None else status})" + (
                f": {message}" if message else ""
            )
        request = fields["cos.request_id"]
        request_text = f" request_id={request}" if request else ""
        return f"{EVENT}: {said} [{fields['cos_doctor.rule_id']}] {_where(fields)}{request_text}"

    __repr__ = __str__


def _where(fields: dict[str, Any]) -> str:
    parts = [
        f"{label}={fields[name]}"
        for label, name in (
            ("operation", "cos.operation"),
            ("bucket", "cos.bucket"),
            ("key", "cos.key"),
            ("region", "cloud.region"),
        )
        if fields.get(name)
    ]
    return " ".join(parts) or "request"


class SdkSecretFilter(logging.Filter):
    """Scrub sign keys, signatures, tokens and SecretIds from the SDK's own log records.

    ``qcloud_cos`` logs its sign key, the Authorization header and the request headers
    (with the session token) at DEBUG, and the text of exceptions it catches (a SecretId
    with a trailing newline breaks header encoding, and the message quotes the header);
    turning DEBUG on in production would leak them.
    """

    def __init__(self) -> None:
        super().__init__()
        # A tuple, not a set: a code object's hash is computed anew at every lookup (about a
        # microsecond for a large function), while `in` on a tuple tries identity first.
        self._wrappers: tuple[CodeType, ...] = ()

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place when it holds a secret; never drop it.

        A record of a failure the hook is about to diagnose is held for the hook to release
        (``sdk_records``), and scrubbed then, if it goes on at all: lowered to DEBUG on a
        logger that does not log DEBUG, no handler ever sees it.
        """
        try:
            if hold(record, self, self._wrappers, _scrub_held):
                return False
        except Exception:  # noqa: BLE001, S110 - not held: scrubbed below and sent on now
            pass
        try:
            _scrub(record, sys._getframe(1))  # noqa: SLF001 - the SDK's logging call is above
        except Exception:  # noqa: BLE001 - the SDK's own logging call must never fail by us
            return False  # not known to be clean: better lost than leaked
        return True

    def attach(self, wrappers: Collection[CodeType] = ()) -> None:
        """Add this filter to the SDK's loggers; ``wrappers``: the hook's, that release records."""
        self._wrappers = tuple(wrappers)
        for name in _sdk.SDK_LOGGERS:
            logging.getLogger(name).addFilter(self)

    def detach(self) -> None:
        """Remove this filter from the SDK's loggers."""
        for name in _sdk.SDK_LOGGERS:
            logging.getLogger(name).removeFilter(self)


_SDK_FILTER: SdkSecretFilter | None = None


def sdk_secret_filter() -> SdkSecretFilter:
    """The one filter cos_doctor puts on the SDK's loggers (attached by install())."""
    global _SDK_FILTER  # noqa: PLW0603 - one per process, made when install() first needs it
    if _SDK_FILTER is None:
        _SDK_FILTER = SdkSecretFilter()
    return _SDK_FILTER


def _scrub_held(record: logging.LogRecord, caller: FrameType) -> bool:
    """Scrub a held record as it is released; False (drop it) when that fails.

    ``caller``: the SDK method's frame that logged it (its client's secrets are read from
    there, as the filter would have, only for a record that goes on).
    """
    try:
        _scrub(record, caller)
    except Exception:  # noqa: BLE001 - never fail the release; not known clean: dropped
        return False
    return True


def _scrub(record: logging.LogRecord, frame: FrameType) -> None:
    """Rewrite ``record`` in place if it holds a secret; ``frame``: where the SDK logged it."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a malformed record is the SDK's, not ours to fix
        return
    redact = _record_redactor(record, frame)
    # Searched first, rewritten only if something is found: almost no record holds one.
    if redact.finds(message):
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
    if record.exc_info and record.exc_info[1] is not None:
        # logger.exception(): the formatter would print the exception's own text. Only
        # the texts of the exceptions can hold a secret (the rest is file names and the
        # libraries' source lines), so the traceback is formatted only when one might.
        if record.exc_text is None:
            said = _chain_text(record.exc_info[1])
            if said is not None and not redact.finds(said):
                return
        text = record.exc_text or _exception_text(record)
        scrubbed = redact(text)
        if scrubbed != text:
            record.exc_text = scrubbed


def _record_redactor(record: logging.LogRecord, frame: FrameType) -> Redactor:
    """The patterns, and for a failure's record the exact secrets of the client that sent it.

    The SDK logs urllib3's words for a failed request, which quote a proxy URL they cannot
    parse piece by piece (a password cut at a '#', escaped by repr()): only the exact
    credentials find those. Records of successful calls (INFO, DEBUG) carry no such text and
    keep the cheap pattern scrub. ``frame``: the logging call's, or a frame above it.
    """
    failure = record.levelno >= logging.WARNING or record.exc_info
    if not failure and not _sdk.logs_failed_attempt(record.msg):
        return PATTERNS_ONLY
    from cos_doctor._sdk.live import client_secrets  # deferred: it brings the pipeline's records

    client = _sdk.client_sending(frame)
    return client_redactor(client_secrets(client)) if client is not None else PATTERNS_ONLY


def _chain_text(error: BaseException) -> str | None:
    """What a formatted traceback says of each exception; None if one is unprintable.

    Each exception's text and notes, along causes, contexts and group members, as
    ``traceback`` follows them.
    """
    texts: list[str] = []
    pending: list[Any] = [error]
    seen: set[int] = set()
    while pending and len(seen) < 64:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        try:
            texts.append(str(current))
            texts.extend(str(note) for note in getattr(current, "__notes__", None) or ())
        except Exception:  # noqa: BLE001 - the formatter prints a placeholder; check it all
            return None
        pending.extend((current.__cause__, current.__context__))
        members = getattr(current, "exceptions", None)  # an ExceptionGroup's
        if isinstance(members, tuple):
            pending.extend(members)
    return "\n".join(texts)


def _exception_text(record: logging.LogRecord) -> str:
    # What logging.Formatter.formatException renders; caching it in exc_text makes every
    # formatter reuse the scrubbed copy instead of formatting the exception again.
    return logging.Formatter().formatException(record.exc_info)  # type: ignore[arg-type]
