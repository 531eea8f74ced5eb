"""Client-side failures of the real SDK against loopback servers: each diagnosed, once.

No request here reaches the internet: hosts end in ``.invalid`` (never resolvable), servers
bind 127.0.0.1. Every case asserts the rule, its key evidence and exactly one event.
"""

from __future__ import annotations

import functools
import json
import os
import pickle
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import urllib3
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosClientError, CosServiceError
from structlog.testing import capture_logs

import cos_doctor
from cos_doctor.emulator import Emulator
from integration.loopback import (
    certificate,
    closed_port,
    full_backlog_server,
    raw_server,
    refusing_proxy,
    scripted_cos,
    self_signed_tls_server,
    silent_server,
    tls_server,
    truncating_cos,
)
from tests.conftest import sdk_retry_sleeps

BUCKET = "examplebucket-1250000000"
SECRET_ID = "AKIDcosdoctorTESTsecretid0000000000A"
SECRET_KEY = "test-secret-key-never-printed-0001"
PROXY_PASSWORD = "proxy-password-never-printed"
# urllib3 1.26 (botocore pins it below Python 3.10) words and enforces some failures otherwise.
URLLIB3_1 = urllib3.__version__.startswith("1.")


@pytest.fixture(autouse=True)
def _installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    cos_doctor.install()
    yield
    cos_doctor.uninstall()  # urllib3 1.26's leaked sockets: collected by integration/conftest.py


def _client(retry: int = 0, **settings: Any) -> CosS3Client:
    config = CosConfig(Region="ap-guangzhou", SecretId=SECRET_ID, SecretKey=SECRET_KEY, **settings)
    return CosS3Client(config, retry=retry)


def _one_failure(events: list[dict[str, Any]]) -> dict[str, Any]:
    failures = [event for event in events if event["event"] == "cos_request_failed"]
    assert len(failures) == 1, failures
    return failures[0]


def _fail(
    client: CosS3Client, call: str = "get_object", **kwargs: Any
) -> tuple[Any, dict[str, Any]]:
    keyless = call in {"list_objects", "head_bucket"}
    arguments = {"Bucket": BUCKET, **({} if keyless else {"Key": "a.txt"}), **kwargs}
    with capture_logs() as events, pytest.raises(CosClientError) as caught:
        getattr(client, call)(**arguments)
    error = caught.value
    assert isinstance(error, cos_doctor.CosDiagnosedClientError)
    assert error.diagnosis is not None
    return error, _one_failure(events)


@functools.cache
def _invalid_names_fail_here() -> str | None:
    """None when a ``.invalid`` name (RFC 6761) fails to resolve within 5 s here; else why not."""
    outcome: list[object] = []

    def resolve() -> None:
        try:
            outcome.append(socket.getaddrinfo("cos-doctor-probe.invalid", 80))
        except OSError as error:
            outcome.append(error)

    thread = threading.Thread(target=resolve, daemon=True)
    thread.start()
    thread.join(timeout=5)
    if not outcome:
        return "resolving a .invalid name did not finish within 5 s here (no network, slow DNS)"
    if not isinstance(outcome[0], socket.gaierror):
        return f"a .invalid name did not fail to resolve here ({outcome[0]!r}): a DNS answers every name"
    return None


@pytest.fixture
def _dns_fails_fast() -> None:
    """Skip, saying why, where a ``.invalid`` name does not fail to resolve quickly."""
    reason = _invalid_names_fail_here()
    if reason is not None:
        pytest.skip(reason)


@pytest.mark.usefixtures("_dns_fails_fast")
def test_an_unresolvable_custom_domain_is_a_dns_failure_naming_the_setting() -> None:
    """Domain= pointing at a name that does not resolve: host, its source, region and bucket checks."""
    error, event = _fail(
        _client(Domain="examplebucket-1250000000.cos.ap-guangzou.invalid", Scheme="http")
    )
    diagnosis = error.diagnosis
    assert diagnosis.rule_id == "client-dns-failure"
    assert (
        diagnosis.evidence_value("failed_host")
        == "examplebucket-1250000000.cos.ap-guangzou.invalid"
    )
    assert diagnosis.evidence_value("host_source") == "domain"
    assert diagnosis.evidence_value("region_known") is True
    assert diagnosis.evidence_value("bucket_well_formed") is True
    assert diagnosis.evidence_value("attempts") == 1
    assert event["cos_doctor.rule_id"] == "client-dns-failure"
    assert event["cos.operation"] == "get_object"


