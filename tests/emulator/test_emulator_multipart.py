"""Multipart uploads answer like COS: SSE-C on every step, a CRC64 for every part."""

from __future__ import annotations

import base64
import hashlib

import pytest

from tests.emulator.helpers import crc64ecma, failure, read

KEY = base64.b64encode(b"m" * 32).decode()
OTHER = base64.b64encode(b"n" * 32).decode()
PART = b"p" * (1024 * 1024)


def _sse_c(key: str = KEY) -> dict[str, str]:
    md5 = base64.b64encode(hashlib.md5(base64.b64decode(key)).digest()).decode()
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key, "SSECustomerKeyMD5": md5}


ECHOED = {
    "x-cos-server-side-encryption-customer-algorithm": "AES256",
    "x-cos-server-side-encryption-customer-key-MD5": _sse_c()["SSECustomerKeyMD5"],
}


def _echoed(response) -> dict[str, str]:
    return {name: response.get(name) for name in ECHOED}


class TestSseCMultipart:
    @pytest.fixture
    def upload_id(self, owner, bucket):
        return owner.create_multipart_upload(Bucket=bucket, Key="mp", **_sse_c())["UploadId"]

    def test_initiate_echoes_sse_c(self, emulator, http, bucket):
        """Initiate Multipart Upload with SSE-C echoes the algorithm and key MD5 (436/7746)."""
        headers = {
            "x-cos-server-side-encryption-customer-algorithm": "AES256",
            "x-cos-server-side-encryption-customer-key": KEY,
            "x-cos-server-side-encryption-customer-key-MD5": _sse_c()["SSECustomerKeyMD5"],
        }
        signer = emulator.client(via_proxy=True)  # create_multipart_upload returns no headers
        auth = signer.get_auth(Method="POST", Bucket=bucket, Key="mp", Params={"uploads": ""})
        url, host = emulator.url("mp")
        with http.post(
            f"{url}?uploads", headers={**host, **headers, "Authorization": auth}
        ) as reply:
            assert reply.status_code == 200
            assert _echoed(reply.headers) == ECHOED

    @pytest.mark.parametrize("keys", [{}, _sse_c(OTHER)], ids=["no-key", "other-key"])
    def test_part_without_the_upload_key_is_refused(self, emulator, owner, bucket, upload_id, keys):
        """Upload Part of an SSE-C upload needs the upload's own key (436/7750): else 400, no part."""
        error = failure(
            owner.upload_part,
            Bucket=bucket,
            Key="mp",
            Body=PART,
            PartNumber=1,
            UploadId=upload_id,
            **keys,
        )
        assert (error.get_status_code(), error.get_error_code()) == (
            400,
            "SsecDecryptHeaderInvalid",
        )
        assert emulator.state.bucket(bucket).uploads[upload_id].parts == {}

    def test_initiate_part_and_complete_echo_sse_c(self, owner, bucket, upload_id):
        """Initiate, each part and Complete echo the algorithm and key MD5; the object needs the key."""
        parts = []
        for number, body in enumerate((PART, b"tail"), 1):
            part = owner.upload_part(
                Bucket=bucket,
                Key="mp",
                Body=body,
                PartNumber=number,
                UploadId=upload_id,
                **_sse_c(),
            )
            assert _echoed(part) == ECHOED
            parts.append({"PartNumber": number, "ETag": part["ETag"]})
        completed = owner.complete_multipart_upload(
            Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload={"Part": parts}
        )
        assert _echoed(completed) == ECHOED
        assert completed["x-cos-hash-crc64ecma"] == crc64ecma(PART + b"tail")
        assert read(owner.get_object(Bucket=bucket, Key="mp", **_sse_c())) == PART + b"tail"
        assert failure(owner.get_object, Bucket=bucket, Key="mp").get_status_code() == 400

    def test_upload_file_with_sse_c_reports_the_algorithm(self, owner, bucket, tmp_path):
        """The SDK's multipart upload_file returns the SSE-C algorithm, as the SDK's own suite expects."""
        local = tmp_path / "big.bin"
        local.write_bytes(PART * 3)
        result = owner.upload_file(
            Bucket=bucket, Key="big", LocalFilePath=str(local), PartSize=1, **_sse_c()
        )
        assert result["x-cos-server-side-encryption-customer-algorithm"] == "AES256"


def test_upload_part_answers_its_crc64(emulator, owner, bucket):
    """Each part answers the x-cos-hash-crc64ecma of its own bytes (CRC64 Check, 436/34078)."""
    upload_id = owner.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    part = owner.upload_part(Bucket=bucket, Key="mp", Body=b"abc", PartNumber=1, UploadId=upload_id)
    assert emulator.state.bucket(bucket).uploads[upload_id].parts[1].data == b"abc"
    assert part["x-cos-hash-crc64ecma"] == crc64ecma(b"abc")
