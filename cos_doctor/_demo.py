"""``cos-doctor demo``: every documented failure, provoked for real and diagnosed.

Starts the emulator in-process, installs cos_doctor, runs each scenario of
:mod:`cos_doctor._scenarios` (the same ones the integration suite asserts), and prints the
diagnosed traceback (or, for browser-only calls, the diagnosis), the log event, and a summary
table. Exits non-zero if any scenario did not get its expected rule.
"""

from __future__ import annotations

import json
import traceback
from typing import TYPE_CHECKING, Any, TextIO

from cos_doctor._hook import install, uninstall

if TYPE_CHECKING:
    from collections.abc import MutableMapping

    from cos_doctor._scenarios import Outcome, Scenario

__all__ = ["run_demo"]

_RULE = "─" * 100


def run_demo(out: TextIO, *, locale: str | None = None, brief: bool = False) -> int:
    """Run every scenario, print what cos_doctor says, and return the exit status."""
    import requests
    from structlog.testing import capture_logs

    from cos_doctor._scenarios import SCENARIOS
    from cos_doctor.emulator import Emulator

    rows: list[tuple[Scenario, Outcome | None, list[MutableMapping[str, Any]]]] = []
    installed_here = install(locale=locale)
    try:
        with Emulator() as emulator, requests.Session() as http:
            http.trust_env = False  # a proxy from the environment must not see loopback traffic
            emulator.state.mark_baseline()
            for number, scenario in enumerate(SCENARIOS, start=1):
                with capture_logs() as events:
                    outcome = _attempt(scenario, emulator, http, out)
                emulator.state.reset()
                rows.append((scenario, outcome, events))
                if not brief:
                    out.write(f"\n{_RULE}\n[{number}/{len(SCENARIOS)}] ")
                    _show(scenario, outcome, events, out)
    finally:
        if installed_here:
            uninstall()
    return _summary(rows, out)


def _attempt(scenario: Scenario, emulator: Any, http: Any, out: TextIO) -> Outcome | None:
    try:
        return scenario.run(emulator, http)
    except Exception as error:  # noqa: BLE001 - a demo reports a broken scenario and goes on
        out.write(f"scenario {scenario.rule_id} could not run: {error!r}\n")
        return None


def _show(
    scenario: Scenario,
    outcome: Outcome | None,
    events: list[MutableMapping[str, Any]],
    out: TextIO,
) -> None:
    out.write(f"{scenario.rule_id}: {scenario.misconfiguration}\n{_RULE}\n")
    if outcome is None:
        return
    if outcome.error is not None:
        error = outcome.error
        out.write("".join(traceback.format_exception(type(error), error, error.__traceback__)))
    else:
        out.write("(a browser-style request: diagnosed with cos_doctor.diagnose(body, …))\n")
        out.write(f"{outcome.diagnosis.headline()}\n{outcome.diagnosis.render()}\n")
    out.writelines(
        f"log event: {json.dumps(dict(event), ensure_ascii=False, default=str)}\n"
        for event in events
    )


def _summary(
    rows: list[tuple[Scenario, Outcome | None, list[MutableMapping[str, Any]]]],
    out: TextIO,
) -> int:
    out.write(f"\n{_RULE}\nSummary\n{_RULE}\n")
    header = ("", "rule", "status", "code", "what was misconfigured")
    table = [header]
    failures = 0
    for scenario, outcome, _ in rows:
        diagnosis = outcome.diagnosis if outcome is not None else None
        matched = diagnosis is not None and diagnosis.rule_id == scenario.rule_id
        failures += not matched
        table.append(
            (
                "✓" if matched else "✗",
                diagnosis.rule_id if diagnosis is not None else scenario.rule_id,
                str(diagnosis.http_status) if diagnosis is not None else "-",
                (diagnosis.error_code or "-") if diagnosis is not None else "-",
                scenario.misconfiguration,
            ),
        )
    widths = [max(len(row[column]) for row in table) for column in range(len(header))]
    out.writelines(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() + "\n"
        for row in table
    )
    diagnosed = len(rows) - failures
    out.write(f"\n{diagnosed} of {len(rows)} failures diagnosed with their documented rule.\n")
    return 1 if failures else 0
