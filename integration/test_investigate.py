"""investigate() names what refused a request: every decision kind provoked for real over HTTP."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from qcloud_cos.cos_exception import CosServiceError
from structlog.testing import capture_logs

import cos_doctor
from cos_doctor._access.investigate import READ_CALLS
from cos_doctor._cli.scenarios import SCENARIOS
from cos_doctor.emulator import DEFAULT_OWNER_UIN, DEFAULT_SUB_SECRET_ID, DEFAULT_SUB_UIN, Emulator

SUB = f"qcs::cam::uin/{DEFAULT_OWNER_UIN}:uin/{DEFAULT_SUB_UIN}"
ANYONE = "qcs::cam::anyone:anyone"
KEY = "reports/q3.csv"


def statement(effect: str, principal: str, **extra: Any) -> dict[str, Any]:
    return {
        "Effect": effect,
        "Principal": {"qcs": [principal]},
        "Action": ["name/cos:GetObject"],
        "Resource": ["qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/*"],
        **extra,
    }


def refused(call: Any, **arguments: Any) -> CosServiceError:
    with pytest.raises(CosServiceError) as caught:
        call(**arguments)
    return caught.value


class ReadOnly:
    """Passes calls to the real client, recording each method name."""

    def __init__(self, client: Any) -> None:
        self.client, self.calls = client, []

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_"):  # reading the client's config is no call
            self.calls.append(name)
        return getattr(self.client, name)


@pytest.fixture
def owner(emulator: Emulator) -> Any:
    client = emulator.client()
    client.put_object(Bucket=emulator.bucket, Key=KEY, Body=b"region,revenue\n")
    return client


def put_policy(owner: Any, emulator: Emulator, *statements: dict[str, Any]) -> None:
    owner.put_bucket_policy(Bucket=emulator.bucket, Policy={"Statement": list(statements)})


@pytest.mark.usefixtures("installed")
class TestPolicyAndAcl:
    def test_explicit_deny_is_named_by_position(self, emulator: Emulator, owner: Any) -> None:
        """A deny for the sub-account after an allow is named as statement 2 of the bucket policy."""
        put_policy(owner, emulator, statement("allow", SUB), statement("deny", SUB))
        error = refused(
            emulator.client(DEFAULT_SUB_SECRET_ID).get_object, Bucket=emulator.bucket, Key=KEY
        )
        finding = cos_doctor.investigate(error, owner, principal=SUB)
        assert (finding.kind, finding.decided_by) == ("policy-deny", "bucket policy statement 2")
        assert (
            finding.text == f"Statement 2 of the bucket policy denies name/cos:GetObject to {SUB}"
        )

    def test_statement_with_sid_is_named_by_sid(self, emulator: Emulator, owner: Any) -> None:
        """A deciding statement with a Sid is named by it."""
        put_policy(owner, emulator, statement("deny", SUB, Sid="NoInterns"))
        error = refused(
            emulator.client(DEFAULT_SUB_SECRET_ID).get_object, Bucket=emulator.bucket, Key=KEY
        )
        assert (
            cos_doctor.investigate(error, owner, principal=SUB).decided_by
            == 'bucket policy statement "NoInterns"'
        )

    def test_unknown_signer_names_the_deny_and_says_it_is_unconfirmed(
        self, emulator: Emulator, owner: Any
    ) -> None:
        """Without principal=, a deny that applies is named, marked unconfirmed."""
        put_policy(owner, emulator, statement("deny", SUB))
        error = refused(
            emulator.client(DEFAULT_SUB_SECRET_ID).get_object, Bucket=emulator.bucket, Key=KEY
        )
        finding = cos_doctor.investigate(error, owner)
        assert (finding.kind, finding.decided_by) == (
            "policy-deny-unconfirmed",
            "bucket policy statement 1",
        )

    def test_named_user_deny_beats_everyone_allow(self, emulator: Emulator, owner: Any) -> None:
        """With anyone allowed and the sub-account denied, the sub-account's deny is what decided."""
        put_policy(owner, emulator, statement("allow", ANYONE), statement("deny", SUB))
        error = refused(
            emulator.client(DEFAULT_SUB_SECRET_ID).get_object, Bucket=emulator.bucket, Key=KEY
        )
        assert (
            cos_doctor.investigate(error, owner, principal=SUB).decided_by
            == "bucket policy statement 2"
        )

    def test_anonymous_deny_beats_public_read_acl(self, emulator: Emulator, owner: Any) -> None:
        """An anyone-deny refuses an anonymous read of a public-read bucket, and is named."""
        owner.put_bucket_acl(Bucket=emulator.bucket, ACL="public-read")
        put_policy(owner, emulator, statement("deny", ANYONE))
        error = refused(emulator.client(anonymous=True).get_object, Bucket=emulator.bucket, Key=KEY)
        finding = cos_doctor.investigate(error, owner)
        assert (finding.kind, finding.decided_by) == ("policy-deny", "bucket policy statement 1")
        assert ANYONE in finding.text

    def test_private_object_acl_over_public_bucket(self, emulator: Emulator, owner: Any) -> None:
        """A private object ACL replacing a public-read bucket ACL is named as the object ACL."""
        owner.put_bucket_acl(Bucket=emulator.bucket, ACL="public-read")
        owner.put_object_acl(Bucket=emulator.bucket, Key=KEY, ACL="private")
        error = refused(emulator.client(anonymous=True).get_object, Bucket=emulator.bucket, Key=KEY)
        finding = cos_doctor.investigate(error, owner)
        assert (finding.kind, finding.decided_by) == ("object-acl", "object ACL")

    def test_no_grant_at_all(self, emulator: Emulator, owner: Any) -> None:
        """A sub-account nothing allows gets an implicit-deny finding naming the action and resource."""
        error = refused(
            emulator.client(DEFAULT_SUB_SECRET_ID).get_object, Bucket=emulator.bucket, Key=KEY
        )
        finding = cos_doctor.investigate(error, owner, principal=SUB)
        assert finding.kind == "no-grant"
        assert "name/cos:GetObject" in finding.text
        assert KEY in finding.text

    def test_bucket_allows_so_the_temporary_key_policy_refused(
        self, emulator: Emulator, owner: Any
    ) -> None:
        """When the bucket policy allows the caller, the finding says the refusal came from elsewhere."""
        put_policy(owner, emulator, statement("allow", SUB))
        scope = {
            "statement": [{"effect": "allow", "action": ["name/cos:PutObject"], "resource": ["*"]}]
        }
        key = emulator.state.issue_temporary_key(DEFAULT_SUB_UIN, policy=scope)
        client = emulator.client(key.secret_id, key.secret_key, key.token)
        error = refused(client.get_object, Bucket=emulator.bucket, Key=KEY)
        finding = cos_doctor.investigate(error, owner, principal=SUB)
        assert (finding.kind, finding.decided_by) == ("bucket-allows", "bucket policy statement 1")

    def test_bucket_acl_grant_is_named_when_it_allows(self, emulator: Emulator, owner: Any) -> None:
        """An ACL grant that lets the caller through is named; the refusal is placed elsewhere."""
        owner.put_bucket_acl(Bucket=emulator.bucket, GrantRead=f'id="{SUB}"')
        scope = {
            "statement": [{"effect": "allow", "action": ["name/cos:PutObject"], "resource": ["*"]}]
        }
        key = emulator.state.issue_temporary_key(DEFAULT_SUB_UIN, policy=scope)
        client = emulator.client(key.secret_id, key.secret_key, key.token)
        error = refused(client.get_object, Bucket=emulator.bucket, Key=KEY)
        finding = cos_doctor.investigate(error, owner, principal=SUB)
        assert (finding.kind, finding.decided_by) == ("bucket-allows", "bucket ACL grant READ")

    def test_unknown_signer_is_told_who_may(self, emulator: Emulator, owner: Any) -> None:
        """Without principal= and with no deny, the finding names whom the bucket does allow."""
        other = f"qcs::cam::uin/{DEFAULT_OWNER_UIN}:uin/100000000012"
        put_policy(owner, emulator, statement("allow", other))
        error = refused(
            emulator.client(DEFAULT_SUB_SECRET_ID).get_object, Bucket=emulator.bucket, Key=KEY
        )
        finding = cos_doctor.investigate(error, owner)
        assert finding.kind == "allowed-to-others"
        assert finding.text.startswith(
            f"The bucket policy and ACL allow name/cos:GetObject on this resource only to {other};"
        )

    def test_one_denied_read_is_enough_to_conclude_nothing(
        self, emulator: Emulator, owner: Any
    ) -> None:
        """When the policy is readable but the ACL is not, no access conclusion is drawn from half the facts."""
        principal = f"qcs::cam::uin/{DEFAULT_OWNER_UIN}:uin/{DEFAULT_SUB_UIN}"
        put_policy(
            owner,
            emulator,
            {
                "Principal": {"qcs": [principal]},
                "Effect": "allow",
                "Action": ["name/cos:GetBucketPolicy"],
                "Resource": ["*"],
            },
        )
        sub = emulator.client(DEFAULT_SUB_SECRET_ID)
        error = refused(sub.get_object, Bucket=emulator.bucket, Key=KEY)
        finding = cos_doctor.investigate(error, sub, principal=SUB)
        assert finding.kind == "unreadable"
        assert [(r.call, r.outcome) for r in finding.reads][:2] == [
            ("get_bucket_policy", "ok"),
            ("get_bucket_acl", "denied"),
        ]

    def test_a_read_that_is_itself_denied_is_reported_not_guessed(
        self, emulator: Emulator, owner: Any
    ) -> None:
        """A client that may not read the configuration gets 'unreadable' and the reads it could not make."""
        sub = emulator.client(DEFAULT_SUB_SECRET_ID)
        error = refused(sub.get_object, Bucket=emulator.bucket, Key=KEY)
        finding = cos_doctor.investigate(error, sub, principal=SUB)
        assert finding.kind == "unreadable"
        assert {(r.call, r.outcome) for r in finding.unreadable} >= {
            ("get_bucket_policy", "denied"),
            ("get_bucket_acl", "denied"),
        }
        assert finding.diagnosis.evidence_value("investigation_unreadable") == (
            "get_bucket_policy:AccessDenied",
            "get_bucket_acl:AccessDenied",
            "get_object_acl:AccessDenied",
        )


