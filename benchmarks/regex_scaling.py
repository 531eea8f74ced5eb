"""Every pattern cos_doctor compiles, fed its pathological shapes from 1 KB to 1 MB (by hand).

The CI audit (``tests/test_linear_time.py``) stops at the first sizes that show linear growth;
this sweep shows the whole curve. For each pattern it prints its worst shape (the one with the
largest time at the largest size) and the milliseconds per size; ``x4`` is the last ratio for
4x the text (about 4 for linear growth, 16 for quadratic). A search that takes longer than
``--limit`` seconds stops that pattern's sweep. Never asserts (timings are not tests).

    python benchmarks/regex_scaling.py            # 1 KB … 1 MB
    python benchmarks/regex_scaling.py --quick    # 1 KB … 64 KB
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from collections.abc import Sequence

KIB = 1024


def main(argv: Sequence[str] | None = None) -> int:
    """Print one row per pattern: its worst shape's time per size and the last 4x ratio."""
    from tests import redos

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 KB to 64 KB only")
    parser.add_argument("--limit", type=float, default=2.0, help="seconds per search at most")
    args = parser.parse_args(argv)
    sizes = tuple(KIB * 4**power for power in range(4 if args.quick else 6))
    print(
        f"{'pattern':<60}{'shape':>14}"
        + "".join(f"{size // KIB:>9} KB" for size in sizes)
        + "     x4"
    )
    for found in redos.all_patterns():
        run = redos.searcher(found.pattern)
        worst: tuple[str, list[float]] = ("", [])
        for unit in redos.shapes(found.pattern):
            times: list[float] = []
            for size in sizes:
                times.append(redos.seconds(run, redos.text_of(unit, size), 3))
                if times[-1] > args.limit:
                    break
            if not worst[1] or (len(times), times[-1]) > (len(worst[1]), worst[1][-1]):
                worst = (unit, times)
        unit, times = worst
        if not times:  # no repeat and no literal: nothing to pump
            continue
        cells = "".join(f"{seconds * 1000:>9.2f} ms" for seconds in times)
        ratio = times[-1] / times[-2] if len(times) > 1 and times[-2] > 0 else float("nan")
        name = f"{found.where} {found.pattern.pattern}"[:58]
        print(f"{name:<60}{unit[:12]!r:>14}{cells}{ratio:>7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
