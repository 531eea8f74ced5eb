"""AWS Signature Version 2, as COS's S3-compatible API takes it (boto3 ``signature_version="s3"``).

Known answers from S3's "Signing and Authenticating REST Requests" page (Object GET, Object PUT,
List); then real boto3 requests signed that way, verified by the emulator.
"""

from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cos_doctor.emulator import DEFAULT_OWNER_SECRET_ID, sigv2

AWS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize(
    ("method", "path", "query", "content_type", "date", "expected"),
    [
        ("GET", "/photos/puppy.jpg", {}, "", "Tue, 27 Mar 2007 19:36:42 +0000",
         "qgk2+6Sv9/oM7G3qLEjTH1a1l1g="),
        ("PUT", "/photos/puppy.jpg", {}, "image/jpeg", "Tue, 27 Mar 2007 21:15:45 +0000",
         "iqRzw+ileNPu1fhspnRs8nOjjIA="),
        ("GET", "/", {"prefix": "photos", "max-keys": "50", "marker": "puppy"}, "",
         "Tue, 27 Mar 2007 19:42:41 +0000", "m0WP8eCtspQl5Ahe6L1SozdX9YA="),
    ],
    ids=["object-get", "object-put", "list"],
)  # fmt: skip
def test_aws_examples(method, path, query, content_type, date, expected):  # noqa: PLR0917
    """S3's documented SigV2 examples give S3's documented signatures."""
    text = sigv2.string_to_sign(
        method,
        content_md5="",
        content_type=content_type,
        date=date,
        amz_headers="",
        resource=sigv2.canonical_resource(path, query, "awsexamplebucket1"),
    )
    assert sigv2.signature(AWS_KEY, text) == expected


def test_sub_resources_are_signed_sorted_and_listing_options_are_not():
    """?uploadId and ?partNumber join the resource, sorted; prefix or max-keys do not."""
    query = {"uploadId": "u1", "partNumber": "2", "prefix": "p", "acl": ""}
    assert sigv2.canonical_resource("/k", query, "b") == "/b/k?acl&partNumber=2&uploadId=u1"
    assert sigv2.canonical_resource("/b/a b", {}, None) == "/b/a%20b"


@pytest.fixture
def s3v2(emulator):
    return emulator.boto3_client(config=Config(signature_version="s3"))


def test_boto3_with_sigv2_round_trip(s3v2, bucket):
    """put, get, list and a multipart upload signed with SigV2 all go through."""
    key = "dir/a b+c(腾讯).txt"
    s3v2.put_object(Bucket=bucket, Key=key, Body=b"v2", ContentType="text/plain")
    assert s3v2.get_object(Bucket=bucket, Key=key)["Body"].read() == b"v2"
    assert [o["Key"] for o in s3v2.list_objects(Bucket=bucket, Prefix="dir/")["Contents"]] == [key]
    upload = s3v2.create_multipart_upload(Bucket=bucket, Key="m")["UploadId"]
    etag = s3v2.upload_part(Bucket=bucket, Key="m", UploadId=upload, PartNumber=1, Body=b"p")[
        "ETag"
    ]
    s3v2.complete_multipart_upload(
        Bucket=bucket,
        Key="m",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )
    assert s3v2.get_object(Bucket=bucket, Key="m")["Body"].read() == b"p"


def test_sigv2_refusals(emulator, bucket):
    """A wrong secret is SignatureDoesNotMatch, an unknown key InvalidAccessKeyId, skew too."""
    v2 = Config(signature_version="s3")
    cases = [
        (
            emulator.boto3_client(DEFAULT_OWNER_SECRET_ID, "wrong", config=v2),
            0,
            "SignatureDoesNotMatch",
        ),
        (emulator.boto3_client("AKID-NOBODY", "x", config=v2), 0, "InvalidAccessKeyId"),
        (emulator.boto3_client(config=v2), 1000, "RequestTimeTooSkewed"),
    ]
    for client, offset, code in cases:
        emulator.state.set_clock_offset(offset)
        with pytest.raises(ClientError) as caught:
            client.get_object(Bucket=bucket, Key="k")
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert caught.value.response["Error"]["Code"] == code


def test_sigv2_presigned_url_expires(s3v2, emulator, http, bucket):
    """A SigV2 presigned URL (Expires=…) serves the object, then is 'Request has expired'."""
    emulator.state.put_object(bucket, "shared.txt", b"v2 link")
    url = s3v2.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "shared.txt"}, ExpiresIn=60
    )
    assert "AWSAccessKeyId=" in url
    local, headers = emulator.localize(url)
    with http.get(local, headers=headers) as response:
        assert (response.status_code, response.content) == (200, b"v2 link")
    emulator.state.set_clock_offset(120)
    with http.get(local, headers=headers) as response:
        assert response.status_code == 403
        assert "<Message>Request has expired</Message>" in response.text
