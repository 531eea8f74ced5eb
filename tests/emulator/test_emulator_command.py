"""``python -m cos_doctor.emulator``: one JSON line, then serving until stopped."""

from __future__ import annotations

import json
import selectors
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from qcloud_cos import CosConfig, CosS3Client

from cos_doctor.emulator import main

REPO = Path(__file__).resolve().parents[2]


def first_line(process: subprocess.Popen, timeout: float = 20.0) -> str:
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            pytest.fail("the emulator printed nothing")
    return process.stdout.readline()


def client_for(announcement: dict, session, secret_id: str, secret_key: str) -> CosS3Client:
    port = int(announcement["endpoint"].rsplit(":", 1)[1])
    config = CosConfig(
        Region=announcement["region"],
        SecretId=secret_id,
        SecretKey=secret_key,
        Scheme="http",
        IP="127.0.0.1",
        Port=port,
    )
    return CosS3Client(config, retry=0, session=session)


def test_announces_and_serves_until_terminated(tmp_path, http):
    """It prints one JSON line with the default account, serves it, and exits 0 on SIGTERM."""
    config = tmp_path / "cos.json"
    config.write_text(
        json.dumps(
            {
                "accounts": [{"appid": "1250000001", "owner_uin": "100000000002"}],
                "keys": [
                    {
                        "secret_id": "AKID-SECOND",
                        "secret_key": "second-secret",
                        "uin": "100000000002",
                    }
                ],
                "buckets": [
                    {
                        "name": "second-1250000001",
                        "region": "ap-guangzhou",
                        "objects": [{"key": "seed.txt", "data": "seeded"}],
                    }
                ],
            }
        )
    )
    command = [
        sys.executable,
        "-W",
        "error",
        "-m",
        "cos_doctor.emulator",
        "--port",
        "0",
        "--config",
        str(config),
    ]
    with subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            announcement = json.loads(first_line(process))
            assert set(announcement) >= {"endpoint", "region", "bucket", "secret_id", "secret_key"}
            assert announcement["endpoint"].startswith("http://127.0.0.1:")
            owner = client_for(
                announcement, http, announcement["secret_id"], announcement["secret_key"]
            )
            owner.put_object(Bucket=announcement["bucket"], Key="k", Body=b"v")
            second = client_for(announcement, http, "AKID-SECOND", "second-secret")
            listed = second.list_objects(Bucket="second-1250000001")
            assert [c["Key"] for c in listed["Contents"]] == ["seed.txt"]
        finally:
            process.send_signal(signal.SIGTERM)
            _, errors = process.communicate(timeout=20)
    assert process.returncode == 0, errors
    assert "Warning" not in errors


def test_bad_config_exits_2(tmp_path, capsys):
    """A configuration that cannot be read is reported on stderr with exit status 2."""
    broken = tmp_path / "broken.json"
    broken.write_text("[1, 2]")
    assert main(["--config", str(broken)]) == 2
    assert "configuration" in capsys.readouterr().err
