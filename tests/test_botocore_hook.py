"""botocore (boto3) pointed at COS: patched by install(), diagnosed like the SDK, others untouched.

Real boto3 clients over real HTTP on 127.0.0.1: the loopback reply server answers as COS does
(its headers say so), and a small S3-like server of this file answers as a non-COS store.
"""

from __future__ import annotations

import email.utils
import pickle
import subprocess
import sys
import textwrap
import threading
import time
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import wrapt
from structlog.testing import capture_logs

boto3 = pytest.importorskip("boto3")
import botocore  # noqa: E402 - after the skip above
from botocore import client as botocore_client  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

import cos_doctor  # noqa: E402
from cos_doctor._hook import botocore as _hook  # noqa: E402
from cos_doctor._locale import SUPPORTED_LOCALES  # noqa: E402
from tests.conftest import BUCKET, SECRET_ID, SECRET_KEY, make_client  # noqa: E402
from tests.replies import Reply, ReplyServer, error_xml  # noqa: E402

ORIGINAL = botocore_client.BaseClient.__dict__["_make_api_call"]
# botocore 1.36 brought the integrity-checksum settings and their CRC32 defaults.
CHECKSUMS = pytest.mark.skipif(
    tuple(int(part) for part in botocore.__version__.split(".")[:2]) < (1, 36),
    reason="botocore < 1.36 has no request_checksum_calculation",
)
NO_SUCH_KEY = Reply(404, error_xml("NoSuchKey", "The specified key does not exist."))
# One COS reply per kind of refusal a boto3 user meets; each must get the SDK's rule.
COS_REPLIES = {
    "no-such-key": NO_SUCH_KEY,
    "access-denied": Reply(403, error_xml("AccessDenied", "Access Denied.")),
    "signature": Reply(
        403,
        error_xml(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        ),
    ),
    "invalid-key": Reply(
        403, error_xml("InvalidAccessKeyId", "The access key Id format you provided is invalid.")
    ),
    "expired": Reply(403, error_xml("AccessDenied", "Request has expired")),
    "skew": Reply(
        403,
        error_xml(
            "RequestTimeTooSkewed",
            "The difference between the request time and the server's time is too large.",
        ),
    ),
    "no-such-bucket": Reply(404, error_xml("NoSuchBucket", "The specified bucket does not exist.")),
}


@pytest.fixture(autouse=True)
def _restore_make_api_call() -> Iterator[None]:
    yield
    cos_doctor.uninstall()
    botocore_client.BaseClient._make_api_call = ORIGINAL


def s3_client(endpoint: str, **settings: Any) -> Any:
    """A real boto3 S3 client with explicit keys and no retries unless asked."""
    settings.setdefault("retries", {"max_attempts": 1, "mode": "standard"})
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="ap-guangzhou",
        aws_access_key_id=SECRET_ID,
        aws_secret_access_key=SECRET_KEY,
        config=Config(**settings),
    )


