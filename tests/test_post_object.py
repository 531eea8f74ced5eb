"""cos_doctor.post_object: build, sign and lint POST Object forms, without a network."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import string
import time
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder

from cos_doctor import post_object
from cos_doctor._post import lint as _post_lint
from cos_doctor.post_object import Condition, Credentials, PostPolicy
from tests import post_forms
from tests.test_signing import OFFICIAL_SECRET_KEY, POST_POLICY

OWNER = Credentials("AKIDcosdoctorTESTowner00000000000001", "owner-secret-never-shown")
SUB = Credentials("AKIDcosdoctorTESTsub0000000000000011", "sub-secret-never-shown")
TEMPORARY = Credentials("AKIDtmp-0123456789abcdef", "tmp-secret-never-shown", "token-never-shown")
KEYS = post_forms.Keys(owner=OWNER, sub=SUB, temporary=TEMPORARY)
SECRETS = ("owner-secret-never-shown", "tmp-secret-never-shown", "token-never-shown")


def errors(findings):
    return [finding for finding in findings if finding.severity == "error"]


class TestSignature:
    def test_documented_known_answer(self):
        """post_signature reproduces the POST Object page's example: 7758dc9a…."""
        assert hashlib.sha1(POST_POLICY).hexdigest() == "d5d903b8360468bc81c1311f134989bc8c8b5b89"
        signature = post_object.post_signature(
            OFFICIAL_SECRET_KEY, "1567150692;1567157892", POST_POLICY
        )
        assert signature == "7758dc9a832e9d301dca704cacbf9d9f8172fdef"

    def test_signature_covers_every_byte(self):
        """One changed byte of the policy text changes the signature."""
        changed = POST_POLICY.replace(b"    ", b"  ", 1)
        assert post_object.post_signature(
            OFFICIAL_SECRET_KEY, "1567150692;1567157892", changed
        ) != post_object.post_signature(OFFICIAL_SECRET_KEY, "1567150692;1567157892", POST_POLICY)


class TestBuildPolicy:
    def test_defaults_follow_the_guide(self):
        """Expiration is now + 30 min UTC; q-sign-algorithm, q-ak and q-sign-time are exact."""
        now = 1_700_000_000
        policy = post_object.build_policy(
            bucket=post_forms.BUCKET, credentials=OWNER, key_prefix="uploads/", now=now
        )
        document = json.loads(policy.to_json())
        assert document["expiration"] == "2023-11-14T22:43:20.000Z"
        assert policy.expiration == datetime.fromtimestamp(now + 1800, tz=timezone.utc)
        assert document["conditions"] == [
            {"bucket": post_forms.BUCKET},
            ["starts-with", "$key", "uploads/"],
            {"q-sign-algorithm": "sha1"},
            {"q-ak": OWNER.secret_id},
            {"q-sign-time": f"{now};{now + 1800}"},
        ]

    def test_every_documented_condition(self):
        """Exact key, size range, content type, status and redirect become conditions."""
        policy = post_object.build_policy(
            bucket=post_forms.BUCKET,
            credentials=OWNER,
            key="avatars/me.png",
            content_length_range=(1, 5 * 1024 * 1024),
            content_type="image/png",
            success_action_status=201,
            success_action_redirect="https://app.example/done",
            conditions=[Condition.starts_with("x-cos-meta-owner", "team-")],
            now=1_700_000_000,
        )
        conditions = json.loads(policy.to_json())["conditions"]
        assert conditions[1:7] == [
            {"key": "avatars/me.png"},
            ["content-length-range", 1, 5242880],
            {"Content-Type": "image/png"},
            {"success_action_status": "201"},
            {"success_action_redirect": "https://app.example/done"},
            ["starts-with", "$x-cos-meta-owner", "team-"],
        ]

    def test_temporary_credentials_add_the_token_condition(self):
        """With a session token the policy requires x-cos-security-token too."""
        policy = post_object.build_policy(bucket=post_forms.BUCKET, credentials=TEMPORARY)
        assert policy.exact_value("x-cos-security-token") == TEMPORARY.token

    def test_naive_times_are_utc(self, monkeypatch):
        """A naive expiration is read as UTC, even on a machine in Beijing time."""
        monkeypatch.setenv("TZ", "Asia/Shanghai")
        time.tzset()
        try:
            naive = datetime(2030, 1, 1, 8, 0)  # noqa: DTZ001 - the naive case under test
            policy = PostPolicy(expiration=naive, conditions=())
            assert policy.to_dict()["expiration"] == "2030-01-01T08:00:00.000Z"
        finally:
            monkeypatch.undo()
            time.tzset()

    def test_key_and_prefix_exclude_each_other(self):
        """An exact key and a key prefix cannot both be asked for."""
        with pytest.raises(ValueError, match="not both"):
            post_object.build_policy(
                bucket=post_forms.BUCKET, credentials=OWNER, key="a", key_prefix="b"
            )

    def test_credentials_hide_their_secrets(self):
        """repr(Credentials) shows the SecretId only."""
        assert "secret" not in repr(TEMPORARY).replace("secret_id", "")
        assert "token-never-shown" not in repr(TEMPORARY)


