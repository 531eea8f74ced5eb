"""How many calls one diagnosed failure makes inside the hook: Python functions and C calls.

The real SDK over the benchmarks' in-process transport, cos_doctor installed, the event to a
null sink; ``sys.setprofile`` is switched on only around the hook's failure path
(``_diagnose_safely``) of one failing call, after 50 warm-up calls. Prints the totals and the
Python calls per file.

Run ``python benchmarks/failure_calls.py [RULE]`` (a seed rule id; default access-denied).
"""

from __future__ import annotations

import collections
import contextlib
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._config import BUCKET
from benchmarks.failure import failing_clients, keys, seed_failures


def main() -> int:
    from cos_doctor._hook import install as hook

    adapter, unhooked, hooked = failing_clients()
    rule = sys.argv[1] if len(sys.argv) > 1 else "access-denied"
    adapter.reply = next(f for f in seed_failures(adapter, unhooked) if f.rule_id == rule).reply()

    def fail() -> None:
        with contextlib.suppress(Exception):  # the failure is the workload
            hooked.get_object(Bucket=BUCKET, Key=next(keys))

    for _ in range(50):
        fail()
    python: collections.Counter[str] = collections.Counter()
    native: collections.Counter[str] = collections.Counter()

    def count(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            python[frame.f_code.co_filename.rsplit("site-packages/", 1)[-1]] += 1
        elif event == "c_call":
            native[getattr(arg, "__qualname__", repr(arg))] += 1

    original = hook._diagnose_safely

    def counted(*args: Any, **kwargs: Any) -> Any:
        sys.setprofile(count)
        try:
            return original(*args, **kwargs)
        finally:
            sys.setprofile(None)

    hook._diagnose_safely = counted
    try:
        fail()
    finally:
        hook._diagnose_safely = original
    print(f"{rule}: {sum(python.values())} Python calls, {sum(native.values())} C calls")
    for name, calls in python.most_common():
        print(f"  {calls:4d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
