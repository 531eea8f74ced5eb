"""Facts computed for THIS request, one small detector per fact.

A detector reads the :class:`RequestContext` (and the match) and yields :class:`Evidence`;
it never guesses: when a fact was not observed it yields nothing. Detectors declare the
rules they serve; ``None`` means every rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from cos_doctor._redact import mask_secret_id, scrub
from cos_doctor.diagnosis import Evidence, EvidenceValue

if TYPE_CHECKING:
    from cos_doctor._context import RequestContext
    from cos_doctor._knowledge import Catalogue
    from cos_doctor._match import Match

__all__ = ["Detector", "Facts", "collect_evidence", "detector", "human_duration"]


@dataclass(frozen=True)
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
        template = entry.get(self.locale) or entry["en"]
        text = template.format(value=value, **words)
        return Evidence(key=key, value=value, text=scrub(text))


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


def human_duration(seconds: float, locale: str) -> str:
    """Return ``seconds`` as "1 h 2 min 3 s" (en) or "1시간 2분 3초" (ko), largest units first."""
    remaining = round(abs(seconds))
    days, remaining = divmod(remaining, 86400)
    hours, remaining = divmod(remaining, 3600)
    minutes, secs = divmod(remaining, 60)
    units = ("일", "시간", "분", "초") if locale == "ko" else (" d", " h", " min", " s")
    amounts = zip((days, hours, minutes, secs), units)
    parts = [f"{amount}{unit}" for amount, unit in amounts if amount]
    return " ".join(parts) or f"0{units[3]}"


def iso_utc(epoch: float) -> str:
    """Return ``epoch`` as an ISO-8601 UTC timestamp to the second."""
    moment = dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@detector(
    "access-denied",
    "invalid-access-key-id",
    "signature-mismatch",
    "request-expired",
    "request-time-too-skewed",
    "unrecognized-403",
)
def _credentials(facts: Facts) -> Iterator[Evidence]:
    """Which kind of credential signed the request, and which SecretId (masked)."""
    context = facts.context
    authorization = context.authorization
    if authorization is None:
        return
    secret_id = context.secret_id_sent
    if not authorization.strip() or secret_id is None:
        yield facts.say("credential_kind", "anonymous", variant="anonymous")
        return
    kind = "temporary" if context.token_sent else "permanent"
    yield facts.say("credential_kind", kind, variant=kind)
    masked = mask_secret_id(secret_id)
    if masked:
        yield facts.say("secret_id_masked", masked)


@detector("post-policy-expired")
def _post_policy_expiration(facts: Facts) -> Iterator[Evidence]:
    """The expiration and server time COS quoted, and how long ago the policy lapsed."""
    groups = facts.match.groups
    try:
        expiration = int(groups["expiration"])
        server_now = int(groups["now"])
    except (KeyError, ValueError):
        return
    yield facts.say("policy_expiration", expiration, when=iso_utc(expiration))
    yield facts.say("post_server_time", server_now, when=iso_utc(server_now))
    lapsed = server_now - expiration
    yield facts.say("policy_expired_seconds", lapsed, human=human_duration(lapsed, facts.locale))


@detector("post-qak-mismatch", "post-bucket-mismatch", "post-condition-mismatch")
def _post_condition(facts: Facts) -> Iterator[Evidence]:
    """Which policy condition failed, and the value COS quoted for it."""
    groups = facts.match.groups
    field = groups.get("field") or {
        "post-qak-mismatch": "q-ak",
        "post-bucket-mismatch": "bucket",
    }.get(facts.match.rule.id)
    if field:
        yield facts.say("condition_field", field)
    value = groups.get("value", "").strip()
    if value:
        shown = mask_secret_id(value) if field == "q-ak" else value
        yield facts.say("condition_value", shown)


@detector()
def _missing_body(facts: Facts) -> Iterator[Evidence]:
    """Say when the reply carried no error body, and how to see the real error."""
    context = facts.context
    if context.error_code is not None or context.body.strip():
        return
    if context.http_method == "HEAD":
        yield facts.say("error_body", "absent-head", variant="head")
    else:
        yield facts.say("error_body", "absent", variant="empty")
