"""PUT Object - Copy and Upload Part - Copy answer like COS: conditions, SSE-C, CRC64, self-copy."""

from __future__ import annotations

import base64
import hashlib

import pytest

from tests.emulator.helpers import crc64ecma, failure, read

SOURCE_KEY = base64.b64encode(b"s" * 32).decode()
DEST_KEY = base64.b64encode(b"d" * 32).decode()
PAST = "Mon, 01 Jan 2001 00:00:00 GMT"
FUTURE = "Fri, 01 Jan 2100 00:00:00 GMT"


def _md5(key: str) -> str:
    return base64.b64encode(hashlib.md5(base64.b64decode(key)).digest()).decode()


def _sse_c(key: str, prefix: str = "") -> dict[str, str]:
    return {
        f"{prefix}SSECustomerAlgorithm": "AES256",
        f"{prefix}SSECustomerKey": key,
        f"{prefix}SSECustomerKeyMD5": _md5(key),
    }


@pytest.fixture
def source(emulator, owner, bucket):
    """A plain source object and the CopySource dict naming it."""
    etag = owner.put_object(Bucket=bucket, Key="src", Body=b"source data")["ETag"]
    return {"Bucket": bucket, "Key": "src", "Region": emulator.region}, etag


class TestCopySourceConditions:
    @pytest.mark.parametrize(
        "condition",
        [
            ("CopySourceIfMatch", '"0000"'),
            ("CopySourceIfNoneMatch", "etag"),
            ("CopySourceIfModifiedSince", FUTURE),
            ("CopySourceIfUnmodifiedSince", PAST),
        ],
    )
    def test_failed_condition_is_412_and_copies_nothing(
        self, emulator, owner, bucket, source, condition
    ):
        """Each failed x-cos-copy-source-If-* condition is 412 PreconditionFailed (436/10881)."""
        copy_source, etag = source
        header, value = condition
        value = etag if value == "etag" else value
        error = failure(
            owner.copy_object, Bucket=bucket, Key="dst", CopySource=copy_source, **{header: value}
        )
        assert (error.get_status_code(), error.get_error_code()) == (412, "PreconditionFailed")
        assert "dst" not in emulator.state.bucket(bucket).objects

    @pytest.mark.parametrize(
        "conditions",
        [
            {"CopySourceIfMatch": "etag", "CopySourceIfUnmodifiedSince": PAST},
            {"CopySourceIfNoneMatch": '"0000"', "CopySourceIfModifiedSince": FUTURE},
            {"CopySourceIfModifiedSince": PAST, "CopySourceIfUnmodifiedSince": FUTURE},
        ],
        ids=["if-match-beats-date", "if-none-match-beats-date", "dates-hold"],
    )
    def test_conditions_that_hold_copy(self, owner, bucket, source, conditions):
        """A true If-Match (If-None-Match) makes COS ignore the date beside it (RFC 9110 §13.2.2)."""
        copy_source, etag = source
        conditions = {k: etag if v == "etag" else v for k, v in conditions.items()}
        owner.copy_object(Bucket=bucket, Key="dst", CopySource=copy_source, **conditions)
        assert read(owner.get_object(Bucket=bucket, Key="dst")) == b"source data"

    def test_upload_part_copy_checks_conditions(self, owner, bucket, source):
        """Upload Part - Copy answers 412 for a failed copy-source condition too (436/8287)."""
        copy_source, _ = source
        upload_id = owner.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
        error = failure(
            owner.upload_part_copy,
            Bucket=bucket,
            Key="mp",
            PartNumber=1,
            UploadId=upload_id,
            CopySource=copy_source,
            CopySourceIfMatch='"0000"',
        )
        assert (error.get_status_code(), error.get_error_code()) == (412, "PreconditionFailed")


