"""``cos-doctor demo``: every documented failure, provoked for real and diagnosed.

Starts the emulator in-process, installs cos_doctor, runs each scenario of
:mod:`cos_doctor._cli.scenarios` (the same ones the integration suite asserts), then shows:

* ``screen`` (the default): what a newcomer reads in one screen — the summary table, one
  failure in full as the ``except`` block receives it, and an ``investigate()`` of a bucket
  policy that denies — at most 80 lines, none over 160 characters;
* ``all``: every diagnosed traceback (or browser diagnosis) and log event, then the same;
* ``brief``: the summary table alone.

Labels follow the locale. Exits non-zero if any scenario did not get its expected rule.
"""

from __future__ import annotations

import json
import textwrap
import traceback
from typing import TYPE_CHECKING, Any, TextIO

from cos_doctor._cli.terminal import neutralise
from cos_doctor._cli.text import say
from cos_doctor._hook.install import install, uninstall

if TYPE_CHECKING:
    from collections.abc import Iterable, MutableMapping

    from cos_doctor._access.investigate import Finding
    from cos_doctor._cli.scenarios import Outcome, Scenario

__all__ = ["MAX_LINE", "MAX_LINES", "run_demo"]

MAX_LINES = 80
MAX_LINE = 160
_RULE = "─" * 78
# The failure shown in full on the default screen: the one investigate() then explains.
_EXAMPLE = "access-denied"

_Row = tuple["Scenario", "Outcome | None", "list[MutableMapping[str, Any]]"]


def run_demo(out: TextIO, *, locale: str | None = None, mode: str = "screen") -> int:
    """Run every scenario and print what cos_doctor says; return the exit status."""
    import requests
    from structlog.testing import capture_logs

    from cos_doctor._cli.scenarios import SCENARIOS, policy_denies_sub_account
    from cos_doctor._locale import resolve_locale
    from cos_doctor.emulator import Emulator

    language = resolve_locale(locale)
    rows: list[_Row] = []
    # Every scenario shows its own event: no storm collapses two of them into a summary.
    installed_here = install(locale=language, storm_window=0)
    try:
        with Emulator() as emulator, requests.Session() as http:
            http.trust_env = False  # a proxy from the environment must not see loopback traffic
            emulator.state.mark_baseline()
            for scenario in SCENARIOS:
                with capture_logs() as events:
                    outcome = _attempt(scenario, emulator, http, out, language)
                emulator.state.reset()
                rows.append((scenario, outcome, events))
            with capture_logs():
                _, finding = policy_denies_sub_account(emulator, language)
            emulator.state.reset()
    finally:
        if installed_here:
            uninstall()
    lines: list[str] = []
    if mode == "all":
        for number, row in enumerate(rows, start=1):
            lines += ["", _RULE, f"[{number}/{len(rows)}] " + _show_all(row)]
    else:
        lines += [say("demo.title", language)]
    failures = _summary(rows, lines, language)
    tail: list[str] = []
    if mode != "brief":
        tail += ["", say("demo.investigate", language), _RULE, *_investigation(finding)]
    if mode == "screen":
        tail += ["", say("demo.more", language)]
        lines, tail = _fit(lines), _fit(tail)
        example = next((row for row in rows if row[0].rule_id == _EXAMPLE), None)
        if example is not None:
            shown = _fit(_example(example, language))
            # The example gets what is left of one screen; --all shows the rest.
            room = MAX_LINES - len(lines) - len(tail) - 3
            if len(shown) > room:
                shown = [*shown[: max(room - 1, 0)], "  …"]
            lines += ["", say("demo.example", language), _RULE, *shown]
    out.write(neutralise("\n".join([*lines, *tail])) + "\n")
    return 1 if failures else 0


def _attempt(
    scenario: Scenario, emulator: Any, http: Any, out: TextIO, locale: str
) -> Outcome | None:
    try:
        return scenario.run(emulator, http)
    except Exception as error:  # noqa: BLE001 - a demo reports a broken scenario and goes on
        out.write(say("demo.broken", locale, rule=scenario.rule_id, error=repr(error)) + "\n")
        return None


