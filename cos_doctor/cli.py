"""``cos-doctor``: the on-call engineer's entry point.

cos-doctor explain FILE|-        diagnose an error body (XML/JSON) from a file or stdin
cos-doctor explain --example referer-denied
cos-doctor rules                 list every rule id and title
cos-doctor demo                  provoke every documented failure against the emulator
cos-doctor emulator [--port N]   serve the local COS emulator (see emulator --help)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cos_doctor._locale import SUPPORTED_LOCALES

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cos_doctor.diagnosis import Diagnosis

__all__ = ["main"]

EXAMPLES_DIR = Path(__file__).with_name("examples")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["emulator"]:
        # The emulator owns its options; argparse would try to read them as ours.
        return _emulator(argparse.Namespace(arguments=arguments[1:]))
    parser = _parser()
    options = parser.parse_args(arguments)
    handler = options.handler
    result: int = handler(options)
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cos-doctor",
        description="Diagnose Tencent Cloud COS errors.",
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    explain = commands.add_parser("explain", help="diagnose an error body from a file or stdin")
    explain.add_argument("source", nargs="?", help="file with the error body; '-' for stdin")
    explain.add_argument(
        "--example",
        choices=sorted(path.stem for path in EXAMPLES_DIR.glob("*.xml")),
        help="use an example error body shipped with cos_doctor",
    )
    explain.add_argument("--status", type=int, help="HTTP status of the reply (e.g. 403)")
    explain.add_argument("--method", help="HTTP method of the request (e.g. GET)")
    explain.add_argument("--operation", help="SDK method or API name (e.g. get_object)")
    explain.add_argument("--url", help="the request URL (signatures in it are never printed)")
    explain.add_argument(
        "--post-object",
        action="store_true",
        default=None,
        help="the error came from a browser POST Object form upload",
    )
    _add_output_options(explain)
    explain.set_defaults(handler=_explain)

    rules = commands.add_parser("rules", help="list the knowledge base's rules")
    _add_output_options(rules)
    rules.set_defaults(handler=_rules)

    demo = commands.add_parser(
        "demo",
        help="provoke every documented failure against the embedded emulator",
    )
    demo.add_argument("--locale", choices=SUPPORTED_LOCALES, help="language of the diagnoses")
    demo.add_argument("--brief", action="store_true", help="print only the summary table")
    demo.set_defaults(handler=_demo)

    # Listed for --help only: main() hands `emulator …` to the emulator's own parser.
    commands.add_parser(
        "emulator",
        help="serve the local COS emulator on 127.0.0.1 (options: see 'emulator --help')",
        add_help=False,
    )
    return parser


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--locale", choices=SUPPORTED_LOCALES, help="language of the output")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def _explain(options: argparse.Namespace) -> int:
    from cos_doctor._diagnose import diagnose

    if options.example:
        body = (EXAMPLES_DIR / f"{options.example}.xml").read_text(encoding="utf-8")
        status = options.status or 403
    elif options.source in (None, "-"):
        body, status = sys.stdin.read(), options.status
    else:
        try:
            body = Path(options.source).read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            print(f"cos-doctor: cannot read {options.source}: {error.strerror}", file=sys.stderr)
            return 2
        status = options.status
    diagnosis = diagnose(
        body,
        locale=options.locale,
        http_status=status,
        http_method=options.method,
        operation=options.operation,
        url=options.url,
        post_object=options.post_object,
    )
    print(_format(diagnosis, as_json=options.json))
    return 0


def _format(diagnosis: Diagnosis, *, as_json: bool) -> str:
    if as_json:
        return json.dumps(diagnosis.to_dict(), ensure_ascii=False, indent=2)
    return f"{diagnosis.headline()}\n{diagnosis.render()}"


def _demo(options: argparse.Namespace) -> int:
    try:
        from cos_doctor._demo import run_demo
    except ImportError as error:
        print(f"cos-doctor: {error}", file=sys.stderr)
        return 2
    return run_demo(sys.stdout, locale=options.locale, brief=options.brief)


def _emulator(options: argparse.Namespace) -> int:
    try:
        from cos_doctor.emulator import main as emulator_main
    except ImportError as error:
        print(f"cos-doctor: {error}", file=sys.stderr)
        return 2
    return emulator_main(options.arguments)


def _rules(options: argparse.Namespace) -> int:
    from cos_doctor._knowledge import catalogue
    from cos_doctor._locale import resolve_locale

    locale = resolve_locale(options.locale)
    rules = catalogue().rules
    if options.json:
        rows = [
            {"rule_id": rule.id, "title": rule.texts[locale].title, "generic": rule.generic}
            for rule in rules
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    width = max(len(rule.id) for rule in rules)
    for rule in rules:
        print(f"{rule.id:<{width}}  {rule.texts[locale].title}")
    return 0
