"""install() / uninstall(): wrap ``CosS3Client.send_request`` once, and only once.

Every SDK call funnels through ``send_request``, which raises ``CosServiceError`` for any
3xx-5xx reply after its own retries; wrapping it on the class covers clients created before
install() ran, and yields one diagnosis per failed call rather than one per retry.

On success the wrapper does nothing but call through. On failure everything cos_doctor
does runs inside a guard: if it fails, the SDK's original exception propagates unchanged.

wrapt provides the post-import hook (install() before ``import qcloud_cos``); the layer
itself is a plain function rather than a ``wrapt.FunctionWrapper``, which measured 5-8 µs
per real SDK call against the 1.5 µs budget (benchmarks/README.md). It follows wrapt's
guidelines all the same: ``__wrapped__`` and the metadata of the original, identity-based
idempotence, and only its own layer removed by uninstall().
"""

from __future__ import annotations

import functools
import re
import sys
import threading
import types
from typing import TYPE_CHECKING, Any

from cos_doctor import _config
from cos_doctor._config import UNSET
from cos_doctor._log import (
    SdkSecretFilter,
    emitting,
    flush_storms,
    log_diagnosis,
    log_internal_failure,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from types import FrameType

    from cos_doctor._config import Level, _Unset
    from cos_doctor._context import RequestContext
    from cos_doctor.errors import CosDiagnosedError

__all__ = ["install", "is_installed", "uninstall"]

_SDK_MODULE = "qcloud_cos.cos_client"
_lock = threading.RLock()
_installed = False
_import_hook_registered = False
_sdk_log_filter = SdkSecretFilter()

# SDK helpers that catch CosServiceError themselves: their misses are answers, not failures.
_EXPECTED_MISSES = {"object_exists": {404}, "bucket_exists": {404}}
_SWALLOWING_HELPERS = re.compile(r"^_(?:get|list)_bucket_\w+_wrapper$")  # get_bucket_meta


class _NotYetPatched(Exception):  # noqa: N818 - a placeholder type, never raised
    """Stands in for CosServiceError until the SDK module is patched."""


_service_error: type[BaseException] = _NotYetPatched


def install(
    locale: str | _Unset | None = UNSET,
    *,
    level: Level | _Unset = UNSET,
    expected: Iterable[str] | _Unset = UNSET,
    expected_level: Level | _Unset | None = UNSET,
    storm_window: float | _Unset | None = UNSET,
) -> bool:
    """Diagnose every ``CosServiceError`` the SDK raises from now on.

    Idempotent and thread-safe; works before or after ``import qcloud_cos`` and covers
    clients created earlier. Settings not given keep their current value, so a second
    ``install()`` never undoes a first one's:

    - ``locale`` ("en", "ko") sets the language of diagnoses; None defers to
      ``$COS_DOCTOR_LOCALE``.
    - ``level`` is the level of the ``cos_request_failed`` event (default WARNING).
    - ``expected`` names COS error codes (``"NoSuchKey"``) or rule ids (``"no-such-key"``)
      the application handles: their events go out at ``expected_level`` (default DEBUG;
      None: not at all). The exception is diagnosed all the same.
    - ``storm_window``: seconds within which identical failures collapse into one event and
      one summary (default 5; 0 or None: every failure logs).

    Returns True when it patched the SDK, False when cos_doctor was already installed (the
    settings given still apply) or patching failed (logged, never raised). An invalid
    setting raises ValueError or TypeError before anything changes.
    """
    global _installed, _import_hook_registered  # noqa: PLW0603 - process-wide patch state
    _config.configure(
        locale=locale,
        level=level,
        expected=expected,
        expected_level=expected_level,
        storm_window=storm_window,
    )
    try:
        with _lock:
            if _installed:
                return False
            module = sys.modules.get(_SDK_MODULE)
            if module is not None:
                _patch(module)
            elif not _import_hook_registered:
                import wrapt  # deferred: only install() pays for it

                wrapt.register_post_import_hook(_on_sdk_import, _SDK_MODULE)
                _import_hook_registered = True
            _sdk_log_filter.attach()
            _installed = True
            return True
    except Exception as error:  # noqa: BLE001 - install() must never break the host app
        log_internal_failure("install", error)
        return False


def uninstall() -> bool:
    """Undo :func:`install`: restore the SDK's own ``send_request``; True if it changed anything.

    When another library has wrapped ``send_request`` on top of cos_doctor, its wrapper is
    left in place and cos_doctor's own layer becomes a pass-through instead. Open storms are
    summarised now, and the settings go back to their defaults.
    """
    global _installed  # noqa: PLW0603 - process-wide patch state
    try:
        with _lock:
            if not _installed:
                return False
            _installed = False
            module = sys.modules.get(_SDK_MODULE)
            if module is not None:
                _unpatch(module.CosS3Client)
            _sdk_log_filter.detach()
        flush_storms()
        _config.reset()
    except Exception as error:  # noqa: BLE001 - uninstall() must never break the host app
        log_internal_failure("uninstall", error)
        return False
    return True


def is_installed() -> bool:
    """Return whether cos_doctor currently diagnoses SDK errors."""
    return _installed


def _on_sdk_import(module: Any) -> None:
    try:
        with _lock:
            if _installed:
                _patch(module)
    except Exception as error:  # noqa: BLE001 - runs inside the user's import statement
        log_internal_failure("install", error)


def _patch(module: Any) -> None:
    global _service_error  # noqa: PLW0603 - bound once, when the SDK is first patched
    _service_error = module.CosServiceError
    client_class = module.CosS3Client
    current = client_class.__dict__["send_request"]
    if _our_layer(current) is None:
        client_class.send_request = _layer(current)


def _layer(original: Callable[..., Any]) -> Callable[..., Any]:
    """cos_doctor's layer around ``original``: a plain function, one Python call on success.

    Not a wrapt FunctionWrapper: inside a real SDK call, where its C path has left the CPU
    caches, that adds 5-8 µs per call (1.2 µs in a tight loop). This layer costs what the
    simplest Python wrapper costs (0.6 µs alone, +1.7-1.9 µs per real call; see
    benchmarks/README.md). install() needs wrapt (which imports asyncio) only when the SDK is
    not imported yet, for the post-import hook.
    """

    def _send_request_wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        except _service_error as error:
            if not _installed or emitting():
                # A log handler of cos_doctor's own event calling COS: never diagnose again.
                raise
            diagnosed = _diagnose_safely(error)
            if diagnosed is None:
                raise
            # One traceback, still ending in the SDK's raise: the diagnosed copy takes over
            # the original's frames, and `from None` hides the now redundant original.
            raise diagnosed from None

    return functools.update_wrapper(_send_request_wrapper, original)


# Every layer install() creates runs this code object: how to recognise one. (Not a marker
# attribute: wrapt proxies of other libraries forward attribute reads to what they wrap.)
_LAYER_CODE = _layer(lambda: None).__code__


def _unpatch(client_class: Any) -> None:
    current = client_class.__dict__["send_request"]
    if _our_layer(current) is current:
        client_class.send_request = current.__wrapped__


def _our_layer(attribute: Any) -> Any:
    """Return cos_doctor's wrapper in the chain of wrappers around ``attribute``, or None."""
    seen = 0
    while attribute is not None and seen < 16:
        if type(attribute) is types.FunctionType and attribute.__code__ is _LAYER_CODE:
            return attribute
        attribute = getattr(attribute, "__wrapped__", None)
        seen += 1
    return None


def _diagnose_safely(error: BaseException) -> CosDiagnosedError | None:
    """Return the diagnosed copy of ``error``, or None to let the original propagate."""
    wrapper_frame = sys._getframe(1)  # noqa: SLF001 - the only way to reach the live stack
    caller = wrapper_frame.f_back  # the SDK method that called send_request
    try:
        from cos_doctor._context import context_from_error
        from cos_doctor._diagnose import diagnose_context
        from cos_doctor.errors import CosDiagnosedError, diagnosed_copy

        if isinstance(error, CosDiagnosedError):
            return None
        context = context_from_error(error, caller=caller)
        if _is_expected_miss(context):
            return None
        diagnosis = diagnose_context(context)
        copy = diagnosed_copy(error, diagnosis)
        copy.__traceback__ = _below(error.__traceback__, wrapper_frame)
    except Exception as failure:  # noqa: BLE001 - the guard: never break the user's call
        log_internal_failure("diagnose", failure)
        return None
    try:
        log_diagnosis(diagnosis)
    except Exception as failure:  # noqa: BLE001 - a broken log setup must not hide the diagnosis
        log_internal_failure("log", failure)
    return copy


def _is_expected_miss(context: RequestContext) -> bool:
    for name in context.sdk_call_chain:
        if context.http_status in _EXPECTED_MISSES.get(name, ()):
            return True
        if _SWALLOWING_HELPERS.match(name):
            return True
    return False


def _below(traceback: Any, frame: FrameType) -> Any:
    """Drop the wrapper's own entry: re-raising from the same frame adds it back."""
    if traceback is not None and traceback.tb_frame is frame:
        return traceback.tb_next
    return traceback