@pytest.mark.usefixtures("installed")
class TestBrowserRules:
    def test_referer_allow_list_and_the_referer_sent(self, emulator: Emulator, http: Any) -> None:
        """The hotlink scenario is explained as the allow-list against the Referer sent."""
        scenario = next(s for s in SCENARIOS if s.rule_id == "referer-denied")
        outcome = scenario.run(emulator, http)
        finding = cos_doctor.investigate(outcome.diagnosis, emulator.client())
        assert finding.kind == "referer-not-listed"
        assert finding.text == (
            "The referer allow-list is *.example.com; the request's Referer "
            "https://hotlinker.example.net/gallery.html matches none of them"
        )

    def test_missing_referer(self, emulator: Emulator, http: Any) -> None:
        """A request with no Referer against a Deny-empty allow-list is named as such."""
        scenario = next(s for s in SCENARIOS if s.rule_id == "referer-denied")
        outcome = scenario.run(emulator, http)
        finding = cos_doctor.investigate(outcome.diagnosis, emulator.client(), referer="")
        assert (
            finding.text
            == "The referer allow-list is *.example.com; the request sent no Referer, and empty referers are denied"
        )

    def test_cors_rule_against_the_preflight_origin(self, emulator: Emulator, http: Any) -> None:
        """The CORS scenario names rule 1, its only origin, and the preflight's origin."""
        scenario = next(s for s in SCENARIOS if s.rule_id == "cors-forbidden")
        outcome = scenario.run(emulator, http)
        finding = cos_doctor.investigate(outcome.diagnosis, emulator.client())
        assert (finding.kind, finding.decided_by) == ("cors-origin", "CORS rule 1")
        assert finding.text == (
            "CORS rule 1 allows origin https://shop.example.com only; the preflight came from https://admin.example.org"
        )


