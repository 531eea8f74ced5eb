"""cos_doctor.testing: what users get for their own tests."""

from __future__ import annotations

from typing import Any

import pytest
from qcloud_cos.cos_exception import CosServiceError

import cos_doctor
from cos_doctor.testing import EmulatedCos, capture_events, emulated_cos


def test_emulated_cos_gives_a_working_client_and_installs_cos_doctor() -> None:
    """The context manager starts an emulator, wires a client and diagnoses its failures."""
    with emulated_cos() as cos:
        assert cos_doctor.is_installed()
        cos.client.put_object(Bucket=cos.bucket, Key="old.log", Body=b"x", StorageClass="ARCHIVE")
        with capture_events() as events, pytest.raises(CosServiceError) as caught:
            cos.client.get_object(Bucket=cos.bucket, Key="old.log")
        assert caught.value.diagnosis.rule_id == "invalid-object-state"
        assert [event["cos_doctor.rule_id"] for event in events] == ["invalid-object-state"]
        assert cos.region == "ap-guangzhou"
    assert not cos_doctor.is_installed()


def test_emulated_cos_without_diagnosis_raises_the_bare_sdk_error() -> None:
    """diagnose=False leaves cos_doctor out: plain SDK behaviour against the emulator."""
    with emulated_cos(diagnose=False) as cos:
        with pytest.raises(CosServiceError) as caught:
            cos.client.get_object(Bucket=cos.bucket, Key="missing")
        assert type(caught.value) is CosServiceError
        assert caught.value.get_error_code() == "NoSuchKey"


def test_pytest_fixtures_are_registered(
    cos_emulator: EmulatedCos, cos_doctor_events: list[Any]
) -> None:
    """The plugin's fixtures: an emulator with a client, and the events of this test."""
    cos_emulator.state.set_clock_offset(-1800)
    with pytest.raises(cos_doctor.CosDiagnosedError) as caught:
        cos_emulator.client.list_objects(Bucket=cos_emulator.bucket)
    assert caught.value.diagnosis.rule_id == "request-time-too-skewed"
    assert [event["cos_doctor.rule_id"] for event in cos_doctor_events] == [
        "request-time-too-skewed"
    ]
