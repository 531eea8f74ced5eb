"""POST Object forms built by cos_doctor.post_object, uploaded over real HTTP to the emulator.

For every one-defect form of tests/post_forms.py: lint names a rule before the upload, the
emulator refuses the upload, and diagnose() of the reply (given the issued form) names the
same rule. A clean form uploads, and the object reads back through the SDK.
"""

from __future__ import annotations

import pytest
import requests

import cos_doctor
from cos_doctor.emulator import (
    DEFAULT_OWNER_SECRET_ID,
    DEFAULT_OWNER_SECRET_KEY,
    DEFAULT_SUB_SECRET_ID,
    Emulator,
)
from cos_doctor.emulator.config import DEFAULT_OWNER_UIN, DEFAULT_SUB_SECRET_KEY
from cos_doctor.post_object import Credentials
from tests import post_forms

FORM_URL = f"https://{post_forms.BUCKET}.cos.{post_forms.REGION}.myqcloud.com/"

# What the issued form adds to the diagnosis of each documented failure.
FORM_EVIDENCE = {
    "q_ak_of_another_key": {"form_finding": "q-ak-mismatch", "form_value": "AKID****0011"},
    "expired_policy": {"form_finding": "policy-expired"},
    "reserialised_policy": {},
    "no_conditions": {"form_finding": "policy-no-conditions"},
    "other_bucket": {
        "form_finding": "bucket-mismatch",
        "form_condition": '{"bucket": "staging-1250000000"}',
    },
    "key_outside_prefix": {
        "form_finding": "condition-not-met",
        "form_condition": '["starts-with", "$key", "uploads/"]',
        "form_value": "avatars/${filename}",
    },
    "header_without_boundary": {},
}


@pytest.fixture
def keys(emulator: Emulator) -> post_forms.Keys:
    temporary = emulator.state.issue_temporary_key(DEFAULT_OWNER_UIN)
    return post_forms.Keys(
        owner=Credentials(DEFAULT_OWNER_SECRET_ID, DEFAULT_OWNER_SECRET_KEY),
        sub=Credentials(DEFAULT_SUB_SECRET_ID, DEFAULT_SUB_SECRET_KEY),
        temporary=Credentials(temporary.secret_id, temporary.secret_key, temporary.token),
    )


def upload(
    http: requests.Session, emulator: Emulator, form: post_forms.Upload
) -> requests.Response:
    """POST the form as a browser does: text fields, the file, then any stray fields."""
    url, headers = emulator.localize(FORM_URL)
    parts = [(name, (None, value)) for name, value in form.fields]
    parts.append(("file", (post_forms.FILENAME, form.data, "image/jpeg")))
    parts += [(name, (None, value)) for name, value in form.after_file]
    request = requests.Request("POST", url, headers=headers, files=parts).prepare()
    if form.content_type is not None:
        request.headers["Content-Type"] = form.content_type
    response = http.send(request, allow_redirects=False)
    response.close()
    return response


def diagnose_reply(response: requests.Response, form: post_forms.Upload) -> cos_doctor.Diagnosis:
    issued = [*form.fields, ("file", ""), *form.after_file]
    return cos_doctor.diagnose(
        response.content,
        http_status=response.status_code,
        http_method="POST",
        url=FORM_URL,
        headers=dict(response.headers),
        form=issued,
    )


@pytest.mark.parametrize("case", post_forms.CASES, ids=lambda case: case.name)
def test_lint_predicts_the_rule_cos_diagnoses(emulator, http, keys, case):
    """lint's first error names the rule that diagnose() gives the emulator's refusal."""
    form = case.build(keys)
    predicted = [finding for finding in form.lint() if finding.severity == "error"]
    response = upload(http, emulator, form)
    assert response.status_code >= 400, response.text
    diagnosis = diagnose_reply(response, form)
    assert predicted[0].rule_id == diagnosis.rule_id == case.rule_id, response.text


@pytest.mark.parametrize(
    "case",
    [case for case in post_forms.CASES if case.documented],
    ids=lambda case: case.name,
)
def test_the_issued_form_explains_each_documented_failure(emulator, http, keys, case):
    """With the form, the diagnosis names the failed condition and the value the form sent."""
    form = case.build(keys)
    diagnosis = diagnose_reply(upload(http, emulator, form), form)
    expected = FORM_EVIDENCE[case.name]
    for key, value in expected.items():
        assert diagnosis.evidence_value(key) == value, diagnosis.render()
    rendered = diagnosis.render() + str(diagnosis.to_dict())
    assert DEFAULT_OWNER_SECRET_KEY not in rendered
    assert dict(form.fields).get("q-signature", "-") not in rendered


def test_expired_form_shows_its_expiration_beside_the_quoted_times(emulator, http, keys):
    """The form's own expiration sits next to the two times parsed from COS's message."""
    form = post_forms.expired_policy(keys)
    diagnosis = diagnose_reply(upload(http, emulator, form), form)
    expiration = int(form.policy.expiration.timestamp())
    assert diagnosis.evidence_value("form_policy_expiration") == expiration
    assert diagnosis.evidence_value("policy_expiration") == expiration
    assert diagnosis.evidence_value("post_server_time") >= expiration + 120


@pytest.mark.parametrize("who", ["owner", "temporary"])
def test_clean_form_uploads_and_reads_back(emulator, http, keys, who):
    """A toolkit-built form uploads (204) and the SDK reads the object back byte for byte."""
    form = post_forms.clean(keys)
    if who == "temporary":
        policy = cos_doctor.post_object.build_policy(
            bucket=post_forms.BUCKET, credentials=keys.temporary, key_prefix="uploads/"
        )
        signed = cos_doctor.post_object.sign_form(policy, keys.temporary, region=post_forms.REGION)
        form = post_forms.Upload(policy, signed.fields)
    assert form.lint() == ()
    response = upload(http, emulator, form)
    assert response.status_code == 204, response.text
    stored = emulator.client().get_object(Bucket=emulator.bucket, Key="uploads/photo.jpg")
    body = stored["Body"]
    try:
        assert b"".join(body.get_stream()) == post_forms.DATA
    finally:
        body.get_raw_stream().close()
