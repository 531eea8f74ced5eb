"""select_object_content: an error message inside the event stream is diagnosed like any reply."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pytest
import wrapt
from qcloud_cos import select_event_stream
from qcloud_cos.cos_exception import CosServiceError
from structlog.testing import capture_logs

import cos_doctor
from cos_doctor._log.event import EVENT
from tests.conftest import BUCKET, make_client
from tests.replies import Reply, ReplyServer

REQUEST_ID = "NjU1ZjA0YjNfMzFhOGMzMGJfYjc0Nl8xMjM0"  # the loopback server's x-cos-request-id
ORIGINAL = vars(select_event_stream.EventStream)["next_event"]


def _message(headers: dict[str, str], payload: bytes = b"") -> bytes:
    """One event-stream message as COS frames it: prelude, its CRC, headers, payload, CRC."""
    encoded = b"".join(
        struct.pack(">B", len(name))
        + name.encode()
        + struct.pack(">BH", 7, len(value.encode()))
        + value.encode()
        for name, value in headers.items()
    )
    prelude = struct.pack(">II", 16 + len(encoded) + len(payload), len(encoded))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + encoded + payload
    return message + struct.pack(">I", zlib.crc32(message))


RECORDS = _message(
    {
        ":message-type": "event",
        ":event-type": "Records",
        ":content-type": "application/octet-stream",
    },
    b"1,alice\n",
)
END = _message({":message-type": "event", ":event-type": "End"})
ERROR = _message(
    {
        ":message-type": "error",
        ":error-code": "InvalidTextEncoding",
        ":error-message": "UTF-8 encoding is required.",
    }
)
SELECTED = {
    "Expression": "Select * from COSObject",
    "ExpressionType": "SQL",
    "InputSerialization": {"CSV": {"FileHeaderInfo": "NONE"}},
    "OutputSerialization": {"CSV": {}},
}


@pytest.fixture(autouse=True)
def _restore_next_event() -> Any:
    yield
    cos_doctor.uninstall()
    select_event_stream.EventStream.next_event = ORIGINAL


def _select(replies: ReplyServer, stream: bytes) -> Any:
    replies.reply = Reply(200, stream, {"Content-Type": "application/octet-stream"})
    return make_client(replies.port).select_object_content(
        Bucket=BUCKET, Key="people.csv", **SELECTED
    )["Payload"]


def _iterate(payload: Any) -> tuple[list[Any], CosServiceError]:
    events = []
    with pytest.raises(CosServiceError) as caught:
        events.extend(payload)
    return events, caught.value


def test_an_error_message_in_the_stream_is_diagnosed_once_with_the_sdks_getters(
    replies: ReplyServer,
) -> None:
    """Iterating the Payload raises a CosDiagnosedError after the records, one event, same getters."""
    plain_events, plain = _iterate(_select(replies, RECORDS + ERROR))
    cos_doctor.install()
    with capture_logs() as logged:
        events, diagnosed = _iterate(_select(replies, RECORDS + ERROR))
    assert events == plain_events == [{"Records": {"Payload": b"1,alice\n"}}]
    assert type(plain) is CosServiceError
    assert isinstance(diagnosed, cos_doctor.CosDiagnosedError)
    assert diagnosed.args == plain.args
    for getter in (
        "get_error_code",
        "get_error_msg",
        "get_status_code",
        "get_request_id",
        "get_trace_id",
        "get_resource_location",
    ):
        assert getattr(diagnosed, getter)() == getattr(plain, getter)(), getter
    diagnosis = diagnosed.diagnosis
    assert (diagnosis.error_code, diagnosis.error_message) == (
        "InvalidTextEncoding",
        "UTF-8 encoding is required.",
    )
    assert (diagnosis.operation, diagnosis.http_method, diagnosis.request_id) == (
        "select_object_content",
        "POST",
        REQUEST_ID,
    )
    assert diagnosis.rule_id == "error-in-ok-reply"
    assert "select_object_content" in diagnosis.render()  # the step for a failed query
    assert [event["event"] for event in logged] == [EVENT]


@pytest.mark.parametrize("reader", ["get_select_result", "get_select_result_to_file"])
def test_the_sdks_readers_of_the_stream_raise_the_diagnosed_error_once(
    replies: ReplyServer, reader: str, tmp_path: Any
) -> None:
    """get_select_result() and get_select_result_to_file() raise the diagnosed error, logged once."""
    cos_doctor.install()
    arguments = [str(tmp_path / "result.csv")] if reader.endswith("to_file") else []
    with capture_logs() as logged, pytest.raises(cos_doctor.CosDiagnosedError) as caught:
        getattr(_select(replies, RECORDS + ERROR), reader)(*arguments)
    assert caught.value.diagnosis.error_code == "InvalidTextEncoding"
    assert len(logged) == 1


def test_a_stream_without_error_is_read_unchanged(replies: ReplyServer) -> None:
    """Records and End come through as the SDK parses them, and nothing is logged."""
    cos_doctor.install()
    with capture_logs() as logged:
        result = _select(replies, RECORDS + RECORDS + END).get_select_result()
    assert result == b"1,alice\n1,alice\n"
    assert logged == []


@pytest.mark.parametrize("order", ["tracer-first", "cos-doctor-first"])
def test_a_tracer_on_next_event_and_cos_doctor_compose_in_either_order(
    replies: ReplyServer, order: str
) -> None:
    """Both wrapt layers run on next_event; uninstall() removes only cos_doctor's."""
    seen: list[Any] = []

    def tracer(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        seen.append(instance)
        return wrapped(*args, **kwargs)

    if order == "tracer-first":
        wrapt.wrap_function_wrapper(select_event_stream.EventStream, "next_event", tracer)
        cos_doctor.install()
    else:
        cos_doctor.install()
        wrapt.wrap_function_wrapper(select_event_stream.EventStream, "next_event", tracer)
    cos_doctor.install()  # a second install() adds no second layer
    payload = _select(replies, RECORDS + ERROR)
    with capture_logs() as logged:
        _, diagnosed = _iterate(payload)
    assert isinstance(diagnosed, cos_doctor.CosDiagnosedError)
    assert seen == [payload, payload]
    assert len(logged) == 1
    cos_doctor.uninstall()
    _, plain = _iterate(_select(replies, RECORDS + ERROR))
    assert type(plain) is CosServiceError
    assert len(seen) == 4  # the tracer stayed
