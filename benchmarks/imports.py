"""The cost of importing: ``import cos_doctor`` and ``install()`` in fresh interpreters."""

from __future__ import annotations

import json
import re
import statistics
from typing import Any

from benchmarks._arms import Arm, interleave
from benchmarks._children import run_python
from benchmarks._config import LAZY_MODULES, ROOT, TARGET_IMPORT_MS, Plan
from benchmarks._format import mark
from benchmarks._stats import compare, summary

_IMPORTTIME_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)\s*$")


def parse_importtime(stderr: str, after: str) -> dict[str, Any]:
    """Modules imported once ``after`` (top level) was done: their self times, in µs."""
    rows = []
    for line in stderr.splitlines():
        found = _IMPORTTIME_LINE.match(line)
        if found:
            rows.append(
                (found.group(4), int(found.group(1)), int(found.group(2)), len(found.group(3)))
            )
    start = next((index for index, row in enumerate(rows) if row[0] == after and row[3] == 0), -1)
    newer = rows[start + 1 :]
    top = [row for row in newer if row[3] == 0]
    return {
        "self_sum_us": sum(row[1] for row in newer),
        "top_level_cumulative_us": sum(row[2] for row in top),
        "modules": {row[0]: row[1] for row in newer},
    }


_LOADED_CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
before = set(sys.modules)
{sdk}
start = time.perf_counter()
import cos_doctor
imported = time.perf_counter()
loaded = set(sys.modules)
cos_doctor.install()
installed = time.perf_counter()
print(json.dumps({{
    "import_ms": (imported - start) * 1000,
    "install_ms": (installed - imported) * 1000,
    "install_loaded": sorted({{name.partition(".")[0] for name in set(sys.modules) - loaded}}),
    "lazy_loaded": [name for name in {lazy!r} if name in sys.modules],
    "cos_doctor_modules": sorted(name for name in sys.modules if name.startswith("cos_doctor")),
    "all_new_modules": len(set(sys.modules) - before),
}}))
"""


def bench_import(plan: Plan) -> dict[str, Any]:
    # Warm the bytecode caches first: a stale .pyc would be charged to the first run.
    run_python("-c", "import qcloud_cos, cos_doctor; cos_doctor.install()")
    importtime = []
    for _ in range(plan.import_runs):
        done = run_python("-X", "importtime", "-c", "import qcloud_cos; import cos_doctor")
        importtime.append(parse_importtime(done.stderr, "qcloud_cos"))
    timed: dict[str, list[dict[str, Any]]] = {"after_sdk": [], "without_sdk": []}
    for _ in range(plan.import_runs):
        for variant, sdk in (("after_sdk", "import qcloud_cos"), ("without_sdk", "")):
            code = _LOADED_CHILD.format(root=str(ROOT), sdk=sdk, lazy=LAZY_MODULES)
            timed[variant].append(json.loads(run_python("-c", code).stdout))
    wall = interleave(
        [
            Arm("sdk", lambda: run_python("-c", "import qcloud_cos")),
            Arm("sdk_and_cos_doctor", lambda: run_python("-c", "import qcloud_cos, cos_doctor")),
        ],
        plan.import_runs,
        1,
    )
    by_module: dict[str, list[int]] = {}
    for run in importtime:
        for name, micros in run["modules"].items():
            by_module.setdefault(name, []).append(micros)
    heaviest = sorted(by_module, key=lambda name: -statistics.median(by_module[name]))[:8]
    out = {
        "importtime_self_sum_ms": summary([run["self_sum_us"] / 1000 for run in importtime]),
        "importtime_cumulative_ms": summary(
            [run["top_level_cumulative_us"] / 1000 for run in importtime]
        ),
        "importtime_heaviest_modules_ms": {
            name: statistics.median(by_module[name]) / 1000 for name in heaviest
        },
        "perf_counter_import_ms": summary([run["import_ms"] for run in timed["after_sdk"]]),
        "perf_counter_install_ms": summary([run["install_ms"] for run in timed["after_sdk"]]),
        "without_sdk_import_ms": summary([run["import_ms"] for run in timed["without_sdk"]]),
        "without_sdk_install_ms": summary([run["install_ms"] for run in timed["without_sdk"]]),
        "wall_clock": compare(
            {k: [v / 1000 for v in values] for k, values in wall.items()},
            "sdk",
            "sdk_and_cos_doctor",
        ),
        "lazy_loaded_after_install": timed["after_sdk"][-1]["lazy_loaded"],
        "packages_loaded_by_install": timed["after_sdk"][-1]["install_loaded"],
        "packages_loaded_by_install_without_sdk": timed["without_sdk"][-1]["install_loaded"],
        "lazy_loaded_after_install_without_sdk": timed["without_sdk"][-1]["lazy_loaded"],
        "cos_doctor_modules_after_install": timed["after_sdk"][-1]["cos_doctor_modules"],
    }
    median_ms = out["importtime_cumulative_ms"]["median"]
    print(
        f"  import cos_doctor after qcloud_cos: {median_ms:.1f} ms (-X importtime) "
        f"{mark(median_ms, TARGET_IMPORT_MS)}; then install() "
        f"{out['perf_counter_install_ms']['median']:.1f} ms, loading "
        f"{', '.join(out['packages_loaded_by_install']) or 'nothing'}; "
        f"lazy modules loaded: {', '.join(out['lazy_loaded_after_install']) or 'none'}"
    )
    print(
        f"  install() before import qcloud_cos (post-import hook): "
        f"{out['without_sdk_install_ms']['median']:.1f} ms, loading "
        f"{len(out['packages_loaded_by_install_without_sdk'])} packages"
    )
    return out
