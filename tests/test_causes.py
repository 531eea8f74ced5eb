"""Ranked causes: real failures from the emulator, ranked by the evidence of each request."""

from __future__ import annotations

import pickle
from collections.abc import Iterator

import pytest
from qcloud_cos.cos_exception import CosServiceError

import cos_doctor
from cos_doctor import Cause
from cos_doctor._knowledge.catalogue import catalogue
from cos_doctor._locale import SUPPORTED_LOCALES
from cos_doctor._pipeline.context import RequestContext
from cos_doctor._pipeline.diagnose import diagnose_context
from cos_doctor.emulator import DEFAULT_OWNER_SECRET_ID, DEFAULT_SUB_SECRET_ID, Emulator
from cos_doctor.testing import capture_events

MULTI_CAUSE_RULES = [rule for rule in catalogue().rules if rule.causes]


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as running:
        yield running


def _caught(call: object, **kwargs: object) -> CosServiceError:
    with pytest.raises(CosServiceError) as caught:
        call(**kwargs)  # type: ignore[operator]
    return caught.value


def test_multi_cause_rules_are_the_documented_ones() -> None:
    """The codes with several documented causes carry ranked causes."""
    assert {rule.id for rule in MULTI_CAUSE_RULES} >= {
        "access-denied",
        "signature-mismatch",
        "no-such-bucket",
        "invalid-object-state",
        "object-state-conflict",
        "request-expired",
    }


def test_wrong_secret_key_is_the_likely_cause(emulator: Emulator) -> None:
    """A real wrong-SecretKey failure ranks wrong-secret-key first, decided by the verdict."""
    client = emulator.client(DEFAULT_OWNER_SECRET_ID, "not-the-right-secret-key")
    error = _caught(client.put_object, Bucket=emulator.bucket, Key="docs/a.txt", Body=b"x")
    diagnosis = cos_doctor.diagnose(error)
    assert diagnosis.rule_id == "signature-mismatch"
    first = diagnosis.causes[0]
    assert (first.id, first.confidence) == ("wrong-secret-key", "likely")
    assert "signature_verdict" in first.because
    assert [cause.confidence for cause in diagnosis.causes[1:]] == ["possible"] * (
        len(diagnosis.causes) - 1
    )
    # COS signed exactly what the client signed: nothing altered the request on the way
    shown = {cause.id for cause in diagnosis.causes}
    assert (
        not {"altered-in-transit", "key-encoding", "query-re-encoded", "hand-made-signature"}
        & shown
    )


def test_secret_key_with_a_line_break_is_flagged_and_never_shown(emulator: Emulator) -> None:
    """A SecretKey read with a trailing newline is evidence for wrong-secret-key, never printed."""
    key = emulator.state.keys[DEFAULT_OWNER_SECRET_ID].secret_key + "\n"
    client = emulator.client(DEFAULT_OWNER_SECRET_ID, key)
    error = _caught(client.put_object, Bucket=emulator.bucket, Key="docs/b.txt", Body=b"x")
    diagnosis = cos_doctor.diagnose(error)
    # Every supported SDK signs with the key as given (CosConfig refuses only leading or trailing
    # spaces), so COS sees a signature made with the wrong key.
    assert diagnosis.rule_id == "signature-mismatch"
    assert diagnosis.evidence_value("secret_key_problem") == "whitespace"
    assert diagnosis.causes[0].id == "wrong-secret-key"
    assert "secret_key_problem" in diagnosis.causes[0].because
    assert key.strip() not in repr(diagnosis.to_dict())


def test_anonymous_read_makes_the_unsigned_cause_likely(emulator: Emulator) -> None:
    """An anonymous read of a private object puts unsigned-request first."""
    emulator.client().put_object(Bucket=emulator.bucket, Key="docs/private.txt", Body=b"x")
    anonymous = emulator.client(anonymous=True)
    diagnosis = cos_doctor.diagnose(
        _caught(anonymous.get_object, Bucket=emulator.bucket, Key="docs/private.txt")
    )
    assert diagnosis.rule_id == "access-denied"
    assert diagnosis.causes[0].id == "unsigned-request"
    assert diagnosis.causes[0].likely


def test_sub_account_without_rights_has_no_likely_guess(emulator: Emulator) -> None:
    """A permanent key with no CAM grant: nothing points at one cause, the evidence rules some out."""
    sub = emulator.client(DEFAULT_SUB_SECRET_ID)
    diagnosis = cos_doctor.diagnose(
        _caught(sub.put_object, Bucket=emulator.bucket, Key="docs/c.txt", Body=b"x")
    )
    assert diagnosis.rule_id == "access-denied"
    assert all(cause.confidence == "possible" for cause in diagnosis.causes)
    # the documented order is kept when nothing decides
    rule = next(rule for rule in catalogue().rules if rule.id == "access-denied")
    documented = [cause.id for cause in rule.causes]
    shown = [cause.id for cause in diagnosis.causes]
    assert shown == [cause_id for cause_id in documented if cause_id in shown]  # documented order
    # signed with a permanent key for a data call: unsigned, temporary-key and
    # access-configuration causes are excluded by the evidence, not listed as possible
    assert not {
        "unsigned-request",
        "temporary-credential-policy",
        "access-configuration-call",
    } & set(shown)
    assert "no-allow-for-identity" in shown


