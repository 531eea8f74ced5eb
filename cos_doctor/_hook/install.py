"""install() / uninstall(): wrapt patches on the SDK's entry points, once, and only ours.

Every SDK call funnels through ``CosS3Client.send_request``, which raises ``CosServiceError``
for a 3xx-5xx reply and ``CosClientError`` for a network, TLS or proxy failure after its own
retries; wrapping it on the class covers clients created before install() ran and yields one
diagnosis per failed call rather than one per retry. A few other methods are patched too:

* the helpers that run parts in a thread pool (``upload_file``, ``download_file``, ``copy``…),
  so that the parts' failures become one grouped diagnosis and one log event for the call;
* ``copy_object`` and ``complete_multipart_upload``, which raise for an ``<Error>`` inside a
  200 reply after ``send_request`` returned;
* ``StreamBody.get_stream_to_file`` / ``pget_stream_to_file``, which read a ``get_object``
  body whole, so a connection that breaks mid-body is diagnosed (once per object or part; the
  user's own ``read()`` loop is left unwrapped, so it runs at full speed);
* ``EventStream.next_event``, which raises for an error message inside the event stream of
  ``select_object_content`` (a 200 reply) while the user iterates its ``Payload``;
* ``CosClientError.__init__``, which runs only when the SDK refuses an argument or a setting
  (in ``CosConfig.__init__`` or a public method, before any request) or a request failed:
  the SDK's own checks are diagnosed where the error is made, at no cost to a successful call.

Each patch is a ``wrapt.FunctionWrapper``, so it composes with other wrapt-based
instrumentation (each layer sees the bound instance, unwraps itself only) and keeps the
original's signature. On success the wrapper only calls through. On failure everything
cos_doctor does runs inside a guard: if it fails, the SDK's original exception propagates.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import weakref
from typing import TYPE_CHECKING, Any

from cos_doctor import _config
from cos_doctor._config import UNSET
from cos_doctor._hook.layers import finished_module, import_in_progress
from cos_doctor._hook.layers import our_layer as _our_layer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from types import FrameType

    from cos_doctor._config import Level, _Unset
    from cos_doctor._log.event import SdkSecretFilter
    from cos_doctor._pipeline.diagnose import EventFacts
    from cos_doctor.diagnosis import Diagnosis

__all__ = ["install", "is_installed", "uninstall"]

# The log machinery (the event, storms, the SDK-log filter) is imported when install() or a
# failure first needs it, not with `import cos_doctor`: these functions stand for it.


class _Modules:
    """The failure path's modules, imported by the first failure (the SDK is loaded) and kept.

    An import statement costs about a microsecond even when the module is loaded, and the
    failure path ran a dozen; a function is read from its module when called, so a patch on
    the module (a test's, a benchmark's timer) is still seen.
    """

    def __init__(self) -> None:
        from cos_doctor import diagnosis, errors
        from cos_doctor._hook import failures
        from cos_doctor._log import event, sdk_records
        from cos_doctor._sdk import adapter

        self.diagnosis = diagnosis
        self.errors = errors
        self.failures = failures
        self.event = event
        self.sdk_records = sdk_records
        self.adapter = adapter


_modules: _Modules | None = None


def _failure_path() -> _Modules:
    global _modules  # noqa: PLW0603 - filled once, by the first failure (or install())
    if _modules is None:
        _modules = _Modules()
    return _modules


def _sdk_log_filter() -> SdkSecretFilter:
    """The one filter on the SDK's loggers (made on first use)."""
    from cos_doctor._log.event import sdk_secret_filter  # install() may run before the SDK loads

    return sdk_secret_filter()


def log_internal_failure(stage: str, error: BaseException) -> None:
    """cos_doctor failed at ``stage``: say so (``_log.event.log_internal_failure``)."""
    from cos_doctor._log.event import log_internal_failure as log  # maybe before the SDK loads

    log(stage, error)


def emitting() -> bool:
    """Whether this thread is inside cos_doctor's own event emission (never before the first)."""
    event = sys.modules.get("cos_doctor._log.event")
    return event is not None and bool(event.emitting())


