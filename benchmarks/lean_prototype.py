"""A lower bound for the failure path: one seed rule's event computed by hand, in one pass.

Issue 16 asks whether a failing call can cost <= 50 µs with the event keeping every field. This
prototype answers for access-denied (AccessDenied on ``get_object``): a ``wrapt`` layer that, on
the SDK's ``CosServiceError``, reads what that one rule's event needs straight from the SDK's
frames and exception (no ``RequestContext``, no detectors), computes its evidence by hand,
runs the same seal check over the reported values, builds the same event facts, raises
cos_doctor's diagnosed copy and logs the event through cos_doctor's own log call. Before
timing, its event is checked field for field against the real hook's for the same failure.

It is a measurement, never a path cos_doctor ships: it serves one rule, assumes what that rule's
example sends (a permanent key, no token, no POST form) and skips what a general path pays (the
rule chosen among all, every detector asked). Its time is what the design the issue proposes
could reach at best; compare it with the floor and the real hook, interleaved, in one run.

Run ``python benchmarks/lean_prototype.py`` (about a minute).
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._arms import Arm, alternate
from benchmarks._config import BUCKET
from benchmarks._sdk import capture, expect_service_error, floor_twin, null_structlog, reacting_twin
from benchmarks._stats import compare
from benchmarks._transport import make_client
from benchmarks.failure import failing_clients, keys, seed_failures

RULE = "access-denied"


def lean_twin() -> type:
    """A CosS3Client twin whose layer computes access-denied's event by hand, in one pass."""
    from cos_doctor._knowledge.catalogue import catalogue
    from cos_doctor._pipeline.diagnose import EventFacts, _causes_seen
    from cos_doctor._pipeline.evidence.access import _ACTIONS, policy_statement
    from cos_doctor._pipeline.evidence.buckets import appid_of
    from cos_doctor._pipeline.evidence.credentials import _shape_problems
    from cos_doctor._pipeline.evidence.registry import Unworded
    from cos_doctor._redact import client_redactor, mask_secret_id
    from cos_doctor._sdk import adapter
    from cos_doctor._sdk.live import client_records
    from cos_doctor._signing import parse_authorization, sign_key

    # The rule index, as the design would build it once: (Code, status, Message) -> rule.
    rule = next(rule for rule in catalogue().rules if rule.id == RULE)
    by_reply = {("AccessDenied", 403, "Access Denied."): rule}
    principal = "qcs::cam::uin/<OwnerUin>:uin/<SubUin>"

    def react(error: Any) -> tuple[Any, Any]:
        wrapper = error.__traceback__
        caller = wrapper.tb_frame.f_back  # the client method (get_object)
        local = adapter.send_request_locals(wrapper.tb_next.tb_frame)
        state = adapter.service_error_state(error)
        digest = state.digest
        rule = by_reply[digest["code"], state.status, digest["message"]]
        records = client_records(local.client)
        headers = local.response.request.headers
        signed = parse_authorization(headers.get("Authorization", ""))
        operation = caller.f_code.co_name
        key = caller.f_locals.get("Key")
        region = records.settings.region
        action = f"name/cos:{_ACTIONS[operation]}"
        appid = appid_of(local.bucket)
        resource = f"qcs::cos:{region}:uid/{appid}:{local.bucket}/{key}"
        token = "x-cos-security-token" in headers
        observed = {
            "credential_kind": "temporary" if token else "permanent",
            "secret_id_masked": mask_secret_id(signed.ak),
        }
        for problem in _shape_problems(signed.ak, records.secrets.secret_id):
            observed[f"secret_id_problem:{problem}"] = problem
        observed["required_action"] = action
        observed["bucket_appid_suffix"] = appid is not None
        observed["resource_name"] = resource
        observed["policy_statement"] = policy_statement(principal, action, resource)
        observed["attempts"] = local.attempt_index + 1
        reported = {
            "http_status": state.status,
            "error_code": digest["code"],
            "error_message": digest["message"],
            "request_id": digest["requestid"],
            "trace_id": digest["traceid"],
            "operation": operation,
            "http_method": local.method,
            "bucket": local.bucket,
            "key": key,
            "region": region,
        }
        said = [v for v in (*reported.values(), *observed.values()) if isinstance(v, str)]
        secrets = [signed.signature, sign_key(records.secrets.secret_key, signed.key_time)]
        if client_redactor(records.secrets).finds_extended("\0".join(said), secrets, [signed.ak]):
            raise RuntimeError("the prototype serves only failures without a secret")
        facts = EventFacts(
            rule_id=rule.id,
            generic=rule.generic,
            evidence=tuple(Unworded(key, value, ()) for key, value in observed.items()),
            docs=rule.texts["en"].docs,
            causes=_causes_seen(rule, observed),
            **reported,
        )
        return (lambda: None), facts

    return reacting_twin(react)


def _same_event(hooked: Any, lean: Any) -> None:
    """The prototype's event fields are the real hook's, for one failure on one key."""
    import structlog

    seen: list[dict[str, Any]] = []

    def keep(_logger: Any, _method: str, event: Any) -> Any:
        seen.append({k: v for k, v in event.items() if k != "cos_doctor.event_id"})
        raise structlog.DropEvent

    structlog.configure(processors=[keep], logger_factory=structlog.ReturnLoggerFactory())
    try:
        for client in (hooked, lean):
            capture(lambda client=client: client.get_object(Bucket=BUCKET, Key="bench/same.txt"))
    finally:
        null_structlog()
    if len(seen) != 2:
        raise SystemExit(f"expected an event from each client, got {len(seen)}")
    real, prototype = seen
    if real != prototype:
        different = sorted(
            k for k in real.keys() | prototype.keys() if real.get(k) != prototype.get(k)
        )
        raise SystemExit(f"the prototype's event differs from the hook's: {different}")


def main() -> int:
    from cos_doctor._pipeline.diagnose import assess
    from cos_doctor._sdk.live import context_from_error

    adapter, unhooked, hooked = failing_clients()
    failure = next(f for f in seed_failures(adapter, unhooked) if f.rule_id == RULE)
    adapter.reply = failure.reply()
    lean = make_client(adapter, lean_twin())
    _same_event(hooked, lean)
    call = lambda client: client.get_object(Bucket=BUCKET, Key=next(keys))  # noqa: E731
    assessment = assess(context_from_error(capture(lambda: call(unhooked))))
    floor = make_client(adapter, floor_twin(assessment.diagnosis, assessment.event()))
    arms = [
        Arm(name, expect_service_error(lambda client=client: call(client)))
        for name, client in (
            ("sdk", unhooked),
            ("floor", floor),
            ("lean", lean),
            ("cos_doctor", hooked),
        )
    ]
    results = alternate(arms, 60, 8)
    print(f"{RULE} via get_object, 60 rounds x 8 calls, arms alternated call by call (µs):")
    print(f"  the SDK's own failing call: {statistics.median(results['sdk']):.1f}")
    for name in ("floor", "lean", "cos_doctor"):
        entry = compare(results, "sdk", name)
        paired = entry["paired_added_us"]
        low, high = paired["median_ci95"]
        print(
            f"  {name:10s} added {entry['added_us']:+7.1f}  (paired p10-p90 "
            f"{paired['p10']:+.1f} … {paired['p90']:+.1f}, 95% CI {low:+.1f} … {high:+.1f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
