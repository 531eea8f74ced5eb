"""The cos-doctor command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cos_doctor.cli import main
from tests.replies import error_xml


def test_explain_a_shipped_example(capsys: pytest.CaptureFixture[str]) -> None:
    """`explain --example` prints the headline, the cause and numbered steps."""
    assert main(["explain", "--example", "referer-denied"]) == 0
    out = capsys.readouterr().out
    assert "referer-denied" in out
    assert "1. " in out
    assert "examplebucket-1250000000" in out


def test_explain_a_file_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`explain FILE --json` prints the diagnosis as JSON."""
    body = tmp_path / "error.xml"
    body.write_text(error_xml("InvalidAccessKeyId", "The Access Key Id you provided does not exist in our records."))
    assert main(["explain", str(body), "--status", "403", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rule_id"] == "invalid-access-key-id"
    assert data["steps"]


def test_explain_reads_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`explain -` reads the body from standard input, in the requested locale."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(error_xml("AccessDenied", "Request has expired")))
    assert main(["explain", "-", "--status", "403", "--locale", "ko"]) == 0
    out = capsys.readouterr().out
    assert "request-expired" in out
    assert "해결 방법" in out


def test_explain_a_missing_file_fails_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    """A file that cannot be read is an error message and exit code 2, not a traceback."""
    assert main(["explain", "/nonexistent/error.xml"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_rules_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    """`rules --json` enumerates the catalogue."""
    from cos_doctor._knowledge import catalogue

    assert main(["rules", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["rule_id"] for row in rows] == [rule.id for rule in catalogue().rules]


def test_python_dash_m_runs_the_cli() -> None:
    """`python -m cos_doctor` is the same command."""
    result = subprocess.run([sys.executable, "-m", "cos_doctor", "rules"], capture_output=True, text=True, check=True, timeout=60)
    assert "access-denied" in result.stdout
