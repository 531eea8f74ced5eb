"""The failure path: what cos_doctor adds to a failing SDK call, per seed rule."""

from __future__ import annotations

import hashlib
import itertools
import socket
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from benchmarks._arms import Arm, alternate
from benchmarks._config import BUCKET, FAILURE_KEYS, KEY, TARGET_FAILURE_ADDED_US, Plan
from benchmarks._format import added_line, mark
from benchmarks._sdk import (
    capture,
    expect_client_error,
    expect_service_error,
    floor_twin,
    make_clients,
    null_structlog,
    quiet_sdk_logs,
    sdk_twin,
)
from benchmarks._stages import in_situ_stages, isolated_stages, split
from benchmarks._stats import compare, summary
from benchmarks._transport import FakeCos, Reply, error_xml, make_client, refused_client

if TYPE_CHECKING:
    from collections.abc import Callable

# Every failing call names the next key (benchmarks/_config.py says why), with cos_doctor or not.
keys = itertools.cycle(FAILURE_KEYS)


@dataclass
class Failure:
    """One failing SDK call: the reply COS gives and the rule cos_doctor should pick."""

    rule_id: str
    status: int
    code: str | None
    message: str | None
    operation: str = "get_object"
    extra: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    seed: bool = True

    def reply(self) -> Reply:
        body = (
            b""
            if self.code is None and self.message is None
            else error_xml(self.code, self.message, self.extra)
        )
        return Reply(self.status, body, dict(self.headers))


def seed_failures(adapter: FakeCos, client: Any) -> list[Failure]:
    skewed = formatdate(time.time() - 1204, usegmt=True)  # COS's clock 20 min behind ours
    return [
        Failure("access-denied", 403, "AccessDenied", "Access Denied."),
        Failure("referer-denied", 403, "AccessDenied", "You are denied by bucket referer rule"),
        Failure(
            "signature-mismatch",
            403,
            "SignatureDoesNotMatch",
            "The Signature you specified is invalid.",
            extra=_signature_elements(adapter, client),
        ),
        Failure(
            "request-time-too-skewed",
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the server's time is too large.",
            headers={"Date": skewed},
        ),
        Failure(
            "invalid-access-key-id",
            403,
            "InvalidAccessKeyId",
            "The Access Key Id you provided does not exist in our records.",
        ),
        Failure("unrecognized-403", 403, None, None, operation="head_object", seed=False),
        Failure("no-such-key", 404, "NoSuchKey", "The specified key does not exist.", seed=False),
    ]


def _signature_elements(adapter: FakeCos, client: Any) -> str:
    """StringToSign and FormatString as COS returns them, for the request the SDK really sends.

    COS signed the same text as the client here, so cos_doctor recomputes the signature with the
    configured key and concludes ``wrong-secret-key``: the detector's full path.
    """
    from cos_doctor._pipeline.evidence.signature import client_format_string
    from cos_doctor._sdk.live import context_from_error
    from cos_doctor._signing import parse_authorization

    adapter.reply = Reply(403, error_xml("SignatureDoesNotMatch", "probe"))
    context = context_from_error(capture(lambda: client.get_object(Bucket=BUCKET, Key=KEY)))
    authorization = parse_authorization(context.authorization or "")
    if authorization is None:
        raise RuntimeError("the SDK sent no Authorization header")
    text = client_format_string(context, authorization) or ""
    digest = hashlib.sha1(text.encode()).hexdigest()
    string_to_sign = f"sha1\n{authorization.sign_time}\n{digest}\n"
    return (
        f"\t<StringToSign>{escape(string_to_sign)}</StringToSign>\n"
        f"\t<FormatString>{escape(text)}</FormatString>\n"
    )


def failing_clients() -> tuple[FakeCos, Any, Any]:
    """The fake COS, an unhooked client and a hooked one; every failure logs to a null sink."""
    import cos_doctor

    quiet_sdk_logs()
    null_structlog()
    adapter = FakeCos()
    unhooked, hooked = make_clients(adapter)
    # Every failure logs its event (to the null sink): a storm window would skip the event
    # for all but the first identical failure and flatter the figure.
    cos_doctor.install(storm_window=0)
    return adapter, unhooked, hooked


