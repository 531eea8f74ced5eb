"""The pipeline's last stage: a context matched, its evidence gathered, a Diagnosis built.

A pure function of the plain records in :class:`RequestContext`: no patching, no logging, no
reading of live SDK objects or pasted text (that happens before, in ``cos_doctor._sdk.live``
and ``cos_doctor._readers``).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from cos_doctor._knowledge.catalogue import Catalogue, CauseRule, Rule, catalogue
from cos_doctor._lazy import Lazy
from cos_doctor._locale import Words, localized, resolve_locale
from cos_doctor._pipeline.evidence import Facts, collect_evidence
from cos_doctor._pipeline.evidence.registry import worded
from cos_doctor._pipeline.match import Match, match_rule
from cos_doctor._pipeline.subresource import subresource
from cos_doctor._record import frozen
from cos_doctor._redact import Redactor, finds_for, mask_secret_id, redactor_for
from cos_doctor.diagnosis import LIKELY, POSSIBLE, Cause, Diagnosis, Evidence, Wording

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cos_doctor._pipeline.context import RequestContext

__all__ = [
    "INFERRED_CODE",
    "Assessment",
    "CauseSeen",
    "EventFacts",
    "assess",
    "diagnose_context",
    "rank_causes",
]

#: Evidence key: the Code was missing and was inferred from a Message only it is sent with.
INFERRED_CODE = "code_inferred_from_message"
_EXCERPT = 200


def diagnose_context(context: RequestContext, *, locale: str | None = None) -> Diagnosis:
    """Match, gather evidence and word the diagnosis for an already-built context."""
    return assess(context, locale=locale).diagnosis


def assess(context: RequestContext, *, locale: str | None = None) -> Assessment:
    """Match ``context`` and gather its evidence: what the event needs; the Diagnosis later."""
    language = resolve_locale(locale)
    rules = catalogue()
    # A client-side failure got no reply: its message is the exception's, no COS Message. A
    # reply with a Code needs nothing inferred: the vocabulary is imported (and built) only
    # for one without.
    inferred = None
    if context.client_failure is None and context.error_code is None:
        from cos_doctor._knowledge.vocabulary import infer_code

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
    facts = Facts(context=context, match=found, catalogue=rules, locale=language, unworded=True)
    evidence = collect_evidence(facts)
    if inferred is not None:
        # Said first: everything after it rests on a Code the reply did not carry.
        excerpt = (context.error_message or "")[:_EXCERPT]  # sealed with the Diagnosis
        evidence = (facts.say(INFERRED_CODE, inferred, excerpt=excerpt), *evidence)
    return Assessment(context, found, rules, language, evidence)


class Assessment:
    """One failure matched, its evidence gathered, nothing worded or sealed yet.

    The hook raises and logs from this, and builds the :class:`Diagnosis` (causes, wording,
    sealing) only when someone reads it. Holds the request's secrets (its context, its
    redactor): it is never stored where a user, a log or a pickle can reach it, and its
    ``repr`` says nothing.
    """

    def __init__(
        self,
        context: RequestContext,
        found: Match,
        rules: Catalogue,
        language: str,
        evidence: tuple[Evidence, ...],
    ) -> None:
        """Keep what :func:`assess` found."""
        self._context = context
        self._found = found
        self._rules = rules
        self._language = language
        self._evidence = evidence

    def __repr__(self) -> str:
        return f"<Assessment {self._found.rule.id}>"

    def __call__(self) -> Diagnosis:
        """The Diagnosis (an Assessment is the builder a diagnosed exception keeps)."""
        return self.diagnosis

    def __reduce__(self) -> Any:
        raise TypeError("an Assessment holds a request's secrets and is never pickled")

    @Lazy
    def redactor(self) -> Redactor:
        """The request's redactor (its client's, reused, plus its own secrets)."""
        return redactor_for(self._context)

    @Lazy
    def diagnosis(self) -> Diagnosis:
        """The Diagnosis, built and sealed on first read."""
        context, found, rules, language = self._context, self._found, self._rules, self._language
        text = found.rule.texts[language]
        redactor = self.redactor
        values = _placeholder_values(context, found, rules, language, redactor)
        cause, steps = text.worded_for(botocore=context.botocore is not None)
        return Diagnosis(
            rule_id=found.rule.id,
            title="",
            cause="",
            steps=(),
            evidence=worded(self._evidence),
            docs=text.docs,
            generic=found.rule.generic,
            locale=language,
            **_reported(context),
            labels=tuple(rules.labels[language].items()),
            causes=rank_causes(found.rule, self._evidence, language, values),
            redactor=redactor,
            wording=Wording(text.title, cause, steps, values),
        )

    def event(self) -> EventFacts | Diagnosis:
        """What the event reports: the fields it needs as they are, when none holds a secret.

        Otherwise the sealed Diagnosis itself (built now, and kept for whoever reads it).
        """
        if "diagnosis" in self.__dict__:
            return self.diagnosis
        context, evidence, rule = self._context, self._evidence, self._found.rule
        reported = _reported(context)
        said = [value for value in reported.values() if isinstance(value, str)]
        observed = {}
        for item in evidence:
            value = observed[item.key] = item.value
            if isinstance(value, str):
                said.append(value)
            elif isinstance(value, tuple):
                said.extend(part for part in value if isinstance(part, str))
        title = None
        if context.http_status is None and context.error_code is None:
            # No reply to quote (DNS, refused, timeout…): the event's headline is the rule's
            # title, worded with this request's values as the Diagnosis words it (they are
            # searched below with the rest; one holding a secret means the sealed Diagnosis).
            values = _known_values(context, self._found)
            said.extend(values.values())
            words = Words(values, self._rules.placeholders[self._language])
            title = rule.texts[self._language].title.format_map(words)
        if finds_for(context, "\0".join(said)):  # the redactor is built only if so
            return self.diagnosis
        return _event_facts(
            {
                "rule_id": rule.id,
                "generic": rule.generic,
                "evidence": evidence,
                "docs": rule.texts[self._language].docs,
                "causes": _causes_seen(rule, observed),
                **reported,
                "title": title,
            }
        )


def _reported(context: RequestContext) -> dict[str, Any]:
    """The request's and reply's facts a Diagnosis and the event both report, as read."""
    return {
        "http_status": context.http_status,
        "error_code": context.error_code,
        "error_message": context.error_message,
        "request_id": context.request_id,
        "trace_id": context.trace_id,
        "operation": context.operation,
        "http_method": context.http_method,
        "bucket": context.bucket,
        "key": context.key,
        "region": context.region,
    }


@frozen
class CauseSeen:
    """A ranked cause as the event reports it: its id, confidence and deciding evidence."""

    id: str
    confidence: str
    because: tuple[str, ...]


@frozen
class EventFacts:
    """The fields of a Diagnosis the event reports, for a failure whose values hold no secret.

    Names as on :class:`Diagnosis`, so the event reads either alike.
    """

    rule_id: str
    generic: bool
    evidence: tuple[Evidence, ...]
    docs: tuple[str, ...]
    causes: tuple[CauseSeen, ...]
    http_status: int | None
    error_code: str | None
    error_message: str | None
    request_id: str | None
    trace_id: str | None
    operation: str | None
    http_method: str | None
    bucket: str | None
    key: str | None
    region: str | None
    #: A failure with no reply: the rule's title, worded (the stdlib record's headline).
    title: str | None = None

    def part_groups(self) -> list[dict[str, Any]]:
        """No parts: a helper's grouped failure is reported from its Diagnosis."""
        return []


