"""The seed 403 kinds that COS's S3-compatible API can give, reached through real boto3.

Each misconfigures the emulator as a user would misconfigure COS, then calls it with boto3
(SigV4, through the emulator as proxy) and holds the reply to COS's status, code and message.
The CORS preflight and the POST Object seeds are browser paths, not S3 API calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

import pytest
import requests
from botocore.exceptions import ClientError

from cos_doctor.emulator import DEFAULT_OWNER_SECRET_ID, DEFAULT_SUB_SECRET_ID, Emulator
from cos_doctor.emulator.models import RefererConfig

KEY = "reports/2026-q3.csv"


@dataclass(frozen=True)
class Seed:
    """A seed rule's misconfiguration, reached through boto3, and COS's answer to it."""

    rule_id: str
    call: Callable[[Emulator, requests.Session], tuple[int, str, str]]
    code: str
    message: str


def _refused(call: Callable[[], Any]) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    error = response["Error"]
    return response["ResponseMetadata"]["HTTPStatusCode"], error["Code"], error["Message"]


def _access_denied(cos: Emulator, _: requests.Session) -> tuple[int, str, str]:
    s3 = cos.boto3_client(DEFAULT_SUB_SECRET_ID)  # a sub-account with no CAM policy
    return _refused(lambda: s3.get_object(Bucket=cos.bucket, Key=KEY))


def _invalid_access_key_id(cos: Emulator, _: requests.Session) -> tuple[int, str, str]:
    cos.state.set_key_enabled(DEFAULT_OWNER_SECRET_ID, enabled=False)
    return _refused(lambda: cos.boto3_client().get_object(Bucket=cos.bucket, Key=KEY))


def _invalid_object_state(cos: Emulator, _: requests.Session) -> tuple[int, str, str]:
    cos.state.put_object(cos.bucket, KEY, b"a,b", storage_class="ARCHIVE")
    return _refused(lambda: cos.boto3_client().get_object(Bucket=cos.bucket, Key=KEY))


def _skewed(cos: Emulator, _: requests.Session) -> tuple[int, str, str]:
    cos.state.set_clock_offset(1204)  # the client's clock 20 minutes behind
    return _refused(lambda: cos.boto3_client().get_object(Bucket=cos.bucket, Key=KEY))


def _wrong_secret(cos: Emulator, _: requests.Session) -> tuple[int, str, str]:
    s3 = cos.boto3_client(DEFAULT_OWNER_SECRET_ID, "a-secret-key-from-another-account")
    return _refused(lambda: s3.get_object(Bucket=cos.bucket, Key=KEY))


def _expired_link(cos: Emulator, http: requests.Session) -> tuple[int, str, str]:
    cos.state.put_object(cos.bucket, KEY, b"a,b")
    url = cos.boto3_client().generate_presigned_url(
        "get_object", Params={"Bucket": cos.bucket, "Key": KEY}, ExpiresIn=600
    )
    cos.state.set_clock_offset(3600)
    local, headers = cos.localize(url)
    # A presigned URL is fetched by a plain HTTP client: read COS's XML body itself.
    with http.get(local, headers=headers) as reply:
        code, message = (
            re.search(f"<{tag}>(.*?)</{tag}>", reply.text) for tag in ("Code", "Message")
        )
        assert code is not None
        assert message is not None
        return reply.status_code, code[1], message[1]


def _hotlinked(cos: Emulator, http: requests.Session) -> tuple[int, str, str]:
    cos.state.put_object(cos.bucket, KEY, b"a,b", acl="public-read")
    cos.state.bucket(cos.bucket).referer = RefererConfig(domains=("www.example.com",))
    s3 = cos.boto3_client(anonymous=True)

    def referer(request: Any, **_: Any) -> None:
        request.headers["Referer"] = "https://hotlinker.example.net/gallery.html"

    s3.meta.events.register("before-sign.s3.GetObject", referer)
    return _refused(lambda: s3.get_object(Bucket=cos.bucket, Key=KEY))


SEEDS = [
    Seed("access-denied", _access_denied, "AccessDenied", "Access Denied."),
    Seed(
        "invalid-access-key-id",
        _invalid_access_key_id,
        "InvalidAccessKeyId",
        "The Access Key Id you provided does not exist in our records.",
    ),
    Seed(
        "invalid-object-state",
        _invalid_object_state,
        "InvalidObjectState",
        "The operation is not valid for the object's storage class.",
    ),
    Seed(
        "request-time-too-skewed",
        _skewed,
        "RequestTimeTooSkewed",
        "The difference between the request time and the server's time is too large.",
    ),
    Seed(
        "signature-mismatch",
        _wrong_secret,
        "SignatureDoesNotMatch",
        "The Signature you specified is invalid.",
    ),
    Seed("request-expired", _expired_link, "AccessDenied", "Request has expired"),
    Seed(
        "referer-denied",
        _hotlinked,
        "AccessDenied",
        "You are denied by bucket referer rule",
    ),
]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda seed: seed.rule_id)
def test_seed_failure_through_boto3(seed: Seed, emulator: Emulator, http: requests.Session) -> None:
    """boto3 meets the seed's 403 with COS's code and message."""
    assert seed.call(emulator, http) == (403, seed.code, seed.message)
