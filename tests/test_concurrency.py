"""Concurrency and arbitrary replies: every thread its own diagnosis, every call its own error."""

from __future__ import annotations

import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qcloud_cos.cos_exception import CosClientError, CosServiceError
from structlog.testing import capture_logs

import cos_doctor
from cos_doctor._log.event import INTERNAL_FAILURE_EVENT
from tests.conftest import BUCKET, make_client
from tests.replies import Reply, ReplyServer, error_xml

# Key -> (status, Code, Message, the rule it must get); one per thread.
ROUTES = {
    f"thread-{number:02d}.txt": route
    for number, route in enumerate(
        [
            (403, "AccessDenied", "Access Denied.", "access-denied"),
            (404, "NoSuchKey", "The specified key does not exist.", "no-such-key"),
            (
                403,
                "InvalidAccessKeyId",
                "The Access Key Id you provided does not exist in our records.",
                "invalid-access-key-id",
            ),
            (503, "SlowDown", "Please reduce your request rate.", "slow-down"),
            (
                500,
                "InternalError",
                "We encountered an internal error. Please try again.",
                "internal-error",
            ),
            (404, "NoSuchBucket", "The specified bucket does not exist.", "no-such-bucket"),
            (403, "AccessDenied", "You are denied by bucket referer rule", "referer-denied"),
            (418, "Teapot", "I am a teapot.", "unrecognized-4xx"),
        ]
        * 2
    )
}


