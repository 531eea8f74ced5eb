"""``diagnose()``: whatever error a user holds, read into a context, then diagnosed.

An SDK exception (read by ``cos_doctor._sdk.live``), a reply body, text pasted from a log
(``cos_doctor._readers.pasted``), a client-side failure's message, or a batch call's result.
The diagnosis itself is the pipeline's (:func:`cos_doctor._pipeline.diagnose.diagnose_context`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cos_doctor._knowledge.catalogue import catalogue
from cos_doctor._log.event import log_diagnosis
from cos_doctor._pipeline.context import RequestContext, context_from_body
from cos_doctor._pipeline.diagnose import diagnose_context
from cos_doctor._pipeline.sources import Hints
from cos_doctor._readers.pasted import ACCEPTED, from_mapping, read_pasted

if TYPE_CHECKING:
    from cos_doctor._post.lint import FieldsInput
    from cos_doctor._readers.pasted import Pasted
    from cos_doctor.diagnosis import Diagnosis

__all__ = ["diagnose", "holds_error"]


def diagnose(  # noqa: PLR0913 - keyword-only hints, each optional
    error: Any,
    *,
    locale: str | None = None,
    http_status: int | None = None,
    http_method: str | None = None,
    operation: str | None = None,
    url: str | None = None,
    headers: Mapping[str, str] | None = None,
    request_headers: Mapping[str, str] | None = None,
    post_object: bool | None = None,
    form: FieldsInput | None = None,
    log: bool = False,
) -> Diagnosis:
    """Diagnose a COS error: an SDK exception, a reply body, or what a log kept of either.

    Works whether or not :func:`cos_doctor.install` ran. For an exception (a ``CosServiceError``, a
    ``CosClientError``, botocore's ``ClientError``, or botocore's exception for a request that got
    no reply: ``EndpointConnectionError``, ``SSLError``, ``ReadTimeoutError``…), everything is read
    from the exception and, while it is still alive, its traceback. Text (str or bytes) may be an
    error body (XML or JSON) or what a log kept of one: the SDK's ``str(e)`` (the repr of its error
    dict, with or without an HTTP status on the line), the SDK's own ``logger.error`` record,
    another COS or AWS SDK's error line, a JSON error, or a Message alone (its Code inferred only
    when one Code uses it); the SDK's ``get_digest_msg()`` dict works too. Each gives the diagnosis
    the original exception gives. A ``CosClientError``'s message pasted from a log (urllib3 /
    requests wording: "Failed to resolve", "Read timed out", "CERTIFICATE_VERIFY_FAILED"…) is
    classified from its text alone; a ``delete_objects`` result with per-key errors gets one
    diagnosis grouping them.

    The keyword hints say what text cannot: ``http_status``, ``http_method``, ``operation``,
    the request ``url`` (for a presigned URL, its q-* signature parameters are read too), the
    response ``headers``, the ``request_headers`` sent (Referer, Origin, Authorization;
    secrets in them are never shown), and ``post_object=True`` for a POST Object form upload.
    ``form`` is the POST Object form the server issued (a ``post_object.SignedForm``, a dict
    or ``(name, value)`` pairs): the diagnosis then says which policy condition failed and
    with which value (it implies ``post_object=True``; its signature and token are never
    shown). With ``log=True`` the diagnosis is also logged as the ``cos_request_failed``
    event, as the hook does for SDK calls (for servers that relay browser upload failures).

    Raises TypeError, saying what it accepts, for anything else (None, a number, a dict that
    is neither an error nor a batch result, an exception that is not the SDK's): it never
    diagnoses nothing.
    """
    hints = Hints(
        http_method=http_method,
        operation=operation,
        post_object=True if form is not None else post_object,
    )
    error = _decoded(error)
    if isinstance(error, Mapping) and _is_batch_result(error):
        from cos_doctor._pipeline.parts import batch_diagnosis
        from cos_doctor._sdk import adapter as _sdk

        found = batch_diagnosis(
            _sdk.batch_errors(error),
            _sdk.batch_total(error),
            method=operation or "delete_objects",
            bucket=None,
            locale=locale,
        )
        if found is not None:
            if log:
                log_diagnosis(found)
            return found
    if isinstance(error, (str, bytes)) and http_status is None and _is_client_text(error):
        from cos_doctor._pipeline.client_context import context_from_client_text

        text = error.decode("utf-8", "replace") if isinstance(error, bytes) else error
        context = context_from_client_text(text, hints)
    elif isinstance(error, (str, bytes, Mapping)):
        pasted = _pasted(error)
        if not pasted.body and not (
            http_status or pasted.http_status or headers or pasted.headers or url
        ):
            msg = f"{ACCEPTED}; got blank text and no http_status, headers or url"
            raise TypeError(msg)
        context = context_from_body(
            pasted.body,
            http_status=http_status or pasted.http_status,
            http_method=http_method or pasted.http_method,
            operation=operation or pasted.operation,
            url=url or pasted.url,
            headers=headers or pasted.headers,
            request_headers=request_headers,
            post_object=post_object,
        )
    else:
        context = _live_context(error, hints)
    if form is not None:
        context = _with_form(context, form)
    diagnosis = diagnose_context(context, locale=locale)
    if log:
        log_diagnosis(diagnosis)
    return diagnosis


def holds_error(diagnosis: Diagnosis) -> bool:
    """Whether :func:`diagnose` read an error from what it was given.

    It did when the reply's Code or HTTP status was read, or when a rule recognised the text
    (a client failure's wording, an old API's error line); only the catch-all rule with
    neither means the input held no error. ``cos-doctor explain`` asks this, so it explains
    exactly what diagnose() reads.
    """
    if diagnosis.error_code is not None or diagnosis.http_status is not None:
        return True
    return not any(rule.fallback and rule.id == diagnosis.rule_id for rule in catalogue().rules)


def _decoded(error: Any) -> Any:
    """Bytes as text, decoded once: every reader looks at the text."""
    return error.decode("utf-8", "replace") if isinstance(error, bytes) else error


def _pasted(error: str | bytes | Mapping[Any, Any]) -> Pasted:
    if isinstance(error, Mapping):
        pasted = from_mapping(dict(error))
        if pasted is None:
            names = sorted(map(str, error))[:5]
            msg = f"{ACCEPTED}; got a dict with no error code or message (keys {names})"
            raise TypeError(msg)
        return pasted
    text = error.decode("utf-8", "replace") if isinstance(error, bytes) else error
    return read_pasted(text)


def _is_sdk_error(error: object) -> bool:
    """Whether ``error`` is the SDK's: a CosServiceError or a CosClientError.

    A CosServiceError carries a COS reply's status; a CosClientError's message says what
    failed before or without a reply.
    """
    from cos_doctor._sdk import adapter as _sdk

    if not isinstance(error, BaseException):
        return False
    if _sdk.is_service_error(error) or hasattr(error, "get_error_code"):
        return True
    return any(kind.__name__ == "CosClientError" for kind in type(error).__mro__)


def _live_context(error: object, hints: Hints) -> RequestContext:
    """The context of a live exception: the COS SDK's, or botocore's ``ClientError``."""
    if _is_sdk_error(error):
        from cos_doctor._sdk.live import context_from_error

        return context_from_error(error, hints=hints)
    from cos_doctor._sdk import botocore as _boto  # no botocore import: classes told by name

    # No client to read: the reply, and the request its traceback's frame still holds.
    if _is_botocore_error(error):
        return _boto.context_from_client_error(error, None)
    if _boto.is_botocore_failure(error):
        return _boto.context_from_client_failure(error, None)
    msg = f"{ACCEPTED}; got {type(error).__name__}"
    raise TypeError(msg)


def _is_botocore_error(error: object) -> bool:
    """A botocore ``ClientError`` (told by its shape: botocore is never imported for this)."""
    response = getattr(error, "response", None)
    return (
        isinstance(error, BaseException)
        and isinstance(response, dict)
        and "Error" in response
        and isinstance(getattr(error, "operation_name", None), str)
    )


def _is_batch_result(error: Mapping[Any, Any]) -> bool:
    """A ``delete_objects`` result: per-key errors as data, not one error reply."""
    return "Error" in error and ("Deleted" in error or not isinstance(error["Error"], str))


def _is_client_text(error: str | bytes) -> bool:
    from cos_doctor._pipeline.client_context import looks_like_client_error

    text = error.decode("utf-8", "replace") if isinstance(error, bytes) else error
    return looks_like_client_error(text)


def _with_form(context: RequestContext, form: FieldsInput) -> RequestContext:
    """The context of a POST Object upload, with the form the server issued."""
    from cos_doctor._post.lint import form_pairs

    return dataclasses.replace(context, post_form=tuple(form_pairs(form)), post_object=True)
