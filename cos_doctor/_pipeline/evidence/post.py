"""POST Object form uploads: the values COS quotes, and what the issued form shows.

When ``diagnose(..., form=...)`` is given the form the server issued, it says about the
failure: the condition that failed, the value the form sent, the form's own expiration,
and the lint finding that predicts this very error.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from cos_doctor._pipeline.evidence.registry import Facts, detector, human_duration, iso_utc
from cos_doctor._redact import is_secret_field, mask_secret_id

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cos_doctor.diagnosis import Evidence

_FIELD_OF_RULE = {"post-qak-mismatch": "q-ak", "post-bucket-mismatch": "bucket"}
_POST_RULES = (
    "post-qak-mismatch",
    "post-policy-expired",
    "post-signature-invalid",
    "post-policy-missing-condition",
    "post-bucket-mismatch",
    "post-condition-mismatch",
    "post-malformed-body",
)
# Values never shown as they are: a SecretId is masked, a token or signature hidden.
_MASKED = frozenset({"q-ak"})
_TIME_CHECKS = frozenset(
    {"policy-expired", "policy-expiring-soon", "key-time-ended", "key-time-in-future"},
)


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
        shown = _shown(field or "", value, value)
        yield facts.say("condition_value", shown)


@detector(*_POST_RULES)
def issued_form(facts: Facts) -> Iterator[Evidence]:
    """What the form the server issued shows: the failing condition, the value, the lint."""
    pairs = facts.context.post_form
    if not pairs:
        return
    # Imported here: the form's reader and linter serve only POST Object failures with a form.
    from cos_doctor._post.lint import form_policy, form_value

    document = form_policy(pairs)
    rule_id = facts.match.rule.id
    field = facts.match.groups.get("field") or _FIELD_OF_RULE.get(rule_id)
    if document is not None and field:
        for condition in document.conditions_on(field)[:1]:
            yield facts.say("form_condition", _shown(field, condition.describe(), condition.value))
        sent = form_value(pairs, field)
        if sent is not None and field.lower() != "bucket":
            yield facts.say("form_value", _shown(field, sent, sent), field=field)
    if document is not None and rule_id == "post-policy-expired" and document.expiration:
        expiration = document.expiration
        yield facts.say("form_policy_expiration", expiration, when=iso_utc(expiration))
    if document is not None and rule_id == "post-signature-invalid":
        digest = hashlib.sha1(document.text).hexdigest()  # noqa: S324 - the protocol's hash
        yield facts.say("form_string_to_sign", digest)
    finding = _predicting_finding(facts, pairs, rule_id)
    if finding is not None:
        yield facts.say("form_finding", finding[0], message=finding[1])


def _shown(field: str, text: str, value: object) -> str:
    name = field.lower()
    if is_secret_field(name):
        return "<redacted>"
    if name in _MASKED:
        return text.replace(str(value), mask_secret_id(str(value)) or "")
    return text


def _predicting_finding(
    facts: Facts,
    pairs: tuple[tuple[str, str], ...],
    rule_id: str,
) -> tuple[str, str] | None:
    """The first lint finding on the form that names this rule, as (check, message)."""
    from cos_doctor._post.lint import lint

    context = facts.context
    quoted_now = facts.match.groups.get("now", "")
    now = int(quoted_now) if quoted_now.isdigit() else context.server_clock
    bucket = context.bucket or ""
    for finding in lint(None, pairs, bucket=bucket, now=now, locale=facts.locale):
        if finding.rule_id != rule_id:
            continue
        if finding.check in _TIME_CHECKS and now is None:
            continue  # no server time: the moment of the upload is unknown
        if finding.check == "bucket-mismatch" and not bucket:
            continue
        return finding.check, finding.message
    return None
