"""results.md: the summary table of a run, one block of rows per section, then detail tables."""

from __future__ import annotations

from typing import Any

from benchmarks._config import (
    TARGET_DIAGNOSE_MS_PER_MIB,
    TARGET_FAILURE_ADDED_US,
    TARGET_FIRST_FAILURE_MS,
    TARGET_IMPORT_MS,
    TARGET_LAYER_OVER_WRAPT_US,
    TARGET_SUCCESS_RATIO,
)
from benchmarks._format import Row, added_row, mark, stats_row
from benchmarks._tables import big_body_table, failure_split_table


def render_markdown(results: dict[str, Any]) -> str:
    env = results["environment"]
    packages = env["packages"]
    rows = [
        *_success_rows(results.get("success")),
        *_failure_rows(results.get("failure")),
        *_diagnose_rows(results.get("diagnose")),
        *_import_rows(results.get("import")),
        *_memory_rows(results.get("memory")),
    ]
    lines = [
        "# cos_doctor benchmark results",
        "",
        (
            f"{env['date']} · Python {env['python']} ({env['implementation']}) · "
            f"{env['platform']} · {env['cpus']} CPUs ({env['cpu']}) · mode: {results['mode']} · "
            f"cos-python-sdk-v5 {packages['cos-python-sdk-v5']}, wrapt {packages['wrapt']}, "
            f"structlog {packages['structlog']}, requests {packages['requests']}"
        ),
        "",
        (
            "added = median(with cos_doctor) − median(without), the two measured alternately, "
            "call by call, in one run. spread = p10 … p90 and 95% CI = confidence interval of "
            "the median, both of the per-round paired differences. n = rounds × calls per round."
        ),
        "",
        "| measurement | median | spread (p10 … p90) | 95% CI | n | target | |",
        "|---|---|---|---|---|---|---|",
        *(row.markdown() for row in rows),
        *failure_split_table(results.get("failure")),
        *big_body_table(results.get("diagnose")),
    ]
    return "\n".join(lines) + "\n"


_LAYER_LABELS = {
    "cos_doctor": "cos_doctor's layer (a wrapt FunctionWrapper)",
    "python_function": "the minimal plain-function pass-through (reference)",
    "bare_wrapt": "a bare wrapt FunctionWrapper pass-through (the budget's reference)",
}


def _success_rows(success: dict[str, Any] | None) -> list[Row]:
    if not success:
        return []
    rows = []
    for name in ("head_object", "put_object"):
        entry = success[name]
        base = entry["without_us"]["median"]
        row = added_row(
            f"success: {name}, added per call (of {base:.0f} µs; ratio {entry['ratio']:.4f})",
            entry,
        )
        row.target = f"ratio ≤ {TARGET_SUCCESS_RATIO}"
        row.mark = mark(entry["ratio"], TARGET_SUCCESS_RATIO)
        rows.append(row)
        rows.append(
            added_row(
                f"success: {name}, a second client without cos_doctor (noise floor)",
                entry["noise_floor"],
            )
        )
    layer = success["layer"]
    for name, label in _LAYER_LABELS.items():
        entry = dict(layer[name], calls_per_round=layer["calls_per_round"])
        rows.append(added_row(f"success: {label} alone, hot loop", entry))
    if "over_bare_wrapt" in layer:
        entry = dict(layer["over_bare_wrapt"], calls_per_round=layer["calls_per_round"])
        rows.append(
            added_row(
                "success: cos_doctor's layer minus a bare wrapt pass-through, hot loop",
                entry,
                TARGET_LAYER_OVER_WRAPT_US,
            ),
        )
    for key, method in (
        ("botocore_layer", "_make_api_call"),
        ("botocore_stream_layer", "StreamingBody.read"),
    ):
        botocore = success.get(key)
        if botocore is None:
            continue
        entry = dict(botocore["over_bare_wrapt"], calls_per_round=botocore["calls_per_round"])
        label = f"success: botocore, cos_doctor's layer on {method} minus a bare wrapt pass-through"
        rows.append(added_row(f"{label}, hot loop", entry, TARGET_LAYER_OVER_WRAPT_US))
    stream = success.get("botocore_stream_layer")
    if stream is not None:
        entry = dict(stream["cos_doctor"], calls_per_round=stream["calls_per_round"])
        read = stream["read_1kib_us"]["median"]
        rows.append(
            added_row(
                "success: botocore, cos_doctor's layer on StreamingBody.read, added per read() "
                f"(a 1 KiB read of an in-memory body costs {read:.2f} µs)",
                entry,
            ),
        )
    for level, entry in success["sdk_logging"].items():
        rows.append(
            added_row(
                f"success: head_object with the SDK's own logging at {level} (redaction filter)",
                entry,
            )
        )
    return rows


def _failure_rows(failure: dict[str, Any] | None) -> list[Row]:
    if not failure:
        return []
    rows = []
    for rule_id, entry in failure.items():
        target = TARGET_FAILURE_ADDED_US if entry["seed"] else None
        if "paired_added_us" in entry:
            scale = f"SDK's own failing call {entry['without_us']['median']:.0f} µs"
            rows.append(
                added_row(
                    f"failure: {rule_id} via {entry['operation']}, added ({scale})", entry, target
                )
            )
        else:
            row = stats_row(
                f"failure: {rule_id} via {entry['operation']}", entry["diagnose_us"], "µs"
            )
            row.target = f"≤ {target:g} µs" if target is not None else ""
            row.mark = mark(entry["added_us"], target)
            rows.append(row)
    return rows


