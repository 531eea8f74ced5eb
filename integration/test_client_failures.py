"""Client-side failures of the real SDK against loopback servers: each diagnosed, once.

No request here reaches the internet: hosts end in ``.invalid`` (never resolvable), servers
bind 127.0.0.1. Every case asserts the rule, its key evidence and exactly one event.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosClientError, CosServiceError
from structlog.testing import capture_logs

import cos_doctor
from integration.loopback import closed_port, scripted_cos, self_signed_tls_server, silent_server

BUCKET = "examplebucket-1250000000"
SECRET_ID = "AKIDcosdoctorTESTsecretid0000000000A"
SECRET_KEY = "test-secret-key-never-printed-0001"
PROXY_PASSWORD = "proxy-password-never-printed"


@pytest.fixture(autouse=True)
def _installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    cos_doctor.install()
    yield
    cos_doctor.uninstall()


def _client(retry: int = 0, **settings: Any) -> CosS3Client:
    config = CosConfig(Region="ap-guangzhou", SecretId=SECRET_ID, SecretKey=SECRET_KEY, **settings)
    return CosS3Client(config, retry=retry)


def _one_failure(events: list[dict[str, Any]]) -> dict[str, Any]:
    failures = [event for event in events if event["event"] == "cos_request_failed"]
    assert len(failures) == 1, failures
    return failures[0]


def _fail(client: CosS3Client, call: str = "get_object", **kwargs: Any) -> tuple[Any, dict[str, Any]]:
    arguments = {"Bucket": BUCKET, "Key": "a.txt", **kwargs}
    with capture_logs() as events, pytest.raises(CosClientError) as caught:
        getattr(client, call)(**arguments)
    error = caught.value
    assert isinstance(error, cos_doctor.CosDiagnosedClientError)
    assert error.diagnosis is not None
    return error, _one_failure(events)


def test_an_unresolvable_custom_domain_is_a_dns_failure_naming_the_setting() -> None:
    """Domain= pointing at a name that does not resolve: host, its source, region and bucket checks."""
    error, event = _fail(_client(Domain="examplebucket-1250000000.cos.ap-guangzou.invalid", Scheme="http"))
    diagnosis = error.diagnosis
    assert diagnosis.rule_id == "client-dns-failure"
    assert diagnosis.evidence_value("failed_host") == "examplebucket-1250000000.cos.ap-guangzou.invalid"
    assert diagnosis.evidence_value("host_source") == "domain"
    assert diagnosis.evidence_value("region_known") is True
    assert diagnosis.evidence_value("bucket_well_formed") is True
    assert diagnosis.evidence_value("attempts") == 1
    assert event["cos_doctor.rule_id"] == "client-dns-failure"
    assert event["cos.operation"] == "get_object"


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
    """The configured Timeout, the SDK's two attempts and its 1 s sleep between them are reported."""
    with silent_server() as port:
        error, _ = _fail(_client(retry=1, IP="127.0.0.1", Port=port, Scheme="http", Timeout=1))
    diagnosis = error.diagnosis
    assert diagnosis.rule_id == "client-read-timeout"
    assert diagnosis.evidence_value("timeout_seconds") == 1.0
    assert diagnosis.evidence_value("attempts") == 2
    assert diagnosis.evidence_value("retry_sleep_seconds") == 1


def test_a_self_signed_certificate_is_a_tls_failure(tmp_path: Path) -> None:
    """https to a server whose certificate nobody trusts: the TLS rule, Scheme and VerifySSL shown."""
    with self_signed_tls_server(tmp_path) as port:
        error, _ = _fail(_client(IP="127.0.0.1", Port=port, Scheme="https"))
    assert error.diagnosis.rule_id == "client-tls-failure"
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
            b"<InitiateMultipartUploadResult><Bucket>" + BUCKET.encode() + b"</Bucket><Key>big.bin</Key>"
            b"<UploadId>" + UPLOAD_ID.encode() + b"</UploadId></InitiateMultipartUploadResult>"
        )
    number = int(re.search(r"partNumber=(\d+)", handler.path).group(1))  # type: ignore[union-attr]
    return (403, SIGNATURE_ERROR) if number % 2 else None


def test_upload_file_parts_failing_by_signature_and_reset_give_one_grouped_diagnosis(tmp_path: Path) -> None:
    """upload_file over its threshold: one exception, one event, parts grouped, cleanup call given."""
    source = tmp_path / "big.bin"
    source.write_bytes(b"x" * (4 * 1024 * 1024))
    with scripted_cos(_multipart_script) as port:
        client = _client(IP="127.0.0.1", Port=port, Scheme="http")
        with capture_logs() as events, pytest.raises(CosClientError) as caught:
            client.upload_file(Bucket=BUCKET, Key="big.bin", LocalFilePath=str(source), PartSize=1, MAXThread=2)
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
