"""The failure path of two source trees, whole ``--only failure`` runs alternated.

Each round runs each tree's own ``benchmarks/run.py --only failure`` (full mode, about 80 s
on 2 busy cores), the trees' order swapped every round, so a shared host's load falls on both
alike. For each rule it prints, per run: the added time, the hook's time in situ, its ratio to
the SDK's own failing call (what survives a host slowed down by other work), and the stages.

Run ``python benchmarks/failure_ab.py BEFORE_TREE AFTER_TREE [ROUNDS]`` (two checkouts, e.g.
``git archive`` of two commits); each run's results stay in a temporary directory.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

STAGES = ("context", "evidence", "redactor", "event_facts", "log", "hook_other", "sdk_log_filter")


def run(tree: Path, out: Path) -> dict[str, Any]:
    """One full failure run of ``tree``; its results' failure section."""
    script = str(tree / "benchmarks" / "run.py")
    subprocess.run(
        [sys.executable, script, "--only", "failure", "--out-dir", str(out)],
        check=True,
        capture_output=True,
        cwd=tempfile.gettempdir(),  # so neither tree shadows the other on sys.path
    )
    failure: dict[str, Any] = json.loads((out / "results.json").read_text())["failure"]
    return failure


def main() -> int:
    trees = {"before": Path(sys.argv[1]).resolve(), "after": Path(sys.argv[2]).resolve()}
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    runs: list[tuple[str, dict[str, Any]]] = []
    for index in range(rounds):
        order = list(trees.items()) if index % 2 == 0 else list(trees.items())[::-1]
        for name, tree in order:
            out = Path(tempfile.mkdtemp(prefix=f"failure-ab-{name}-"))
            runs.append((f"{name}-{index + 1}", run(tree, out)))
    rules = [rule for rule, entry in runs[0][1].items() if "in_situ" in entry]
    for rule in rules:
        print(rule)
        for label, failure in sorted(runs):
            entry = failure[rule]
            stages = entry["in_situ"]
            sdk = entry["without_us"]["median"]
            shown = " ".join(f"{stage}={stages[stage]:.0f}" for stage in STAGES)
            print(
                f"  {label:9s} added {entry['added_us']:+7.1f} µs, in hook {stages['hook']:6.1f}"
                f" ({stages['hook'] / sdk:.2f} of the SDK's {sdk:.0f} µs) | {shown}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
