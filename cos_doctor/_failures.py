"""What the hook does with one failure: diagnose it, and decide who reports it.

* A failure inside a part of a many-request helper (a thread of the SDK's pool while a helper
  is running) is diagnosed and kept for that helper, not logged: the helper reports once.
* A helper that gives up gets one diagnosis grouping its parts' (``_parts.py``).
* Misses that the SDK's own helpers turn into answers (``object_exists`` → False) are left alone.
* Everything else: one diagnosis, one log event.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from cos_doctor import _sdk
from cos_doctor._context import RequestContext, context_from_error, traceback_frames
from cos_doctor._diagnose import diagnose_context

if TYPE_CHECKING:
    from collections.abc import MutableMapping
    from types import FrameType

    from cos_doctor.diagnosis import Diagnosis

__all__ = ["diagnose_failure"]

# SDK helpers that catch CosServiceError themselves: their misses are answers, not failures.
_EXPECTED_MISSES = {"object_exists": {404}, "bucket_exists": {404}}
_SWALLOWING_HELPERS = re.compile(r"^_(?:get|list)_bucket_\w+_wrapper$")  # get_bucket_meta


def diagnose_failure(
    error: BaseException,
    *,
    caller: FrameType | None,
    helper: str | None,
    part_failures: MutableMapping[Any, list[Diagnosis]],
    collecting: bool,
) -> tuple[Diagnosis, bool] | None:
    """Return the diagnosis and whether to log it, or None to leave ``error`` undiagnosed."""
    frames = traceback_frames(error.__traceback__, caller)
    if helper is not None:
        return _helper_failure(error, frames, helper, part_failures), True
    worker = next((frame for frame in frames if _sdk.is_pool_worker(frame)), None)
    context = context_from_error(error, caller=caller)
    if worker is not None and collecting:
        from cos_doctor._parts import part_diagnosis

        diagnosis = part_diagnosis(context)
        queue = _sdk.worker_queue(worker)
        if queue is not None:
            part_failures.setdefault(queue, []).append(diagnosis)
            return diagnosis, False
        return diagnosis, True
    if _is_expected_miss(context):
        return None
    return diagnose_context(context), True


def _helper_failure(
    error: BaseException,
    frames: list[FrameType],
    helper: str,
    part_failures: MutableMapping[Any, list[Diagnosis]],
) -> Diagnosis:
    from cos_doctor._parts import grouped_diagnosis

    found = _sdk.helper_locals(frames)
    parts = part_failures.pop(found.pool_queue, []) if found.pool_queue is not None else []
    context = context_from_error(error, caller=None)
    if not parts and context.client_failure != "parts-failed":
        context.operation = helper  # an argument or file error raised by the helper itself
        return diagnose_context(context)
    return grouped_diagnosis(context, helper, parts, found)


def _is_expected_miss(context: RequestContext) -> bool:
    for name in context.sdk_call_chain:
        if context.http_status in _EXPECTED_MISSES.get(name, ()):
            return True
        if _SWALLOWING_HELPERS.match(name):
            return True
    return False
