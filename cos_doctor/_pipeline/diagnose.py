"""The pipeline's last stage: a context matched, its evidence gathered, a Diagnosis built.

A pure function of the plain records in :class:`RequestContext`: no patching, no logging, no
reading of live SDK objects or pasted text (that happens before, in ``cos_doctor._sdk.live``
and ``cos_doctor._readers``).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from cos_doctor._knowledge.catalogue import Catalogue, Rule, catalogue
from cos_doctor._knowledge.vocabulary import infer_code
from cos_doctor._locale import Words, localized, resolve_locale
from cos_doctor._pipeline.evidence import Facts, collect_evidence
from cos_doctor._pipeline.match import Match, match_rule
from cos_doctor._redact import Redactor, mask_secret_id, redactor_for
from cos_doctor.diagnosis import LIKELY, POSSIBLE, Cause, Diagnosis, Evidence, Wording

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cos_doctor._pipeline.context import RequestContext

__all__ = ["INFERRED_CODE", "diagnose_context", "rank_causes"]

#: Evidence key: the Code was missing and was inferred from a Message only it is sent with.
INFERRED_CODE = "code_inferred_from_message"
_EXCERPT = 200


def diagnose_context(context: RequestContext, *, locale: str | None = None) -> Diagnosis:
    """Match, gather evidence and word the diagnosis for an already-built context."""
    language = resolve_locale(locale)
    rules = catalogue()
    inferred = infer_code(
        context.error_code,
        context.error_message,
        body_format=context.body_format,
        status=context.http_status,
        rules=rules,
    )
    if inferred is not None:
        context = dataclasses.replace(context, error_code=inferred)
    found = match_rule(context, rules)
    facts = Facts(context=context, match=found, catalogue=rules, locale=language)
    evidence = collect_evidence(facts)
    if inferred is not None:
        # Said first: everything after it rests on a Code the reply did not carry.
        excerpt = (context.error_message or "")[:_EXCERPT]  # sealed with the Diagnosis
        evidence = (facts.say(INFERRED_CODE, inferred, excerpt=excerpt), *evidence)
    text = found.rule.texts[language]
    redactor = redactor_for(context)
    values = _placeholder_values(context, found, rules, language, redactor)
    causes = rank_causes(found.rule, evidence, language, values)
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
        causes=causes,
        redactor=redactor,
        wording=Wording(text.title, text.cause, text.steps, values),
    )


def rank_causes(
    rule: Rule,
    evidence: tuple[Evidence, ...],
    locale: str,
    values: Mapping[str, str],
) -> tuple[Cause, ...]:
    """The rule's documented causes, likely ones first, each saying which evidence decided.

    A cause is likely when any of its ``likely_when`` conditions holds for the evidence of
    this request. Otherwise it is dropped when a ``ruled_out_when`` condition holds (the
    evidence excludes it) and stays possible when none does. Within each group the knowledge
    base's order (most common first) is kept, so no evidence means the documented order.
    """
    observed = {item.key: item.value for item in evidence}
    ranked = []
    for cause in rule.causes:
        because = tuple(
            dict.fromkeys(c.evidence for c in cause.likely_when if c.holds(observed)),
        )
        if not because and any(c.holds(observed) for c in cause.ruled_out_when):
            continue
        ranked.append(
            Cause(
                id=cause.id,
                text=localized(cause.texts, locale).format_map(values),
                confidence=LIKELY if because else POSSIBLE,
                because=because,
            ),
        )
    return tuple(sorted(ranked, key=lambda cause: not cause.likely))


def _placeholder_values(
    context: RequestContext, found: Match, rules: Catalogue, locale: str, redactor: Redactor
) -> Words:
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
    return Words(values, rules.placeholders[locale])  # unknown names: generic wording
