"""With or without cos_doctor, successful calls return exactly the same results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from structlog.testing import capture_logs

import cos_doctor
from cos_doctor.emulator import Emulator


def workload(emulator: Emulator, http: requests.Session, tmp_path: Path) -> dict[str, Any]:
    """A round trip of everyday calls; returns what a caller would look at."""
    client = emulator.client()
    bucket = emulator.bucket
    seen: dict[str, Any] = {}
    put = client.put_object(
        Bucket=bucket, Key="dir/a b+c(1).txt", Body=b"hello", Metadata={"x-cos-meta-team": "데이터"}
    )
    seen["put_etag"] = put["ETag"]
    got = client.get_object(Bucket=bucket, Key="dir/a b+c(1).txt")
    seen["get_body"] = got["Body"].get_raw_stream().read()
    seen["meta"] = got["x-cos-meta-team"]
    seen["head_length"] = client.head_object(Bucket=bucket, Key="dir/a b+c(1).txt")[
        "Content-Length"
    ]
    seen["exists"] = client.object_exists(Bucket=bucket, Key="dir/a b+c(1).txt")
    seen["missing"] = client.object_exists(Bucket=bucket, Key="nope")
    seen["listing"] = [
        item["Key"] for item in client.list_objects(Bucket=bucket, Prefix="dir/a b+c")["Contents"]
    ]

    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 9 * 4096)  # 9 MiB: several parts at a 1 MiB part size
    client.upload_file(
        Bucket=bucket, Key="big.bin", LocalFilePath=str(big), PartSize=1, MAXThread=2
    )
    seen["multipart_length"] = client.head_object(Bucket=bucket, Key="big.bin")["Content-Length"]

    signer = emulator.client(via_proxy=True)
    url, headers = emulator.localize(
        signer.get_presigned_url(Bucket=bucket, Key="dir/a b+c(1).txt", Method="GET", Expired=300)
    )
    with http.get(url, headers=headers) as response:
        seen["presigned"] = (response.status_code, response.content)
    client.delete_object(Bucket=bucket, Key="dir/a b+c(1).txt")
    seen["after_delete"] = client.object_exists(Bucket=bucket, Key="dir/a b+c(1).txt")
    return seen


def test_success_path_is_identical_with_and_without_cos_doctor(
    emulator: Emulator,
    http: requests.Session,
    tmp_path: Path,
) -> None:
    """Round trips, multipart upload_file and presigned URLs: same results, no events."""
    without = workload(emulator, http, tmp_path)
    emulator.state.reset()
    assert cos_doctor.install()
    with capture_logs() as events:
        with_doctor = workload(emulator, http, tmp_path)
    assert with_doctor == without
    assert without["get_body"] == b"hello"
    assert without["presigned"] == (200, b"hello")
    assert without["multipart_length"] == str(9 * 4096 * 256)
    assert (without["exists"], without["missing"], without["after_delete"]) == (True, False, False)
    assert events == []


@pytest.mark.parametrize("locale", ["en", "ko"])
def test_failure_after_success_still_diagnosed_in_locale(emulator: Emulator, locale: str) -> None:
    """A client that succeeded keeps working, and its next failure is diagnosed in the locale."""
    client = emulator.client()
    client.put_object(Bucket=emulator.bucket, Key="k", Body=b"v")
    cos_doctor.install(locale=locale)
    with pytest.raises(cos_doctor.CosDiagnosedError) as caught:
        client.get_object(Bucket=emulator.bucket, Key="absent")
    assert caught.value.diagnosis.rule_id == "no-such-key"
    assert caught.value.diagnosis.locale == locale
