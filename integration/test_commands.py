"""The demo and emulator commands, run as users run them."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import requests


def test_demo_diagnoses_every_documented_failure() -> None:
    """`cos-doctor demo` provokes all fifteen failures, prints them, and exits 0."""
    result = subprocess.run([sys.executable, "-m", "cos_doctor", "demo"], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "15 of 15 failures diagnosed with their documented rule." in result.stdout
    assert result.stdout.count("cos_doctor.CosDiagnosedError:") == 5  # the SDK scenarios
    assert result.stdout.count("log event: ") == 15
    assert "✗" not in result.stdout
    assert "emulator-owner-secret-key-not-real" not in result.stdout


def test_demo_in_korean_and_brief() -> None:
    """`--locale ko --brief` prints only the summary table."""
    result = subprocess.run([sys.executable, "-m", "cos_doctor", "demo", "--brief", "--locale", "ko"], capture_output=True, text=True, timeout=120, check=False)
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
                with http.get(f"{announcement['endpoint']}/missing", headers={"Host": host}, timeout=10) as response:
                    assert response.status_code == 403  # anonymous read of a private bucket
                    assert response.headers["x-cos-request-id"]
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
