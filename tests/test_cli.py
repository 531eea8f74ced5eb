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
    body.write_text(
        error_xml(
            "InvalidAccessKeyId", "The Access Key Id you provided does not exist in our records."
        )
    )
    assert main(["explain", str(body), "--status", "403", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rule_id"] == "invalid-access-key-id"
    assert data["steps"]


def test_explain_reads_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
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
    from cos_doctor._knowledge.catalogue import catalogue

    assert main(["rules", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["rule_id"] for row in rows] == [rule.id for rule in catalogue().rules]


def test_python_dash_m_runs_the_cli() -> None:
    """`python -m cos_doctor` is the same command."""
    result = subprocess.run(
        [sys.executable, "-m", "cos_doctor", "rules"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "access-denied" in result.stdout


# Hygiene shared by every command ---------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`--version` prints the package version and exits 0."""
    import cos_doctor

    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.strip() == f"cos-doctor {cos_doctor.__version__}"


@pytest.mark.parametrize("command", ["explain", "investigate", "check", "rules", "demo"])
def test_help_has_examples(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Every command's --help ends with runnable examples."""
    with pytest.raises(SystemExit) as stopped:
        main([command, "--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out
    assert f"cos-doctor {command}" in out.split("examples:", 1)[1]


def test_explain_without_a_cos_error_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Text that holds no COS error is reported as such, exit 1, no diagnosis printed."""
    body = tmp_path / "notes.txt"
    body.write_text("the upload failed, please help\n")
    assert main(["explain", str(body)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no COS error found" in captured.err


@pytest.mark.parametrize("locale", ["en", "ko", "zh"])
def test_empty_stdin_is_a_message_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], locale: str
) -> None:
    """Empty input exits 1 with one line in the requested language."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"  \n")))
    assert main(["explain", "-", "--locale", locale]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert {"en": "input is empty", "ko": "입력이 비어", "zh": "输入为空"}[locale] in err


def test_unreadable_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A directory given as the input is a one-line error and exit 2."""
    assert main(["explain", str(tmp_path)]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_terminal_control_characters_are_neutralised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An escape sequence in the server's Message is shown escaped, never sent to the terminal."""
    body = tmp_path / "error.xml"
    body.write_text(error_xml("AccessDenied", "Access Denied.\x1b[2J\x1b]0;owned\x07"))
    assert main(["explain", str(body), "--status", "403"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "\\x1b[2J" in out


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    """Colour codes appear for a terminal, and disappear with NO_COLOR set or off a terminal."""
    from cos_doctor._cli.terminal import Output as _Output

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = Terminal()
    _Output(terminal).line("x", "red")
    assert terminal.getvalue() == "\x1b[31mx\x1b[0m\n"
    pipe = io.StringIO()
    _Output(pipe).line("x", "red")
    assert pipe.getvalue() == "x\n"
    monkeypatch.setenv("NO_COLOR", "1")
    terminal = Terminal()
    _Output(terminal).line("x", "red")
    assert terminal.getvalue() == "x\n"


@pytest.mark.parametrize("locale", ["en", "ko", "zh"])
def test_rules_in_every_locale(locale: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`rules --locale X` lists every rule, titled in that locale when the catalogue has it."""
    from cos_doctor._knowledge.catalogue import catalogue

    assert main(["rules", "--locale", locale, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    rules = catalogue().rules
    assert [row["rule_id"] for row in rows] == [rule.id for rule in rules]
    for row, rule in zip(rows, rules):
        assert row["title"] == (rule.texts.get(locale) or rule.texts["en"]).title


def test_broken_pipe_is_quiet() -> None:
    """A reader that goes away after one line (`| head -1`) leaves no traceback; exit 141."""
    command = [
        sys.executable,
        "-c",
        "import sys; from cos_doctor.cli import main; sys.exit(max(main(['rules']) for _ in range(300)))",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None
        process.stdout.readline()
        process.stdout.close()
        _, err = process.communicate(timeout=60)
    assert process.returncode == 141
    assert b"Traceback" not in err
    assert b"BrokenPipeError" not in err


def test_missing_extra_is_one_line() -> None:
    """Without werkzeug, `demo` says which extra to install, in one line, exit 2."""
    script = "import sys; sys.modules['werkzeug'] = None; from cos_doctor.cli import main; sys.exit(main(['demo']))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert (
        result.stderr
        == "cos-doctor: this command needs the 'emulator' extra: pip install 'cos-doctor[emulator]'\n"
    )
