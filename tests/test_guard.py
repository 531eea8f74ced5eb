"""When cos_doctor itself fails, the user's call behaves exactly as without it."""

from __future__ import annotations

import traceback

import pytest
from qcloud_cos.cos_exception import CosServiceError
from structlog.testing import capture_logs

import cos_doctor
from cos_doctor._pipeline.evidence import registry as _evidence
from tests.conftest import BUCKET, make_client
from tests.replies import Reply, ReplyServer, error_xml


def _boom(facts: object) -> list[object]:
    raise RuntimeError("detector exploded")


def test_a_failing_detector_leaves_the_original_exception_untouched(
    replies: ReplyServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The SDK's own CosServiceError propagates, with its own traceback, and the failure is logged."""
    monkeypatch.setattr(_evidence, "_DETECTORS", [*_evidence._DETECTORS, (None, _boom)])
    client = make_client(replies.port)
    cos_doctor.install()
    replies.reply = Reply(403, error_xml("AccessDenied", "Access Denied."))
    with capture_logs() as events, pytest.raises(CosServiceError) as caught:
        client.get_object(Bucket=BUCKET, Key="a.txt")
    assert type(caught.value) is CosServiceError
    assert not hasattr(caught.value, "diagnosis")
    assert traceback.extract_tb(caught.value.__traceback__)[-1].name == "send_request"
    assert [event["event"] for event in events] == ["cos_doctor_internal_error"]
    assert events[0]["cos_doctor.stage"] == "diagnose"
    assert "detector exploded" in events[0]["exception.message"]


def test_a_broken_log_setup_still_gives_the_diagnosis(
    replies: ReplyServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If emitting the event fails, the diagnosed exception is still raised."""
    from cos_doctor._hook import install as _hook

    def broken_log(diagnosis: object) -> None:
        raise OSError("log sink is gone")

    monkeypatch.setattr(_hook, "log_diagnosis", broken_log)
    client = make_client(replies.port)
    cos_doctor.install()
    replies.reply = Reply(403, error_xml("AccessDenied", "Access Denied."))
    with pytest.raises(cos_doctor.CosDiagnosedError):
        client.get_object(Bucket=BUCKET, Key="a.txt")


def test_success_returns_the_sdks_result_unchanged(replies: ReplyServer) -> None:
    """A successful call returns the same data with and without cos_doctor."""
    client = make_client(replies.port)
    replies.reply = Reply(
        200, b"hello", {"ETag": '"5d41402abc4b2a76b9719d911017c592"', "Content-Type": "text/plain"}
    )
    plain = client.get_object(Bucket=BUCKET, Key="a.txt")
    plain_body = plain["Body"].get_raw_stream().read()
    cos_doctor.install()
    with capture_logs() as events:
        hooked = client.get_object(Bucket=BUCKET, Key="a.txt")
        hooked_body = hooked["Body"].get_raw_stream().read()
    assert hooked_body == plain_body == b"hello"
    assert hooked["ETag"] == plain["ETag"]
    assert events == []
