"""Pick the knowledge-base rule for a request: most specific wins, ties fall back honestly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cos_doctor._knowledge import Catalogue, Clause, Rule, catalogue
from cos_doctor._normalize import normalize_message

if TYPE_CHECKING:
    from cos_doctor._context import RequestContext

__all__ = ["Match", "match_rule"]


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


def _clause_groups(  # noqa: PLR0911 - one early exit per clause field reads best
    clause: Clause,
    context: RequestContext,
    folded: str,
    kept_case: str,
) -> dict[str, str] | None:
    """Return the regex groups (possibly empty) when ``clause`` holds, else None."""
    status = context.http_status
    if clause.status is not None and clause.status != status:
        return None
    if clause.status_class is not None and (
        status is None or f"{status // 100}xx" != clause.status_class
    ):
        return None
    if clause.code is not None and clause.code != context.error_code:
        return None
    if clause.post_object is not None and clause.post_object != context.post_object:
        return None
    if clause.method is not None and clause.method != context.http_method:
        return None
    if clause.client != context.client_failure:  # client rules never match replies, and back
        return None
    if clause.message is not None and clause.message != folded:
        return None
    if clause.message_regex is not None:
        found = clause.message_regex.search(kept_case)
        if found is None:
            return None
        return {name: value for name, value in found.groupdict().items() if value is not None}
    return {}
