"""diagnose() throughput on the knowledge base's own examples, and on 1 MB bodies."""

from __future__ import annotations

import json
import math
import statistics
import time
from typing import Any

from benchmarks._arms import Arm, interleave
from benchmarks._children import child_seconds
from benchmarks._config import MIB, ROOT, Plan
from benchmarks._stats import summary
from benchmarks._transport import error_xml


def catalogue_mix() -> list[tuple[str, bytes, dict[str, Any]]]:
    """Every example error in the knowledge base, as a body plus diagnose() hints."""
    from cos_doctor._knowledge.catalogue import catalogue

    mix = []
    for rule in catalogue().rules:
        for example in rule.examples:
            hints = {
                "http_status": example.status,
                "http_method": example.method,
                "post_object": example.post_object,
            }
            mix.append((rule.id, error_xml(example.code, example.message), hints))
    return mix


def bench_diagnose(plan: Plan) -> dict[str, Any]:
    import cos_doctor

    mix = catalogue_mix()
    mismatched = sorted(
        {
            rule_id
            for rule_id, body, hints in mix
            if cos_doctor.diagnose(body, **hints).rule_id != rule_id
        }
    )

    def one_pass() -> None:
        for _, body, hints in mix:
            cos_doctor.diagnose(body, **hints)

    results = interleave([Arm("mix", one_pass)], plan.diagnose_rounds, 1)
    per_call = [value / len(mix) for value in results["mix"]]
    stats = summary(per_call)
    out = {
        "mix_size": len(mix),
        "rules_in_mix": len({rule_id for rule_id, _, _ in mix}),
        "examples_diagnosed_as_another_rule": mismatched,
        "per_call_us": stats,
        "calls_per_second": 1e6 / stats["median"],
        "one_mib": bench_big_bodies(plan),
    }
    print(
        f"  mix of {len(mix)} catalogue examples: {stats['median']:.1f} µs/call, "
        f"{out['calls_per_second']:,.0f} calls/s"
    )
    return out


def big_bodies() -> dict[str, bytes]:
    """1 MB error bodies of every shape the parser takes a different path for."""
    prolog = "<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n\t<Code>AccessDenied</Code>\n"
    words = "the q-signature=0123 of a session_token: AKIDQjz3ltompVjBni5Litk sign key "
    filler = "x" * MIB
    element = "\t<Code>AccessDenied</Code>\n"
    return {
        "xml, 1 MB Message": f"{prolog}\t<Message>{filler}</Message>\n</Error>".encode(),
        "xml, 1 MB Message of secret-like words": (
            f"{prolog}\t<Message>{words * (MIB // len(words))}</Message>\n</Error>".encode()
        ),
        "xml, 40k closed elements": (
            "<Error>\n" + element * (MIB // len(element)) + "</Error>"
        ).encode(),
        "json, 1 MB message": json.dumps({"code": "AccessDenied", "message": filler}).encode(),
        "text, one 1 MB line": filler.encode(),
        "text, 1 MB of short lines": ("upstream connect error\n" * (MIB // 23)).encode(),
        "1 MB of '<'": b"<" * MIB,
    }


def bench_big_bodies(plan: Plan) -> dict[str, Any]:
    import cos_doctor

    out: dict[str, Any] = {"shapes": {}}
    # With a status, as a relayed reply comes; without, as a paste comes (the client-failure
    # classifier and every paste reader look at it first).
    for (name, body), hints in (
        (shape, hints) for shape in big_bodies().items() for hints in ({"http_status": 403}, {})
    ):
        if not hints:
            name = f"{name}, no status"  # noqa: PLW2901 - the row's name says which
        seconds = []
        for _ in range(plan.big_repeats):
            start = time.perf_counter()
            try:
                diagnosis = cos_doctor.diagnose(body, **hints)
            except TypeError:  # nothing readable without a status: refused, as documented
                diagnosis = None
            seconds.append(time.perf_counter() - start)
        out["shapes"][name] = {
            "bytes": len(body),
            "ms": statistics.median(seconds) * 1000,
            "n": len(seconds),
            "rule": diagnosis.rule_id if diagnosis is not None else "TypeError",
        }
        print(f"  diagnose() on {name}: {out['shapes'][name]['ms']:.1f} ms")
    worst = max(out["shapes"], key=lambda name: out["shapes"][name]["ms"])
    out["worst_shape"] = worst
    out["worst_ms"] = out["shapes"][worst]["ms"]
    out["unclosed_tags"] = bench_unclosed_tags(plan)
    return out


_UNCLOSED_CHILD = """
import sys, time
sys.path.insert(0, {root!r})
import cos_doctor
cos_doctor.diagnose("<Code>x</Code>", http_status=403)
body = "<Code>" * ({size} // 6)
start = time.perf_counter()
cos_doctor.diagnose(body, http_status=403)
print(time.perf_counter() - start)
"""


def bench_unclosed_tags(plan: Plan) -> dict[str, Any]:
    """A body of nothing but opening tags ("<Code><Code>…"): how time grows with its size.

    Run in subprocesses with a time limit, since the growth may not be linear.
    """
    points = []
    for size in plan.adversarial_sizes:
        seconds = child_seconds(_UNCLOSED_CHILD.format(root=str(ROOT), size=size), timeout=120)
        points.append({"bytes": size, "ms": None if seconds is None else seconds * 1000})
    measured = [(p["bytes"], p["ms"]) for p in points if p["ms"]]
    exponent = None
    extrapolated_ms = None
    if len(measured) >= 2 and measured[0][1] >= 1.0:  # below 1 ms the fit is noise
        (small, t_small), (large, t_large) = measured[0], measured[-1]
        exponent = math.log(t_large / t_small) / math.log(large / small)
        extrapolated_ms = t_large * (MIB / large) ** exponent
    out: dict[str, Any] = {
        "points": points,
        "growth_exponent": exponent,
        "extrapolated_1mib_ms": extrapolated_ms,
    }
    if plan.adversarial_full_size_timeout:
        limit = plan.adversarial_full_size_timeout
        seconds = child_seconds(_UNCLOSED_CHILD.format(root=str(ROOT), size=MIB), timeout=limit)
        out["one_mib"] = {"timeout_s": limit, "ms": None if seconds is None else seconds * 1000}
    shown = ", ".join(
        f"{p['bytes'] // 1024} KB {p['ms']:.0f} ms"
        if p["ms"]
        else f"{p['bytes'] // 1024} KB timeout"
        for p in points
    )
    grows = f"time ∝ size^{exponent:.2f}" if exponent is not None else "growth unknown"
    print(f"  diagnose() on '<Code>' repeated: {shown}; {grows}")
    return out