def bench_failure(plan: Plan) -> dict[str, Any]:
    import cos_doctor

    adapter, unhooked, hooked = failing_clients()
    operations: dict[str, Callable[[Any], object]] = {
        "get_object": lambda client: client.get_object(Bucket=BUCKET, Key=next(keys)),
        "head_object": lambda client: client.head_object(Bucket=BUCKET, Key=next(keys)),
    }
    out: dict[str, Any] = {}
    for failure in seed_failures(adapter, unhooked):
        adapter.reply = failure.reply()
        operation = operations[failure.operation]
        sdk = expect_service_error(lambda operation=operation: operation(unhooked))
        doctor = expect_service_error(lambda operation=operation: operation(hooked))
        diagnosed = capture(lambda operation=operation: operation(hooked))
        results = alternate(
            [Arm("sdk", sdk), Arm("cos_doctor", doctor)],
            plan.failure_rounds,
            plan.failure_calls,
        )
        entry = compare(results, "sdk", "cos_doctor")
        entry.update(
            operation=failure.operation,
            http_status=failure.status,
            seed=failure.seed,
            rule_matched=getattr(getattr(diagnosed, "diagnosis", None), "rule_id", None),
            calls_per_round=plan.failure_calls,
            in_situ=in_situ_stages(
                doctor, plan.failure_rounds * plan.failure_calls, entry["added_us"]
            ),
            isolated=isolated_stages(
                plan, capture(lambda operation=operation: operation(unhooked)), adapter.reply
            ),
        )
        out[failure.rule_id] = entry
        target = TARGET_FAILURE_ADDED_US if failure.seed else None
        print(f"  {failure.rule_id} ({failure.operation}): {added_line(entry, target)}")
    out["floor"] = bench_floor(plan, adapter, unhooked)
    out["client-connection-refused"] = bench_refused(plan)
    out.update(bench_post_rules(plan))
    cos_doctor.uninstall()
    return out


def bench_floor(plan: Plan, adapter: FakeCos, unhooked: Any) -> dict[str, Any]:
    """What any hook design pays on a failing call: the diagnosed copy raised, one event logged.

    The first seed failure (AccessDenied) through a layer that reads, matches and computes
    nothing (``floor_twin``), against the same unhooked client: the part of the budget no
    diagnosis work can save.
    """
    from cos_doctor._pipeline.diagnose import assess
    from cos_doctor._sdk.live import context_from_error

    failure = seed_failures(adapter, unhooked)[0]
    adapter.reply = failure.reply()
    call = lambda client: client.get_object(Bucket=BUCKET, Key=next(keys))  # noqa: E731
    assessment = assess(context_from_error(capture(lambda: call(unhooked))))
    floor = make_client(adapter, floor_twin(assessment.diagnosis, assessment.event()))
    results = alternate(
        [
            Arm("sdk", expect_service_error(lambda: call(unhooked))),
            Arm("floor", expect_service_error(lambda: call(floor))),
        ],
        plan.failure_rounds,
        plan.failure_calls,
    )
    entry = compare(results, "sdk", "floor")
    entry.update(
        operation="get_object, copy + re-raise + the same event only (the floor)",
        http_status=failure.status,
        seed=False,
        rule_matched=failure.rule_id,
        calls_per_round=plan.failure_calls,
    )
    print(f"  floor ({failure.rule_id}): {added_line(entry, None)}")
    return entry


