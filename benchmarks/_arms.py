"""Timing arms interleaved in one run, so that the machine's noise hits every side alike."""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


def _nothing() -> None:
    return None


@dataclass
class Arm:
    """One side of a comparison: ``enter`` runs untimed before each batch of ``run``."""

    name: str
    run: Callable[[], object]
    enter: Callable[[], object] = _nothing


def per_call_mean(function: Callable[[], object], calls: int) -> float:
    """Microseconds per call over one timed batch: for calls too short to time one by one."""
    clock = time.perf_counter_ns
    loop = range(calls)
    start = clock()
    for _ in loop:
        function()
    return (clock() - start) / calls / 1000


def _rotation(arms: Sequence[Arm], index: int) -> list[Arm]:
    """Round ``index``'s order: rotated, and reversed every other round."""
    shift = index % len(arms)
    order = list(arms[shift:]) + list(arms[:shift])
    if index % 2:
        order.reverse()
    return order


def interleave(arms: Sequence[Arm], rounds: int, calls: int) -> dict[str, list[float]]:
    """Time a batch of every arm per round, in a rotating order; return per-round µs per call.

    The garbage collector is off inside a batch (as timeit does) and runs between rounds.
    """
    for arm in arms:  # warm-up: caches, first-failure imports, branch predictors
        arm.enter()
        per_call_mean(arm.run, max(calls // 4, 1))
    results: dict[str, list[float]] = {arm.name: [] for arm in arms}
    for index in range(rounds):
        gc.collect()
        for arm in _rotation(arms, index):
            arm.enter()
            gc.disable()
            try:
                results[arm.name].append(per_call_mean(arm.run, calls))
            finally:
                gc.enable()
    return results


def alternate(arms: Sequence[Arm], rounds: int, calls: int) -> dict[str, list[float]]:
    """Like :func:`interleave`, but switching arm before every single call.

    Each arm's calls then sit microseconds apart from the other's, so slow phases of the
    machine (frequency changes, a neighbour's load) hit both alike. Per round and arm: the
    median of its ``calls`` individually timed calls.
    """
    clock = time.perf_counter_ns
    for _ in range(max(calls // 4, 1)):  # warm-up
        for arm in arms:
            arm.enter()
            arm.run()
    results: dict[str, list[float]] = {arm.name: [] for arm in arms}
    for index in range(rounds):
        order = _rotation(arms, index)
        samples: dict[str, list[int]] = {arm.name: [] for arm in arms}
        gc.collect()
        gc.disable()
        try:
            for _ in range(calls):
                for arm in order:
                    arm.enter()
                    start = clock()
                    arm.run()
                    samples[arm.name].append(clock() - start)
        finally:
            gc.enable()
        for name, values in samples.items():
            results[name].append(statistics.median(values) / 1000)
    return results
