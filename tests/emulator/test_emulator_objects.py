"""Object round trips through the real SDK: what goes in comes back out, byte for byte."""

from __future__ import annotations

import os

import pytest
from qcloud_cos.cos_exception import CosServiceError

from tests.emulator.helpers import read

WEIRD_KEY = "dir/腾讯云 a+b()!*.txt"


class TestRoundTrips:
    def test_put_get_head_delete(self, owner, bucket):
        """A put object is readable, described by HEAD, and gone after DELETE."""
        put = owner.put_object(Bucket=bucket, Key="a.txt", Body=b"hello", ContentType="text/plain")
        assert read(owner.get_object(Bucket=bucket, Key="a.txt")) == b"hello"
        head = owner.head_object(Bucket=bucket, Key="a.txt")
        assert head["Content-Length"] == "5"
        assert head["ETag"] == put["ETag"] == '"5d41402abc4b2a76b9719d911017c592"'
        assert head["Content-Type"] == "text/plain"
        assert "x-cos-storage-class" not in head
        owner.delete_object(Bucket=bucket, Key="a.txt")
        assert not owner.object_exists(Bucket=bucket, Key="a.txt")

    @pytest.mark.parametrize("key", [WEIRD_KEY, "space key", "plus+sign", "a/./b", "ünï/çødé"])
    def test_awkward_keys_round_trip(self, owner, bucket, key):
        """Unicode, spaces and +()!* in keys are signed and stored exactly."""
        owner.put_object(Bucket=bucket, Key=key, Body=key.encode())
        assert read(owner.get_object(Bucket=bucket, Key=key)) == key.encode()
        keys = [c["Key"] for c in owner.list_objects(Bucket=bucket).get("Contents", [])]
        assert key in keys

    def test_non_ascii_metadata(self, owner, bucket):
        """Non-ASCII x-cos-meta-* values pass the signature check and come back as sent."""
        owner.put_object(Bucket=bucket, Key="m", Body=b"x", Metadata={"x-cos-meta-note": "值 ✓"})
        value = owner.head_object(Bucket=bucket, Key="m")["x-cos-meta-note"]
        # requests reads header bytes as latin-1, as it would from the real service.
        assert value.encode("latin-1").decode("utf-8") == "值 ✓"

    def test_range_get(self, owner, bucket):
        """A Range GET returns 206 with just those bytes and a Content-Range."""
        owner.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
        response = owner.get_object(Bucket=bucket, Key="r", Range="bytes=2-4")
        assert response["Content-Range"] == "bytes 2-4/10"
        assert read(response) == b"234"
        assert read(owner.get_object(Bucket=bucket, Key="r", Range="bytes=-3")) == b"789"

    def test_range_past_the_end_is_invalid(self, owner, bucket):
        """A Range starting beyond the object is 416 InvalidRange."""
        owner.put_object(Bucket=bucket, Key="r", Body=b"abc")
        with pytest.raises(CosServiceError) as caught:
            owner.get_object(Bucket=bucket, Key="r", Range="bytes=10-20")
        assert (caught.value.get_status_code(), caught.value.get_error_code()) == (
            416,
            "InvalidRange",
        )

    def test_response_overrides(self, owner, bucket):
        """response-content-type on GET overrides the stored Content-Type."""
        owner.put_object(Bucket=bucket, Key="o", Body=b"x")
        response = owner.get_object(Bucket=bucket, Key="o", ResponseContentType="image/png")
        read(response)
        assert response["Content-Type"] == "image/png"


