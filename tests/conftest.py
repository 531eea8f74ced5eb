from __future__ import annotations

import contextlib
import os
import time
import types
import warnings
from collections.abc import Callable, Iterator
from unittest import mock

import pytest
from qcloud_cos import CosConfig, CosS3Client

import cos_doctor
from tests.replies import ReplyServer

SECRET_ID = "AKIDcosdoctorTESTsecretid0000000000A"
SECRET_KEY = "test-secret-key-never-printed-0001"
TOKEN = "session-token-never-printed-0001"
BUCKET = "examplebucket-1250000000"
REGION = "ap-guangzhou"


@pytest.fixture(scope="session")
def reply_server() -> Iterator[ReplyServer]:
    with ReplyServer() as server:
        yield server


@pytest.fixture
def replies(reply_server: ReplyServer) -> ReplyServer:
    reply_server.seen.clear()
    return reply_server


def make_client(port: int, *, token: str | None = None, retry: int = 0) -> CosS3Client:
    config = CosConfig(
        Region=REGION,
        SecretId=SECRET_ID,
        SecretKey=SECRET_KEY,
        Token=token,
        Scheme="http",
        IP="127.0.0.1",
        Port=port,
    )
    return CosS3Client(config, retry=retry)


@contextlib.contextmanager
def sdk_retry_sleeps() -> Iterator[list[float]]:
    """Record the SDK's back-off between attempts (``time.sleep(j)`` in send_request) unslept.

    Only the ``time`` that qcloud_cos.cos_client sees is replaced, so the retries themselves run
    for real; callers assert the list, so an SDK that stops sleeping this way fails, not slows.
    """
    from qcloud_cos import cos_client

    slept: list[float] = []
    clock = types.ModuleType("time")
    clock.__dict__.update(vars(time))
    clock.sleep = slept.append  # type: ignore[attr-defined]
    with mock.patch.object(cos_client, "time", clock):
        yield slept


@pytest.fixture
def client(replies: ReplyServer) -> CosS3Client:
    return make_client(replies.port)


@pytest.fixture
def installed() -> Iterator[None]:
    cos_doctor.install()
    yield
    cos_doctor.uninstall()


@pytest.fixture(autouse=True)
def _never_leave_installed() -> Iterator[None]:
    yield
    cos_doctor.uninstall()
    leave_logging_as_found()


def leave_logging_as_found() -> None:
    """No storm window, setting or structlog configuration outlives the test that made it."""
    import structlog

    from cos_doctor import _config
    from cos_doctor._log import event as _log

    _log._storms.flush()
    _config.reset()
    structlog.reset_defaults()  # capture_logs() leaves structlog.is_configured() true


def run_forked(child: Callable[[], object]) -> int:
    """Run ``child()`` in a forked process (with a watchdog) and return its exit status."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads alive
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            import signal

            signal.alarm(20)  # a hung child dies instead of hanging the suite
            child()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)
