"""The SDK's internal failures users meet, provoked through the real SDK and diagnosed in place."""

from __future__ import annotations

import gc
import os
import pathlib
import socket
import subprocess
import threading
import warnings
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest
from structlog.testing import capture_logs

import cos_doctor
from tests.conftest import make_client, sdk_retry_sleeps

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from qcloud_cos import CosS3Client

    from tests.replies import ReplyServer

BUCKET = "examplebucket-1250000000"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _rule_of(error: BaseException) -> str | None:
    """The rule of the diagnosis cos_doctor attached to ``error``; None when it has none."""
    diagnosis = getattr(error, "diagnosis", None)
    return None if diagnosis is None else str(diagnosis.rule_id)


def _events_with_rule(events: list[dict[str, Any]]) -> list[str]:
    return [event["cos_doctor.rule_id"] for event in events if "cos_doctor.rule_id" in event]


def test_a_body_the_sdk_cannot_rewind_turns_a_network_error_into_unboundlocalerror(
    installed: None,
) -> None:
    """A refused connection with a generator body and retry=1: the SDK's UnboundLocalError, diagnosed."""
    client = make_client(_closed_port(), retry=1)
    with capture_logs() as events, pytest.raises(UnboundLocalError) as raised:
        client.put_object(Bucket=BUCKET, Key="a.txt", Body=(chunk for chunk in [b"x"]))
    assert _rule_of(raised.value) == "client-retry-body-not-rewindable"
    assert _events_with_rule(events) == ["client-retry-body-not-rewindable"]


def test_with_a_rewindable_body_the_same_failure_is_the_network_error(
    installed: None,
) -> None:
    """The rule's fix holds: bytes can be resent, so the SDK retries and raises the real error."""
    client = make_client(_closed_port(), retry=1)
    with sdk_retry_sleeps() as slept, pytest.raises(cos_doctor.CosDiagnosedClientError) as raised:
        client.put_object(Bucket=BUCKET, Key="a.txt", Body=b"x")
    assert _rule_of(raised.value) == "client-connection-refused"
    assert len(slept) == 1  # the SDK retried the rewindable body once (its sleep recorded, unslept)


# ---------------------------------------------------------------------------------------------
# A download whose CRC64 does not match


class _Object:
    """A loopback server holding one object: HEAD tells its size and a CRC64, GET serves ranges."""

    def __init__(self, body: bytes, crc64: str) -> None:
        owner = self
        self.body, self.crc64 = body, crc64

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _headers(self, status: int, length: int, extra: dict[str, str]) -> None:
                self.send_response_only(status)
                for name, value in {
                    "Server": "tencent-cos",
                    "Date": formatdate(usegmt=True),
                    "ETag": '"0123456789abcdef0123456789abcdef"',
                    "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT",
                    "x-cos-hash-crc64ecma": owner.crc64,
                    "Content-Length": str(length),
                    **extra,
                }.items():
                    self.send_header(name, value)
                self.end_headers()

            def do_HEAD(self) -> None:
                self._headers(200, len(owner.body), {})

            def do_GET(self) -> None:
                first, _, last = self.headers["Range"].removeprefix("bytes=").partition("-")
                part = owner.body[int(first) : int(last) + 1]
                total = len(owner.body)
                self._headers(206, len(part), {"Content-Range": f"bytes {first}-{last}/{total}"})
                self.wfile.write(part)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]