@pytest.mark.usefixtures("_dns_fails_fast")
def test_a_custom_endpoint_with_a_typo_is_named_as_the_source() -> None:
    """Endpoint= is reported as what produced the unresolvable host."""
    error, _ = _fail(_client(Endpoint="cos.ap-guangzou.invalid", Scheme="http"))
    assert error.diagnosis.rule_id == "client-dns-failure"
    assert error.diagnosis.evidence_value("host_source") == "endpoint"
    assert error.diagnosis.evidence_value("failed_host") == f"{BUCKET}.cos.ap-guangzou.invalid"


def test_a_closed_port_is_connection_refused() -> None:
    """Nothing listening at IP:Port: refused, with IP= named as the source of the host."""
    error, event = _fail(_client(IP="127.0.0.1", Port=closed_port(), Scheme="http"))
    assert error.diagnosis.rule_id == "client-connection-refused"
    assert error.diagnosis.evidence_value("host_source") == "ip"
    assert error.diagnosis.evidence_value("failed_host") == "127.0.0.1"
    assert event["cos_doctor.evidence"]["attempts"] == 1


def test_a_server_that_never_answers_is_a_read_timeout_with_attempts_and_sleep() -> None:
    """The configured Timeout, the SDK's two attempts and the sleep it made between them are reported."""
    with silent_server() as port, sdk_retry_sleeps() as slept:
        error, _ = _fail(_client(retry=1, IP="127.0.0.1", Port=port, Scheme="http", Timeout=0.25))
    diagnosis = error.diagnosis
    assert diagnosis.rule_id == "client-read-timeout"
    assert diagnosis.evidence_value("timeout_seconds") == 0.25
    assert diagnosis.evidence_value("attempts") == 2
    assert slept == [1]
    assert diagnosis.evidence_value("retry_sleep_seconds") == sum(slept)


def test_a_server_whose_backlog_is_full_is_a_connect_timeout() -> None:
    """No answer to the SYN: a connect timeout (not a read timeout), with the Timeout in force."""
    with full_backlog_server() as port:
        error, event = _fail(_client(IP="127.0.0.1", Port=port, Scheme="http", Timeout=0.25))
    assert error.diagnosis.rule_id == "client-connect-timeout"
    assert error.diagnosis.evidence_value("timeout_seconds") == 0.25
    assert error.diagnosis.evidence_value("host_source") == "ip"
    assert event["cos_doctor.evidence"]["attempts"] == 1


def test_a_self_signed_certificate_is_a_tls_failure(tmp_path: Path) -> None:
    """https to a server whose certificate nobody trusts: the untrusted-CA rule, Scheme and VerifySSL shown."""
    with self_signed_tls_server(tmp_path) as port:
        error, _ = _fail(_client(IP="127.0.0.1", Port=port, Scheme="https"))
    assert error.diagnosis.rule_id == "client-tls-untrusted"
    assert error.diagnosis.evidence_value("scheme") == "https"
    assert "SSL" in " ".join(error.diagnosis.evidence_value("exception_chain") or ())


def test_a_refusing_proxy_is_a_proxy_failure_without_its_password() -> None:
    """CosConfig(Proxies=…) to a dead proxy: the proxy rule, the proxy shown, its password never."""
    proxy = f"http://user:{PROXY_PASSWORD}@127.0.0.1:{closed_port()}"
    error, event = _fail(_client(Scheme="http", Proxies={"http": proxy, "https": proxy}))
    diagnosis = error.diagnosis
    assert diagnosis.rule_id == "client-proxy-failure"
    shown = diagnosis.evidence_value("proxy_configured")
    assert isinstance(shown, tuple)
    assert any(item.startswith("http=http://127.0.0.1:") for item in shown)
    everything = repr(diagnosis.to_dict()) + diagnosis.render() + repr(event) + str(error)
    assert PROXY_PASSWORD not in everything


def test_the_proxy_from_the_environment_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP_PROXY in the environment (no Proxies in CosConfig) is reported as the proxy's source."""
    monkeypatch.setenv("HTTP_PROXY", f"http://user:{PROXY_PASSWORD}@127.0.0.1:{closed_port()}")
    error, _ = _fail(_client(Scheme="http"))
    assert error.diagnosis.rule_id == "client-proxy-failure"
    variables = error.diagnosis.evidence_value("proxy_environment")
    assert isinstance(variables, tuple)
    assert variables[0].startswith("HTTP_PROXY=http://127.0.0.1:")
    assert PROXY_PASSWORD not in error.diagnosis.render()


@pytest.mark.parametrize(
    "password", ["VeryLongProxySecret#1", "AnotherLongSecret/9", PROXY_PASSWORD]
)
def test_a_proxy_url_urllib3_cannot_parse_never_shows_its_password(password: str) -> None:
    """urllib3 quotes an unparsable proxy URL by pieces ('user:pass' is not a valid host): none of them is shown."""
    proxy = f"http://alice:{password}@127.0.0.1:{closed_port()}"
    error, event = _fail(_client(Scheme="http", Proxies={"http": proxy, "https": proxy}))
    everything = (
        repr(error.diagnosis.to_dict()) + error.diagnosis.render() + repr(event) + str(error)
    )
    for piece in (password, *re.split(r"[#?/]", password)):
        if len(piece) >= 8:
            assert piece not in everything, piece


