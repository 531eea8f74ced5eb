"""cos_doctor's performance benchmarks: what the hook costs, on success and on failure.

Run ``python benchmarks/run.py`` (about 3 minutes on 2 cores) or ``--quick`` (about 10 s,
a smoke check). It measures, each workload with and without cos_doctor interleaved in one
run so that machine noise hits both sides alike:

- success (success.py): the real ``CosS3Client`` over an in-process transport (no network),
  small ``head_object`` / ``put_object``; plus cos_doctor's layer alone against a minimal
  plain-function and a bare wrapt pass-through, and the SDK's own INFO / DEBUG logging with
  cos_doctor's redaction filter attached;
- failure (failure.py): the same client answered with 403 COS XML errors for the seed rules;
  the time cos_doctor adds between the SDK's raise and the diagnosed exception, split into
  context, match, evidence, wording, render, log; the SDK's own failing call and error parse
  for scale; the POST-upload rules through ``diagnose()``;
- diagnose (diagnose_bench.py): throughput on every example in the knowledge base, 1 MB bodies;
- import (imports.py): ``-X importtime`` and wall clock, what ``import`` / ``install()`` load;
- memory (memory.py): resident memory added by install and by the first diagnosed failure;
  the first failure's time in fresh processes, with cached bytecode and compiling from source.

Results go to ``benchmarks/results.json`` and ``benchmarks/results.md`` (``--quick``:
``results-quick.*``). Targets are printed next to the numbers with ✓/✗; the script never
fails because of a missed target. Stdlib plus the project's own dependencies only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Run as a script: make the `benchmarks` package importable, and benchmark the working tree
# this file lives in rather than whatever cos_doctor is installed in the environment.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._config import HERE, QUICK, Plan
from benchmarks._environment import environment, load_average
from benchmarks.diagnose_bench import bench_diagnose
from benchmarks.failure import bench_failure
from benchmarks.imports import bench_import
from benchmarks.memory import bench_memory, first_failure_child, memory_child
from benchmarks.report import render_markdown
from benchmarks.success import bench_success

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

SECTIONS: dict[str, Callable[[Plan], dict[str, Any]]] = {
    "success": bench_success,
    "failure": bench_failure,
    "diagnose": bench_diagnose,
    "import": bench_import,
    "memory": bench_memory,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a ~10 s smoke run (fewer rounds)")
    parser.add_argument("--only", help="comma-separated sections: " + ",".join(SECTIONS))
    parser.add_argument("--out-dir", type=Path, default=HERE, help="where results.{json,md} go")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument(
        "--failures", type=int, default=Plan.memory_failures, help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child == "memory":
        print(json.dumps(memory_child(args.failures)))
        return 0
    if args.child == "first-failure":
        print(json.dumps(first_failure_child()))
        return 0
    plan = QUICK if args.quick else Plan()
    chosen = args.only.split(",") if args.only else list(SECTIONS)
    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "environment": environment(),
    }
    results["section_seconds"] = {}
    started = time.perf_counter()
    for name in chosen:
        print(f"[{name}]")
        section_started = time.perf_counter()
        results[name] = SECTIONS[name](plan)
        results["section_seconds"][name] = time.perf_counter() - section_started
    results["seconds"] = time.perf_counter() - started
    results["environment"]["load_average_end"] = load_average()
    stem = "results-quick" if args.quick else "results"
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / f"{stem}.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    )
    (args.out_dir / f"{stem}.md").write_text(render_markdown(results), encoding="utf-8")
    print(f"done in {results['seconds']:.0f} s; wrote {args.out_dir / stem}.json and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
