"""cos_doctor: every Tencent Cloud COS error, diagnosed.

``cos_doctor.install()`` wraps the official SDK (``qcloud_cos``) so that each
``CosServiceError`` is re-raised as a :class:`CosDiagnosedError` (each ``CosClientError`` as a
:class:`CosDiagnosedClientError`; with boto3 / botocore, each COS ``ClientError`` as a
:class:`CosDiagnosedS3Error`, each failure without a reply as a
:class:`CosDiagnosedBotoCoreError`) carrying a
:class:`Diagnosis`: what happened, why, the facts observed for this request, and the
numbered steps to fix it. :func:`diagnose` does the same for any error, installed or not;
:func:`investigate` (opt-in, read-only calls) reads the bucket's configuration and names the
statement or rule that refused the request. :mod:`cos_doctor.post_object` builds, signs and
lints browser POST Object forms.

Importing this package is cheap: the SDK, wrapt, structlog and the knowledge base are only
loaded when they are first needed.

Layers, top to bottom; each imports only the ones below it, names on one line import not each
other, and nothing imports in a cycle (``tests/test_layout.py`` checks all three)::

    __main__
    cli, testing, sentry    public faces of the command line, the pytest fixtures, Sentry
    _cli                    check, demo, scenarios, printed text
    emulator, _hook         the local COS server; install() and what happens to one failure
    _access                 the access engine and investigate()
    _readers, errors        diagnose() and pasted text; the diagnosed exceptions
    post_object             public face of _post
    _log                    the event, storms, the span, the SDK's own records redacted and lowered
    _sdk                    every private name of qcloud_cos and botocore; a failure read as records
    _pipeline               records -> context -> match -> evidence -> Diagnosis (plain data only)
    _post                   POST Object policy and lint
    _knowledge              the knowledge base loaded and checked, its vocabulary
    diagnosis               the value objects users get
    _redact                 the one sealing boundary's redactor
    _locale, _signing       the language chosen; the q-sign signature
    _config, _lazy, _normalize, _record   settings; lock-free lazy attributes; folding text;
                            frozen value classes defined without compiling
"""

import logging
import typing

from cos_doctor._hook.install import install, is_installed, uninstall

if typing.TYPE_CHECKING:
    from cos_doctor import post_object
    from cos_doctor._access.investigate import Finding, investigate
    from cos_doctor._hook.botocore_errors import CosDiagnosedBotoCoreError, CosDiagnosedS3Error
    from cos_doctor._readers.diagnose import diagnose
    from cos_doctor.diagnosis import Cause, Diagnosis, Evidence
    from cos_doctor.errors import CosDiagnosedClientError, CosDiagnosedError

__all__ = [
    "Cause",
    "CosDiagnosedBotoCoreError",
    "CosDiagnosedClientError",
    "CosDiagnosedError",
    "CosDiagnosedS3Error",
    "Diagnosis",
    "Evidence",
    "Finding",
    "__version__",
    "diagnose",
    "install",
    "investigate",
    "is_installed",
    "post_object",
    "uninstall",
]

__version__ = "0.1.0"

# The logging HOWTO's advice for libraries: an application that configured no logging prints
# nothing (the exception carries the diagnosis), instead of Python's last-resort stderr handler.
logging.getLogger(__name__).addHandler(logging.NullHandler())

# Loaded on first access: CosDiagnosedError needs qcloud_cos (300 ms to import), install()
# must be callable before the application imports the SDK, and the value objects (with the
# redactor they seal with) serve only once something failed.
_LAZY = {
    "Cause": "cos_doctor.diagnosis",
    "Diagnosis": "cos_doctor.diagnosis",
    "Evidence": "cos_doctor.diagnosis",
    "CosDiagnosedClientError": "cos_doctor.errors",
    "CosDiagnosedError": "cos_doctor.errors",
    "CosDiagnosedBotoCoreError": "cos_doctor._hook.botocore_errors",  # needs botocore
    "CosDiagnosedS3Error": "cos_doctor._hook.botocore_errors",  # needs botocore
    "diagnose": "cos_doctor._readers.diagnose",
    "Finding": "cos_doctor._access.investigate",
    "investigate": "cos_doctor._access.investigate",
}


# Public submodules, imported on first access.
_SUBMODULES = frozenset({"post_object"})


def __getattr__(name: str) -> typing.Any:
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"cos_doctor.{name}")
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'cos_doctor' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
