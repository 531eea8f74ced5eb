"""Lint a POST Object form before a browser sends it: which error would COS answer?

Each check is a stable id (``policy-expired``, ``condition-not-met``…) mapped to the
knowledge-base rule the upload would get, and worded per locale in
``knowledge/lint/post_object.toml``. Checks run in the order COS is believed to check
(reference §3.4: body → policy → key → signature → expiration → key time → conditions),
so the first error finding is the reply to expect. Findings never carry a SecretKey,
token or signature, and SecretIds are masked: every value a finding quotes is sealed with a
redactor that knows the credentials and the form's own token and signature.

This is a predictor written apart from the emulator's verifier on purpose: the integration
suite checks one against the other over real HTTP.
"""

from __future__ import annotations

import functools
import hmac
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from cos_doctor import _signing
from cos_doctor._locale import SUPPORTED_LOCALES, Words, localized, resolve_locale
from cos_doctor._post.policy import (
    FILE_FIELD,
    LENGTH_RANGE,
    REQUIRED_CONDITIONS,
    Condition,
    Credentials,
    PolicyDocument,
    PolicyError,
    PostPolicy,
    SignedForm,
    decode_policy_field,
    epoch_seconds,
    format_expiration,
    parse_policy,
)
from cos_doctor._redact import Redactor, is_secret_field, mask_secret_id

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

__all__ = ["CHECKS", "Finding", "form_pairs", "form_policy", "form_value", "lint"]

TEXTS_FILE = Path(__file__).parent.parent / "knowledge" / "lint" / "post_object.toml"
#: A policy with less time left than this is reported: the user still has to pick a file.
EXPIRING_SOON_SECONDS = 300
#: How far ahead a key time may start before COS calls it clock skew (15 minutes).
MAX_SKEW_SECONDS = 900
_FILENAME = "${filename}"
_SIGNATURE_FIELDS = ("q-sign-algorithm", "q-key-time", "q-signature")
_TOKEN_FIELD = "x-cos-security-token"  # noqa: S105 - a field name, not a secret

#: Every check: its knowledge-base rule (None: the upload works but loses something) and
#: whether it is certain to fail ("error") or may fail ("warning").
CHECKS: dict[str, tuple[str | None, str]] = {
    "body-not-multipart": ("post-malformed-body", "error"),
    "field-after-file": (None, "warning"),
    "key-missing": ("invalid-argument", "error"),
    "policy-missing": ("access-denied", "error"),
    "policy-not-base64": ("post-policy-missing-condition", "error"),
    "policy-not-json": ("post-policy-missing-condition", "error"),
    "policy-no-conditions": ("post-policy-missing-condition", "error"),
    "policy-bad-condition": ("post-policy-missing-condition", "error"),
    "policy-bad-expiration": ("post-policy-missing-condition", "error"),
    "q-ak-missing": ("invalid-access-key-id", "error"),
    "token-missing": ("invalid-access-key-id", "error"),
    "q-ak-not-signer": ("post-signature-invalid", "error"),
    "signature-field-missing": ("post-signature-invalid", "error"),
    "algorithm-not-sha1": ("post-signature-invalid", "error"),
    "policy-bytes-differ": ("post-signature-invalid", "error"),
    "policy-content-differs": ("post-signature-invalid", "error"),
    "signature-wrong": ("post-signature-invalid", "error"),
    "policy-expired": ("post-policy-expired", "error"),
    "policy-expiring-soon": ("post-policy-expired", "warning"),
    "key-time-malformed": ("signature-empty", "error"),
    "key-time-ended": ("request-expired", "error"),
    "key-time-in-future": ("request-time-too-skewed", "error"),
    "bucket-mismatch": ("post-bucket-mismatch", "error"),
    "q-ak-mismatch": ("post-qak-mismatch", "error"),
    "condition-field-missing": ("post-condition-mismatch", "error"),
    "condition-not-met": ("post-condition-mismatch", "error"),
    "key-depends-on-filename": ("post-condition-mismatch", "warning"),
    "size-out-of-range": ("post-condition-mismatch", "error"),
    "required-condition-missing": ("post-policy-missing-condition", "warning"),
}

PolicyInput = Union[PostPolicy, Mapping[str, Any], str, bytes, None]
FieldsInput = Union[SignedForm, Mapping[str, str], "Iterable[tuple[str, str]]"]


