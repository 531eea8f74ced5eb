"""The emulator answers like COS where a test or an investigation relies on it."""

from __future__ import annotations

import base64
import hashlib

import pytest
import requests

from cos_doctor.emulator.models import Acl
from tests.emulator.helpers import crc64ecma, failure, read

CUSTOMER_KEY = base64.b64encode(b"k" * 32).decode()
OTHER_KEY = base64.b64encode(b"o" * 32).decode()


def _sse_c(key: str = CUSTOMER_KEY) -> dict[str, str]:
    return {
        "SSECustomerAlgorithm": "AES256",
        "SSECustomerKey": key,
        "SSECustomerKeyMD5": base64.b64encode(hashlib.md5(base64.b64decode(key)).digest()).decode(),
    }


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [
        ("PUT", "/a.txt", "live"),
        ("GET", "/", "object-lock"),
        ("GET", "/a.txt", "versionId=MTg0NDUxNTc1NjIzMTQ1MDAwODg"),
        ("GET", "/a.txt", "tagging"),
        ("GET", "/a.txt", "imageMogr2/thumbnail/100x"),
    ],
)
def test_unserved_subresource_is_501_and_never_the_plain_operation(
    emulator, http, method, path, query
):
    """A sub-resource the emulator does not serve answers 501 NotImplemented and changes nothing."""
    owner, bucket = emulator.client(), emulator.bucket
    owner.put_object(Bucket=bucket, Key="a.txt", Body=b"original")
    name, _, value = query.partition("=")
    signer = emulator.client(via_proxy=True)  # signs the bucket's own host, as COS expects
    auth = signer.get_auth(Method=method, Bucket=bucket, Key=path, Params={name: value})
    url, headers = emulator.url(path.lstrip("/"))
    headers["Authorization"] = auth
    with http.request(method, f"{url}?{query}", headers=headers, data=b"replaced") as response:
        assert response.status_code == 501
        assert b"<Code>NotImplemented</Code>" in response.content
    assert read(owner.get_object(Bucket=bucket, Key="a.txt")) == b"original"


def test_sub_resource_written_into_the_url_is_501(owner, bucket):
    """put_bucket_intelligenttiering_v2 (?intelligent-tiering&id=…) is 501, never PUT Bucket."""
    error = failure(
        owner.put_bucket_intelligenttiering_v2,
        Bucket=bucket,
        IntelligentTieringConfiguration={"Id": "default", "Status": "Enabled"},
        Id="default",
    )
    assert (error.get_status_code(), error.get_error_code()) == (501, "NotImplemented")


class TestParametersThatNameNoSubresource:
    def test_presigned_url_with_a_cache_buster_serves_the_object(
        self, emulator, http, owner, bucket
    ):
        """A presigned URL with an unsigned &cachebust=1 appended still serves the object."""
        owner.put_object(Bucket=bucket, Key="p.txt", Body=b"presigned")
        signer = emulator.client(via_proxy=True)  # signs the bucket's own host
        url = signer.get_presigned_url(Bucket=bucket, Key="p.txt", Method="GET", Expired=300)
        local, host = emulator.localize(url + "&cachebust=1")
        with http.get(local, headers=host) as response:
            assert (response.status_code, response.content) == (200, b"presigned")

    def test_signed_get_with_an_extra_parameter_serves_the_object(
        self, emulator, http, owner, bucket
    ):
        """GET /obj?t=… (a parameter COS does not know) is GET Object, not 501."""
        owner.put_object(Bucket=bucket, Key="t.txt", Body=b"plain")
        signer = emulator.client(via_proxy=True)
        auth = signer.get_auth(Method="GET", Bucket=bucket, Key="t.txt", Params={"t": "1700000000"})
        url, headers = emulator.url("t.txt")
        with http.get(f"{url}?t=1700000000", headers={**headers, "Authorization": auth}) as reply:
            assert (reply.status_code, reply.content) == (200, b"plain")


def test_creating_a_bucket_you_own_is_409(owner, bucket):
    """PUT Bucket on a bucket the caller already owns answers 409 BucketAlreadyOwnedByYou."""
    error = failure(owner.create_bucket, Bucket=bucket)
    assert (error.get_status_code(), error.get_error_code()) == (409, "BucketAlreadyOwnedByYou")


