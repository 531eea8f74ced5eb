"""diagnose(body, form=...): the form the server issued explains COS's POST Object refusal."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cos_doctor
from cos_doctor import post_object
from tests import post_forms
from tests.test_post_object import KEYS, OWNER, SECRETS, TEMPORARY


def body(code: str, message: str) -> str:
    return (
        "<?xml version='1.0' encoding='utf-8' ?>\n<Error>"
        f"<Code>{code}</Code><Message>{message}</Message>"
        f"<Resource>{post_forms.BUCKET}.cos.{post_forms.REGION}.myqcloud.com</Resource>"
        "<RequestId>NjU1ZjA0YjNfMzFhOGMzMGJfYjc0Nl8xMjM0</RequestId></Error>"
    )


KEY_REFUSED = body("AccessDenied", "Condition key key doesn&apos;t match the value uploads/")


def test_form_names_the_condition_and_the_value_sent():
    """A key refusal plus the form: the prefix condition, the key sent, the predicting check."""
    form = post_forms.key_outside_prefix(KEYS)
    diagnosis = cos_doctor.diagnose(KEY_REFUSED, http_status=403, form=form.fields)
    assert diagnosis.rule_id == "post-condition-mismatch"
    assert diagnosis.evidence_value("form_condition") == '["starts-with", "$key", "uploads/"]'
    assert diagnosis.evidence_value("form_value") == "avatars/${filename}"
    assert diagnosis.evidence_value("form_finding") == "condition-not-met"


def test_form_implies_post_object_and_accepts_a_signed_form():
    """form= alone marks the body as a POST Object reply; a SignedForm is accepted as is."""
    policy = post_object.build_policy(
        bucket=post_forms.BUCKET, credentials=OWNER, key_prefix="uploads/"
    )
    form = post_object.sign_form(policy, OWNER, region=post_forms.REGION, key="avatars/a.png")
    diagnosis = cos_doctor.diagnose(KEY_REFUSED, form=form)
    assert diagnosis.rule_id == "post-condition-mismatch"
    assert diagnosis.evidence_value("form_value") == "avatars/a.png"


def test_expired_reply_is_judged_at_the_server_time_it_quotes():
    """The lint of the form runs at COS's quoted 'time now', not at the local clock."""
    form = post_forms.expired_policy(KEYS)
    expiration = int(form.policy.expiration.timestamp())
    message = (
        "You post object request has been expired, expiration time: "
        f"{expiration} but the time now : {expiration + 600}"
    )
    diagnosis = cos_doctor.diagnose(
        body("AccessDenied", message), http_status=403, form=form.fields
    )
    assert diagnosis.rule_id == "post-policy-expired"
    assert diagnosis.evidence_value("form_policy_expiration") == expiration
    assert diagnosis.evidence_value("form_finding") == "policy-expired"
    assert "600 s" in diagnosis.render()


def test_signature_reply_shows_the_string_to_sign_of_the_form():
    """A signature refusal shows the SHA-1 of the form's policy and names a missing field."""
    form = dict(post_forms.clean(KEYS).fields)
    del form["q-key-time"]
    reply = body("SignatureDoesNotMatch", "The Signature you specified is invalid.")
    diagnosis = cos_doctor.diagnose(reply, http_status=403, form=form)
    assert diagnosis.rule_id == "post-signature-invalid"
    assert len(diagnosis.evidence_value("form_string_to_sign")) == 40
    assert diagnosis.evidence_value("form_finding") == "signature-field-missing"


@pytest.mark.parametrize(
    ("locale", "fragment"), [("en", "The form sent key"), ("ko", "폼이 보낸 값")]
)
def test_form_evidence_is_worded_in_the_locale(locale, fragment):
    """Form evidence speaks the diagnosis' locale."""
    form = post_forms.key_outside_prefix(KEYS)
    diagnosis = cos_doctor.diagnose(KEY_REFUSED, locale=locale, form=form.fields)
    assert fragment in diagnosis.render()


def test_form_evidence_texts_exist_in_every_locale():
    """Each form_* evidence key is worded in en, ko and zh."""
    from cos_doctor._knowledge.catalogue import catalogue

    texts = catalogue().evidence_text
    for key in (
        "form_condition",
        "form_value",
        "form_policy_expiration",
        "form_string_to_sign",
        "form_finding",
    ):
        assert {"en", "ko", "zh"} <= set(texts[key]), key


def test_form_secrets_never_reach_the_diagnosis():
    """q-signature, the session token and the SecretKey stay out of text, dict and log form."""
    policy = post_object.build_policy(
        bucket=post_forms.BUCKET, credentials=TEMPORARY, key_prefix="uploads/"
    )
    form = post_object.sign_form(policy, TEMPORARY, region=post_forms.REGION)
    signature = form.as_dict()["q-signature"]
    reply = body(
        "AccessDenied",
        f"Condition key x-cos-security-token doesn't match the value {TEMPORARY.token}",
    )
    diagnosis = cos_doctor.diagnose(reply, http_status=403, form=form)
    evidence = json.dumps([item.to_dict() for item in diagnosis.evidence], ensure_ascii=False)
    assert diagnosis.evidence_value("form_condition") == "<redacted>"
    for secret in (*SECRETS, signature):
        assert secret not in evidence
        assert secret not in diagnosis.render()
        assert secret not in json.dumps(diagnosis.to_dict(), ensure_ascii=False)


def test_form_without_a_readable_policy_still_diagnoses():
    """A form whose policy is garbage gives the rule from the reply, and the lint's reason."""
    reply = body(
        "InvalidPolicyDocument",
        "You must provide condition if you specify a policy in post object request.",
    )
    form = {"key": "uploads/a", "policy": "%%% not base64", "q-ak": OWNER.secret_id}
    diagnosis = cos_doctor.diagnose(reply, http_status=400, form=form)
    assert diagnosis.rule_id == "post-policy-missing-condition"
    assert diagnosis.evidence_value("form_finding") == "policy-not-base64"


def test_form_q_ak_fills_the_steps_masked():
    """The form's q-ak is the SecretId sent: steps quote it masked, never in full."""
    form = post_forms.q_ak_of_another_key(KEYS)
    reply = body("AccessDenied", f"Condition key q-ak doesn't match the value {OWNER.secret_id}")
    diagnosis = cos_doctor.diagnose(reply, http_status=403, form=form.fields)
    assert diagnosis.rule_id == "post-qak-mismatch"
    assert any("AKID****0011" in step for step in diagnosis.steps)
    assert diagnosis.evidence_value("form_finding") == "q-ak-mismatch"
    assert KEYS.sub.secret_id not in diagnosis.render()


@given(st.dictionaries(st.text(max_size=30), st.text(max_size=200), max_size=8))
@settings(max_examples=150, deadline=None)
def test_any_form_still_gives_a_diagnosis(form):
    """Whatever a form holds, diagnose(form=...) words a diagnosis and raises nothing."""
    diagnosis = cos_doctor.diagnose(KEY_REFUSED, http_status=403, form=form)
    assert diagnosis.rule_id == "post-condition-mismatch"
