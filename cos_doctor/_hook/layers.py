"""What both patches (the COS SDK's and botocore's) need of a module and of their layers.

A module another thread is still importing is half-defined: it is waited for, outside any
lock of cos_doctor's (the importing thread may need that lock: the import watcher patches on
import). A layer is recognised by the wrapper function it runs, read from the wrapt proxy's
own slot (a wrapt proxy forwards other attribute reads to what it wraps, so a marker attribute
would be seen through every foreign layer).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["finished_module", "import_in_progress", "our_layer"]

_DEPTH = 16  # layers looked through: far more than any process stacks on one method


def import_in_progress(module: Any, defines: str) -> bool:
    """Whether another thread is executing ``module`` right now (``defines`` not there yet)."""
    spec = getattr(module, "__spec__", None)
    return bool(getattr(spec, "_initializing", False)) or not hasattr(module, defines)


def finished_module(name: str, defines: str) -> Any:
    """Module ``name`` if imported (None if not), waiting for an import under way to finish.

    Call it without cos_doctor's locks held. Without the wait, install() found a half-executed
    module, failed to patch it and stayed off for the whole process.
    """
    module = sys.modules.get(name)
    if module is not None and import_in_progress(module, defines):
        import importlib

        module = importlib.import_module(name)  # blocks until it is done
    return module


def our_layer(attribute: Any, wrapper: Callable[..., Any], *, bound_copies: bool = False) -> Any:
    """The wrapt layer running ``wrapper`` in ``attribute``'s chain of wrappers, or None.

    ``bound_copies``: a class-bound copy of the layer counts too (OpenTelemetry's unwrap()
    leaves one on botocore's client class under wrapt 2).
    """
    import wrapt

    kinds = (
        (wrapt.FunctionWrapper, wrapt.BoundFunctionWrapper)
        if bound_copies
        else wrapt.FunctionWrapper
    )
    for _ in range(_DEPTH):
        if attribute is None:
            return None
        if getattr(attribute, "_self_wrapper", None) is wrapper and isinstance(attribute, kinds):
            return attribute
        attribute = getattr(attribute, "__wrapped__", None)
    return None