def _event_facts(fields: dict[str, Any]) -> EventFacts:
    """The EventFacts of ``fields``: every field, in the order the class declares them.

    The instance its ``__init__`` builds, without that checking of arguments (some 2 us a
    failure, for fields this module always passes complete).
    """
    facts = object.__new__(EventFacts)
    object.__setattr__(facts, "__dict__", fields)
    return facts


# The event's ranked causes per rule, by the evidence values its conditions read: a failure
# repeats, and ranking it, a record per cause, cost more than the rest of the event's facts.
# id(rule) -> (the rule, the evidence its conditions read, causes by those values).
_SEEN: dict[int, tuple[Rule, tuple[str, ...], dict[tuple[Any, ...], tuple[CauseSeen, ...]]]] = {}
_SEEN_KEPT = 256  # rules, and value sets per rule; then they start over rather than grow
_UNSEEN = object()  # an evidence key not observed (no value is this)


def _causes_seen(rule: Rule, observed: dict[str, Any]) -> tuple[CauseSeen, ...]:
    """The event's causes: :func:`_ranked` as ids and confidences, reused for the same values."""
    entry = _SEEN.get(id(rule))
    if entry is None or entry[0] is not rule:
        read = tuple(
            dict.fromkeys(
                condition.evidence
                for cause in rule.causes
                for condition in (*cause.likely_when, *cause.ruled_out_when)
            )
        )
        if len(_SEEN) >= _SEEN_KEPT:
            _SEEN.clear()  # rules of catalogues loaded again: start over rather than grow
        entry = _SEEN[id(rule)] = (rule, read, {})
    _, read, ranked = entry
    values = tuple(observed.get(name, _UNSEEN) for name in read)
    try:
        found = ranked.get(values)
    except TypeError:  # a value that cannot be a key (a list): ranked each time
        return _rank_seen(rule, observed)
    if found is None:
        found = _rank_seen(rule, observed)
        if len(ranked) >= _SEEN_KEPT:
            ranked.clear()
        ranked[values] = found
    return found


