"""POST Object form uploads: the values COS quotes in its policy error messages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cos_doctor._evidence import Facts, detector, human_duration, iso_utc
from cos_doctor._redact import mask_secret_id

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cos_doctor.diagnosis import Evidence

_FIELD_OF_RULE = {"post-qak-mismatch": "q-ak", "post-bucket-mismatch": "bucket"}


@detector("post-policy-expired")
def policy_expiration(facts: Facts) -> Iterator[Evidence]:
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
def failed_condition(facts: Facts) -> Iterator[Evidence]:
    """Which policy condition failed, and the value COS quoted for it (a q-ak masked)."""
    groups = facts.match.groups
    field = groups.get("field") or _FIELD_OF_RULE.get(facts.match.rule.id)
    if field:
        yield facts.say("condition_field", field)
    value = groups.get("value", "").strip()
    if value:
        shown = mask_secret_id(value) if field == "q-ak" else value
        yield facts.say("condition_value", shown)