@dataclass(frozen=True)
class Finding:
    """One reason a POST Object form would fail, and how to fix it.

    ``rule_id`` is the knowledge-base rule the upload would get (the one ``diagnose()``
    names for COS's reply), or None when the upload works but loses something. ``check``
    is this finding's stable id; ``severity`` is ``error`` (COS will refuse the upload) or
    ``warning`` (it may, depending on the file or the moment). ``message`` and ``fix`` are
    worded in the chosen locale.
    """

    check: str
    rule_id: str | None
    severity: str
    field: str | None
    message: str
    fix: str

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data."""
        return {
            "check": self.check,
            "rule_id": self.rule_id,
            "severity": self.severity,
            "field": self.field,
            "message": self.message,
            "fix": self.fix,
        }


def lint(  # noqa: PLR0913 - keyword-only facts about the upload, each optional
    policy: PolicyInput,
    fields: FieldsInput,
    *,
    bucket: str,
    key: str | None = None,
    file_size: int | None = None,
    now: datetime | float | None = None,
    filename: str | None = None,
    credentials: Credentials | None = None,
    content_type: str | None = None,
    locale: str | None = None,
) -> tuple[Finding, ...]:
    """Return what would make COS refuse this form upload; ``()`` for a clean form.

    ``policy`` is the policy you signed: a :class:`PostPolicy`, its JSON text (str or
    bytes), its Base64 form, a dict, or None to judge the form's own ``policy`` field
    alone. A text or PostPolicy is compared byte for byte with what the form sends, since
    COS hashes exactly those bytes. ``fields`` is the form (a :class:`SignedForm`, a dict or
    ``(name, value)`` pairs in order, a ``file`` entry where the file goes). ``bucket`` is
    the bucket the form posts to; ``key`` the object key the upload will create (after
    ``${filename}``), or ``filename`` the file's name to substitute; ``file_size`` in bytes;
    ``now`` the moment of the upload (default: now). With ``credentials`` the signature is
    recomputed; with ``content_type`` (a header you set yourself) its boundary is checked.

    Malformed input (not Base64, not JSON, not a policy) is reported as a finding; this
    function does not raise on it.
    """
    pairs = list(form_pairs(fields))
    before, after = _split_at_file(pairs)
    form = {name.lower(): value for name, value in before}
    redact = _redactor(form, credentials)
    run = _Run(resolve_locale(locale), bucket=bucket, now=epoch_seconds(now), redact=redact)
    if content_type is not None:
        _check_content_type(run, content_type)
    final_key = _final_key(form.get("key"), key, filename)
    if "key" not in form:  # COS needs the field itself, whatever key= says
        run.add("key-missing", "key")
    document = _check_policy(run, form)
    if document is not None:
        _check_signer(run, form, document, credentials)
        _check_signature(run, form, document, policy, credentials)
        _check_expiration(run, document)
        _check_key_time(run, form)
        _check_conditions(run, form, document, final_key, file_size)
    return run.finish(after)


def _redactor(form: dict[str, str], credentials: Credentials | None) -> Redactor:
    """What seals the findings: every secret this call was given, wherever it came from."""
    secrets = [form.get(_TOKEN_FIELD), form.get("q-signature")]
    if credentials is not None:
        secrets.extend((credentials.secret_key, credentials.token))
    secret_ids = [form.get("q-ak"), credentials.secret_id if credentials else None]
    return Redactor(secrets, secret_ids)


class _Run:
    """The findings of one lint call, worded as they are added."""

    def __init__(self, language: str, *, bucket: str, now: float, redact: Redactor) -> None:
        self.language = language
        self.bucket = bucket
        self.now = now
        self.redact = redact
        self.findings: list[Finding] = []

    def add(self, check: str, field: str | None = None, **values: object) -> None:
        """Record the finding ``check`` about ``field``, worded with ``values``."""
        self.findings.append(self.word(check, field, **values))

    def word(self, check: str, field: str | None, **values: object) -> Finding:
        """Build the finding ``check`` in this run's locale; values are sealed first."""
        rule_id, severity = CHECKS[check]
        text = localized(_texts()[check], self.language)
        words = Words(
            {
                name: None if value is None else self.redact(str(value))
                for name, value in {"field": field or "", "bucket": self.bucket, **values}.items()
            },
        )
        return Finding(
            check=check,
            rule_id=rule_id,
            severity=severity,
            field=field,
            message=text["message"].format_map(words),
            fix=text["fix"].format_map(words),
        )

    def finish(self, after_file: list[tuple[str, str]]) -> tuple[Finding, ...]:
        """Place each field-after-file finding just before the finding its absence causes.

        That finding lends it its rule and severity; a stray field nothing depends on is a
        warning without a rule (the upload works, the field is lost).
        """
        result = list(self.findings)
        for name, _ in reversed(after_file):
            moved = self.word("field-after-file", name)
            caused = next((f for f in result if (f.field or "").lower() == name.lower()), None)
            if caused is None:
                result.insert(0, moved)
            else:
                moved = replace(moved, rule_id=caused.rule_id, severity=caused.severity)
                result.insert(result.index(caused), moved)
        return tuple(result)


