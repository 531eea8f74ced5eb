"""The structured event: one per failed SDK call, complete, free of secrets, in the app's logs."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
from pathlib import Path

import pytest
import structlog
from qcloud_cos.cos_exception import CosServiceError
from structlog.testing import capture_logs

import cos_doctor
from cos_doctor._log.event import EVENT, SCHEMA_VERSION
from tests.conftest import (
    BUCKET,
    REGION,
    SECRET_ID,
    SECRET_KEY,
    TOKEN,
    make_client,
    sdk_retry_sleeps,
)
from tests.replies import Reply, ReplyServer, error_xml

README = Path(__file__).resolve().parents[1] / "README.md"
COS_REQUEST_ID = "NjU1ZjA0YjNfMzFhOGMzMGJfYjc0Nl8xMjM0"
INVALID_KEY = Reply(
    403,
    error_xml(
        "InvalidAccessKeyId", "The Access Key Id you provided does not exist in our records."
    ),
)


def _fail_once(
    replies: ReplyServer, reply: Reply = INVALID_KEY, key: str = "docs/report.pdf"
) -> CosServiceError:
    client = make_client(replies.port)
    replies.reply = reply
    with pytest.raises(CosServiceError) as caught:
        client.get_object(Bucket=BUCKET, Key=key)
    return caught.value


class JsonFormatter(logging.Formatter):
    """What python-json-logger and its kind do: the message plus every extra field, as JSON."""

    _standard = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message"}

    def format(self, record: logging.LogRecord) -> str:
        extras = {
            name: value for name, value in record.__dict__.items() if name not in self._standard
        }
        return json.dumps(
            {
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
                **extras,
            }
        )


@pytest.fixture
def app_logging() -> logging.Handler:
    """A plain-logging application: a JSON handler on the root logger, structlog untouched."""
    structlog.reset_defaults()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    handler.stream = stream
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


def _json_lines(handler: logging.StreamHandler) -> list[dict]:
    lines = [json.loads(line) for line in handler.stream.getvalue().splitlines()]
    return [line for line in lines if line["logger"] == "cos_doctor"]


def test_one_warning_event_per_failed_call_with_the_schema_fields(replies: ReplyServer) -> None:
    """Through structlog, a failed get_object logs exactly one WARNING with namespaced fields."""
    cos_doctor.install()
    with capture_logs() as events:
        _fail_once(replies)
    assert len(events) == 1
    event = events[0]
    assert event["log_level"] == "warning"
    assert event["event"] == EVENT
    assert event["cos_doctor.schema_version"] == SCHEMA_VERSION
    assert event["cos_doctor.rule_id"] == "invalid-access-key-id"
    assert event["cloud.provider"] == "tencent_cloud"
    assert event["cloud.region"] == REGION
    assert event["http.request.method"] == "GET"
    assert event["http.response.status_code"] == 403
    assert event["error.type"] == "InvalidAccessKeyId"
    assert event["cos.operation"] == "get_object"
    assert event["cos.bucket"] == BUCKET
    assert event["cos.key"] == "docs/report.pdf"
    assert event["cos.request_id"] == COS_REQUEST_ID
    assert event["cos.trace_id"] == "OGVmYzZiMmQzYjA2OWNh"
    assert event["cos_doctor.evidence"]["credential_kind"] == "permanent"


def test_the_readme_schema_table_matches_the_event(replies: ReplyServer) -> None:
    """The README documents exactly the fields the event carries, under the current version."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Event schema", 1)[1].split("\n## ", 1)[0]
    assert f"version {SCHEMA_VERSION}" in section.splitlines()[0]
    documented = set(re.findall(r"^\| `([a-z_.]+)` \|", section, flags=re.MULTILINE))
    cos_doctor.install()
    with capture_logs() as events:
        _fail_once(replies)
    assert documented == set(events[0]) - {"log_level"}  # capture_logs' own key


def test_the_apps_bound_request_and_trace_ids_survive(replies: ReplyServer) -> None:
    """A request_id / trace_id bound through structlog's contextvars is not overwritten by COS's."""
    cos_doctor.install()
    structlog.contextvars.bind_contextvars(request_id="web-7f3a", trace_id="4bf92f3577b34da6")
    try:
        with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as events:
            _fail_once(replies)
    finally:
        structlog.contextvars.clear_contextvars()
    assert events[0]["request_id"] == "web-7f3a"
    assert events[0]["trace_id"] == "4bf92f3577b34da6"
    assert events[0]["cos.request_id"] == COS_REQUEST_ID


