"""Where the failure path's time goes: each step of the hook timed in situ and alone."""

from __future__ import annotations

import contextlib
import gc
import statistics
import time
from typing import TYPE_CHECKING, Any

from benchmarks._arms import Arm, alternate

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from benchmarks._config import Plan
    from benchmarks._transport import Reply

# What the hook calls, by the module attribute it looks up at call time: (owner, name, stage).
_HOOK_STAGES = (
    ("cos_doctor._hook.install", "_diagnose_safely", "hook"),
    ("cos_doctor._hook.failures", "context_from_error", "context"),
    ("cos_doctor._hook.failures", "diagnose_context", "diagnose_context"),
    ("cos_doctor._pipeline.diagnose", "match_rule", "match"),
    ("cos_doctor._pipeline.diagnose", "collect_evidence", "evidence"),
    ("cos_doctor._pipeline.diagnose", "redactor_for", "redactor"),
    ("cos_doctor.errors", "diagnosed_copy", "copy"),
    ("cos_doctor._hook.install", "log_diagnosis", "log"),
)


@contextlib.contextmanager
def _stage_timers() -> Iterator[dict[str, list[int]]]:
    """Time each step of the installed hook where it runs, inside the failing SDK call.

    Each step is replaced by a timing shim for the duration (about 0.3 µs of overhead per
    step); the SDK's own ERROR record going through cos_doctor's redaction filter is timed too.
    """
    import importlib

    from cos_doctor._hook import install as _hook

    samples: dict[str, list[int]] = {stage: [] for _, _, stage in _HOOK_STAGES}
    samples["sdk_log_filter"] = []
    clock = time.perf_counter_ns

    def shim(original: Callable[..., Any], stage: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = clock()
            try:
                return original(*args, **kwargs)
            finally:
                samples[stage].append(clock() - start)

        return timed

    patched = []
    for module_name, attribute, stage in _HOOK_STAGES:
        owner = importlib.import_module(module_name)
        original = getattr(owner, attribute)
        setattr(owner, attribute, shim(original, stage))
        patched.append((owner, attribute, original))
    log_filter = _hook._sdk_log_filter
    log_filter.filter = shim(log_filter.filter, "sdk_log_filter")  # type: ignore[method-assign]
    try:
        yield samples
    finally:
        for owner, attribute, original in patched:
            setattr(owner, attribute, original)
        del log_filter.filter


def in_situ_stages(run: Callable[[], None], calls: int, added_us: float) -> dict[str, Any]:
    """Median µs of each step inside the real failing call; derived steps by difference."""
    for _ in range(10):  # warm-up
        run()
    with _stage_timers() as samples:
        gc.disable()
        try:
            for _ in range(calls):
                run()
        finally:
            gc.enable()
    medians = {
        stage: statistics.median(values) / 1000 if values else 0.0
        for stage, values in samples.items()
    }
    # What diagnose_context does besides matching, evidence and the redactor: building the
    # Diagnosis, which seals it (the prose is no longer worded here: see "worded" below).
    medians["build_and_seal"] = (
        medians["diagnose_context"] - medians["match"] - medians["evidence"] - medians["redactor"]
    )
    medians["hook_other"] = medians["hook"] - sum(
        medians[stage] for stage in ("context", "diagnose_context", "copy", "log")
    )
    # Everything the failing call pays beyond the hook's own work: the re-raise, the SDK's
    # ERROR record through the redaction filter, and the SDK's own code running slower
    # after cos_doctor's work evicted it from the CPU caches.
    medians["outside_hook"] = added_us - medians["hook"]
    medians["n"] = calls
    return medians


def isolated_stages(plan: Plan, error: Any, reply: Reply) -> dict[str, Any]:
    """Each step alone, repeated on a captured SDK exception, interleaved (warm caches)."""
    from qcloud_cos.cos_exception import CosServiceError

    from cos_doctor._knowledge.catalogue import catalogue
    from cos_doctor._locale import resolve_locale
    from cos_doctor._log.event import log_diagnosis
    from cos_doctor._pipeline.diagnose import diagnose_context
    from cos_doctor._pipeline.evidence import Facts, collect_evidence
    from cos_doctor._pipeline.match import match_rule
    from cos_doctor._redact import redactor_for
    from cos_doctor._sdk.live import context_from_error
    from cos_doctor.errors import diagnosed_copy

    rules = catalogue()
    context = context_from_error(error)
    found = match_rule(context, rules)
    facts = Facts(context=context, match=found, catalogue=rules, locale=resolve_locale(None))
    diagnosis = diagnose_context(context)
    text = reply.body.decode()

    def worded_note() -> object:
        # What a reader pays on first access: title, cause and steps worded, the note rendered.
        return getattr(diagnosed_copy(error, diagnose_context(context)), "__notes__", None)

    arms = [
        Arm("context", lambda: context_from_error(error)),
        Arm("match", lambda: match_rule(context, rules)),
        Arm("evidence", lambda: collect_evidence(facts)),
        Arm("redactor", lambda: redactor_for(context)),
        Arm("diagnose_context", lambda: diagnose_context(context)),
        Arm("copy", lambda: diagnosed_copy(error, diagnosis)),
        Arm("copy_and_note", worded_note),
        Arm("render", diagnosis.render),
        Arm("log", lambda: log_diagnosis(diagnosis)),
        Arm("sdk_error_parse", lambda: CosServiceError("GET", text, reply.status)),
    ]
    medians = split(alternate(arms, plan.stage_rounds, plan.stage_calls), ("copy", "log"))
    # Paid only when someone reads the prose or the note (a traceback, str(e) on 3.9/3.10):
    medians["worded_on_first_access"] = (
        medians["copy_and_note"] - medians["copy"] - medians["diagnose_context"]
    )
    return medians


def split(results: dict[str, list[float]], tail: Sequence[str]) -> dict[str, Any]:
    """Per-step medians; build_and_seal = diagnose_context − match − evidence (− redactor)."""
    medians: dict[str, Any] = {name: statistics.median(values) for name, values in results.items()}
    medians["build_and_seal"] = (
        medians["diagnose_context"]
        - medians["match"]
        - medians["evidence"]
        - medians.get("redactor", 0.0)
    )
    medians["pipeline"] = (
        medians["context"] + medians["diagnose_context"] + sum(medians[name] for name in tail)
    )
    medians["n"] = len(next(iter(results.values())))
    return medians
