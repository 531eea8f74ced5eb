r"""Build, sign and lint browser POST Object form uploads before they fail.

The COS Python SDK has no POST Object call: a server builds a policy and signs it, a browser
uploads the form straight to COS, and COS answers the browser with one of seven errors the
server never sees. This module builds and signs such forms the documented way, and
:func:`lint` tells you beforehand which of those errors a form would get::

    from cos_doctor import post_object

    credentials = post_object.Credentials(secret_id, secret_key)
    policy = post_object.build_policy(
        bucket="examplebucket-1250000000",
        credentials=credentials,
        key_prefix="uploads/",
        content_length_range=(1, 10 * 1024 * 1024),
    )
    form = post_object.sign_form(policy, credentials, region="ap-guangzhou")
    form.url             # https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/
    form.as_dict()       # key, policy, q-sign-algorithm, q-ak, q-key-time, q-signature
    post_object.lint(policy, form, bucket="examplebucket-1250000000")   # () when clean

Protocol facts (POST Object, "Signature protection",
https://www.tencentcloud.com/document/product/436/14690; 中文
https://cloud.tencent.com/document/product/436/14690; 한국어
https://www.tencentcloud.com/ko/document/product/436/14690):

* ``SignKey = hex(HMAC-SHA1(SecretKey, KeyTime))``, ``StringToSign = hex(SHA1(policy))``,
  ``Signature = hex(HMAC-SHA1(SignKey, StringToSign))`` — the policy text itself is hashed,
  with no ``sha1\n…`` wrapper as in request signing.
* The form carries ``policy`` (Base64 of that text), ``q-sign-algorithm=sha1``, ``q-ak``,
  ``q-key-time``, ``q-signature`` and, with temporary keys, ``x-cos-security-token``; every
  field goes before ``file``, which must be the last field.
* The policy must name ``q-sign-algorithm``, ``q-ak`` and ``q-sign-time`` as exact
  conditions; every field a condition names, except ``bucket``, must be sent in the form;
  ``key`` is checked after ``${filename}`` is replaced by the uploaded file's name.

The errors are those of "POST Object Common Exceptions"
(https://www.tencentcloud.com/document/product/436/41164); the knowledge-base rules
``post-*`` diagnose them, and each lint finding names the rule its upload would get.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from cos_doctor import _signing
from cos_doctor._post.lint import Finding, lint
from cos_doctor._post.policy import (
    FILE_FIELD,
    Condition,
    Credentials,
    PostPolicy,
    SignedForm,
    epoch_seconds,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "DEFAULT_EXPIRES_IN",
    "FILE_FIELD",
    "Condition",
    "Credentials",
    "Finding",
    "PostPolicy",
    "SignedForm",
    "build_policy",
    "lint",
    "post_signature",
    "sign_form",
]

#: How long a policy lives by default: the troubleshooting guide advises "now + 30 minutes
#: (UTC)" for ``expiration`` (POST Object Common Exceptions, 436/41164).
DEFAULT_EXPIRES_IN = timedelta(minutes=30)
_TOKEN_FIELD = "x-cos-security-token"  # noqa: S105 - a field name, not a secret
# Fields sign_form fills from the policy's own exact conditions; the rest are its own.
_SIGNING_FIELDS = frozenset(
    {"bucket", "key", "q-sign-algorithm", "q-ak", "q-sign-time", "q-key-time", _TOKEN_FIELD}
)


def build_policy(  # noqa: PLR0913 - one keyword per documented condition
    *,
    bucket: str,
    credentials: Credentials,
    key: str | None = None,
    key_prefix: str | None = None,
    content_length_range: tuple[int, int] | None = None,
    content_type: str | None = None,
    success_action_status: int | str | None = None,
    success_action_redirect: str | None = None,
    conditions: Iterable[Condition] = (),
    expiration: datetime | None = None,
    key_time: str | None = None,
    now: datetime | float | None = None,
) -> PostPolicy:
    """Build a POST Object policy with the documented conditions.

    ``bucket`` is the full ``BucketName-APPID``. ``key`` requires that exact object key;
    ``key_prefix`` a prefix (use a prefix when the form's key contains ``${filename}``: COS
    checks the key after substitution). ``content_length_range`` is ``(min, max)`` bytes;
    ``content_type`` an exact ``Content-Type`` field; ``success_action_status`` (200, 201 or
    204) or ``success_action_redirect`` exact values. ``conditions`` adds any other
    :class:`Condition` (``x-cos-meta-*``, ``acl``, ``Content-Type`` prefixes…).

    The ``q-sign-algorithm``, ``q-ak`` and ``q-sign-time`` conditions are always added, and
    ``x-cos-security-token`` when ``credentials`` carries a token. ``expiration`` defaults to
    ``now`` + 30 minutes (UTC), as the guide advises; ``key_time`` (``"start;end"``) defaults
    to ``now`` until the expiration.
    """
    if key is not None and key_prefix is not None:
        raise ValueError("give key (an exact key) or key_prefix, not both")
    start = epoch_seconds(now)
    if expiration is None:
        ends = datetime.fromtimestamp(int(start), tz=timezone.utc) + DEFAULT_EXPIRES_IN
    else:
        ends = expiration if expiration.tzinfo else expiration.replace(tzinfo=timezone.utc)
    if key_time is None:
        key_time = f"{int(start)};{int(ends.timestamp())}"
    optional = (
        ("key", key, Condition.exact),
        ("key", key_prefix, Condition.starts_with),
        ("Content-Type", content_type, Condition.exact),
        ("success_action_status", success_action_status, Condition.exact),
        ("success_action_redirect", success_action_redirect, Condition.exact),
    )
    built = [Condition.exact("bucket", bucket)]
    built += [make(name, str(value)) for name, value, make in optional[:2] if value is not None]
    if content_length_range is not None:
        built.append(Condition.length_range(*content_length_range))
    built += [make(name, str(value)) for name, value, make in optional[2:] if value is not None]
    built.extend(conditions)
    built += [
        Condition.exact("q-sign-algorithm", _signing.ALGORITHM),
        Condition.exact("q-ak", credentials.secret_id),
        Condition.exact("q-sign-time", key_time),
    ]
    if credentials.token:
        built.append(Condition.exact(_TOKEN_FIELD, credentials.token))
    return PostPolicy(expiration=ends, conditions=tuple(built))


def post_signature(secret_key: str, key_time: str, policy_json: bytes) -> str:
    """Return the documented POST Object ``q-signature`` of ``policy_json``.

    ``policy_json`` is the policy text byte for byte as it is Base64-encoded into the form;
    ``key_time`` is the form's ``q-key-time``. The result is lowercase hex. Checked against
    the page's own example (KeyTime ``1567150692;1567157892`` → ``7758dc9a…``).
    """
    return _signing.post_policy_signature(secret_key, key_time, policy_json)


def sign_form(  # noqa: PLR0913 - each keyword is one optional form field or address part
    policy: PostPolicy,
    credentials: Credentials,
    *,
    region: str,
    key: str | None = None,
    bucket: str | None = None,
    fields: Mapping[str, str] | None = None,
    now: datetime | float | None = None,
) -> SignedForm:
    """Sign ``policy`` and return the form's fields, in the order COS needs, and its URL.

    ``key`` defaults to the policy's exact key, else its key prefix followed by
    ``${filename}`` (the browser's file name). Values the policy requires exactly (a
    ``Content-Type``, a ``success_action_status``…) are filled in; ``fields`` adds or
    overrides others (``x-cos-meta-*``, a value for a prefix condition). Then come the
    token (temporary keys), ``policy`` and the four signature fields; the browser appends
    the file last. The URL is ``https://<bucket>.cos.<region>.myqcloud.com/`` for the
    policy's bucket unless ``bucket`` is given.
    """
    key_time = policy.key_time
    if key_time is None:  # a hand-made policy without q-sign-time: sign until it expires
        key_time = f"{int(epoch_seconds(now))};{int(policy.expiration.timestamp())}"
    bucket = bucket or policy.exact_value("bucket")
    if not bucket:
        raise ValueError("the policy names no bucket: pass bucket=")
    ordered: dict[str, str] = {"key": key if key is not None else _default_key(policy)}
    for condition in policy.conditions:
        if condition.operator == "eq" and condition.name not in _SIGNING_FIELDS:
            ordered.setdefault(condition.field, str(condition.value))
    ordered.update(fields or {})
    if credentials.token:
        ordered[_TOKEN_FIELD] = credentials.token
    text = policy.to_json()
    ordered.update(
        {
            "policy": policy.to_base64(),
            "q-sign-algorithm": _signing.ALGORITHM,
            "q-ak": credentials.secret_id,
            "q-key-time": key_time,
            "q-signature": post_signature(credentials.secret_key, key_time, text),
        },
    )
    url = f"https://{bucket}.cos.{region}.myqcloud.com/"
    return SignedForm(url=url, fields=tuple(ordered.items()))


def _default_key(policy: PostPolicy) -> str:
    exact = policy.exact_value("key")
    if exact is not None:
        return exact
    for condition in policy.conditions:
        if condition.name == "key" and condition.operator == "starts-with":
            return f"{condition.value}${{filename}}"
    return "${filename}"