def _show_all(row: _Row) -> str:
    """One scenario in full: the traceback (or the browser diagnosis) and its log events."""
    scenario, outcome, events = row
    parts = [f"{scenario.rule_id}: {scenario.misconfiguration}", _RULE]
    if outcome is not None and outcome.error is not None:
        error = outcome.error
        parts.append(
            "".join(traceback.format_exception(type(error), error, error.__traceback__)).rstrip()
        )
    elif outcome is not None:
        parts.append("(a browser-style request: diagnosed with cos_doctor.diagnose(body, …))")
        parts += [outcome.diagnosis.headline(), outcome.diagnosis.render()]
    parts += [_event_line(event) for event in events]
    return "\n".join(parts)


def _event_line(event: MutableMapping[str, Any]) -> str:
    return f"log event: {json.dumps(dict(event), ensure_ascii=False, default=str)}"


def _summary(rows: list[_Row], lines: list[str], locale: str) -> int:
    from cos_doctor._cli.scenarios import MISCONFIGURATION_TEXT

    lines += ["", say("demo.summary", locale), _RULE]
    header = (
        "",
        say("demo.col.rule", locale),
        say("demo.col.status", locale),
        say("demo.col.code", locale),
        say("demo.col.what", locale),
    )
    table = [header]
    failures = 0
    for scenario, outcome, _ in rows:
        diagnosis = outcome.diagnosis if outcome is not None else None
        matched = diagnosis is not None and diagnosis.rule_id == scenario.rule_id
        failures += not matched
        what = MISCONFIGURATION_TEXT.get(scenario.rule_id, {}).get(locale)
        table.append(
            (
                "✓" if matched else "✗",
                diagnosis.rule_id if diagnosis is not None else scenario.rule_id,
                str(diagnosis.http_status) if diagnosis is not None else "-",
                (diagnosis.error_code or "-") if diagnosis is not None else "-",
                what or scenario.misconfiguration,
            ),
        )
    widths = [max(len(row[column]) for row in table) for column in range(len(header))]
    lines += [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in table
    ]
    diagnosed = len(rows) - failures
    lines += ["", say("demo.diagnosed", locale, diagnosed=diagnosed, total=len(rows))]
    return failures


def _example(row: _Row, locale: str) -> list[str]:
    """The failure as the except block sees it: type, headline, report, and the event."""
    _, outcome, events = row
    if outcome is None:
        return []
    diagnosis = outcome.diagnosis
    kind = type(outcome.error).__module__ + "." + type(outcome.error).__name__
    lines = [f"{kind}: {diagnosis.headline()}", *diagnosis.render().splitlines()]
    for event in events:
        short = {k: event.get(k) for k in ("event", "rule_id", "error_code", "request_id")}
        short["evidence"] = sorted(event.get("evidence", {}))
        lines.append(f"{say('demo.event', locale)}: {json.dumps(short, ensure_ascii=False)}")
    return lines


def _investigation(finding: Finding) -> list[str]:
    from cos_doctor._cli.scenarios import DENY_SID

    return [
        "owner = CosS3Client(...)  # may read the bucket's policy and ACL",
        f'# the bucket policy\'s statement "{DENY_SID}" denies the sub-account',
        "finding = cos_doctor.investigate(error, owner, principal=SUB_ACCOUNT)",
        f"finding.text       = {finding.text}",
        f"finding.decided_by = {finding.decided_by}",
        "finding.reads      = " + ", ".join(f"{r.call}:{r.outcome}" for r in finding.reads),
    ]


def _fit(lines: Iterable[str]) -> list[str]:
    """Wrap every line to MAX_LINE characters, keeping its indentation."""
    fitted: list[str] = []
    for text in "\n".join(lines).splitlines():
        if len(text) <= MAX_LINE:
            fitted.append(text)
            continue
        indent = " " * (len(text) - len(text.lstrip()) + 4)
        fitted += textwrap.wrap(
            text, width=MAX_LINE, subsequent_indent=indent, break_on_hyphens=False
        )
    return fitted