def test_sub_account_changing_bucket_acl_points_at_the_configuration_grant(
    emulator: Emulator,
) -> None:
    """A sub-account writing the bucket ACL: the access-configuration cause is likely."""
    sub = emulator.client(DEFAULT_SUB_SECRET_ID)
    error = _caught(sub.put_bucket_acl, Bucket=emulator.bucket, ACL="private")
    diagnosis = cos_doctor.diagnose(error)
    assert diagnosis.rule_id == "access-denied"
    assert diagnosis.causes[0].id == "access-configuration-call"
    assert diagnosis.causes[0].because == ("owner_rights_needed",)
    texts = " ".join(item.text for item in diagnosis.evidence)
    assert "only the owner" not in texts.lower()


def test_copy_from_an_archived_source_names_the_source(emulator: Emulator) -> None:
    """Copying an archived object: the copy source is evidence, the restore call names it."""
    owner = emulator.client()
    owner.put_object(Bucket=emulator.bucket, Key="cold/2019.tar", Body=b"x", StorageClass="ARCHIVE")
    error = _caught(
        owner.copy_object,
        Bucket=emulator.bucket,
        Key="warm/2019.tar",
        CopySource={"Bucket": emulator.bucket, "Key": "cold/2019.tar", "Region": emulator.region},
    )
    diagnosis = cos_doctor.diagnose(error)
    assert diagnosis.rule_id == "invalid-object-state"
    assert diagnosis.evidence_value("copy_source") == f"{emulator.bucket}/cold/2019.tar"
    restore = diagnosis.evidence_value("restore_call")
    assert isinstance(restore, str)
    assert "Key='cold/2019.tar'" in restore
    assert "warm" not in restore
    assert (diagnosis.causes[0].id, diagnosis.causes[0].confidence) == (
        "copy-source-archived",
        "likely",
    )


def test_no_such_bucket_never_blames_a_missing_appid(emulator: Emulator) -> None:
    """NoSuchBucket never blames a missing -APPID: COS answers that name with InvalidRequest instead."""
    body = "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist.</Message></Error>"
    short = cos_doctor.diagnose(
        body, http_status=404, url="https://examplebucket.cos.ap-guangzhou.myqcloud.com/a.txt"
    )
    assert short.rule_id == "no-such-bucket"
    assert "bucket-name-lacks-appid" not in {cause.id for cause in short.causes}
    assert not any("-APPID suffix" in cause.text for cause in short.causes)
    full = cos_doctor.diagnose(
        body,
        http_status=404,
        url="https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/a.txt",
    )
    assert not any(cause.likely for cause in full.causes)
    assert "ap-guangzhou" in " ".join(cause.text for cause in full.causes)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("rule", MULTI_CAUSE_RULES, ids=lambda rule: rule.id)
def test_causes_are_worded_in_every_locale(rule: object, locale: str) -> None:
    """Every cause has text in every locale, filled with generic wording when nothing is known."""
    example = rule.examples[0]  # type: ignore[attr-defined]
    context = RequestContext(
        http_status=example.status,
        error_code=example.code,
        error_message=example.message,
        post_object=example.post_object,
        client_failure=example.client,  # a client rule's example: its kind of failure
    )
    diagnosis = diagnose_context(context, locale=locale)
    assert diagnosis.rule_id == rule.id  # type: ignore[attr-defined]
    assert len(diagnosis.causes) == len(rule.causes)  # type: ignore[attr-defined]
    for cause in diagnosis.causes:
        assert cause.text
        assert "{" not in cause.text


def test_causes_render_serialise_log_and_pickle(emulator: Emulator) -> None:
    """Causes appear in render(), to_dict() and the log event, and survive pickling."""
    client = emulator.client(DEFAULT_OWNER_SECRET_ID, "not-the-right-secret-key")
    error = _caught(client.put_object, Bucket=emulator.bucket, Key="docs/d.txt", Body=b"x")
    with capture_events() as events:
        diagnosis = cos_doctor.diagnose(error, log=True, locale="zh")
    rendered = diagnosis.render()
    assert "可能性高" in rendered
    assert diagnosis.causes[0].text in rendered
    data = diagnosis.to_dict()
    assert data["causes"][0] == {
        "id": "wrong-secret-key",
        "text": diagnosis.causes[0].text,
        "confidence": "likely",
        "because": list(diagnosis.causes[0].because),
    }
    assert events[0]["cos_doctor.causes"][0]["id"] == "wrong-secret-key"
    assert "text" not in events[0]["cos_doctor.causes"][0]
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(diagnosis, protocol)) == diagnosis
        assert pickle.loads(pickle.dumps(diagnosis.causes[0], protocol)) == diagnosis.causes[0]


def test_cause_is_frozen() -> None:
    """A Cause cannot be changed after it is built."""
    cause = Cause(id="x", text="y")
    with pytest.raises(AttributeError):
        cause.id = "z"  # type: ignore[misc]
    assert cause.confidence == "possible"
    assert not cause.likely
