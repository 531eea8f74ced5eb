"""Resident memory added by import, install() and diagnosed failures, in a fresh interpreter;
and the time of the first diagnosed failure of a fresh process, with and without cached bytecode.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from benchmarks._children import run_python
from benchmarks._config import BUCKET, HERE, KEY, LAZY_MODULES, Plan
from benchmarks._sdk import expect_service_error, null_structlog, quiet_sdk_logs
from benchmarks._stats import summary
from benchmarks._transport import FakeCos, Reply, error_xml, make_client


def rss_kib() -> int:
    """Resident set size now, from /proc (Linux); peak RSS elsewhere."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def memory_child(failures: int) -> dict[str, Any]:
    """Runs in a fresh interpreter (``run.py --child memory``): RSS after each step, in KiB."""
    readings: dict[str, Any] = {"failures": failures}

    def settle(name: str) -> None:
        gc.collect()
        readings[name] = rss_kib()

    quiet_sdk_logs()
    adapter = FakeCos()
    adapter.reply = Reply(200)
    client = make_client(adapter)

    def head() -> None:
        client.head_object(Bucket=BUCKET, Key=KEY)

    for _ in range(200):
        head()
    settle("sdk_rss_kib")
    import cos_doctor

    settle("imported_rss_kib")
    cos_doctor.install()
    for _ in range(200):
        head()
    settle("installed_rss_kib")
    readings["lazy_loaded_after_success"] = [name for name in LAZY_MODULES if name in sys.modules]
    adapter.reply = Reply(403, error_xml("AccessDenied", "You are denied by bucket referer rule"))
    get = expect_service_error(lambda: client.get_object(Bucket=BUCKET, Key=KEY))
    with contextlib.redirect_stdout(io.StringIO()):  # structlog's default sink is stdout
        start = time.perf_counter()
        get()
        first = time.perf_counter()
        get()
        second = time.perf_counter()
    readings["first_failure_ms"] = (first - start) * 1000
    readings["second_failure_ms"] = (second - first) * 1000
    settle("first_failure_rss_kib")
    null_structlog()
    for _ in range(failures // 2):
        get()
    settle("warm_rss_kib")
    for _ in range(failures):
        get()
    settle("after_failures_rss_kib")
    # Live Python objects left behind per failure: a leak shows here, allocator slack does not.
    traced_failures = max(failures // 10, 10)
    tracemalloc.start()
    for _ in range(traced_failures):  # caches that fill once (re, logging) are not growth
        get()
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(traced_failures):
        get()
    gc.collect()
    readings["traced_bytes_per_failure"] = (
        tracemalloc.get_traced_memory()[0] - before
    ) / traced_failures
    tracemalloc.stop()
    return readings


def first_failure_child() -> dict[str, float]:
    """Runs in a fresh interpreter (``run.py --child first-failure``): the first two failures, ms.

    The SDK is imported and used, then cos_doctor imported and installed and a call made to
    succeed, as in an application; then the first failing call is timed, log to stdout
    (structlog's default sink, redirected) included, and a second one for scale.
    """
    quiet_sdk_logs()
    adapter = FakeCos()
    adapter.reply = Reply(200)
    client = make_client(adapter)
    client.head_object(Bucket=BUCKET, Key=KEY)
    import cos_doctor

    cos_doctor.install()
    client.head_object(Bucket=BUCKET, Key=KEY)
    adapter.reply = Reply(403, error_xml("AccessDenied", "You are denied by bucket referer rule"))
    get = expect_service_error(lambda: client.get_object(Bucket=BUCKET, Key=KEY))
    with contextlib.redirect_stdout(io.StringIO()):
        start, start_cpu = time.perf_counter(), time.process_time()
        get()
        first, first_cpu = time.perf_counter(), time.process_time()
        get()
        second = time.perf_counter()
    return {
        "first_failure_ms": (first - start) * 1000,
        # CPU time of this process alone: what a host busy with other work does not inflate.
        "first_failure_cpu_ms": (first_cpu - start_cpu) * 1000,
        "second_failure_ms": (second - first) * 1000,
    }


# A user's pip install has bytecode beside the sources; a checkout run with
# PYTHONDONTWRITEBYTECODE (as this project's environment is) compiles every module it imports.
# Each mode points the bytecode cache at a folder of its own, so neither sees the other's.
BYTECODE_MODES = ("cached", "source")


def bench_first_failure(plan: Plan) -> dict[str, Any]:
    """The first failure of fresh processes, both bytecode modes alternating run by run."""
    samples: dict[str, list[float]] = {mode: [] for mode in BYTECODE_MODES}
    cpu: dict[str, list[float]] = {mode: [] for mode in BYTECODE_MODES}
    seconds: list[float] = []
    with tempfile.TemporaryDirectory() as cached, tempfile.TemporaryDirectory() as empty:
        env: dict[str, dict[str, str | None]] = {
            "cached": {"PYTHONPYCACHEPREFIX": cached, "PYTHONDONTWRITEBYTECODE": None},
            "source": {"PYTHONPYCACHEPREFIX": empty, "PYTHONDONTWRITEBYTECODE": "1"},
        }
        child = (str(HERE / "run.py"), "--child", "first-failure")
        run_python(*child, env=env["cached"])  # writes the bytecode the cached runs read
        for index in range(plan.first_failure_runs):
            order = BYTECODE_MODES if index % 2 == 0 else BYTECODE_MODES[::-1]
            for mode in order:
                done = run_python(*child, env=env[mode])
                reading = json.loads(done.stdout.strip().splitlines()[-1])
                samples[mode].append(reading["first_failure_ms"])
                cpu[mode].append(reading["first_failure_cpu_ms"])
                if mode == "cached":
                    seconds.append(reading["second_failure_ms"])
    out = {mode: summary(values) for mode, values in samples.items()}
    out.update({f"{mode}_cpu": summary(values) for mode, values in cpu.items()})
    out["second_cached"] = summary(seconds)
    print(
        f"  first failure of a fresh process: {out['cached']['median']:.1f} ms with cached "
        f"bytecode (p10-p90 {out['cached']['p10']:.1f}-{out['cached']['p90']:.1f}), "
        f"{out['source']['median']:.1f} ms compiling from source; CPU time "
        f"{out['cached_cpu']['median']:.1f} / {out['source_cpu']['median']:.1f} ms; second "
        f"{out['second_cached']['median']:.2f} ms"
    )
    return out


def bench_memory(plan: Plan) -> dict[str, Any]:
    runs = []
    for _ in range(plan.memory_runs):
        child = ("--child", "memory", "--failures", str(plan.memory_failures))
        done = run_python(str(HERE / "run.py"), *child)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))

    def median_of(key: str) -> float:
        return statistics.median(run[key] for run in runs)

    def added(key: str, base: str) -> float:
        return statistics.median(run[key] - run[base] for run in runs)

    out = {
        "runs": len(runs),
        "failures": plan.memory_failures,
        "sdk_rss_kib": median_of("sdk_rss_kib"),
        "import_added_kib": added("imported_rss_kib", "sdk_rss_kib"),
        "install_added_kib": added("installed_rss_kib", "sdk_rss_kib"),
        "first_failure_added_kib": added("first_failure_rss_kib", "installed_rss_kib"),
        "warm_added_kib": added("warm_rss_kib", "first_failure_rss_kib"),
        "growth_added_kib": added("after_failures_rss_kib", "warm_rss_kib"),
        "traced_bytes_per_failure": median_of("traced_bytes_per_failure"),
        "first_failure_ms": median_of("first_failure_ms"),
        "second_failure_ms": median_of("second_failure_ms"),
        "lazy_loaded_after_success": runs[-1]["lazy_loaded_after_success"],
        "first_failure": bench_first_failure(plan),
    }
    print(
        f"  RSS added: import {out['import_added_kib']:.0f} KiB, import + install "
        f"{out['install_added_kib']:.0f} KiB, first failure (knowledge base) "
        f"{out['first_failure_added_kib']:.0f} KiB, next {plan.memory_failures // 2} failures "
        f"{out['warm_added_kib']:.0f} KiB, {plan.memory_failures} more "
        f"{out['growth_added_kib']:.0f} KiB (live objects {out['traced_bytes_per_failure']:+.0f} B "
        f"per failure); first failure {out['first_failure_ms']:.1f} ms (cold), "
        f"second {out['second_failure_ms']:.2f} ms"
    )
    return out