def test_the_client_error_keeps_the_sdk_cause_chain() -> None:
    """The diagnosed copy keeps the chain the SDK raised it with: requests' exception under the CosClientError."""
    import requests

    error, _ = _fail(_client(IP="127.0.0.1", Port=closed_port(), Scheme="http"))
    assert isinstance(error.__context__, requests.exceptions.ConnectionError)
    assert not error.__suppress_context__


def test_the_client_error_keeps_the_sdk_message_and_pickles() -> None:
    """Same args as the SDK's CosClientError; the copy survives a pickle round trip."""
    error, _ = _fail(_client(IP="127.0.0.1", Port=closed_port(), Scheme="http"))
    assert "Connection refused" in error.args[0] or "refused" in error.args[0].lower()
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is cos_doctor.CosDiagnosedClientError
    assert again.args == error.args
    assert again.diagnosis == error.diagnosis


ERROR_IN_200 = (
    b"<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n\t<Code>CopyObjectAborted</Code>\n"
    b"\t<Message>The copy was aborted.</Message>\n\t<RequestId>NjU1ZjA0YjNfbG9vcGJhY2s=</RequestId>\n</Error>"
)


def test_an_error_inside_a_200_reply_is_diagnosed_at_the_raise_site() -> None:
    """copy_object's 200 whose body is an <Error>: a CosDiagnosedError with status 200, once."""
    with scripted_cos(lambda handler, body: (200, ERROR_IN_200)) as port:
        client = _client(IP="127.0.0.1", Port=port, Scheme="http")
        source = {"Bucket": BUCKET, "Key": "src.txt", "Region": "ap-guangzhou"}
        with capture_logs() as events, pytest.raises(CosServiceError) as caught:
            client.copy_object(Bucket=BUCKET, Key="dst.txt", CopySource=source)
    error = caught.value
    assert isinstance(error, cos_doctor.CosDiagnosedError)
    assert error.diagnosis is not None
    assert error.diagnosis.rule_id == "error-in-ok-reply"
    assert error.diagnosis.http_status == 200
    assert error.diagnosis.error_code == "CopyObjectAborted"
    assert error.diagnosis.evidence_value("error_in_ok_reply") is True
    assert _one_failure(events)["cos.operation"] == "copy_object"


UPLOAD_ID = "1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437acdc833cf654b9ecc6361"
SIGNATURE_ERROR = (
    b"<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n\t<Code>SignatureDoesNotMatch</Code>\n"
    b"\t<Message>The request signature we calculated does not match the signature you provided. "
    b"Check your key and signing method.</Message>\n\t<RequestId>NjU1ZjA0YjNfcGFydA==</RequestId>\n</Error>"
)


def _multipart_script(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes] | None:
    """List: nothing to resume; initiate: an UploadId; odd parts: bad signature; even: reset."""
    if handler.command == "GET":
        return 200, b"<ListMultipartUploadsResult></ListMultipartUploadsResult>"
    if handler.command == "POST":
        return 200, (
            b"<InitiateMultipartUploadResult><Bucket>"
            + BUCKET.encode()
            + b"</Bucket><Key>big.bin</Key>"
            b"<UploadId>" + UPLOAD_ID.encode() + b"</UploadId></InitiateMultipartUploadResult>"
        )
    number = int(re.search(r"partNumber=(\d+)", handler.path).group(1))  # type: ignore[union-attr]
    return (403, SIGNATURE_ERROR) if number % 2 else None


def test_upload_file_parts_failing_by_signature_and_reset_give_one_grouped_diagnosis(
    tmp_path: Path,
) -> None:
    """upload_file over its threshold: one exception, one event, parts grouped, cleanup call given."""
    source = tmp_path / "big.bin"
    source.write_bytes(b"x" * (4 * 1024 * 1024))
    with scripted_cos(_multipart_script) as port:
        client = _client(IP="127.0.0.1", Port=port, Scheme="http")
        with capture_logs() as events, pytest.raises(CosClientError) as caught:
            client.upload_file(
                Bucket=BUCKET, Key="big.bin", LocalFilePath=str(source), PartSize=1, MAXThread=2
            )
    error = caught.value
    assert isinstance(error, cos_doctor.CosDiagnosedClientError)
    diagnosis = error.diagnosis
    assert diagnosis is not None
    assert diagnosis.rule_id == "client-parts-failed"
    assert diagnosis.operation == "upload_file"
    assert diagnosis.evidence_value("parts_failed") == 4
    assert diagnosis.parts_total == 4
    assert sorted(diagnosis.evidence_value("part_failure_groups") or ()) == [
        "2 × SignatureDoesNotMatch",
        "2 × client-connection-reset",
    ]
    assert diagnosis.evidence_value("incomplete_upload") == UPLOAD_ID
    assert "abort_multipart_upload" in diagnosis.render()
    groups = {group["rule_id"]: group for group in diagnosis.to_dict()["parts"]}
    assert groups["signature-mismatch"]["part_numbers"] == [1, 3]
    assert groups["client-connection-reset"]["part_numbers"] == [2, 4]
    event = _one_failure(events)
    assert event["cos.operation"] == "upload_file"
    assert event["cos_doctor.rule_id"] == "client-parts-failed"


