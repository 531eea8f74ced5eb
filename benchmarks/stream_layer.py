"""The layer on botocore's StreamingBody.read, run alone a few times: what a boto3 read pays.

``install()`` wraps ``StreamingBody.read`` and ``readinto`` so a GetObject body that breaks
while read is diagnosed. Every chunk a caller reads goes through that layer, so this measures
it against the project's budget (a bare wrapt pass-through + 0.3 µs) and, for scale, against
one 1 KiB ``read()`` of botocore's own StreamingBody over an in-memory urllib3 response. Each
run is ``success.bench_botocore_stream_layer`` (60 rounds x 20,000 calls, arms interleaved).

Run ``python benchmarks/stream_layer.py [RUNS]`` (default 3; about 10 s a run). It prints the
runs and their spread; ``benchmarks/results-stream-layer.md`` keeps the last output.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._config import Plan
from benchmarks._environment import environment
from benchmarks.success import bench_botocore_stream_layer


def main(argv: list[str]) -> int:
    runs = int(argv[0]) if argv else 3
    rows = []
    for _ in range(runs):
        out = bench_botocore_stream_layer(Plan())
        rows.append(
            (
                out["over_bare_wrapt"]["added_us"],
                out["cos_doctor"]["added_us"],
                out["read_1kib_us"]["median"],
            )
        )
    env = environment()
    load = ", ".join(f"{value:.2f}" for value in env["load_average"] or ())
    print(
        f"\n{env['date']} · Python {env['python']} · {env['cpus']} CPUs · load {load} · "
        f"{runs} runs of 60 x 20,000 calls (µs)"
    )
    print("| run | layer minus bare wrapt | layer added per read() | 1 KiB read() | share |")
    print("|---|---|---|---|---|")
    for number, (over, added, read) in enumerate(rows, start=1):
        print(f"| {number} | {over:+.2f} | {added:+.2f} | {read:.2f} | {added / read:.0%} |")
    overs, shares = [row[0] for row in rows], [row[1] / row[2] for row in rows]
    print(
        f"\nover bare wrapt {min(overs):+.2f} … {max(overs):+.2f} µs (target ≤ 0.3); "
        f"share of a 1 KiB in-memory read {min(shares):.0%} … {max(shares):.0%}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