def _check_content_type(run: _Run, content_type: str) -> None:
    mimetype, _, options = content_type.partition(";")
    has_boundary = "boundary=" in options.replace(" ", "").lower()
    if mimetype.strip().lower() != "multipart/form-data" or not has_boundary:
        run.add("body-not-multipart", "Content-Type", value=content_type)


def _check_policy(run: _Run, form: dict[str, str]) -> PolicyDocument | None:
    encoded = form.get("policy")
    if encoded is None:
        run.add("policy-missing", "policy")
        return None
    try:
        return parse_policy(decode_policy_field(encoded))
    except PolicyError as error:
        run.add(error.reason, "policy", detail=error.detail)
        return None


def _check_signer(
    run: _Run,
    form: dict[str, str],
    document: PolicyDocument,
    credentials: Credentials | None,
) -> None:
    q_ak = form.get("q-ak", "")
    if not q_ak:
        run.add("q-ak-missing", "q-ak")
    if credentials is not None and q_ak and q_ak != credentials.secret_id:
        run.add(
            "q-ak-not-signer",
            "q-ak",
            value=mask_secret_id(q_ak),
            expected=mask_secret_id(credentials.secret_id),
        )
    # A policy that names a token was built for a temporary key, which COS refuses without it.
    temporary = bool(credentials and credentials.token) or bool(
        document.conditions_on(_TOKEN_FIELD)
    )
    if temporary and not form.get(_TOKEN_FIELD):
        run.add("token-missing", _TOKEN_FIELD)


def _check_signature(
    run: _Run,
    form: dict[str, str],
    document: PolicyDocument,
    policy: PolicyInput,
    credentials: Credentials | None,
) -> None:
    missing = [name for name in _SIGNATURE_FIELDS if not form.get(name)]
    for name in missing:
        run.add("signature-field-missing", name)
    algorithm = form.get("q-sign-algorithm")
    if algorithm and algorithm.lower() != _signing.ALGORITHM:
        run.add("algorithm-not-sha1", "q-sign-algorithm", value=algorithm)
    reported = len(run.findings)
    signed = _signed_bytes(policy)
    if isinstance(signed, bytes) and signed != document.text:
        run.add("policy-bytes-differ", "policy", sent=len(document.text), signed=len(signed))
    elif isinstance(signed, Mapping) and _json_or_none(document.text) != signed:
        run.add("policy-content-differs", "policy")
    if credentials is None or missing or len(run.findings) > reported:
        return  # recomputing would only repeat what is already said
    expected = _signing.post_policy_signature(
        credentials.secret_key, form["q-key-time"], document.text
    )
    if not hmac.compare_digest(expected, form["q-signature"].lower()):
        run.add("signature-wrong", "q-signature")


def _check_expiration(run: _Run, document: PolicyDocument) -> None:
    if document.expiration is None:
        return
    left = document.expiration - run.now
    when = format_expiration(document.expiration)
    if left < 0:
        run.add("policy-expired", "expiration", when=when, seconds=int(-left))
    elif left < EXPIRING_SOON_SECONDS:
        run.add("policy-expiring-soon", "expiration", when=when, seconds=int(left))


def _check_key_time(run: _Run, form: dict[str, str]) -> None:
    text = form.get("q-key-time")
    if not text:
        return  # already reported as a missing signature field
    window = _signing.parse_key_time(text)
    if window is None:
        run.add("key-time-malformed", "q-key-time", value=text)
        return
    start, end = window
    if end < run.now:
        run.add("key-time-ended", "q-key-time", value=text, when=format_expiration(end))
    elif start > run.now + MAX_SKEW_SECONDS:
        run.add("key-time-in-future", "q-key-time", value=text, when=format_expiration(start))


def _check_conditions(
    run: _Run,
    form: dict[str, str],
    document: PolicyDocument,
    final_key: str | None,
    file_size: int | None,
) -> None:
    for condition in document.conditions:
        if condition.operator == LENGTH_RANGE:
            low, high = condition.bounds
            if file_size is not None and not low <= file_size <= high:
                run.add(
                    "size-out-of-range", LENGTH_RANGE, size=file_size, minimum=low, maximum=high
                )
        elif condition.name == "bucket":
            if not condition.accepts(run.bucket):
                run.add("bucket-mismatch", "bucket", expected=condition.value)
        else:
            value = final_key if condition.name == "key" else _form_value(form, condition.name)
            _check_field(run, condition, value)
    named = {condition.name for condition in document.conditions}
    for name in REQUIRED_CONDITIONS:
        if name not in named:
            run.add("required-condition-missing", name)


