"""boto3, pointed at COS's S3-compatible endpoint, works against the emulator as against COS.

The client is real boto3 (SigV4, through the emulator as its HTTP proxy, like
``Emulator.client(via_proxy=True)``); the emulator verifies its signatures on its own.
"""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from botocore.exceptions import ClientError

from cos_doctor.emulator import DEFAULT_OWNER_SECRET_ID, DEFAULT_SUB_SECRET_ID, DEFAULT_SUB_UIN
from tests.emulator.helpers import read


@pytest.fixture
def s3(emulator):
    return emulator.boto3_client()


def refusal(call, **kwargs) -> ClientError:
    """Call ``call`` and return the ClientError it must raise."""
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value


def test_object_round_trip(s3, emulator, bucket):
    """put, head, get, list and delete through boto3 succeed, and the COS SDK sees the same."""
    key = "dir/a b+c(腾讯).txt"
    s3.put_object(Bucket=bucket, Key=key, Body=b"hello", ContentType="text/plain")
    head = s3.head_object(Bucket=bucket, Key=key)
    assert (head["ContentLength"], head["ContentType"]) == (5, "text/plain")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"hello"
    assert read(emulator.client().get_object(Bucket=bucket, Key=key)) == b"hello"
    listed = s3.list_objects(Bucket=bucket, Prefix="dir/")
    assert [entry["Key"] for entry in listed["Contents"]] == [key]
    s3.delete_object(Bucket=bucket, Key=key)
    assert key not in emulator.state.bucket(bucket).objects


def test_replies_carry_cos_headers(s3, bucket):
    """A boto3 call gets COS's own reply headers (Server: tencent-cos, x-cos-request-id)."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    headers = s3.head_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPHeaders"]
    assert headers["server"] == "tencent-cos"
    assert base64.b64decode(headers["x-cos-request-id"])


def test_wrong_secret_is_signature_does_not_match(emulator, bucket):
    """A wrong secret key gives 403 SignatureDoesNotMatch with COS's message and headers."""
    s3 = emulator.boto3_client(DEFAULT_OWNER_SECRET_ID, "not-the-secret")
    error = refusal(s3.get_object, Bucket=bucket, Key="k")
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert error.response["Error"]["Message"] == "The Signature you specified is invalid."
    headers = error.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["server"] == "tencent-cos"
    assert "x-cos-trace-id" in headers


def test_unknown_key_is_invalid_access_key_id(emulator, bucket):
    """A key the service never issued gives 403 InvalidAccessKeyId."""
    s3 = emulator.boto3_client("AKID-NOBODY", "whatever")
    error = refusal(s3.list_objects, Bucket=bucket)
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error.response["Error"]["Code"] == "InvalidAccessKeyId"


def test_sub_account_without_rights_is_access_denied(emulator, bucket):
    """The bucket's access rules apply to SigV4 callers: a sub-account with no grant is denied."""
    s3 = emulator.boto3_client(DEFAULT_SUB_SECRET_ID)
    error = refusal(s3.get_object, Bucket=bucket, Key="k")
    assert (error.response["Error"]["Code"], error.response["Error"]["Message"]) == (
        "AccessDenied",
        "Access Denied.",
    )
    emulator.state.set_user_policy(
        DEFAULT_SUB_UIN,
        {"statement": [{"effect": "allow", "action": ["name/cos:*"], "resource": ["*"]}]},
    )
    s3.put_object(Bucket=bucket, Key="k", Body=b"granted")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"granted"


