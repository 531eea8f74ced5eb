"""Signature, key and clock problems produce COS's wire errors, as the SDK reports them."""

from __future__ import annotations

import base64
import re
import time
from email.utils import parsedate_to_datetime

from cos_doctor.emulator import DEFAULT_OWNER_SECRET_ID, DEFAULT_OWNER_UIN, DEFAULT_SUB_UIN
from tests.emulator.helpers import failure


def test_wrong_secret_key_is_signature_does_not_match(emulator, bucket):
    """A wrong SecretKey gives 403 SignatureDoesNotMatch with the server's strings to compare."""
    client = emulator.client(DEFAULT_OWNER_SECRET_ID, "not-the-secret")
    error = failure(client.get_object, Bucket=bucket, Key="dir/a b.txt")
    assert error.get_status_code() == 403
    assert error.get_error_code() == "SignatureDoesNotMatch"
    assert error.get_error_msg() == "The Signature you specified is invalid."
    body = error.get_origin_msg()
    assert re.search(r"<StringToSign>sha1\n\d+;\d+\n[0-9a-f]{40}\n</StringToSign>", body)
    host = f"{bucket}.cos.{emulator.region}.myqcloud.com"
    assert f"<FormatString>get\n/dir/a b.txt\n\nhost={host}\n</FormatString>" in body
    assert body.index("<StringToSign>") < body.index("<Resource>")
    assert error.get_resource_location() == f"{host}/dir/a b.txt"


def test_error_body_shape(emulator, bucket):
    """Error bodies have COS's single-quoted prolog, tab indentation and every element filled."""
    error = failure(emulator.client().get_object, Bucket=bucket, Key="missing")
    body = error.get_origin_msg()
    assert body.startswith(
        "<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n\t<Code>NoSuchKey</Code>"
    )
    assert (error.get_status_code(), error.get_error_msg()) == (
        404,
        "The specified key does not exist.",
    )
    assert error.get_trace_id() != "Unknown"


def test_request_id_shape(emulator, bucket):
    """RequestId is Base64 of <unix-hex>_<hex>_<hex>_<hex>, the hex time being the server's."""
    error = failure(emulator.client().get_object, Bucket=bucket, Key="missing")
    decoded = base64.b64decode(error.get_request_id()).decode()
    stamp, *rest = decoded.split("_")
    assert len(rest) == 3
    assert all(re.fullmatch(r"[0-9a-f]+", part) for part in rest)
    assert abs(int(stamp, 16) - time.time()) < 60


def test_unknown_key_is_invalid_access_key_id(emulator, bucket):
    """A SecretId the service never issued gives 403 InvalidAccessKeyId."""
    client = emulator.client("AKID-NOBODY", "whatever")
    error = failure(client.list_objects, Bucket=bucket)
    assert (error.get_status_code(), error.get_error_code()) == (403, "InvalidAccessKeyId")
    assert error.get_error_msg() == "The Access Key Id you provided does not exist in our records."


def test_disabled_key_is_invalid_access_key_id(emulator, owner, bucket):
    """Disabling a key in CAM makes the same client fail with InvalidAccessKeyId."""
    owner.list_objects(Bucket=bucket)
    emulator.state.set_key_enabled(DEFAULT_OWNER_SECRET_ID, enabled=False)
    assert failure(owner.list_objects, Bucket=bucket).get_error_code() == "InvalidAccessKeyId"


def test_server_clock_behind_is_request_time_too_skewed(emulator, owner, bucket):
    """A client clock more than 15 minutes ahead of the server's gives RequestTimeTooSkewed."""
    emulator.state.set_clock_offset(-3600)
    error = failure(owner.list_objects, Bucket=bucket)
    assert (error.get_status_code(), error.get_error_code()) == (403, "RequestTimeTooSkewed")
    assert "<ServerTime>" in error.get_origin_msg()


def test_date_header_follows_server_clock(emulator, http, bucket):
    """Every response's Date header comes from the emulator's clock, offset included."""
    emulator.state.set_clock_offset(-7200)
    url, headers = emulator.url("anything")
    with http.get(url, headers=headers) as response:
        served = parsedate_to_datetime(response.headers["Date"]).timestamp()
        assert response.headers["Server"] == "tencent-cos"
        assert response.headers["x-cos-request-id"]
        assert response.headers["x-cos-trace-id"]
    assert abs(served - (time.time() - 7200)) < 60


def test_expired_presigned_url(emulator, http, owner, bucket):
    """A presigned URL used after its window gives 403 AccessDenied 'Request has expired'."""
    owner.put_object(Bucket=bucket, Key="p", Body=b"x")
    signer = emulator.client(via_proxy=True)
    url, headers = emulator.localize(
        signer.get_presigned_url(Bucket=bucket, Key="p", Method="GET", Expired=60)
    )
    emulator.state.set_clock_offset(600)
    with http.get(url, headers=headers) as response:
        assert response.status_code == 403
        assert "<Code>AccessDenied</Code>" in response.text
        assert "<Message>Request has expired</Message>" in response.text
        assert "<ServerTime>" in response.text


def test_presigned_get_and_put(emulator, http, owner, bucket):
    """Presigned PUT and GET URLs work when sent to the emulator with their original Host."""
    signer = emulator.client(via_proxy=True)
    put_url, headers = emulator.localize(
        signer.get_presigned_url(Bucket=bucket, Key="pre sign+d", Method="PUT")
    )
    with http.put(put_url, headers=headers, data=b"uploaded") as response:
        assert response.status_code == 200
    get_url, headers = emulator.localize(
        signer.get_presigned_url(
            Bucket=bucket,
            Key="pre sign+d",
            Method="GET",
            Params={"response-content-type": "text/x-test"},
        )
    )
    with http.get(get_url, headers=headers) as response:
        assert response.content == b"uploaded"
        assert response.headers["Content-Type"] == "text/x-test"


