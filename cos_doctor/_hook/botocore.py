"""botocore (boto3) pointed at COS: the same diagnoses, on ``BaseClient._make_api_call``.

Every boto3 / botocore call funnels through ``_make_api_call``, which raises ``ClientError``
for an error reply, or a ``BotoCoreError`` for a request that got none (DNS, refused, timeouts,
TLS, proxy, a broken body), after botocore's retries: one wrapt ``FunctionWrapper`` on the
class covers clients made before install(), composes with OpenTelemetry's and Sentry's layers
on the same method in either order, and removes only itself. On success it only calls through.
On failure a reply is diagnosed only when it is COS's (its headers, or a COS or configured
endpoint domain), a failure without a reply only when the endpoint is COS's; anything else
propagates untouched. Patched when ``install()`` runs if botocore is imported, else when
``botocore.client`` is first executed (and on every reload).

A GetObject's ``Body`` is read after the call returned: ``StreamingBody.read`` and
``readinto`` (every other reader goes through ``read``) carry a layer of their own, which on a
broken body of COS's diagnoses it the same way, unless boto3's transfer manager is reading (it
retries the part itself) or the read happens inside a call (that call's layer reports it).
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import weakref
from typing import TYPE_CHECKING, Any

from cos_doctor import _config
from cos_doctor._hook.layers import finished_module, our_layer

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType

__all__ = ["disable", "enable", "is_patched"]

_lock = threading.RLock()
_enabled = False
_watching = False
# Every BaseClient class patched so far (a reloaded botocore.client brings a new one); weak.
_patched: weakref.WeakSet[type] = weakref.WeakSet()
# Every StreamingBody class whose readers were patched; weak.
_patched_bodies: weakref.WeakSet[type] = weakref.WeakSet()


class _NotYetPatched(Exception):  # noqa: N818 - a placeholder type, never raised
    """Stands in for botocore's exceptions until botocore is patched."""


_client_errors: tuple[type[BaseException], ...] = (_NotYetPatched,)
_stream_errors: tuple[type[BaseException], ...] = (_NotYetPatched,)


def enable() -> bool:
    """Patch botocore now if it is imported, and whenever ``botocore.client`` is executed.

    Returns whether a layer was put on now (False: already there, or botocore not imported).
    """
    global _enabled, _watching  # noqa: PLW0603 - process-wide patch state
    from cos_doctor._sdk import botocore as _boto

    module = finished_module(_boto.CLIENT_MODULE, _boto.CLIENT_CLASS)
    with _lock:
        _enabled = True
        if not _watching:
            from cos_doctor._hook.import_watch import watch_module

            watch_module(_boto.CLIENT_MODULE, _on_import)
            _watching = True
        module = sys.modules.get(_boto.CLIENT_MODULE, module)
        if module is not None and hasattr(module, _boto.CLIENT_CLASS):
            return _patch(module)
    return False


def disable() -> None:
    """Remove cos_doctor's layer where it is on top; below another layer it passes through."""
    global _enabled  # noqa: PLW0603 - process-wide patch state
    from cos_doctor._sdk import botocore as _boto

    with _lock:
        _enabled = False
        for client_class in list(_patched):
            current = client_class.__dict__.get(_boto.API_CALL)
            if current is not None and _our_layer(current) is current:
                setattr(client_class, _boto.API_CALL, current.__wrapped__)
        _patched.clear()
        for body_class in list(_patched_bodies):
            for name in _boto.STREAM_READERS:
                current = body_class.__dict__.get(name)
                if current is not None and our_layer(current, _on_stream_read) is current:
                    setattr(body_class, name, current.__wrapped__)
        _patched_bodies.clear()


def is_patched() -> bool:
    """Whether botocore's current BaseClient carries cos_doctor's layer (False if not imported)."""
    from cos_doctor._sdk import botocore as _boto

    module = sys.modules.get(_boto.CLIENT_MODULE)
    client_class = getattr(module, _boto.CLIENT_CLASS, None)
    return _our_layer(getattr(client_class, "__dict__", {}).get(_boto.API_CALL)) is not None


def _patch(module: Any) -> bool:
    import wrapt

    from cos_doctor._sdk import botocore as _boto

    global _client_errors  # noqa: PLW0603 - bound once botocore is known
    _client_errors = (_boto.client_error_class(), *_boto.client_failure_classes())
    _patch_body_readers(_boto.streaming_body_class())
    client_class = getattr(module, _boto.CLIENT_CLASS)
    current = client_class.__dict__.get(_boto.API_CALL)
    _patched.add(client_class)
    if current is None or _our_layer(current) is not None:
        return False
    setattr(client_class, _boto.API_CALL, wrapt.FunctionWrapper(current, _on_make_api_call))
    return True


def _patch_body_readers(body_class: type) -> None:
    """Put a layer on the readers of botocore's ``StreamingBody`` (``body_class``)."""
    import wrapt

    from cos_doctor._sdk import botocore as _boto

    global _stream_errors  # noqa: PLW0603 - bound once botocore is known
    _stream_errors = _boto.stream_failure_classes()
    _patched_bodies.add(body_class)
    for name in _boto.STREAM_READERS:
        current = body_class.__dict__.get(name)
        if current is not None and our_layer(current, _on_stream_read) is None:
            setattr(body_class, name, wrapt.FunctionWrapper(current, _on_stream_read))


