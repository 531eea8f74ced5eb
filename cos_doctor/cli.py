"""``cos-doctor``: the on-call engineer's entry point.

cos-doctor explain FILE|-            diagnose an error body (XML/JSON) from a file or stdin
cos-doctor explain --url URL         fetch a (presigned) URL and diagnose its error reply
cos-doctor investigate FILE|- --bucket B --region R
                                     read the bucket's configuration; name what refused it
cos-doctor check --bucket B --region R [--endpoint URL] [--write]
                                     preflight one bucket: credentials, DNS, TLS, clock, rights
cos-doctor rules                     list every rule id and title
cos-doctor demo [--all]              provoke every documented failure against the emulator
cos-doctor emulator [--port N]       serve the local COS emulator (see emulator --help)

Bare ``cos-doctor`` prints this help; ``-V`` / ``--version`` the version.

Exit codes: 0 success (for explain and investigate: a COS error was found and explained;
for check: no check failed), 1 nothing to explain or a check failed, 2 usage error or
unreadable input (missing, a directory, binary data). With ``--json`` every output is JSON,
errors included: ``{"error": {"id": …, "message": …, "exit_status": …}}`` on stdout.
Output never carries terminal control characters from server-supplied text, and is coloured
on a terminal without ``NO_COLOR``, or whenever ``FORCE_COLOR`` is set.
"""

from __future__ import annotations

import argparse
import codecs
import errno
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from cos_doctor._cli.terminal import Output
from cos_doctor._cli.text import CLI_LOCALES, say

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cos_doctor._access.investigate import Finding
    from cos_doctor._cli.check import CheckResult
    from cos_doctor.diagnosis import Diagnosis

__all__ = ["main"]