def log_diagnosis(diagnosis: Diagnosis | EventFacts) -> bool:
    """Emit the failure's event (:func:`cos_doctor._log.event.log_diagnosis`)."""
    return bool(_failure_path().event.log_diagnosis(diagnosis))


def release_sdk_records(*, logged: bool) -> None:
    """Send this thread's held SDK records on (:func:`cos_doctor._log.sdk_records.release`)."""
    _failure_path().sdk_records.release(logged=logged)


def _botocore() -> Any:
    """The botocore hook (``_hook/botocore.py``): botocore's own patch, lock and watcher."""
    from cos_doctor._hook import botocore

    return botocore


_lock = threading.RLock()
_installed = False
_watching_imports = False
# Every class patched so far, with its table of wrappers (a reloaded SDK module brings a new
# class); weak, so a discarded class can go.
_patched: weakref.WeakKeyDictionary[type, dict[str, Callable[..., Any]]] = (
    weakref.WeakKeyDictionary()
)


class _NotYetPatched(Exception):  # noqa: N818 - a placeholder type, never raised
    """Stands in for the SDK's exceptions until the SDK module is patched."""


_sdk_errors: tuple[type[BaseException], ...] = (_NotYetPatched,)


def _after_fork_in_child() -> None:
    """Fresh locks in a forked child: a thread of the parent may have held them at the fork.

    That thread does not exist in the child, so its lock would never be released, and the
    child's first install(), uninstall() or ``import qcloud_cos`` would wait forever. No
    helper runs in the child either.
    """
    global _lock, _helper_calls  # noqa: PLW0603 - rebuilt once per fork, in the child only
    _lock = threading.RLock()
    adapter = sys.modules.get("cos_doctor._sdk.adapter")
    if adapter is not None:  # the adapter's registry lock, same hazard
        vars(adapter)["_lock"] = threading.Lock()
    _helper_calls = 0
    _part_failures.clear()


def install(  # noqa: PLR0913 - one keyword per setting
    locale: str | _Unset | None = UNSET,
    *,
    level: Level | _Unset = UNSET,
    expected: Iterable[str] | _Unset = UNSET,
    expected_level: Level | _Unset | None = UNSET,
    storm_window: float | _Unset | None = UNSET,
    lower_sdk_records: bool | _Unset = UNSET,
    cos_domains: Iterable[str] | _Unset = UNSET,
) -> bool:
    """Diagnose every ``CosServiceError`` and ``CosClientError`` the SDK raises from now on.

    Idempotent and thread-safe; works before or after ``import qcloud_cos`` (and after an
    ``importlib.reload`` of it) and covers clients created earlier. Settings not given keep
    their current value, so a second ``install()`` never undoes a first one's:

    - ``locale`` ("en", "ko", "zh") sets the language of diagnoses; None defers to
      ``$COS_DOCTOR_LOCALE``.
    - ``level`` is the level of the ``cos_request_failed`` event (default WARNING).
    - ``expected`` names COS error codes (``"NoSuchKey"``) or rule ids (``"no-such-key"``)
      the application handles: their events go out at ``expected_level`` (default DEBUG;
      None: not at all). The exception is diagnosed all the same.
    - ``storm_window``: seconds within which identical failures collapse into one event and
      one summary (default 5; 0 or None: every failure logs).
    - ``lower_sdk_records``: the SDK's own log records of a failure cos_doctor logged (its
      ERROR with the reply, its WARNING for a HEAD 404, its record of the failed attempts) go
      out at DEBUG, so each failure logs one line at the app's usual levels (default True;
      False: at the SDK's own level). The SDK's other records are never touched.
    - ``cos_domains``: your own domains in front of COS (``"files.example.com"``; a
      subdomain counts too). botocore (boto3) errors are diagnosed only when COS answered:
      its reply headers say so, or the endpoint is under ``myqcloud.com``, ``tencentcos.cn``
      or one of these. botocore is patched too, now or when it is imported.

    Returns True when it changed the patches, False when cos_doctor was already installed
    (the settings given still apply) or patching failed (logged, never raised). An invalid
    setting raises ValueError or TypeError before anything changes.
    """
    global _installed  # noqa: PLW0603 - process-wide patch state
    _config.configure(
        locale=locale,
        level=level,
        expected=expected,
        expected_level=expected_level,
        storm_window=storm_window,
        lower_sdk_records=lower_sdk_records,
        cos_domains=cos_domains,
    )
    try:
        # Deferred, like all of it: import cos_doctor stays cheap.
        from cos_doctor._sdk import adapter as _sdk

        module = finished_module(_sdk.CLIENT_MODULE, _sdk.CLIENT_CLASS)
        with _lock:
            if _installed:
                # Idempotent: puts back a layer a foreign unwrap removed (OpenTelemetry's).
                botocore_repatched = bool(_botocore().enable())
                if is_installed():
                    return botocore_repatched
                # Someone replaced our layer (a foreign re-patch with an original it captured
                # before install()): put it back on top of theirs.
                _patch(sys.modules[_sdk.CLIENT_MODULE])
                return True
            _watch_imports()  # first: an import starting from now on is patched when done
            module = sys.modules.get(_sdk.CLIENT_MODULE, module)
            started_meanwhile = module is not None and import_in_progress(module, _sdk.CLIENT_CLASS)
            if module is not None and not started_meanwhile:
                _patch(module)
            _sdk_log_filter().attach(wrappers=(_on_send_request.__code__,))
            _botocore().enable()
            _installed = True
        if started_meanwhile:
            # Another thread began importing the SDK after the wait above: wait again, out
            # of the lock (that import may need it), then patch what it finished.
            finished = finished_module(_sdk.CLIENT_MODULE, _sdk.CLIENT_CLASS)
            with _lock:
                if _installed and finished is not None and not is_installed():
                    _patch(finished)
    except Exception as error:  # noqa: BLE001 - install() must never break the host app
        log_internal_failure("install", error)
        return False
    return True


