"""Each of the fifteen seed cases, reached by a genuine misconfiguration, is diagnosed right.

The scenarios (cos_doctor/_cli/scenarios.py, shared with `cos-doctor demo`) misconfigure the
emulator the way a user would misconfigure COS, then call it through the real SDK or, for
browser-only paths, a real HTTP client. Here each one is held to its rule id, its key
evidence, and its single log event.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest
import requests
from structlog.testing import capture_logs

import cos_doctor
from cos_doctor._cli.scenarios import INTRUDER, OBJECT_KEY, SCENARIOS, Scenario
from cos_doctor.emulator import DEFAULT_BUCKET, DEFAULT_REGION, Emulator


def about(expected: int, tolerance: int = 5) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, int) and abs(value - expected) <= tolerance


KEY_EVIDENCE: dict[str, dict[str, Any]] = {
    "access-denied": {
        "credential_kind": "permanent",
        "secret_id_masked": "AKID****0011",
        "required_action": "name/cos:GetObject",
        "resource_name": f"qcs::cos:{DEFAULT_REGION}:uid/1250000000:{DEFAULT_BUCKET}/{OBJECT_KEY}",
        "bucket_appid_suffix": True,
        "policy_statement": lambda value: '"Action": ["name/cos:GetObject"]' in value,
    },
    "cors-forbidden": {
        "origin_sent": "https://admin.example.org",
        "preflight_method": "PUT",
        "request_signed": False,
        "curl_check": f"curl 'http://{DEFAULT_BUCKET}.cos.{DEFAULT_REGION}.myqcloud.com/{OBJECT_KEY}' "
        "-vo /dev/null -H 'Origin: https://admin.example.org'",
    },
    "referer-denied": {
        "referer_sent": f"{INTRUDER}/gallery.html",
        "request_signed": False,
        "curl_check": lambda value: value.endswith(f"-H 'Referer: {INTRUDER}/gallery.html'"),
    },
    "invalid-access-key-id": {"credential_kind": "permanent", "secret_id_masked": "AKID****0001"},
    "invalid-object-state": {
        "restore_call": f"client.restore_object(Bucket='{DEFAULT_BUCKET}', Key='{OBJECT_KEY}', "
        "RestoreRequest={'Days': 1, 'CASJobParameters': {'Tier': 'Standard'}})",
    },
    "request-time-too-skewed": {
        "clock_skew_seconds": about(1204),
        "signature_starts_in_future_seconds": about(1204 - 60),
    },
    "request-expired": {
        "expired_seconds_ago": about(600 - 60),
        "signature_start": lambda start: isinstance(start, int),
        "signature_end": lambda end: isinstance(end, int),
        "credential_kind": "permanent",
    },
    "signature-mismatch": {"signature_verdict": "wrong-secret-key"},
    "post-qak-mismatch": {"condition_field": "q-ak", "condition_value": "AKID****0001"},
    "post-policy-expired": {
        "policy_expired_seconds": about(7200),
        "policy_expiration": lambda value: isinstance(value, int),
        "post_server_time": lambda value: isinstance(value, int),
    },
    "post-signature-invalid": {},
    "post-policy-missing-condition": {},
    "post-bucket-mismatch": {"condition_field": "bucket", "condition_value": "staging-1250000000"},
    "post-condition-mismatch": {"condition_field": "key", "condition_value": "uploads/"},
    "post-malformed-body": {},
}


def test_every_seed_rule_has_a_scenario() -> None:
    """The fifteen seed rules are all provoked, each once."""
    assert sorted(scenario.rule_id for scenario in SCENARIOS) == sorted(KEY_EVIDENCE)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.rule_id)
def test_misconfiguration_is_diagnosed(
    scenario: Scenario,
    emulator: Emulator,
    http: requests.Session,
    installed: None,
) -> None:
    """The rule id, the key evidence and exactly one log event come out right."""
    with capture_logs() as events:
        outcome = scenario.run(emulator, http)
    diagnosis = outcome.diagnosis
    assert diagnosis.rule_id == scenario.rule_id
    assert not diagnosis.generic
    for key, expected in KEY_EVIDENCE[scenario.rule_id].items():
        value = diagnosis.evidence_value(key)
        if callable(expected):
            assert expected(value), (key, value)
        else:
            assert value == expected, key
    assert diagnosis.bucket == DEFAULT_BUCKET
    assert diagnosis.region == DEFAULT_REGION
    assert diagnosis.request_id
    assert [event["event"] for event in events] == ["cos_request_failed"]
    event = events[0]
    assert event["cos_doctor.rule_id"] == scenario.rule_id
    assert event["cos.request_id"] == diagnosis.request_id
    assert event["log_level"] == "warning"
    if scenario.via == "sdk":
        assert isinstance(outcome.error, cos_doctor.CosDiagnosedError)
        assert diagnosis.operation in {"get_object", "put_object", "list_objects"}


def test_presigned_window_is_the_one_the_sdk_signed(
    emulator: Emulator,
    http: requests.Session,
    installed: None,
) -> None:
    """get_presigned_url(Expired=60) signs now-60 … now+60: the evidence shows that window."""
    scenario = next(item for item in SCENARIOS if item.rule_id == "request-expired")
    diagnosis = scenario.run(emulator, http).diagnosis
    start = diagnosis.evidence_value("signature_start")
    end = diagnosis.evidence_value("signature_end")
    assert isinstance(start, int)
    assert isinstance(end, int)
    assert end - start == 120
