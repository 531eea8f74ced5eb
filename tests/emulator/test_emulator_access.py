"""Who may do what: ACLs, bucket policies, CAM policies, hotlink rules and archived objects."""

from __future__ import annotations

import pytest

from cos_doctor.emulator import DEFAULT_OWNER_UIN, DEFAULT_SUB_UIN
from tests.emulator.helpers import failure, read

SUB_PRINCIPAL = f"qcs::cam::uin/{DEFAULT_OWNER_UIN}:uin/{DEFAULT_SUB_UIN}"
ANYONE = "qcs::cam::anyone:anyone"


def statement(effect, principal, action="name/cos:GetObject", resource="*"):
    return {
        "Effect": effect,
        "Principal": {"qcs": [principal]},
        "Action": [action],
        "Resource": [resource],
    }


@pytest.fixture
def secret(owner, bucket):
    owner.put_object(Bucket=bucket, Key="secret.txt", Body=b"classified")
    return "secret.txt"


class TestSubAccounts:
    def test_sub_account_without_grant_is_denied(self, sub, bucket, secret):
        """A sub-account with no CAM policy and no bucket grant gets 403 'Access Denied.'."""
        error = failure(sub.get_object, Bucket=bucket, Key=secret)
        assert (error.get_status_code(), error.get_error_code()) == (403, "AccessDenied")
        assert error.get_error_msg() == "Access Denied."

    def test_bucket_policy_grant_lets_sub_account_read(self, owner, sub, bucket, secret):
        """A bucket-policy allow for the sub-account's principal lets it read."""
        owner.put_bucket_policy(
            Bucket=bucket, Policy={"Statement": [statement("allow", SUB_PRINCIPAL)]}
        )
        assert read(sub.get_object(Bucket=bucket, Key=secret)) == b"classified"
        assert (
            failure(sub.put_object, Bucket=bucket, Key="w", Body=b"").get_error_code()
            == "AccessDenied"
        )

    def test_explicit_deny_beats_allow(self, owner, sub, bucket, secret):
        """An explicit deny for the sub-account wins over an allow for the same action."""
        resource = f"qcs::cos:ap-guangzhou:uid/1250000000:{bucket}/secret*"
        policy = {
            "Statement": [
                statement("allow", SUB_PRINCIPAL),
                statement("deny", SUB_PRINCIPAL, resource=resource),
            ]
        }
        owner.put_bucket_policy(Bucket=bucket, Policy=policy)
        assert (
            failure(sub.get_object, Bucket=bucket, Key=secret).get_error_msg() == "Access Denied."
        )
        owner.put_object(Bucket=bucket, Key="public.txt", Body=b"ok")
        assert read(sub.get_object(Bucket=bucket, Key="public.txt")) == b"ok"

    def test_cam_policy_grants_sub_account(self, emulator, sub, bucket, secret):
        """A CAM policy attached to the sub-account grants it COS actions on its account's buckets."""
        emulator.state.set_user_policy(
            DEFAULT_SUB_UIN,
            {
                "version": "2.0",
                "statement": [{"effect": "allow", "action": ["name/cos:*"], "resource": ["*"]}],
            },
        )
        assert read(sub.get_object(Bucket=bucket, Key=secret)) == b"classified"

    def test_owner_is_never_locked_out(self, owner, bucket, secret):
        """The root account keeps access to its own bucket even under a deny-all policy."""
        owner.put_bucket_policy(
            Bucket=bucket, Policy={"Statement": [statement("deny", ANYONE, action="*")]}
        )
        assert read(owner.get_object(Bucket=bucket, Key=secret)) == b"classified"


class TestAnonymous:
    def test_private_object_is_denied(self, anonymous, bucket, secret):
        """Anonymous GET of an object in a private bucket is 403 AccessDenied."""
        assert (
            failure(anonymous.get_object, Bucket=bucket, Key=secret).get_error_code()
            == "AccessDenied"
        )

    def test_policy_for_anyone_beats_private_acl(self, owner, anonymous, bucket, secret):
        """A policy granting qcs::cam::anyone:anyone read opens a private bucket to anonymous GET."""
        owner.put_bucket_policy(Bucket=bucket, Policy={"Statement": [statement("allow", ANYONE)]})
        assert owner.get_bucket_acl(Bucket=bucket)["CannedACL"] == "private"
        assert read(anonymous.get_object(Bucket=bucket, Key=secret)) == b"classified"

    def test_public_read_object_acl(self, owner, anonymous, bucket):
        """An object put with ACL public-read is readable anonymously; the bucket stays closed."""
        owner.put_object(Bucket=bucket, Key="pub", Body=b"hi", ACL="public-read")
        assert read(anonymous.get_object(Bucket=bucket, Key="pub")) == b"hi"
        assert failure(anonymous.list_objects, Bucket=bucket).get_error_code() == "AccessDenied"

    def test_public_read_write_bucket_accepts_anonymous_put(self, owner, anonymous, bucket):
        """A public-read-write bucket accepts anonymous uploads."""
        owner.put_bucket_acl(Bucket=bucket, ACL="public-read-write")
        anonymous.put_object(Bucket=bucket, Key="drop", Body=b"d")
        assert read(owner.get_object(Bucket=bucket, Key="drop")) == b"d"


