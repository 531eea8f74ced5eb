"""Formatting shared by the console and results.md: ✓/✗ marks, added-time lines, table rows."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


def mark(value: float | None, target: float | None) -> str:
    """✓ when ``value`` meets ``target``, ✗ when it misses, nothing without a target."""
    if target is None or value is None or math.isnan(value):
        return ""
    return "✓" if value <= target else "✗"


def added_line(entry: dict[str, Any], target: float | None) -> str:
    """One console line for a with/without comparison."""
    paired = entry["paired_added_us"]
    low, high = paired["median_ci95"]
    verdict = mark(entry["added_us"], target)
    aim = f" (target ≤ {target:g} µs) {verdict}" if target is not None else ""
    return (
        f"{entry['without_us']['median']:.1f} → {entry['with_us']['median']:.1f} µs, "
        f"added {entry['added_us']:+.2f} µs/call [paired 95% CI {low:+.2f}…{high:+.2f}], "
        f"ratio {entry['ratio']:.4f}{aim}"
    )


@dataclass
class Row:
    """One line of the summary table."""

    name: str
    value: str
    spread: str = ""
    ci: str = ""
    n: str = ""
    target: str = ""
    mark: str = ""

    def markdown(self) -> str:
        cells = (self.name, self.value, self.spread, self.ci, self.n, self.target, self.mark)
        return "| " + " | ".join(cells) + " |"


def added_row(name: str, entry: dict[str, Any], target: float | None = None) -> Row:
    """A with/without comparison: difference of medians, paired p10 … p90 and 95% CI."""
    paired = entry["paired_added_us"]
    low, high = paired["median_ci95"]
    return Row(
        name,
        f"{entry['added_us']:+.2f} µs",
        f"{paired['p10']:+.2f} … {paired['p90']:+.2f}",
        f"{low:+.2f} … {high:+.2f}",
        f"{paired['n']} × {entry['calls_per_round']}",
        f"≤ {target:g} µs" if target is not None else "",
        mark(entry["added_us"], target),
    )


def stats_row(name: str, stats: dict[str, Any], unit: str, digits: int = 1) -> Row:
    """A single measurement's median, p10 … p90 and 95% CI."""
    low, high = stats["median_ci95"]
    return Row(
        name,
        f"{stats['median']:.{digits}f} {unit}",
        f"{stats['p10']:.{digits}f} … {stats['p90']:.{digits}f}",
        f"{low:.{digits}f} … {high:.{digits}f}",
        str(stats["n"]),
    )
