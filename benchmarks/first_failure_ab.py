"""The first failure of a fresh process, two source trees compared, interleaved.

Each sample is one fresh interpreter running a tree's own ``benchmarks/run.py --child
first-failure`` (the measurement ``run.py --only memory`` reports), with the tree's bytecode
cached (as a pip install has it) or compiled from source. Trees, modes and their order rotate
every round, so load on a shared host falls on every arm alike; medians and spread are printed.

Run ``python benchmarks/first_failure_ab.py BEFORE_TREE AFTER_TREE [ROUNDS]`` (two checkouts,
e.g. ``git worktree add`` or ``git archive`` of two commits); prints one line per arm.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

MODES = ("cached", "source")


def sample(tree: Path, mode: str, cache: str) -> tuple[float, float]:
    """Wall and CPU milliseconds of one fresh process's first failure in ``tree``."""
    env = dict(os.environ)
    if mode == "cached":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="first-failure-empty-")
    done = subprocess.run(
        [sys.executable, str(tree / "benchmarks" / "run.py"), "--child", "first-failure"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),  # so neither tree shadows the other on sys.path
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["first_failure_ms"], result["first_failure_cpu_ms"]


def quantile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    trees = {"before": Path(sys.argv[1]).resolve(), "after": Path(sys.argv[2]).resolve()}
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    caches = {name: tempfile.mkdtemp(prefix=f"first-failure-{name}-") for name in trees}
    for name, tree in trees.items():  # fill each tree's bytecode cache once
        sample(tree, "cached", caches[name])
    arms = [(name, mode) for name in trees for mode in MODES]
    results: dict[tuple[str, str], list[tuple[float, float]]] = {arm: [] for arm in arms}
    for index in range(rounds):
        for name, mode in arms if index % 2 == 0 else arms[::-1]:
            results[name, mode].append(sample(trees[name], mode, caches[name]))
    for (name, mode), samples in results.items():
        wall = [w for w, _ in samples]
        cpu = [c for _, c in samples]
        print(
            f"{name:7s} {mode:6s} wall median {statistics.median(wall):6.1f} ms"
            f"  p10-p90 {quantile(wall, 0.1):.1f}-{quantile(wall, 0.9):.1f}"
            f" | CPU median {statistics.median(cpu):6.1f} ms (n={len(wall)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
