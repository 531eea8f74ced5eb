"""How well the knowledge base explains real COS failures: the yardstick of issue 9.

Feeds every failure in ``tests/data/real_failures.toml`` (real reports, each cited) through
``cos_doctor.diagnose()`` as a user would (the text they pasted, or the error body the SDK had,
with the status / method hints they had), and again as the Python SDK would have held it (an
error body with the Code and Message), and sorts each outcome:

- ``right``: a specific rule won, and it is one the data file allows for that failure's cause
  (or, without a cause, its Code);
- ``generic``: an honest ``unrecognized-*`` fallback;
- ``wrong``: a specific rule won whose documented cause does not fit the failure;
- ``crash``: ``diagnose()`` raised.

Client-side failures (DNS, TLS, connect / reset, timeouts, SDK argument checks: no COS Code) are
judged the same way, by their cause's allow-list (an empty list: only a generic diagnosis fits),
and their rate is reported apart from the known-Code rate.

Run ``python benchmarks/knowledge_coverage.py`` for the table per Code and the overall rates
(``--misses`` also lists every entry that did not get a right rule; ``--families`` prints the
per-family table of the README's "Real failures" section, issue 17). ``tests/test_real_failures.py``
asserts the same measurement: no crash, no wrong rule, right share >= 0.85 among failures with a
known Code.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote
from xml.sax.saxutils import escape

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9 / 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    from collections.abc import Sequence

# Run as a script: measure the working tree this file lives in.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA = ROOT / "tests" / "data" / "real_failures.toml"
#: The share of failures with a known Code that must get a right specific rule (issue 9).
TARGET = 0.85
#: How failures without a Code (client-side: DNS, TLS, timeouts, proxies) are grouped.
CLIENT_SIDE = "(client-side, no Code)"
#: Server replies whose Code the source never quoted.
NO_CODE = "(server reply, Code not quoted)"

VERDICTS = ("right", "generic", "wrong", "crash")
#: The failure families an entry's ``family`` names (issue 17).
FAMILIES = (
    "subresource-no-config",
    "config-limit",
    "s3-compatible-client",
    "endpoint-dependent",
    "cloud-infinite",
    "client-network",
    "client-proxy",
    "client-tls",
    "sdk-check",
)


@dataclass(frozen=True)
class Failure:
    """One real failure as reported, and what its correct diagnosis is."""

    id: str
    source: str
    expected_code: str | None
    expected_cause: str | None
    status: int | None
    code: str | None
    message: str | None
    pasted: str | None
    method: str | None
    operation: str | None
    client_side: bool
    family: str | None = None

    @property
    def group(self) -> str:
        """The row of the coverage table this failure counts in."""
        if self.expected_code:
            return self.expected_code
        return CLIENT_SIDE if self.client_side else NO_CODE

    def user_text(self) -> str:
        """What the user had to give diagnose(): their paste, else the error body the SDK had."""
        if self.pasted is not None:
            return self.pasted
        return _error_xml(self.code, self.message)

    def sdk_body(self) -> str | None:
        """The error body the Python SDK would have held: the Code COS sent, and the Message.

        None for client-side failures, which have no COS reply. Judging this as well as the
        paste separates what the knowledge base lacks from what diagnose() cannot read.
        """
        code = self.code or self.expected_code
        if code is None and self.message is None:
            return None
        return _error_xml(code, self.message)


def _error_xml(code: str | None, message: str | None) -> str:
    if code is None and message is None:
        return ""
    lines = ["<?xml version='1.0' encoding='utf-8' ?>", "<Error>"]
    if code is not None:
        lines.append(f"\t<Code>{escape(code)}</Code>")
    if message is not None:
        lines.append(f"\t<Message>{escape(message)}</Message>")
    lines.append("</Error>")
    return "\n".join(lines)


@dataclass(frozen=True)
class Outcome:
    """What diagnose() made of one failure."""

    failure: Failure
    verdict: str
    rule_id: str | None
    code_read: str | None
    allowed: tuple[str, ...]
    error: str | None = None
    #: The same failure judged from the body the SDK would have held (None: client-side).
    sdk_verdict: str | None = None
    sdk_rule_id: str | None = None


@dataclass(frozen=True)
class Yardstick:
    """The corpus: the failures and the allow-lists that say which rules are right."""

    failures: tuple[Failure, ...]
    allow_code: dict[str, tuple[str, ...]]
    allow_cause: dict[str, tuple[str, ...]]

    def allowed(self, failure: Failure) -> tuple[str, ...]:
        """Rule ids that are a right diagnosis of ``failure``: by cause first, else by Code."""
        if failure.expected_cause and failure.expected_cause in self.allow_cause:
            return self.allow_cause[failure.expected_cause]
        if failure.expected_code:
            return self.allow_code.get(failure.expected_code, ())
        return ()


def load(path: Path = DATA) -> Yardstick:
    """Read the corpus and its allow-lists."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    failures = tuple(_failure(entry) for entry in data["failure"])
    allow = data.get("allow", {})
    return Yardstick(
        failures=failures,
        allow_code={code: tuple(ids) for code, ids in allow.get("code", {}).items()},
        allow_cause={cause: tuple(ids) for cause, ids in allow.get("cause", {}).items()},
    )