class TestReferer:
    @pytest.fixture
    def protected(self, owner, bucket):
        owner.put_object(Bucket=bucket, Key="img.png", Body=b"png", ACL="public-read")
        owner.put_bucket_referer(
            Bucket=bucket,
            RefererConfiguration={
                "Status": "Enabled",
                "RefererType": "White-List",
                "DomainList": {"Domain": ["*.example.com", "partner.org:8080"]},
                "EmptyReferConfiguration": "Deny",
            },
        )
        return "img.png"

    @pytest.mark.parametrize(
        "referer",
        [
            "https://www.example.com/page",
            "http://example.com",
            "https://a.b.example.com/x",
            "http://partner.org:8080/p",
        ],
    )
    def test_white_listed_referer_reads(self, emulator, http, protected, referer):
        """An anonymous GET from a white-listed site gets the object."""
        url, headers = emulator.url(protected)
        with http.get(url, headers={**headers, "Referer": referer}) as response:
            assert (response.status_code, response.content) == (200, b"png")

    @pytest.mark.parametrize("referer", ["https://evil.com/", "http://partner.org/p", None])
    def test_other_referer_is_denied(self, emulator, http, protected, referer):
        """Any other (or no) Referer gets 403 AccessDenied 'You are denied by bucket referer rule'."""
        url, headers = emulator.url(protected)
        if referer:
            headers["Referer"] = referer
        with http.get(url, headers=headers) as response:
            assert response.status_code == 403
            assert "<Code>AccessDenied</Code>" in response.text
            assert "<Message>You are denied by bucket referer rule</Message>" in response.text

    def test_signed_requests_bypass_the_rule(self, owner, bucket, protected):
        """Signed requests are not subject to hotlink protection."""
        assert (
            read(owner.get_object(Bucket=bucket, Key=protected, Referer="https://evil.com"))
            == b"png"
        )


class TestArchive:
    def test_get_before_restore_then_restore(self, emulator, owner, bucket):
        """An ARCHIVE object is InvalidObjectState until its restore finishes."""
        owner.put_object(Bucket=bucket, Key="cold", Body=b"ice", StorageClass="ARCHIVE")
        error = failure(owner.get_object, Bucket=bucket, Key="cold")
        assert (error.get_status_code(), error.get_error_code()) == (403, "InvalidObjectState")
        assert owner.head_object(Bucket=bucket, Key="cold")["x-cos-storage-class"] == "ARCHIVE"

        request = {"Days": 1, "CASJobParameters": {"Tier": "Expedited"}}
        owner.restore_object(Bucket=bucket, Key="cold", RestoreRequest=request)
        head = owner.head_object(Bucket=bucket, Key="cold")
        assert head["x-cos-restore"] == 'ongoing-request="true"'
        again = failure(owner.restore_object, Bucket=bucket, Key="cold", RestoreRequest=request)
        assert (again.get_status_code(), again.get_error_code()) == (
            409,
            "RestoreAlreadyInProgress",
        )
        assert (
            failure(owner.get_object, Bucket=bucket, Key="cold").get_error_code()
            == "InvalidObjectState"
        )

        emulator.state.finish_restore(bucket, "cold")
        assert read(owner.get_object(Bucket=bucket, Key="cold")) == b"ice"
        assert owner.head_object(Bucket=bucket, Key="cold")["x-cos-restore"].startswith(
            'ongoing-request="false", expiry-date='
        )

    def test_deep_archive_is_archived_too(self, owner, bucket):
        """DEEP_ARCHIVE objects are just as unreadable before restore."""
        owner.put_object(Bucket=bucket, Key="colder", Body=b"", StorageClass="DEEP_ARCHIVE")
        assert (
            failure(owner.get_object, Bucket=bucket, Key="colder").get_error_code()
            == "InvalidObjectState"
        )

    def test_restore_of_standard_object(self, owner, bucket):
        """Restoring a STANDARD object is 405 RestoreNonArchiveObject."""
        owner.put_object(Bucket=bucket, Key="warm", Body=b"")
        error = failure(owner.restore_object, Bucket=bucket, Key="warm", RestoreRequest={"Days": 1})
        assert (error.get_status_code(), error.get_error_code()) == (405, "RestoreNonArchiveObject")
