"""What the SDK's Region and Bucket checks let through, and how the later failure is named.

format_region and format_bucket test their argument with ``re.match(...$)``: dots pass in a
Region, and ``$`` also matches before a final newline. The real SDK builds the host from what
passed. Name lookups for COS hosts are answered here by a resolver that refuses every
``*.myqcloud.com`` name, so no query leaves the machine and the failure is the one a machine
without that name gets (``[Errno -2] Name or service not known``); everything else is real.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosClientError
from structlog.testing import capture_logs

import cos_doctor

BUCKET = "examplebucket-1250000000"
SECRET_ID = "AKIDcosdoctorTESTsecretid0000000000A"
SECRET_KEY = "test-secret-key-never-printed-0001"


@pytest.fixture(autouse=True)
def _installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real = socket.getaddrinfo

    def no_cos_names(host: Any, *args: Any, **kwargs: Any) -> Any:
        if "myqcloud.com" in str(host):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_cos_names)
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    cos_doctor.install()
    yield
    cos_doctor.uninstall()


def _failed_call(
    region: str, bucket: str = BUCKET
) -> tuple[cos_doctor.Diagnosis, list[dict[str, Any]]]:
    client = CosS3Client(
        CosConfig(Region=region, SecretId=SECRET_ID, SecretKey=SECRET_KEY), retry=0
    )
    with capture_logs() as events, pytest.raises(CosClientError) as caught:
        client.get_object(Bucket=bucket, Key="a.txt")
    assert isinstance(caught.value, cos_doctor.CosDiagnosedClientError)
    assert caught.value.diagnosis is not None
    return caught.value.diagnosis, [
        event for event in events if event["event"] == "cos_request_failed"
    ]


@pytest.mark.parametrize("region", ["cos.ap-guangzhou.myqcloud.com", "ap-guangzhou.myqcloud.com"])
def test_an_endpoint_passed_as_region_fails_in_dns_on_a_doubled_suffix(region: str) -> None:
    """An endpoint as Region passes the SDK's check; the DNS failure names it (region_malformed)."""
    diagnosis, events = _failed_call(region)
    assert diagnosis.rule_id == "client-dns-failure"
    assert str(diagnosis.evidence_value("failed_host")).endswith(".myqcloud.com.myqcloud.com")
    assert diagnosis.evidence_value("region_malformed") == region
    assert diagnosis.evidence_value("host_source") == "region"
    assert len(events) == 1
    assert "Region='ap-guangzhou'" in next(
        e.text for e in diagnosis.evidence if e.key == "region_malformed"
    )


def test_a_final_newline_in_region_passes_the_sdk_check_and_is_named() -> None:
    """Region='ap-guangzhou\\n' passes format_region; the failure that follows names the newline."""
    diagnosis, events = _failed_call("ap-guangzhou\n")
    # urllib3 2 refuses the host while parsing the URL; urllib3 1.26 sends it to DNS as %0a.
    assert diagnosis.rule_id in {"client-unrecognized", "client-dns-failure"}
    assert diagnosis.evidence_value("region_malformed") == repr("ap-guangzhou\n")
    assert len(events) == 1


def test_a_final_newline_in_bucket_passes_the_sdk_check_but_is_not_well_formed() -> None:
    """Bucket='…\\n' passes format_bucket (no 'bucket format is illegal'); bucket_well_formed says no."""
    diagnosis, _ = _failed_call("ap-guangzhou", bucket=f"{BUCKET}\n")
    assert "bucket format is illegal" not in (diagnosis.error_message or "")
    assert diagnosis.evidence_value("bucket_well_formed") is False


@pytest.mark.parametrize(
    "region", ["ap-guangzhou ", "https://cos.ap-guangzhou.myqcloud.com", "ap_guangzhou"]
)
def test_the_sdk_refuses_a_space_a_url_or_an_underscore_in_region(region: str) -> None:
    """What format_region does refuse: client-region-invalid."""
    with pytest.raises(CosClientError, match="region format is illegal") as caught:
        CosConfig(Region=region, SecretId=SECRET_ID, SecretKey=SECRET_KEY)
    assert cos_doctor.diagnose(caught.value).rule_id == "client-region-invalid"


@pytest.mark.parametrize(
    "bucket", [f"{BUCKET} ", f"-{BUCKET}", "examplebucket-", "example.bucket-1250000000"]
)
def test_the_sdk_refuses_a_space_an_edge_hyphen_or_a_dot_in_bucket(bucket: str) -> None:
    """What format_bucket does refuse: client-bucket-name-invalid."""
    client = CosS3Client(
        CosConfig(Region="ap-guangzhou", SecretId=SECRET_ID, SecretKey=SECRET_KEY), retry=0
    )
    with pytest.raises(CosClientError, match="bucket format is illegal") as caught:
        client.get_object(Bucket=bucket, Key="a.txt")
    assert cos_doctor.diagnose(caught.value).rule_id == "client-bucket-name-invalid"


def test_pasted_text_with_a_doubled_suffix_names_the_region() -> None:
    """A pasted DNS failure on a host ending .myqcloud.com.myqcloud.com: the Region held an endpoint."""
    host = f"{BUCKET}.cos.ap-guangzhou.myqcloud.com.myqcloud.com"
    text = (
        f"HTTPSConnectionPool(host='{host}', port=443): Max retries exceeded with url: /a.txt "
        f'(Caused by NameResolutionError("<urllib3.connection.HTTPSConnection object at 0x7f>: '
        f"Failed to resolve '{host}' ([Errno -2] Name or service not known)\"))"
    )
    diagnosis = cos_doctor.diagnose(text)
    assert diagnosis.rule_id == "client-dns-failure"
    assert diagnosis.evidence_value("region_malformed") == host
