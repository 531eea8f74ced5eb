"""Rules of the error-code table, reached by genuine misuse of the emulator through the real SDK.

Each case does what a user's code gets wrong (an aborted upload reused, parts listed out of
order, a bucket deleted while it still holds data …) and holds the diagnosis to its rule id
and, where the request shows it, its key evidence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import pytest
from qcloud_cos.cos_exception import CosServiceError

from cos_doctor.emulator import DEFAULT_BUCKET, Emulator

if TYPE_CHECKING:
    from qcloud_cos import CosS3Client

MB = 1024 * 1024


def _started_upload(client: CosS3Client, key: str) -> str:
    upload_id: str = client.create_multipart_upload(Bucket=DEFAULT_BUCKET, Key=key)["UploadId"]
    return upload_id


def _reused_aborted_upload(client: CosS3Client) -> None:
    upload_id = _started_upload(client, "big.bin")
    client.abort_multipart_upload(Bucket=DEFAULT_BUCKET, Key="big.bin", UploadId=upload_id)
    client.upload_part(
        Bucket=DEFAULT_BUCKET, Key="big.bin", Body=b"x", PartNumber=1, UploadId=upload_id
    )


def _parts_out_of_order(client: CosS3Client) -> None:
    upload_id = _started_upload(client, "big.bin")
    parts = [
        {
            "PartNumber": number,
            "ETag": client.upload_part(
                Bucket=DEFAULT_BUCKET,
                Key="big.bin",
                Body=b"x" * MB,
                PartNumber=number,
                UploadId=upload_id,
            )["ETag"],
        }
        for number in (1, 2)
    ]
    client.complete_multipart_upload(
        Bucket=DEFAULT_BUCKET,
        Key="big.bin",
        UploadId=upload_id,
        MultipartUpload={"Part": parts[::-1]},
    )


def _completed_with_no_parts(client: CosS3Client) -> None:
    upload_id = _started_upload(client, "big.bin")
    client.complete_multipart_upload(
        Bucket=DEFAULT_BUCKET, Key="big.bin", UploadId=upload_id, MultipartUpload={"Part": []}
    )


def _small_middle_part(client: CosS3Client) -> None:
    upload_id = _started_upload(client, "big.bin")
    parts = [
        {
            "PartNumber": number,
            "ETag": client.upload_part(
                Bucket=DEFAULT_BUCKET,
                Key="big.bin",
                Body=b"x" * 1024,
                PartNumber=number,
                UploadId=upload_id,
            )["ETag"],
        }
        for number in (1, 2)
    ]
    client.complete_multipart_upload(
        Bucket=DEFAULT_BUCKET, Key="big.bin", UploadId=upload_id, MultipartUpload={"Part": parts}
    )


def _delete_bucket_with_data(client: CosS3Client) -> None:
    client.put_object(Bucket=DEFAULT_BUCKET, Key="left-behind.txt", Body=b"x")
    client.delete_bucket(Bucket=DEFAULT_BUCKET)


def _create_existing_bucket(client: CosS3Client) -> None:
    client.create_bucket(Bucket=DEFAULT_BUCKET)


def _restore_standard_object(client: CosS3Client) -> None:
    client.put_object(Bucket=DEFAULT_BUCKET, Key="plain.txt", Body=b"x")
    client.restore_object(
        Bucket=DEFAULT_BUCKET,
        Key="plain.txt",
        RestoreRequest={"Days": 1, "CASJobParameters": {"Tier": "Standard"}},
    )


def _restore_twice(client: CosS3Client) -> None:
    client.put_object(Bucket=DEFAULT_BUCKET, Key="old.log", Body=b"x", StorageClass="ARCHIVE")
    request = {"Days": 1, "CASJobParameters": {"Tier": "Standard"}}
    client.restore_object(Bucket=DEFAULT_BUCKET, Key="old.log", RestoreRequest=request)
    client.restore_object(Bucket=DEFAULT_BUCKET, Key="old.log", RestoreRequest=request)


def _range_past_the_end(client: CosS3Client) -> None:
    client.put_object(Bucket=DEFAULT_BUCKET, Key="ten.bin", Body=b"0123456789")
    client.get_object(Bucket=DEFAULT_BUCKET, Key="ten.bin", Range="bytes=100-199")


def _cors_never_set(client: CosS3Client) -> None:
    client.get_bucket_cors(Bucket=DEFAULT_BUCKET)


def _copy_from_nothing(client: CosS3Client) -> None:
    source = {"Bucket": DEFAULT_BUCKET, "Key": "never-uploaded.txt", "Region": "ap-guangzhou"}
    client.copy_object(Bucket=DEFAULT_BUCKET, Key="copy.txt", CopySource=source)


CASES: list[tuple[str, Callable[[CosS3Client], None], str]] = [
    ("aborted upload reused", _reused_aborted_upload, "no-such-upload"),
    ("parts completed in reverse", _parts_out_of_order, "invalid-part-order"),
    ("1 KB middle part", _small_middle_part, "part-too-small"),
    ("completed with no parts", _completed_with_no_parts, "invalid-part"),
    ("bucket deleted with data", _delete_bucket_with_data, "bucket-not-empty"),
    ("bucket created twice", _create_existing_bucket, "bucket-already-owned"),
    ("standard object restored", _restore_standard_object, "restore-non-archive"),
    ("archive restored twice", _restore_twice, "restore-in-progress"),
    ("range past the end", _range_past_the_end, "invalid-range"),
    ("CORS never configured", _cors_never_set, "configuration-not-set"),
    ("copy from a missing key", _copy_from_nothing, "copy-source-not-found"),
]


@pytest.mark.parametrize(
    ("mistake", "rule_id"),
    [(run, rule) for _, run, rule in CASES],
    ids=[name for name, _, _ in CASES],
)
def test_misuse_is_diagnosed_by_its_table_rule(
    emulator: Emulator, installed: None, mistake: Callable[[CosS3Client], None], rule_id: str
) -> None:
    """The SDK's failing call is diagnosed by the specific rule for its documented Code."""
    with pytest.raises(CosServiceError) as caught:
        mistake(emulator.client())
    diagnosis = caught.value.diagnosis
    assert diagnosis is not None
    assert diagnosis.rule_id == rule_id
    assert "https://console.cloud.tencent.com/cos5/diagnose" in diagnosis.steps[-1]