@pytest.mark.usefixtures("installed")
class TestObjectAndRegion:
    def test_deep_archive_without_restore(self, emulator: Emulator, owner: Any) -> None:
        """A DEEP_ARCHIVE read is explained by the storage class and the missing restore."""
        owner.put_object(
            Bucket=emulator.bucket, Key="cold.bin", Body=b"x", StorageClass="DEEP_ARCHIVE"
        )
        error = refused(owner.get_object, Bucket=emulator.bucket, Key="cold.bin")
        finding = cos_doctor.investigate(error, owner)
        assert (
            finding.text
            == "The object is DEEP_ARCHIVE and no restore is in progress: restore it before reading"
        )

    def test_restore_in_progress(self, emulator: Emulator, owner: Any) -> None:
        """After restore_object, the finding says a restore is running."""
        owner.put_object(Bucket=emulator.bucket, Key="cold.bin", Body=b"x", StorageClass="ARCHIVE")
        owner.restore_object(Bucket=emulator.bucket, Key="cold.bin", RestoreRequest={"Days": 1})
        error = refused(owner.get_object, Bucket=emulator.bucket, Key="cold.bin")
        assert cos_doctor.investigate(error, owner).kind == "restoring"

    def test_bucket_in_another_region(self, emulator: Emulator) -> None:
        """A bucket in ap-shanghai addressed from an ap-guangzhou client is named with both regions."""
        emulator.state.add_bucket("shanghai-1250000000", "ap-shanghai")
        client = emulator.client()
        error = refused(client.head_bucket, Bucket="shanghai-1250000000")
        finding = cos_doctor.investigate(
            error, emulator.client(via_proxy=True), bucket="shanghai-1250000000"
        )
        assert (
            finding.text
            == "The bucket lives in ap-shanghai, the client is configured for ap-guangzhou"
        )
        assert ("get_bucket_location", "failed") in {(r.call, r.outcome) for r in finding.reads}