def test_a_body_that_breaks_while_get_object_streams_it_to_a_file_keeps_its_type(
    tmp_path: Path,
) -> None:
    """get_stream_to_file on a truncated body: the same exception type, now with .diagnosis, once."""
    with truncating_cos(4096) as port:
        client = _client(IP="127.0.0.1", Port=port, Scheme="http")
        body = client.get_object(Bucket=BUCKET, Key="a.txt")["Body"]
        with capture_logs() as events, pytest.raises(Exception) as caught:
            body.get_stream_to_file(str(tmp_path / "a.txt"))
    error = caught.value
    assert not isinstance(error, cos_doctor.CosDiagnosedClientError)  # the type the SDK raises
    diagnosis = error.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.rule_id == "client-body-interrupted"
    assert diagnosis.operation == "get_object"
    assert diagnosis.request_id == "NjU1ZjA0YjNfdHJ1bmNhdGVk"
    assert _one_failure(events)["cos_doctor.rule_id"] == "client-body-interrupted"


def test_download_file_parts_whose_bodies_break_are_grouped(tmp_path: Path) -> None:
    """download_file over its threshold: every part's broken body counted, one event for the call."""
    with truncating_cos(3 * 1024 * 1024) as port:
        client = _client(IP="127.0.0.1", Port=port, Scheme="http")
        with capture_logs() as events, pytest.raises(CosClientError) as caught:
            client.download_file(
                Bucket=BUCKET,
                Key="big.bin",
                DestFilePath=str(tmp_path / "big.bin"),
                PartSize=1,
                MAXThread=2,
            )
    diagnosis = caught.value.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.rule_id == "client-parts-failed"
    assert diagnosis.operation == "download_file"
    assert diagnosis.evidence_value("parts_failed") == 3
    assert diagnosis.evidence_value("part_failure_groups") == ("3 × client-body-interrupted",)
    assert diagnosis.evidence_value("incomplete_upload") is None
    assert _one_failure(events)["cos.operation"] == "download_file"


SERVICE_UNAVAILABLE = (
    b"<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n\t<Code>ServiceUnavailable</Code>\n"
    b"\t<Message>Please reduce your request rate.</Message>\n\t<RequestId>NjU1ZjA0YjNfYmFja3Vw</RequestId>\n</Error>"
)


def _gateway_then_cos(
    handler: BaseHTTPRequestHandler, body: bytes
) -> tuple[int, bytes] | tuple[int, bytes, dict[str, str]]:
    """As a proxy: myqcloud.com answers like a broken gateway (no request id), tencentcos.cn like COS."""
    if "myqcloud.com" in handler.path:
        return 502, b"Bad Gateway", {"Server": "nginx", "Content-Type": "text/plain"}
    return 503, SERVICE_UNAVAILABLE


def test_auto_switch_domain_reports_what_the_primary_domain_answered() -> None:
    """AutoSwitchDomainOnRetry: the diagnosis is the backup's, and says what myqcloud.com answered."""
    with scripted_cos(_gateway_then_cos) as port:
        proxy = f"http://127.0.0.1:{port}"
        client = _client(
            retry=1, Scheme="http", Proxies={"http": proxy}, AutoSwitchDomainOnRetry=True
        )
        with (
            sdk_retry_sleeps() as slept,
            capture_logs() as events,
            pytest.raises(CosServiceError) as caught,
        ):
            client.get_object(Bucket=BUCKET, Key="a.txt")
    assert slept == [1]  # the one retry, to the backup domain
    diagnosis = caught.value.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.error_code == "ServiceUnavailable"
    assert diagnosis.evidence_value("attempts") == 2
    answer = [item for item in diagnosis.evidence if item.key == "primary_domain_answer"]
    assert len(answer) == 1
    assert f"{BUCKET}.cos.ap-guangzhou.myqcloud.com" in answer[0].text
    assert "x-cos-request-id" in answer[0].text
    assert _one_failure(events)["error.type"] == "ServiceUnavailable"


