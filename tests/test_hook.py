"""install() / uninstall(): the patch itself, its idempotence, threads, and import order."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest
import wrapt
from qcloud_cos import cos_client
from qcloud_cos.cos_exception import CosServiceError

import cos_doctor
from cos_doctor._hook import install as _hook
from tests.conftest import BUCKET, make_client
from tests.replies import Reply, ReplyServer, error_xml

ORIGINAL_SEND_REQUEST = cos_client.CosS3Client.__dict__["send_request"]


def test_install_wraps_send_request_and_uninstall_restores_the_same_object() -> None:
    """uninstall() puts back exactly the function that was there before install()."""
    assert cos_doctor.install() is True
    assert cos_doctor.is_installed()
    assert cos_client.CosS3Client.__dict__["send_request"] is not ORIGINAL_SEND_REQUEST
    assert cos_doctor.uninstall() is True
    assert not cos_doctor.is_installed()
    assert cos_client.CosS3Client.__dict__["send_request"] is ORIGINAL_SEND_REQUEST


def test_second_install_and_second_uninstall_are_quiet_no_ops() -> None:
    """Idempotent by identity: one wrapper layer whatever the number of install() calls."""
    assert cos_doctor.install() is True
    wrapped_once = cos_client.CosS3Client.__dict__["send_request"]
    assert cos_doctor.install() is False
    assert cos_client.CosS3Client.__dict__["send_request"] is wrapped_once
    assert cos_doctor.uninstall() is True
    assert cos_doctor.uninstall() is False


def test_concurrent_installs_patch_exactly_once() -> None:
    """Many threads racing install() leave one wrapper, and exactly one call reports True."""
    results: list[bool] = []
    barrier = threading.Barrier(16)

    def racer() -> None:
        barrier.wait()
        results.append(cos_doctor.install())

    threads = [threading.Thread(target=racer) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 1
    layer = cos_client.CosS3Client.__dict__["send_request"]
    assert isinstance(layer, wrapt.FunctionWrapper)
    assert layer.__wrapped__ is ORIGINAL_SEND_REQUEST


def test_clients_created_before_install_are_covered(replies: ReplyServer) -> None:
    """The patch is on the class, so an existing client's next failure is diagnosed."""
    early = make_client(replies.port)
    cos_doctor.install()
    replies.reply = Reply(403, error_xml("AccessDenied", "Access Denied."))
    with pytest.raises(cos_doctor.CosDiagnosedError) as caught:
        early.get_object(Bucket=BUCKET, Key="a.txt")
    assert caught.value.diagnosis is not None
    assert caught.value.diagnosis.rule_id == "access-denied"


def test_after_uninstall_the_sdk_raises_its_own_exception(replies: ReplyServer) -> None:
    """Once uninstalled, errors are plain CosServiceError again."""
    client = make_client(replies.port)
    cos_doctor.install()
    cos_doctor.uninstall()
    replies.reply = Reply(403, error_xml("AccessDenied", "Access Denied."))
    with pytest.raises(CosServiceError) as caught:
        client.get_object(Bucket=BUCKET, Key="a.txt")
    assert type(caught.value) is CosServiceError


def test_uninstall_under_a_foreign_wrapper_leaves_it_and_passes_through(
    replies: ReplyServer,
) -> None:
    """Another library's wrapper on top of ours survives uninstall(); ours stops diagnosing."""
    client = make_client(replies.port)
    cos_doctor.install()
    calls: list[str] = []

    def foreign(wrapped, instance, args, kwargs):  # type: ignore[no-untyped-def]
        calls.append("foreign")
        return wrapped(*args, **kwargs)

    wrapt.wrap_function_wrapper(cos_client.CosS3Client, "send_request", foreign)
    try:
        cos_doctor.uninstall()
        foreign_layer = cos_client.CosS3Client.__dict__["send_request"]
        assert foreign_layer._self_wrapper is foreign
        replies.reply = Reply(403, error_xml("AccessDenied", "Access Denied."))
        with pytest.raises(CosServiceError) as caught:
            client.get_object(Bucket=BUCKET, Key="a.txt")
        assert type(caught.value) is CosServiceError
        assert calls == ["foreign"]
        assert cos_doctor.install() is True  # finds its dormant layer instead of adding one
        assert (
            _hook._our_layer(
                cos_client.CosS3Client.__dict__["send_request"], _hook._on_send_request
            )
            is not None
        )
        assert (
            _hook._our_layer(foreign_layer.__wrapped__, _hook._on_send_request)
            is foreign_layer.__wrapped__
        )
    finally:
        cos_doctor.uninstall()
        cos_client.CosS3Client.send_request = ORIGINAL_SEND_REQUEST


def test_install_failure_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    """A patch that cannot be applied makes install() return False and leaves the SDK alone."""

    def broken(module: object) -> None:
        raise RuntimeError("cannot patch")

    monkeypatch.setattr(_hook, "_patch", broken)
    assert cos_doctor.install() is False
    assert not cos_doctor.is_installed()
    assert cos_client.CosS3Client.__dict__["send_request"] is ORIGINAL_SEND_REQUEST


def _run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()


def test_install_before_the_sdk_is_imported_patches_it_on_import() -> None:
    """install() in a process that has not imported qcloud_cos takes effect at its import."""
    output = _run_python(
        """
        import sys
        import cos_doctor
        assert "qcloud_cos" not in sys.modules, "importing cos_doctor must not import the SDK"
        assert cos_doctor.install() is True
        from qcloud_cos import CosS3Client
        from cos_doctor._hook.install import _on_send_request, _our_layer
        print(_our_layer(CosS3Client.__dict__["send_request"], _on_send_request) is not None)
        """,
    )
    assert output == "True"


def test_import_and_install_load_no_pipeline_knowledge_or_structlog() -> None:
    """import + install() (SDK and botocore hooks) load nothing the failure path needs: that waits."""
    output = _run_python(
        """
        import sys
        import qcloud_cos
        import cos_doctor
        cos_doctor.install()
        loaded = [
            name for name in sys.modules
            if name.startswith(("cos_doctor._pipeline", "cos_doctor._knowledge", "structlog"))
            or name in ("cos_doctor.diagnosis", "cos_doctor.errors")
        ]
        print(sorted(loaded))
        """,
    )
    assert output == "[]"


def test_uninstall_before_the_sdk_is_imported_leaves_it_unpatched() -> None:
    """install() then uninstall() before the import: the SDK arrives untouched."""
    output = _run_python(
        """
        import cos_doctor
        cos_doctor.install()
        cos_doctor.uninstall()
        from qcloud_cos import CosS3Client
        print(type(CosS3Client.__dict__["send_request"]).__name__)
        """,
    )
    assert output == "function"