EXAMPLES_DIR = Path(__file__).with_name("examples")
EXIT_OK, EXIT_NOTHING, EXIT_USAGE = 0, 1, 2
# 128 + SIGPIPE, what a shell reports for a reader that went away (`cos-doctor … | head`).
EXIT_BROKEN_PIPE = 141
_ENV_ID, _ENV_KEY, _ENV_TOKEN = (
    "TENCENTCLOUD_SECRET_ID",
    "TENCENTCLOUD_SECRET_KEY",
    "TENCENTCLOUD_SESSION_TOKEN",
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(arguments)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly; silence the final flush too.
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return 130


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file descriptor (tests, embedding)
        pass


def _run(arguments: list[str]) -> int:
    parser = _parser()
    if not arguments:
        # Nothing asked: the help is the answer, not a usage error.
        parser.print_help(sys.stdout)
        return EXIT_OK
    if arguments[:1] == ["emulator"]:
        # The emulator owns its options; argparse would try to read them as ours.
        return _emulator(arguments[1:])
    try:
        options = parser.parse_args(arguments)
    except _UsageError as problem:
        return _usage_error(problem, as_json="--json" in arguments)
    result: int = options.handler(options)
    return result


def _locale(options: argparse.Namespace) -> str:
    from cos_doctor._locale import resolve_locale

    return resolve_locale(getattr(options, "locale", None))


def _fail(options: argparse.Namespace, key: str, code: int, **words: object) -> int:
    """Say why the command stops (as JSON under ``--json``); return its exit status."""
    message = say(key, _locale(options), **words)
    if getattr(options, "json", False):
        Output(sys.stdout).json({"error": {"id": key, "message": message, "exit_status": code}})
    else:
        Output(sys.stderr).line(f"cos-doctor: {message}")
    return code


class _UsageError(Exception):
    """What argparse would print before exiting 2, raised instead so ``--json`` can answer."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser, self.message = parser, message


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is raised (sub-commands' parsers are of this class too)."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(self, message)


def _usage_error(problem: _UsageError, *, as_json: bool) -> int:
    usage = problem.parser.format_usage().strip()
    if as_json:
        error = {"id": "usage", "message": problem.message, "usage": usage}
        Output(sys.stdout).json({"error": {**error, "exit_status": EXIT_USAGE}})
    else:  # argparse's own two lines
        Output(sys.stderr).line(usage)
        Output(sys.stderr).line(f"{problem.parser.prog}: error: {problem.message}")
    return EXIT_USAGE


# The parser ----------------------------------------------------------------------------------

_EXAMPLES = {
    "main": """examples:
  cos-doctor explain error.xml --status 403
  pbpaste | cos-doctor explain - --locale ko
  cos-doctor explain --url "$PRESIGNED_URL"
  cos-doctor check --bucket examplebucket-1250000000 --region ap-guangzhou
  cos-doctor investigate error.xml --bucket examplebucket-1250000000 --region ap-guangzhou
  cos-doctor demo --locale zh""",
    "explain": """examples:
  cos-doctor explain error.xml --status 403 --operation get_object
  curl -s "$URL" | cos-doctor explain - --status 403 --url "$URL"
  cos-doctor explain --url "$PRESIGNED_URL"            # fetch it, explain the refusal
  cos-doctor explain --url "http://127.0.0.1:9000/a.txt?q-sign-algorithm=..." \\
      --header "Host: examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com"
  grep -m1 CosServiceError app.log | cos-doctor explain -     # what a log kept of it
  grep -m1 CosClientError app.log | cos-doctor explain -      # DNS, refused, timeout, TLS, proxy
  cos-doctor explain --example referer-denied --json
exit status: 0 a COS error was explained, 1 the input holds none,
             2 usage error or unreadable input (missing, a directory, binary data)""",
    "investigate": """examples:
  cos-doctor investigate error.xml --bucket examplebucket-1250000000 --region ap-guangzhou \\
      --key reports/q3.csv --principal qcs::cam::uin/100000000001:uin/100000000011
  pbpaste | cos-doctor investigate - --bucket photos-1250000000 --region ap-shanghai \\
      --referer https://blog.example.net/post.html
credentials: TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY / TENCENTCLOUD_SESSION_TOKEN
(or the flags); they need read access to the bucket's configuration. Only read calls are made.""",
    "check": """examples:
  export TENCENTCLOUD_SECRET_ID=AKID... TENCENTCLOUD_SECRET_KEY=...
  cos-doctor check --bucket examplebucket-1250000000 --region ap-guangzhou
  cos-doctor check --bucket examplebucket-1250000000 --region ap-guangzhou --write --json
  cos-doctor check --bucket examplebucket-1250000000 --region ap-guangzhou \\
      --endpoint http://127.0.0.1:9000           # the local emulator
exit status: 0 no check failed, 1 a check failed, 2 usage error""",
    "rules": """examples:
  cos-doctor rules
  cos-doctor rules --locale zh --json""",
    "demo": """examples:
  cos-doctor demo                 # one screen: the summary and one full example
  cos-doctor demo --all           # every traceback and log event
  cos-doctor demo --locale ko""",
}


def _command(commands: Any, name: str, help_text: str, handler: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=_EXAMPLES.get(name),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=handler)
    return parser


