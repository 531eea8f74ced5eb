"""What the failure path would cost if the event carried no evidence: this tree against itself.

A copy of this working tree is made with one change, ``assess()`` collecting no evidence (so
the event has no ``cos_doctor.evidence`` and no cause decided by it), and ``failure_ab.py``
alternates whole ``--only failure`` runs of the two. The difference is what the evidence costs
in situ; what remains without it is what deferring evidence to the Diagnosis could not save.
An experiment for a design decision (issue 16), never a mode cos_doctor ships.

Run ``python benchmarks/evidence_share.py [ROUNDS]`` (default 2; about 80 s per run).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_COLLECT = "    evidence = collect_evidence(facts)\n"


def _tree(base: Path, name: str) -> Path:
    tree = base / name
    shutil.copytree(
        ROOT,
        tree,
        ignore=shutil.ignore_patterns(
            ".git", ".venv*", "__pycache__", "*.egg-info", ".*_cache", ".hypothesis"
        ),
    )
    return tree


def main() -> int:
    rounds = sys.argv[1] if len(sys.argv) > 1 else "2"
    base = Path(tempfile.mkdtemp(prefix="evidence-share-"))
    with_evidence = _tree(base, "with-evidence")
    without = _tree(base, "without-evidence")
    module = without / "cos_doctor" / "_pipeline" / "diagnose.py"
    source = module.read_text()
    if source.count(_COLLECT) != 1:
        sys.exit("assess() no longer collects evidence in one line: update this experiment")
    module.write_text(source.replace(_COLLECT, "    evidence = ()  # the experiment\n"))
    print("before = with evidence (this tree), after = the event without evidence")
    sys.stdout.flush()
    script = ROOT / "benchmarks" / "failure_ab.py"
    return subprocess.call([sys.executable, str(script), str(with_evidence), str(without), rounds])


if __name__ == "__main__":
    sys.exit(main())