class TestSignForm:
    def test_fields_in_the_order_cos_needs(self):
        """key first, then required values, token, policy and the four signature fields."""
        policy = post_object.build_policy(
            bucket=post_forms.BUCKET,
            credentials=TEMPORARY,
            key_prefix="uploads/",
            content_type="image/png",
        )
        form = post_object.sign_form(policy, TEMPORARY, region=post_forms.REGION)
        assert [name for name, _ in form.fields] == [
            "key",
            "Content-Type",
            "x-cos-security-token",
            "policy",
            "q-sign-algorithm",
            "q-ak",
            "q-key-time",
            "q-signature",
        ]
        assert form.url == "https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/"
        assert form.as_dict()["key"] == "uploads/${filename}"
        assert form.to_dict()["file_field"] == "file"
        json.dumps(form.to_dict())  # what a server endpoint returns

    def test_signature_is_over_the_policy_sent(self):
        """q-signature is the POST signature of the Base64-decoded policy field."""
        form = post_forms.clean(post_forms.Keys(OWNER, SUB)).fields
        fields = dict(form)
        text = base64.b64decode(fields["policy"])
        assert fields["q-signature"] == post_object.post_signature(
            OWNER.secret_key, fields["q-key-time"], text
        )
        assert json.loads(text)["conditions"][-1] == {"q-sign-time": fields["q-key-time"]}

    def test_encode_puts_the_file_last(self):
        """encode() builds a multipart body that parses back with the file as the last part."""
        _policy, form = post_forms._clean(KEYS)
        content_type, body = form.encode(b"hello", filename='we"ird.txt')
        boundary = content_type.split("boundary=")[1].encode()
        decoder = MultipartDecoder(boundary)
        decoder.receive_data(body)
        decoder.receive_data(None)
        names, files, event = [], [], decoder.next_event()
        while not isinstance(event, Epilogue):
            if isinstance(event, (Field, File)):
                names.append(event.name)
                if isinstance(event, File):
                    files.append(event.filename)
            elif isinstance(event, Data) and names[-1] == "file":
                assert event.data == b"hello"
            event = decoder.next_event()
        assert names == [name for name, _ in form.fields] + ["file"]
        assert files == ['we"ird.txt']  # escaped as browsers do, decoded back


