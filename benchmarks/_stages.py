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

# What the hook calls, by the attribute it looks up at call time: (owner, name, stage); an
# owner "module:Class" is a class of that module.
_HOOK_STAGES = (
    ("cos_doctor._hook.install", "_diagnose_safely", "hook"),
    ("cos_doctor._hook.failures", "context_from_error", "context"),
    ("cos_doctor._hook.failures", "assess", "assess"),
    ("cos_doctor._pipeline.diagnose", "match_rule", "match"),
    ("cos_doctor._pipeline.diagnose", "collect_evidence", "evidence"),
    ("cos_doctor._pipeline.diagnose:Assessment", "event", "event"),
    ("cos_doctor._pipeline.diagnose", "finds_for", "redactor"),  # the event's seal check
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
    for owner_name, attribute, stage in _HOOK_STAGES:
        module_name, _, class_name = owner_name.partition(":")
        owner = importlib.import_module(module_name)
        if class_name:
            owner = getattr(owner, class_name)
        original = getattr(owner, attribute)
        setattr(owner, attribute, shim(original, stage))
        patched.append((owner, attribute, original))
    log_filter = _hook._sdk_log_filter()
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
    # What assess does besides matching and evidence (the Code inferred, the facts set up),
    # and what the event's facts cost besides the redactor (the seal check, the causes ranked).
    medians["assess_other"] = medians["assess"] - medians["match"] - medians["evidence"]
    medians["event_facts"] = medians["event"] - medians["redactor"]
    medians["hook_other"] = medians["hook"] - sum(
        medians[stage] for stage in ("context", "assess", "event", "copy", "log")
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
    from cos_doctor._pipeline.diagnose import assess, diagnose_context
    from cos_doctor._pipeline.evidence import Facts, collect_evidence
    from cos_doctor._pipeline.match import match_rule
    from cos_doctor._redact import finds_for
    from cos_doctor._sdk.live import context_from_error
    from cos_doctor.errors import diagnosed_copy

    rules = catalogue()
    context = context_from_error(error)
    found = match_rule(context, rules)
    facts = Facts(
        context=context, match=found, catalogue=rules, locale=resolve_locale(None), unworded=True
    )
    diagnosis = diagnose_context(context)
    event = assess(context).event()
    text = reply.body.decode()
    # What the event's seal check searches: the values it reports, joined.
    said = "\0".join(
        str(value) for value in (context.error_message, context.bucket, context.key) if value
    )

    def worded_note() -> object:
        # What a reader pays on first access: the Diagnosis built, its prose worded, the note.
        return getattr(diagnosed_copy(error, assess(context)), "__notes__", None)

    arms = [
        Arm("context", lambda: context_from_error(error)),
        Arm("match", lambda: match_rule(context, rules)),
        Arm("evidence", lambda: collect_evidence(facts)),
        Arm("redactor", lambda: finds_for(context, said)),
        Arm("assess", lambda: assess(context)),
        Arm("assess_and_event", lambda: assess(context).event()),
        Arm("diagnose_context", lambda: diagnose_context(context)),
        Arm("copy", lambda: diagnosed_copy(error, diagnosis)),
        Arm("copy_and_note", worded_note),
        Arm("render", diagnosis.render),
        Arm("log", lambda: log_diagnosis(event)),
        Arm("sdk_error_parse", lambda: CosServiceError("GET", text, reply.status)),
    ]
    medians = split(alternate(arms, plan.stage_rounds, plan.stage_calls), ("copy", "log"))
    # Paid only when someone reads the exception (.diagnosis, the note, str(), a pickle):
    medians["built_on_first_read"] = medians["copy_and_note"] - medians["copy"] - medians["assess"]
    return medians


def split(results: dict[str, list[float]], tail: Sequence[str]) -> dict[str, Any]:
    """Per-step medians, and the hot path's sum: context + assess + event (+ ``tail``).

    Without assess arms (``diagnose()`` of a pasted body, built whole): context +
    diagnose_context (+ ``tail``).
    """
    medians: dict[str, Any] = {name: statistics.median(values) for name, values in results.items()}
    if "assess" in medians:
        medians["event"] = medians["assess_and_event"] - medians["assess"]
        hot = medians["context"] + medians["assess"] + medians["event"]
    else:
        hot = medians["context"] + medians["diagnose_context"]
    medians["pipeline"] = hot + sum(medians[name] for name in tail)
    medians["n"] = len(next(iter(results.values())))
    return medians