def _on_import(module: Any) -> None:
    try:
        with _lock:
            if _enabled:
                _patch(module)
    except Exception as error:  # noqa: BLE001 - runs inside the user's import statement
        from cos_doctor._log.event import log_internal_failure

        log_internal_failure("install", error)


def _our_layer(attribute: Any) -> Any:
    """cos_doctor's layer in ``attribute``'s chain of wrappers (a class-bound copy too), or None."""
    return our_layer(attribute, _on_make_api_call, bound_copies=True)


def _after_fork_in_child() -> None:
    global _lock  # noqa: PLW0603 - a parent's thread may have held it at the fork
    _lock = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# ---------------------------------------------------------------------------------------------
# The wrapper: pass-through on success, diagnosis of COS's replies on failure


def _on_make_api_call(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    try:
        return wrapped(*args, **kwargs)
    except _client_errors as error:
        if not _enabled:
            raise
        frame = sys._getframe()  # noqa: SLF001
        diagnosed = _diagnose_safely(error, frame, functools.partial(_diagnosed, error, instance))
        if diagnosed is None:
            raise
    # Outside the except block, as the SDK hook does: one traceback, botocore's own chain.
    try:
        raise diagnosed
    finally:
        diagnosed = None


def _on_stream_read(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    # _on_make_api_call's shape, written again on purpose: wrapt tells a layer by its wrapper
    # function, and the diagnosed copy is raised from the layer's own frame.
    try:
        return wrapped(*args, **kwargs)
    except _stream_errors as error:
        if not _enabled:
            raise
        frame = sys._getframe()  # noqa: SLF001
        diagnose = functools.partial(_diagnosed_stream, error, instance, frame)
        diagnosed = _diagnose_safely(error, frame, diagnose)
        if diagnosed is None:
            raise
    try:
        raise diagnosed
    finally:
        diagnosed = None


def _inside_another_call(frame: FrameType) -> bool:
    """Whether a botocore call of cos_doctor's layer is further up this thread's stack."""
    code = _on_make_api_call.__code__
    caller = frame.f_back
    for _ in range(512):
        if caller is None:
            return False
        if caller.f_code is code:
            return True
        caller = caller.f_back
    return False


def _diagnose_safely(
    error: BaseException,
    wrapper_frame: FrameType,
    diagnose: Callable[[], tuple[Any, Any]],
) -> Any:
    """The diagnosed copy of COS's ``ClientError`` or failure; None leaves ``error`` as it is.

    ``diagnose()`` gives the copy and its assessment, or (None, None) when it is not COS's.
    """
    from cos_doctor._log import event as _log

    if _log.emitting():
        return None  # a log handler of our own event calling COS: never diagnose it again
    if _inside_another_call(wrapper_frame):
        # A call made while another runs (botocore's own HeadBucket for a region redirect, a
        # user's event handler): whoever made it handles its error, or it reaches the outer call.
        return None
    try:
        if getattr(error, "diagnosis", None) is not None:
            return None  # diagnosed by a layer further down
        copy, assessment = diagnose()
        if copy is None:
            return None
        traceback = error.__traceback__
        copy.__traceback__ = (
            traceback.tb_next
            if traceback is not None and traceback.tb_frame is wrapper_frame
            else traceback
        )
    except Exception as failure:  # noqa: BLE001 - the guard: never break the user's call
        _log.log_internal_failure("diagnose", failure)
        return None
    try:
        _log.log_diagnosis(assessment.event())
    except Exception as failure:  # noqa: BLE001 - a broken log setup must not hide it
        _log.log_internal_failure("log", failure)
    return copy


def _diagnosed_stream(error: BaseException, body: Any, wrapper_frame: FrameType) -> tuple[Any, Any]:
    """A streamed body's diagnosed copy and assessment; (None, None) to leave it as it is.

    Left when it is not COS's, or when boto3's transfer manager reads it: that retries, and
    reports only when it gives up.
    """
    from cos_doctor._hook import botocore_errors as _errors
    from cos_doctor._pipeline.diagnose import assess
    from cos_doctor._sdk import botocore as _boto

    if _boto.read_by_transfer_manager(wrapper_frame):
        return None, None
    reply = _boto.stream_reply(body)
    if not _boto.is_cos_stream(reply, _config.settings().cos_domains):
        return None, None
    assessment = assess(_boto.context_from_stream_failure(error, reply))
    return _errors.diagnosed_botocore_copy(error, assessment), assessment


def _diagnosed(error: BaseException, client: Any) -> tuple[Any, Any]:
    """The diagnosed copy and its assessment; (None, None) when it is not COS's."""
    from cos_doctor._hook import botocore_errors as _errors
    from cos_doctor._pipeline.diagnose import assess
    from cos_doctor._sdk import botocore as _boto

    domains = _config.settings().cos_domains
    if isinstance(error, _client_errors[0]):
        if not _boto.is_cos_failure(error, client, domains):
            return None, None
        assessment = assess(_boto.context_from_client_error(error, client))
        return _errors.diagnosed_s3_copy(error, assessment), assessment
    # No reply to say whose it is: the endpoint alone decides.
    if not _boto.is_cos_endpoint(client, domains):
        return None, None
    assessment = assess(_boto.context_from_client_failure(error, client))
    return _errors.diagnosed_botocore_copy(error, assessment), assessment