def test_delete_objects_errors_returned_as_data_are_logged_once_and_diagnosable(
    emulator: Emulator,
) -> None:
    """A sub-account without rights deletes two keys: the result is unchanged, one event names them."""
    from cos_doctor.emulator import DEFAULT_SUB_SECRET_ID, DEFAULT_SUB_UIN

    owner = emulator.client()
    for key in ("logs/a.txt", "logs/b.txt"):
        owner.put_object(Bucket=emulator.bucket, Key=key, Body=b"x")
    # May send the batch request, may not delete any object.
    may_batch = {
        "statement": [
            {"effect": "allow", "action": ["name/cos:DeleteMultipleObjects"], "resource": ["*"]}
        ]
    }
    emulator.state.set_user_policy(DEFAULT_SUB_UIN, may_batch)
    deleter = emulator.client(DEFAULT_SUB_SECRET_ID)
    request = {"Object": [{"Key": "logs/a.txt"}, {"Key": "logs/b.txt"}], "Quiet": "false"}
    with capture_logs() as events:
        result = deleter.delete_objects(Bucket=emulator.bucket, Delete=request)
    assert [entry["Key"] for entry in result["Error"]] == ["logs/a.txt", "logs/b.txt"]
    event = _one_failure(events)
    assert event["cos_doctor.rule_id"] == "delete-objects-errors"
    assert event["cos.operation"] == "delete_objects"
    assert event["cos_doctor.evidence"]["keys_failed"] == 2
    diagnosis = cos_doctor.diagnose(result)
    assert diagnosis.rule_id == "delete-objects-errors"
    group = diagnosis.to_dict()["parts"][0]
    assert group["error_code"] == "AccessDenied"
    assert group["keys"] == ["logs/a.txt", "logs/b.txt"]


def _copy_script(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes] | None:
    """As a proxy: the source is 3 MiB; initiate gives an UploadId; part copies fail as above."""
    if handler.command == "HEAD":
        return (
            200,
            b"",
            {
                "Server": "tencent-cos",
                "Content-Length": str(3 * 1024 * 1024),
                "x-cos-request-id": "NjU1ZjA0YjNfaGVhZA==",
            },
        )  # type: ignore[return-value]
    if handler.command == "POST":
        return _multipart_script(handler, body)
    return _multipart_script(handler, body)


def test_copy_parts_failing_are_grouped_and_the_upload_left_behind_is_named() -> None:
    """copy across regions over its part threshold: one exception, one event, the parts grouped."""
    with scripted_cos(_copy_script) as port:
        proxy = f"http://127.0.0.1:{port}"
        client = _client(Scheme="http", Proxies={"http": proxy})
        client._conf.set_copy_part_threshold_size(1024 * 1024)
        source = {"Bucket": "source-1250000000", "Key": "big.bin", "Region": "ap-beijing"}
        with capture_logs() as events, pytest.raises(CosClientError) as caught:
            client.copy(Bucket=BUCKET, Key="big.bin", CopySource=source, PartSize=1, MAXThread=2)
    diagnosis = caught.value.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.rule_id == "client-parts-failed"
    assert diagnosis.operation == "copy"
    assert diagnosis.evidence_value("parts_failed") == 3
    assert diagnosis.evidence_value("incomplete_upload") == UPLOAD_ID
    assert _one_failure(events)["cos.operation"] == "copy"


def test_upload_file_from_buffer_parts_failing_are_grouped() -> None:
    """upload_file_from_buffer over one part: the parts' failures grouped, one event."""
    import io

    with scripted_cos(_multipart_script) as port:
        client = _client(IP="127.0.0.1", Port=port, Scheme="http")
        stream = io.BytesIO(b"x" * (3 * 1024 * 1024))
        with capture_logs() as events, pytest.raises(CosClientError) as caught:
            client.upload_file_from_buffer(
                Bucket=BUCKET, Key="big.bin", Body=stream, PartSize=1, MAXThread=2
            )
    diagnosis = caught.value.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.rule_id == "client-parts-failed"
    assert diagnosis.operation == "upload_file_from_buffer"
    assert diagnosis.evidence_value("parts_failed") == 3
    assert diagnosis.parts_total == 3
    assert diagnosis.evidence_value("incomplete_upload") == UPLOAD_ID
    assert _one_failure(events)["cos.operation"] == "upload_file_from_buffer"


def test_diagnose_reads_a_client_error_caught_without_install() -> None:
    """A CosClientError caught with cos_doctor uninstalled is diagnosed from its traceback."""
    cos_doctor.uninstall()
    client = _client(IP="127.0.0.1", Port=closed_port(), Scheme="http")
    with pytest.raises(CosClientError) as caught:
        client.head_object(Bucket=BUCKET, Key="a.txt")
    assert type(caught.value) is CosClientError
    diagnosis = cos_doctor.diagnose(caught.value)
    assert diagnosis.rule_id == "client-connection-refused"
    assert diagnosis.operation == "head_object"
    assert diagnosis.evidence_value("host_source") == "ip"


