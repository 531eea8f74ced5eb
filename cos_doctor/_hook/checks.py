"""The SDK's own checks: a ``CosClientError`` it makes for an argument or setting it refuses.

They run in ``CosConfig.__init__`` and in the public methods, before any request, so no
wrapper of a request sees them. cos_doctor patches the making of the error instead, which
never runs on a successful call, and diagnoses it there unless a layer further out will see
it: ``send_request``'s (the error names a request that failed) or a helper's thread pool (a
part's failure, which the helper reports once with the others).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from cos_doctor._pipeline.diagnose import Assessment, diagnose_context
from cos_doctor._sdk import adapter as _sdk
from cos_doctor._sdk.live import context_from_error

if TYPE_CHECKING:
    from collections.abc import MutableMapping
    from types import FrameType

    from cos_doctor.diagnosis import Diagnosis

__all__ = ["diagnose_check", "internal_failure"]

_DEPTH = 64  # frames read above the check: enough for any call chain of the SDK's
# Failures a many-request helper groups itself (its summary of the failed parts).
_HELPER_KINDS = frozenset({"parts-failed"})


def diagnose_check(error: Any, raiser: FrameType) -> Diagnosis | None:
    """Diagnose the check failure ``error`` made at ``raiser``; None leaves it to another layer."""
    stack: list[FrameType] = []
    frame: FrameType | None = raiser
    while frame is not None and len(stack) < _DEPTH:
        if _sdk.is_send_request(frame) or _sdk.is_pool_worker(frame):
            return None
        stack.append(frame)
        frame = frame.f_back
    stack.reverse()  # outermost first, as the pipeline reads frames
    context = context_from_error(error, frames=stack)
    if context.client_failure in _HELPER_KINDS:
        return None
    message = error.args[0] if error.args and isinstance(error.args[0], str) else ""
    refused = _sdk.checked_argument(raiser, message)
    if refused is not None and refused[1] is not None:
        context = dataclasses.replace(context, fills={**context.fills, "given": refused[1]})
    return diagnose_context(context)


# What the SDK fails with that is not its own exception, and is still the user's to fix.
_INTERNAL_KINDS = frozenset(
    {
        "body-not-rewindable",
        "file-missing",
        "file-is-directory",
        "file-permission",
        "file-read-only",
    },
)


def internal_failure(
    error: BaseException,
    *,
    caller: FrameType | None,
    helper: str | None,
    part_failures: MutableMapping[Any, list[Diagnosis]],
    collecting: bool,
) -> tuple[Diagnosis, bool] | None:
    """Diagnose an SDK failure that is not a CosClientError; None when it is not one we know.

    The UnboundLocalError of send_request's retry loop, or a local file's OSError (it names the
    file) inside a helper. Returns the diagnosis and whether to log it (a part's is collected).
    """
    from cos_doctor._hook.failures import diagnose_failure
    from cos_doctor._sdk.live import client_error_seen

    if isinstance(error, OSError) and getattr(error, "filename", None) is None:
        return None  # requests' and urllib3's exceptions are OSErrors too: not a local file
    if client_error_seen(error, None).failure not in _INTERNAL_KINDS:
        return None
    outcome = diagnose_failure(
        error, caller=caller, helper=helper, part_failures=part_failures, collecting=collecting
    )
    if outcome is None:
        return None
    found, emit = outcome
    return (found() if isinstance(found, Assessment) else found), emit
