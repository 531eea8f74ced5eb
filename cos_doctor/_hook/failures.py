"""What the hook does with one failure: diagnose it, and decide who reports it.

* A failure inside a part of a many-request helper (a thread of the SDK's pool while a helper
  is running) is diagnosed and kept for that helper, not logged: the helper reports once.
* A helper that gives up gets one diagnosis grouping its parts' (``_pipeline/parts.py``).
* Misses that the SDK's own helpers turn into answers (``object_exists`` → False) are left alone.
* Everything else: one diagnosis, one log event.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from cos_doctor._pipeline.diagnose import Assessment, assess, diagnose_context
from cos_doctor._pipeline.sources import Hints
from cos_doctor._sdk import adapter as _sdk
from cos_doctor._sdk.live import context_from_error, traceback_frames

if TYPE_CHECKING:
    from collections.abc import MutableMapping
    from types import FrameType

    from cos_doctor._pipeline.context import RequestContext
    from cos_doctor.diagnosis import Diagnosis

__all__ = ["diagnose_failure", "diagnose_select_failure", "diagnose_stream_failure"]

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
) -> tuple[Diagnosis | Assessment, bool] | None:
    """Return the diagnosis and whether to log it, or None to leave ``error`` undiagnosed.

    A failure of the user's own call comes back assessed, its Diagnosis built when read.
    """
    frames = traceback_frames(error.__traceback__, caller)
    if helper is not None:
        return _helper_failure(error, frames, helper, part_failures), True
    context = context_from_error(error, frames=frames)
    collected = _collected_part(context, frames, part_failures, collecting=collecting)
    if collected is not None:
        return collected
    if _is_expected_miss(context):
        return None
    return assess(context), True


def diagnose_stream_failure(
    error: BaseException,
    stream: Any,
    *,
    caller: FrameType | None,
    part_failures: MutableMapping[Any, list[Diagnosis]],
    collecting: bool,
) -> tuple[Diagnosis, bool] | None:
    """A get_object body that broke while the SDK read it whole; None if not a broken body."""
    from cos_doctor._pipeline.context import merge
    from cos_doctor._pipeline.sources import read_reply
    from cos_doctor._sdk.live import client_error_seen, read_frames, response_headers, sent_by

    seen = client_error_seen(error, None)
    if seen.failure not in {"body-interrupted", "connection-reset", "read-timeout"}:
        return None  # a local file error, say: not a network failure, not ours to explain
    frames = traceback_frames(error.__traceback__, caller)
    stack = read_frames(frames)
    reply = _sdk.stream_reply(stream)
    sent = sent_by(reply)
    context = merge(
        reply=read_reply(status=None, headers=response_headers(reply)),
        call=stack.call,
        sent=sent,
        exception=client_error_seen(error, sent),
        hints=Hints(operation=None if stack.call.chain else "get_object"),
        live=True,
    )
    collected = _collected_part(context, frames, part_failures, collecting=collecting)
    return collected or (diagnose_context(context), True)


def diagnose_select_failure(error: BaseException, stream: Any) -> tuple[Diagnosis, bool]:
    """An error message inside select_object_content's event stream: Code and Message from it.

    select_object_content returned before the user iterated: the request and reply are the
    stream's own.
    """
    from cos_doctor._pipeline.context import merge
    from cos_doctor._pipeline.sources import read_reply
    from cos_doctor._sdk.live import response_headers, sent_by

    state = _sdk.service_error_state(error)
    reply = _sdk.stream_reply(stream)
    context = merge(
        reply=read_reply(
            status=state.status if isinstance(state.status, int) else None,
            digest=state.digest,
            headers=response_headers(reply),
            live=True,
        ),
        sent=sent_by(reply),
        hints=Hints(operation=_sdk.SELECT_OPERATION),
        live=True,
    )
    return diagnose_context(context), True


def _collected_part(
    context: RequestContext,
    frames: list[FrameType],
    part_failures: MutableMapping[Any, list[Diagnosis]],
    *,
    collecting: bool,
) -> tuple[Diagnosis, bool] | None:
    """A part's failure inside a running helper's pool: kept for the helper, not logged.

    None when the failure is not a part's (no pool worker on the stack, or no helper running).
    """
    if not collecting:  # no helper running: no frame to look through
        return None
    worker = next((frame for frame in frames if _sdk.is_pool_worker(frame)), None)
    if worker is None:
        return None
    from cos_doctor._pipeline.parts import part_diagnosis

    diagnosis = part_diagnosis(context)
    queue = _sdk.worker_queue(worker)
    if queue is None:
        return diagnosis, True
    part_failures.setdefault(queue, []).append(diagnosis)
    return diagnosis, False


def _helper_failure(
    error: BaseException,
    frames: list[FrameType],
    helper: str,
    part_failures: MutableMapping[Any, list[Diagnosis]],
) -> Diagnosis:
    from cos_doctor._pipeline.parts import grouped_diagnosis

    found = _sdk.helper_locals(frames)
    parts = part_failures.pop(found.pool_queue, []) if found.pool_queue is not None else []
    # Labelled with the method the user called, whichever request inside it failed.
    context = context_from_error(error, caller=None, hints=Hints(operation=helper))
    if not parts and context.client_failure != "parts-failed":
        return diagnose_context(context)  # an argument or file error raised by the helper
    return grouped_diagnosis(
        context, helper, parts, total=found.part_count, upload_id=found.upload_id
    )


def _is_expected_miss(context: RequestContext) -> bool:
    for name in context.sdk_call_chain:
        if context.http_status in _EXPECTED_MISSES.get(name, ()):
            return True
        if _SWALLOWING_HELPERS.match(name):
            return True
    return False
