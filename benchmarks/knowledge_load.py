"""The first failure's fixed cost: loading the knowledge base, from TOML or its compiled copy.

A process pays for the catalogue once, on the first failure it diagnoses. Each sample is one
fresh interpreter that has already done ``import cos_doctor`` (that is install time, measured
by imports.py) and then times, cold, the import of the catalogue module and either
``load_catalogue()``: tomllib's import and parse plus the schema validation, what the tests
and ``tools/compile_knowledge.py`` run (arm ``toml``), or ``catalogue()``: the JSON read of
``knowledge/compiled.json`` and the catalogue built from it, unchecked, what a process runs
(arm ``compiled``). The arms alternate within every round, in a rotating order, so load on
this shared machine falls on both alike; the spread is printed with the medians.

Run ``python benchmarks/knowledge_load.py [--rounds N]``; prints one table, exits 0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._children import run_python  # noqa: E402 - needs the path set above
from benchmarks._stats import summary  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Sequence

ARMS = ("toml", "compiled")

_CHILD = """
import sys, time
import cos_doctor
preloaded = "tomllib" in sys.modules or "tomli" in sys.modules
start = time.perf_counter()
from cos_doctor._knowledge import catalogue as module
module.catalogue() if {compiled} else module.load_catalogue(module.KNOWLEDGE_DIR)
print(int(preloaded), time.perf_counter() - start)
"""


def sample(arm: str) -> tuple[float, bool]:
    """Milliseconds one fresh interpreter spends loading the catalogue through ``arm``."""
    done = run_python("-c", _CHILD.format(compiled=arm == "compiled"), timeout=60)
    preloaded, seconds = done.stdout.split()[-2:]
    return float(seconds) * 1000, preloaded == "1"


def measure(rounds: int) -> tuple[dict[str, list[float]], bool]:
    """Samples per arm, interleaved: every round runs both arms, the order alternating."""
    samples: dict[str, list[float]] = {arm: [] for arm in ARMS}
    preloaded = False
    for index in range(rounds):
        order = ARMS if index % 2 == 0 else ARMS[::-1]
        for arm in order:
            milliseconds, already = sample(arm)
            samples[arm].append(milliseconds)
            preloaded = preloaded or already
    return samples, preloaded


def table(samples: dict[str, list[float]], *, preloaded: bool) -> str:
    """Median, p10-p90 and min-max per arm, and the median paired saving."""
    lines = [
        f"{'arm':<9} {'n':>3} {'median ms':>10} {'p10-p90 ms':>14} {'min-max ms':>14}",
    ]
    for arm in ARMS:
        values = samples[arm]
        stats = summary(values)
        lines.append(
            f"{arm:<9} {stats['n']:>3} {stats['median']:>10.1f}"
            f" {stats['p10']:>6.1f}-{stats['p90']:<7.1f} {min(values):>6.1f}-{max(values):<7.1f}",
        )
    paired = [toml - compiled for toml, compiled in zip(samples["toml"], samples["compiled"])]
    lines.append(
        f"saved per first failure (paired median): {statistics.median(paired):.1f} ms;"
        f" ratio of medians {statistics.median(samples['toml']) / statistics.median(samples['compiled']):.1f}x",
    )
    if preloaded:
        lines.append("note: tomllib was already imported before the load in some samples")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure both arms and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="rounds of both arms (default 15)")
    args = parser.parse_args(argv)
    samples, preloaded = measure(max(args.rounds, 1))
    print(table(samples, preloaded=preloaded))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