def _parser() -> argparse.ArgumentParser:
    from cos_doctor import __version__

    parser = _Parser(
        prog="cos-doctor",
        description="Diagnose Tencent Cloud COS errors.",
        epilog=_EXAMPLES["main"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-V", "--version", action="version", version=f"cos-doctor {__version__}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    explain = _command(commands, "explain", "diagnose a COS error body or URL", _explain)
    explain.add_argument("source", nargs="?", help="file with the error body; '-' for stdin")
    explain.add_argument(
        "--example",
        choices=sorted(path.stem for path in EXAMPLES_DIR.glob("*.xml")),
        help="use an example error body shipped with cos_doctor",
    )
    _add_request_hints(explain)
    explain.add_argument(
        "--url",
        help="the request URL; without a FILE, cos-doctor requests it and explains the reply "
        "(signatures in it are never printed)",
    )
    explain.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a header to send with --url (repeatable), e.g. the bucket's Host for the emulator",
    )
    explain.add_argument(
        "--post-object",
        action="store_true",
        default=None,
        help="the error came from a browser POST Object form upload",
    )
    _add_output_options(explain)

    investigate = _command(
        commands,
        "investigate",
        "read the bucket's configuration and name the statement or rule that refused a request",
        _investigate,
    )
    investigate.add_argument("source", nargs="?", help="file with the error body; '-' for stdin")
    _add_request_hints(investigate)
    investigate.add_argument("--key", help="the object key of the failed request")
    investigate.add_argument(
        "--principal", help="who signed it: qcs::cam::uin/<OwnerUin>:uin/<Uin> (else unknown)"
    )
    investigate.add_argument("--referer", help="the Referer the failed request sent")
    investigate.add_argument("--origin", help="the Origin of the refused preflight")
    _add_bucket_options(investigate, region_required=False)
    _add_output_options(investigate)

    check = _command(commands, "check", "preflight one bucket, one line per check", _check)
    _add_bucket_options(check, region_required=True)
    check.add_argument("--write", action="store_true", help="also create and delete a probe object")
    _add_output_options(check)

    rules = _command(commands, "rules", "list the knowledge base's rules", _rules)
    _add_output_options(rules)

    demo = _command(
        commands, "demo", "provoke every documented failure against the embedded emulator", _demo
    )
    demo.add_argument("--locale", choices=CLI_LOCALES, help="language of the output")
    shown = demo.add_mutually_exclusive_group()
    shown.add_argument("--all", action="store_true", help="print every traceback and log event")
    shown.add_argument("--brief", action="store_true", help="print only the summary table")

    # Listed for --help only: main() hands `emulator …` to the emulator's own parser.
    commands.add_parser(
        "emulator",
        help="serve the local COS emulator on 127.0.0.1 (options: see 'emulator --help')",
        add_help=False,
    )
    return parser


def _add_request_hints(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--status", type=int, help="HTTP status of the reply (e.g. 403)")
    parser.add_argument("--method", help="HTTP method of the request (e.g. GET)")
    parser.add_argument("--operation", help="SDK method or API name (e.g. get_object)")


def _add_bucket_options(parser: argparse.ArgumentParser, *, region_required: bool) -> None:
    # argparse lists required options among the optional ones; a group of their own says it.
    required = parser.add_argument_group("required options")
    required.add_argument("--bucket", required=True, help="<name>-<APPID>")
    region_help = "e.g. ap-guangzhou" if region_required else "default: the region the error names"
    (required if region_required else parser).add_argument(
        "--region", required=region_required, help=region_help
    )
    parser.add_argument(
        "--endpoint", help="connect here instead (the emulator, or a private endpoint)"
    )
    parser.add_argument("--secret-id", help=f"default: ${_ENV_ID}")
    parser.add_argument("--secret-key", help=f"default: ${_ENV_KEY}")
    parser.add_argument("--token", help=f"session token of temporary keys; default: ${_ENV_TOKEN}")


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--locale", choices=CLI_LOCALES, help="language of the output")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


# explain -------------------------------------------------------------------------------------


def _read_input(options: argparse.Namespace, locale: str) -> tuple[str | None, int]:
    """The error body, or (None, exit code) after saying why there is none."""
    if getattr(options, "example", None):
        return (EXAMPLES_DIR / f"{options.example}.xml").read_text(encoding="utf-8"), EXIT_OK
    from_stdin = options.source in (None, "-")
    path = "stdin" if from_stdin else options.source
    try:
        body = _text(_stdin(locale) if from_stdin else Path(options.source).read_bytes())
    except OSError as error:
        reason = error.strerror or type(error).__name__
        return None, _fail(options, "cannot-read", EXIT_USAGE, path=path, reason=reason)
    if body is None:
        return None, _fail(options, "not-text", EXIT_USAGE, path=path)
    if not body.strip() and not options.status:
        return None, _fail(options, "empty-input", EXIT_NOTHING)
    return body, EXIT_OK


def _stdin(locale: str) -> bytes | str:
    """What was piped or pasted in; on a terminal, first says what it expects."""
    stdin = sys.stdin
    if stdin is None:  # the shell closed it (`<&-`): as unreadable as a bad descriptor
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))
    if stdin.isatty():  # a person, not a pipe: say what to do instead of waiting silently
        Output(sys.stderr).line(say("waiting-for-stdin", locale))
        sys.stderr.flush()
    raw = getattr(stdin, "buffer", None)  # bytes when there are bytes to read
    return raw.read() if raw else stdin.read()