def test_presigned_url_with_another_host_fails(emulator, http, owner, bucket):
    """A presigned URL sent with a different Host than it was signed for does not verify."""
    owner.create_bucket(Bucket="other-1250000000")
    owner.put_object(Bucket="other-1250000000", Key="p", Body=b"x")
    signer = emulator.client(via_proxy=True)
    url, _ = emulator.localize(signer.get_presigned_url(Bucket=bucket, Key="p", Method="GET"))
    with http.get(url, headers={"Host": emulator.host("other-1250000000")}) as response:
        assert response.status_code == 403
        assert "<Code>SignatureDoesNotMatch</Code>" in response.text


class TestTemporaryCredentials:
    def test_token_client_works(self, emulator, bucket):
        """A temporary key used with its token (x-cos-security-token) is accepted."""
        key = emulator.state.issue_temporary_key(DEFAULT_OWNER_UIN)
        client = emulator.client(key.secret_id, key.secret_key, key.token)
        client.put_object(Bucket=bucket, Key="t", Body=b"temp")
        assert client.head_object(Bucket=bucket, Key="t")["Content-Length"] == "4"

    def test_missing_token_is_invalid_access_key_id(self, emulator, bucket):
        """A temporary key presented without its token is InvalidAccessKeyId."""
        key = emulator.state.issue_temporary_key(DEFAULT_OWNER_UIN)
        client = emulator.client(key.secret_id, key.secret_key)
        assert failure(client.list_objects, Bucket=bucket).get_error_code() == "InvalidAccessKeyId"

    def test_expired_temporary_key(self, emulator, bucket):
        """Once a temporary key's lifetime has passed it is InvalidAccessKeyId."""
        key = emulator.state.issue_temporary_key(DEFAULT_OWNER_UIN, duration=1800)
        client = emulator.client(key.secret_id, key.secret_key, key.token)
        client.list_objects(Bucket=bucket)
        emulator.state.set_clock_offset(3600)
        assert failure(client.list_objects, Bucket=bucket).get_error_code() == "InvalidAccessKeyId"

    def test_presigned_url_with_token_param(self, emulator, http, owner, bucket):
        """A presigned URL from a temporary key carries its token as a signed parameter."""
        owner.put_object(Bucket=bucket, Key="p", Body=b"x")
        key = emulator.state.issue_temporary_key(DEFAULT_OWNER_UIN)
        signer = emulator.client(key.secret_id, key.secret_key, key.token, via_proxy=True)
        signed = signer.get_presigned_url(
            Bucket=bucket, Key="p", Method="GET", Params={"x-cos-security-token": key.token}
        )
        url, headers = emulator.localize(signed)
        with http.get(url, headers=headers) as response:
            assert response.content == b"x"

    def test_scope_policy_bounds_the_key(self, emulator, bucket):
        """A temporary key issued with a read-only policy cannot write, even for the root."""
        policy = {
            "statement": [{"effect": "allow", "action": ["name/cos:GetObject"], "resource": ["*"]}]
        }
        key = emulator.state.issue_temporary_key(DEFAULT_OWNER_UIN, policy=policy)
        client = emulator.client(key.secret_id, key.secret_key, key.token)
        error = failure(client.put_object, Bucket=bucket, Key="w", Body=b"")
        assert (error.get_error_code(), error.get_error_msg()) == ("AccessDenied", "Access Denied.")

    def test_sub_account_temporary_key_needs_parent_rights(self, emulator, bucket):
        """A sub-account's temporary key cannot exceed the sub-account's own (empty) rights."""
        key = emulator.state.issue_temporary_key(DEFAULT_SUB_UIN)
        client = emulator.client(key.secret_id, key.secret_key, key.token)
        assert failure(client.list_objects, Bucket=bucket).get_error_code() == "AccessDenied"


class TestMissingThings:
    def test_no_such_key(self, owner, bucket):
        """GET of a missing key is 404 NoSuchKey."""
        error = failure(owner.get_object, Bucket=bucket, Key="nope")
        assert (error.get_status_code(), error.get_error_code()) == (404, "NoSuchKey")

    def test_no_such_bucket(self, owner):
        """A bucket that does not exist is 404 NoSuchBucket."""
        error = failure(owner.list_objects, Bucket="ghost-1250000000")
        assert (error.get_status_code(), error.get_error_code()) == (404, "NoSuchBucket")
        assert error.get_error_msg() == "The specified bucket does not exist."

    def test_head_missing_key(self, owner, bucket):
        """HEAD of a missing key is a 404 the SDK reports as NoSuchResource (no body)."""
        error = failure(owner.head_object, Bucket=bucket, Key="nope")
        assert (error.get_status_code(), error.get_error_code()) == (404, "NoSuchResource")
        assert base64.b64decode(error.get_request_id())

    def test_head_403_has_no_body(self, emulator, owner, sub, bucket):
        """A HEAD refused with 403 carries no body: the SDK sees only status and headers."""
        owner.put_object(Bucket=bucket, Key="private", Body=b"x")
        error = failure(sub.head_object, Bucket=bucket, Key="private")
        assert error.get_status_code() == 403
        assert error.get_origin_msg() == ""
        assert error.get_error_code() == "Unknown"
        headers = error.get_digest_msg()
        assert headers["Content-Length"] == "0"
        assert headers["x-cos-request-id"]
        assert headers["x-cos-trace-id"]