def uninstall() -> bool:
    """Undo :func:`install`: restore the SDK's own methods; True if it changed anything.

    Where another library has wrapped a method on top of cos_doctor, its wrapper is left in
    place and cos_doctor's own layer underneath becomes a pass-through instead. Open storms
    are summarised now, and the settings go back to their defaults.
    """
    global _installed  # noqa: PLW0603 - process-wide patch state
    try:
        with _lock:
            if not _installed:
                return False
            _installed = False
            for patched_class, table in list(_patched.items()):
                _unpatch(patched_class, table)
            _botocore().disable()
            _sdk_log_filter().detach()
        from cos_doctor._log.event import flush_storms

        flush_storms()
        _config.reset()
    except Exception as error:  # noqa: BLE001 - uninstall() must never break the host app
        log_internal_failure("uninstall", error)
        return False
    return True


def is_installed() -> bool:
    """Return whether cos_doctor currently diagnoses SDK errors.

    True only while the SDK's current client class (if the SDK is imported) carries
    cos_doctor's layer: a class nobody patched (a reload nobody saw) makes it False.
    """
    if not _installed:
        return False
    # Deferred, like all of it: import cos_doctor stays cheap.
    from cos_doctor._sdk import adapter as _sdk

    module = sys.modules.get(_sdk.CLIENT_MODULE)
    if module is None:
        return True  # patched on import
    client_class = getattr(module, _sdk.CLIENT_CLASS, None)
    attribute = getattr(client_class, "__dict__", {}).get(_sdk.SEND_REQUEST)
    return _our_layer(attribute, _on_send_request) is not None


# ---------------------------------------------------------------------------------------------
# Patching