def _rank_seen(rule: Rule, observed: dict[str, Any]) -> tuple[CauseSeen, ...]:
    return tuple(
        CauseSeen(cause.id, LIKELY if because else POSSIBLE, because)
        for cause, because in _ranked(rule, observed)
    )


def _ranked(rule: Rule, observed: dict[str, Any]) -> list[tuple[CauseRule, tuple[str, ...]]]:
    """The rule's causes not ruled out, likely ones first, each with the evidence that decided.

    A cause is likely when any of its ``likely_when`` conditions holds for the evidence
    observed. Otherwise it is dropped when a ``ruled_out_when`` condition holds (the evidence
    excludes it) and stays possible when none does. Within each group the knowledge base's
    order (most common first) is kept, so no evidence means the documented order.
    """
    kept = []
    for cause in rule.causes:
        because = tuple(
            dict.fromkeys(c.evidence for c in cause.likely_when if c.holds(observed)),
        )
        if not because and any(c.holds(observed) for c in cause.ruled_out_when):
            continue
        kept.append((cause, because))
    return sorted(kept, key=lambda pair: not pair[1])


def rank_causes(
    rule: Rule,
    evidence: tuple[Evidence, ...],
    locale: str,
    values: Mapping[str, str],
) -> tuple[Cause, ...]:
    """The rule's documented causes, likely ones first, each saying which evidence decided."""
    observed = {item.key: item.value for item in evidence}
    return tuple(
        Cause(
            id=cause.id,
            text=localized(cause.texts, locale).format_map(values),  # unknown names: generic words
            confidence=LIKELY if because else POSSIBLE,
            because=because,
        )
        for cause, because in _ranked(rule, observed)
    )


def _placeholder_values(
    context: RequestContext, found: Match, rules: Catalogue, locale: str, redactor: Redactor
) -> Words:
    values = _known_values(context, found)
    # The templates are ours; only the values come from the request, so only they are
    # sealed (a key, a Referer or a quoted policy value could carry a secret). One search
    # over them all first: they almost never hold one.
    if redactor.finds("\0".join(values.values())):
        values = {name: redactor(value) for name, value in values.items()}
    return Words(values, rules.placeholders[locale])  # unknown names: generic wording


def _secret_id_sent(context: RequestContext) -> str | None:
    """The SecretId that signed: the SDK's q-ak, or botocore's aws_access_key_id."""
    if context.botocore is not None and context.botocore.credential_kind != "anonymous":
        return context.botocore.access_key_id
    return context.secret_id_sent


def _known_values(context: RequestContext, found: Match) -> dict[str, str]:
    """The request's values the rule's texts may name, as observed (not sealed)."""
    known = {
        "bucket": context.bucket,
        "key": context.key,
        "region": context.region,
        "endpoint": context.endpoint,
        "origin": context.request_headers.get("origin"),
        "referer": context.request_headers.get("referer"),
        "operation": context.operation,
        "secret_id_masked": mask_secret_id(_secret_id_sent(context)),
        "request_id": context.request_id,
        "subresource": subresource(context.error_code, context.query),
        **context.fills,
        **found.groups,
    }
    return {name: value for name, value in known.items() if value}
