"""The patch is a wrapt FunctionWrapper: it composes with other instrumentation and keeps shape."""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap
from typing import Any

import pytest
import wrapt
from qcloud_cos import cos_client
from structlog.testing import capture_logs

import cos_doctor
from cos_doctor._hook import install as _hook
from tests.conftest import BUCKET, make_client
from tests.replies import Reply, ReplyServer, error_xml

ORIGINAL = cos_client.CosS3Client.__dict__["send_request"]
DENIED = Reply(403, error_xml("AccessDenied", "Access Denied."))


@pytest.fixture(autouse=True)
def _restore_send_request() -> Any:
    yield
    cos_doctor.uninstall()
    cos_client.CosS3Client.send_request = ORIGINAL


def _tracer(seen: list[Any]) -> Any:
    def tracer(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        seen.append(instance)
        return wrapped(*args, **kwargs)

    return tracer


def _failures(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [event for event in events if event["event"] == "cos_request_failed"]


@pytest.mark.parametrize("order", ["tracer-first", "cos-doctor-first"])
def test_another_wrapt_layer_and_cos_doctor_both_work_in_either_order(
    replies: ReplyServer, order: str
) -> None:
    """Both layers run, the tracer sees the bound client, and the failure is diagnosed once."""
    seen: list[Any] = []
    if order == "tracer-first":
        wrapt.wrap_function_wrapper(cos_client.CosS3Client, "send_request", _tracer(seen))
        cos_doctor.install()
    else:
        cos_doctor.install()
        wrapt.wrap_function_wrapper(cos_client.CosS3Client, "send_request", _tracer(seen))
    client = make_client(replies.port)
    replies.reply = DENIED
    with capture_logs() as events, pytest.raises(cos_doctor.CosDiagnosedError) as caught:
        client.get_object(Bucket=BUCKET, Key="a.txt")
    assert seen == [client]
    assert caught.value.diagnosis is not None
    assert caught.value.diagnosis.rule_id == "access-denied"
    assert caught.value.diagnosis.operation == "get_object"
    assert caught.value.diagnosis.evidence_value("required_action") == "name/cos:GetObject"
    assert len(_failures(events)) == 1
    assert cos_doctor.is_installed()


def test_a_tracer_on_top_unwraps_itself_and_leaves_cos_doctor(replies: ReplyServer) -> None:
    """The outer layer removing itself (restoring what it wrapped) keeps cos_doctor's layer."""
    cos_doctor.install()
    ours = cos_client.CosS3Client.__dict__["send_request"]
    wrapt.wrap_function_wrapper(cos_client.CosS3Client, "send_request", _tracer([]))
    cos_client.CosS3Client.send_request = cos_client.CosS3Client.__dict__[
        "send_request"
    ].__wrapped__
    assert cos_client.CosS3Client.__dict__["send_request"] is ours
    assert cos_doctor.is_installed()
    replies.reply = DENIED
    with pytest.raises(cos_doctor.CosDiagnosedError):
        make_client(replies.port).get_object(Bucket=BUCKET, Key="a.txt")


def test_uninstall_under_a_tracer_removes_only_cos_doctor(replies: ReplyServer) -> None:
    """cos_doctor on top of a tracer: uninstall() leaves the tracer's layer in place."""
    seen: list[Any] = []
    wrapt.wrap_function_wrapper(cos_client.CosS3Client, "send_request", _tracer(seen))
    tracer_layer = cos_client.CosS3Client.__dict__["send_request"]
    cos_doctor.install()
    cos_doctor.uninstall()
    assert cos_client.CosS3Client.__dict__["send_request"] is tracer_layer
    assert not cos_doctor.is_installed()
    replies.reply = DENIED
    with pytest.raises(cos_client.CosServiceError) as caught:
        make_client(replies.port).get_object(Bucket=BUCKET, Key="a.txt")
    assert type(caught.value) is cos_client.CosServiceError
    assert len(seen) == 1


def test_the_patched_method_keeps_the_sdk_signature() -> None:
    """inspect.signature of the patched send_request is the SDK's own."""
    before = inspect.signature(ORIGINAL)
    cos_doctor.install()
    assert inspect.signature(cos_client.CosS3Client.send_request) == before
    assert isinstance(cos_client.CosS3Client.__dict__["send_request"], wrapt.FunctionWrapper)


def test_a_subclass_calling_super_is_diagnosed_once(replies: ReplyServer) -> None:
    """A user's send_request override that calls super() gets one diagnosis, one event."""
    calls: list[str] = []

    class Audited(cos_client.CosS3Client):  # type: ignore[misc]
        def send_request(self, method: str, url: str, **kwargs: Any) -> Any:
            calls.append(method)
            return super().send_request(method, url, **kwargs)

    cos_doctor.install()
    base = make_client(replies.port)
    client = Audited(base._conf, retry=0)
    replies.reply = DENIED
    with capture_logs() as events, pytest.raises(cos_doctor.CosDiagnosedError) as caught:
        client.get_object(Bucket=BUCKET, Key="a.txt")
    assert calls == ["GET"]
    assert caught.value.diagnosis is not None
    assert caught.value.diagnosis.operation == "get_object"
    assert len(_failures(events)) == 1


def test_object_exists_logs_nothing_with_a_tracer_in_the_stack(replies: ReplyServer) -> None:
    """An expected 404 stays an answer even when a foreign wrapper sits between the SDK frames."""
    wrapt.wrap_function_wrapper(cos_client.CosS3Client, "head_object", _tracer([]))
    cos_doctor.install()
    wrapt.wrap_function_wrapper(cos_client.CosS3Client, "send_request", _tracer([]))
    replies.reply = Reply(404, b"")
    try:
        with capture_logs() as events:
            assert (
                make_client(replies.port).object_exists(Bucket=BUCKET, Key="missing.txt") is False
            )
        assert _failures(events) == []
    finally:
        cos_client.CosS3Client.head_object = cos_client.CosS3Client.__dict__[
            "head_object"
        ].__wrapped__


def test_a_foreign_repatch_with_a_captured_original_is_seen_and_repaired(
    replies: ReplyServer,
) -> None:
    """A library that re-patches with an original captured before install() makes
    is_installed() False; install() puts cos_doctor back on top, and both layers run."""
    captured = cos_client.CosS3Client.send_request
    cos_doctor.install()
    calls: list[str] = []

    def repatched(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append("foreign")
        return captured(self, *args, **kwargs)

    cos_client.CosS3Client.send_request = repatched
    assert not cos_doctor.is_installed()
    assert cos_doctor.install() is True
    assert cos_doctor.is_installed()
    replies.reply = DENIED
    with pytest.raises(cos_doctor.CosDiagnosedError):
        make_client(replies.port).get_object(Bucket=BUCKET, Key="a.txt")
    assert calls == ["foreign"]


def test_reloading_the_sdk_module_after_install_is_patched_again() -> None:
    """importlib.reload(qcloud_cos.cos_client) yields a new class, and it is diagnosed too."""
    code = """
        import importlib, socket
        import cos_doctor
        from qcloud_cos import cos_client
        cos_doctor.install()
        old = cos_client.CosS3Client
        importlib.reload(cos_client)
        assert cos_client.CosS3Client is not old
        from cos_doctor._hook.install import _on_send_request, _our_layer
        probe = socket.socket(); probe.bind(("127.0.0.1", 0)); port = probe.getsockname()[1]; probe.close()
        config = cos_client.CosConfig(Region="ap-guangzhou", SecretId="AKIDx", SecretKey="k",
                                      IP="127.0.0.1", Port=port, Scheme="http")
        try:
            cos_client.CosS3Client(config, retry=0).head_object(Bucket="examplebucket-1250000000", Key="a")
        except cos_doctor.CosDiagnosedClientError as error:
            diagnosed = error.diagnosis.rule_id
        print(_our_layer(cos_client.CosS3Client.__dict__["send_request"], _on_send_request) is not None,
              cos_doctor.is_installed(), diagnosed)
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    last_line = result.stdout.strip().splitlines()[-1]  # structlog prints the event above it
    assert last_line.split() == ["True", "True", "client-connection-refused"]


def test_helpers_and_error_reply_methods_are_wrapped_once() -> None:
    """install() wraps every entry point exactly once, however often it runs."""
    cos_doctor.install()
    cos_doctor.install()
    for name, wrapper in _hook._wrappers().items():
        attribute = cos_client.CosS3Client.__dict__[name]
        assert _hook._our_layer(attribute, wrapper) is attribute, name
        assert _hook._our_layer(attribute.__wrapped__, wrapper) is None, name
