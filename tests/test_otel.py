"""OpenTelemetry: the diagnosis on the application's current span, with the real opentelemetry-sdk
and OpenTelemetry's own requests instrumentation; nothing at all without OpenTelemetry."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from qcloud_cos.cos_exception import CosClientError, CosServiceError

import cos_doctor
from tests.conftest import BUCKET, make_client
from tests.replies import Reply, ReplyServer, error_xml
from tests.test_log import _closed_port

MISSING = Reply(404, error_xml("NoSuchKey", "The specified key does not exist."))
REQUEST_ID = "NjU1ZjA0YjNfMzFhOGMzMGJfYjc0Nl8xMjM0"


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.shutdown()


@pytest.fixture
def tracer(exporter: InMemorySpanExporter) -> trace.Tracer:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("app")


def _span(exporter: InMemorySpanExporter, name: str) -> ReadableSpan:
    [span] = [span for span in exporter.get_finished_spans() if span.name == name]
    return span


def test_the_diagnosis_is_an_event_on_the_current_span(
    replies: ReplyServer, tracer: trace.Tracer, exporter: InMemorySpanExporter
) -> None:
    """A failed call inside a recording span adds cos_doctor.diagnosis (rule, code, request id, evidence) and error.type."""
    client = make_client(replies.port)
    cos_doctor.install()
    replies.reply = MISSING
    with tracer.start_as_current_span("handle upload"), pytest.raises(CosServiceError) as caught:
        client.get_object(Bucket=BUCKET, Key="reports/q3.csv")
    span = _span(exporter, "handle upload")
    [event] = span.events
    assert event.name == "cos_doctor.diagnosis"
    attributes = dict(event.attributes)
    assert attributes["cos_doctor.rule_id"] == "no-such-key"
    assert attributes["cos.error_code"] == "NoSuchKey"
    assert attributes["cos.request_id"] == REQUEST_ID
    assert attributes["cos.operation"] == "get_object"
    assert attributes["cos.bucket"] == BUCKET
    assert attributes["http.response.status_code"] == 404
    evidence = {item.key for item in caught.value.diagnosis.evidence}
    assert evidence  # this rule has evidence to carry
    assert {
        name.removeprefix("cos_doctor.evidence.")
        for name in attributes
        if name.startswith("cos_doctor.evidence.")
    } == evidence
    assert span.attributes["error.type"] == "NoSuchKey"


def test_a_span_from_the_requests_instrumentation_stays_as_it_made_it(
    replies: ReplyServer, exporter: InMemorySpanExporter
) -> None:
    """With OpenTelemetry's requests instrumentation, the SDK's HTTP request is its own child span; the diagnosis goes on the app's span."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = RequestsInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        client = make_client(replies.port)
        cos_doctor.install()
        replies.reply = MISSING
        with (
            provider.get_tracer("app").start_as_current_span("handle upload"),
            pytest.raises(CosServiceError),
        ):
            client.get_object(Bucket=BUCKET, Key="reports/q3.csv")
    finally:
        instrumentor.uninstrument()
    parent = _span(exporter, "handle upload")
    [http] = [span for span in exporter.get_finished_spans() if span is not parent]
    assert http.parent is not None
    assert http.parent.span_id == parent.context.span_id
    assert 404 in (
        http.attributes.get("http.status_code"),
        http.attributes.get("http.response.status_code"),
    )  # its own reading (old or stable names)
    assert http.events == ()  # ended before the SDK raised: cos_doctor never writes to it
    assert [event.name for event in parent.events] == ["cos_doctor.diagnosis"]
    assert parent.events[0].attributes["cos.request_id"] == REQUEST_ID
    assert parent.attributes["error.type"] == "NoSuchKey"


def test_a_failure_with_no_reply_gives_the_span_its_rule_as_error_type(
    tracer: trace.Tracer, exporter: InMemorySpanExporter
) -> None:
    """A refused connection sets error.type to the rule id, and its evidence rides on the event."""
    client = make_client(_closed_port())
    cos_doctor.install()
    with tracer.start_as_current_span("handle"), pytest.raises(CosClientError):
        client.get_object(Bucket=BUCKET, Key="a.txt")
    span = _span(exporter, "handle")
    assert span.attributes["error.type"] == "client-connection-refused"
    attributes = span.events[0].attributes
    assert "cos.error_code" not in attributes
    assert attributes["cos_doctor.evidence.failed_host"] == "127.0.0.1"


def test_an_expected_failure_is_an_event_without_error_type(
    replies: ReplyServer, tracer: trace.Tracer, exporter: InMemorySpanExporter
) -> None:
    """A failure the app marked expected is recorded on the span but does not mark the span with error.type."""
    client = make_client(replies.port)
    cos_doctor.install(expected=["NoSuchKey"], expected_level=None)
    replies.reply = MISSING
    with tracer.start_as_current_span("probe"), pytest.raises(CosServiceError):
        client.get_object(Bucket=BUCKET, Key="maybe.txt")
    span = _span(exporter, "probe")
    assert [event.name for event in span.events] == ["cos_doctor.diagnosis"]
    assert "error.type" not in span.attributes


def test_success_and_spans_that_do_not_record_are_left_alone(
    replies: ReplyServer, tracer: trace.Tracer, exporter: InMemorySpanExporter
) -> None:
    """A successful call adds nothing to the span; a failure outside any recording span is diagnosed as ever."""
    client = make_client(replies.port)
    cos_doctor.install()
    replies.reply = Reply(200, b"data")
    with tracer.start_as_current_span("read"):
        client.get_object(Bucket=BUCKET, Key="a.txt")
    assert _span(exporter, "read").events == ()
    assert not trace.get_current_span().is_recording()
    replies.reply = MISSING
    with pytest.raises(CosServiceError) as caught:
        client.get_object(Bucket=BUCKET, Key="a.txt")
    assert caught.value.diagnosis.rule_id == "no-such-key"


def test_without_opentelemetry_nothing_is_imported() -> None:
    """An application that never imported OpenTelemetry gets no opentelemetry module from a failure."""
    script = f"""
import json, sys
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosServiceError
import cos_doctor
from tests.replies import Reply, ReplyServer, error_xml
server = ReplyServer().__enter__()
server.reply = Reply(404, error_xml("NoSuchKey", "The specified key does not exist."))
client = CosS3Client(CosConfig(Region="ap-guangzhou", SecretId="AKIDexample", SecretKey="key",
                               Scheme="http", IP="127.0.0.1", Port=server.port), retry=0)
cos_doctor.install()
try:
    client.get_object(Bucket={BUCKET!r}, Key="a.txt")
except CosServiceError as error:
    print(json.dumps([error.diagnosis.rule_id, sorted(m for m in sys.modules if m.startswith("opentelemetry"))]))
"""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=root,
    )
    assert json.loads(done.stdout) == ["no-such-key", []]


def test_every_failure_is_on_the_span_even_when_the_log_collapses_them(
    replies: ReplyServer, tracer: trace.Tracer, exporter: InMemorySpanExporter
) -> None:
    """Three identical failures inside one storm window: one log event, three span events."""
    from structlog.testing import capture_logs

    client = make_client(replies.port)
    cos_doctor.install(storm_window=60)
    replies.reply = MISSING
    with capture_logs() as events, tracer.start_as_current_span("retry loop"):
        for _ in range(3):
            with pytest.raises(CosServiceError):
                client.get_object(Bucket=BUCKET, Key="a.txt")
    assert [event["event"] for event in events] == ["cos_request_failed"]
    assert [event.name for event in _span(exporter, "retry loop").events] == [
        "cos_doctor.diagnosis"
    ] * 3
