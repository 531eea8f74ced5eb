"""POST Object forms with exactly one thing wrong, built by cos_doctor.post_object.

One catalogue serves the unit tests (lint names the check and the rule) and the integration
tests (the emulator, over real HTTP, refuses the upload with that very rule).
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from cos_doctor import post_object
from cos_doctor.post_object import Condition, Credentials, PostPolicy

BUCKET = "examplebucket-1250000000"
REGION = "ap-guangzhou"
DATA = b"\xff\xd8\xff a small jpeg"
FILENAME = "photo.jpg"


@dataclass(frozen=True)
class Upload:
    """What the server issued and what the browser sends with it."""

    policy: Any  # what lint is told was signed
    fields: tuple[tuple[str, str], ...]  # text fields before the file, in order
    after_file: tuple[tuple[str, str], ...] = ()
    data: bytes = DATA
    content_type: str | None = None  # a Content-Type header set by hand (None: correct one)
    lint_options: dict[str, Any] = field(default_factory=dict)

    def lint(self, bucket: str = BUCKET, **options: Any) -> tuple[post_object.Finding, ...]:
        pairs = [*self.fields, ("file", ""), *self.after_file]
        return post_object.lint(
            self.policy,
            pairs,
            bucket=bucket,
            filename=FILENAME,
            file_size=len(self.data),
            content_type=self.content_type,
            **{**self.lint_options, **options},
        )


@dataclass(frozen=True)
class Keys:
    """The credentials a case may use: the owner's, a sub-account's, a temporary key."""

    owner: Credentials
    sub: Credentials
    temporary: Credentials | None = None


def _clean(keys: Keys, **policy_options: Any) -> tuple[PostPolicy, post_object.SignedForm]:
    options = {"key_prefix": "uploads/", "content_length_range": (1, 1024), **policy_options}
    policy = post_object.build_policy(bucket=BUCKET, credentials=keys.owner, **options)
    return policy, post_object.sign_form(policy, keys.owner, region=REGION)


def clean(keys: Keys) -> Upload:
    policy, form = _clean(keys)
    return Upload(policy, form.fields)


def q_ak_of_another_key(keys: Keys) -> Upload:
    policy, _ = _clean(keys)
    form = post_object.sign_form(policy, keys.sub, region=REGION)
    return Upload(policy, form.fields)


def expired_policy(keys: Keys) -> Upload:
    now = int(time.time())
    policy, form = _clean(
        keys,
        expiration=datetime.fromtimestamp(now - 120, tz=timezone.utc),
        key_time=f"{now};{now + 1800}",
    )
    return Upload(policy, form.fields)


def reserialised_policy(keys: Keys) -> Upload:
    policy, form = _clean(keys)
    pretty = json.dumps(json.loads(policy.to_json()), indent=2).encode()
    return Upload(policy, _with(form.fields, policy=base64.b64encode(pretty).decode()))


def no_conditions(keys: Keys) -> Upload:
    expiration = datetime.now(timezone.utc) + timedelta(minutes=30)
    policy = PostPolicy(expiration=expiration, conditions=())
    form = post_object.sign_form(policy, keys.owner, region=REGION, bucket=BUCKET)
    return Upload(policy, form.fields)


def other_bucket(keys: Keys) -> Upload:
    policy = post_object.build_policy(
        bucket="staging-1250000000", credentials=keys.owner, key_prefix="uploads/"
    )
    form = post_object.sign_form(policy, keys.owner, region=REGION)
    return Upload(policy, form.fields)


def key_outside_prefix(keys: Keys) -> Upload:
    policy, _ = _clean(keys)
    form = post_object.sign_form(policy, keys.owner, region=REGION, key="avatars/${filename}")
    return Upload(policy, form.fields)


def header_without_boundary(keys: Keys) -> Upload:
    return replace(clean(keys), content_type="multipart/form-data")


def file_too_large(keys: Keys) -> Upload:
    return replace(clean(keys), data=b"x" * 2048)


def content_type_not_allowed(keys: Keys) -> Upload:
    policy, _ = _clean(keys, content_type="image/png")
    form = post_object.sign_form(
        policy, keys.owner, region=REGION, fields={"Content-Type": "text/plain"}
    )
    return Upload(policy, form.fields)


def conditioned_field_not_sent(keys: Keys) -> Upload:
    policy, form = _clean(keys, content_type="image/png")
    return Upload(policy, tuple(pair for pair in form.fields if pair[0] != "Content-Type"))


def signature_after_file(keys: Keys) -> Upload:
    upload = clean(keys)
    signature = [pair for pair in upload.fields if pair[0] == "q-signature"]
    rest = tuple(pair for pair in upload.fields if pair[0] != "q-signature")
    return replace(upload, fields=rest, after_file=tuple(signature))


def signed_with_wrong_secret(keys: Keys) -> Upload:
    policy, _ = _clean(keys)
    wrong = Credentials(keys.owner.secret_id, "a-key-from-another-account")
    form = post_object.sign_form(policy, wrong, region=REGION)
    return Upload(policy, form.fields, lint_options={"credentials": keys.owner})


def policy_not_base64(keys: Keys) -> Upload:
    upload = clean(keys)
    return replace(upload, fields=_with(upload.fields, policy="this is {not} base64!"))


def key_time_over(keys: Keys) -> Upload:
    now = int(time.time())
    policy, form = _clean(keys, key_time=f"{now - 7200};{now - 3600}")
    return Upload(policy, form.fields)


def token_left_out(keys: Keys) -> Upload:
    assert keys.temporary is not None
    policy = post_object.build_policy(
        bucket=BUCKET, credentials=keys.temporary, key_prefix="uploads/"
    )
    form = post_object.sign_form(policy, keys.temporary, region=REGION)
    fields = tuple(pair for pair in form.fields if pair[0] != "x-cos-security-token")
    return Upload(policy, fields, lint_options={"credentials": keys.temporary})


def token_left_out_of_a_temporary_form(keys: Keys) -> Upload:
    upload = token_left_out(keys)
    return replace(upload, lint_options={})  # the policy's token condition tells lint


def algorithm_not_sha1(keys: Keys) -> Upload:
    upload = clean(keys)
    return replace(upload, fields=_with(upload.fields, **{"q-sign-algorithm": "md5"}))


def prefix_match_on_bucket(keys: Keys) -> Upload:
    clean_policy, _ = _clean(keys)
    conditions = (Condition.starts_with("bucket", "example"), *clean_policy.conditions[1:])
    policy = PostPolicy(expiration=clean_policy.expiration, conditions=conditions)
    form = post_object.sign_form(policy, keys.owner, region=REGION, bucket=BUCKET)
    return Upload(policy, form.fields)


def empty_prefix_on_a_field_not_sent(keys: Keys) -> Upload:
    policy, form = _clean(keys, conditions=[Condition.starts_with("Content-Type", "")])
    return Upload(policy, form.fields)


def q_ak_left_out(keys: Keys) -> Upload:
    upload = clean(keys)
    return replace(upload, fields=tuple(pair for pair in upload.fields if pair[0] != "q-ak"))


def policy_left_out(keys: Keys) -> Upload:
    upload = clean(keys)
    return replace(upload, fields=tuple(pair for pair in upload.fields if pair[0] != "policy"))


def key_left_out(keys: Keys) -> Upload:
    upload = clean(keys)
    return replace(upload, fields=tuple(pair for pair in upload.fields if pair[0] != "key"))


def key_time_not_a_window(keys: Keys) -> Upload:
    policy, form = _clean(keys, key_time="tomorrow")
    return Upload(policy, form.fields)


def key_time_starting_in_an_hour(keys: Keys) -> Upload:
    now = int(time.time())
    policy, form = _clean(keys, key_time=f"{now + 3600};{now + 7200}")
    return Upload(policy, form.fields)


def _with(fields: tuple[tuple[str, str], ...], **values: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, values.get(name, value)) for name, value in fields)


@dataclass(frozen=True)
class Case:
    """One defect: how to build it, the lint check expected first, and the rule."""

    build: Callable[[Keys], Upload]
    check: str
    rule_id: str
    documented: bool = False  # one of the seven failures of POST Object Common Exceptions

    @property
    def name(self) -> str:
        return self.build.__name__


CASES = (
    Case(q_ak_of_another_key, "q-ak-mismatch", "post-qak-mismatch", documented=True),
    Case(expired_policy, "policy-expired", "post-policy-expired", documented=True),
    Case(reserialised_policy, "policy-bytes-differ", "post-signature-invalid", documented=True),
    Case(no_conditions, "policy-no-conditions", "post-policy-missing-condition", documented=True),
    Case(other_bucket, "bucket-mismatch", "post-bucket-mismatch", documented=True),
    Case(key_outside_prefix, "condition-not-met", "post-condition-mismatch", documented=True),
    Case(header_without_boundary, "body-not-multipart", "post-malformed-body", documented=True),
    Case(file_too_large, "size-out-of-range", "post-condition-mismatch"),
    Case(content_type_not_allowed, "condition-not-met", "post-condition-mismatch"),
    Case(conditioned_field_not_sent, "condition-field-missing", "post-condition-mismatch"),
    Case(signature_after_file, "field-after-file", "post-signature-invalid"),
    Case(signed_with_wrong_secret, "signature-wrong", "post-signature-invalid"),
    Case(policy_not_base64, "policy-not-base64", "post-policy-missing-condition"),
    Case(key_time_over, "key-time-ended", "request-expired"),
    Case(token_left_out, "token-missing", "invalid-access-key-id"),
    Case(token_left_out_of_a_temporary_form, "token-missing", "invalid-access-key-id"),
    Case(algorithm_not_sha1, "algorithm-not-sha1", "post-signature-invalid"),
    Case(prefix_match_on_bucket, "policy-bad-condition", "post-policy-missing-condition"),
    Case(empty_prefix_on_a_field_not_sent, "condition-field-missing", "post-condition-mismatch"),
    Case(q_ak_left_out, "q-ak-missing", "invalid-access-key-id"),
    Case(policy_left_out, "policy-missing", "access-denied"),
    Case(key_left_out, "key-missing", "invalid-argument"),
    Case(key_time_not_a_window, "key-time-malformed", "signature-empty"),
    Case(key_time_starting_in_an_hour, "key-time-in-future", "request-time-too-skewed"),
)
