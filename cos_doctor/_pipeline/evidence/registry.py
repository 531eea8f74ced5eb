"""The detectors' registry and what each is given: :class:`Facts`, :func:`detector`.

A detector reads the :class:`RequestContext` (and the match) and yields :class:`Evidence`;
it never guesses: when a fact was not observed it yields nothing. Detectors declare the
rules they serve; none named means every rule.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Callable

from cos_doctor._locale import localized, say
from cos_doctor._record import frozen
from cos_doctor.diagnosis import Evidence, EvidenceValue

if TYPE_CHECKING:
    from cos_doctor._knowledge.catalogue import Catalogue
    from cos_doctor._pipeline.context import RequestContext
    from cos_doctor._pipeline.match import Match

__all__ = ["Detector", "Facts", "collect_evidence", "detector", "human_duration", "iso_utc"]


@frozen
class Facts:
    """What a detector is given: the request, the match, and how to word a fact."""

    context: RequestContext
    match: Match
    catalogue: Catalogue
    locale: str

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
        generic = localized(self.catalogue.placeholders, self.locale)
        text = say(entry, self.locale, {"value": value, **words}, generic)
        # Evidence seals its value and text when it is built: the one redaction boundary.
        return Evidence(key=key, value=value, text=text)


Detector = Callable[[Facts], Iterable[Evidence]]
_DETECTORS: list[tuple[frozenset[str] | None, Detector]] = []


def detector(*rule_ids: str) -> Callable[[Detector], Detector]:
    """Register a detector for ``rule_ids`` (none given: for every rule)."""

    def register(function: Detector) -> Detector:
        _DETECTORS.append((frozenset(rule_ids) or None, function))
        return function

    return register


def collect_evidence(facts: Facts) -> tuple[Evidence, ...]:
    """Run every detector that serves the matched rule; keep the first fact per key."""
    rule_id = facts.match.rule.id
    seen: set[str] = set()
    found: list[Evidence] = []
    for rule_ids, function in _DETECTORS:
        if rule_ids is not None and rule_id not in rule_ids:
            continue
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