@pytest.fixture
def wrong_crc() -> Iterator[_Object]:
    served = _Object(b"x" * (1024 * 1024 + 4096), crc64="1234567890123456789")
    thread = threading.Thread(
        target=served.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield served
    served.server.shutdown()
    served.server.server_close()


def test_a_crc64_mismatch_after_download_file_is_diagnosed_once(
    wrong_crc: _Object,
    tmp_path: Path,
    installed: None,
) -> None:
    """download_file(EnableCRC=True) of an object whose reported CRC64 is wrong: one diagnosis."""
    import requests
    from qcloud_cos import CosConfig, CosS3Client

    session = requests.Session()  # its own: closed below, before the server goes
    config = CosConfig(
        Region="ap-guangzhou",
        SecretId="AKIDexample",
        SecretKey="secret-example",
        Scheme="http",
        IP="127.0.0.1",
        Port=wrong_crc.port,
    )
    client = CosS3Client(config, retry=0, session=session)
    with (
        session,
        capture_logs() as events,
        pytest.raises(cos_doctor.CosDiagnosedClientError) as raised,
    ):
        client.download_file(
            Bucket=BUCKET,
            Key="big.bin",
            DestFilePath=str(tmp_path / "big.bin"),
            PartSize=1,
            EnableCRC=True,
            DumpRecordDir=str(tmp_path / "records"),
        )
    diagnosis = raised.value.diagnosis
    assert diagnosis is not None
    assert diagnosis.rule_id == "client-crc64-mismatch"
    assert "1234567890123456789" in diagnosis.title
    assert _events_with_rule(events) == ["client-crc64-mismatch"]


# ---------------------------------------------------------------------------------------------
# Local files inside upload_file / download_file


def _read_only_directory() -> str | None:
    """A directory on a read-only mount the tester names ($COS_DOCTOR_READ_ONLY_DIR)."""
    directory = os.environ.get("COS_DOCTOR_READ_ONLY_DIR")
    return directory if directory and pathlib.Path(directory).is_dir() else None


@pytest.fixture
def read_only_directory(tmp_path: Path) -> Iterator[str]:
    """A read-only directory: the tester's, else a private read-only tmpfs mounted for the test.

    Mounting needs privileges (root in CI, where it runs); elsewhere it is skipped, saying so.
    Only the test's own mount is used, never one of the machine's.
    """
    named = _read_only_directory()
    if named is not None:
        yield named
        return
    mount_point = tmp_path / "read-only"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("no read-only mount: set COS_DOCTOR_READ_ONLY_DIR, or run as root")
    try:
        yield str(mount_point)
    finally:
        subprocess.run(["umount", str(mount_point)], capture_output=True, check=False)


def _refused_by_the_os() -> str | None:
    """A path root may not create either (sysfs refuses new files with EACCES), or None."""
    probe = pathlib.Path("/sys/cos-doctor-permission-probe")
    try:
        probe.open("wb").close()
    except PermissionError:
        return str(probe)
    except OSError:
        return None
    probe.unlink()  # pragma: no cover - a sysfs that took the file: give it back
    return None


def test_upload_file_of_a_missing_file(client: CosS3Client, installed: None) -> None:
    """upload_file of a path that does not exist: FileNotFoundError kept, its file named."""
    with capture_logs() as events, pytest.raises(FileNotFoundError) as raised:
        client.upload_file(Bucket=BUCKET, Key="a.txt", LocalFilePath="/nonexistent/report.pdf")
    assert _rule_of(raised.value) == "client-local-file-missing"
    assert "/nonexistent/report.pdf" in raised.value.diagnosis.title
    assert _events_with_rule(events) == ["client-local-file-missing"]


def test_upload_file_of_a_directory(
    client: CosS3Client,
    tmp_path: Path,
    installed: None,
) -> None:
    """upload_file given a directory: IsADirectoryError kept, the rule says to name a file."""
    with pytest.raises(IsADirectoryError) as raised:
        client.upload_file(Bucket=BUCKET, Key="a.txt", LocalFilePath=str(tmp_path))
    assert _rule_of(raised.value) == "client-local-file-is-directory"


def test_download_file_into_a_missing_directory(
    client: CosS3Client,
    replies: ReplyServer,
    tmp_path: Path,
    installed: None,
) -> None:
    """download_file to a path whose directory does not exist: the rule says to create it."""
    from tests.replies import Reply

    replies.reply = Reply(200, b"hello", {"ETag": '"5d41402abc4b2a76b9719d911017c592"'})
    with pytest.raises(FileNotFoundError) as raised:
        client.download_file(Bucket=BUCKET, Key="a.txt", DestFilePath=str(tmp_path / "no" / "a"))
    assert _rule_of(raised.value) == "client-local-file-missing"
    assert "os.makedirs" in " ".join(raised.value.diagnosis.steps)
    del raised
    _free_the_sdks_open_reply()


def _free_the_sdks_open_reply() -> None:
    """The SDK leaves the reply unread and open when it cannot open the file: free it here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def test_download_file_onto_a_directory(
    client: CosS3Client,
    replies: ReplyServer,
    tmp_path: Path,
    installed: None,
) -> None:
    """download_file whose DestFilePath is a directory: IsADirectoryError kept and diagnosed."""
    from tests.replies import Reply

    replies.reply = Reply(200, b"hello", {"ETag": '"5d41402abc4b2a76b9719d911017c592"'})
    target = tmp_path / "downloads"
    target.mkdir()
    with pytest.raises(IsADirectoryError) as raised:
        client.download_file(Bucket=BUCKET, Key="a.txt", DestFilePath=str(target))
    assert _rule_of(raised.value) == "client-local-file-is-directory"


@pytest.mark.skipif(_refused_by_the_os() is None, reason="no path here refuses even root")
def test_download_file_where_the_os_refuses_to_create_the_file(
    client: CosS3Client,
    replies: ReplyServer,
    installed: None,
) -> None:
    """download_file to a path the OS refuses even to root (sysfs): PermissionError kept, diagnosed."""
    from tests.replies import Reply

    replies.reply = Reply(200, b"hello", {"ETag": '"5d41402abc4b2a76b9719d911017c592"'})
    target = _refused_by_the_os()
    assert target is not None
    with capture_logs() as events, pytest.raises(PermissionError) as raised:
        client.download_file(Bucket=BUCKET, Key="a.txt", DestFilePath=target)
    assert _rule_of(raised.value) == "client-local-file-permission"
    assert _events_with_rule(events) == ["client-local-file-permission"]
    del raised
    _free_the_sdks_open_reply()


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads and writes every file"
)
def test_upload_file_of_an_unreadable_file(
    client: CosS3Client,
    tmp_path: Path,
    installed: None,
) -> None:
    """upload_file of a file the process may not read: PermissionError kept and diagnosed."""
    secret = tmp_path / "mode-000.bin"
    secret.write_bytes(b"x")
    secret.chmod(0)
    with pytest.raises(PermissionError) as raised:
        client.upload_file(Bucket=BUCKET, Key="a.txt", LocalFilePath=str(secret))
    assert _rule_of(raised.value) == "client-local-file-permission"


def test_download_file_onto_a_read_only_file_system(
    client: CosS3Client,
    replies: ReplyServer,
    installed: None,
    read_only_directory: str,
) -> None:
    """download_file onto a read-only mount: OSError (EROFS) kept, the rule names the mount."""
    from tests.replies import Reply

    replies.reply = Reply(200, b"hello", {"ETag": '"5d41402abc4b2a76b9719d911017c592"'})
    directory = read_only_directory
    with pytest.raises(OSError) as raised:
        client.download_file(
            Bucket=BUCKET, Key="a.txt", DestFilePath=str(pathlib.Path(directory) / "probe")
        )
    assert _rule_of(raised.value) == "client-local-file-read-only"
    del raised
    _free_the_sdks_open_reply()


@pytest.mark.parametrize(
    "text",
    [
        (
            "HTTPConnectionPool(host='127.0.0.1', port=80): Max retries exceeded with url: /a.txt "
            "(Caused by NewConnectionError('<urllib3.connection.HTTPConnection object>: Failed to "
            "establish a new connection: [Errno 13] Permission denied'))"
        ),
        "('Connection aborted.', PermissionError(13, 'Permission denied'))",
    ],
)
def test_a_socket_denied_permission_is_not_taken_for_a_local_file(text: str) -> None:
    """Only an OS error that names no connection reads as a local file's."""
    from qcloud_cos.cos_exception import CosClientError

    diagnosis = cos_doctor.diagnose(CosClientError(text))
    assert not diagnosis.rule_id.startswith("client-local-file-")