class RoutingCos:
    """A loopback COS answering each key with its own error."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # see tests/replies.py
            routes: ClassVar = ROUTES

            def do_GET(self) -> None:
                status, code, message, _ = self.routes[self.path.lstrip("/").split("?")[0]]
                body = error_xml(
                    code, message, resource=f"{BUCKET}.cos.ap-guangzhou.myqcloud.com{self.path}"
                ).encode()
                self.send_response_only(status)
                for name, value in (
                    ("Server", "tencent-cos"),
                    ("Content-Type", "application/xml"),
                    ("Content-Length", str(len(body))),
                ):
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        # shutdown() waits up to one poll interval (0.5 s by default) for serve_forever to notice.
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def routing_cos() -> RoutingCos:
    server = RoutingCos()
    yield server
    server.close()


def _run_threads(target: object, count: int) -> list[BaseException]:
    """Run ``target(index)`` in ``count`` threads started together; return what they raised."""
    start = threading.Barrier(count)
    problems: list[BaseException] = []

    def run(index: int) -> None:
        start.wait()
        try:
            target(index)  # type: ignore[operator]
        except BaseException as problem:
            problems.append(problem)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return problems


def test_sixteen_threads_sharing_one_client_each_get_their_own_diagnosis(
    routing_cos: RoutingCos,
) -> None:
    """16 threads, one client, 16 different failures: every error names its own key and rule."""
    client = make_client(routing_cos.port)
    cos_doctor.install()
    keys = sorted(ROUTES)

    def fail_repeatedly(index: int) -> None:
        key = keys[index]
        for _ in range(15):
            with pytest.raises(cos_doctor.CosDiagnosedError) as caught:
                client.get_object(Bucket=BUCKET, Key=key)
            diagnosis = caught.value.diagnosis
            assert (diagnosis.key, diagnosis.rule_id) == (key, ROUTES[key][3])
            assert caught.value.get_status_code() == ROUTES[key][0]

    with capture_logs():
        assert _run_threads(fail_repeatedly, 16) == []


def test_install_and_uninstall_racing_live_calls_lose_nothing(routing_cos: RoutingCos) -> None:
    """While one thread toggles cos_doctor, every call still raises its own SDK error, intact."""
    client = make_client(routing_cos.port)
    keys = sorted(ROUTES)
    stop = threading.Event()
    outcomes: list[tuple[str, str]] = []

    def call(index: int) -> None:
        if index == 0:
            for _ in range(150):
                cos_doctor.install()
                cos_doctor.uninstall()
            stop.set()
            return
        key = keys[index]
        while not stop.is_set():
            with pytest.raises(CosServiceError) as caught:
                client.get_object(Bucket=BUCKET, Key=key)
            error = caught.value
            assert error.get_status_code() == ROUTES[key][0]
            assert error.get_error_code() == ROUTES[key][1]
            diagnosis = getattr(error, "diagnosis", None)
            if diagnosis is not None:
                assert (diagnosis.key, diagnosis.rule_id) == (key, ROUTES[key][3])
            outcomes.append((key, type(error).__name__))

    with capture_logs() as events:
        assert _run_threads(call, 9) == []
    assert outcomes
    assert {name for _, name in outcomes} <= {"CosServiceError", "CosDiagnosedError"}
    assert INTERNAL_FAILURE_EVENT not in [event["event"] for event in events]
    cos_doctor.install()
    with pytest.raises(cos_doctor.CosDiagnosedError):
        client.get_object(Bucket=BUCKET, Key=keys[0])


_VISIBLE = st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f")
_TEXT = st.text(max_size=400)
BODIES = st.one_of(
    st.binary(max_size=600),
    _TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")),
    _TEXT.map(lambda text: text.encode("utf-16", "surrogatepass")),  # with a BOM
    _TEXT.map(
        lambda text: (
            b"\xef\xbb\xbf"
            + error_xml("AccessDenied", text.replace("<", "")).encode("utf-8", "surrogatepass")
        )
    ),
    st.integers(0, 400).map(
        lambda cut: error_xml(
            "SignatureDoesNotMatch", "The Signature you specified is invalid."
        ).encode()[:cut]
    ),
    st.sampled_from(
        [
            b"<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>",
            b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY a "AccessDenied">]><Error><Code>&a;</Code><Message>&a;</Message></Error>',
            b"<Error><Code>AccessDenied</Code><Message>Access Denied.</Message><Resource>&unknown;</Resource></Error>",
            b'{"Code": "AccessDenied", "Message": "Access Denied.", "RequestId": "abc"}',
            b"[]",
            b"\x00\x01\x02<Error>",
        ]
    ),
    st.integers(1, 3000).map(lambda depth: b"<a>" * depth + b"</a>" * depth),
    st.integers(0, 600_000).map(lambda size: b"x" * size),
)
HEADERS = st.dictionaries(
    st.sampled_from(
        ["Date", "x-cos-request-id", "x-cos-trace-id", "Content-Type", "Server", "x-cos-error-code"]
    ),
    st.text(_VISIBLE, max_size=60).map(str.strip),
    max_size=4,
)


def _state(error: BaseException) -> dict[str, object]:
    """The SDK's own state of an exception: its dictionary without cos_doctor's additions."""
    return {
        name: value
        for name, value in vars(error).items()
        if name != "diagnosis" and not name.startswith("_cos_doctor")
    }


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(status=st.integers(400, 599), body=BODIES, headers=HEADERS, head=st.booleans())
def test_any_reply_through_the_hook_raises_the_sdks_error_intact_and_diagnosed(
    replies: ReplyServer,
    status: int,
    body: bytes,
    headers: dict[str, str],
    head: bool,
) -> None:
    """Arbitrary statuses, headers and bodies: the SDK's own error type, its fields, a diagnosis."""
    client = make_client(replies.port)
    replies.reply = Reply(status, body, {"Date": formatdate(0, usegmt=True), **headers})

    def call() -> BaseException:
        try:
            if head:
                client.head_object(Bucket=BUCKET, Key="a.txt")
            else:
                client.get_object(Bucket=BUCKET, Key="a.txt")
        except Exception as error:
            return error
        raise AssertionError("no error")

    cos_doctor.uninstall()
    plain = call()
    cos_doctor.install(storm_window=0)
    with capture_logs() as events:
        diagnosed = call()
    assert type(plain) in (CosServiceError, CosClientError)
    assert isinstance(diagnosed, type(plain))
    assert type(diagnosed).__module__ == "cos_doctor", events  # diagnosed, never crashed
    assert diagnosed.args == plain.args
    assert _state(diagnosed) == _state(plain)
    assert diagnosed.diagnosis.rule_id
    assert INTERNAL_FAILURE_EVENT not in [event["event"] for event in events]