def _patch(module: Any) -> None:
    import wrapt  # deferred: import cos_doctor must stay cheap

    from cos_doctor._sdk import adapter as _sdk

    global _sdk_errors  # noqa: PLW0603 - bound once the SDK is known
    from qcloud_cos.cos_exception import CosClientError, CosServiceError

    _sdk_errors = (CosServiceError, CosClientError)
    _sdk.register_sdk_code(module)
    tables = [(getattr(module, _sdk.CLIENT_CLASS), _wrappers())]
    stream_class = getattr(sys.modules.get(_sdk.STREAM_MODULE), _sdk.STREAM_CLASS, None)
    if stream_class is not None:
        tables.append((stream_class, dict.fromkeys(_sdk.STREAM_METHODS, _on_stream)))
    select_class = getattr(sys.modules.get(_sdk.SELECT_MODULE), _sdk.SELECT_CLASS, None)
    if select_class is not None:
        tables.append((select_class, {_sdk.SELECT_METHOD: _on_select_event}))
    check_class = getattr(sys.modules.get(_sdk.CHECK_ERROR_MODULE), _sdk.CHECK_ERROR_CLASS, None)
    if check_class is not None:
        tables.append((check_class, {_sdk.CHECK_ERROR_INIT: _on_check_error}))
    for patched_class, table in tables:
        for name, wrapper in table.items():
            current = patched_class.__dict__.get(name)
            if current is None or _our_layer(current, wrapper) is not None:
                continue
            setattr(patched_class, name, wrapt.FunctionWrapper(current, wrapper))
        _patched[patched_class] = table


def _unpatch(patched_class: type, table: dict[str, Callable[..., Any]]) -> None:
    for name, wrapper in table.items():
        current = patched_class.__dict__.get(name)
        if current is not None and _our_layer(current, wrapper) is current:
            setattr(patched_class, name, current.__wrapped__)


def _watch_imports() -> None:
    """Patch the SDK module whenever it is executed: its first import and every reload."""
    global _watching_imports  # noqa: PLW0603 - one watcher per process
    if _watching_imports:
        return
    from cos_doctor._hook.import_watch import watch_module
    from cos_doctor._sdk import adapter as _sdk

    watch_module(_sdk.CLIENT_MODULE, _on_sdk_import)
    _watching_imports = True


def _on_sdk_import(module: Any) -> None:
    try:
        with _lock:
            if _installed:
                _patch(module)
    except Exception as error:  # noqa: BLE001 - runs inside the user's import statement
        log_internal_failure("install", error)


# ---------------------------------------------------------------------------------------------
# The wrappers: pass-through on success, diagnosis on failure


