"""Pick the knowledge-base rule for a request: most specific wins, ties fall back honestly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cos_doctor._knowledge.catalogue import Catalogue, Clause, Rule, catalogue
from cos_doctor._normalize import normalize_message

if TYPE_CHECKING:
    import re

    from cos_doctor._pipeline.context import RequestContext

__all__ = ["Match", "match_rule", "sent_key"]


@dataclass(frozen=True)
class Match:
    """The chosen rule, the clause that chose it, and what its message pattern captured."""

    rule: Rule
    clause: Clause | None
    groups: dict[str, str] = field(default_factory=dict)
    ambiguous: tuple[str, ...] = ()  # ids of specific rules that tied, when we fell back


def match_rule(context: RequestContext, rules: Catalogue | None = None) -> Match:
    """Return the best match for ``context``.

    A specific rule is only chosen when it alone scores highest. When two specific rules tie,
    or none matches, the best generic rule for the status class is chosen instead: a wrong
    specific diagnosis is worse than an honest generic one.
    """
    rules = rules or catalogue()
    folded = normalize_message(context.error_message)
    kept_case = normalize_message(context.error_message, casefold=False)
    candidates = rules.clauses_by_code.get(context.error_code, ()) + (
        rules.clauses_by_code.get(None, ()) if context.error_code is not None else ()
    )
    specific = _best(candidates, context, folded, kept_case, generic=False)
    if len({found.rule.id for found in specific}) == 1:
        return specific[0]
    ambiguous = tuple(sorted({found.rule.id for found in specific}))
    generic = _best(rules.clauses_by_code.get(None, ()), context, folded, kept_case, generic=True)
    if generic:
        return Match(rule=generic[0].rule, clause=generic[0].clause, ambiguous=ambiguous)
    fallback = next(rule for rule in rules.rules if rule.fallback)
    return Match(rule=fallback, clause=None, ambiguous=ambiguous)


def _best(
    candidates: tuple[tuple[Clause, Rule], ...],
    context: RequestContext,
    folded: str,
    kept_case: str,
    *,
    generic: bool,
) -> list[Match]:
    best_score = -1
    best: list[Match] = []
    for clause, rule in candidates:
        if rule.generic != generic or rule.fallback:
            continue
        groups = _clause_groups(clause, context, folded, kept_case)
        if groups is None:
            continue
        if clause.score > best_score:
            best_score, best = clause.score, []
        if clause.score == best_score:
            best.append(Match(rule=rule, clause=clause, groups=groups))
    return best


def _clause_groups(
    clause: Clause,
    context: RequestContext,
    folded: str,
    kept_case: str,
) -> dict[str, str] | None:
    """Return the regex groups (possibly empty) when ``clause`` holds, else None."""
    if not _request_fields_hold(clause, context):
        return None
    if clause.message is not None and clause.message != folded:
        return None
    if clause.key_regex is not None and not _key_matches(clause.key_regex, context):
        return None
    if clause.message_regex is not None:
        found = clause.message_regex.search(kept_case)
        if found is None:
            return None
        return {name: value for name, value in found.groupdict().items() if value is not None}
    return {}


def _request_fields_hold(clause: Clause, context: RequestContext) -> bool:
    """Whether the clause's status, Code, method, POST Object and client fields hold."""
    status = context.http_status
    return (
        (clause.status is None or clause.status == status)
        and (
            clause.status_class is None
            or (status is not None and f"{status // 100}xx" == clause.status_class)
        )
        and (clause.code is None or clause.code == context.error_code)
        and (clause.post_object is None or clause.post_object == context.post_object)
        and (clause.method is None or clause.method == context.http_method)
        # client rules never match replies, and reply rules never match client failures
        and clause.client == context.client_failure
    )


def _key_matches(pattern: re.Pattern[str], context: RequestContext) -> bool:
    key = sent_key(context)
    return key is not None and pattern.search(key) is not None


def sent_key(context: RequestContext) -> str | None:
    """The object key as COS received it: the request path minus its first ``/``.

    ``context.key`` strips every leading slash (it names the object for the user's steps);
    a key_regex must see what COS saw, where ``//a.txt`` is the key ``/a.txt``.
    """
    if context.path:
        return context.path[1:] or None
    return context.key
