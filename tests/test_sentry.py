"""Sentry: CosDoctorIntegration with the real sentry-sdk, events caught by an in-memory transport."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk
from qcloud_cos.cos_exception import CosServiceError
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.transport import Transport

import cos_doctor
from cos_doctor.sentry import CosDoctorIntegration
from tests.conftest import BUCKET, make_client
from tests.replies import Reply, ReplyServer, error_xml

DENIED = Reply(403, error_xml("AccessDenied", "Access Denied."))


class MemoryTransport(Transport):
    """Keeps each event the client sends, as sentry-python's own tests capture them."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []

    def capture_envelope(self, envelope: Any) -> None:
        self.events.extend(item.payload.json for item in envelope.items if item.type == "event")


def _start(*integrations: Any) -> MemoryTransport:
    transport = MemoryTransport()
    sentry_sdk.init(
        dsn="http://public@127.0.0.1:9/1",  # never dialled: the transport is in memory
        transport=transport,
        default_integrations=False,
        auto_enabling_integrations=False,
        integrations=[LoggingIntegration(), *integrations],
    )
    return transport


@pytest.fixture(autouse=True)
def _sentry_stopped() -> Iterator[None]:
    yield
    sentry_sdk.get_client().close()
    for kind in ("global", "isolation", "current"):  # sentry-sdk 2.0 has them on Scope only
        getter = getattr(sentry_sdk, f"get_{kind}_scope", None) or getattr(
            sentry_sdk.Scope, f"get_{kind}_scope"
        )
        getter().set_client(None)


def _fail_and_capture(client: Any, key: str = "reports/q3.csv") -> CosServiceError:
    try:
        client.get_object(Bucket=BUCKET, Key=key)
    except CosServiceError as error:
        sentry_sdk.capture_exception(error)
        return error
    raise AssertionError("the call did not fail")


def test_a_diagnosed_failure_is_one_event_with_tags_context_and_fingerprint(
    replies: ReplyServer,
) -> None:
    """One event per failure, tagged with rule, code, operation and bucket, with a cos_doctor context and a rule+operation fingerprint."""
    transport = _start(CosDoctorIntegration())
    cos_doctor.install()
    replies.reply = DENIED
    error = _fail_and_capture(make_client(replies.port))
    sentry_sdk.flush()
    [event] = transport.events
    assert {
        name: event["tags"][name]
        for name in ("cos.rule_id", "cos.error_code", "cos.operation", "cos.bucket")
    } == {
        "cos.rule_id": "access-denied",
        "cos.error_code": "AccessDenied",
        "cos.operation": "get_object",
        "cos.bucket": BUCKET,
    }
    context = event["contexts"]["cos_doctor"]
    diagnosis = error.diagnosis
    assert context["rule_id"] == "access-denied"
    assert context["steps"] == list(diagnosis.steps)
    assert set(context["evidence"]) == {item.key for item in diagnosis.evidence}
    assert [cause["id"] for cause in context["causes"]] == [cause.id for cause in diagnosis.causes]
    assert context["request_id"] == diagnosis.request_id
    assert event["fingerprint"] == ["cos_doctor", "access-denied", "get_object"]


def test_the_same_failure_groups_whatever_its_request(replies: ReplyServer) -> None:
    """Two AccessDenied failures on other keys with other request ids share one fingerprint."""
    transport = _start(CosDoctorIntegration())
    cos_doctor.install(storm_window=0)
    client = make_client(replies.port)
    for number in range(2):
        replies.reply = Reply(403, DENIED.body, {"x-cos-request-id": f"request-{number}"})
        _fail_and_capture(client, key=f"k{number}")
    sentry_sdk.flush()
    assert [event["fingerprint"] for event in transport.events] == [
        ["cos_doctor", "access-denied", "get_object"]
    ] * 2


@pytest.mark.parametrize("lower", [True, False])
def test_the_sdks_own_error_record_is_never_a_second_event(
    replies: ReplyServer, lower: bool
) -> None:
    """Lowered (the default) or kept at ERROR, the SDK's log record of a diagnosed failure adds no event to the exception's."""
    transport = _start(CosDoctorIntegration())
    cos_doctor.install(lower_sdk_records=lower)
    replies.reply = DENIED
    _fail_and_capture(make_client(replies.port))
    sentry_sdk.flush()
    assert [event.get("logger") for event in transport.events] == [
        None
    ]  # the exception's, none from a logger


def test_without_the_integration_the_kept_record_is_a_second_event(replies: ReplyServer) -> None:
    """The control: Sentry's logging integration alone turns the SDK's kept ERROR record into an event of its own."""
    transport = _start()
    cos_doctor.install(lower_sdk_records=False)
    replies.reply = DENIED
    _fail_and_capture(make_client(replies.port))
    sentry_sdk.flush()
    assert sorted(str(event.get("logger")) for event in transport.events) == [
        "None",
        "qcloud_cos.cos_client",
    ]
    assert all("cos.rule_id" not in event.get("tags", {}) for event in transport.events)


def test_an_app_error_raised_from_a_diagnosed_one_is_described_too(replies: ReplyServer) -> None:
    """An application's own exception raised from the diagnosed error carries its tags and fingerprint."""

    class ReportUnavailableError(Exception):
        pass

    transport = _start(CosDoctorIntegration())
    cos_doctor.install()
    replies.reply = DENIED
    try:
        try:
            make_client(replies.port).get_object(Bucket=BUCKET, Key="a.txt")
        except CosServiceError as error:
            raise ReportUnavailableError("report unavailable") from error
    except ReportUnavailableError as error:
        sentry_sdk.capture_exception(error)
    sentry_sdk.flush()
    [event] = transport.events
    assert event["tags"]["cos.rule_id"] == "access-denied"
    assert event["fingerprint"] == ["cos_doctor", "access-denied", "get_object"]


def test_other_events_are_left_alone() -> None:
    """An event with no diagnosis anywhere gets no cos tags, context or fingerprint."""
    transport = _start(CosDoctorIntegration())
    sentry_sdk.capture_exception(ValueError("unrelated"))
    sentry_sdk.flush()
    [event] = transport.events
    assert not any(name.startswith("cos.") for name in event.get("tags", {}))
    assert "cos_doctor" not in event.get("contexts", {})
    assert "fingerprint" not in event or event["fingerprint"] == ["{{ default }}"]
