"""The detail tables of results.md: the failure path's split, and diagnose() on large bodies."""

from __future__ import annotations

from typing import Any

from benchmarks._config import MIB

_IN_SITU_COLUMNS = (
    "hook",
    "context",
    "match",
    "evidence",
    "redactor",
    "build_and_seal",
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
    "build_and_seal",
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
            "build + seal = diagnose_context − match − evidence − redactor: the Diagnosis built "
            "and sealed, its prose left unworded; copy = diagnosed_copy, the note left unrendered; "
            "log = the event to a null sink; outside hook = added − in hook: the re-raise, the SDK's "
            "ERROR record through the redaction filter, and the SDK's own code running with colder "
            "CPU caches; SDK log filter = that record through the filter, part of outside hook):"
        ),
        "",
        (
            "| rule | added | in hook | context | match | evidence | redactor | build + seal | copy "
            "| log | rest of hook | outside hook | SDK log filter | SDK's failing call "
            "| SDK's error parse |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
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
            "The same steps alone, repeated on a captured exception (warm caches; µs, medians). "
            "worded on first access: what reading the prose or the note costs, once, later:"
        ),
        "",
        (
            "| rule | context | match | evidence | redactor | build + seal | copy | log | sum "
            "| worded on first access |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for rule_id, entry in failure.items():
        alone = entry.get("isolated")
        if not alone:  # the refused connection: no reply to diagnose alone
            continue
        cells = [alone.get(name) for name in _ISOLATED_COLUMNS]
        cells += [alone["pipeline"], alone.get("worded_on_first_access")]
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
