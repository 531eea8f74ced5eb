"""How well the knowledge base explains real COS failures: the yardstick of issue 9.

Feeds every failure in ``tests/data/real_failures.toml`` (real reports, each cited) through
``cos_doctor.diagnose()`` as a user would (the text they pasted, or the error body the SDK had,
with the status / method hints they had), and sorts each outcome:

- ``right``: a specific rule won, and it is one the data file allows for that failure's cause
  (or, without a cause, its Code);
- ``generic``: an honest ``unrecognized-*`` fallback;
- ``wrong``: a specific rule won whose documented cause does not fit the failure;
- ``crash``: ``diagnose()`` raised.

Run ``python benchmarks/knowledge_coverage.py`` for the table per Code and the overall rate
(``--misses`` also lists every entry that did not get a right rule). ``tests/test_real_failures.py``
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
        if self.code is None and self.message is None:
            return ""
        lines = ["<?xml version='1.0' encoding='utf-8' ?>", "<Error>"]
        if self.code is not None:
            lines.append(f"\t<Code>{escape(self.code)}</Code>")
        if self.message is not None:
            lines.append(f"\t<Message>{escape(self.message)}</Message>")
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
    )


def judge(yardstick: Yardstick, failure: Failure) -> Outcome:
    """Diagnose one failure as its user would have, and sort the result."""
    import cos_doctor

    allowed = yardstick.allowed(failure)
    try:
        diagnosis = cos_doctor.diagnose(
            failure.user_text(),
            http_status=failure.status,
            http_method=failure.method,
            operation=failure.operation,
        )
    except Exception as exc:  # noqa: BLE001 - a crash is an outcome to count, not to stop on
        return Outcome(failure, "crash", None, None, allowed, f"{type(exc).__name__}: {exc}")
    if diagnosis.generic:
        verdict = "generic"
    elif diagnosis.rule_id in allowed:
        verdict = "right"
    else:
        verdict = "wrong"
    return Outcome(failure, verdict, diagnosis.rule_id, diagnosis.error_code, allowed)


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


def table(outcomes: Sequence[Outcome]) -> str:
    """Per group (Code): entries, right, generic, wrong, crash; then the overall rate."""
    rows: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(VERDICTS, 0))
    for outcome in outcomes:
        rows[outcome.failure.group][outcome.verdict] += 1
    width = max([len("code"), *map(len, rows)])
    header = f"{'code':<{width}}  entries  right  generic  wrong  crash"
    lines = [header, "-" * len(header)]
    for group in sorted(rows, key=lambda name: (name.startswith("("), name)):
        counts = rows[group]
        lines.append(
            f"{group:<{width}}  {sum(counts.values()):>7}  {counts['right']:>5}"
            f"  {counts['generic']:>7}  {counts['wrong']:>5}  {counts['crash']:>5}",
        )
    counted = coded(outcomes)
    right = sum(outcome.verdict == "right" for outcome in counted)
    lines += [
        "-" * len(header),
        f"entries: {len(outcomes)} ({len(counted)} with a known Code)",
        (
            f"right specific rule, known Code: {right}/{len(counted)}"
            f" = {right_share(outcomes):.1%} (target {TARGET:.0%})"
        ),
        (
            f"wrong: {sum(o.verdict == 'wrong' for o in outcomes)}"
            f"  crash: {sum(o.verdict == 'crash' for o in outcomes)}"
        ),
    ]
    return "\n".join(lines)


def misses(outcomes: Sequence[Outcome]) -> str:
    """Every failure that did not get a right rule, grouped by Code, for the rule writers."""
    grouped: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.verdict != "right":
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
            lines.append(
                f"  {outcome.verdict:<7} {failure.id} cause={cause} got={got}{read}"
                f" allowed={list(outcome.allowed)} <{unquote(failure.source)}>",
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the coverage table (and, with --misses, every miss); always exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every entry not right")
    args = parser.parse_args(argv)
    outcomes = measure()
    print(table(outcomes))
    if args.misses:
        print()
        print(misses(outcomes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
