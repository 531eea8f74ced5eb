"""The SDK side of a comparison: CosS3Client twins with and without cos_doctor's layer."""

from __future__ import annotations

import itertools
import logging
import types
from typing import TYPE_CHECKING, Any

from benchmarks._transport import FakeCos, make_client

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


def sdk_twin(*, hooked: bool = False) -> type:
    """A subclass of CosS3Client with copies of all its methods, as the SDK ships them.

    ``hooked``: with cos_doctor's layer put on it the way install() puts it on CosS3Client.
    """
    from qcloud_cos import CosS3Client
    from qcloud_cos.cos_exception import CosServiceError

    import cos_doctor
    from cos_doctor import _config
    from cos_doctor._hook import install as _hook

    installed = cos_doctor.is_installed()
    kept = _config.settings()  # uninstall() resets them: a storm window of 5 s would come back
    cos_doctor.uninstall()  # CosS3Client's own send_request, not cos_doctor's layer
    methods = {
        name: code_copy(value)
        for name, value in vars(CosS3Client).items()
        if isinstance(value, types.FunctionType)
    }
    if installed:
        cos_doctor.install()
        _config._CONFIGURATION.current = kept  # the settings the caller chose
    twin = type("CosS3Client", (CosS3Client,), methods)
    if hooked:
        _hook._patch(types.SimpleNamespace(CosServiceError=CosServiceError, CosS3Client=twin))
    return twin


def code_copy(function: types.FunctionType) -> types.FunctionType:
    """The same function over a distinct code object (so with its own specialisations)."""
    copy = types.FunctionType(
        function.__code__.replace(),
        function.__globals__,
        function.__name__,
        function.__defaults__,
        function.__closure__,
    )
    copy.__kwdefaults__ = function.__kwdefaults__
    copy.__qualname__ = function.__qualname__
    return copy


def make_clients(adapter: FakeCos) -> tuple[Any, Any]:
    """Install cos_doctor; return an unhooked client and a hooked one.

    The unhooked client's class is a twin of CosS3Client holding the SDK's own methods,
    ``send_request`` saved before install() among them, each with a copy of its code object.
    Comparing the two then needs no install()/uninstall() between calls (which would rewrite
    the class and reset the interpreter's attribute caches), and the two clients never share
    a bytecode site whose specialisation the other would keep undoing (CPython specialises
    per code object and receiver type): each side runs as it would alone.
    """
    import cos_doctor

    twin = sdk_twin()
    cos_doctor.install()
    return make_client(adapter, twin), make_client(adapter)


def round_robin(call: Callable[[Any], object], clients: Sequence[Any]) -> Callable[[], object]:
    """A workload that makes ``call`` on each of ``clients`` in turn."""
    turn = itertools.cycle(clients)
    return lambda: call(next(turn))


def quiet_sdk_logs(level: int = logging.WARNING) -> None:
    """Give the SDK's loggers a handler that drops records (its errors would go to stderr)."""
    sdk = logging.getLogger("qcloud_cos")
    if not any(isinstance(handler, logging.NullHandler) for handler in sdk.handlers):
        sdk.addHandler(logging.NullHandler())
    sdk.propagate = False
    sdk.setLevel(level)


def null_structlog() -> None:
    """Send cos_doctor's log event to a sink that discards it (the benchmark's own config)."""
    import structlog

    structlog.configure(processors=[], logger_factory=structlog.ReturnLoggerFactory())


def expect_service_error(call: Callable[[], object]) -> Callable[[], None]:
    """Wrap a call that must raise CosServiceError; anything else is a broken workload."""
    from qcloud_cos.cos_exception import CosServiceError

    def run() -> None:
        try:
            call()
        except CosServiceError:
            return
        raise RuntimeError("the workload was meant to fail with CosServiceError")

    return run


def expect_client_error(call: Callable[[], object]) -> Callable[[], None]:
    """Wrap a call that must raise CosClientError; anything else is a broken workload."""
    from qcloud_cos.cos_exception import CosClientError

    def run() -> None:
        try:
            call()
        except CosClientError:
            return
        raise RuntimeError("the workload was meant to fail with CosClientError")

    return run


def capture(call: Callable[[], object], *, client: bool = False) -> Any:
    """Return the CosServiceError (``client``: CosClientError) that ``call`` raises.

    Its traceback keeps the frames alive.
    """
    from qcloud_cos.cos_exception import CosClientError, CosServiceError

    expected = CosClientError if client else CosServiceError
    try:
        call()
    except expected as error:
        return error
    raise RuntimeError(f"the workload was meant to fail with {expected.__name__}")


def reacting_twin(react: Callable[[Any], tuple[Any, Any]]) -> type:
    """A CosS3Client twin under a wrapt layer that, on a ``CosServiceError``, does what ``react`` says.

    ``react(error)`` gives (the Diagnosis or its builder, the event's facts): the layer raises
    cos_doctor's diagnosed copy with that Diagnosis, its traceback below the layer as the hook
    leaves it, and logs the event through cos_doctor's own log call.
    """
    import wrapt
    from qcloud_cos.cos_exception import CosServiceError

    from cos_doctor._log.event import log_diagnosis
    from cos_doctor.errors import diagnosed_copy

    twin = sdk_twin()

    def on_send_request(wrapped: Any, _instance: Any, args: Any, kwargs: Any) -> Any:
        try:
            return wrapped(*args, **kwargs)
        except CosServiceError as error:
            diagnosis, event = react(error)
            copy = diagnosed_copy(error, diagnosis)
            copy.__traceback__ = error.__traceback__.tb_next  # type: ignore[union-attr]
            log_diagnosis(event)
        try:
            raise copy
        finally:
            copy = None

    twin.send_request = wrapt.FunctionWrapper(vars(twin)["send_request"], on_send_request)
    return twin


def floor_twin(diagnosis: Any, event: Any) -> type:
    """A twin whose layer does only what any hook design must: the floor of the failure budget.

    On a ``CosServiceError`` from ``send_request`` it raises cos_doctor's diagnosed copy (its
    Diagnosis ready-made, so nothing is read, matched or computed) and logs ``event``, a
    ready-made event of the same fields, through cos_doctor's own log call.
    """
    return reacting_twin(lambda _error: (diagnosis, event))
