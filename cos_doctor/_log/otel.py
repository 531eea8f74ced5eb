"""The diagnosis on the application's current OpenTelemetry span, when there is one.

Nothing to set up: if the application traces with OpenTelemetry (``opentelemetry.trace`` is
imported) and a span is recording where the failed call was made, the span gets an event
``cos_doctor.diagnosis`` with the rule, COS's error code, the request id and the evidence, and
the span's ``error.type`` (OpenTelemetry's semantic conventions) unless the application marked
the failure expected. OpenTelemetry is never imported here: an application without it pays one
dictionary lookup per failure, and the success path nothing.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cos_doctor._pipeline.diagnose import EventFacts
    from cos_doctor.diagnosis import Diagnosis

__all__ = ["SPAN_EVENT", "record_on_span"]

SPAN_EVENT = "cos_doctor.diagnosis"
_PRIMITIVES = (str, bool, int, float)


def record_on_span(diagnosis: Diagnosis | EventFacts, error_type: str, *, expected: bool) -> None:
    """Add the diagnosis to the current span if one is recording; otherwise do nothing."""
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return
    span = trace.get_current_span()
    if not span.is_recording():
        return
    facts: dict[str, object] = {
        "cos_doctor.rule_id": diagnosis.rule_id,
        "error.type": error_type,
        "cos.error_code": diagnosis.error_code,
        "cos.request_id": diagnosis.request_id,
        "cos.operation": diagnosis.operation,
        "cos.bucket": diagnosis.bucket,
        "http.response.status_code": diagnosis.http_status,
    }
    facts.update({f"cos_doctor.evidence.{item.key}": item.value for item in diagnosis.evidence})
    attributes = {name: _attribute(value) for name, value in facts.items() if value is not None}
    span.add_event(SPAN_EVENT, attributes)
    if not expected:
        span.set_attribute("error.type", error_type)


def _attribute(value: object) -> Any:
    """A value OpenTelemetry accepts: a primitive, a list of one primitive type, else JSON."""
    if isinstance(value, _PRIMITIVES):
        return value
    if isinstance(value, (list, tuple)) and value:
        kinds = {type(item) for item in value}
        if len(kinds) == 1 and kinds <= set(_PRIMITIVES):
            return list(value)
    return json.dumps(value, default=str, ensure_ascii=False)