@pytest.mark.parametrize("offset", [1000, -1000], ids=["server-ahead", "server-behind"])
def test_clock_skew_is_request_time_too_skewed(s3, emulator, bucket, offset):
    """An x-amz-date more than 15 minutes off the server's clock gives 403 RequestTimeTooSkewed."""
    emulator.state.set_clock_offset(offset)
    error = refusal(s3.head_bucket, Bucket=bucket)
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    emulator.state.set_clock_offset(0)
    error = refusal(s3.get_object, Bucket=bucket, Key="k")
    assert error.response["Error"]["Code"] == "NoSuchKey"
    emulator.state.set_clock_offset(offset)
    error = refusal(s3.get_object, Bucket=bucket, Key="k")
    assert error.response["Error"]["Code"] == "RequestTimeTooSkewed"


def test_presigned_get_works_until_it_expires(s3, emulator, http, bucket):
    """A presigned GET URL serves the object; past X-Amz-Expires it is 'Request has expired'."""
    emulator.state.put_object(bucket, "shared.txt", b"for you")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "shared.txt"}, ExpiresIn=60
    )
    assert "X-Amz-Signature=" in url
    local, headers = emulator.localize(url)
    with http.get(local, headers=headers) as response:
        assert (response.status_code, response.content) == (200, b"for you")
    emulator.state.set_clock_offset(120)
    with http.get(local, headers=headers) as response:
        assert response.status_code == 403
        assert "<Code>AccessDenied</Code>" in response.text
        assert "<Message>Request has expired</Message>" in response.text
        assert "<ServerTime>" in response.text


def test_presigned_url_is_bound_to_its_signature(s3, emulator, http, bucket):
    """A presigned URL whose signature was altered is refused with SignatureDoesNotMatch."""
    emulator.state.put_object(bucket, "shared.txt", b"for you")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared.txt"})
    local, headers = emulator.localize(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"))
    with http.get(local, headers=headers) as response:
        assert response.status_code == 403
        assert "<Code>SignatureDoesNotMatch</Code>" in response.text


def test_multipart_upload(s3, bucket):
    """create, upload_part, list_parts and complete through boto3 assemble the object."""
    part_one, part_two = b"1" * (1024 * 1024), b"2" * 10
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    etags = [
        s3.upload_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=n, Body=body)["ETag"]
        for n, body in ((1, part_one), (2, part_two))
    ]
    listed = s3.list_parts(Bucket=bucket, Key="big", UploadId=upload)["Parts"]
    assert [part["PartNumber"] for part in listed] == [1, 2]
    parts = [{"PartNumber": n, "ETag": etag} for n, etag in enumerate(etags, start=1)]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="big", UploadId=upload, MultipartUpload={"Parts": parts}
    )
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == part_one + part_two


def test_temporary_key_needs_its_token(emulator, bucket):
    """A temporary key works with its x-amz-security-token; without it or expired: InvalidAccessKeyId."""
    key = emulator.state.issue_temporary_key(emulator.state.bucket(bucket).owner_uin)
    with_token = emulator.boto3_client(key.secret_id, key.secret_key, key.token)
    with_token.put_object(Bucket=bucket, Key="t", Body=b"x")
    without = emulator.boto3_client(key.secret_id, key.secret_key)
    error = refusal(without.get_object, Bucket=bucket, Key="t")
    assert error.response["Error"]["Code"] == "InvalidAccessKeyId"
    # Past its lifetime the key is unknown to COS, before any clock check.
    emulator.state.set_clock_offset(3600)
    error = refusal(with_token.get_object, Bucket=bucket, Key="t")
    assert error.response["Error"]["Code"] == "InvalidAccessKeyId"


def _capture(s3, headers):
    """Record the headers of each request ``s3`` sends, after signing (its URL as ``:url``)."""

    def record(request, **_):
        headers.append({**request.headers, ":url": request.url})

    s3.meta.events.register("before-send.s3.*", record)