@pytest.mark.usefixtures("installed")
def test_only_read_calls_and_nothing_changes(emulator: Emulator, owner: Any) -> None:
    """investigate() calls only read methods and leaves the bucket exactly as it was."""
    put_policy(owner, emulator, statement("deny", SUB))
    error = refused(
        emulator.client(DEFAULT_SUB_SECRET_ID).get_object, Bucket=emulator.bucket, Key=KEY
    )
    before = copy.deepcopy(emulator.state.bucket(emulator.bucket))
    recorder = ReadOnly(owner)
    cos_doctor.investigate(error, recorder, principal=SUB)
    assert set(recorder.calls) <= READ_CALLS
    assert emulator.state.bucket(emulator.bucket) == before


@pytest.mark.usefixtures("installed")
def test_finding_joins_the_diagnosis_and_the_event(emulator: Emulator, owner: Any) -> None:
    """The finding becomes evidence with stable keys on the error's diagnosis, and a logged event."""
    put_policy(owner, emulator, statement("deny", SUB))
    error = refused(
        emulator.client(DEFAULT_SUB_SECRET_ID).get_object, Bucket=emulator.bucket, Key=KEY
    )
    with capture_logs() as events:
        finding = cos_doctor.investigate(error, owner, principal=SUB, locale="zh")
    assert error.diagnosis.evidence_value("investigation") == "policy-deny"
    assert error.diagnosis.evidence_value("investigation_decided_by") == "bucket policy statement 1"
    assert finding.text.startswith("存储桶策略的语句 1 拒绝了")
    [event] = [e for e in events if e["event"] == "cos_request_investigated"]
    assert event["cos_doctor.finding"]["kind"] == "policy-deny"
    assert event["cos.request_id"] == error.diagnosis.request_id


