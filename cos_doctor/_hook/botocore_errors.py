"""The exceptions cos_doctor raises in place of botocore's, for a call to COS.

Hierarchy (everything users already catch keeps catching)::

    botocore.exceptions.ClientError
     ├── cos_doctor.CosDiagnosedS3Error                     + .diagnosis
     └── <client>.exceptions.NoSuchKey (modeled, per client)
          └── NoSuchKey, diagnosed: (CosDiagnosedS3Error, NoSuchKey), same name and module
    botocore.exceptions.BotoCoreError
     ├── cos_doctor.CosDiagnosedBotoCoreError               + .diagnosis
     └── EndpointConnectionError, ReadTimeoutError, SSLError… (no reply from COS)
          └── the same, diagnosed: (CosDiagnosedBotoCoreError, it), same name and module

Imported only once botocore is (it subclasses botocore's class).
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from cos_doctor.errors import NOTES_ARE_PRINTED, _Diagnosed, attach_builder

if TYPE_CHECKING:
    from collections.abc import Callable

    from cos_doctor.diagnosis import Diagnosis

__all__ = [
    "CosDiagnosedBotoCoreError",
    "CosDiagnosedS3Error",
    "diagnosed_botocore_copy",
    "diagnosed_s3_copy",
]


class CosDiagnosedS3Error(_Diagnosed, ClientError):  # type: ignore[misc]  # botocore: no hints
    """A botocore ``ClientError`` from COS's S3-compatible API that knows what went wrong.

    ``response``, ``operation_name`` and ``args`` are botocore's; ``str(e)`` starts with
    botocore's own message, then the headline. ``diagnosis`` holds the
    :class:`~cos_doctor.Diagnosis`. A modeled error (``client.exceptions.NoSuchKey``) becomes
    a subclass of both, so ``except client.exceptions.NoSuchKey`` still catches it.
    """

    def __str__(self) -> str:
        """Return botocore's message (code reading it keeps working), then the headline."""
        original = str(self.args[0]) if self.args else ""
        diagnosis = self.diagnosis
        if diagnosis is None:
            return original
        if NOTES_ARE_PRINTED:
            return f"{original}\n{diagnosis.headline()}"
        return f"{original}\n{diagnosis.headline()}\n{diagnosis.render()}"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as ``ClientError`` does (modeled classes are not importable), diagnosis kept."""
        _, _, state = super().__reduce__()
        return (CosDiagnosedS3Error, (self.response, self.operation_name), state)


CosDiagnosedS3Error.__module__ = "cos_doctor"
# One diagnosed class per botocore class (modeled ones are made per client factory); weak: a
# class goes with what made it.
_CLASSES: weakref.WeakKeyDictionary[type, type] = weakref.WeakKeyDictionary()


def _diagnosed_class(original: type, diagnosed: type, base: type) -> type:
    """``diagnosed`` itself for ``base``, else a subclass of both, with the original's name.

    Same name and module: a traceback shows the class botocore would have raised.
    """
    if original is base or not issubclass(original, base):
        return diagnosed
    found = _CLASSES.get(original)
    if found is None:
        namespace = {"__module__": original.__module__, "__doc__": diagnosed.__doc__}
        found = _CLASSES.setdefault(
            original, type(original.__name__, (diagnosed, original), namespace)
        )
    return found


def _as_diagnosed(kind: type, error: BaseException) -> Any:
    """An instance of ``kind`` with ``error``'s args and state (botocore's __init__ not re-run)."""
    copy = kind.__new__(kind, *error.args)
    copy.args = error.args
    copy.__dict__.update(error.__dict__)
    return copy


def _diagnosed_copy(
    error: BaseException, diagnosis: Diagnosis | Callable[[], Diagnosis], base: type, foreign: type
) -> Any:
    """``error`` as the diagnosed subclass of its class (``base`` beside ``foreign``)."""
    copy = _as_diagnosed(_diagnosed_class(type(error), base, foreign), error)
    attach_builder(copy, error, diagnosis)
    return copy


def diagnosed_s3_copy(
    error: ClientError, diagnosis: Diagnosis | Callable[[], Diagnosis]
) -> CosDiagnosedS3Error:
    """A diagnosed copy of ``error``: same args and state, a subclass of its class."""
    copy: CosDiagnosedS3Error = _diagnosed_copy(error, diagnosis, CosDiagnosedS3Error, ClientError)
    return copy


class CosDiagnosedBotoCoreError(_Diagnosed, BotoCoreError):  # type: ignore[misc]  # no hints
    """A botocore client-side failure (no reply) on a call to COS that knows what went wrong.

    ``kwargs``, ``fmt`` and ``args`` are botocore's; ``str(e)`` starts with botocore's own
    message, then the headline. Raised as a subclass of the class botocore raised
    (``EndpointConnectionError``, ``ReadTimeoutError``…), so ``except`` clauses keep working.
    """

    __str__ = CosDiagnosedS3Error.__str__

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as botocore does (by its class and kwargs), the diagnosis kept."""
        _, _, state = super().__reduce__()
        original = next(
            kind
            for kind in type(self).__mro__
            if issubclass(kind, BotoCoreError) and not issubclass(kind, CosDiagnosedBotoCoreError)
        )
        # botocore's own reduction (HTTPClientError adds request and response), of its class.
        reduced: Any = original.__reduce__(self)
        _, (_, packed, kwargs) = reduced
        return (_restore_botocore, (original, packed, kwargs), state)


CosDiagnosedBotoCoreError.__module__ = "cos_doctor"


def diagnosed_botocore_copy(
    error: BotoCoreError, diagnosis: Diagnosis | Callable[[], Diagnosis]
) -> CosDiagnosedBotoCoreError:
    """A diagnosed copy of ``error``: same args and state, a subclass of its class."""
    copy: CosDiagnosedBotoCoreError = _diagnosed_copy(
        error, diagnosis, CosDiagnosedBotoCoreError, BotoCoreError
    )
    return copy


def _restore_botocore(original: type, packed: Any, kwargs: dict[str, Any]) -> Any:
    """Unpickle: botocore's exception rebuilt as botocore rebuilds it, then made diagnosed."""
    rebuilt = original(*(packed or ()), **kwargs)
    return _as_diagnosed(
        _diagnosed_class(original, CosDiagnosedBotoCoreError, BotoCoreError), rebuilt
    )
