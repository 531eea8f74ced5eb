"""The detectors' registry and what each is given: :class:`Facts`, :func:`detector`.

A detector reads the :class:`RequestContext` (and the match) and yields :class:`Evidence`;
it never guesses: when a fact was not observed it yields nothing. Detectors declare the
rules they serve; none named means every rule.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Callable

from cos_doctor._locale import localized, say
from cos_doctor._record import frozen
from cos_doctor.diagnosis import Evidence, EvidenceValue

if TYPE_CHECKING:
    from cos_doctor._knowledge.catalogue import Catalogue
    from cos_doctor._pipeline.context import RequestContext
    from cos_doctor._pipeline.match import Match

__all__ = [
    "Detector",
    "Facts",
    "Later",
    "Unworded",
    "collect_evidence",
    "detector",
    "human_duration",
    "iso_utc",
    "worded",
]


@frozen
class Facts:
    """What a detector is given: the request, the match, and how to word a fact."""

    context: RequestContext
    match: Match
    catalogue: Catalogue
    locale: str
    #: Leave each sentence to be worded when read (the event reports keys and values only).
    unworded: bool = False

    def say(
        self,
        key: str,
        value: EvidenceValue,
        variant: str | None = None,
        **words: object,
    ) -> Evidence:
        """Build the Evidence ``key`` with its display text from ``evidence.toml``."""
        entry = self.catalogue.evidence_text[key]
        if variant is not None:
            entry = entry[variant]  # type: ignore[assignment]  # nested table per variant
        if self.unworded:
            return Unworded(key, value, (entry, self.locale, words, self.catalogue.placeholders))
        generic = localized(self.catalogue.placeholders, self.locale)
        text = say(entry, self.locale, {"value": value, **words}, generic)
        # Evidence seals its value and text when it is built: the one redaction boundary.
        return Evidence(key=key, value=value, text=text)


class Unworded(Evidence):
    """A fact whose sentence is worded on first read of ``text``: the same words, later.

    Wording every fact cost half of collecting them, and the event never shows the sentence.
    Only inside an Assessment: the Diagnosis gets plain, sealed :class:`Evidence` (:func:`worded`).
    """

    def __init__(self, key: str, value: EvidenceValue, wording: tuple[Any, ...]) -> None:
        """Keep the key, the value and what the sentence is worded from."""
        # Written into the instance's dictionary directly: a fact per detector per failure,
        # and three calls of the frozen class's object.__setattr__ cost twice as much.
        state = self.__dict__
        state["key"] = key
        state["value"] = value
        state["_wording"] = wording

    def __getattr__(self, name: str) -> Any:
        if name != "text":
            raise AttributeError(name)
        entry, locale, words, placeholders = self.__dict__["_wording"]
        generic = localized(placeholders, locale)
        text = say(entry, locale, {"value": self.value, **words}, generic)
        object.__setattr__(self, "text", text)
        return text


class Later:
    """A word of a fact's sentence (a date, a duration), computed when the sentence is worded.

    The event reports keys and values only: formatting words for a sentence it never reads
    cost as much as the rest of a clock fact.
    """

    __slots__ = ("_args", "_function")

    def __init__(self, function: Callable[..., str], *args: object) -> None:
        """Keep what the word is computed from: ``function(*args)``."""
        self._function = function
        self._args = args

    def __format__(self, spec: str) -> str:
        return format(self._function(*self._args), spec)


def worded(evidence: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
    """Plain Evidence, each sentence worded (what a Diagnosis holds and pickles)."""
    return tuple(
        Evidence(item.key, item.value, item.text) if type(item) is Unworded else item
        for item in evidence
    )


Detector = Callable[[Facts], Iterable[Evidence]]
_DETECTORS: list[tuple[frozenset[str] | None, Detector]] = []
# The detectors serving each rule, in registration order, with the list and length they were
# read from: built on first use per rule (testing every detector's rule set on each failure
# cost as much as some detectors), again when the list changed (a registration, a test's).
_BY_RULE: dict[str, tuple[list[Any], int, tuple[Detector, ...]]] = {}


def detector(*rule_ids: str) -> Callable[[Detector], Detector]:
    """Register a detector for ``rule_ids`` (none given: for every rule)."""

    def register(function: Detector) -> Detector:
        _DETECTORS.append((frozenset(rule_ids) or None, function))
        return function

    return register


def collect_evidence(facts: Facts) -> tuple[Evidence, ...]:
    """Run every detector that serves the matched rule; keep the first fact per key."""
    rule_id = facts.match.rule.id
    registered = _DETECTORS
    indexed = _BY_RULE.get(rule_id)
    if indexed is None or indexed[0] is not registered or indexed[1] != len(registered):
        serving = tuple(
            function for rule_ids, function in registered if rule_ids is None or rule_id in rule_ids
        )
        indexed = _BY_RULE[rule_id] = (registered, len(registered), serving)
    detectors = indexed[2]
    seen: set[str] = set()
    found: list[Evidence] = []
    for function in detectors:
        for item in function(facts):
            if item.key not in seen:
                seen.add(item.key)
                found.append(item)
    return tuple(found)


# Per locale: the units (days, hours, minutes, seconds) and what separates the parts.
_DURATION_UNITS = {
    "en": ((" d", " h", " min", " s"), " "),
    "ko": (("일", "시간", "분", "초"), " "),
    "zh": (("天", "小时", "分", "秒"), ""),
}


def human_duration(seconds: float, locale: str) -> str:
    """Return ``seconds`` as "1 h 2 min 3 s" (en), "1시간 2분 3초" (ko) or "1小时2分3秒" (zh)."""
    remaining = round(abs(seconds))
    days, remaining = divmod(remaining, 86400)
    hours, remaining = divmod(remaining, 3600)
    minutes, secs = divmod(remaining, 60)
    units, separator = localized(_DURATION_UNITS, locale)
    amounts = zip((days, hours, minutes, secs), units)
    parts = [f"{amount}{unit}" for amount, unit in amounts if amount]
    return separator.join(parts) or f"0{units[3]}"


def iso_utc(epoch: float) -> str:
    """Return ``epoch`` as an ISO-8601 UTC timestamp to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
