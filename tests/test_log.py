"""The structured event: one per failed SDK call, complete, and free of secrets."""

from __future__ import annotations

import logging

import pytest
from qcloud_cos.cos_exception import CosServiceError
from structlog.testing import capture_logs

import cos_doctor
from tests.conftest import BUCKET, REGION, SECRET_ID, SECRET_KEY, TOKEN, make_client
from tests.replies import Reply, ReplyServer, error_xml

REQUIRED_KEYS = {
    "rule_id",
    "http_status",
    "error_code",
    "error_message",
    "request_id",
    "trace_id",
    "operation",
    "bucket",
    "key",
    "region",
}


def test_one_warning_event_per_failed_call_with_the_required_keys(replies: ReplyServer) -> None:
    """A failed get_object logs exactly one WARNING carrying what on-call needs."""
    client = make_client(replies.port)
    cos_doctor.install()
    replies.reply = Reply(403, error_xml("InvalidAccessKeyId", "The Access Key Id you provided does not exist in our records."))
    with capture_logs() as events, pytest.raises(CosServiceError):
        client.get_object(Bucket=BUCKET, Key="docs/report.pdf")
    assert len(events) == 1
    event = events[0]
    assert event["log_level"] == "warning"
    assert event["event"] == "cos_request_failed"
    assert set(event) >= REQUIRED_KEYS
    assert event["rule_id"] == "invalid-access-key-id"
    assert event["http_status"] == 403
    assert event["error_code"] == "InvalidAccessKeyId"
    assert event["operation"] == "get_object"
    assert event["bucket"] == BUCKET
    assert event["key"] == "docs/report.pdf"
    assert event["region"] == REGION
    assert event["request_id"] == "NjU1ZjA0YjNfMzFhOGMzMGJfYjc0Nl8xMjM0"
    assert event["trace_id"] == "OGVmYzZiMmQzYjA2OWNh"
    assert event["evidence"]["credential_kind"] == "permanent"


def test_server_errors_retried_by_the_sdk_log_once(replies: ReplyServer) -> None:
    """The SDK retries 5xx internally; cos_doctor still logs one event for the call."""
    client = make_client(replies.port, retry=2)
    cos_doctor.install()
    replies.reply = Reply(503, error_xml("SlowDown", "Please reduce your request rate."))
    with capture_logs() as events, pytest.raises(CosServiceError):
        client.put_object(Bucket=BUCKET, Key="a.txt", Body=b"x")
    assert len(replies.seen) == 3  # the SDK really retried
    assert len(events) == 1


@pytest.mark.parametrize("helper", ["object_exists", "bucket_exists"])
def test_expected_misses_inside_sdk_helpers_are_silent(replies: ReplyServer, helper: str) -> None:
    """object_exists/bucket_exists answering False on 404 is not a failure worth a warning."""
    client = make_client(replies.port)
    cos_doctor.install()
    replies.reply = Reply(404)
    with capture_logs() as events:
        if helper == "object_exists":
            assert client.object_exists(Bucket=BUCKET, Key="missing.txt") is False
        else:
            assert client.bucket_exists(Bucket=BUCKET) is False
    assert events == []


def test_helpers_still_diagnose_errors_they_do_not_swallow(replies: ReplyServer) -> None:
    """object_exists re-raises a 403; that one is diagnosed and logged."""
    client = make_client(replies.port)
    cos_doctor.install()
    replies.reply = Reply(403)
    with capture_logs() as events, pytest.raises(cos_doctor.CosDiagnosedError):
        client.object_exists(Bucket=BUCKET, Key="secret.txt")
    assert [event["rule_id"] for event in events] == ["unrecognized-403"]


def test_no_secret_reaches_the_event_the_exception_or_the_sdk_debug_log(
    replies: ReplyServer, caplog: pytest.LogCaptureFixture,
) -> None:
    """SecretKey, token, signature, sign key and the full SecretId appear nowhere we write."""
    client = make_client(replies.port, token=TOKEN)
    cos_doctor.install()
    body = error_xml(
        "SignatureDoesNotMatch",
        "The Signature you specified is invalid.",
        extra=f"\t<StringToSign>sha1\n1;2\nabc\n</StringToSign>\n\t<FormatString>get\n/a.txt\n\nx-cos-security-token={TOKEN}\n</FormatString>\n",
    )
    replies.reply = Reply(403, body)
    with caplog.at_level(logging.DEBUG, logger="qcloud_cos"), capture_logs() as events, pytest.raises(CosServiceError) as caught:
        client.get_object(Bucket=BUCKET, Key="a.txt")
    sent_authorization = replies.seen[-1].headers["Authorization"]
    signature = sent_authorization.rsplit("q-signature=", 1)[1]
    error = caught.value
    diagnosis = error.diagnosis
    outputs = [
        repr(events),
        str(error),
        "".join(getattr(error, "__notes__", [])),
        repr(diagnosis.to_dict()),
        diagnosis.render(),
        caplog.text,
    ]
    assert "q-signature" in caplog.text  # the SDK really logged its Authorization header
    for output in outputs:
        for secret in (SECRET_KEY, TOKEN, signature, SECRET_ID):
            assert secret not in output
    assert "AKID****000A" in repr(events)