def _text(data: bytes | str) -> str | None:
    """``data`` as text, or None for binary data (a NUL byte, or neither UTF-8 nor GB18030).

    UTF-8 first (a BOM dropped; a character cut at the very end, as `head -c` cuts, ignored),
    then GB18030: logs written on Chinese Windows are in it, and their Code is still ASCII.
    """
    if isinstance(data, str):
        return None if "\0" in data else data
    if b"\0" in data:
        return None
    try:
        return codecs.getincrementaldecoder("utf-8-sig")().decode(data, final=False)
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        return None


def _explain(options: argparse.Namespace) -> int:
    from cos_doctor._readers.diagnose import diagnose, holds_error

    locale = _locale(options)
    if options.url and options.source is None and not options.example:
        return _explain_url(options, locale)
    body, code = _read_input(options, locale)
    if body is None:
        return code
    status = options.status or (403 if options.example else None)
    diagnosis = diagnose(
        body,
        locale=locale,
        http_status=status,
        http_method=options.method,
        operation=options.operation,
        url=options.url,
        post_object=options.post_object,
    )
    if not holds_error(diagnosis):
        return _fail(options, "no-cos-error", EXIT_NOTHING)
    _print_diagnosis(diagnosis, as_json=options.json)
    return EXIT_OK


def _explain_url(options: argparse.Namespace, locale: str) -> int:
    import requests

    from cos_doctor._readers.diagnose import diagnose
    from cos_doctor._redact import scrub

    headers = dict(_header(text) for text in options.header)
    method = (options.method or "GET").upper()
    shown_url = scrub(options.url)
    try:
        with requests.request(method, options.url, headers=headers, timeout=15) as response:
            content, status, reply = response.content, response.status_code, response.headers
    except (requests.RequestException, ValueError) as error:
        reason = type(error).__name__
        return _fail(options, "url-unreachable", EXIT_NOTHING, url=shown_url, reason=reason)
    if status < 300:
        return _fail(options, "url-succeeded", EXIT_NOTHING, url=shown_url, status=status)
    diagnosis = diagnose(
        content,
        locale=locale,
        http_status=status,
        http_method=method,
        url=options.url,
        headers=dict(reply),
        request_headers=headers,
        post_object=options.post_object,
    )
    _print_diagnosis(diagnosis, as_json=options.json)
    return EXIT_OK


def _header(text: str) -> tuple[str, str]:
    name, _, value = text.partition(":")
    return name.strip(), value.strip()


def _print_diagnosis(diagnosis: Diagnosis, *, as_json: bool) -> None:
    out = Output(sys.stdout)
    if as_json:
        out.json(diagnosis.to_dict())
        return
    out.line(diagnosis.headline(), "bold")
    for text in diagnosis.render().splitlines():
        out.line(text)


# investigate ----------------------------------------------------------------------------------


def _target(options: argparse.Namespace, locale: str, *, region: str | None) -> Any:
    from cos_doctor._cli.check import Target

    return Target(
        bucket=options.bucket or "",
        region=region or "",
        secret_id=options.secret_id or os.environ.get(_ENV_ID),
        secret_key=options.secret_key or os.environ.get(_ENV_KEY),
        token=options.token or os.environ.get(_ENV_TOKEN) or None,
        endpoint=options.endpoint,
        write=bool(getattr(options, "write", False)),
        locale=locale,
    )


def _endpoint_ok(options: argparse.Namespace) -> bool:
    endpoint = options.endpoint
    if endpoint and not re.match(r"^https?://[^/\s]+", endpoint):
        _fail(options, "bad-endpoint", EXIT_USAGE, value=endpoint)
        return False
    return True


def _investigate(options: argparse.Namespace) -> int:
    from cos_doctor._access.investigate import investigate
    from cos_doctor._cli.check import make_client
    from cos_doctor._readers.diagnose import diagnose, holds_error

    locale = _locale(options)
    if not options.bucket:  # given, but empty
        return _fail(options, "no-bucket", EXIT_USAGE)
    if not _endpoint_ok(options):
        return EXIT_USAGE
    body, code = _read_input(options, locale)
    if body is None:
        return code
    diagnosis = diagnose(
        body,
        locale=locale,
        http_status=options.status,
        http_method=options.method,
        operation=options.operation,
    )
    if not holds_error(diagnosis):
        return _fail(options, "no-cos-error", EXIT_NOTHING)
    region = options.region or diagnosis.region
    client = make_client(_target(options, locale, region=region))
    finding = investigate(
        diagnosis,
        client,
        principal=options.principal,
        bucket=options.bucket,
        key=options.key,
        referer=options.referer,
        origin=options.origin,
        method=options.method,
        locale=locale,
        log=False,
    )
    _print_finding(finding, locale, as_json=options.json)
    return EXIT_OK


