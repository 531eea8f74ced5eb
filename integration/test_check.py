"""`cos-doctor check` against the emulator: a healthy bucket passes; each broken setup fails its line."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from cos_doctor.cli import main
from cos_doctor.emulator import (
    DEFAULT_OWNER_SECRET_ID,
    DEFAULT_OWNER_SECRET_KEY,
    DEFAULT_OWNER_UIN,
    DEFAULT_SUB_SECRET_ID,
    DEFAULT_SUB_SECRET_KEY,
    DEFAULT_SUB_UIN,
    Emulator,
)


@pytest.fixture
def check(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, dict[str, Any]]]:
    """Run `check --json` with the owner's keys in the environment; return (exit code, results by check)."""
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", DEFAULT_OWNER_SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", DEFAULT_OWNER_SECRET_KEY)
    monkeypatch.delenv("TENCENTCLOUD_SESSION_TOKEN", raising=False)

    def run(
        *extra: str, region: str = "ap-guangzhou", endpoint: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        arguments = [
            "check",
            "--bucket",
            emulator.bucket,
            "--region",
            region,
            "--endpoint",
            endpoint or emulator.endpoint,
            "--json",
            *extra,
        ]
        code = main(arguments)
        results = {row["check"]: row for row in json.loads(capsys.readouterr().out)}
        return code, results

    return run


def test_healthy_bucket_passes_every_check(
    check: Callable[..., tuple[int, dict[str, Any]]],
) -> None:
    """With the owner's keys, --write, and a synced clock, every line passes (TLS is not applicable over HTTP)."""
    code, results = check("--write")
    assert code == 0
    assert {name: row["status"] for name, row in results.items()} == {
        "credentials": "pass",
        "dns": "pass",
        "tls": "skip",
        "clock": "pass",
        "bucket": "pass",
        "list": "pass",
        "read": "pass",
        "write": "pass",
        "referer": "pass",
        "cors": "pass",
    }


def test_text_output_is_one_line_per_check(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --json each check is one line, then the tally; exit 0."""
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", DEFAULT_OWNER_SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", DEFAULT_OWNER_SECRET_KEY)
    assert (
        main(
            [
                "check",
                "--bucket",
                emulator.bucket,
                "--region",
                "ap-guangzhou",
                "--endpoint",
                emulator.endpoint,
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 11
    assert lines[-1] == "8 passed, 0 warning(s), 0 failed"


def _sub_account_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", DEFAULT_SUB_SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", DEFAULT_SUB_SECRET_KEY)


@pytest.mark.parametrize(
    "case",
    [
        (lambda e, m: m.delenv("TENCENTCLOUD_SECRET_KEY"), "credentials", None),
        (lambda e, m: m.setenv("TENCENTCLOUD_SECRET_ID", "AKIDtooShort"), "credentials", None),
        (
            lambda e, m: m.setenv("TENCENTCLOUD_SECRET_KEY", "a-key-from-another-account"),
            "bucket",
            "signature-mismatch",
        ),
        (lambda e, m: e.state.set_clock_offset(-20 * 60), "clock", None),
        (
            lambda e, m: e.state.set_key_enabled(DEFAULT_OWNER_SECRET_ID, enabled=False),
            "bucket",
            "invalid-access-key-id",
        ),
        (lambda e, m: _sub_account_keys(m), "list", "access-denied"),
        (lambda e, m: _sub_account_keys(m), "read", "access-denied"),
    ],
    ids=[
        "no-secret-key",
        "malformed-secret-id",
        "wrong-secret-key",
        "clock-skew",
        "disabled-key",
        "sub-account-list",
        "sub-account-read",
    ],
)
def test_broken_setup_fails_the_right_line(
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    check: Callable[..., tuple[int, dict[str, Any]]],
    case: tuple[Callable[[Emulator, pytest.MonkeyPatch], None], str, str | None],
) -> None:
    """Each misconfiguration fails its own check, with the diagnosis of the COS error behind it."""
    setup, failing, rule_id = case
    setup(emulator, monkeypatch)
    code, results = check()
    assert code == 1
    assert results[failing]["status"] == "fail"
    diagnosis = results[failing]["diagnosis"]
    assert (diagnosis["rule_id"] if diagnosis else None) == rule_id


def test_wrong_region_fails_the_bucket_line(
    check: Callable[..., tuple[int, dict[str, Any]]],
) -> None:
    """A region the bucket is not in fails 'bucket' with NoSuchBucket and skips the rest."""
    code, results = check(region="ap-shanghai")
    assert code == 1
    assert results["bucket"]["diagnosis"]["error_code"] == "NoSuchBucket"
    assert results["list"]["status"] == "skip"


def test_write_denied_fails_only_the_write_line(
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    check: Callable[..., tuple[int, dict[str, Any]]],
) -> None:
    """A sub-account that may read but not write fails 'write' with --write, and passes list and read."""
    principal = f"qcs::cam::uin/{DEFAULT_OWNER_UIN}:uin/{DEFAULT_SUB_UIN}"
    reads = [
        "name/cos:GetBucket",
        "name/cos:GetObject",
        "name/cos:HeadObject",
        "name/cos:GetBucketLocation",
        "name/cos:GetBucketReferer",
        "name/cos:GetBucketCORS",
    ]
    emulator.client().put_bucket_policy(
        Bucket=emulator.bucket,
        Policy={
            "Statement": [
                {
                    "Principal": {"qcs": [principal]},
                    "Effect": "allow",
                    "Action": reads,
                    "Resource": ["*"],
                }
            ]
        },
    )
    _sub_account_keys(monkeypatch)
    code, results = check("--write")
    assert code == 1
    assert [name for name, row in results.items() if row["status"] == "fail"] == ["write"]
    assert results["write"]["diagnosis"]["rule_id"] == "access-denied"


def test_unresolvable_host_fails_dns(check: Callable[..., tuple[int, dict[str, Any]]]) -> None:
    """An endpoint whose host does not resolve fails the DNS line."""
    code, results = check(endpoint="http://cos-doctor-check.invalid:9")
    assert code == 1
    assert results["dns"]["status"] == "fail"


def test_tls_to_a_plain_http_server_fails_the_tls_line(
    emulator: Emulator, check: Callable[..., tuple[int, dict[str, Any]]]
) -> None:
    """An https endpoint that does not speak TLS fails the TLS line."""
    code, results = check(endpoint=emulator.endpoint.replace("http://", "https://"))
    assert code == 1
    assert results["tls"]["status"] == "fail"
    assert results["dns"]["status"] == "pass"


def test_referer_and_cors_are_summarised(
    emulator: Emulator, check: Callable[..., tuple[int, dict[str, Any]]]
) -> None:
    """The referer and CORS lines summarise the configuration the bucket holds."""
    owner = emulator.client()
    owner.put_bucket_referer(
        Bucket=emulator.bucket,
        RefererConfiguration={
            "Status": "Enabled",
            "RefererType": "White-List",
            "DomainList": {"Domain": ["*.example.com"]},
            "EmptyReferConfiguration": "Deny",
        },
    )
    owner.put_bucket_cors(
        Bucket=emulator.bucket,
        CORSConfiguration={
            "CORSRule": [
                {"AllowedOrigin": ["https://shop.example.com"], "AllowedMethod": ["GET", "PUT"]}
            ]
        },
    )
    _, results = check()
    assert results["referer"]["detail"] == "allow-list *.example.com; empty Referer denied"
    assert results["cors"]["detail"] == "1 rule(s): https://shop.example.com (GET, PUT)"