def _check_field(run: _Run, condition: Condition, value: str | None) -> None:
    """Judge one eq / starts-with condition against the value the form sends."""
    secret = is_secret_field(condition.name)
    expected = json.dumps({condition.field: "<redacted>"}) if secret else condition.describe()
    if value is None:
        run.add("condition-field-missing", condition.field, expected=expected)
    elif condition.name == "key" and _FILENAME in value:
        _check_key_template(run, condition, value)
    elif condition.accepts(value):
        return
    elif condition.name == "q-ak":
        shown = mask_secret_id(str(condition.value))
        run.add("q-ak-mismatch", "q-ak", value=mask_secret_id(value), expected=shown)
    else:
        shown = "<redacted>" if secret else value
        run.add("condition-not-met", condition.field, value=shown, expected=expected)


def _check_key_template(run: _Run, condition: Condition, template: str) -> None:
    """Judge a key that still holds ``${filename}``: fixed part first, file name after."""
    fixed = template.split(_FILENAME, 1)[0]
    wanted = str(condition.value)
    expected = condition.describe()
    if condition.operator == "starts-with" and fixed.startswith(wanted):
        return  # any file name passes
    if wanted.startswith(fixed):
        run.add("key-depends-on-filename", "key", value=template, expected=expected)
    else:
        run.add("condition-not-met", "key", value=template, expected=expected)


def _form_value(form: dict[str, str], name: str) -> str | None:
    if name == "q-sign-time":  # the policy says q-sign-time, the form q-key-time
        return form.get(name, form.get("q-key-time"))
    return form.get(name)


def _final_key(form_key: str | None, key: str | None, filename: str | None) -> str | None:
    if key is not None:
        return key
    if form_key is not None and filename is not None:
        return form_key.replace(_FILENAME, filename)
    return form_key


def _signed_bytes(policy: PolicyInput) -> bytes | Mapping[str, Any] | None:
    """The bytes (or, for a dict, the document) the caller says were signed."""
    if policy is None:
        return None
    if isinstance(policy, PostPolicy):
        return policy.to_json()
    if isinstance(policy, Mapping):
        return policy
    text = policy.encode("utf-8") if isinstance(policy, str) else policy
    if text.lstrip().startswith(b"{"):
        return text
    try:  # the Base64 of the policy, as the form carries it
        return decode_policy_field(text.decode("ascii", "replace"))
    except PolicyError:
        return text  # neither: compared as it is, so the mismatch shows


def _json_or_none(text: bytes) -> Any:
    try:
        return json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # too deep: unreadable
        return None


def form_pairs(fields: FieldsInput) -> Iterable[tuple[str, str]]:
    """The form as ``(name, value)`` pairs in order, whatever shape it was given in."""
    if isinstance(fields, SignedForm):
        return fields.fields
    if isinstance(fields, Mapping):
        return [(str(name), str(value)) for name, value in fields.items()]
    return [(str(name), str(value)) for name, value in fields]


def form_policy(pairs: Iterable[tuple[str, str]]) -> PolicyDocument | None:
    """The policy a form carries (before its file), or None when it has none or is unreadable."""
    before, _ = _split_at_file(list(pairs))
    form = {name.lower(): value for name, value in before}
    try:
        return parse_policy(decode_policy_field(form.get("policy", "")))
    except PolicyError:
        return None


def form_value(pairs: Iterable[tuple[str, str]], name: str) -> str | None:
    """The value a form sends for field ``name`` (case-insensitive, before the file)."""
    before, _ = _split_at_file(list(pairs))
    return _form_value({key.lower(): value for key, value in before}, name.lower())


def _split_at_file(
    pairs: list[tuple[str, str]],
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    for index, (name, _) in enumerate(pairs):
        if name.lower() == FILE_FIELD:
            return pairs[:index], pairs[index + 1 :]
    return pairs, []


@functools.cache
def _texts() -> dict[str, dict[str, dict[str, str]]]:
    # Imported here: a diagnosed failure imports this module, and only lint() reads the texts.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - depends on the interpreter
        import tomli as tomllib

    with TEXTS_FILE.open("rb") as handle:
        table: dict[str, dict[str, dict[str, str]]] = tomllib.load(handle)
    return table


def check_texts() -> list[str]:
    """Problems in the texts file (for the tests): missing checks, locales or fields."""
    problems = []
    table = _texts()
    for check in CHECKS:
        for locale in SUPPORTED_LOCALES:
            entry = table.get(check, {}).get(locale, {})
            if set(entry) != {"message", "fix"}:
                problems.append(f"{check} [{locale}]: needs exactly message and fix")
    problems.extend(f"{check}: not a check" for check in set(table) - set(CHECKS))
    return problems
