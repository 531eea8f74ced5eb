"""The demo and emulator commands, run as users run them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests


def test_demo_all_diagnoses_every_documented_failure() -> None:
    """`cos-doctor demo --all` provokes all fifteen failures, prints each in full, and exits 0."""
    result = subprocess.run(
        [sys.executable, "-m", "cos_doctor", "demo", "--all"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "15 of 15 failures diagnosed with their documented rule." in result.stdout
    assert result.stdout.count("cos_doctor.CosDiagnosedError:") == 5  # the SDK scenarios
    assert result.stdout.count("log event: ") == 15
    assert "✗" not in result.stdout
    assert "emulator-owner-secret-key-not-real" not in result.stdout


@pytest.mark.parametrize(
    ("locale", "summary", "investigated"),
    [
        (
            "en",
            "15 of 15 failures diagnosed with their documented rule.",
            'Statement "DenyReportsToContractors" of the bucket policy denies name/cos:GetObject',
        ),
        (
            "ko",
            "실패 15건 중 15건이 문서화된 규칙으로 진단되었습니다.",
            '버킷 정책의 문(statement) "DenyReportsToContractors"이(가)',
        ),
        (
            "zh",
            "15 个失败中有 15 个被诊断为其记录在案的规则。",
            '存储桶策略的语句 "DenyReportsToContractors" 拒绝了',
        ),
    ],
)
def test_demo_fits_one_screen(locale: str, summary: str, investigated: str) -> None:
    """By default the demo is at most 80 lines of at most 160 characters: summary, one example, and investigate()."""
    command = [sys.executable, "-m", "cos_doctor", "demo", "--locale", locale]
    result = subprocess.run(
        command, capture_output=True, text=True, encoding="utf-8", timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) <= 80
    assert max(len(line) for line in lines) <= 160
    assert summary in lines
    assert result.stdout.count("cos_doctor.CosDiagnosedError:") == 1
    assert investigated in result.stdout
    assert (
        'finding.decided_by = bucket policy statement "DenyReportsToContractors"' in result.stdout
    )


def test_demo_in_korean_and_brief() -> None:
    """`--locale ko --brief` prints only the summary table."""
    result = subprocess.run(
        [sys.executable, "-m", "cos_doctor", "demo", "--brief", "--locale", "ko"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0
    assert "Traceback" not in result.stdout
    assert result.stdout.count("✓") == 15


def test_emulator_command_announces_itself_and_serves() -> None:
    """`cos-doctor emulator --port 0` prints one JSON line, then serves the real SDK's traffic."""
    command = [sys.executable, "-m", "cos_doctor", "emulator", "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            announcement = json.loads(process.stdout.readline())
            assert set(announcement) >= {"endpoint", "region", "bucket", "secret_id", "secret_key"}
            host = f"{announcement['bucket']}.cos.{announcement['region']}.myqcloud.com"
            with requests.Session() as http:
                http.trust_env = False
                with http.get(
                    f"{announcement['endpoint']}/missing", headers={"Host": host}, timeout=10
                ) as response:
                    assert response.status_code == 403  # anonymous read of a private bucket
                    assert response.headers["x-cos-request-id"]
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0


def test_explain_url_of_an_expired_presigned_url(emulator_process: dict[str, str]) -> None:
    """`explain --url` fetches a presigned URL through the emulator and explains the refusal; exit 0."""
    from qcloud_cos import CosConfig, CosS3Client

    client = CosS3Client(
        CosConfig(
            Region=emulator_process["region"],
            SecretId=emulator_process["secret_id"],
            SecretKey=emulator_process["secret_key"],
            Scheme="http",
        )
    )
    url = client.get_presigned_url(
        Bucket=emulator_process["bucket"], Key="a.txt", Method="GET", Expired=-60
    )
    local = url.replace(f"http://{emulator_process['host']}", emulator_process["endpoint"])
    command = [
        sys.executable,
        "-m",
        "cos_doctor",
        "explain",
        "--url",
        local,
        "--header",
        f"Host: {emulator_process['host']}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "[request-expired]" in result.stdout
    assert "q-signature=" not in result.stdout or "q-signature=<redacted>" in result.stdout


def test_explain_url_that_works_exits_1(emulator_process: dict[str, str]) -> None:
    """A presigned URL that answers 200 holds no COS error: one line on stderr and exit 1."""
    from qcloud_cos import CosConfig, CosS3Client

    proxy = {"http": emulator_process["endpoint"]}
    settings = {
        "Region": emulator_process["region"],
        "SecretId": emulator_process["secret_id"],
        "SecretKey": emulator_process["secret_key"],
        "Scheme": "http",
    }
    CosS3Client(CosConfig(**settings, Proxies=proxy)).put_object(
        Bucket=emulator_process["bucket"], Key="ok.txt", Body=b"fine"
    )
    url = CosS3Client(CosConfig(**settings)).get_presigned_url(
        Bucket=emulator_process["bucket"], Key="ok.txt", Method="GET", Expired=300
    )
    local = url.replace(f"http://{emulator_process['host']}", emulator_process["endpoint"])
    command = [
        sys.executable,
        "-m",
        "cos_doctor",
        "explain",
        "--url",
        local,
        "--header",
        f"Host: {emulator_process['host']}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode, result.stdout) == (1, "")
    assert "no COS error" in result.stderr
    assert "HTTP 200" in result.stderr


def test_investigate_from_a_shell(emulator_process: dict[str, str], tmp_path: Path) -> None:
    """`cos-doctor investigate` reads a pasted CORS refusal and names the rule and the origin."""
    import requests
    from qcloud_cos import CosConfig, CosS3Client

    owner = CosS3Client(
        CosConfig(
            Region=emulator_process["region"],
            SecretId=emulator_process["secret_id"],
            SecretKey=emulator_process["secret_key"],
            Scheme="http",
            Proxies={"http": emulator_process["endpoint"]},
        )
    )
    owner.put_bucket_cors(
        Bucket=emulator_process["bucket"],
        CORSConfiguration={
            "CORSRule": [{"AllowedOrigin": ["https://a.example"], "AllowedMethod": ["GET"]}]
        },
    )
    headers = {
        "Host": emulator_process["host"],
        "Origin": "https://b.example",
        "Access-Control-Request-Method": "GET",
    }
    with requests.options(
        emulator_process["endpoint"] + "/a.txt", headers=headers, timeout=10
    ) as response:
        (tmp_path / "error.xml").write_bytes(response.content)
    environment = {
        **os.environ,
        "TENCENTCLOUD_SECRET_ID": emulator_process["secret_id"],
        "TENCENTCLOUD_SECRET_KEY": emulator_process["secret_key"],
    }
    command = [
        sys.executable, "-m", "cos_doctor", "investigate", str(tmp_path / "error.xml"), "--status", "403",
        "--bucket", emulator_process["bucket"], "--region", emulator_process["region"], "--endpoint", emulator_process["endpoint"],
        "--origin", "https://b.example", "--method", "GET",
    ]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=60, check=False, env=environment
    )
    assert result.returncode == 0, result.stderr
    assert (
        "finding: CORS rule 1 allows origin https://a.example only; the preflight came from https://b.example"
        in result.stdout
    )


@pytest.fixture(scope="module")
def emulator_process() -> Iterator[dict[str, str]]:
    """`cos-doctor emulator` in its own process, as a user starts it; its announcement plus the host."""
    command = [sys.executable, "-m", "cos_doctor", "emulator", "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            announcement = json.loads(process.stdout.readline())
            announcement["host"] = (
                f"{announcement['bucket']}.cos.{announcement['region']}.myqcloud.com"
            )
            yield announcement
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