def test_a_non_string_header_value_raised_inside_send_request_is_diagnosed_by_the_hook() -> None:
    """Metadata with an int: requests refuses it inside send_request; the hook names the rule."""
    client = _client(IP="127.0.0.1", Port=closed_port(), Scheme="http")
    error, event = _fail(client, "put_object", Body=b"x", Metadata={"x-cos-meta-count": 1})
    assert error.diagnosis.rule_id == "client-header-value-type"
    assert event["cos.operation"] == "put_object"


ARGUMENT_ERRORS = {
    "client-not-utf8": lambda client: client.put_object(Bucket=BUCKET, Body=b"x", Key=b"\xff\xfe"),
    "client-bucket-name-invalid": lambda client: client.get_object(
        Bucket=f"https://{BUCKET}.cos.ap-guangzhou.myqcloud.com", Key="a.txt"
    ),
    "client-credentials-missing": lambda client: CosConfig(
        Region="ap-guangzhou", SecretId=None, SecretKey=None
    ),
}


@pytest.mark.parametrize("rule_id", sorted(ARGUMENT_ERRORS))
def test_sdk_argument_errors_raised_before_any_request_are_diagnosable(rule_id: str) -> None:
    """The SDK's own argument checks raise before send_request: the hook reaches them, once."""
    client = _client(IP="127.0.0.1", Port=closed_port(), Scheme="http")
    with capture_logs() as events, pytest.raises(cos_doctor.CosDiagnosedClientError) as caught:
        ARGUMENT_ERRORS[rule_id](client)
    assert _one_failure(events)["cos_doctor.rule_id"] == rule_id
    assert caught.value.diagnosis is not None
    assert caught.value.diagnosis.rule_id == rule_id
    assert cos_doctor.diagnose(caught.value).rule_id == rule_id


# --- Every requests / urllib3 failure the SDK wraps, provoked for real (issue 17 part 2) ---------


@pytest.mark.usefixtures("_dns_fails_fast")
def test_a_region_that_does_not_exist_is_a_dns_failure_of_the_host_it_built() -> None:
    """Endpoint under .invalid (RFC 6761, never resolvable): gaierror (urllib3 2 wraps it in NameResolutionError), the DNS rule."""
    error, event = _fail(_client(Endpoint="cos.ap-nowhere.invalid", Scheme="https"))
    assert error.diagnosis.rule_id == "client-dns-failure"
    chain = error.diagnosis.evidence_value("exception_chain") or ()
    assert "gaierror" in chain
    assert ("NameResolutionError" in chain) is not URLLIB3_1
    assert event["cos_doctor.rule_id"] == "client-dns-failure"


def test_a_server_that_resets_the_connection_is_a_reset() -> None:
    """An RST (SO_LINGER 0) instead of a reply: ConnectionResetError, the reset rule, one event."""
    with scripted_cos(lambda handler, body: None) as port:
        error, event = _fail(_client(IP="127.0.0.1", Port=port, Scheme="http"))
    assert error.diagnosis.rule_id == "client-connection-reset"
    assert "ConnectionResetError" in (error.diagnosis.evidence_value("exception_chain") or ())
    assert event["cos_doctor.rule_id"] == "client-connection-reset"


def test_a_server_that_closes_before_answering_is_remote_disconnected() -> None:
    """Accept, then close without a word: RemoteDisconnected, the reset rule."""
    with raw_server(None) as port:
        error, _ = _fail(_client(IP="127.0.0.1", Port=port, Scheme="http"))
    assert error.diagnosis.rule_id == "client-connection-reset"
    assert "RemoteDisconnected" in (error.diagnosis.evidence_value("exception_chain") or ())


def test_a_server_that_closes_while_the_body_is_still_being_sent_is_a_reset() -> None:
    """put_object of 8 MiB to a server that closes at once: the broken send (EPIPE) ends as the reset rule."""
    with raw_server(None) as port:
        client = _client(IP="127.0.0.1", Port=port, Scheme="http")
        error, event = _fail(client, "put_object", Body=b"x" * (8 * 1024 * 1024))
    assert error.diagnosis.rule_id == "client-connection-reset"
    assert event["cos.operation"] == "put_object"


BAD_CHUNK = b"HTTP/1.1 200 OK\r\nServer: tencent-cos\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
SHORT_BODY = (
    b"HTTP/1.1 200 OK\r\nServer: tencent-cos\r\nContent-Length: 100\r\n\r\n<ListBucketResult>"
)


