"""What the knowledge base knows of Codes and Messages, for reading what users paste.

A paste often lost its Code (``Request has expired`` alone, or quoted in a sentence). COS
sends most Messages with one Code only; the knowledge base quotes them in its rule clauses
and examples. When a reply's Message is one of those, quoted with exactly one Code (and,
where the knowledge base says, at this status), that Code is inferred, and the diagnosis
says so in its evidence. An ambiguous Message infers nothing.
"""

from __future__ import annotations

import re
from http import HTTPStatus

from cos_doctor._knowledge.catalogue import Catalogue, catalogue
from cos_doctor._normalize import normalize_message
from cos_doctor._record import frozen

__all__ = ["REASON_PHRASES", "Vocabulary", "infer_code", "vocabulary"]

#: Each status's reason phrases: this Python's, and the older wording Go's net/http and
#: older Pythons still print (RFC 9110 renamed 413, 416 and 422).
REASON_PHRASES: dict[int, frozenset[str]] = {
    status.value: frozenset({status.phrase}) for status in HTTPStatus
}
for _status, _older in (
    (413, "Request Entity Too Large"),
    (414, "Request URI Too Long"),
    (414, "Request-URI Too Long"),
    (416, "Requested Range Not Satisfiable"),
    (422, "Unprocessable Entity"),
):
    REASON_PHRASES[_status] = REASON_PHRASES.get(_status, frozenset()) | {_older}

# A Code as COS sends it. The error-code table also lists a few messages in its Code column
# ("Request has expired"); those are not Codes and never make a message ambiguous.
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9.]*")
# "Bad Request", "Service Unavailable": a status line says these, whoever answered, so a
# text holding one says nothing about COS's Code.
_REASON_PHRASES = frozenset(
    phrase.casefold() for phrases in REASON_PHRASES.values() for phrase in phrases
)


@frozen
class Vocabulary:
    """The Codes and the literal Messages the knowledge base knows, for reading pastes.

    ``codes_by_message`` maps each normalised Message (prose: it has a space) to the
    (Code, status) pairs rule clauses and examples use it with; a Code of None is a clause
    that quotes the Message alone, whatever the Code.
    """

    codes: frozenset[str]
    codes_by_message: dict[str, frozenset[tuple[str | None, int | None]]]

    def knows_message(self, message: str | None) -> bool:
        """Whether ``message`` (in any spelling) is a Message the knowledge base quotes."""
        return normalize_message(message) in self.codes_by_message


# No lock (one held by another thread at a fork would hang the child): two threads may both
# build a vocabulary; each is complete, and the last one stored stays.
_VOCABULARIES: dict[int, tuple[Catalogue, Vocabulary]] = {}


def vocabulary(rules: Catalogue | None = None) -> Vocabulary:
    """The vocabulary of ``rules`` (default: the installed knowledge base), built once."""
    rules = rules or catalogue()
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
        if folded in _REASON_PHRASES:
            return
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


def infer_code(
    code: str | None,
    message: str | None,
    *,
    body_format: str,
    status: int | None,
    rules: Catalogue | None = None,
) -> str | None:
    """The Code a reply without one must have had, or None when its Message does not say.

    Only for a structured reply (XML or JSON, or a paste read into one; ``body_format``) that
    lost its Code, and only when the normalised Message is one the knowledge base quotes with
    exactly one Code, at this ``status``. A plain-text body (a proxy's page) is never read
    this way.
    """
    if code is not None or not message:
        return None
    if body_format == "text":
        return None
    uses = vocabulary(rules).codes_by_message.get(normalize_message(message))
    if not uses:
        return None
    # A clause without a Code (a Message quoted alone) names none: the Codes the other clauses
    # and the examples quote the Message with decide.
    codes = {code for code, _ in uses if code is not None}
    if len(codes) != 1:
        return None
    # A status the knowledge base never quotes this Message with is another error.
    quoted = {used for _, used in uses if used is not None}
    if status is not None and quoted and status not in quoted:
        return None
    return codes.pop()
