"""Sentry: a diagnosed COS failure as tags, a context and one issue per rule and operation.

::

    import sentry_sdk
    from cos_doctor.sentry import CosDoctorIntegration

    sentry_sdk.init(dsn=..., integrations=[CosDoctorIntegration()])

An event whose exception carries a diagnosis (the diagnosed error itself, or one it was raised
from) gets the tags ``cos.rule_id``, ``cos.error_code``, ``cos.operation`` and ``cos.bucket``,
a ``cos_doctor`` context (rule, title, evidence, causes, steps, request id, docs), and the
fingerprint ``["cos_doctor", rule id, operation]``, so the same failure groups as one issue
whatever its request id (a fingerprint the application set is kept). The SDK's own log record
of that failure never becomes a second event: cos_doctor lowers it to DEBUG, and when
``install(lower_sdk_records=False)`` keeps it at ERROR this integration drops its event.
Needs ``sentry-sdk`` 2.x (``pip install 'cos-doctor[sentry]'``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sentry_sdk
from sentry_sdk.integrations import Integration
from sentry_sdk.scope import add_global_event_processor

from cos_doctor._log.sdk_records import DIAGNOSED
from cos_doctor.diagnosis import Diagnosis

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint

__all__ = ["CosDoctorIntegration"]

_TAG_LIMIT = 200  # Sentry truncates tag values beyond this


class CosDoctorIntegration(Integration):
    """Adds cos_doctor's diagnosis to Sentry events of COS failures (see the module docstring)."""

    identifier = "cos_doctor"

    @staticmethod
    def setup_once() -> None:
        """Register the event processor (Sentry calls this once per process)."""
        add_global_event_processor(_process)


def _process(event: Event, hint: Hint) -> Event | None:
    if sentry_sdk.get_client().get_integration(CosDoctorIntegration) is None:
        return event  # registered globally, but this client was initialised without it
    record = hint.get("log_record")
    if record is not None and getattr(record, DIAGNOSED, False):
        return None  # the SDK's own record of a failure the diagnosed exception reports
    exc_info = hint.get("exc_info")
    diagnosis = _diagnosis_of(exc_info[1] if exc_info else None)
    if diagnosis is not None:
        _describe(event, diagnosis)
    return event


def _diagnosis_of(error: BaseException | None) -> Diagnosis | None:
    """The diagnosis on ``error`` or on an exception it was raised from or during."""
    seen = 0
    while error is not None and seen < 16:
        diagnosis = getattr(error, "diagnosis", None)
        if isinstance(diagnosis, Diagnosis):
            return diagnosis
        error = error.__cause__ or error.__context__
        seen += 1
    return None


def _describe(event: Event, diagnosis: Diagnosis) -> None:
    tags = event.setdefault("tags", {})
    for name, value in (
        ("cos.rule_id", diagnosis.rule_id),
        ("cos.error_code", diagnosis.error_code),
        ("cos.operation", diagnosis.operation),
        ("cos.bucket", diagnosis.bucket),
    ):
        if value:
            tags[name] = value[:_TAG_LIMIT]
    summary = diagnosis.to_dict()
    event.setdefault("contexts", {})["cos_doctor"] = {
        "rule_id": diagnosis.rule_id,
        "title": diagnosis.title,
        "evidence": {item.key: item.value for item in diagnosis.evidence},
        "causes": summary.get("causes", []),
        "steps": list(diagnosis.steps),
        "request_id": diagnosis.request_id,
        "docs": list(diagnosis.docs),
    }
    if not event.get("fingerprint"):
        event["fingerprint"] = ["cos_doctor", diagnosis.rule_id, diagnosis.operation or "-"]