@pytest.mark.parametrize(
    ("reply", "inner"),
    [
        (BAD_CHUNK, "InvalidChunkLength"),
        pytest.param(
            SHORT_BODY,
            "IncompleteRead",
            marks=pytest.mark.skipif(
                URLLIB3_1, reason="urllib3 1.26 does not enforce Content-Length: no IncompleteRead"
            ),
        ),
    ],
    ids=["invalid-chunk-length", "incomplete-read"],
)
def test_a_reply_body_that_breaks_inside_send_request_is_body_interrupted(
    reply: bytes, inner: str
) -> None:
    """list_objects reads its body inside send_request: ChunkedEncodingError there is the broken-body rule."""
    with raw_server(reply) as port:
        error, event = _fail(_client(IP="127.0.0.1", Port=port, Scheme="http"), "list_objects")
    assert error.diagnosis.rule_id == "client-body-interrupted"
    assert inner in str(error)
    assert "ChunkedEncodingError" in (error.diagnosis.evidence_value("exception_chain") or ())
    assert event["cos.operation"] == "list_objects"


def test_https_to_a_plain_http_port_is_the_plain_port_rule() -> None:
    """Scheme='https' to a server speaking http: WRONG_VERSION_NUMBER, the plain-port rule."""
    with scripted_cos(lambda handler, body: (200, b"")) as port:
        error, _ = _fail(_client(IP="127.0.0.1", Port=port, Scheme="https"))
    assert error.diagnosis.rule_id == "client-tls-plain-port"
    assert error.diagnosis.evidence_value("host_source") == "ip"


def test_plain_http_to_a_tls_port_is_a_reset(tmp_path: Path) -> None:
    """Scheme='http' to a TLS server: it fails its handshake and closes; the reset rule, which names that cause."""
    with self_signed_tls_server(tmp_path) as port:
        error, _ = _fail(_client(IP="127.0.0.1", Port=port, Scheme="http"))
    assert error.diagnosis.rule_id == "client-connection-reset"
    assert "port that expects https" in error.diagnosis.render()


def test_a_server_that_closes_during_the_tls_handshake_is_the_tls_rule() -> None:
    """https to a server that accepts and closes: an EOF in the handshake, the TLS rule.

    Python 3.10+ raise SSLEOFError (EOF occurred in violation of protocol), 3.9
    SSLZeroReturnError (TLS/SSL connection has been closed (EOF)).
    """
    with raw_server(None) as port:
        error, _ = _fail(_client(IP="127.0.0.1", Port=port, Scheme="https"))
    assert error.diagnosis.rule_id == "client-tls-failure"
    chain = error.diagnosis.evidence_value("exception_chain") or ()
    assert {"SSLEOFError", "SSLZeroReturnError"} & set(chain)


def test_an_expired_certificate_is_the_expired_rule(tmp_path: Path) -> None:
    """A trusted certificate valid only in January 2020: 'certificate has expired', the expired rule."""
    cert, key = certificate(tmp_path, "127.0.0.1", expired=True)
    with tls_server(cert, key) as port:
        error, event = _fail(
            _client(IP="127.0.0.1", Port=port, Scheme="https", VerifySSL=str(cert))
        )
    assert error.diagnosis.rule_id == "client-tls-expired"
    assert "certificate has expired" in str(error)
    assert event["cos_doctor.rule_id"] == "client-tls-expired"


def test_a_certificate_for_another_name_is_the_hostname_rule(tmp_path: Path) -> None:
    """A trusted certificate for other.invalid served at 127.0.0.1: a mismatch, the hostname rule."""
    cert, key = certificate(tmp_path, "other.invalid")
    with tls_server(cert, key) as port:
        error, _ = _fail(_client(IP="127.0.0.1", Port=port, Scheme="https", VerifySSL=str(cert)))
    assert error.diagnosis.rule_id == "client-tls-hostname"
    assert "mismatch" in str(error) or "doesn't match" in str(error)
    assert error.diagnosis.evidence_value("host_source") == "ip"


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_a_proxy_answering_407_is_the_proxy_credentials_rule(scheme: str) -> None:
    """407 to CONNECT (https: ProxyError) and to a plain proxied GET (http: the proxy's reply): one rule, no password shown."""
    with refusing_proxy(407, "Proxy Authentication Required") as port:
        proxy = f"http://alice:{PROXY_PASSWORD}@127.0.0.1:{port}"
        client = _client(Scheme=scheme, Proxies={"http": proxy, "https": proxy})
        with capture_logs() as events, pytest.raises(Exception) as caught:  # either SDK error
            client.get_object(Bucket=BUCKET, Key="a.txt")
    error = caught.value
    expected = CosClientError if scheme == "https" else CosServiceError
    assert isinstance(error, expected)
    diagnosis = error.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.rule_id == "client-proxy-auth"
    assert _one_failure(events)["cos_doctor.rule_id"] == "client-proxy-auth"
    shown = diagnosis.evidence_value("proxy_configured")
    assert isinstance(shown, tuple)
    assert PROXY_PASSWORD not in repr(diagnosis.to_dict()) + diagnosis.render() + repr(events)


