"""Pick the knowledge-base rule for a request: most specific wins, ties fall back honestly."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cos_doctor._knowledge import Catalogue, Clause, Rule, catalogue
from cos_doctor._normalize import normalize_message

if TYPE_CHECKING:
    from cos_doctor._context import RequestContext

__all__ = ["Match", "Vocabulary", "infer_code", "match_rule", "vocabulary"]

# A Code as COS sends it. The error-code table also lists a few messages in its Code column
# ("Request has expired"); those are not Codes and never make a message ambiguous.
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9.]*")


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
    if clause.message is not None and clause.message != folded:
        return None
    if clause.message_regex is not None:
        found = clause.message_regex.search(kept_case)
        if found is None:
            return None
        return {name: value for name, value in found.groupdict().items() if value is not None}
    return {}


@dataclass(frozen=True)
class Vocabulary:
    """The Codes and the literal Messages the knowledge base knows, for reading pastes.

    ``codes_by_message`` maps each normalised Message (prose: it has a space) to the
    (Code, status) pairs rule clauses and examples use it with; a Code of None means a
    clause matches the message whatever the Code, so the message alone says no Code.
    """

    codes: frozenset[str]
    codes_by_message: dict[str, frozenset[tuple[str | None, int | None]]]

    def knows_message(self, message: str | None) -> bool:
        """Whether ``message`` (in any spelling) is a Message the knowledge base quotes."""
        return normalize_message(message) in self.codes_by_message


_VOCABULARY_LOCK = threading.Lock()
_VOCABULARIES: dict[int, tuple[Catalogue, Vocabulary]] = {}


def vocabulary(rules: Catalogue | None = None) -> Vocabulary:
    """The vocabulary of ``rules`` (default: the installed knowledge base), built once."""
    rules = rules or catalogue()
    with _VOCABULARY_LOCK:
        cached = _VOCABULARIES.get(id(rules))
        if cached is None or cached[0] is not rules:
            cached = (rules, _build_vocabulary(rules))
            _VOCABULARIES[id(rules)] = cached
        return cached[1]


def _build_vocabulary(rules: Catalogue) -> Vocabulary:
    uses: dict[str, set[tuple[str | None, int | None]]] = {}
    codes: set[str] = set()

    def note(code: str | None, message: str | None, status: int | None) -> None:
        if code is not None:
            if not _CODE.fullmatch(code):
                return
            codes.add(code)
        folded = normalize_message(message)
        if " " in folded:  # a bare word ("AccessForbidden") is the guide's Code, not prose
            uses.setdefault(folded, set()).add((code, status))

    for rule in rules.rules:
        for clause in rule.clauses:
            note(clause.code, clause.message, clause.status)
        for example in rule.examples:
            if example.code is not None:
                note(example.code, example.message, example.status)
    return Vocabulary(
        codes=frozenset(codes),
        codes_by_message={message: frozenset(pairs) for message, pairs in uses.items()},
    )


def infer_code(context: RequestContext, rules: Catalogue | None = None) -> str | None:
    """The Code a reply without one must have had, or None when its Message does not say.

    Only for a structured reply (XML or JSON, or a paste read into one) that lost its Code,
    and only when the normalised Message is one the knowledge base quotes with exactly one
    Code, at this status. A plain-text body (a proxy's page) is never read this way.
    """
    if context.error_code is not None or not context.error_message:
        return None
    if context.body_format == "text":
        return None
    uses = vocabulary(rules).codes_by_message.get(normalize_message(context.error_message))
    if not uses:
        return None
    codes = {code for code, _ in uses}
    if len(codes) != 1 or None in codes:
        return None
    # A status the knowledge base never quotes this Message with is another error.
    quoted = {used for _, used in uses if used is not None}
    if context.http_status is not None and quoted and context.http_status not in quoted:
        return None
    return codes.pop()