def bench_refused(plan: Plan) -> dict[str, Any]:
    """A refused connection: the real SDK over real ``requests`` to a closed port on 127.0.0.1.

    No retry (the SDK sleeps a second before each), so one call is one refused connect, the
    SDK's ERROR record of it (``logger.exception``), and its ``CosClientError``. The SDK's
    loggers carry cos_doctor's secret filter only on the cos_doctor side: it is part of what
    cos_doctor adds.
    """
    from cos_doctor._hook import install as _hook

    port = _closed_port()
    unhooked = refused_client(port, sdk_twin())
    hooked = refused_client(port)
    log_filter = _hook._sdk_log_filter()  # attached by install(), as in production
    # Reattached as install() attaches it: knowing the hook's wrapper, it holds the record of
    # a failure the hook logs (lowered to DEBUG then, as by default).
    attach = lambda: log_filter.attach(wrappers=(_hook._on_send_request.__code__,))  # noqa: E731
    call = lambda client: client.get_object(Bucket=BUCKET, Key=next(keys))  # noqa: E731
    sdk = expect_client_error(lambda: call(unhooked))
    doctor = expect_client_error(lambda: call(hooked))
    diagnosed = capture(lambda: call(hooked), client=True)
    results = alternate(
        [Arm("sdk", sdk, log_filter.detach), Arm("cos_doctor", doctor, attach)],
        plan.failure_rounds,
        plan.failure_calls,
    )
    attach()
    entry = compare(results, "sdk", "cos_doctor")
    entry.update(
        operation="get_object",
        http_status=None,
        seed=True,
        rule_matched=getattr(getattr(diagnosed, "diagnosis", None), "rule_id", None),
        calls_per_round=plan.failure_calls,
        in_situ=in_situ_stages(doctor, plan.failure_rounds * plan.failure_calls, entry["added_us"]),
    )
    print(f"  client-connection-refused (get_object): {added_line(entry, TARGET_FAILURE_ADDED_US)}")
    return entry


def _closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on: bound for a moment, never listened, closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# POST Object (browser form upload) errors: rule id -> (Code, Message) as COS returns them.
_POST_CASES = {
    "post-qak-mismatch": (
        "AccessDenied",
        "Condition key q-ak doesn't match the value AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q",
    ),
    "post-policy-expired": (
        "AccessDenied",
        "You post object request has been expired, expiration time: 1621188104 but the time now : 1621245817",
    ),
    "post-signature-invalid": ("SignatureDoesNotMatch", "The Signature you specified is invalid."),
    "post-condition-mismatch": (
        "AccessDenied",
        "Condition key key doesn&apos;t match the value uploads/photo.jpg",
    ),
}


def bench_post_rules(plan: Plan) -> dict[str, Any]:
    """POST Object (browser form upload) errors never pass through the SDK: diagnose(body)."""
    import cos_doctor
    from cos_doctor._knowledge.catalogue import catalogue
    from cos_doctor._locale import resolve_locale
    from cos_doctor._pipeline.context import context_from_body
    from cos_doctor._pipeline.diagnose import diagnose_context
    from cos_doctor._pipeline.evidence import Facts, collect_evidence
    from cos_doctor._pipeline.match import match_rule

    rules = catalogue()
    out: dict[str, Any] = {}
    for rule_id, (code, message) in _POST_CASES.items():
        body = error_xml(code, message)
        hints: dict[str, Any] = {"http_status": 403, "post_object": True, "http_method": "POST"}
        context = context_from_body(body, **hints)
        found = match_rule(context, rules)
        facts = Facts(context=context, match=found, catalogue=rules, locale=resolve_locale(None))
        arms = [
            Arm("diagnose", lambda body=body, hints=hints: cos_doctor.diagnose(body, **hints)),
            Arm("context", lambda body=body, hints=hints: context_from_body(body, **hints)),
            Arm("match", lambda context=context: match_rule(context, rules)),
            Arm("evidence", lambda facts=facts: collect_evidence(facts)),
            Arm("diagnose_context", lambda context=context: diagnose_context(context)),
        ]
        results = alternate(arms, plan.stage_rounds, plan.stage_calls)
        total = summary(results.pop("diagnose"))
        out[rule_id] = {
            "operation": "diagnose(body, post_object=True)",
            "http_status": 403,
            "seed": True,
            "rule_matched": cos_doctor.diagnose(body, **hints).rule_id,
            "added_us": total["median"],
            "diagnose_us": total,
            "isolated": split(results, ()),
            "calls_per_round": plan.stage_calls,
        }
        verdict = mark(total["median"], TARGET_FAILURE_ADDED_US)
        print(f"  {rule_id} (diagnose(body)): {total['median']:.1f} µs {verdict}")
    return out