class TestCopySseC:
    @pytest.fixture
    def encrypted(self, emulator, owner, bucket):
        owner.put_object(Bucket=bucket, Key="enc", Body=b"secret", **_sse_c(SOURCE_KEY))
        return {"Bucket": bucket, "Key": "enc", "Region": emulator.region}

    @pytest.mark.parametrize(
        "keys", [{}, _sse_c(DEST_KEY, "CopySource")], ids=["no-key", "other-key"]
    )
    def test_source_without_its_key_is_refused(self, emulator, owner, bucket, encrypted, keys):
        """Copying an SSE-C object without its own key is 400 SsecDecryptHeaderInvalid; no copy is made."""
        error = failure(owner.copy_object, Bucket=bucket, Key="dst", CopySource=encrypted, **keys)
        assert (error.get_status_code(), error.get_error_code()) == (
            400,
            "SsecDecryptHeaderInvalid",
        )
        assert "dst" not in emulator.state.bucket(bucket).objects

    def test_copy_with_keys_echoes_the_destination_encryption(self, owner, bucket, encrypted):
        """With the source key and a new key, the copy echoes the algorithm and the new key's MD5."""
        result = owner.copy_object(
            Bucket=bucket,
            Key="dst",
            CopySource=encrypted,
            **_sse_c(SOURCE_KEY, "CopySource"),
            **_sse_c(DEST_KEY),
        )
        assert result["x-cos-server-side-encryption-customer-algorithm"] == "AES256"
        assert result["x-cos-server-side-encryption-customer-key-MD5"] == _md5(DEST_KEY)
        assert read(owner.get_object(Bucket=bucket, Key="dst", **_sse_c(DEST_KEY))) == b"secret"
        error = failure(owner.get_object, Bucket=bucket, Key="dst", **_sse_c(SOURCE_KEY))
        assert error.get_error_code() == "SsecDecryptHeaderInvalid"

    def test_upload_part_copy_needs_the_source_key(self, owner, bucket, encrypted):
        """Upload Part - Copy of an SSE-C source without its key is refused like a copy."""
        upload_id = owner.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
        error = failure(
            owner.upload_part_copy,
            Bucket=bucket,
            Key="mp",
            PartNumber=1,
            UploadId=upload_id,
            CopySource=encrypted,
        )
        assert error.get_error_code() == "SsecDecryptHeaderInvalid"


def test_copy_answers_the_crc64(owner, bucket, source):
    """A copy answers x-cos-hash-crc64ecma and <CRC64> with the copied data's CRC64 (436/34078)."""
    copy_source, _ = source
    result = owner.copy_object(Bucket=bucket, Key="dst", CopySource=copy_source)
    assert result["x-cos-hash-crc64ecma"] == result["CRC64"] == crc64ecma(b"source data")


def test_upload_part_copy_answers_the_crc64(emulator, owner, bucket, source):
    """Upload Part - Copy answers the CRC64 of the copied range (CRC64 Check, 436/34078)."""
    copy_source, _ = source
    upload_id = owner.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    result = owner.upload_part_copy(
        Bucket=bucket,
        Key="mp",
        PartNumber=1,
        UploadId=upload_id,
        CopySource=copy_source,
        CopySourceRange="bytes=0-5",
    )
    assert emulator.state.bucket(bucket).uploads[upload_id].parts[1].data == b"source"
    assert result["x-cos-hash-crc64ecma"] == crc64ecma(b"source")


class TestCopyOntoItself:
    def test_default_copy_directive_is_refused(self, emulator, owner, bucket, source):
        """A copy onto itself without x-cos-metadata-directive: Replaced is 400 and changes nothing."""
        copy_source, _ = source
        before = emulator.state.bucket(bucket).objects["src"]
        error = failure(owner.copy_object, Bucket=bucket, Key="src", CopySource=copy_source)
        assert (error.get_status_code(), error.get_error_code()) == (400, "InvalidRequest")
        assert "Replaced" in error.get_error_msg()
        assert emulator.state.bucket(bucket).objects["src"] is before

    def test_replaced_directive_changes_metadata(self, owner, bucket, source):
        """With Replaced, a copy onto itself rewrites the object's metadata (the SDK's update_object_meta)."""
        owner.update_object_meta(Bucket=bucket, Key="src", Metadata={"x-cos-meta-k": "v"})
        assert owner.head_object(Bucket=bucket, Key="src")["x-cos-meta-k"] == "v"