class TestConditionalGet:
    @pytest.fixture
    def etag(self, owner, bucket):
        return owner.put_object(Bucket=bucket, Key="c.txt", Body=b"cached")["ETag"]

    @pytest.mark.parametrize(
        ("header", "value"),
        [("IfMatch", '"0000"'), ("IfUnmodifiedSince", "Mon, 01 Jan 2001 00:00:00 GMT")],
    )
    def test_failed_precondition_is_412(self, owner, bucket, etag, header, value):
        """If-Match with another ETag, or If-Unmodified-Since before the write, is 412."""
        assert etag
        error = failure(owner.get_object, Bucket=bucket, Key="c.txt", **{header: value})
        assert (error.get_status_code(), error.get_error_code()) == (412, "PreconditionFailed")

    @pytest.mark.parametrize("header", ["If-None-Match", "If-Modified-Since"])
    def test_current_copy_is_304(self, emulator, etag, header):
        """If-None-Match with the ETag, or If-Modified-Since after the write, is 304 Not Modified."""
        value = etag if header == "If-None-Match" else "Fri, 01 Jan 2100 00:00:00 GMT"
        emulator.state.bucket(emulator.bucket).acl = Acl.from_canned("public-read")
        url, headers = emulator.url("c.txt")
        with requests.get(url, headers={**headers, header: value}, timeout=10) as response:
            assert response.status_code == 304
            assert response.headers["ETag"] == etag

    def test_matching_if_match_reads(self, owner, bucket, etag):
        """If-Match with the object's own ETag reads the object."""
        assert read(owner.get_object(Bucket=bucket, Key="c.txt", IfMatch=etag)) == b"cached"

    @pytest.mark.parametrize(
        "conditions",
        [
            {"IfMatch": "etag", "IfUnmodifiedSince": "Mon, 01 Jan 2001 00:00:00 GMT"},
            {"IfNoneMatch": '"0000"', "IfModifiedSince": "Fri, 01 Jan 2100 00:00:00 GMT"},
        ],
        ids=["if-match-beats-unmodified-since", "if-none-match-beats-modified-since"],
    )
    def test_etag_condition_overrides_the_date(self, owner, bucket, etag, conditions):
        """A true If-Match (If-None-Match) makes the date beside it ignored: 200 (RFC 9110 §13.2.2)."""
        conditions = {k: etag if v == "etag" else v for k, v in conditions.items()}
        assert read(owner.get_object(Bucket=bucket, Key="c.txt", **conditions)) == b"cached"

    def test_sdk_get_object_gets_the_304(self, owner, bucket, etag):
        """get_object with a current If-None-Match returns COS's bodiless 304 instead of raising."""
        response = owner.get_object(Bucket=bucket, Key="c.txt", IfNoneMatch=etag)
        assert response["Content-Length"] == "0"
        assert response["ETag"] == etag
        assert read(response) == b""

    def test_head_304_has_content_length_zero(self, owner, bucket, etag):
        """head_object with a current If-None-Match gets 304 with Content-Length 0 (436/7745)."""
        response = owner.head_object(Bucket=bucket, Key="c.txt", IfNoneMatch=etag)
        assert response["Content-Length"] == "0"


def test_range_is_served_by_werkzeug_rules(owner, bucket):
    """A suffix range returns the last bytes with 206; a range past the end is 416."""
    owner.put_object(Bucket=bucket, Key="r.txt", Body=b"0123456789")
    response = owner.get_object(Bucket=bucket, Key="r.txt", Range="bytes=-3")
    assert read(response) == b"789"
    assert response["Content-Range"] == "bytes 7-9/10"
    assert (
        failure(owner.get_object, Bucket=bucket, Key="r.txt", Range="bytes=20-").get_status_code()
        == 416
    )


def test_crc64_is_returned_and_matches_the_sdk_check(owner, bucket):
    """x-cos-hash-crc64ecma is the CRC the SDK's own download check computes."""
    put = owner.put_object(Bucket=bucket, Key="h.txt", Body=b"hash me")
    head = owner.head_object(Bucket=bucket, Key="h.txt")
    get = owner.get_object(Bucket=bucket, Key="h.txt")
    assert read(get) == b"hash me"
    assert put["x-cos-hash-crc64ecma"] == head["x-cos-hash-crc64ecma"] == crc64ecma(b"hash me")
    assert get["x-cos-hash-crc64ecma"] == put["x-cos-hash-crc64ecma"]


def test_sse_headers_are_echoed(owner, bucket):
    """SSE-COS is echoed on PUT and on HEAD."""
    put = owner.put_object(Bucket=bucket, Key="e.txt", Body=b"x", ServerSideEncryption="AES256")
    assert put["x-cos-server-side-encryption"] == "AES256"
    assert owner.head_object(Bucket=bucket, Key="e.txt")["x-cos-server-side-encryption"] == "AES256"


def test_sse_c_is_enforced_on_get(owner, bucket):
    """An SSE-C object reads only with its own key; the key's MD5 (never the key) is echoed."""
    owner.put_object(Bucket=bucket, Key="c.bin", Body=b"secret", **_sse_c())
    assert read(owner.get_object(Bucket=bucket, Key="c.bin", **_sse_c())) == b"secret"
    head = owner.head_object(Bucket=bucket, Key="c.bin", **_sse_c())
    assert head["x-cos-server-side-encryption-customer-key-MD5"] == _sse_c()["SSECustomerKeyMD5"]
    assert CUSTOMER_KEY not in str(head)
    for headers in ({}, _sse_c(OTHER_KEY)):
        error = failure(owner.get_object, Bucket=bucket, Key="c.bin", **headers)
        assert (error.get_status_code(), error.get_error_code()) == (
            400,
            "SsecDecryptHeaderInvalid",
        )


def test_tagging_on_put_is_kept(emulator, owner, bucket):
    """x-cos-tagging on PUT is stored and counted on HEAD."""
    owner.put_object(Bucket=bucket, Key="t.txt", Body=b"x", Tagging="team=web&env=prod")
    assert emulator.state.bucket(bucket).objects["t.txt"].tags == (("team", "web"), ("env", "prod"))
    assert owner.head_object(Bucket=bucket, Key="t.txt")["x-cos-tagging-count"] == "2"


def test_emptied_referer_configuration_keeps_cos_shape(owner, bucket):
    """After delete_bucket_referer, GET ?referer still has Status, RefererType, DomainList, EmptyReferConfiguration."""
    owner.put_bucket_referer(
        Bucket=bucket,
        RefererConfiguration={
            "Status": "Enabled",
            "RefererType": "White-List",
            "DomainList": {"Domain": ["a.com"]},
        },
    )
    owner.delete_bucket_referer(Bucket=bucket)
    config = owner.get_bucket_referer(Bucket=bucket)
    assert config["Status"] == "Disabled"
    assert config["RefererType"] == "White-List"
    assert config["EmptyReferConfiguration"] == "Allow"
    assert "DomainList" in config