class TestListing:
    def test_prefix_with_space_and_plus(self, owner, bucket):
        """Prefix='dir/a b+c' (form-encoded by requests as a+b%2Bc) lists the right keys."""
        for key in ("dir/a b+c/1", "dir/a b+c/2", "dir/a b/3", "dir/abc"):
            owner.put_object(Bucket=bucket, Key=key, Body=b"")
        listed = owner.list_objects(Bucket=bucket, Prefix="dir/a b+c")
        assert [c["Key"] for c in listed["Contents"]] == ["dir/a b+c/1", "dir/a b+c/2"]

    def test_delimiter_groups_common_prefixes(self, owner, bucket):
        """With Delimiter='/', deeper keys fold into CommonPrefixes."""
        for key in ("top.txt", "photos/1.jpg", "photos/2.jpg", "docs/a/b.txt"):
            owner.put_object(Bucket=bucket, Key=key, Body=b"")
        listed = owner.list_objects(Bucket=bucket, Delimiter="/")
        assert [c["Key"] for c in listed["Contents"]] == ["top.txt"]
        assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["docs/", "photos/"]

    def test_max_keys_and_marker_paginate(self, owner, bucket):
        """MaxKeys truncates with a NextMarker from which the next page continues."""
        for key in ("k1", "k2", "k3"):
            owner.put_object(Bucket=bucket, Key=key, Body=b"")
        first = owner.list_objects(Bucket=bucket, MaxKeys=2)
        assert first["IsTruncated"] == "true"
        assert [c["Key"] for c in first["Contents"]] == ["k1", "k2"]
        rest = owner.list_objects(Bucket=bucket, Marker=first["NextMarker"])
        assert [c["Key"] for c in rest["Contents"]] == ["k3"]
        assert rest["IsTruncated"] == "false"

    def test_max_keys_zero_lists_nothing_and_is_not_truncated(self, owner, bucket):
        """MaxKeys=0 lists nothing and says so untruncated: no empty NextMarker to loop on."""
        owner.put_object(Bucket=bucket, Key="k1", Body=b"")
        listed = owner.list_objects(Bucket=bucket, MaxKeys=0)
        assert listed["IsTruncated"] == "false"
        assert "NextMarker" not in listed
        assert "Contents" not in listed

    def test_delete_objects(self, owner, bucket):
        """delete_objects removes every listed key and reports each."""
        for key in ("d1", "d2"):
            owner.put_object(Bucket=bucket, Key=key, Body=b"")
        result = owner.delete_objects(
            Bucket=bucket, Delete={"Object": [{"Key": "d1"}, {"Key": "d2"}, {"Key": "nope"}]}
        )
        assert sorted(d["Key"] for d in result["Deleted"]) == ["d1", "d2", "nope"]
        assert "Contents" not in owner.list_objects(Bucket=bucket)


class TestMultipart:
    def test_upload_file_uses_multipart(self, owner, bucket, tmp_path):
        """upload_file of a file larger than its part size completes as a multipart object."""
        data = os.urandom(2 * 1024 * 1024 + 123)
        path = tmp_path / "big.bin"
        path.write_bytes(data)
        result = owner.upload_file(
            Bucket=bucket, Key="big.bin", LocalFilePath=str(path), PartSize=1
        )
        assert result["ETag"].endswith('-3"')
        assert read(owner.get_object(Bucket=bucket, Key="big.bin")) == data

    def test_list_parts_then_abort(self, owner, bucket):
        """Uploaded parts are listed until the upload is aborted, then it is NoSuchUpload."""
        upload_id = owner.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
        owner.upload_part(Bucket=bucket, Key="mp", Body=b"part", PartNumber=1, UploadId=upload_id)
        parts = owner.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
        assert [p["PartNumber"] for p in parts["Part"]] == ["1"]
        owner.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id)
        with pytest.raises(CosServiceError) as caught:
            owner.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
        assert caught.value.get_error_code() == "NoSuchUpload"

    def test_small_middle_part_is_refused(self, owner, bucket):
        """Completing with a part under 1 MB that is not the last is EntityTooSmall."""
        upload_id = owner.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
        etags = [
            owner.upload_part(Bucket=bucket, Key="mp", Body=b"x", PartNumber=n, UploadId=upload_id)[
                "ETag"
            ]
            for n in (1, 2)
        ]
        parts = [{"PartNumber": n, "ETag": e} for n, e in zip((1, 2), etags)]
        with pytest.raises(CosServiceError) as caught:
            owner.complete_multipart_upload(
                Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload={"Part": parts}
            )
        assert caught.value.get_error_code() == "EntityTooSmall"


class TestCopy:
    def test_copy_object_keeps_data_and_metadata(self, owner, bucket, emulator):
        """copy_object duplicates the bytes and, by default, the metadata."""
        owner.put_object(Bucket=bucket, Key="src", Body=b"data", Metadata={"x-cos-meta-a": "1"})
        source = {"Bucket": bucket, "Key": "src", "Region": emulator.region}
        result = owner.copy_object(Bucket=bucket, Key="dst", CopySource=source)
        assert result["ETag"] == '"8d777f385d3dfec8815d20f7496026dc"'
        assert read(owner.get_object(Bucket=bucket, Key="dst")) == b"data"
        assert owner.head_object(Bucket=bucket, Key="dst")["x-cos-meta-a"] == "1"

    def test_copy_helper_through_proxy(self, emulator, bucket):
        """The SDK's copy() helper (HEAD of the source by its real host) works via the proxy."""
        client = emulator.client(via_proxy=True)
        client.put_object(Bucket=bucket, Key="src", Body=b"data")
        source = {"Bucket": bucket, "Key": "src", "Region": emulator.region}
        client.copy(Bucket=bucket, Key="dst", CopySource=source)
        assert read(client.get_object(Bucket=bucket, Key="dst")) == b"data"

    def test_missing_copy_source(self, owner, bucket, emulator):
        """Copying a key that does not exist is 404 NoSuchCopySource."""
        source = {"Bucket": bucket, "Key": "ghost", "Region": emulator.region}
        with pytest.raises(CosServiceError) as caught:
            owner.copy_object(Bucket=bucket, Key="dst", CopySource=source)
        assert (caught.value.get_status_code(), caught.value.get_error_code()) == (
            404,
            "NoSuchCopySource",
        )


