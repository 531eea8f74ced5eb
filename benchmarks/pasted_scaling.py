"""How diagnose()'s cost grows with the length of a hostile paste (it must stay linear).

Each row repeats one landmark the paste readers look for (where a careless pattern would
backtrack) to 8, 16, 32 and 64 KiB and times ``cos_doctor.diagnose()`` on it, best of a few
runs. ``x8`` is the 64 KiB time over the 8 KiB time: about 8 for linear growth, about 64 for
quadratic. Longer pastes are cut at 64 KiB, so they cost what 64 KiB costs.

Run ``python benchmarks/pasted_scaling.py`` (``--quick``: fewer repeats). Prints a table; never
asserts (timings are not tests).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from collections.abc import Sequence

SIZES = (8 * 1024, 16 * 1024, 32 * 1024, 64 * 1024)
LANDMARKS = {
    "go (Message:": "403 AccessDenied(Message: ",
    "aws-go v1 status": "X: y status code: 403, request id: ",
    "java (Status Code": "(Status Code: 403; Error Code: ",
    "botocore": "An error occurred (",
    "labelled fields": "Code='",
    "quote": '"',
    "chinese quote": "“",
    "colon": "Request has expired: ",
    "status then code": "403 Ab",
    "a real line": (
        "403 AccessDenied(Message: Request has expired, RequestId: NjU1, TraceId: OGVm)\n"
    ),
}


def _seconds(text: str, repeats: int) -> float:
    import cos_doctor

    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        cos_doctor.diagnose(text)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    """Print one row per landmark: milliseconds per size, and the 64/8 KiB ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run per size")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else 5
    _seconds("403 AccessDenied", 1)  # load the knowledge base outside the timings
    header = f"{'landmark':<20}" + "".join(f"{size // 1024:>7} KiB" for size in SIZES) + "     x8"
    print(header)
    for name, landmark in LANDMARKS.items():
        times = [_seconds(landmark * (size // len(landmark)), repeats) for size in SIZES]
        cells = "".join(f"{seconds * 1000:>8.1f} ms" for seconds in times)
        print(f"{name:<20}{cells}{times[-1] / times[0]:>7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