def _diagnose_rows(diagnose: dict[str, Any] | None) -> list[Row]:
    if not diagnose:
        return []
    big = diagnose["one_mib"]
    rows = [
        stats_row(
            f"diagnose(): every knowledge-base example ({diagnose['mix_size']}), per call "
            f"= {diagnose['calls_per_second']:,.0f} calls/s",
            diagnose["per_call_us"],
            "µs",
        ),
        Row(
            f"diagnose(): slowest 1 MB body ({big['worst_shape']})",
            f"{big['worst_ms']:.1f} ms",  # a tenth: a whole number once hid 5.3 ms as "5 ms"
            target=f"≤ {TARGET_DIAGNOSE_MS_PER_MIB:g} ms",
            mark=mark(big["worst_ms"], TARGET_DIAGNOSE_MS_PER_MIB),
        ),
    ]
    unclosed = big["unclosed_tags"]
    full = unclosed.get("one_mib") or {}
    if full.get("ms") is not None:
        rows.append(Row("diagnose(): 1 MB of unclosed '<Code>' tags", f"{full['ms']:.1f} ms"))
    elif unclosed["extrapolated_1mib_ms"] is not None:
        stopped = f", stopped after {full['timeout_s']:g} s" if full else ""
        rows.append(
            Row(
                f"diagnose(): 1 MB of unclosed '<Code>' tags (time ∝ size^{unclosed['growth_exponent']:.1f}{stopped})",
                f"≈ {unclosed['extrapolated_1mib_ms'] / 1000:,.0f} s extrapolated",
            )
        )
    return rows


def _import_rows(imported: dict[str, Any] | None) -> list[Row]:
    if not imported:
        return []
    cumulative = imported["importtime_cumulative_ms"]
    lazy = imported["lazy_loaded_after_install"]
    wall = dict(imported["wall_clock"], calls_per_round=1)
    importtime = stats_row(
        "import: `import cos_doctor` after `import qcloud_cos` (-X importtime, cumulative)",
        cumulative,
        "ms",
    )
    importtime.target = f"≤ {TARGET_IMPORT_MS:g} ms"
    importtime.mark = mark(cumulative["median"], TARGET_IMPORT_MS)
    wall_row = added_row("import: the same, whole interpreter's wall clock, difference (ms)", wall)
    wall_row.value = f"{wall['added_us']:+.1f} ms"
    loaded = ", ".join(imported["packages_loaded_by_install"]) or "nothing"
    early = imported["packages_loaded_by_install_without_sdk"]
    return [
        importtime,
        wall_row,
        stats_row(
            f"import: then `cos_doctor.install()` (loads {loaded})",
            imported["perf_counter_install_ms"],
            "ms",
        ),
        stats_row(
            "import: `cos_doctor.install()` before `import qcloud_cos` (registers wrapt's "
            f"post-import hook; loads {len(early)} packages{', wrapt among them' if 'wrapt' in early else ''})",
            imported["without_sdk_install_ms"],
            "ms",
        ),
        Row(
            "import: knowledge base, diagnosis code or structlog loaded by import + install()",
            ", ".join(lazy) or "none",
            target="none",
            mark="✓" if not lazy else "✗",
        ),
    ]


def _memory_rows(memory: dict[str, Any] | None) -> list[Row]:
    if not memory:
        return []
    n = str(memory["runs"])
    failures = memory["failures"]
    return [
        Row(
            "memory: RSS added by `import cos_doctor`", f"{memory['import_added_kib']:.0f} KiB", n=n
        ),
        Row(
            "memory: RSS added by import + install()", f"{memory['install_added_kib']:.0f} KiB", n=n
        ),
        Row(
            "memory: RSS added by the first failure (knowledge base, structlog, diagnosis code)",
            f"{memory['first_failure_added_kib']:.0f} KiB",
            n=n,
        ),
        Row(
            f"memory: RSS added by the next {failures // 2} failures",
            f"{memory['warm_added_kib']:.0f} KiB",
            n=n,
        ),
        Row(
            f"memory: growth over {failures} more failures: RSS / live Python objects per failure",
            f"{memory['growth_added_kib']:.0f} KiB / {memory['traced_bytes_per_failure']:+.0f} B",
            n=n,
        ),
        *_first_failure_rows(memory.get("first_failure")),
    ]


def _first_failure_rows(first: dict[str, Any] | None) -> list[Row]:
    if not first:
        return []
    cached = stats_row(
        "first failure in a fresh process, bytecode cached as a pip install has it "
        "(loads the knowledge base and the diagnosis code)",
        first["cached"],
        "ms",
    )
    cached.target = f"≤ {TARGET_FIRST_FAILURE_MS:g} ms"
    cached.mark = mark(first["cached"]["median"], TARGET_FIRST_FAILURE_MS)
    cached_cpu = stats_row(
        "the same, the process's CPU time (what other work on a busy host does not inflate)",
        first["cached_cpu"],
        "ms",
    )
    cached_cpu.target = cached.target
    cached_cpu.mark = mark(first["cached_cpu"]["median"], TARGET_FIRST_FAILURE_MS)
    return [
        cached,
        cached_cpu,
        stats_row(
            "first failure in a fresh process, compiling every module from source "
            "(PYTHONDONTWRITEBYTECODE, no cache)",
            first["source"],
            "ms",
        ),
        stats_row("the same, CPU time", first["source_cpu"], "ms"),
        stats_row("second failure of the same process, for scale", first["second_cached"], "ms", 2),
    ]
