"""The detail tables of results.md: the failure path's split, and diagnose() on large bodies."""

from __future__ import annotations

from typing import Any

from benchmarks._config import MIB

_IN_SITU_COLUMNS = (
    "hook",
    "context",
    "match",
    "evidence",
    "assess_other",
    "redactor",
    "event_facts",
    "copy",
    "log",
    "hook_other",
    "outside_hook",
)
_ISOLATED_COLUMNS = (
    "context",
    "match",
    "evidence",
    "redactor",
    "assess",
    "event",
    "copy",
    "log",
)


def failure_split_table(failure: dict[str, Any] | None) -> list[str]:
    """Where each failing call's added time goes: in situ, then each step alone."""
    if not failure:
        return []
    lines = [
        "",
        (
            "Failure path: where the added time goes, measured inside the real failing call (µs, medians; "
            "assess, other = assess − match − evidence (the Code inferred, the facts set up); "
            "redactor = the seal check over the event's values (finds_for: the request's redactor is "
            "built only when it finds a secret); event facts = Assessment.event − redactor "
            "(the values gathered, the causes ranked); copy = diagnosed_copy, the Diagnosis left unbuilt; "
            "log = the event to a null sink; outside hook = added − in hook: the re-raise, the SDK's "
            "ERROR record through the redaction filter, and the SDK's own code running with colder "
            "CPU caches; SDK log filter = that record through the filter, part of outside hook):"
        ),
        "",
        (
            "| rule | added | in hook | context | match | evidence | assess, other | redactor "
            "| event facts | copy | log | rest of hook | outside hook | SDK log filter "
            "| SDK's failing call | SDK's error parse |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for rule_id, entry in failure.items():
        situ = entry.get("in_situ")
        if situ:
            values = [entry["added_us"], *(situ[name] for name in _IN_SITU_COLUMNS)]
            values += [
                situ.get("sdk_log_filter"),
                entry["without_us"]["median"],
                entry.get("isolated", {}).get("sdk_error_parse"),
            ]
            shown = ["—" if value is None else f"{value:.1f}" for value in values]
            lines.append(f"| {rule_id} | " + " | ".join(shown) + " |")
    lines += [
        "",
        (
            "The same steps alone, repeated on a captured exception (warm caches; µs, medians; "
            "assess = match + evidence + the rest; event = the event's facts, redactor included; "
            "sum = context + assess + event + copy + log, the hot path). built on first read: "
            "what the first reader of the exception pays, once, later (the Diagnosis built and "
            "sealed, its prose worded, the note rendered):"
        ),
        "",
        (
            "| rule | context | match | evidence | redactor | assess | event | copy | log | sum "
            "| built on first read |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for rule_id, entry in failure.items():
        alone = entry.get("isolated")
        if not alone:  # the refused connection: no reply to diagnose alone
            continue
        cells = [alone.get(name) for name in _ISOLATED_COLUMNS]
        cells += [alone["pipeline"], alone.get("built_on_first_read")]
        shown = ["—" if value is None else f"{value:.1f}" for value in cells]
        lines.append(f"| {rule_id} | " + " | ".join(shown) + " |")
    return lines


def big_body_table(diagnose: dict[str, Any] | None) -> list[str]:
    """diagnose() on each 1 MB body shape and on growing runs of unclosed tags."""
    if not diagnose:
        return []
    big = diagnose["one_mib"]
    lines = [
        "",
        "diagnose() on large bodies (median of a few runs):",
        "",
        "| body | size | time |",
        "|---|---|---|",
    ]
    for name, shape in big["shapes"].items():
        lines.append(f"| {name} | {shape['bytes'] / MIB:.2f} MiB | {shape['ms']:.1f} ms |")
    for point in big["unclosed_tags"]["points"]:
        shown = f"{point['ms']:.1f} ms" if point["ms"] is not None else "timeout"
        lines.append(f"| unclosed '<Code>' tags | {point['bytes'] // 1024} KiB | {shown} |")
    full = big["unclosed_tags"].get("one_mib")
    if full:
        shown = (
            f"{full['ms']:.1f} ms"
            if full["ms"] is not None
            else f"> {full['timeout_s']:g} s (stopped)"
        )
        lines.append(f"| unclosed '<Code>' tags | 1.00 MiB | {shown} |")
    return lines
