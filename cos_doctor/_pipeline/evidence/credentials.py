"""Which credential signed the request, and what is visibly wrong with the SecretId sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cos_doctor._pipeline.evidence.registry import Facts, detector
from cos_doctor._redact import mask_secret_id

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cos_doctor._pipeline.context import RequestContext
    from cos_doctor.diagnosis import Evidence

_CREDENTIAL_RULES = (
    "access-denied",
    "invalid-access-key-id",
    "signature-mismatch",
    "request-expired",
    "request-time-too-skewed",
    "expired-token",
    "unrecognized-403",
)
# A permanent Tencent Cloud SecretId is "AKID" followed by 32 characters.
_SECRET_ID_PREFIX = "AKID"  # noqa: S105 - a public prefix, not a secret
_PERMANENT_SECRET_ID_LENGTH = 36


def credential_kind(context: RequestContext) -> str | None:
    """Return "anonymous", "temporary" or "permanent"; None when nothing was observed."""
    authorization = context.authorization
    if authorization is None:
        # Headers known and none carries a signature: the request went out unsigned.
        return "anonymous" if context.request_headers else None
    if not authorization.strip() or context.secret_id_sent is None:
        return "anonymous"
    return "temporary" if context.token_sent else "permanent"


@detector(*_CREDENTIAL_RULES)
def credentials(facts: Facts) -> Iterator[Evidence]:
    """The kind of credential that signed the request, and the SecretId (masked)."""
    kind = credential_kind(facts.context)
    if kind is None:
        return
    yield facts.say("credential_kind", kind, variant=kind)
    masked = mask_secret_id(facts.context.secret_id_sent)
    if masked:
        yield facts.say("secret_id_masked", masked)


@detector("invalid-access-key-id", "access-denied", "signature-mismatch", "unrecognized-403")
def secret_id_shape(facts: Facts) -> Iterator[Evidence]:
    """Flag the SecretId sent when its shape is wrong or it differs from the configured one."""
    sent = facts.context.secret_id_sent
    if not sent:
        return
    temporary = facts.context.token_sent
    for problem in _shape_problems(sent, facts.context.configured("secret_id")):
        if problem == "length" and temporary:
            continue  # temporary SecretIds are longer; only permanent ones have a fixed length
        yield facts.say(
            "secret_id_problem",
            problem,
            variant=problem,
            length=len(sent),
            expected=_PERMANENT_SECRET_ID_LENGTH,
        )


@detector("signature-mismatch")
def secret_key_shape(facts: Facts) -> Iterator[Evidence]:
    """Flag a configured SecretKey with whitespace in it; the key itself is never shown."""
    configured = facts.context.configured("secret_key")
    # split() cuts at every kind of whitespace isspace() sees, in C: no loop per character.
    if configured and configured.split() != [configured]:
        yield facts.say("secret_key_problem", "whitespace", variant="whitespace")


@detector("invalid-access-key-id", "expired-token")
def temporary_credentials(facts: Facts) -> Iterator[Evidence]:
    """A temporary key that COS no longer knows has most likely expired."""
    if facts.context.token_sent:
        yield facts.say("temporary_key_lifetime", "likely-expired")


def _shape_problems(sent: str, configured: str | None) -> list[str]:
    problems = []
    if sent.split() != [sent]:  # whitespace anywhere (split() cuts at every kind isspace() sees)
        problems.append("whitespace")
    bare = sent.strip()
    if not bare.startswith(_SECRET_ID_PREFIX):
        problems.append("prefix")
    elif len(bare) != _PERMANENT_SECRET_ID_LENGTH:
        problems.append("length")
    if configured is not None and configured != sent:
        if configured.casefold() == sent.casefold():
            problems.append("case")
        else:
            problems.append("differs-from-config")
    return problems
