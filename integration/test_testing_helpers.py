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


def test_fixture_gives_a_boto3_client_on_the_same_emulator(cos_emulator: EmulatedCos) -> None:
    """cos_emulator.s3 is one boto3 client whose writes the COS SDK client reads back."""
    s3 = cos_emulator.s3
    assert cos_emulator.s3 is s3
    s3.put_object(Bucket=cos_emulator.bucket, Key="from-boto3", Body=b"same store")
    got = cos_emulator.client.get_object(Bucket=cos_emulator.bucket, Key="from-boto3")
    assert got["Body"].get_raw_stream().read() == b"same store"


def test_boto3_client_without_boto3_says_what_to_install(
    cos_emulator: EmulatedCos, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without boto3 importable, asking for the boto3 client is an ImportError naming boto3."""
    import sys

    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(ImportError, match=r"pip install boto3"):
        cos_emulator.emulator.boto3_client()
