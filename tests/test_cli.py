"""The cos-doctor command line."""

from __future__ import annotations

import argparse
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


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`--version` and `-V` print the package version and exit 0."""
    import cos_doctor

    with pytest.raises(SystemExit) as stopped:
        main([flag])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.strip() == f"cos-doctor {cos_doctor.__version__}"


def test_bare_command_prints_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    """`cos-doctor` alone answers with its help on stdout and exit 0, not a usage error."""
    assert main([]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("usage: cos-doctor")
    assert "examples:" in captured.out
    assert captured.err == ""


def _commands() -> list[str]:
    """Every sub-command the parser lists."""
    from cos_doctor.cli import _parser

    (commands,) = [
        action for action in _parser()._actions if isinstance(action, argparse._SubParsersAction)
    ]
    return list(commands.choices)


def test_the_command_list_is_the_full_one() -> None:
    """The parametrized help tests below cover every command there is."""
    assert _commands() == ["explain", "investigate", "check", "rules", "demo", "emulator"]


@pytest.mark.parametrize("command", _commands())
def test_help_has_examples(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Every command's --help ends with runnable examples."""
    with pytest.raises(SystemExit) as stopped:
        main([command, "--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out
    assert f"cos-doctor {command}" in out.split("examples:", 1)[1]


@pytest.mark.parametrize(
    ("command", "required"),
    [("check", "--bucket BUCKET --region REGION"), ("investigate", "--bucket BUCKET")],
)
def test_help_shows_required_options_as_required(
    command: str, required: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Options a command cannot run without are unbracketed in its usage and listed apart."""
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    usage = " ".join(out.split("\n\n", 1)[0].split())
    assert required in usage
    assert "[--bucket" not in usage
    listed = out.split("required options:", 1)[1].split("\n\n", 1)[0]
    assert [line.split()[0] for line in listed.strip().splitlines()] == [
        word for word in required.split() if word.startswith("--")
    ]


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


@pytest.mark.parametrize(
    ("environment", "on_a_terminal", "coloured"),
    [
        ({"FORCE_COLOR": "1"}, False, True),  # piped into less -R, or a CI log
        ({"FORCE_COLOR": "0"}, False, True),  # "regardless of its value"
        ({"FORCE_COLOR": ""}, False, False),  # empty counts as unset
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, True),  # the specific request wins
        ({"FORCE_COLOR": "", "NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": ""}, True, True),
    ],
)
def test_force_color_is_honoured(
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    on_a_terminal: bool,
    coloured: bool,
) -> None:
    """A non-empty FORCE_COLOR colours any stream, over NO_COLOR too (force-color.org); empty ones count as unset."""
    from cos_doctor._cli.terminal import Output as _Output

    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return on_a_terminal

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    stream = Stream()
    _Output(stream).line("x", "red")
    assert stream.getvalue() == ("\x1b[31mx\x1b[0m\n" if coloured else "x\n")


def test_force_color_reaches_the_command_output(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With FORCE_COLOR, `explain` into a pipe prints its headline in bold; JSON stays uncoloured."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert main(["explain", "--example", "referer-denied"]) == 0
    assert capsys.readouterr().out.startswith("\x1b[1m")
    assert main(["explain", "--example", "referer-denied", "--json"]) == 0
    assert "\x1b" not in capsys.readouterr().out


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


# --json: every output is JSON ------------------------------------------------------------------

GARBAGE = bytes(range(256)) * 4


def _json_cases(tmp_path: Path) -> dict[str, tuple[list[str], bytes | None, str, int]]:
    """(arguments, stdin bytes, the error's id, exit status) for each way a command can stop."""
    garbage, notes = tmp_path / "core.bin", tmp_path / "notes.txt"
    return {
        "usage": (["check", "--json"], None, "usage", 2),
        "unknown option": (["rules", "--json", "--frobnicate"], None, "usage", 2),
        "missing file": (
            ["explain", str(tmp_path / "missing.xml"), "--json"],
            None,
            "cannot-read",
            2,
        ),
        "a directory": (["explain", str(tmp_path), "--json"], None, "cannot-read", 2),
        "binary file": (["explain", str(garbage), "--json"], None, "not-text", 2),
        "binary stdin": (["explain", "-", "--json"], GARBAGE, "not-text", 2),
        "empty stdin": (["explain", "-", "--json"], b" \n", "empty-input", 1),
        "no COS error": (["explain", str(notes), "--json"], None, "no-cos-error", 1),
        "bad endpoint": (
            [
                "check",
                "--bucket",
                "b-1250000000",
                "--region",
                "ap-guangzhou",
                "--endpoint",
                "ftp:x",
                "--json",
            ],
            None,
            "bad-endpoint",
            2,
        ),
        "empty bucket": (
            ["investigate", str(notes), "--bucket", "", "--json"],
            None,
            "no-bucket",
            2,
        ),
        "empty region": (
            ["check", "--bucket", "b-1250000000", "--region", "", "--json"],
            None,
            "no-region",
            2,
        ),
        "unreachable url": (
            ["explain", "--url", "http://127.0.0.1:9/a.txt", "--json"],
            None,
            "url-unreachable",
            1,
        ),
    }


@pytest.mark.parametrize("case", list(_json_cases(Path("unused"))))
def test_json_errors_are_json(case: str, tmp_path: Path) -> None:
    """Under --json an error is one JSON object on stdout (id, message, exit status), nothing on stderr."""
    (tmp_path / "core.bin").write_bytes(GARBAGE)
    (tmp_path / "notes.txt").write_text("the upload failed, please help\n")
    arguments, stdin, error_id, status = _json_cases(tmp_path)[case]
    result = subprocess.run(
        [sys.executable, "-m", "cos_doctor", *arguments],
        input=stdin or b"",
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == status, result.stderr
    assert result.stderr == b""
    error = json.loads(result.stdout)["error"]
    assert error["id"] == error_id
    assert error["exit_status"] == status
    assert error["message"]


@pytest.mark.parametrize("as_json", [False, True])
def test_binary_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], as_json: bool
) -> None:
    """Binary garbage is unreadable input, exit 2 as documented, never 'no COS error' (exit 1)."""
    path = tmp_path / "core.bin"
    path.write_bytes(GARBAGE)
    assert main(["explain", str(path), *(["--json"] if as_json else [])]) == 2
    captured = capsys.readouterr()
    assert "is not text" in (captured.out if as_json else captured.err)


@pytest.mark.parametrize(
    "data",
    [
        error_xml("AccessDenied", "Access Denied.").encode("utf-8-sig"),  # a BOM
        error_xml("AccessDenied", "拒绝访问").encode()[:-3] + "é".encode()[:1],  # cut mid-character
        error_xml("AccessDenied", "拒绝访问").encode("gbk"),  # a log saved on Chinese Windows
    ],
    ids=["utf-8 with a BOM", "utf-8 cut mid-character", "gbk"],
)
def test_text_in_other_shapes_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes
) -> None:
    """Text that is not plain UTF-8 is still text: a BOM, a character cut at the end, GBK."""
    path = tmp_path / "error.xml"
    path.write_bytes(data)
    assert main(["explain", str(path), "--status", "403", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["error_code"] == "AccessDenied"


def test_json_output_stays_valid_with_control_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """C1 controls and bidirectional overrides in a server's Message are JSON escapes, never raw or invalid."""
    body = tmp_path / "error.xml"
    body.write_text(error_xml("AccessDenied", "Access\x85 Denied\u202e.\x1b[2J"))
    assert main(["explain", str(body), "--status", "403", "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["error_message"] == "Access\x85 Denied\u202e.\x1b[2J"
    assert not any(character in out for character in "\x85\u202e\x1b")


# explain on a terminal ------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_explain_on_a_terminal_says_what_it_expects() -> None:
    """With a terminal on stdin and no source, explain says what to paste and how to end, then reads it."""
    import os
    import select
    import time

    controller, terminal = os.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "cos_doctor", "explain", "--json"],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        os.close(terminal)
        assert process.stderr is not None
        try:
            said = b""
            deadline = time.monotonic() + 30
            while b"Ctrl-D" not in said and time.monotonic() < deadline:
                ready, _, _ = select.select([process.stderr], [], [], 1)
                if ready:
                    said += os.read(process.stderr.fileno(), 4096)
            assert b"paste" in said
            assert b"Ctrl-D" in said
            # The person pastes a line and ends the input (the terminal's EOF character).
            os.write(
                controller,
                b"requests.exceptions.ConnectionError: [Errno 111] Connection refused\n\x04",
            )
            out, _ = process.communicate(timeout=60)
        finally:
            process.kill()  # a no-op once it has exited; else it would wait on the terminal forever
            os.close(controller)
    assert process.returncode == 0
    assert json.loads(out)["rule_id"] == "client-connection-refused"


def test_explain_from_a_pipe_says_nothing_extra() -> None:
    """Piped input is read without a prompt: stderr stays empty."""
    result = subprocess.run(
        [sys.executable, "-m", "cos_doctor", "explain", "-", "--status", "403"],
        input=error_xml("AccessDenied", "Access Denied."),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert result.stderr == ""


# explain reads what diagnose() reads ----------------------------------------------------------


def _pasted_examples() -> list[tuple[str, str]]:
    """Every knowledge example that is text alone (no Code or status given beside it)."""
    from cos_doctor._knowledge.catalogue import catalogue

    return [
        (rule.id, example.message)
        for rule in catalogue().rules
        for example in rule.examples
        if example.message and example.code is None and example.status is None
    ]


REFUSED = (
    "requests.exceptions.ConnectionError: HTTPConnectionPool(host='127.0.0.1', port=9000): Max retries "
    "exceeded with url: /a.txt (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object "
    "at 0x7f3b>: Failed to establish a new connection: [Errno 111] Connection refused'))"
)


@pytest.mark.parametrize(
    ("rule_id", "text"), [("client-connection-refused", REFUSED), *_pasted_examples()]
)
def test_explain_reads_every_text_diagnose_reads(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], rule_id: str, text: str
) -> None:
    """Text diagnose() reads an error from gets the same rule through `explain -`; text it reads none from exits 1."""
    import cos_doctor
    from cos_doctor._readers.diagnose import holds_error

    expected = cos_doctor.diagnose(text)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    status = main(["explain", "-", "--json"])
    data = json.loads(capsys.readouterr().out)
    if holds_error(expected):
        assert status == 0
        assert data["rule_id"] == expected.rule_id
    else:
        assert status == 1
        assert data["error"]["id"] == "no-cos-error"
    if rule_id.startswith("client-") and rule_id != "client-unrecognized":
        assert data.get("rule_id") == rule_id  # a client failure's wording is an error to explain


def test_holds_error_is_false_only_for_the_catch_all_without_code_or_status() -> None:
    """Only the catch-all rule with no Code and no status means diagnose() read nothing."""
    import cos_doctor
    from cos_doctor._readers.diagnose import holds_error

    assert not holds_error(cos_doctor.diagnose("the upload failed, please help"))
    assert holds_error(cos_doctor.diagnose("hello <Code>x</Code>"))  # the catch-all, but a Code
    assert holds_error(cos_doctor.diagnose("-121 ERROR_CMD_CORSRULE_NOT_MATCH"))  # a rule, no Code
    assert holds_error(cos_doctor.diagnose(REFUSED))


@pytest.mark.parametrize(
    "closing",
    [
        'exec <&-; exec "$0" -m cos_doctor explain',
        'exec "$0" -c \'import os, sys; os.close(0); from cos_doctor.cli import main; sys.exit(main(["explain"]))\'',
    ],
    ids=["closed by the shell", "closed after start"],
)
def test_a_closed_stdin_is_unreadable_input(closing: str) -> None:
    """A closed stdin is unreadable input: one line, exit 2, no traceback."""
    result = subprocess.run(
        ["sh", "-c", closing, sys.executable],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr == "cos-doctor: cannot read stdin: Bad file descriptor\n"