def test_empty_completion_is_told_to_upload_or_abort(emulator: Emulator, installed: None) -> None:
    """Completing an upload with an empty part list points to uploading parts or aborting."""
    with pytest.raises(CosServiceError) as caught:
        _completed_with_no_parts(emulator.client())
    steps = " ".join(caught.value.diagnosis.steps)
    assert f"client.abort_multipart_upload(Bucket='{DEFAULT_BUCKET}', Key='big.bin'" in steps


def test_reused_upload_names_its_upload_id(emulator: Emulator, installed: None) -> None:
    """NoSuchUpload shows the UploadId that was sent and a list_parts call for it."""
    client = emulator.client()
    upload_id = _started_upload(client, "big.bin")
    client.abort_multipart_upload(Bucket=DEFAULT_BUCKET, Key="big.bin", UploadId=upload_id)
    with pytest.raises(CosServiceError) as caught:
        client.upload_part(
            Bucket=DEFAULT_BUCKET, Key="big.bin", Body=b"x", PartNumber=1, UploadId=upload_id
        )
    diagnosis = caught.value.diagnosis
    assert diagnosis.evidence_value("upload_id") == upload_id
    assert diagnosis.evidence_value("list_parts_call") == (
        f"client.list_parts(Bucket={DEFAULT_BUCKET!r}, Key='big.bin', UploadId={upload_id!r})"
    )