def _failures(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [event for event in events if event["event"] == "cos_request_failed"]


def _raised(call: Any) -> BaseException:
    try:
        call()
    except Exception as error:
        return error
    raise AssertionError("the call did not fail")


# ---------------------------------------------------------------------------------------------
# A non-COS S3-compatible store on 127.0.0.1


class S3LikeServer:
    """Answers every request as an S3-compatible store that is not COS (no x-cos-* headers)."""

    def __init__(self) -> None:
        self.requests = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def version_string(self) -> str:
                return "MinIO"

            def _answer(self) -> None:
                owner.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                body = (
                    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
                    b"<Message>The specified key does not exist.</Message>"
                    b"<Key>a.txt</Key><BucketName>examplebucket-1250000000</BucketName>"
                    b"<RequestId>17F0C0B1A2B3C4D5</RequestId></Error>"
                )
                self.send_response_only(404)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Date", "Sun, 06 Dec 2026 12:00:00 GMT")
                self.send_header("x-amz-request-id", "17F0C0B1A2B3C4D5")
                self.send_header("Content-Length", str(0 if self.command == "HEAD" else len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_PUT = do_HEAD = do_DELETE = _answer

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> S3LikeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture(scope="module")
def s3_like() -> Iterator[S3LikeServer]:
    with S3LikeServer() as server:
        yield server


def _summary(error: BaseException) -> tuple[Any, ...]:
    """What a user reads of an exception, minus the layer's own traceback entry."""
    frames = [
        (frame.name, frame.line)
        for frame in traceback.extract_tb(error.__traceback__)
        if "cos_doctor" not in frame.filename and "wrapt" not in frame.filename
    ]
    response = dict(error.response)  # type: ignore[attr-defined]
    return (type(error), error.args, response["Error"], frames, str(error))


def test_a_non_cos_store_is_left_exactly_as_it_was(s3_like: S3LikeServer) -> None:
    """Another S3-compatible store's error: same type, args, response and traceback, no event."""
    client = s3_client(f"http://127.0.0.1:{s3_like.port}")

    def call() -> None:
        client.get_object(Bucket=BUCKET, Key="a.txt")

    before = _raised(call)
    cos_doctor.install()
    assert _hook.is_patched()
    with capture_logs() as events:
        after = _raised(call)
    assert type(after) is type(before) is client.exceptions.NoSuchKey
    assert _summary(after) == _summary(before)
    headers = after.response["ResponseMetadata"]["HTTPHeaders"]  # type: ignore[attr-defined]
    assert headers == before.response["ResponseMetadata"]["HTTPHeaders"]  # type: ignore[attr-defined]
    assert getattr(after, "diagnosis", None) is None
    assert not hasattr(after, "__notes__")
    assert events == []


def test_the_layer_reraises_botocores_own_exception_object(s3_like: S3LikeServer) -> None:
    """For a non-COS reply the object raised is the one botocore raised, not a copy."""
    raised: list[BaseException] = []

    def record(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        try:
            return wrapped(*args, **kwargs)
        except Exception as error:
            raised.append(error)
            raise

    wrapt.wrap_function_wrapper(botocore_client.BaseClient, "_make_api_call", record)
    cos_doctor.install()  # on top of the recorder: it sees botocore's exception first
    client = s3_client(f"http://127.0.0.1:{s3_like.port}")
    error = _raised(lambda: client.head_object(Bucket=BUCKET, Key="a.txt"))
    assert raised == [error]


# ---------------------------------------------------------------------------------------------
# COS's replies: diagnosed as the SDK diagnoses them


@pytest.mark.parametrize("kind", sorted(COS_REPLIES))
def test_boto3_gets_the_rule_the_sdk_gets(replies: ReplyServer, kind: str) -> None:
    """The same COS reply through boto3 and through the COS SDK is diagnosed with the same rule."""
    cos_doctor.install()
    replies.reply = COS_REPLIES[kind]
    sdk_error = _raised(lambda: make_client(replies.port).get_object(Bucket=BUCKET, Key="a.txt"))
    client = s3_client(f"http://127.0.0.1:{replies.port}")
    boto_error = _raised(lambda: client.get_object(Bucket=BUCKET, Key="a.txt"))
    assert isinstance(boto_error, cos_doctor.CosDiagnosedS3Error)
    assert boto_error.diagnosis is not None
    assert sdk_error.diagnosis is not None  # type: ignore[attr-defined]
    assert boto_error.diagnosis.rule_id == sdk_error.diagnosis.rule_id  # type: ignore[attr-defined]
    assert not boto_error.diagnosis.generic


def test_a_modeled_error_is_still_caught_by_its_class(replies: ReplyServer) -> None:
    """except client.exceptions.NoSuchKey / ClientError, response and operation_name all hold."""
    replies.reply = NO_SUCH_KEY
    client = s3_client(f"http://127.0.0.1:{replies.port}")
    plain = _raised(lambda: client.get_object(Bucket=BUCKET, Key="a.txt"))
    cos_doctor.install()
    with pytest.raises(client.exceptions.NoSuchKey) as caught:
        client.get_object(Bucket=BUCKET, Key="a.txt")
    error = caught.value
    assert isinstance(error, ClientError)
    assert isinstance(error, cos_doctor.CosDiagnosedS3Error)
    assert type(error).__name__ == "NoSuchKey"
    assert error.operation_name == "GetObject"
    assert error.response["Error"] == plain.response["Error"]  # type: ignore[attr-defined]
    assert error.args == plain.args
    assert str(error).startswith(str(plain))
    assert error.diagnosis is not None
    assert error.diagnosis.rule_id == "no-such-key"
    assert "[no-such-key]" in str(error)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_the_diagnosed_error_pickles_like_clienterror(replies: ReplyServer, protocol: int) -> None:
    """It pickles (as botocore's ClientError does, to the base class) with its diagnosis kept."""
    cos_doctor.install()
    replies.reply = NO_SUCH_KEY
    client = s3_client(f"http://127.0.0.1:{replies.port}")
    error = _raised(lambda: client.get_object(Bucket=BUCKET, Key="a.txt"))
    copy = pickle.loads(pickle.dumps(error, protocol=protocol))
    assert type(copy) is cos_doctor.CosDiagnosedS3Error
    assert isinstance(copy, ClientError)
    assert copy.response == error.response  # type: ignore[attr-defined]
    assert copy.operation_name == "GetObject"
    assert copy.args == error.args
    assert copy.diagnosis == error.diagnosis  # type: ignore[attr-defined]
    assert str(copy) == str(error)


@pytest.mark.parametrize("locale", ["en", "ko", "zh"])
def test_the_diagnosis_speaks_the_configured_language(replies: ReplyServer, locale: str) -> None:
    """install(locale=...) words boto3's diagnoses as it words the SDK's."""
    cos_doctor.install(locale=locale)
    replies.reply = NO_SUCH_KEY
    client = s3_client(f"http://127.0.0.1:{replies.port}")
    boto_error = _raised(lambda: client.get_object(Bucket=BUCKET, Key="a.txt"))
    sdk_error = _raised(lambda: make_client(replies.port).get_object(Bucket=BUCKET, Key="a.txt"))
    assert boto_error.diagnosis.title == sdk_error.diagnosis.title  # type: ignore[attr-defined]
    assert boto_error.diagnosis.locale == locale  # type: ignore[attr-defined]


def test_one_event_names_botocore_as_the_client_library(replies: ReplyServer) -> None:
    """One cos_request_failed event, same schema as the SDK's, with cos.client.library=botocore."""
    cos_doctor.install(storm_window=0)
    replies.reply = COS_REPLIES["access-denied"]
    client = s3_client(f"http://127.0.0.1:{replies.port}")
    with capture_logs() as events:
        _raised(lambda: client.put_object(Bucket=BUCKET, Key="a.txt", Body=b"x"))
        _raised(lambda: make_client(replies.port).get_object(Bucket=BUCKET, Key="a.txt"))
    boto_event, sdk_event = _failures(events)
    assert set(boto_event) == set(sdk_event)
    assert boto_event["cos.client.library"] == "botocore"
    assert sdk_event["cos.client.library"] == "cos-python-sdk-v5"
    assert boto_event["cos_doctor.schema_version"] == sdk_event["cos_doctor.schema_version"]
    assert boto_event["cos_doctor.rule_id"] == "access-denied"
    assert boto_event["cos.operation"] == "put_object"
    assert boto_event["http.request.method"] == "PUT"
    assert boto_event["cos.bucket"] == BUCKET
    assert boto_event["cos.key"] == "a.txt"
    assert boto_event["cos_doctor.evidence"]["client_library"].startswith("botocore ")


# ---------------------------------------------------------------------------------------------
# Evidence from botocore


def test_evidence_reads_the_clients_settings(replies: ReplyServer) -> None:
    """Endpoint, addressing, signature, region, credentials and retries, from the client."""
    cos_doctor.install()
    replies.reply = COS_REPLIES["access-denied"]
    endpoint = f"http://127.0.0.1:{replies.port}"
    client = s3_client(endpoint, s3={"addressing_style": "path"})
    error = _raised(lambda: client.put_object(Bucket=BUCKET, Key="a.txt", Body=b"x"))
    diagnosis = error.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.evidence_value("botocore_endpoint_url") == endpoint
    assert diagnosis.evidence_value("addressing_style") == "path"
    assert diagnosis.evidence_value("addressing_style_configured") == "path"
    assert diagnosis.evidence_value("signature_version") == "s3v4"
    assert diagnosis.evidence_value("botocore_region") == "ap-guangzhou"
    assert diagnosis.evidence_value("credential_provider") == "explicit"
    assert diagnosis.evidence_value("credential_kind") == "permanent"
    assert diagnosis.evidence_value("retry_attempts") == 0


@pytest.mark.parametrize(
    ("call", "source"),
    [
        ("copy_object", {"Bucket": "cold-1250000000", "Key": "2019/q1 report.tar"}),
        ("copy_object", "cold-1250000000/2019/q1 report.tar?versionId=MTg0"),  # botocore quotes it
        ("upload_part_copy", {"Bucket": "cold-1250000000", "Key": "2019/q1 report.tar"}),
    ],
)
def test_a_copy_from_an_archived_source_names_the_source(
    replies: ReplyServer, call: str, source: Any
) -> None:
    """boto3's CopySource (a dict, or botocore's quoted text) is the archived object to restore."""
    cos_doctor.install()
    replies.reply = Reply(
        403,
        error_xml(
            "InvalidObjectState", "The operation is not valid for the object's storage class."
        ),
    )
    client = s3_client(f"http://127.0.0.1:{replies.port}")
    more = (
        {"PartNumber": 1, "UploadId": "1585130821cbb7df1d1"} if call == "upload_part_copy" else {}
    )
    error = _raised(
        lambda: getattr(client, call)(Bucket=BUCKET, Key="warm.tar", CopySource=source, **more)
    )
    diagnosis = error.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.rule_id == "invalid-object-state"
    assert diagnosis.evidence_value("copy_source") == "cold-1250000000/2019/q1 report.tar"
    restore = diagnosis.evidence_value("restore_call_cos_sdk")
    assert "Bucket='cold-1250000000', Key='2019/q1 report.tar'" in restore
    assert (diagnosis.causes[0].id, diagnosis.causes[0].confidence) == (
        "copy-source-archived",
        "likely",
    )


def test_temporary_credentials_are_named_as_botocore_sends_them(replies: ReplyServer) -> None:
    """A session token goes out as X-Amz-Security-Token: the fact says so, not x-cos-security-token."""
    cos_doctor.install()
    replies.reply = COS_REPLIES["access-denied"]
    client = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{replies.port}",
        region_name="ap-guangzhou",
        aws_access_key_id=SECRET_ID,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token="a-session-token-never-shown",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    error = _raised(lambda: client.get_object(Bucket=BUCKET, Key="a.txt"))
    assert "x-amz-security-token" in {name.lower() for name in replies.seen[-1].headers}
    for locale in SUPPORTED_LOCALES:
        diagnosis = cos_doctor.diagnose(error, locale=locale)
        fact = next(fact for fact in diagnosis.evidence if fact.key == "credential_kind")
        assert fact.value == "temporary"
        assert "X-Amz-Security-Token" in fact.text
        assert "x-cos-security-token" not in fact.text
        assert "a-session-token-never-shown" not in diagnosis.render()


@CHECKSUMS
def test_evidence_reads_the_checksum_settings_and_headers(replies: ReplyServer) -> None:
    """botocore 1.36+'s checksum settings, and the CRC32 header it sent with the body."""
    cos_doctor.install()
    replies.reply = COS_REPLIES["access-denied"]
    client = s3_client(
        f"http://127.0.0.1:{replies.port}",
        request_checksum_calculation="when_supported",
        response_checksum_validation="when_required",
    )
    error = _raised(lambda: client.put_object(Bucket=BUCKET, Key="a.txt", Body=b"x"))
    diagnosis = error.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.evidence_value("request_checksum_calculation") == "when_supported"
    assert diagnosis.evidence_value("response_checksum_validation") == "when_required"
    assert "x-amz-checksum-crc32" in diagnosis.evidence_value("checksum_headers_sent")


# 436/7730: the documented reply to a checksum algorithm COS does not verify.
ALGORITHM_REFUSED = Reply(
    400, error_xml("VerifyAlgorithmNotSupported", "The verification algorithm is not supported")
)


def test_a_refused_checksum_algorithm_blames_botocores_checksum(replies: ReplyServer) -> None:
    """VerifyAlgorithmNotSupported after botocore sent x-amz-checksum-sha256: that is likely."""
    cos_doctor.install()
    replies.reply = ALGORITHM_REFUSED
    client = s3_client(f"http://127.0.0.1:{replies.port}")
    error = _raised(
        lambda: client.put_object(Bucket=BUCKET, Key="a.txt", Body=b"x", ChecksumAlgorithm="SHA256")
    )
    diagnosis = error.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.rule_id == "checksum-rejected"
    assert "x-amz-checksum-sha256" in diagnosis.evidence_value("checksum_headers_sent")
    likely = [cause.id for cause in diagnosis.causes if cause.likely]
    assert likely == ["botocore-checksum-algorithm"]


@CHECKSUMS
def test_without_a_checksum_botocores_algorithm_is_not_blamed(replies: ReplyServer) -> None:
    """With request_checksum_calculation='when_required' botocore sends none: no likely cause."""
    cos_doctor.install()
    replies.reply = ALGORITHM_REFUSED
    client = s3_client(
        f"http://127.0.0.1:{replies.port}", request_checksum_calculation="when_required"
    )
    error = _raised(lambda: client.put_object(Bucket=BUCKET, Key="a.txt", Body=b"x"))
    diagnosis = error.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.rule_id == "checksum-rejected"
    assert not any(cause.likely for cause in diagnosis.causes)


def test_evidence_names_the_credential_provider_and_virtual_addressing(
    replies: ReplyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys from the environment read as env; a bucket in the host name as virtual."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", SECRET_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    cos_doctor.install(cos_domains=["example.com"])
    replies.reply = COS_REPLIES["access-denied"]
    client = boto3.session.Session().client(
        "s3",
        endpoint_url="http://cos.example.com",
        region_name="ap-guangzhou",
        config=Config(
            proxies={"http": f"http://127.0.0.1:{replies.port}"},
            s3={"addressing_style": "virtual"},
            retries={"max_attempts": 1},
        ),
    )
    error = _raised(lambda: client.get_object(Bucket=BUCKET, Key="a.txt"))
    diagnosis = error.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.evidence_value("credential_provider") == "env"
    assert diagnosis.evidence_value("addressing_style") == "virtual"
    assert diagnosis.bucket == BUCKET


def test_evidence_counts_botocores_retries(replies: ReplyServer) -> None:
    """A 503 botocore retried says how often: one less than the requests COS received."""
    cos_doctor.install()
    replies.reply = Reply(503, error_xml("SlowDown", "Please reduce your request rate."))
    client = s3_client(
        f"http://127.0.0.1:{replies.port}", retries={"max_attempts": 3, "mode": "standard"}
    )
    with pytest.MonkeyPatch.context() as patch:  # botocore's back-off, unslept
        patch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda *_: 0)
        error = _raised(lambda: client.get_object(Bucket=BUCKET, Key="a.txt"))
    retries = error.diagnosis.evidence_value("retry_attempts")  # type: ignore[attr-defined]
    assert retries >= 1
    assert retries == len(replies.seen) - 1


def test_clock_skew_is_read_from_the_replys_date(replies: ReplyServer) -> None:
    """RequestTimeTooSkewed with the reply's Date an hour behind says the clock is an hour ahead."""
    cos_doctor.install()
    hour_ago = email.utils.formatdate(time.time() - 3600, usegmt=True)
    skew = COS_REPLIES["skew"]
    replies.reply = Reply(skew.status, skew.body, {"Date": hour_ago})
    client = s3_client(f"http://127.0.0.1:{replies.port}")
    error = _raised(lambda: client.get_object(Bucket=BUCKET, Key="a.txt"))
    seconds = error.diagnosis.evidence_value("clock_skew_seconds")  # type: ignore[attr-defined]
    assert 3590 <= seconds <= 3700


def test_the_secret_key_never_reaches_the_diagnosis_or_event(replies: ReplyServer) -> None:
    """The client's secret key is sealed out of everything cos_doctor writes."""
    cos_doctor.install()
    replies.reply = COS_REPLIES["signature"]
    client = s3_client(f"http://127.0.0.1:{replies.port}")
    with capture_logs() as events:
        error = _raised(lambda: client.get_object(Bucket=BUCKET, Key="a.txt"))
    assert SECRET_KEY not in error.diagnosis.render()  # type: ignore[attr-defined]
    assert SECRET_KEY not in repr(events)
    assert SECRET_KEY not in repr(pickle.dumps(error))


# ---------------------------------------------------------------------------------------------
# Which replies are COS's


def test_a_cos_domain_endpoint_is_diagnosed_without_cos_headers(s3_like: S3LikeServer) -> None:
    """An endpoint under myqcloud.com is COS's even when the reply carries no COS header."""
    cos_doctor.install()
    client = s3_client(
        "http://cos.ap-guangzhou.myqcloud.com",
        proxies={"http": f"http://127.0.0.1:{s3_like.port}"},
        s3={"addressing_style": "path"},
    )
    error = _raised(lambda: client.get_object(Bucket=BUCKET, Key="a.txt"))
    assert isinstance(error, cos_doctor.CosDiagnosedS3Error)
    assert error.diagnosis is not None
    assert error.diagnosis.rule_id == "no-such-key"


def test_a_custom_domain_is_cos_only_once_configured(s3_like: S3LikeServer) -> None:
    """files.example.com is left alone until install(cos_domains=["example.com"]) names it."""
    client = s3_client(
        "http://files.example.com",
        proxies={"http": f"http://127.0.0.1:{s3_like.port}"},
        s3={"addressing_style": "path"},
    )
    cos_doctor.install()
    untouched = _raised(lambda: client.get_object(Bucket=BUCKET, Key="a.txt"))
    assert getattr(untouched, "diagnosis", None) is None
    cos_doctor.install(cos_domains="example.com")
    diagnosed = _raised(lambda: client.get_object(Bucket=BUCKET, Key="a.txt"))
    assert diagnosed.diagnosis.rule_id == "no-such-key"  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", [[""], [3], " . "])
def test_cos_domains_rejects_what_is_not_a_domain(value: Any) -> None:
    """A cos_domains value that names no domain raises TypeError before anything changes."""
    with pytest.raises(TypeError):
        cos_doctor.install(cos_domains=value)
    assert not _hook.is_patched()


# ---------------------------------------------------------------------------------------------
# Patching: idempotent, undone, before or after import, composing with other layers


def test_install_is_idempotent_and_uninstall_restores_botocore() -> None:
    """Two install() calls leave one layer; uninstall() puts botocore's own method back."""
    cos_doctor.install()
    layer = botocore_client.BaseClient.__dict__["_make_api_call"]
    assert cos_doctor.install() is False
    assert botocore_client.BaseClient.__dict__["_make_api_call"] is layer
    assert layer.__wrapped__ is ORIGINAL
    cos_doctor.uninstall()
    assert botocore_client.BaseClient.__dict__["_make_api_call"] is ORIGINAL
    assert not _hook.is_patched()


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_install_before_botocore_is_imported_patches_it_on_import(replies: ReplyServer) -> None:
    """install() first, import boto3 later (and after a reload): the calls are diagnosed."""
    replies.reply = NO_SUCH_KEY
    out = _run(
        f"""
        import importlib, sys
        import cos_doctor
        cos_doctor.install()
        assert "botocore" not in sys.modules
        import boto3
        from botocore import client as botocore_client
        from botocore.config import Config
        from cos_doctor._hook import botocore as hook
        assert hook.is_patched()
        importlib.reload(botocore_client)
        assert hook.is_patched()
        client = boto3.client("s3", endpoint_url="http://127.0.0.1:{replies.port}",
            region_name="ap-guangzhou", aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="secret", config=Config(retries={{"max_attempts": 1}}))
        try:
            client.get_object(Bucket="examplebucket-1250000000", Key="a.txt")
        except client.exceptions.ClientError as error:
            print(type(error).__mro__[1].__name__, error.diagnosis.rule_id)
        """
    )
    assert out.split() == ["CosDiagnosedS3Error", "no-such-key"]


def _tracer(seen: list[Any]) -> Any:
    """A wrapper shaped like OpenTelemetry's botocore instrumentation (wrapt, bound instance)."""

    def tracer(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        seen.append(instance)
        return wrapped(*args, **kwargs)

    return tracer


def _sentry_like(seen: list[Any]) -> None:
    """Sentry's boto3 integration: BaseClient._make_api_call replaced by a plain function."""
    original = botocore_client.BaseClient._make_api_call

    def sentry_patched_make_api_call(self: Any, operation_name: str, api_params: Any) -> Any:
        seen.append(self)
        return original(self, operation_name, api_params)

    botocore_client.BaseClient._make_api_call = sentry_patched_make_api_call  # type: ignore[method-assign]


@pytest.mark.parametrize("shape", ["wrapt", "sentry"])
@pytest.mark.parametrize("order", ["theirs-first", "cos-doctor-first"])
def test_other_instrumentation_and_cos_doctor_compose(
    replies: ReplyServer, shape: str, order: str
) -> None:
    """Another layer on _make_api_call and cos_doctor both run, in either order, once each."""
    seen: list[Any] = []

    def theirs() -> None:
        if shape == "wrapt":
            wrapt.wrap_function_wrapper(botocore_client.BaseClient, "_make_api_call", _tracer(seen))
        else:
            _sentry_like(seen)

    if order == "theirs-first":
        theirs()
        cos_doctor.install()
    else:
        cos_doctor.install()
        theirs()
    replies.reply = NO_SUCH_KEY
    client = s3_client(f"http://127.0.0.1:{replies.port}")
    with capture_logs() as events, pytest.raises(client.exceptions.NoSuchKey) as caught:
        client.get_object(Bucket=BUCKET, Key="a.txt")
    assert seen == [client]
    assert caught.value.diagnosis.rule_id == "no-such-key"  # type: ignore[attr-defined]
    assert len(_failures(events)) == 1


def test_a_tracer_on_top_keeps_it_and_uninstall_leaves_a_pass_through(
    replies: ReplyServer,
) -> None:
    """uninstall() under a foreign layer leaves that layer and turns cos_doctor's off."""
    cos_doctor.install()
    seen: list[Any] = []
    wrapt.wrap_function_wrapper(botocore_client.BaseClient, "_make_api_call", _tracer(seen))
    cos_doctor.uninstall()
    replies.reply = NO_SUCH_KEY
    client = s3_client(f"http://127.0.0.1:{replies.port}")
    error = _raised(lambda: client.get_object(Bucket=BUCKET, Key="a.txt"))
    assert seen == [client]
    assert type(error) is client.exceptions.NoSuchKey


@pytest.mark.parametrize("order", ["otel-first", "cos-doctor-first"])
def test_opentelemetrys_botocore_instrumentation_composes(replies: ReplyServer, order: str) -> None:
    """OpenTelemetry's real BotocoreInstrumentor and cos_doctor: a span and a diagnosis."""
    instrumentation = pytest.importorskip("opentelemetry.instrumentation.botocore")
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = instrumentation.BotocoreInstrumentor()
    try:
        if order == "otel-first":
            instrumentor.instrument(tracer_provider=provider)
            cos_doctor.install()
        else:
            cos_doctor.install()
            instrumentor.instrument(tracer_provider=provider)
        replies.reply = NO_SUCH_KEY
        client = s3_client(f"http://127.0.0.1:{replies.port}")
        with pytest.raises(client.exceptions.NoSuchKey) as caught:
            client.get_object(Bucket=BUCKET, Key="a.txt")
        assert caught.value.diagnosis.rule_id == "no-such-key"  # type: ignore[attr-defined]
        assert [span.name for span in exporter.get_finished_spans()] == ["S3.GetObject"]
        assert _hook.is_patched()
    finally:
        instrumentor.uninstrument()
    # OpenTelemetry's unwrap() removes the outermost layer whoever owns it: installed after it,
    # cos_doctor's goes (a second install() puts it back); installed before, ours stays.
    assert _hook.is_patched() == (order == "cos-doctor-first")
    assert cos_doctor.install() == (order == "otel-first")  # True: it changed the patches
    assert _hook.is_patched()
    with pytest.raises(client.exceptions.NoSuchKey) as again:
        client.get_object(Bucket=BUCKET, Key="a.txt")
    assert again.value.diagnosis.rule_id == "no-such-key"  # type: ignore[attr-defined]


def test_a_forked_child_installs_and_diagnoses(replies: ReplyServer) -> None:
    """After fork the child's lock is fresh: install() and a diagnosed call work there."""
    replies.reply = NO_SUCH_KEY
    out = _run(
        f"""
        import os, threading, boto3
        from botocore.config import Config
        import cos_doctor
        from cos_doctor._hook import botocore as hook
        hook._lock.acquire()  # held by this thread at the fork: the child must not inherit it
        pid = os.fork()
        if pid == 0:
            cos_doctor.install()
            client = boto3.client("s3", endpoint_url="http://127.0.0.1:{replies.port}",
                region_name="ap-guangzhou", aws_access_key_id="AKIDEXAMPLE",
                aws_secret_access_key="secret", config=Config(retries={{"max_attempts": 1}}))
            try:
                client.get_object(Bucket="examplebucket-1250000000", Key="a.txt")
            except Exception as error:
                os._exit(0 if error.diagnosis is not None else 3)
            os._exit(4)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status))
        """
    )
    assert out.strip() == "0"


def test_concurrent_installs_leave_one_layer() -> None:
    """Eight threads installing at once leave exactly one cos_doctor layer on botocore."""
    barrier = threading.Barrier(8)

    def install() -> None:
        barrier.wait(timeout=10)
        cos_doctor.install()

    threads = [threading.Thread(target=install) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    layer = botocore_client.BaseClient.__dict__["_make_api_call"]
    assert layer.__wrapped__ is ORIGINAL


@pytest.mark.parametrize("order", ["sentry-first", "cos-doctor-first"])
def test_sentrys_real_boto3_integration_composes(replies: ReplyServer, order: str) -> None:
    """sentry-sdk's Boto3Integration records its span and cos_doctor diagnoses, in either order."""
    pytest.importorskip("sentry_sdk")
    replies.reply = NO_SUCH_KEY
    out = _run(
        f"""
        import boto3, sentry_sdk
        from botocore.config import Config
        from sentry_sdk.integrations.boto3 import Boto3Integration
        from sentry_sdk.transport import Transport
        import cos_doctor

        class Memory(Transport):
            def __init__(self):
                super().__init__()
                self.spans = []
            def capture_envelope(self, envelope):
                for item in envelope.items:
                    if item.type == "transaction":
                        self.spans += [span.get("description") for span in item.payload.json["spans"]]

        def start_sentry():
            sentry_sdk.init(dsn="http://public@127.0.0.1:9/1", transport=memory,
                traces_sample_rate=1.0, default_integrations=False,
                auto_enabling_integrations=False, integrations=[Boto3Integration()])

        memory = Memory()
        if {order!r} == "sentry-first":
            start_sentry()
            cos_doctor.install()
        else:
            cos_doctor.install()
            start_sentry()
        client = boto3.client("s3", endpoint_url="http://127.0.0.1:{replies.port}",
            region_name="ap-guangzhou", aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="secret", config=Config(retries={{"max_attempts": 1}}))
        with sentry_sdk.start_transaction(name="t"):
            try:
                client.get_object(Bucket="examplebucket-1250000000", Key="a.txt")
            except client.exceptions.NoSuchKey as error:
                print(error.diagnosis.rule_id)
        sentry_sdk.get_client().flush()
        print(any("GetObject" in (span or "") for span in memory.spans))
        """
    )
    assert out.split() == ["no-such-key", "True"]


def test_a_call_inside_another_is_left_to_whoever_made_it(replies: ReplyServer) -> None:
    """A failing call made during another (a handler's probe) is neither diagnosed nor logged."""
    cos_doctor.install(storm_window=0)
    replies.reply = NO_SUCH_KEY
    client = s3_client(f"http://127.0.0.1:{replies.port}")
    inner: list[BaseException] = []

    def probe(**_: Any) -> None:
        try:
            client.head_object(Bucket=BUCKET, Key="probe.txt")
        except ClientError as error:
            inner.append(error)

    client.meta.events.register("before-call.s3.GetObject", probe)
    with capture_logs() as events:
        outer = _raised(lambda: client.get_object(Bucket=BUCKET, Key="a.txt"))
    assert [type(error) for error in inner] == [ClientError]
    assert outer.diagnosis.rule_id == "no-such-key"  # type: ignore[attr-defined]
    assert [event["cos.operation"] for event in _failures(events)] == ["get_object"]


def test_diagnose_reads_a_botocore_clienterror_without_install(replies: ReplyServer) -> None:
    """diagnose(e) on boto3's own ClientError gives the rule install() would have given."""
    replies.reply = COS_REPLIES["signature"]
    client = s3_client(f"http://127.0.0.1:{replies.port}")
    plain = _raised(lambda: client.get_object(Bucket=BUCKET, Key="a.txt"))
    assert type(plain) is ClientError
    diagnosis = cos_doctor.diagnose(plain, locale="zh")
    assert diagnosis.rule_id == "signature-mismatch"
    assert diagnosis.locale == "zh"
    assert diagnosis.operation == "get_object"
    assert diagnosis.evidence_value("client_library") is not None
    built = ClientError(
        {"Error": {"Code": "NoSuchKey", "Message": "The specified key does not exist."}},
        "HeadObject",
    )
    assert cos_doctor.diagnose(built).rule_id == "no-such-key"