def _on_send_request(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    try:
        return wrapped(*args, **kwargs)
    except _sdk_errors as error:
        if not _installed:
            release_sdk_records(logged=False)
            raise
        diagnosed = _diagnose_safely(error, sys._getframe(), helper=None, source=instance)  # noqa: SLF001
        if diagnosed is None:
            raise
    except BaseException as error:
        logged = (
            _installed
            and isinstance(error, UnboundLocalError)  # the SDK's, after an unretried failure
            and _diagnose_internal_safely(error, sys._getframe(), None)  # noqa: SLF001
        )
        release_sdk_records(logged=logged)  # the SDK's records of a failure that is not ours
        raise
    # Raised outside the except block, so Python chains nothing of its own: the diagnosed
    # copy takes over the original's frames (one traceback, still ending in the SDK's raise)
    # and its cause chain (requests' and urllib3's exceptions under a CosClientError).
    try:
        raise diagnosed
    finally:
        # The frame stays in the traceback: it must not hold the exception too (a cycle
        # only the garbage collector frees).
        diagnosed = None


# copy_object / complete_multipart_upload raise for an <Error> inside a 200 reply themselves,
# after send_request returned: the same layer, on the method that raises.
_on_error_reply = _on_send_request
# select_object_content's EventStream.next_event raises for an error message inside the stream
# (the reply was a 200), while the user iterates the Payload: the same layer, once per event.
_on_select_event = _on_send_request


_helper_calls = 0  # helpers running now, any thread: their parts' failures are collected


def _on_helper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:  # noqa: ARG001
    global _helper_calls  # noqa: PLW0603 - a count shared with the pool threads
    with _lock:
        _helper_calls += 1
    try:
        return wrapped(*args, **kwargs)
    except _sdk_errors as error:
        if not _installed:
            raise
        name = getattr(wrapped, "__name__", None)
        diagnosed = _diagnose_safely(error, sys._getframe(), helper=name)  # noqa: SLF001
        if diagnosed is None:
            raise
    except OSError as error:  # a local file the helper reads or writes
        if _installed:
            helper = getattr(wrapped, "__name__", None)
            _diagnose_internal_safely(error, sys._getframe(), helper)  # noqa: SLF001
        raise
    finally:
        with _lock:
            # never below zero: a fork inside a helper resets the count in the child
            _helper_calls = max(0, _helper_calls - 1)
    try:  # as in _on_send_request: outside the except block, the SDK's own chain kept
        raise diagnosed
    finally:
        diagnosed = None


def _on_stream(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    """StreamBody.get_stream_to_file / pget_stream_to_file: a body that breaks mid-transfer.

    The exception keeps its type (requests' ChunkedEncodingError, urllib3's ProtocolError, the
    SDK's IOError): it gains ``.diagnosis`` and a note, and one event is logged.
    """
    try:
        return wrapped(*args, **kwargs)
    except Exception as error:
        if _installed:
            _diagnose_stream_safely(error, instance, sys._getframe())  # noqa: SLF001
        raise


def _on_batch(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:  # noqa: ARG001
    """delete_objects: a 200 reply listing per-key errors as data; returned as is, logged once."""
    result = wrapped(*args, **kwargs)
    if _installed and isinstance(result, dict) and result.get("Error"):
        name = getattr(wrapped, "__name__", "delete_objects")
        _report_batch_safely(result, args, kwargs, name)
    return result


def _report_batch_safely(result: Any, args: Any, kwargs: Any, method: str) -> None:
    try:
        from cos_doctor._pipeline.parts import batch_diagnosis
        from cos_doctor._sdk import adapter as _sdk

        errors = _sdk.batch_errors(result)
        if not errors:
            return
        bucket = _bucket_argument(args, kwargs)
        diagnosis = batch_diagnosis(errors, _sdk.batch_total(result), method=method, bucket=bucket)
        if diagnosis is None:
            return
    except Exception as failure:  # noqa: BLE001 - the guard: never break the user's call
        log_internal_failure("diagnose", failure)
        return
    try:
        log_diagnosis(diagnosis)
    except Exception as failure:  # noqa: BLE001 - a broken log setup must not hide it
        log_internal_failure("log", failure)


def _bucket_argument(args: Any, kwargs: Any) -> str | None:
    """The Bucket= the batch call got."""
    bucket = (kwargs or {}).get("Bucket")
    if bucket is None and args:
        bucket = args[0]
    return bucket if isinstance(bucket, str) else None


def _wrappers() -> dict[str, Callable[..., Any]]:
    from cos_doctor._sdk import adapter as _sdk

    table: dict[str, Callable[..., Any]] = {_sdk.SEND_REQUEST: _on_send_request}
    table.update(dict.fromkeys(_sdk.BATCH_METHODS, _on_batch))
    table.update(dict.fromkeys(_sdk.HELPER_METHODS, _on_helper))
    table.update(dict.fromkeys(_sdk.ERROR_REPLY_METHODS, _on_error_reply))
    return table


# ---------------------------------------------------------------------------------------------
# The SDK's own checks: CosClientError.__init__, which runs only when the SDK refuses something
# (an argument, a setting) or a request failed. A wrapper on each public method or check
# function would add a layer to every successful call; this one costs a successful call nothing.


def _on_check_error(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> None:
    """Made by the SDK's own check: diagnose it in place, before it is raised, and log it once."""
    wrapped(*args, **kwargs)
    if _installed:
        raiser: FrameType | None = sys._getframe(1)  # noqa: SLF001
        for _ in range(16):  # step over other wrappers between the SDK's raise and this layer
            if raiser is None or not _is_wrapper_frame(raiser):
                break
            raiser = raiser.f_back
        if raiser is not None:
            _diagnose_check_safely(instance, raiser)


_WRAPPER_ARGUMENTS = ("wrapped", "instance", "args", "kwargs")


def _is_wrapper_frame(frame: FrameType) -> bool:
    """Whether ``frame`` runs a wrapt wrapper (another library's layer) or wrapt itself."""
    code = frame.f_code
    return code.co_varnames[:4] == _WRAPPER_ARGUMENTS or str(
        frame.f_globals.get("__name__", "")
    ).startswith("wrapt")


def _diagnose_check_safely(error: BaseException, raiser: FrameType) -> None:
    """Diagnose a check failure in place and log it; any failure of ours leaves it untouched."""
    from cos_doctor._sdk import adapter as _sdk

    if emitting() or not _sdk.is_sdk_frame(raiser):
        return  # inside our own event, or not made by the SDK (a user's, a pickle's)
    try:
        from cos_doctor._hook.checks import diagnose_check
        from cos_doctor.errors import diagnose_in_place, is_diagnosed

        if is_diagnosed(error):
            return
        diagnosis = diagnose_check(error, raiser)
        if diagnosis is None:
            return  # a layer further out (send_request's, a helper's) reports it
        diagnose_in_place(error, diagnosis)
    except Exception as failure:  # noqa: BLE001 - the guard: never break the user's call
        log_internal_failure("diagnose", failure)
        return
    if not _inside_log_handler(raiser):
        try:
            log_diagnosis(diagnosis)
        except Exception as failure:  # noqa: BLE001 - a broken log setup must not hide it
            log_internal_failure("log", failure)


def _diagnose_internal_safely(
    error: BaseException, wrapper_frame: FrameType, helper: str | None
) -> bool:
    """The SDK's own failures that are not its exceptions, diagnosed in place; True if logged.

    send_request's UnboundLocalError (a network failure it could not retry: the body cannot be
    rewound) and a local file's OSError inside upload_file / download_file keep their type, so
    ``except OSError`` still catches them: they gain ``.diagnosis`` and a note, and one event.
    """

    def find() -> tuple[Diagnosis, bool] | None:
        from cos_doctor._hook.checks import internal_failure

        return internal_failure(
            error,
            caller=wrapper_frame.f_back,
            helper=helper,
            part_failures=_part_failures,
            collecting=_helper_calls > 0,
        )

    return _diagnose_in_place_safely(error, wrapper_frame, find)


def _diagnose_in_place_safely(
    error: BaseException,
    wrapper_frame: FrameType,
    find: Callable[[], tuple[Diagnosis, bool] | None],
) -> bool:
    """Attach what ``find()`` diagnoses to ``error`` itself, its type kept; True if logged.

    ``find`` also says whether to log it (a part's failure inside a running helper is kept
    for the helper instead). Any failure of ours leaves ``error`` as it was.
    """
    if emitting() or getattr(error, "diagnosis", None) is not None:
        return False  # inside our own event, or diagnosed by a layer further down
    try:
        from cos_doctor.errors import NOTES_ARE_PRINTED

        outcome = find()
        if outcome is None:
            return False
        diagnosis, emit = outcome
        error.diagnosis = diagnosis  # type: ignore[attr-defined]
        if NOTES_ARE_PRINTED:
            error.__notes__ = [*getattr(error, "__notes__", ()), diagnosis.render()]
    except Exception as failure:  # noqa: BLE001 - the guard: never break the user's call
        log_internal_failure("diagnose", failure)
        return False
    if not emit or _inside_log_handler(wrapper_frame):
        return False
    try:
        return log_diagnosis(diagnosis)
    except Exception as failure:  # noqa: BLE001 - a broken log setup must not hide it
        log_internal_failure("log", failure)
        return False


# ---------------------------------------------------------------------------------------------
# Failure path (nothing below runs on success)

# Part failures collected per SDK thread pool (keyed by its task queue) until the helper that
# owns the pool raises; weak keys, so a pool that succeeded leaves nothing behind.
_part_failures: weakref.WeakKeyDictionary[Any, list[Diagnosis]] = weakref.WeakKeyDictionary()


def _diagnose_safely(
    error: BaseException, wrapper_frame: FrameType, helper: str | None, source: Any = None
) -> Any:
    """Return the diagnosed copy of ``error``, or None to let the original propagate.

    ``source`` is the object whose method raised it (the client, or a select EventStream).
    The SDK's own records of the failure, held meanwhile, go on once it is known whether the
    failure was logged.
    """
    logged = False
    try:
        copy, logged = _diagnose_and_log(error, wrapper_frame, helper, source)
    finally:
        release_sdk_records(logged=logged)
    return copy


def _diagnose_and_log(
    error: BaseException, wrapper_frame: FrameType, helper: str | None, source: Any
) -> tuple[Any, bool]:
    """The diagnosed copy (None: let the original propagate), and whether it was logged."""
    try:
        modules = _failure_path()
        if modules.event.emitting():
            # A log handler of cos_doctor's own event calling COS (shipping logs to a bucket):
            # diagnosing its failure would log again, and fail again, without end.
            return None, False
        failures, errors = modules.failures, modules.errors
        if errors.is_diagnosed(error):
            return None, False  # diagnosed (and logged) by a layer further down
        outcome = (
            failures.diagnose_select_failure(error, source)
            if modules.adapter.is_event_stream(source)
            else failures.diagnose_failure(
                error,
                caller=wrapper_frame.f_back,
                helper=helper,
                part_failures=_part_failures,
                collecting=_helper_calls > 0,
            )
        )
        if outcome is None:
            return None, False
        diagnosis, emit = outcome
        # An Assessment builds the Diagnosis when the exception is read; the event needs less.
        copy = errors.diagnosed_copy(error, diagnosis)
        below = copy.__traceback__ = _below(error.__traceback__, wrapper_frame)
    except Exception as failure:  # noqa: BLE001 - the guard: never break the user's call
        log_internal_failure("diagnose", failure)
        return None, False
    logged = False
    if emit and not _inside_log_handler(wrapper_frame) and not _ships_own_event(below, modules):
        try:
            logged = log_diagnosis(
                diagnosis
                if isinstance(diagnosis, modules.diagnosis.Diagnosis)
                else diagnosis.event()
            )
        except Exception as failure:  # noqa: BLE001 - a broken log setup must not hide it
            log_internal_failure("log", failure)
    return copy, logged


def _diagnose_stream_safely(error: BaseException, stream: Any, wrapper_frame: FrameType) -> None:
    """Attach a diagnosis to a broken body's exception in place, and log it unless collected."""

    def find() -> tuple[Diagnosis, bool] | None:
        from cos_doctor._hook.failures import diagnose_stream_failure

        return diagnose_stream_failure(
            error,
            stream,
            caller=wrapper_frame.f_back,
            part_failures=_part_failures,
            collecting=_helper_calls > 0,
        )

    _diagnose_in_place_safely(error, wrapper_frame, find)


_HANDLE = logging.Handler.handle.__code__


def _inside_log_handler(frame: FrameType | None) -> bool:
    """Whether a logging handler made this call (one shipping records to COS, say).

    Its failure must not become another record: with the handler on another thread (a
    ``QueueListener``) the thread-local guard in ``_log`` cannot see the recursion.
    """
    handle = _HANDLE
    for _ in range(64):
        if frame is None:
            return False
        if frame.f_code is handle:
            return True
        frame = frame.f_back
    return False


def _ships_own_event(traceback: Any, modules: _Modules) -> bool:
    """Whether the failed request uploaded an event of cos_doctor's (a log pipeline shipping it).

    A worker thread of the application's own sends it, out of sight of both the thread-local
    guard and the frame check above: logging its failure would ship, and fail, again.
    ``traceback``: the failure's, below the wrapper (whose own frame is not send_request).
    """
    is_send_request = modules.adapter.is_send_request
    while traceback is not None:
        if is_send_request(traceback.tb_frame):
            return bool(
                modules.event.holds_own_event(modules.adapter.request_body(traceback.tb_frame))
            )
        traceback = traceback.tb_next
    return False


def _below(traceback: Any, frame: FrameType) -> Any:
    """Drop the wrapper's own entry: re-raising from the same frame adds it back."""
    if traceback is not None and traceback.tb_frame is frame:
        return traceback.tb_next
    return traceback


if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=_after_fork_in_child)