def test_a_proxy_answering_502_to_connect_is_the_proxy_rule() -> None:
    """'Tunnel connection failed: 502 Bad Gateway': the proxy could not reach COS; the proxy rule."""
    with refusing_proxy(502, "Bad Gateway") as port:
        proxy = f"http://127.0.0.1:{port}"
        error, _ = _fail(_client(Scheme="https", Proxies={"http": proxy, "https": proxy}))
    assert error.diagnosis.rule_id == "client-proxy-failure"
    assert "Tunnel connection failed: 502" in str(error)


def test_a_proxy_answering_502_to_a_plain_request_is_shown_as_not_from_cos() -> None:
    """A proxied http GET answered 502 by the proxy: an honest generic 5xx whose evidence names a proxy."""
    with refusing_proxy(502, "Bad Gateway") as port:
        client = _client(Scheme="http", Proxies={"http": f"http://127.0.0.1:{port}"})
        with capture_logs() as events, pytest.raises(CosServiceError) as caught:
            client.get_object(Bucket=BUCKET, Key="a.txt")
    diagnosis = caught.value.diagnosis  # type: ignore[attr-defined]
    assert diagnosis.generic
    assert diagnosis.http_status == 502
    assert "tencent-cos" in " ".join(item.text for item in diagnosis.evidence)
    assert _one_failure(events)["error.type"]


@pytest.mark.parametrize(
    ("proxy", "scheme"),
    [
        ("localhost:{port}", "http"),  # no scheme: requests' InvalidProxyURL
        ("ftp://127.0.0.1:{port}", "http"),  # urllib3's ProxySchemeUnknown, as InvalidURL
        ("https://127.0.0.1:{port}", "https"),  # a plain proxy as https://, CONNECT
        ("https://127.0.0.1:{port}", "http"),  # a plain proxy as https://, forwarding
    ],
    ids=[
        "no-scheme",
        "ftp-scheme",
        "https-url-plain-proxy-connect",
        "https-url-plain-proxy-forward",
    ],
)
def test_a_proxy_url_with_the_wrong_scheme_is_the_proxy_scheme_rule(
    proxy: str, scheme: str
) -> None:
    """A proxy URL requests or urllib3 cannot use as written: the scheme rule, whose first step writes http://."""
    with scripted_cos(lambda handler, body: (200, b"")) as port:
        url = proxy.format(port=port)
        error, _ = _fail(_client(Scheme=scheme, Proxies={"http": url, "https": url}))
    assert error.diagnosis.rule_id == "client-proxy-scheme"
    assert "'https': 'http://" in error.diagnosis.steps[0]


EMFILE_CHILD = """
import json, os, resource, sys
import cos_doctor
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosClientError
cos_doctor.install()
def client(port):
    config = CosConfig(Region="ap-guangzhou", SecretId="AKID" + "x" * 32, SecretKey="k" * 32,
                       IP="127.0.0.1", Port=port, Scheme="http")
    return CosS3Client(config, retry=0)
# One diagnosed failure first (a refused connection): the failure path imports its modules
# lazily, and importing opens files, which the limit below forbids.
try:
    client(int(sys.argv[2])).get_object(Bucket="examplebucket-1250000000", Key="a.txt")
except CosClientError:
    pass
# Listing the directory holds one descriptor more than the process keeps afterwards.
held = len(os.listdir("/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd")) - 1
resource.setrlimit(resource.RLIMIT_NOFILE, (held, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
try:
    client(int(sys.argv[1])).get_object(Bucket="examplebucket-1250000000", Key="a.txt")
except CosClientError as error:
    diagnosis = getattr(error, "diagnosis", None)
    print(json.dumps({"type": type(error).__name__, "message": str(error)[:300],
                      "rule": diagnosis.rule_id if diagnosis else None}))
else:
    print(json.dumps({"type": None, "message": "no error", "rule": None}))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_NOFILE is POSIX")
def test_too_many_open_files_is_its_own_rule() -> None:
    """A process at RLIMIT_NOFILE: socket() fails with EMFILE, the open-files rule (in a child process)."""
    with scripted_cos(lambda handler, body: (200, b"")) as port:
        child = subprocess.run(
            [sys.executable, "-c", EMFILE_CHILD, str(port), str(closed_port())],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
    assert child.returncode == 0, child.stderr[-2000:]
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert "Too many open files" in result["message"]
    assert result["type"] == "CosDiagnosedClientError"
    assert result["rule"] == "client-too-many-open-files"