def _failure(entry: dict[str, Any]) -> Failure:
    return Failure(
        id=entry["id"],
        source=entry["source"],
        expected_code=entry.get("expected_code"),
        expected_cause=entry.get("expected_cause"),
        status=entry.get("status"),
        code=entry.get("code"),
        message=entry.get("message"),
        pasted=entry.get("pasted"),
        method=entry.get("method"),
        operation=entry.get("operation"),
        client_side=bool(entry.get("client_side", False)),
        family=entry.get("family"),
    )


def judge(yardstick: Yardstick, failure: Failure) -> Outcome:
    """Diagnose one failure as its user would have (and as the SDK had it), and sort both."""
    allowed = yardstick.allowed(failure)
    verdict, rule_id, code_read, error = _verdict(failure, failure.user_text(), allowed)
    sdk_verdict = sdk_rule_id = None
    sdk_body = failure.sdk_body()
    if sdk_body is not None:
        sdk_verdict, sdk_rule_id, _, sdk_error = _verdict(failure, sdk_body, allowed)
        error = error or sdk_error
    return Outcome(
        failure,
        verdict,
        rule_id,
        code_read,
        allowed,
        error,
        sdk_verdict=sdk_verdict,
        sdk_rule_id=sdk_rule_id,
    )


def _verdict(
    failure: Failure,
    text: str,
    allowed: tuple[str, ...],
) -> tuple[str, str | None, str | None, str | None]:
    """Verdict, rule id, Code read and crash text for one text of one failure."""
    import cos_doctor

    try:
        diagnosis = cos_doctor.diagnose(
            text,
            http_status=failure.status,
            http_method=failure.method,
            operation=failure.operation,
        )
    except Exception as exc:  # noqa: BLE001 - a crash is an outcome to count, not to stop on
        return "crash", None, None, f"{type(exc).__name__}: {exc}"
    if diagnosis.generic:
        verdict = "generic"
    elif diagnosis.rule_id in allowed:
        verdict = "right"
    else:
        verdict = "wrong"
    return verdict, diagnosis.rule_id, diagnosis.error_code, None


def measure(yardstick: Yardstick | None = None) -> list[Outcome]:
    """Judge every failure of the corpus."""
    yardstick = yardstick or load()
    return [judge(yardstick, failure) for failure in yardstick.failures]


def coded(outcomes: Sequence[Outcome]) -> list[Outcome]:
    """The outcomes the issue-9 target counts: failures that carry a known COS Code."""
    return [outcome for outcome in outcomes if outcome.failure.expected_code]


def right_share(outcomes: Sequence[Outcome]) -> float:
    """Share of failures with a known Code that got a right specific rule."""
    counted = coded(outcomes)
    if not counted:
        return 0.0
    return sum(outcome.verdict == "right" for outcome in counted) / len(counted)


def client_side(outcomes: Sequence[Outcome]) -> list[Outcome]:
    """The outcomes of client-side failures (no COS Code), counted apart from the Code share."""
    return [outcome for outcome in outcomes if outcome.failure.client_side]


def client_right_share(outcomes: Sequence[Outcome]) -> float:
    """Share of client-side failures that got a right specific (client) rule."""
    counted = client_side(outcomes)
    if not counted:
        return 0.0
    return sum(outcome.verdict == "right" for outcome in counted) / len(counted)


def sdk_right_share(outcomes: Sequence[Outcome]) -> float:
    """The same share, judged from the Code and Message the SDK would have held."""
    counted = coded(outcomes)
    if not counted:
        return 0.0
    return sum(outcome.sdk_verdict == "right" for outcome in counted) / len(counted)


