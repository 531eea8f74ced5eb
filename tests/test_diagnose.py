"""diagnose(): the pure pipeline, for SDK exceptions and for raw bodies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from qcloud_cos.cos_exception import CosServiceError

import cos_doctor
from cos_doctor._knowledge.catalogue import catalogue
from cos_doctor._pipeline.context import context_from_body
from tests.conftest import BUCKET, make_client
from tests.replies import Reply, ReplyServer, error_xml


def test_diagnose_works_without_install(replies: ReplyServer) -> None:
    """An SDK exception caught without install() is diagnosed from its traceback."""
    client = make_client(replies.port)
    replies.reply = Reply(
        403,
        error_xml(
            "InvalidObjectState", "The operation is not valid for the object's storage class"
        ),
    )
    with pytest.raises(CosServiceError) as caught:
        client.get_object(Bucket=BUCKET, Key="archive/2019.tar")
    diagnosis = cos_doctor.diagnose(caught.value)
    assert diagnosis.rule_id == "invalid-object-state"
    assert diagnosis.operation == "get_object"
    assert diagnosis.bucket == BUCKET
    assert diagnosis.key == "archive/2019.tar"
    assert any("archive/2019.tar" in step for step in diagnosis.steps)


def test_raw_xml_body_is_diagnosed() -> None:
    """A body pasted from a presigned-URL failure gets its specific rule."""
    body = error_xml("AccessDenied", "Request has expired")
    assert cos_doctor.diagnose(body, http_status=403).rule_id == "request-expired"
    assert cos_doctor.diagnose(body.encode()).rule_id == "request-expired"


def test_signature_mismatch_from_a_post_form_is_the_post_rule() -> None:
    """SignatureDoesNotMatch maps to post-signature-invalid only when known to be a POST form."""
    body = error_xml(
        "SignatureDoesNotMatch",
        "The Signature you specified is invalid.",
        resource="examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/",
    )
    assert cos_doctor.diagnose(body, http_status=403).rule_id == "signature-mismatch"
    assert (
        cos_doctor.diagnose(body, http_status=403, post_object=True).rule_id
        == "post-signature-invalid"
    )
    assert cos_doctor.diagnose(body, operation="PostObject").rule_id == "post-signature-invalid"
    posted = cos_doctor.diagnose(
        body,
        http_method="POST",
        url="http://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/",
    )
    assert posted.rule_id == "post-signature-invalid"


def test_post_expiration_values_become_evidence() -> None:
    """The expiration and server time in the message are parsed into typed evidence."""
    body = error_xml(
        "AccessDenied",
        "You post object request has been expired, expiration time: 1621188104 but the time now : 1621245817",
    )
    diagnosis = cos_doctor.diagnose(body, http_status=403, post_object=True)
    assert diagnosis.rule_id == "post-policy-expired"
    assert diagnosis.evidence_value("policy_expiration") == 1621188104
    assert diagnosis.evidence_value("post_server_time") == 1621245817
    assert diagnosis.evidence_value("policy_expired_seconds") == 57713
    texts = " ".join(item.text for item in diagnosis.evidence)
    assert "2021-05-16T18:01:44Z" in texts
    assert "16 h 1 min 53 s" in texts


def test_post_condition_values_become_evidence() -> None:
    """The failing condition's field and quoted value are evidence; a q-ak value is masked."""
    key = cos_doctor.diagnose(
        error_xml(
            "AccessDenied", "Condition key key doesn&apos;t match the value uploads/photo.jpg"
        ),
        http_status=403,
    )
    assert key.rule_id == "post-condition-mismatch"
    assert key.evidence_value("condition_field") == "key"
    assert key.evidence_value("condition_value") == "uploads/photo.jpg"
    qak = cos_doctor.diagnose(
        error_xml(
            "AccessDenied",
            "Condition key q-ak doesn't match the value AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q",
        ),
        http_status=403,
    )
    assert qak.rule_id == "post-qak-mismatch"
    assert qak.evidence_value("condition_value") == "AKID****9U5q"
    assert "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q" not in repr(qak.to_dict())


def test_unknown_access_denied_message_gets_the_honest_generic_rule() -> None:
    """AccessDenied with a message no rule knows is unrecognized-403, never a guess."""
    diagnosis = cos_doctor.diagnose(
        error_xml("AccessDenied", "Something entirely new"), http_status=403
    )
    assert diagnosis.rule_id == "unrecognized-403"
    assert diagnosis.generic
    assert any("NjU1ZjA0YjNfMzFhOGMzMGJfYjc0Nl8xMjM0" in step for step in diagnosis.steps)


@pytest.mark.parametrize(
    ("status", "rule_id"),
    [
        (403, "unrecognized-403"),
        (404, "unrecognized-404"),
        (409, "unrecognized-4xx"),
        (502, "unrecognized-5xx"),
        (None, "unrecognized-error"),
    ],
)
def test_generic_fallback_by_status_class(status: int | None, rule_id: str) -> None:
    """An unknown code falls back by status class."""
    body = error_xml("NeverSeenBefore", "A message from the future")
    assert cos_doctor.diagnose(body, http_status=status).rule_id == rule_id


