"""cos_doctor: every Tencent Cloud COS error, diagnosed.

``cos_doctor.install()`` wraps the official SDK (``qcloud_cos``) so that each
``CosServiceError`` is re-raised as a :class:`CosDiagnosedError` (each ``CosClientError`` as a
:class:`CosDiagnosedClientError`) carrying a
:class:`Diagnosis`: what happened, why, the facts observed for this request, and the
numbered steps to fix it. :func:`diagnose` does the same for any error, installed or not.

Importing this package is cheap: the SDK, wrapt, structlog and the knowledge base are only
loaded when they are first needed.
"""

import typing

from cos_doctor._hook import install, is_installed, uninstall
from cos_doctor.diagnosis import Diagnosis, Evidence

if typing.TYPE_CHECKING:
    from cos_doctor._diagnose import diagnose
    from cos_doctor.errors import CosDiagnosedClientError, CosDiagnosedError

__all__ = [
    "CosDiagnosedClientError",
    "CosDiagnosedError",
    "Diagnosis",
    "Evidence",
    "__version__",
    "diagnose",
    "install",
    "is_installed",
    "uninstall",
]

__version__ = "0.1.0"

# Loaded on first access: CosDiagnosedError needs qcloud_cos (300 ms to import), and
# install() must be callable before the application imports the SDK.
_LAZY = {
    "CosDiagnosedClientError": "cos_doctor.errors",
    "CosDiagnosedError": "cos_doctor.errors",
    "diagnose": "cos_doctor._diagnose",
}


def __getattr__(name: str) -> typing.Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'cos_doctor' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