@pytest.mark.usefixtures("installed")
def test_other_accounts_uins_are_masked(emulator: Emulator, owner: Any) -> None:
    """A statement naming another account shows that account's UINs masked, the owner's in full."""
    other = "qcs::cam::uin/200000000002:uin/200000000022"
    put_policy(owner, emulator, statement("deny", other), statement("deny", SUB))
    error = refused(
        emulator.client(DEFAULT_SUB_SECRET_ID).get_object, Bucket=emulator.bucket, Key=KEY
    )
    finding = cos_doctor.investigate(error, owner)
    assert "200000000022" not in str(finding.to_dict())
    assert "uin/200****02" in finding.text


@pytest.mark.usefixtures("installed")
def test_secrets_in_request_text_are_scrubbed(emulator: Emulator, http: Any) -> None:
    """A signed query inside the Referer never reaches the finding's text or data."""
    scenario = next(s for s in SCENARIOS if s.rule_id == "referer-denied")
    outcome = scenario.run(emulator, http)
    referer = "https://evil.example.net/p?q-signature=0123456789abcdef0123456789abcdef01234567"
    finding = cos_doctor.investigate(outcome.diagnosis, emulator.client(), referer=referer)
    assert "0123456789abcdef" not in finding.text
    assert "0123456789abcdef" not in str(finding.to_dict())


@pytest.mark.usefixtures("installed")
def test_a_signature_error_reads_nothing(emulator: Emulator) -> None:
    """A wrong SecretKey is not a bucket-configuration matter: no read is made, and the finding says so."""
    client = emulator.client(secret_key="a-key-from-another-account")
    error = refused(client.get_object, Bucket=emulator.bucket, Key=KEY)
    recorder = ReadOnly(emulator.client())
    finding = cos_doctor.investigate(error, recorder)
    assert (finding.kind, finding.reads, recorder.calls) == ("not-configuration", (), [])


@pytest.mark.usefixtures("installed")
def test_denied_reads_of_its_own_log_no_failure_event(emulator: Emulator) -> None:
    """investigate()'s own refused reads are findings, not failures: no cos_request_failed event for them."""
    sub = emulator.client(DEFAULT_SUB_SECRET_ID)
    error = refused(sub.get_object, Bucket=emulator.bucket, Key=KEY)
    with capture_logs() as events:
        finding = cos_doctor.investigate(error, sub, principal=SUB)
    assert finding.kind == "unreadable"
    assert [e["event"] for e in events] == ["cos_request_investigated"]


@pytest.mark.usefixtures("installed")
def test_the_investigation_event_follows_the_apps_logging(
    emulator: Emulator,
    owner: Any,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without structlog configured the finding goes to the stdlib logger cos_doctor, namespaced, and nothing to stdout."""
    import logging

    import structlog

    put_policy(owner, emulator, statement("deny", SUB))
    error = refused(
        emulator.client(DEFAULT_SUB_SECRET_ID).get_object, Bucket=emulator.bucket, Key=KEY
    )
    structlog.reset_defaults()
    capsys.readouterr()
    with caplog.at_level(logging.INFO, logger="cos_doctor"):
        cos_doctor.investigate(error, owner, principal=SUB)
    assert capsys.readouterr().out == ""
    [record] = [
        r for r in caplog.records if getattr(r, "event", None) == "cos_request_investigated"
    ]
    assert record.__dict__["cos_doctor.finding"]["kind"] == "policy-deny"
    assert record.__dict__["cos.request_id"] == error.diagnosis.request_id