def test_body_is_checked_against_its_signed_hash(s3, bucket):
    """A body that differs from its signed x-amz-content-sha256 is refused and not stored."""
    sent = []
    _capture(s3, sent)
    s3.put_object(Bucket=bucket, Key="k", Body=b"hello")
    # Over plain HTTP botocore signs the body's SHA-256 (never UNSIGNED-PAYLOAD).
    assert sent[0]["X-Amz-Content-SHA256"] == (
        b"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    )

    def tamper(request, **_):
        request.body = b"HELLO"

    s3.meta.events.register("before-send.s3.PutObject", tamper)
    error = refusal(s3.put_object, Bucket=bucket, Key="k", Body=b"hello")
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error.response["Error"]["Code"] == "XAmzContentSHA256Mismatch"
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"hello"


def test_unsigned_payload_is_accepted(emulator, bucket):
    """With payload signing off, boto3 sends UNSIGNED-PAYLOAD and the upload is stored."""
    from botocore.config import Config

    s3 = emulator.boto3_client(config=Config(s3={"payload_signing_enabled": False}))
    sent = []
    _capture(s3, sent)
    s3.put_object(Bucket=bucket, Key="u", Body=b"unsigned")
    assert sent[0]["X-Amz-Content-SHA256"] == b"UNSIGNED-PAYLOAD"
    assert emulator.state.bucket(bucket).objects["u"].data == b"unsigned"


def test_path_style_is_refused_for_buckets_made_since_2024(emulator, bucket):
    """Path-style requests to a bucket created now get COS's 403 PathStyleDomainForbidden."""
    s3 = emulator.boto3_client(addressing_style="path")
    sent = []
    _capture(s3, sent)
    error = refusal(s3.put_object, Bucket=bucket, Key="k", Body=b"x")
    assert sent[0][":url"] == f"http://cos.ap-guangzhou.myqcloud.com/{bucket}/k"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error.response["Error"]["Code"] == "PathStyleDomainForbidden"
    assert error.response["Error"]["Message"] == (
        "The bucket you are attempting to access must be addressed using COS virtual-styled domain."
    )
    assert "k" not in emulator.state.bucket(bucket).objects


def test_path_style_still_reaches_buckets_made_before_2024(emulator):
    """A bucket created in 2023 answers path-style requests, the key being after the bucket."""
    old = "oldbucket-1250000000"
    emulator.state.add_bucket(old, "ap-guangzhou", created=1700000000)  # 2023-11-14
    s3 = emulator.boto3_client(addressing_style="path")
    s3.put_object(Bucket=old, Key="dir/a.txt", Body=b"path-style")
    assert emulator.state.bucket(old).objects["dir/a.txt"].data == b"path-style"
    assert s3.get_object(Bucket=old, Key="dir/a.txt")["Body"].read() == b"path-style"
    listed = s3.list_objects(Bucket=old)["Contents"]
    assert [entry["Key"] for entry in listed] == ["dir/a.txt"]
    virtual = emulator.boto3_client()
    assert virtual.get_object(Bucket=old, Key="dir/a.txt")["Body"].read() == b"path-style"


def test_list_buckets_on_the_regional_endpoint(emulator, s3):
    """list_buckets (GET / on cos.<region>.myqcloud.com) lists the account's buckets there."""
    emulator.state.add_bucket("elsewhere-1250000000", "ap-beijing")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [emulator.bucket]
    beijing = emulator.boto3_client(region="ap-beijing")
    assert [b["Name"] for b in beijing.list_buckets()["Buckets"]] == ["elsewhere-1250000000"]


def _trailer_upload(emulator, http, path, data):
    """PUT ``data`` as botocore does over HTTPS: STREAMING-UNSIGNED-PAYLOAD-TRAILER, chunked.

    botocore itself builds the request (its signer and its aws-chunked body with a CRC32
    trailer); only the transport is ours, as the emulator serves plain HTTP.
    """
    import io

    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum

    url = f"http://{emulator.host()}{path}"
    headers = {
        "Content-Encoding": "aws-chunked",
        "X-Amz-Trailer": "x-amz-checksum-crc32",
        "X-Amz-Decoded-Content-Length": str(len(data)),
    }
    request = AWSRequest("PUT", url, headers=headers)
    request.context["checksum"] = {
        "request_algorithm": {"in": "trailer", "algorithm": "crc32", "name": "x-amz-checksum-crc32"}
    }
    owner = emulator.state.keys[DEFAULT_OWNER_SECRET_ID]
    S3SigV4Auth(Credentials(owner.secret_id, owner.secret_key), "s3", emulator.region).add_auth(
        request
    )
    assert request.headers["X-Amz-Content-SHA256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    body = AwsChunkedWrapper(
        io.BytesIO(data), checksum_cls=Crc32Checksum, checksum_name="x-amz-checksum-crc32"
    ).read()
    local, host = emulator.url(path.lstrip("/").split("?")[0])
    query = path.partition("?")[2]
    # A generator body goes out with Transfer-Encoding: chunked and no Content-Length.
    return http.put(
        f"{local}?{query}" if query else local,
        data=iter([body]),
        headers={**dict(request.headers.items()), **host},
    )


def test_streaming_trailer_put_object_is_stored(emulator, http, bucket):
    """A PUT Object with an unsigned aws-chunked body and CRC32 trailer stores the bytes sent."""
    with _trailer_upload(emulator, http, "/trailer.txt", b"chunked body") as response:
        assert response.status_code == 200
    assert emulator.state.bucket(bucket).objects["trailer.txt"].data == b"chunked body"


def test_streaming_trailer_upload_part_is_missing_content_length(emulator, s3, http, bucket):
    """COS refuses an Upload Part sent chunked without Content-Length: 411 MissingContentLength."""
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    path = f"/big?partNumber=1&uploadId={upload}"
    with _trailer_upload(emulator, http, path, b"part") as response:
        assert response.status_code == 411
        assert "<Code>MissingContentLength</Code>" in response.text
        assert (
            "<Message>You must provide the Content-Length HTTP header.</Message>" in response.text
        )
        assert response.headers["Server"] == "tencent-cos"
    assert emulator.state.bucket(bucket).uploads[upload].parts == {}


def _signed_chunked_upload(emulator, http, key, chunks, *, tamper=False):
    """PUT ``chunks`` as STREAMING-AWS4-HMAC-SHA256-PAYLOAD: botocore signs the seed request,
    each chunk is signed here following S3's "Transferring Payload in Multiple Chunks" page.
    """
    import hashlib
    import hmac

    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    class StreamingSigner(S3SigV4Auth):
        def payload(self, request):
            return "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"

    data = b"".join(chunks)
    headers = {"Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": str(len(data))}
    request = AWSRequest("PUT", f"http://{emulator.host()}/{key}", headers=headers)
    owner = emulator.state.keys[DEFAULT_OWNER_SECRET_ID]
    StreamingSigner(Credentials(owner.secret_id, owner.secret_key), "s3", emulator.region).add_auth(
        request
    )
    authorization = request.headers["Authorization"]
    previous = authorization.rsplit("Signature=", 1)[1]
    timestamp = request.headers["X-Amz-Date"]
    scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/", 1)[1]

    def mac(key_bytes, text):
        return hmac.new(key_bytes, text.encode(), hashlib.sha256).digest()

    signing_key = b"AWS4" + owner.secret_key.encode()
    for part in scope.split("/"):
        signing_key = mac(signing_key, part)
    body = b""
    empty = hashlib.sha256(b"").hexdigest()
    for chunk in [*chunks, b""]:
        text = "\n".join(
            ("AWS4-HMAC-SHA256-PAYLOAD", timestamp, scope, previous, empty,
             hashlib.sha256(chunk).hexdigest())
        )  # fmt: skip
        previous = hmac.new(signing_key, text.encode(), hashlib.sha256).hexdigest()
        sent = chunk.upper() if tamper and chunk else chunk
        body += f"{len(chunk):x};chunk-signature={previous}\r\n".encode() + sent + b"\r\n"
    local, host = emulator.url(key)
    return http.put(local, data=body, headers={**dict(request.headers.items()), **host})


def test_signed_chunked_upload_is_verified_and_unframed(emulator, http, bucket):
    """A STREAMING-AWS4-HMAC-SHA256-PAYLOAD upload stores the bytes without the chunk framing."""
    chunks = [b"a" * 8192, b"b" * 100]
    with _signed_chunked_upload(emulator, http, "chunked", chunks) as response:
        assert response.status_code == 200
    assert emulator.state.bucket(bucket).objects["chunked"].data == b"".join(chunks)


def test_signed_chunked_upload_with_an_altered_chunk_is_refused(emulator, http, bucket):
    """A chunk whose bytes differ from its chunk-signature makes the upload SignatureDoesNotMatch."""
    with _signed_chunked_upload(emulator, http, "chunked", [b"abc"], tamper=True) as response:
        assert response.status_code == 403
        assert "<Code>SignatureDoesNotMatch</Code>" in response.text
    assert "chunked" not in emulator.state.bucket(bucket).objects


def test_delete_objects_without_content_md5_is_refused(s3, emulator, bucket):
    """boto3's DeleteObjects (a CRC32 checksum, no Content-MD5) gets COS's 400 InvalidRequest."""
    emulator.state.put_object(bucket, "a", b"x")
    error = refusal(s3.delete_objects, Bucket=bucket, Delete={"Objects": [{"Key": "a"}]})
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert (error.response["Error"]["Code"], error.response["Error"]["Message"]) == (
        "InvalidRequest",
        "Missing required header for this request: Content-MD5",
    )
    assert "a" in emulator.state.bucket(bucket).objects
    # The COS SDK sends Content-MD5 with the same request, and it goes through.
    emulator.client().delete_objects(Bucket=bucket, Delete={"Object": [{"Key": "a"}]})
    assert "a" not in emulator.state.bucket(bucket).objects


def test_referer_rule_applies_to_anonymous_boto3_calls(emulator, bucket):
    """Hotlink protection refuses an anonymous GET from a foreign Referer, not a signed one."""
    from cos_doctor.emulator import RefererConfig

    emulator.state.put_object(bucket, "pic.png", b"png", acl="public-read")
    emulator.state.bucket(bucket).referer = RefererConfig(domains=("good.example",))

    def referer(value):
        def add(request, **_):
            request.headers["Referer"] = value

        return add

    anonymous = emulator.boto3_client(anonymous=True)
    anonymous.meta.events.register("before-sign.s3.GetObject", referer("https://evil.example/"))
    error = refusal(anonymous.get_object, Bucket=bucket, Key="pic.png")
    assert (error.response["Error"]["Code"], error.response["Error"]["Message"]) == (
        "AccessDenied",
        "You are denied by bucket referer rule",
    )
    allowed = emulator.boto3_client(anonymous=True)
    allowed.meta.events.register("before-sign.s3.GetObject", referer("https://good.example/a"))
    assert allowed.get_object(Bucket=bucket, Key="pic.png")["Body"].read() == b"png"
    signed = emulator.boto3_client()
    signed.meta.events.register("before-sign.s3.GetObject", referer("https://evil.example/"))
    assert signed.get_object(Bucket=bucket, Key="pic.png")["Body"].read() == b"png"


def test_config_file_can_backdate_a_bucket_for_path_style():
    """A configured bucket's "created" before 2024 lets path-style requests reach it."""
    from cos_doctor.emulator import Emulator, default_state

    config = {"buckets": [{"name": "legacy-1250000000", "region": "ap-guangzhou", "created": 1}]}
    with Emulator(default_state(config)) as cos:
        s3 = cos.boto3_client(addressing_style="path")
        s3.put_object(Bucket="legacy-1250000000", Key="k", Body=b"old")
        error = refusal(s3.put_object, Bucket=cos.bucket, Key="k", Body=b"new")
        assert error.response["Error"]["Code"] == "PathStyleDomainForbidden"


def test_date_header_stands_in_for_x_amz_date():
    """Without X-Amz-Date, the Date header is the signing time, in SigV4's basic ISO form."""
    from cos_doctor.emulator import aws_auth
    from cos_doctor.emulator.request import CosRequest

    request = CosRequest(
        method="GET",
        host="h",
        path="/",
        query={},
        headers={
            "authorization": "AWS4-HMAC-SHA256 Credential=AK/20240105/ap-guangzhou/s3/"
            "aws4_request, SignedHeaders=date;host, Signature=00",
            "date": "Fri, 05 Jan 2024 10:20:30 GMT",
        },
        body=b"",
        remote_addr="127.0.0.1",
    )
    found = aws_auth.find(request)
    assert found.timestamp == "20240105T102030Z"
    assert found.signed_at == 1704450030
    assert found.payload_hash == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_presigned_url_of_a_temporary_key_carries_its_token(emulator, http, bucket):
    """A temporary key's presigned URL works with its X-Amz-Security-Token, not without."""
    emulator.state.put_object(bucket, "shared.txt", b"for you")
    key = emulator.state.issue_temporary_key(emulator.state.bucket(bucket).owner_uin)
    s3 = emulator.boto3_client(key.secret_id, key.secret_key, key.token)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared.txt"})
    assert "X-Amz-Security-Token=" in url
    local, headers = emulator.localize(url)
    with http.get(local, headers=headers) as response:
        assert (response.status_code, response.content) == (200, b"for you")
    parts = urlsplit(local)
    query = [(n, v) for n, v in parse_qsl(parts.query) if n != "X-Amz-Security-Token"]
    without = urlunsplit(parts._replace(query=urlencode(query)))
    with http.get(without, headers=headers) as response:
        assert response.status_code == 403
        assert "<Code>InvalidAccessKeyId</Code>" in response.text


def test_unreadable_sigv4_header_is_access_denied(emulator, http):
    """An AWS4-HMAC-SHA256 Authorization without its parts is refused before any key lookup."""
    url, headers = emulator.url("k")
    headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=nobody"
    with http.get(url, headers=headers) as response:
        assert response.status_code == 403
        assert "<Code>AccessDenied</Code>" in response.text
        assert "<Message>Check auth failure because signature empty.</Message>" in response.text


def test_presigned_put_uploads_the_body(s3, emulator, http, bucket):
    """A presigned PUT URL (UNSIGNED-PAYLOAD) stores whatever body is sent with it."""
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "up.txt"})
    local, headers = emulator.localize(url)
    with http.put(local, data=b"uploaded", headers=headers) as response:
        assert response.status_code == 200
    assert emulator.state.bucket(bucket).objects["up.txt"].data == b"uploaded"


def test_any_signing_region_is_accepted(emulator, bucket):
    """The region in the SigV4 scope is not checked: COS tells S3 apps to leave it on "Default".

    (General Configuration of COS in S3-compatible third-party applications: "Region: Select
    Default, Auto, or Automatic"; the endpoint, not the signature, names the region.)
    """
    s3 = emulator.boto3_client(
        region="us-east-1", endpoint_url="http://cos.ap-guangzhou.myqcloud.com"
    )
    sent = []
    _capture(s3, sent)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert b"/us-east-1/s3/aws4_request" in sent[0]["Authorization"]
    assert emulator.state.bucket(bucket).objects["k"].data == b"x"


def test_https_endpoint_is_refused_up_front(emulator):
    """The emulator proxies plain HTTP only, so an https:// endpoint is a ValueError, not a hang."""
    with pytest.raises(ValueError, match="plain HTTP"):
        emulator.boto3_client(endpoint_url="https://cos.ap-guangzhou.myqcloud.com")