def _print_finding(finding: Finding, locale: str, *, as_json: bool) -> None:
    out = Output(sys.stdout)
    if as_json:
        data = {
            "diagnosis": finding.diagnosis.to_dict() if finding.diagnosis else None,
            "finding": finding.to_dict(),
        }
        out.json(data)
        return
    if finding.diagnosis is not None:
        out.line(finding.diagnosis.headline(), "bold")
    out.line(f"{say('finding', locale)}: {finding.text}", "yellow")
    if finding.decided_by:
        out.line(f"{say('decided-by', locale)}: {finding.decided_by}")
    reads = ", ".join(
        f"{r.call} {r.outcome}" + (f" ({r.error_code})" if r.error_code else "")
        for r in finding.reads
    )
    out.line(f"{say('reads', locale)}: {reads or '-'}")


# check ---------------------------------------------------------------------------------------

_STYLE = {"pass": "green", "warn": "yellow", "fail": "red", "skip": "dim"}


def _check(options: argparse.Namespace) -> int:
    from cos_doctor._cli.check import run_checks

    locale = _locale(options)
    if not options.bucket or not options.region:  # given, but empty
        return _fail(options, "no-bucket" if not options.bucket else "no-region", EXIT_USAGE)
    if not _endpoint_ok(options):
        return EXIT_USAGE
    out = Output(sys.stdout)
    results: list[CheckResult] = []
    for result in run_checks(_target(options, locale, region=options.region)):
        results.append(result)
        if not options.json:
            _print_check(out, result, locale)
    failed = sum(r.status == "fail" for r in results)
    if options.json:
        out.json([r.to_dict() for r in results])
    else:
        counts = {s: sum(r.status == s for r in results) for s in ("pass", "warn", "fail")}
        out.line(
            say("summary", locale, passed=counts["pass"], warned=counts["warn"], failed=failed)
        )
    return EXIT_NOTHING if failed else EXIT_OK


def _print_check(out: Output, result: CheckResult, locale: str) -> None:
    status = say(result.status, locale).upper().ljust(4)
    name = say(f"check.{result.check}", locale)
    out.stream.write(f"{out.paint(status, _STYLE[result.status])}  ")
    out.line(f"{name}: {result.detail}")
    if result.status == "fail" and result.diagnosis is not None:
        for text in result.diagnosis.render().splitlines()[1:]:
            if not text.lstrip().startswith("request_id="):  # already in the headline's reach
                out.line(f"      {text}")


# rules, demo, emulator -----------------------------------------------------------------------


def _rules(options: argparse.Namespace) -> int:
    from cos_doctor._knowledge.catalogue import catalogue

    locale = _locale(options)
    rules = catalogue().rules
    titles = [(rule.id, (rule.texts.get(locale) or rule.texts["en"]).title, rule) for rule in rules]
    out = Output(sys.stdout)
    if options.json:
        rows = [{"rule_id": i, "title": t, "generic": r.generic} for i, t, r in titles]
        out.json(rows)
        return EXIT_OK
    width = max(len(rule_id) for rule_id, _, _ in titles)
    for rule_id, title, _ in titles:
        out.line(f"{rule_id:<{width}}  {title}")
    return EXIT_OK


def _demo(options: argparse.Namespace) -> int:
    locale = _locale(options)
    try:
        import werkzeug  # noqa: F401 - the demo runs the emulator, which needs it

        from cos_doctor._cli.demo import run_demo
    except ImportError:
        return _fail(options, "missing-extra", EXIT_USAGE, extra="emulator")
    mode = "all" if options.all else ("brief" if options.brief else "screen")
    return run_demo(sys.stdout, locale=locale, mode=mode)


def _emulator(arguments: list[str]) -> int:
    try:
        from cos_doctor.emulator import main as emulator_main
    except ImportError:
        options = argparse.Namespace(locale=None, json=False)
        return _fail(options, "missing-extra", EXIT_USAGE, extra="emulator")
    return emulator_main(arguments)
