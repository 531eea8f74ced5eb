"""Statistics of timing samples: quantiles, medians with a 95% CI, with/without comparisons."""

from __future__ import annotations

import math
import statistics
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence


def quantile(ordered: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile of already sorted values."""
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: Sequence[float]) -> dict[str, Any]:
    """Median, p10/p90, IQR and a distribution-free 95% interval of the median."""
    ordered = sorted(values)
    n = len(ordered)
    half_width = 1.96 * math.sqrt(n) / 2
    low_rank = max(math.floor(n / 2 - half_width), 0)
    high_rank = min(math.ceil(n / 2 + half_width), n - 1)
    return {
        "median": statistics.median(ordered) if ordered else math.nan,
        "p10": quantile(ordered, 0.10),
        "p90": quantile(ordered, 0.90),
        "q1": quantile(ordered, 0.25),
        "q3": quantile(ordered, 0.75),
        "median_ci95": [ordered[low_rank], ordered[high_rank]] if ordered else [],
        "n": n,
    }


def compare(results: dict[str, list[float]], base: str, other: str) -> dict[str, Any]:
    """``other`` against ``base``: added µs/call (difference of medians), ratio, paired spread."""
    without, with_ = results[base], results[other]
    added = statistics.median(with_) - statistics.median(without)
    return {
        "without_us": summary(without),
        "with_us": summary(with_),
        "added_us": added,
        "ratio": statistics.median(with_) / statistics.median(without),
        "paired_added_us": summary([w - b for w, b in zip(with_, without)]),
    }
