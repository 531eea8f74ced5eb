"""Pick the knowledge-base rule for a request: most specific wins, ties fall back honestly."""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING

from cos_doctor._knowledge.catalogue import Catalogue, Clause, Rule, catalogue
from cos_doctor._normalize import normalize_message
from cos_doctor._record import frozen

if TYPE_CHECKING:
    import re

    from cos_doctor._pipeline.context import RequestContext

__all__ = ["Match", "match_rule", "sent_key"]

# How many (Code, status, Message, POST, method) answers an index keeps before it starts over.
_INDEX_SIZE = 1024


@frozen
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
    index = _index_of(rules)
    key = index.key(context)
    if key is None:
        return _full_match(context, rules)
    found = index.answers.get(key)
    if found is None:
        found = _full_match(context, rules)
        if len(index.answers) >= _INDEX_SIZE:
            index.answers.clear()  # varying messages (a time, a name in them): start over
        index.answers[key] = found
    return found


class _RuleIndex:
    """Answers of the full matcher by what alone decides them, for the rules of one Catalogue.

    For a reply (not a client-side failure), the rule depends only on the Code, the status,
    the Message (exact or by pattern), whether it answered a POST Object form, the method,
    and, for a Code whose clauses name key patterns (NoSuchKey's leading slash), which of
    those patterns the key sent matches; for a client-side failure whose kind's clauses read
    neither message nor key, on its kind and those same fields but the Message (which names
    hosts, ports and objects that change with every failure). The first failure of each
    combination runs the full matcher, the next ones look its answer up. Kinds whose rules
    read a client failure's message are left to the full matcher every time, and every
    reply is when a clause without a Code reads the key.
    """

    __slots__ = ("answers", "key_clauses", "message_free_kinds", "rules")

    def __init__(self, rules: Catalogue) -> None:
        # Read from the clauses' pattern texts: their compiled forms wait for a first test.
        self.rules = rules
        by_code = rules.clauses_by_code
        anywhere = any(clause.key_pattern is not None for clause, _ in by_code.get(None, ()))
        # The clauses that read the key, per Code (their outcomes join the index's key); None:
        # a clause without a Code reads it, so any reply may depend on the key.
        self.key_clauses: dict[str | None, tuple[Clause, ...]] | None = (
            None
            if anywhere
            else {
                code: keyed
                for code, pairs in by_code.items()
                if (keyed := tuple(clause for clause, _ in pairs if clause.key_pattern is not None))
            }
        )
        # Only a clause naming a kind can match a client failure of that kind.
        reads_text: dict[str, bool] = {}
        for pairs in by_code.values():
            for clause, _ in pairs:
                if clause.client is not None:
                    reads = (clause.message, clause.message_pattern, clause.key_pattern) != (
                        None,
                        None,
                        None,
                    )
                    reads_text[clause.client] = reads_text.get(clause.client, False) or reads
        self.message_free_kinds = frozenset(kind for kind, reads in reads_text.items() if not reads)
        self.answers: dict[tuple[object, ...], Match] = {}

    def key(self, context: RequestContext) -> tuple[object, ...] | None:
        """What decides the rule for ``context``, or None when the full matcher must."""
        code = context.error_code
        kind = context.client_failure
        fields = (code, context.http_status, context.post_object, context.http_method)
        if kind is not None:
            return (kind, *fields) if kind in self.message_free_kinds else None
        if self.key_clauses is None:
            return None
        keyed = self.key_clauses.get(code)
        if keyed is None:
            return (None, *fields, context.error_message)
        # Which key patterns hold decides between this Code's rules; a few searches of the
        # key cost far less than the full matcher (all of the Code-less clauses too).
        key = sent_key(context)
        held = tuple(
            key is not None
            and clause.key_regex is not None
            and clause.key_regex.search(key) is not None
            for clause in keyed
        )
        return (None, *fields, context.error_message, held)


# The index of the catalogue last matched against (tests load others; the process, one).
_last_index: _RuleIndex | None = None


def _index_of(rules: Catalogue) -> _RuleIndex:
    global _last_index  # noqa: PLW0603 - one index, rebuilt only for another catalogue
    index = _last_index
    if index is None or index.rules is not rules:
        index = _last_index = _RuleIndex(rules)
    return index


def _full_match(context: RequestContext, rules: Catalogue) -> Match:
    """Every candidate clause tested: the most specific single rule, else a generic one."""
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
