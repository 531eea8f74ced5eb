"""Opt-in: the same failures against real Tencent COS.

Runs only when these environment variables name a bucket you can afford to test against
(objects under ``cos-doctor-live/`` are created and deleted; bucket settings are not touched):

    COS_DOCTOR_LIVE_SECRET_ID, COS_DOCTOR_LIVE_SECRET_KEY   an owner key of the bucket
    COS_DOCTOR_LIVE_BUCKET                                 e.g. examplebucket-1250000000
    COS_DOCTOR_LIVE_REGION                                 e.g. ap-guangzhou

Failures that need the bucket misconfigured (referer, CORS rules, sub-accounts) or the
server's clock moved are covered by the emulator suite only.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from unittest import mock

import pytest
import requests
from qcloud_cos import CosConfig, CosS3Client

import cos_doctor
from cos_doctor._cli.scenarios import post_form, post_upload

_NAMES = (
    "COS_DOCTOR_LIVE_SECRET_ID",
    "COS_DOCTOR_LIVE_SECRET_KEY",
    "COS_DOCTOR_LIVE_BUCKET",
    "COS_DOCTOR_LIVE_REGION",
)
_MISSING = [name for name in _NAMES if not os.environ.get(name)]

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        bool(_MISSING), reason=f"live COS suite is opt-in: set {', '.join(_MISSING)}"
    ),
]
PREFIX = "cos-doctor-live/"


@pytest.fixture(scope="module")
def live() -> Iterator[dict[str, str]]:
    settings = {name.removeprefix("COS_DOCTOR_LIVE_").lower(): os.environ[name] for name in _NAMES}
    cos_doctor.install()
    yield settings
    cos_doctor.uninstall()


def _client(live: dict[str, str], **overrides: str) -> CosS3Client:
    config = CosConfig(
        Region=live["region"],
        SecretId=overrides.get("secret_id", live["secret_id"]),
        SecretKey=overrides.get("secret_key", live["secret_key"]),
        Scheme="https",
    )
    return CosS3Client(config, retry=0)


@contextlib.contextmanager
def _test_object(live: dict[str, str], name: str, **put_options: str) -> Iterator[str]:
    """Put a small object under the test prefix for the block, then delete it."""
    client = _client(live)
    key = f"{PREFIX}{name}"
    client.put_object(Bucket=live["bucket"], Key=key, Body=b"x", **put_options)
    try:
        yield key
    finally:
        client.delete_object(Bucket=live["bucket"], Key=key)


def _rule_of(call, **arguments) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(cos_doctor.CosDiagnosedError) as caught:
        call(**arguments)
    return caught.value.diagnosis.rule_id


def test_wrong_secret_key(live: dict[str, str]) -> None:
    """A SecretKey that does not belong to the SecretId: signature-mismatch."""
    client = _client(live, secret_key="0" * 32)
    assert _rule_of(client.head_bucket, Bucket=live["bucket"]) in {
        "signature-mismatch",
        "unrecognized-403",
    }
    assert (
        _rule_of(client.list_objects, Bucket=live["bucket"], Prefix=PREFIX) == "signature-mismatch"
    )


def test_unknown_secret_id(live: dict[str, str]) -> None:
    """A SecretId COS has never issued: invalid-access-key-id."""
    client = _client(live, secret_id="AKID" + "0" * 32)
    assert (
        _rule_of(client.list_objects, Bucket=live["bucket"], Prefix=PREFIX)
        == "invalid-access-key-id"
    )


def test_signing_clock_ahead(live: dict[str, str]) -> None:
    """Signing with a clock 20 minutes fast: request-time-too-skewed."""
    with mock.patch("qcloud_cos.cos_auth.time.time", return_value=time.time() + 1200):
        assert (
            _rule_of(_client(live).list_objects, Bucket=live["bucket"], Prefix=PREFIX)
            == "request-time-too-skewed"
        )


def test_presigned_url_after_expiry(live: dict[str, str]) -> None:
    """A presigned URL used after its window: request-expired."""
    with _test_object(live, "expiring.txt") as key:
        url = _client(live).get_presigned_url(
            Bucket=live["bucket"], Key=key, Method="GET", Expired=-59
        )
        response = requests.get(url, timeout=30)
        assert (
            cos_doctor.diagnose(response.content, http_status=response.status_code, url=url).rule_id
            == "request-expired"
        )


def test_anonymous_read_of_private_object(live: dict[str, str]) -> None:
    """An unsigned GET of a private object: access-denied."""
    with _test_object(live, "private.txt", ACL="private") as key:
        anonymous = CosS3Client(
            CosConfig(Region=live["region"], Anonymous=True, Scheme="https"), retry=0
        )
        assert _rule_of(anonymous.get_object, Bucket=live["bucket"], Key=key) == "access-denied"


def test_archived_object(live: dict[str, str]) -> None:
    """GET of an ARCHIVE object before restore: invalid-object-state."""
    with _test_object(live, "archived.txt", StorageClass="ARCHIVE") as key:
        assert (
            _rule_of(_client(live).get_object, Bucket=live["bucket"], Key=key)
            == "invalid-object-state"
        )


@pytest.mark.parametrize(
    ("knobs", "rule_id"),
    [
        ({"expires_in": -7200}, "post-policy-expired"),
        ({"signed_by": ("", "0" * 32)}, "post-signature-invalid"),
        ({"conditions": []}, "post-policy-missing-condition"),
        ({"conditions": [{"bucket": "cos-doctor-other-1250000000"}]}, "post-bucket-mismatch"),
        ({"key": "elsewhere/${filename}"}, "post-condition-mismatch"),
    ],
)
def test_post_object_form(live: dict[str, str], knobs: dict[str, object], rule_id: str) -> None:
    """Browser POST Object forms whose policy does not hold."""
    if "signed_by" in knobs:
        knobs = {"signed_by": (live["secret_id"], "0" * 32)}
    form = post_form(live["bucket"], live["secret_id"], live["secret_key"], **knobs)  # type: ignore[arg-type]
    url = f"https://{live['bucket']}.cos.{live['region']}.myqcloud.com/"
    with requests.Session() as http:
        assert post_upload(http, url, {}, form).diagnosis.rule_id == rule_id
