"""The pipeline: context → match → evidence → Diagnosis. No patching, no logging."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cos_doctor._context import RequestContext, context_from_body, context_from_error
from cos_doctor._evidence import Facts, collect_evidence
from cos_doctor._knowledge import Catalogue, catalogue
from cos_doctor._locale import resolve_locale
from cos_doctor._log import log_diagnosis
from cos_doctor._match import Match, match_rule
from cos_doctor._redact import Redactor, mask_secret_id, redactor_for
from cos_doctor._sources import Hints
from cos_doctor.diagnosis import Diagnosis, Wording

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["diagnose", "diagnose_context"]


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
    log: bool = False,
) -> Diagnosis:
    """Diagnose a ``CosServiceError`` or ``CosClientError``, a raw COS error body, or client text.

    Works whether or not :func:`cos_doctor.install` ran. For an exception, everything is
    read from the exception and, while it is still alive, its traceback. A ``CosClientError``'s
    message pasted from a log (urllib3 / requests wording: "Failed to resolve",
    "Read timed out", "CERTIFICATE_VERIFY_FAILED"…) is classified from its text alone; a
    ``delete_objects`` result with per-key errors gets one diagnosis grouping them. For a body
    (errors from presigned URLs, browser POST uploads, pasted logs), the keyword hints say
    what the body cannot: ``http_status``, ``http_method``, ``operation``, the request ``url``,
    the response ``headers``, the ``request_headers`` sent (Referer, Origin, Authorization;
    secrets in them are never shown), and ``post_object=True`` for a POST Object form upload.
    With ``log=True`` the diagnosis is also logged as the ``cos_request_failed`` event, as the
    hook does for SDK calls (for servers that relay browser upload failures, say).
    """
    hints = Hints(http_method=http_method, operation=operation, post_object=post_object)
    if isinstance(error, dict):
        from cos_doctor._parts import batch_diagnosis

        found = batch_diagnosis(
            error,
            method=operation or "delete_objects",
            bucket=None,
            locale=locale,
        )
        if found is None:
            raise ValueError("diagnose() got a dict without per-key errors ('Error')")
        if log:
            log_diagnosis(found)
        return found
    if isinstance(error, (str, bytes)) and http_status is None and _is_client_text(error):
        from cos_doctor._client_context import context_from_client_text

        text = error.decode("utf-8", "replace") if isinstance(error, bytes) else error
        context = context_from_client_text(text, hints)
    elif isinstance(error, (str, bytes)):
        context = context_from_body(
            error,
            http_status=http_status,
            http_method=http_method,
            operation=operation,
            url=url,
            headers=headers,
            request_headers=request_headers,
            post_object=post_object,
        )
    else:
        context = context_from_error(error, hints=hints)
    diagnosis = diagnose_context(context, locale=locale)
    if log:
        log_diagnosis(diagnosis)
    return diagnosis


def _is_client_text(error: str | bytes) -> bool:
    from cos_doctor._client_context import looks_like_client_error

    text = error.decode("utf-8", "replace") if isinstance(error, bytes) else error
    return looks_like_client_error(text)


def diagnose_context(context: RequestContext, *, locale: str | None = None) -> Diagnosis:
    """Match, gather evidence and word the diagnosis for an already-built context."""
    language = resolve_locale(locale)
    rules = catalogue()
    found = match_rule(context, rules)
    facts = Facts(context=context, match=found, catalogue=rules, locale=language)
    evidence = collect_evidence(facts)
    text = found.rule.texts[language]
    redactor = redactor_for(context)
    return Diagnosis(
        rule_id=found.rule.id,
        title="",
        cause="",
        steps=(),
        evidence=evidence,
        docs=text.docs,
        generic=found.rule.generic,
        locale=language,
        http_status=context.http_status,
        error_code=context.error_code,
        error_message=context.error_message,
        request_id=context.request_id,
        trace_id=context.trace_id,
        operation=context.operation,
        http_method=context.http_method,
        bucket=context.bucket,
        key=context.key,
        region=context.region,
        labels=tuple(rules.labels[language].items()),
        redactor=redactor,
        wording=Wording(
            text.title,
            text.cause,
            text.steps,
            _placeholder_values(context, found, rules, language, redactor),
        ),
    )


class _Fallbacks(dict[str, str]):
    """Placeholder values; an unknown one becomes the locale's generic wording."""

    def __init__(self, known: dict[str, str], generic: dict[str, str]) -> None:
        super().__init__(known)
        self._generic = generic

    def __missing__(self, name: str) -> str:
        return self._generic.get(name, f"<{name}>")


def _placeholder_values(
    context: RequestContext, found: Match, rules: Catalogue, locale: str, redactor: Redactor
) -> _Fallbacks:
    known = {
        "bucket": context.bucket,
        "key": context.key,
        "region": context.region,
        "endpoint": context.endpoint,
        "origin": context.request_headers.get("origin"),
        "referer": context.request_headers.get("referer"),
        "operation": context.operation,
        "secret_id_masked": mask_secret_id(context.secret_id_sent),
        "request_id": context.request_id,
        **context.fills,
        **found.groups,
    }
    # The templates are ours; only the values come from the request, so only they are
    # sealed (a key, a Referer or a quoted policy value could carry a secret). One search
    # over them all first: they almost never hold one.
    values = {name: value for name, value in known.items() if value}
    if redactor.finds("\0".join(values.values())):
        values = {name: redactor(value) for name, value in values.items()}
    return _Fallbacks(values, rules.placeholders[locale])
