"""The one structured event per failed SDK call, and redaction of the SDK's own debug logs.

cos_doctor never configures logging: it asks structlog for the "cos_doctor" logger at the
moment it has something to say, so whatever the application configured applies.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from cos_doctor._redact import scrub

if TYPE_CHECKING:
    from cos_doctor.diagnosis import Diagnosis

__all__ = ["EVENT", "LOGGER_NAME", "SdkSecretFilter", "log_diagnosis", "log_internal_failure"]

LOGGER_NAME = "cos_doctor"
EVENT = "cos_request_failed"
INTERNAL_FAILURE_EVENT = "cos_doctor_internal_error"
_SDK_LOGGERS = ("qcloud_cos.cos_auth", "qcloud_cos.cos_client")


def _logger() -> Any:
    import structlog  # deferred: importing structlog costs ~50 ms, paid on the first failure

    return structlog.get_logger(LOGGER_NAME)


def log_diagnosis(diagnosis: Diagnosis) -> None:
    """Emit the WARNING event for one diagnosed failure; every value is already redacted."""
    _logger().warning(
        EVENT,
        rule_id=diagnosis.rule_id,
        title=diagnosis.title,
        generic=diagnosis.generic,
        http_status=diagnosis.http_status,
        error_code=diagnosis.error_code,
        error_message=diagnosis.error_message,
        request_id=diagnosis.request_id,
        trace_id=diagnosis.trace_id,
        operation=diagnosis.operation,
        http_method=diagnosis.http_method,
        bucket=diagnosis.bucket,
        key=diagnosis.key,
        region=diagnosis.region,
        evidence={item.key: _json_value(item.value) for item in diagnosis.evidence},
        # Ids, not sentences: the text is in the knowledge base, in every locale.
        causes=[
            {"id": cause.id, "confidence": cause.confidence, "because": list(cause.because)}
            for cause in diagnosis.causes
        ],
        docs=list(diagnosis.docs),
    )


def log_internal_failure(stage: str, error: BaseException) -> None:
    """Record that cos_doctor itself failed; the user's original exception goes on unchanged."""
    # A broken logging setup must not break the host either.
    with contextlib.suppress(Exception):
        _logger().error(
            INTERNAL_FAILURE_EVENT,
            stage=stage,
            error_type=type(error).__name__,
            error=scrub(str(error))[:500],
        )


def _json_value(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


class SdkSecretFilter(logging.Filter):
    """Scrub sign keys, signatures and tokens from the SDK's own DEBUG records.

    ``qcloud_cos`` logs its sign key, the Authorization header and the request headers
    (with the session token) at DEBUG; turning DEBUG on in production would leak them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message in place when it holds a secret; never drop it."""
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is the SDK's, not ours to fix
            return True
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True

    def attach(self) -> None:
        """Add this filter to the SDK's loggers."""
        for name in _SDK_LOGGERS:
            logging.getLogger(name).addFilter(self)

    def detach(self) -> None:
        """Remove this filter from the SDK's loggers."""
        for name in _SDK_LOGGERS:
            logging.getLogger(name).removeFilter(self)