def test_head_error_without_body_is_diagnosed_from_status(replies: ReplyServer) -> None:
    """A HEAD 403 carries no body; the diagnosis says so and how to see the real error."""
    client = make_client(replies.port)
    cos_doctor.install()
    replies.reply = Reply(403)
    with pytest.raises(cos_doctor.CosDiagnosedError) as caught:
        client.head_object(Bucket=BUCKET, Key="a.txt")
    diagnosis = caught.value.diagnosis
    assert diagnosis.rule_id == "unrecognized-403"
    assert diagnosis.http_method == "HEAD"
    assert diagnosis.request_id == "NjU1ZjA0YjNfMzFhOGMzMGJfYjc0Nl8xMjM0"
    assert diagnosis.evidence_value("error_body") == "absent-head"
    assert "Range: bytes=0-0" in " ".join(item.text for item in diagnosis.evidence)


def test_json_and_plain_text_bodies_are_read(replies: ReplyServer) -> None:
    """JSON error bodies (Fetch API style) and plain text still yield code and message."""
    as_json = cos_doctor.diagnose(
        '{"code": "AccessDenied", "message": "Access Denied.", "request_id": "abc"}',
        http_status=403,
    )
    assert as_json.rule_id == "access-denied"
    assert as_json.request_id == "abc"
    as_text = cos_doctor.diagnose("upstream connect error", http_status=502)
    assert as_text.rule_id == "unrecognized-5xx"
    assert as_text.error_message == "upstream connect error"


@pytest.mark.parametrize(
    ("explicit", "installed", "environment", "expected"),
    [
        ("ko", None, None, "ko"),
        (None, "ko", None, "ko"),
        (None, None, "ko_KR.UTF-8", "ko"),
        ("en", "ko", "ko", "en"),
        (None, None, "xx", "en"),
    ],
)
def test_locale_resolution(
    monkeypatch: pytest.MonkeyPatch,
    explicit: str | None,
    installed: str | None,
    environment: str | None,
    expected: str,
) -> None:
    """Argument beats install(locale=…), which beats $COS_DOCTOR_LOCALE; unknown values fall to en."""
    if environment is None:
        monkeypatch.delenv("COS_DOCTOR_LOCALE", raising=False)
    else:
        monkeypatch.setenv("COS_DOCTOR_LOCALE", environment)
    if installed:
        cos_doctor.install(locale=installed)
    diagnosis = cos_doctor.diagnose(
        error_xml("AccessDenied", "Access Denied."), http_status=403, locale=explicit
    )
    assert diagnosis.locale == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("zh", "zh"),
        ("zh_CN.UTF-8", "zh"),
        ("zh-Hans", "zh"),
        ("zh_SG", "zh"),
        ("zh_TW", "zh"),
        ("zh-Hant-HK", "zh"),
        ("ZH", "zh"),
        ("ko-KR", "ko"),
        ("en_GB.UTF-8@euro", "en"),
        ("ja_JP", "en"),
    ],
)
def test_locale_names_are_normalised(
    monkeypatch: pytest.MonkeyPatch, name: str, expected: str
) -> None:
    """Every Chinese locale name (Traditional ones too) gives zh; unknown languages fall to en."""
    monkeypatch.setenv("COS_DOCTOR_LOCALE", name)
    assert (
        cos_doctor.diagnose(error_xml("AccessDenied", "Access Denied."), http_status=403).locale
        == expected
    )


def test_chinese_diagnosis_is_written_in_chinese() -> None:
    """The zh locale gives Chinese prose, labels, evidence and durations."""
    body = error_xml(
        "AccessDenied",
        "You post object request has been expired, expiration time: 1621188104 but the time now : 1621245817",
    )
    diagnosis = cos_doctor.diagnose(body, http_status=403, post_object=True, locale="zh")
    assert any("\u4e00" <= char <= "\u9fff" for char in diagnosis.title + diagnosis.cause)
    assert "解决方法" in diagnosis.render()
    assert any("16小时1分53秒" in item.text for item in diagnosis.evidence)


def test_korean_diagnosis_is_written_in_korean() -> None:
    """The ko locale gives Korean prose and labels."""
    diagnosis = cos_doctor.diagnose(
        error_xml("AccessDenied", "Access Denied."), http_status=403, locale="ko"
    )
    assert any("\uac00" <= char <= "\ud7a3" for char in diagnosis.title + diagnosis.cause)
    assert "해결 방법" in diagnosis.render()


@given(st.one_of(st.text(), st.binary()), st.one_of(st.none(), st.integers(100, 599)))
def test_any_body_yields_a_diagnosis(body: str | bytes, status: int | None) -> None:
    """Whatever the body, diagnose() returns a diagnosis; only a blank paste with no status is refused."""
    blank = not (body.decode("utf-8", "replace") if isinstance(body, bytes) else body).strip()
    if blank and status is None:
        with pytest.raises(TypeError):
            cos_doctor.diagnose(body, http_status=status)
        return
    diagnosis = cos_doctor.diagnose(body, http_status=status)
    assert diagnosis.rule_id in {rule.id for rule in catalogue().rules}
    assert diagnosis.steps


@given(st.text())
def test_body_parser_never_raises_on_xml_like_noise(noise: str) -> None:
    """Broken XML with COS element names still parses without raising."""
    context = context_from_body(f"<Error><Code>{noise}</Code><Message>{noise}")
    assert context.body_format in {"xml", "json", "text", "none"}