class TestLint:
    def test_clean_form_has_no_findings(self):
        """A form built and signed by this module lints clean."""
        upload = post_forms.clean(KEYS)
        assert upload.lint(credentials=OWNER) == ()

    def test_clean_form_given_as_signed_form_or_dict(self):
        """lint accepts the SignedForm itself, a dict, and no policy at all."""
        policy, form = post_forms._clean(KEYS)
        assert post_object.lint(policy, form, bucket=post_forms.BUCKET) == ()
        assert post_object.lint(policy.to_base64(), form.as_dict(), bucket=post_forms.BUCKET) == ()
        assert post_object.lint(None, form.as_dict(), bucket=post_forms.BUCKET) == ()
        assert post_object.lint(policy.to_dict(), form, bucket=post_forms.BUCKET) == ()

    @pytest.mark.parametrize("case", post_forms.CASES, ids=lambda case: case.name)
    def test_one_defect_one_first_error(self, case):
        """Each defect's first error names the expected check and knowledge-base rule."""
        found = errors(case.build(KEYS).lint())
        assert found, case.name
        assert (found[0].check, found[0].rule_id) == (case.check, case.rule_id)

    def test_rules_are_knowledge_base_rules(self):
        """Every check maps to a rule the knowledge base really has (or to none)."""
        from cos_doctor._knowledge.catalogue import catalogue

        known = {rule.id for rule in catalogue().rules}
        assert {rule for rule, _ in _post_lint.CHECKS.values()} - {None} <= known

    def test_expiring_soon_is_a_warning(self):
        """A policy with under five minutes left is a warning, not an error."""
        now = time.time()
        policy, form = post_forms._clean(
            KEYS, expiration=datetime.fromtimestamp(now + 120, tz=timezone.utc)
        )
        (finding,) = post_object.lint(policy, form, bucket=post_forms.BUCKET, now=now)
        assert (finding.check, finding.severity, finding.rule_id) == (
            "policy-expiring-soon",
            "warning",
            "post-policy-expired",
        )

    @pytest.mark.parametrize(
        ("template", "filename", "check"),
        [
            ("uploads/${filename}", None, None),
            ("uploads/img-${filename}", None, None),
            ("${filename}", None, "key-depends-on-filename"),
            ("${filename}", "uploads-not/a.jpg", "condition-not-met"),
            ("other/${filename}", None, "condition-not-met"),
        ],
    )
    def test_filename_expansion(self, template, filename, check):
        """${filename} keys are judged on their fixed part, or on the name given."""
        policy, form = post_forms._clean(KEYS)
        fields = {**form.as_dict(), "key": template}
        found = post_object.lint(policy, fields, bucket=post_forms.BUCKET, filename=filename)
        assert [finding.check for finding in found] == ([check] if check else [])

    def test_exact_key_condition_takes_the_key_argument(self):
        """key= is the object key after substitution, checked against an exact condition."""
        policy = post_object.build_policy(bucket=post_forms.BUCKET, credentials=OWNER, key="a.txt")
        form = post_object.sign_form(policy, OWNER, region=post_forms.REGION)
        assert post_object.lint(policy, form, bucket=post_forms.BUCKET, key="a.txt") == ()
        (finding,) = post_object.lint(policy, form, bucket=post_forms.BUCKET, key="b.txt")
        assert finding.check == "condition-not-met"

    def test_stray_field_after_file_is_a_warning_without_rule(self):
        """A field after the file that nothing needs is lost: a warning, no rule."""
        policy, form = post_forms._clean(KEYS)
        pairs = [*form.fields, ("file", ""), ("x-cos-meta-note", "lost")]
        (finding,) = post_object.lint(policy, pairs, bucket=post_forms.BUCKET)
        assert (finding.check, finding.rule_id, finding.severity, finding.field) == (
            "field-after-file",
            None,
            "warning",
            "x-cos-meta-note",
        )

    def test_key_argument_does_not_replace_the_key_field(self):
        """A form without a key field is reported even when key= names the object."""
        policy, form = post_forms._clean(KEYS)
        fields = [pair for pair in form.fields if pair[0] != "key"]
        found = post_object.lint(policy, fields, bucket=post_forms.BUCKET, key="uploads/a.jpg")
        assert [finding.check for finding in found] == ["key-missing"]

    def test_prefix_on_exact_only_field_is_a_bad_policy(self):
        """starts-with on bucket (exact-only in the document) is a malformed policy."""
        policy = PostPolicy(
            expiration=datetime.now(timezone.utc) + timedelta(minutes=30),
            conditions=(Condition.starts_with("bucket", "example"),),
        )
        form = post_object.sign_form(policy, OWNER, region=post_forms.REGION, bucket="b")
        assert [f.check for f in errors(post_object.lint(policy, form, bucket="b"))] == [
            "policy-bad-condition",
        ]

    @given(st.text(), st.binary(), st.text())
    @settings(max_examples=200, deadline=None)
    def test_bad_input_is_a_finding_never_an_exception(self, field, policy, key):
        """Any policy field text, any 'signed' bytes, any key: findings, no exception."""
        found = post_object.lint(policy, {"key": key, "policy": field}, bucket="b-1250000000")
        assert all(isinstance(finding, post_object.Finding) for finding in found)

    # Up to 20 leaves: the same shapes (any nesting of lists, objects and scalars) as the default
    # 100, whose generation alone took 3 s while lint reads each document in microseconds.
    @given(
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(),
            lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
            max_leaves=20,
        )
    )
    @settings(max_examples=200, deadline=None)
    def test_any_json_policy_is_judged(self, document):
        """Any JSON document as a policy gives findings, never an exception."""
        encoded = base64.b64encode(json.dumps(document).encode()).decode()
        found = post_object.lint(None, {"key": "k", "policy": encoded}, bucket="b")
        assert found  # no q-ak, no signature: never clean

    @pytest.mark.parametrize("case", post_forms.CASES, ids=lambda case: case.name)
    def test_findings_never_show_a_secret(self, case):
        """No finding, in any locale, carries a SecretKey, token or full SecretId."""
        for locale in ("en", "ko", "zh"):
            text = json.dumps([f.to_dict() for f in case.build(KEYS).lint(locale=locale)])
            assert not any(secret in text for secret in SECRETS)
            assert OWNER.secret_id not in text
            assert SUB.secret_id not in text


class TestTexts:
    def test_every_check_has_every_locale(self):
        """The texts file words every check in en, ko and zh, message and fix."""
        assert _post_lint.check_texts() == []

    @pytest.mark.parametrize("check", sorted(_post_lint.CHECKS))
    def test_locales_share_placeholders(self, check):
        """The three locales of one check use the same placeholders."""
        table = _post_lint._texts()[check]
        names = {
            locale: {
                name
                for text in table[locale].values()
                for _, name, _, _ in string.Formatter().parse(text)
                if name
            }
            for locale in ("en", "ko", "zh")
        }
        assert names["en"] == names["ko"] == names["zh"]

    @pytest.mark.parametrize(
        ("locale", "script"),
        [("en", r"[A-Za-z]"), ("ko", r"[\uac00-\ud7a3]"), ("zh", r"[\u4e00-\u9fff]")],
    )
    def test_findings_speak_the_locale(self, locale, script):
        """lint(locale=...) words message and fix in that language."""
        (finding, *_) = errors(post_forms.other_bucket(KEYS).lint(locale=locale))
        assert re.search(script, finding.message)
        assert re.search(script, finding.fix)