class TestBucketLevel:
    def test_list_buckets_through_proxy(self, emulator):
        """list_buckets (service.cos.myqcloud.com) lists the account's buckets via the proxy."""
        listed = emulator.client(via_proxy=True).list_buckets()
        assert [b["Name"] for b in listed["Buckets"]["Bucket"]] == [emulator.bucket]
        assert listed["Buckets"]["Bucket"][0]["Location"] == emulator.region

    def test_head_bucket_reports_region(self, owner, bucket, emulator):
        """HEAD Bucket succeeds and names the region."""
        assert owner.head_bucket(Bucket=bucket)["x-cos-bucket-region"] == emulator.region

    def test_create_and_delete_bucket(self, owner):
        """The owner can create a bucket with its own APPID, and delete it while empty."""
        owner.create_bucket(Bucket="fresh-1250000000")
        assert owner.bucket_exists(Bucket="fresh-1250000000")
        owner.delete_bucket(Bucket="fresh-1250000000")
        assert not owner.bucket_exists(Bucket="fresh-1250000000")

    def test_bucket_acl_round_trip(self, owner, bucket):
        """put_bucket_acl(ACL='public-read') reads back as CannedACL public-read."""
        owner.put_bucket_acl(Bucket=bucket, ACL="public-read")
        assert owner.get_bucket_acl(Bucket=bucket)["CannedACL"] == "public-read"

    def test_object_acl_round_trip(self, owner, bucket):
        """An object's ACL is default until set, then reads back as set."""
        owner.put_object(Bucket=bucket, Key="o", Body=b"")
        assert owner.get_object_acl(Bucket=bucket, Key="o")["CannedACL"] == "default"
        owner.put_object_acl(Bucket=bucket, Key="o", ACL="public-read")
        assert owner.get_object_acl(Bucket=bucket, Key="o")["CannedACL"] == "public-read"

    def test_policy_round_trip_and_delete(self, owner, bucket):
        """A bucket policy reads back as put, and is NoSuchBucketPolicy once deleted."""
        policy = {
            "Statement": [
                {
                    "Effect": "allow",
                    "Principal": {"qcs": ["qcs::cam::anyone:anyone"]},
                    "Action": ["name/cos:GetObject"],
                    "Resource": ["*"],
                }
            ]
        }
        owner.put_bucket_policy(Bucket=bucket, Policy=policy)
        assert "qcs::cam::anyone:anyone" in owner.get_bucket_policy(Bucket=bucket)["Policy"]
        owner.delete_bucket_policy(Bucket=bucket)
        with pytest.raises(CosServiceError) as caught:
            owner.get_bucket_policy(Bucket=bucket)
        assert caught.value.get_status_code() == 404

    def test_referer_and_cors_round_trip(self, owner, bucket):
        """Referer and CORS configurations read back as put, and can be removed."""
        owner.put_bucket_referer(
            Bucket=bucket,
            RefererConfiguration={
                "Status": "Enabled",
                "RefererType": "White-List",
                "DomainList": {"Domain": ["*.example.com"]},
                "EmptyReferConfiguration": "Allow",
            },
        )
        assert owner.get_bucket_referer(Bucket=bucket)["DomainList"]["Domain"] == ["*.example.com"]
        owner.put_bucket_cors(
            Bucket=bucket,
            CORSConfiguration={
                "CORSRule": [
                    {
                        "AllowedOrigin": ["https://a.example"],
                        "AllowedMethod": ["GET"],
                        "MaxAgeSeconds": 60,
                    }
                ]
            },
        )
        assert owner.get_bucket_cors(Bucket=bucket)["CORSRule"][0]["AllowedOrigin"] == [
            "https://a.example"
        ]
        owner.delete_bucket_cors(Bucket=bucket)
        owner.delete_bucket_referer(Bucket=bucket)
        assert owner.get_bucket_referer(Bucket=bucket)["Status"] == "Disabled"