def table(outcomes: Sequence[Outcome]) -> str:
    """Per group (Code): entries, right, generic, wrong, crash; then the overall rates.

    The verdict columns judge the text as the user pasted it; ``sdk-right`` judges the Code
    and Message the Python SDK would have held, so the gap between the two is what
    diagnose() cannot read yet rather than what the knowledge base lacks.
    """
    rows: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys((*VERDICTS, "sdk"), 0))
    for outcome in outcomes:
        counts = rows[outcome.failure.group]
        counts[outcome.verdict] += 1
        counts["sdk"] += outcome.sdk_verdict == "right"
    width = max([len("code"), *map(len, rows)])
    header = f"{'code':<{width}}  entries  right  generic  wrong  crash  sdk-right"
    lines = [header, "-" * len(header)]
    for group in sorted(rows, key=lambda name: (name.startswith("("), name)):
        counts = rows[group]
        total = sum(counts[verdict] for verdict in VERDICTS)
        lines.append(
            f"{group:<{width}}  {total:>7}  {counts['right']:>5}  {counts['generic']:>7}"
            f"  {counts['wrong']:>5}  {counts['crash']:>5}  {counts['sdk']:>9}",
        )
    counted = coded(outcomes)
    right = sum(outcome.verdict == "right" for outcome in counted)
    sdk_right = sum(outcome.sdk_verdict == "right" for outcome in counted)
    wrong = sum(o.verdict == "wrong" or o.sdk_verdict == "wrong" for o in outcomes)
    crash = sum(o.verdict == "crash" or o.sdk_verdict == "crash" for o in outcomes)
    clients = client_side(outcomes)
    client_right = sum(outcome.verdict == "right" for outcome in clients)
    explained = sum(bool(outcome.allowed) for outcome in clients)
    lines += [
        "-" * len(header),
        f"entries: {len(outcomes)} ({len(counted)} with a known Code)",
        (
            f"right specific rule, known Code, as pasted: {right}/{len(counted)}"
            f" = {right_share(outcomes):.1%} (target {TARGET:.0%})"
        ),
        (
            f"right specific rule, known Code, as the SDK had it: {sdk_right}/{len(counted)}"
            f" = {sdk_right_share(outcomes):.1%}"
        ),
        f"wrong (either view): {wrong}  crash (either view): {crash}",
        (
            f"right specific rule, client-side (no Code): {client_right}/{len(clients)}"
            f" = {client_right_share(outcomes):.1%}"
            f" ({explained} of them have a cause some rule explains)"
        ),
    ]
    return "\n".join(lines)


def family_table(outcomes: Sequence[Outcome]) -> str:
    """Per family: entries, then right / generic / wrong as counts and shares (a Markdown table).

    Judged on the text as pasted, like the known-Code share. A crash counts as wrong here: the
    user got no right answer either way (and the tests allow none). Entries without a family are
    left out; a family without entries shows dashes.
    """
    lines = [
        "| family | entries | right | generic | wrong |",
        "|---|---:|---:|---:|---:|",
    ]
    for family in FAMILIES:
        members = [outcome for outcome in outcomes if outcome.failure.family == family]
        counts = {
            "right": sum(outcome.verdict == "right" for outcome in members),
            "generic": sum(outcome.verdict == "generic" for outcome in members),
            "wrong": sum(outcome.verdict in ("wrong", "crash") for outcome in members),
        }
        cells = [
            f"{counts[verdict]} ({counts[verdict] / len(members):.0%})" if members else "–"
            for verdict in ("right", "generic", "wrong")
        ]
        lines.append(f"| `{family}` | {len(members)} | {' | '.join(cells)} |")
    return "\n".join(lines)


def misses(outcomes: Sequence[Outcome]) -> str:
    """Every failure that did not get a right rule, grouped by Code, for the rule writers."""
    grouped: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.verdict != "right" or outcome.sdk_verdict not in (None, "right"):
            grouped[outcome.failure.group].append(outcome)
    lines = []
    for group in sorted(grouped):
        lines.append(f"{group}:")
        for outcome in grouped[group]:
            failure = outcome.failure
            got = outcome.error or outcome.rule_id
            cause = failure.expected_cause or "-"
            read = (
                ""
                if outcome.code_read == failure.expected_code
                else (f" code read={outcome.code_read!r}")
            )
            sdk = f" sdk={outcome.sdk_verdict}:{outcome.sdk_rule_id}" if outcome.sdk_verdict else ""
            lines.append(
                f"  {outcome.verdict:<7} {failure.id} cause={cause} got={got}{read}{sdk}"
                f" allowed={list(outcome.allowed)} <{unquote(failure.source)}>",
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the coverage table (and, with --misses, every miss); always exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every entry not right")
    parser.add_argument(
        "--families", action="store_true", help="print only the per-family Markdown table"
    )
    args = parser.parse_args(argv)
    outcomes = measure()
    if args.families:
        print(family_table(outcomes))
        return 0
    print(table(outcomes))
    if args.misses:
        print()
        print(misses(outcomes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
