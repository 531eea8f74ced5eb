"""One diagnosis for a helper call whose parts failed: grouped, counted, with the cleanup call.

``upload_file`` and its siblings run parts in the SDK's thread pool, which swallows each part's
exception and raises one ``some upload_part fail…`` at the end. The hook keeps each part's
diagnosis (``_hook/failures.py``) and hands them here when the helper gives up.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import TYPE_CHECKING

from cos_doctor._knowledge.catalogue import catalogue
from cos_doctor._locale import resolve_locale
from cos_doctor._pipeline.diagnose import diagnose_context
from cos_doctor._pipeline.evidence import Facts
from cos_doctor._pipeline.match import match_rule

if TYPE_CHECKING:
    from cos_doctor._pipeline.context import RequestContext
    from cos_doctor.diagnosis import Diagnosis, Evidence

__all__ = ["batch_diagnosis", "grouped_diagnosis", "part_diagnosis", "part_groups"]

# Helpers that leave their multipart upload behind when parts fail (the SDK aborts only when
# the final complete call fails, in copy and upload_file_from_buffer).
_LEAVES_UPLOAD = frozenset({"upload_file", "upload_file_from_buffer", "copy"})
# upload_file looks for an unfinished upload of the same key and resumes it.
_RESUMES = frozenset({"upload_file"})


def part_diagnosis(context: RequestContext) -> Diagnosis:
    """Diagnose one failed part; its part number is kept as evidence."""
    diagnosis = diagnose_context(context)
    number = context.query.get("partNumber")
    if number is None or not number.isdigit():
        return diagnosis
    item = _say(context, "part_number", int(number), diagnosis.locale)
    return dataclasses.replace(diagnosis, evidence=(item, *diagnosis.evidence))


def part_groups(parts: tuple[Diagnosis, ...]) -> list[tuple[str, str, int]]:
    """(error code or rule, rule id, count) per kind of failure, most frequent first."""
    counts = Counter((part.error_code or part.rule_id, part.rule_id) for part in parts)
    return [(label, rule, count) for (label, rule), count in counts.most_common()]


def grouped_diagnosis(
    context: RequestContext,
    helper: str,
    parts: list[Diagnosis],
    *,
    total: int | None,
    upload_id: str | None,
) -> Diagnosis:
    """The diagnosis of the helper call: its own rule, plus the parts' grouped.

    ``total`` is how many parts the helper ran, ``upload_id`` the multipart upload it left.
    """
    locale = resolve_locale(None)
    ordered = tuple(sorted(parts, key=_part_number))
    groups = part_groups(ordered)
    summary = ", ".join(f"{count} × {label}" for label, _, count in groups)
    counted = f"{len(ordered)}/{total}" if total else str(len(ordered))
    fills = {**context.fills, "parts_summary": summary or "?", "parts_counted": counted}
    if upload_id and helper in _LEAVES_UPLOAD:
        fills["upload_id"] = upload_id
    # The helper's own summary error, worded as the grouped failure of its parts.
    context = dataclasses.replace(context, client_failure="parts-failed", fills=fills)
    base = diagnose_context(context, locale=locale)
    extra: list[Evidence] = []
    if ordered:
        extra.append(_say(context, "parts_failed", len(ordered), locale, total=total or "?"))
        extra.append(
            _say(
                context,
                "part_failure_groups",
                tuple(f"{c} × {lbl}" for lbl, _, c in groups),
                locale,
                groups=summary,
            ),
        )
    if upload_id and helper in _LEAVES_UPLOAD:
        call = (
            f"client.abort_multipart_upload(Bucket={context.bucket!r}, "
            f"Key={context.key!r}, UploadId={upload_id!r})"
        )
        variant = "resumable" if helper in _RESUMES else "left"
        extra.append(
            _say(context, "incomplete_upload", upload_id, locale, variant, call=call),
        )
    return dataclasses.replace(
        base,
        evidence=(*extra, *base.evidence),
        parts=ordered,
        parts_total=total,
        operation=helper,
    )


def batch_diagnosis(
    errors: list[dict[str, str]],
    total: int | None,
    *,
    method: str,
    bucket: str | None,
    locale: str | None = None,
) -> Diagnosis | None:
    """One diagnosis for the per-key ``errors`` of a batch call on ``total`` keys; None if none."""
    from cos_doctor._pipeline.context import merge
    from cos_doctor._pipeline.sources import CallArguments, Hints, ReplyReceived, text_or_none

    if not errors:
        return None
    locale = resolve_locale(locale)
    parts = tuple(
        diagnose_context(
            merge(
                reply=ReplyReceived(
                    code=text_or_none(entry.get("Code")),
                    message=text_or_none(entry.get("Message")),
                ),
                call=CallArguments(
                    chain=(method,),
                    key=text_or_none(entry.get("Key")),
                    bucket=bucket,
                ),
            ),
            locale=locale,
        )
        for entry in errors
    )
    groups = part_groups(parts)
    summary = ", ".join(f"{count} × {label}" for label, _, count in groups)
    context = merge(
        call=CallArguments(chain=(method,), bucket=bucket),
        hints=Hints(operation=method),
    )
    context = dataclasses.replace(
        context,
        client_failure="batch-errors",
        fills={"parts_summary": summary, "parts_counted": f"{len(parts)}/{total}"},
    )
    base = diagnose_context(context, locale=locale)
    extra = (
        _say(context, "keys_failed", len(parts), locale, total=total or "?"),
        _say(
            context,
            "part_failure_groups",
            tuple(f"{c} × {lbl}" for lbl, _, c in groups),
            locale,
            groups=summary,
        ),
    )
    return dataclasses.replace(
        base,
        evidence=(*extra, *base.evidence),
        parts=parts,
        parts_total=total,
    )


def _part_number(diagnosis: Diagnosis) -> int:
    value = diagnosis.evidence_value("part_number")
    return value if isinstance(value, int) else 0


def _say(
    context: RequestContext,
    key: str,
    value: object,
    locale: str,
    variant: str | None = None,
    **words: object,
) -> Evidence:
    rules = catalogue()
    facts = Facts(context=context, match=match_rule(context, rules), catalogue=rules, locale=locale)
    return facts.say(key, value, variant, **words)  # type: ignore[arg-type]