@pytest.mark.parametrize("cache", [False, True])
def test_a_structlog_configuration_made_after_events_governs_the_next_one(
    replies: ReplyServer, *, cache: bool
) -> None:
    """structlog.configure() after events went out (caching loggers or not) sends the next event to the new pipeline."""
    cos_doctor.install(storm_window=0)
    first: list[dict[str, object]] = []
    second: list[dict[str, object]] = []

    def keep(into: list[dict[str, object]]) -> structlog.typing.Processor:
        def processor(_logger: object, _method: str, event: structlog.typing.EventDict) -> str:
            into.append(dict(event))
            return ""

        return processor

    for into in (first, second):
        structlog.configure(
            processors=[keep(into)],
            logger_factory=structlog.ReturnLoggerFactory(),
            cache_logger_on_first_use=cache,
        )
        _fail_once(replies)
    assert [event["event"] for event in first] == [EVENT]
    assert [event["event"] for event in second] == [EVENT]


def test_without_structlog_configured_the_event_goes_to_stdlib_logging(
    replies: ReplyServer,
    app_logging: logging.StreamHandler,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An app that only uses logging gets the event through its own handler, as one JSON line."""
    cos_doctor.install()
    _fail_once(replies)
    [line] = _json_lines(app_logging)
    assert line["level"] == "WARNING"
    assert line["event"] == EVENT
    assert line["cos_doctor.rule_id"] == "invalid-access-key-id"
    assert line["cos.request_id"] == COS_REQUEST_ID
    assert line["http.response.status_code"] == 403
    assert line["cos_doctor.evidence"]["credential_kind"] == "permanent"
    assert line["message"].startswith("cos_request_failed: InvalidAccessKeyId (HTTP 403)")
    assert "[invalid-access-key-id]" in line["message"]
    assert f"bucket={BUCKET}" in line["message"]
    assert capsys.readouterr().out == ""  # nothing printed by cos_doctor itself


def test_stdlib_levels_and_filters_govern_the_event(
    replies: ReplyServer, app_logging: logging.StreamHandler
) -> None:
    """Raising the cos_doctor logger's level silences the event, as for any library's logger."""
    cos_doctor.install()
    logging.getLogger("cos_doctor").setLevel(logging.ERROR)
    try:
        _fail_once(replies)
    finally:
        logging.getLogger("cos_doctor").setLevel(logging.NOTSET)
    assert _json_lines(app_logging) == []


def test_the_event_level_is_the_users_to_set(replies: ReplyServer) -> None:
    """install(level=…) sets the level of the event; names and numbers both work."""
    cos_doctor.install(level="error")
    with capture_logs() as events:
        _fail_once(replies)
    assert [event["log_level"] for event in events] == ["error"]


@pytest.mark.parametrize("name", ["NoSuchKey", "no-such-key"])
def test_expected_failures_log_at_debug(replies: ReplyServer, name: str) -> None:
    """A code or rule marked expected logs at DEBUG, and the exception is still diagnosed."""
    cos_doctor.install(expected=[name])
    with capture_logs() as events:
        error = _fail_once(
            replies, Reply(404, error_xml("NoSuchKey", "The specified key does not exist."))
        )
    assert error.diagnosis.rule_id == "no-such-key"
    assert [event["log_level"] for event in events] == ["debug"]


def test_expected_failures_can_be_silenced(replies: ReplyServer) -> None:
    """With expected_level=None an expected failure logs nothing; others still do."""
    cos_doctor.install(expected="NoSuchKey", expected_level=None)
    with capture_logs() as events:
        _fail_once(replies, Reply(404, error_xml("NoSuchKey", "The specified key does not exist.")))
        _fail_once(replies)
    assert [event["cos_doctor.rule_id"] for event in events] == ["invalid-access-key-id"]


def test_install_again_without_arguments_keeps_the_settings(replies: ReplyServer) -> None:
    """A second install() (a library calling it for the app) never resets what was configured."""
    cos_doctor.install(level="error", expected=["NoSuchKey"], expected_level=None, locale="ko")
    assert cos_doctor.install() is False
    with capture_logs() as events:
        error = _fail_once(replies)
        _fail_once(replies, Reply(404, error_xml("NoSuchKey", "The specified key does not exist.")))
    assert [event["log_level"] for event in events] == ["error"]
    assert error.diagnosis.locale == "ko"


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"level": "LOUD"}, ValueError),
        ({"level": 1.5}, TypeError),
        ({"storm_window": -1}, ValueError),
        ({"expected": [404]}, TypeError),
    ],
)
def test_invalid_settings_are_refused_before_anything_changes(
    settings: dict, error: type[Exception]
) -> None:
    """A nonsensical setting raises at install() and leaves cos_doctor as it was."""
    with pytest.raises(error):
        cos_doctor.install(**settings)
    assert not cos_doctor.is_installed()


def test_server_errors_retried_by_the_sdk_log_once(replies: ReplyServer) -> None:
    """The SDK retries 5xx internally; cos_doctor still logs one event for the call."""
    client = make_client(replies.port, retry=2)
    cos_doctor.install()
    replies.reply = Reply(503, error_xml("SlowDown", "Please reduce your request rate."))
    with sdk_retry_sleeps() as slept, capture_logs() as events, pytest.raises(CosServiceError):
        client.put_object(Bucket=BUCKET, Key="a.txt", Body=b"x")
    assert len(replies.seen) == 3  # the SDK really retried
    assert slept == [1, 2]  # with its back-off, recorded rather than waited for
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
    assert [event["cos_doctor.rule_id"] for event in events] == ["unrecognized-403"]


def test_a_log_processor_that_writes_to_cos_never_triggers_a_second_diagnosis(
    replies: ReplyServer,
) -> None:
    """A processor shipping events to a bucket that rejects writes: one event, two requests, no loop."""
    client = make_client(replies.port)
    cos_doctor.install()
    raised: list[BaseException] = []

    def ship_to_cos(logger: object, method: str, event_dict: dict) -> dict:
        try:
            client.put_object(
                Bucket=BUCKET,
                Key="logs/event.json",
                Body=json.dumps(event_dict, default=str).encode(),
            )
        except CosServiceError as error:
            raised.append(error)
        return event_dict

    replies.reply = INVALID_KEY
    with capture_logs(processors=[ship_to_cos]) as events, pytest.raises(CosServiceError):
        client.get_object(Bucket=BUCKET, Key="a.txt")
    assert len(replies.seen) == 2  # the failing call and the processor's one write
    assert [event["event"] for event in events] == [EVENT]
    assert [type(error) for error in raised] == [CosServiceError]  # raised plainly, not diagnosed


def test_a_handler_on_another_thread_that_writes_to_cos_never_loops(replies: ReplyServer) -> None:
    """A QueueListener's handler shipping records to a bucket that rejects writes: its own failure logs nothing."""
    import logging.handlers
    import queue
    import time

    client = make_client(replies.port)
    cos_doctor.install(storm_window=0)
    records: queue.Queue[logging.LogRecord] = queue.Queue()
    shipped: list[str] = []

    class ShipToCos(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            shipped.append(getattr(record, "event", ""))
            with contextlib.suppress(CosServiceError):
                client.put_object(Bucket=BUCKET, Key="logs/record.txt", Body=b"x")

    logger = logging.getLogger("cos_doctor")
    queue_handler = logging.handlers.QueueHandler(records)
    listener = logging.handlers.QueueListener(records, ShipToCos())
    logger.addHandler(queue_handler)
    listener.start()
    try:
        replies.reply = INVALID_KEY
        with pytest.raises(CosServiceError):
            client.get_object(Bucket=BUCKET, Key="a.txt")
        deadline = time.monotonic() + 2
        while len(replies.seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # room for a loop to show itself
    finally:
        listener.stop()
        logger.removeHandler(queue_handler)
    assert shipped == [EVENT]
    assert len(replies.seen) == 2  # the failing call and the handler's one write


def test_no_secret_reaches_the_event_the_exception_or_the_sdk_debug_log(
    replies: ReplyServer,
    caplog: pytest.LogCaptureFixture,
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
    with (
        caplog.at_level(logging.DEBUG, logger="qcloud_cos"),
        capture_logs() as events,
        pytest.raises(CosServiceError) as caught,
    ):
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


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_failure_with_no_reply_names_its_class_and_what_failed(
    app_logging: logging.StreamHandler,
) -> None:
    """A refused connection logs error.type = the rule id (not _OTHER) and a headline with the rule's title, not 'HTTP ?'."""
    client = make_client(_closed_port())
    cos_doctor.install()
    with pytest.raises(cos_doctor.CosDiagnosedClientError) as caught:
        client.get_object(Bucket=BUCKET, Key="a.txt")
    [line] = _json_lines(app_logging)
    assert line["error.type"] == "client-connection-refused"
    assert line["http.response.status_code"] is None
    assert line["message"].startswith(
        f"cos_request_failed: {caught.value.diagnosis.title} [client-connection-refused] operation=get_object"
    )
    assert "refused" in caught.value.diagnosis.title
    assert "HTTP ?" not in line["message"]
    assert "_OTHER" not in line["message"]


def test_a_failing_sdk_log_filter_never_breaks_the_call(
    replies: ReplyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If scrubbing the SDK's record fails, the call still raises its diagnosed error and the unscrubbed record is dropped."""
    from cos_doctor._log import event

    def broken(*args: object) -> object:
        raise RuntimeError("scrubbing failed")

    monkeypatch.setattr(event, "_record_redactor", broken)
    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append  # type: ignore[method-assign]
    sdk_logger = logging.getLogger("qcloud_cos.cos_client")
    sdk_logger.addHandler(handler)
    try:
        # Kept at ERROR: a record lowered to a DEBUG nobody logs is dropped before any scrub.
        cos_doctor.install(storm_window=0, lower_sdk_records=False)
        replies.reply = Reply(403, error_xml("AccessDenied", "Access Denied."))
        with pytest.raises(CosServiceError) as caught:
            make_client(replies.port).get_object(Bucket=BUCKET, Key="a.txt")
    finally:
        sdk_logger.removeHandler(handler)
    assert caught.value.diagnosis.rule_id == "access-denied"
    assert not seen


def _redactors_asked(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """Spy on the SDK-log filter's redactor: (the record's level, whether the client's) per ask."""
    from cos_doctor._log import event
    from cos_doctor._redact import PATTERNS_ONLY

    asked: list[tuple[int, bool]] = []
    original = event._record_redactor

    def spy(record: logging.LogRecord, *args: object) -> object:
        redactor = original(record, *args)  # type: ignore[arg-type]
        asked.append((record.levelno, redactor is not PATTERNS_ONLY))
        return redactor

    monkeypatch.setattr(event, "_record_redactor", spy)
    return asked


def test_the_sdk_s_failure_record_is_not_scrubbed_when_no_handler_will_see_it(
    replies: ReplyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A logged failure's SDK record, lowered to a DEBUG its logger does not log, is dropped unscrubbed."""
    sdk_logger = logging.getLogger("qcloud_cos.cos_client")
    assert not sdk_logger.isEnabledFor(logging.DEBUG)
    asked = _redactors_asked(monkeypatch)
    cos_doctor.install(storm_window=0)
    replies.reply = Reply(403, error_xml("AccessDenied", "Access Denied."))
    with pytest.raises(CosServiceError) as caught:
        make_client(replies.port).get_object(Bucket=BUCKET, Key="a.txt")
    assert caught.value.diagnosis.rule_id == "access-denied"
    assert [level for level, _ in asked if level >= logging.WARNING] == []


def test_a_held_sdk_record_that_goes_on_is_scrubbed_at_its_own_level_with_its_client_s_secrets(
    replies: ReplyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With DEBUG on, the lowered record is scrubbed as the ERROR it was, with the client's redactor."""
    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append  # type: ignore[method-assign]
    sdk_logger = logging.getLogger("qcloud_cos.cos_client")
    level = sdk_logger.level
    sdk_logger.addHandler(handler)
    sdk_logger.setLevel(logging.DEBUG)
    asked = _redactors_asked(monkeypatch)
    try:
        cos_doctor.install(storm_window=0)
        replies.reply = Reply(403, error_xml("AccessDenied", "Access Denied."))
        with pytest.raises(CosServiceError):
            make_client(replies.port).get_object(Bucket=BUCKET, Key="a.txt")
    finally:
        sdk_logger.removeHandler(handler)
        sdk_logger.setLevel(level)
    assert (logging.ERROR, True) in asked
    lowered = [record for record in seen if getattr(record, "cos_doctor_diagnosed", False)]
    assert [record.levelno for record in lowered] == [logging.DEBUG]
