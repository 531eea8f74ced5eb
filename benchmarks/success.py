"""The success path: what cos_doctor adds to an SDK call that succeeds, and its layer alone."""

from __future__ import annotations

import logging
import types
from typing import TYPE_CHECKING, Any

from benchmarks._arms import Arm, alternate, interleave
from benchmarks._config import (
    BUCKET,
    KEY,
    REGION,
    TARGET_LAYER_OVER_WRAPT_US,
    TARGET_SUCCESS_RATIO,
    Plan,
)
from benchmarks._format import added_line, mark
from benchmarks._sdk import code_copy, quiet_sdk_logs, round_robin, sdk_twin
from benchmarks._stats import compare, summary
from benchmarks._transport import FakeCos, Reply, make_client

if TYPE_CHECKING:
    from collections.abc import Callable


def bench_success(plan: Plan) -> dict[str, Any]:
    import cos_doctor

    quiet_sdk_logs()
    adapter = FakeCos()
    adapter.reply = Reply(200, b"", {"ETag": '"d41d8cd98f00b204e9800998ecf8427e"'})
    # Each side is several clients of classes with their own copies of the SDK's code, used in
    # turn: where code and data land in memory shifts timings by a few µs, and a single copy
    # per side would turn that into a difference. "twin" is a second side without cos_doctor:
    # what it "adds" is the noise floor.
    cos_doctor.install()
    sides = {
        "without": [make_client(adapter, sdk_twin()) for _ in range(plan.success_layouts)],
        "twin": [make_client(adapter, sdk_twin()) for _ in range(plan.success_layouts)],
        "with": [make_client(adapter, sdk_twin(hooked=True)) for _ in range(plan.success_layouts)],
    }
    body = b"x" * 1024
    workloads: dict[str, Callable[[Any], object]] = {
        "head_object": lambda client: client.head_object(Bucket=BUCKET, Key=KEY),
        "put_object": lambda client: client.put_object(Bucket=BUCKET, Body=body, Key=KEY),
    }
    out: dict[str, Any] = {}
    for name, call in workloads.items():
        arms = [Arm(side, round_robin(call, clients)) for side, clients in sides.items()]
        results = alternate(arms, plan.success_rounds, plan.success_calls)
        out[name] = compare(results, "without", "with")
        out[name]["noise_floor"] = compare(results, "without", "twin")
        out[name]["calls_per_round"] = out[name]["noise_floor"]["calls_per_round"] = (
            plan.success_calls
        )
        out[name]["layouts_per_side"] = plan.success_layouts
        ratio_mark = mark(out[name]["ratio"], TARGET_SUCCESS_RATIO)
        print(
            f"  {name}: {added_line(out[name], None)} "
            f"(target ratio ≤ {TARGET_SUCCESS_RATIO}) {ratio_mark}",
        )
        floor = added_line(out[name]["noise_floor"], None)
        print(f"    a second side without cos_doctor (noise floor): {floor}")
    unhooked, hooked = sides["without"][0], make_client(adapter)
    out["layer"] = bench_layer(plan)
    out["botocore_layer"] = bench_botocore_layer(plan)
    out["botocore_stream_layer"] = bench_botocore_stream_layer(plan)
    out["sdk_logging"] = bench_sdk_logging(plan, unhooked, hooked)
    cos_doctor.uninstall()
    return out


class _Sdk:
    """Stands in for CosS3Client: a send_request that does nothing, same signature."""

    def send_request(  # noqa: PLR0917 - the SDK's own signature, on purpose
        self,
        method: str,
        url: str,
        bucket: str | None = None,
        timeout: int = 30,
        cos_request: bool = True,
        ci_request: bool = False,
        appid: str | None = None,
        **kwargs: Any,
    ) -> None:
        del method, url, bucket, timeout, cos_request, ci_request, appid, kwargs


def bench_layer(plan: Plan) -> dict[str, Any]:
    """The layer alone, around a send_request that does nothing, in a tight loop.

    cos_doctor's own layer (whatever install() puts on the class, applied to a stand-in
    class), the minimal plain-function pass-through (the floor of any Python layer) and, for
    reference, a bare wrapt FunctionWrapper pass-through (the layer cos_doctor had before, and
    why it is now a plain function), each against the unwrapped method. Hot caches: a lower
    bound of what the layer costs inside a real call.
    """
    import wrapt
    from qcloud_cos.cos_exception import CosServiceError

    from cos_doctor._hook import install as _hook

    def stand_in() -> type[_Sdk]:
        """A class of its own, with its own copy of the no-op send_request's code."""
        return type("CosS3Client", (_Sdk,), {"send_request": code_copy(_Sdk.send_request)})

    doctor, function, bare_wrapt = stand_in(), stand_in(), stand_in()
    _hook._patch(types.SimpleNamespace(CosServiceError=CosServiceError, CosS3Client=doctor))
    original = function.send_request

    def send_request(self: Any, *args: Any, **kwargs: Any) -> Any:
        return original(self, *args, **kwargs)

    function.send_request = send_request  # type: ignore[method-assign]

    def passthrough(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        del instance
        return wrapped(*args, **kwargs)

    wrapt.wrap_function_wrapper(bare_wrapt, "send_request", passthrough)
    layers = {
        "plain": stand_in(),
        "cos_doctor": doctor,
        "python_function": function,
        "bare_wrapt": bare_wrapt,
    }
    headers: dict[str, str] = {}
    url = f"https://{BUCKET}.cos.{REGION}.myqcloud.com/{KEY}"

    def call(client: _Sdk) -> Callable[[], object]:
        return lambda: client.send_request(
            method="HEAD", url=url, bucket=BUCKET, auth=None, headers=headers, params=headers
        )

    out = _layers_compared(layers, call, plan)
    shown = ", ".join(
        f"{name} {out[name]['added_us']:+.2f} µs" for name in layers if name != "plain"
    )
    print(f"  the layer alone, hot loop, added per call: {shown}")
    over = out["over_bare_wrapt"]["added_us"]
    verdict = mark(over, TARGET_LAYER_OVER_WRAPT_US)
    print(
        f"  cos_doctor's layer minus a bare wrapt FunctionWrapper: {over:+.2f} µs "
        f"(target ≤ {TARGET_LAYER_OVER_WRAPT_US} µs) {verdict}",
    )
    return out


class _Botocore:
    """Stands in for botocore's BaseClient: a _make_api_call that does nothing, same signature."""

    def _make_api_call(self, operation_name: str, api_params: dict[str, Any]) -> dict[str, Any]:
        del operation_name
        return api_params


def bench_botocore_layer(plan: Plan) -> dict[str, Any]:
    """botocore's layer alone: cos_doctor's against a bare wrapt pass-through, as for the SDK.

    cos_doctor's layer is put on a stand-in BaseClient by the hook's own patch function; the
    reference is a bare wrapt FunctionWrapper that only calls through. Hot loop, paired.
    """
    import wrapt

    from cos_doctor._hook import botocore as _boto_hook

    def stand_in() -> type[_Botocore]:
        """A class of its own, with its own copy of the no-op _make_api_call's code."""
        code = code_copy(_Botocore._make_api_call)
        return type("BaseClient", (_Botocore,), {"_make_api_call": code})

    doctor, bare_wrapt = stand_in(), stand_in()
    _boto_hook._patch(types.SimpleNamespace(BaseClient=doctor))

    def passthrough(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        del instance
        return wrapped(*args, **kwargs)

    wrapt.wrap_function_wrapper(bare_wrapt, "_make_api_call", passthrough)
    layers = {"plain": stand_in(), "cos_doctor": doctor, "bare_wrapt": bare_wrapt}
    params = {"Bucket": BUCKET, "Key": KEY}

    def call(client: _Botocore) -> Callable[[], object]:
        return lambda: client._make_api_call("HeadObject", params)

    out = _layers_compared(layers, call, plan)
    over = out["over_bare_wrapt"]["added_us"]
    verdict = mark(over, TARGET_LAYER_OVER_WRAPT_US)
    print(
        f"  botocore: cos_doctor's layer minus a bare wrapt FunctionWrapper: {over:+.2f} µs "
        f"(target ≤ {TARGET_LAYER_OVER_WRAPT_US} µs) {verdict}",
    )
    return out


class _StreamingBody:
    """Stands in for botocore's StreamingBody: a read() that returns at once, same signature."""

    def read(self, amt: int | None = None) -> bytes:
        del amt
        return b""


def bench_botocore_stream_layer(plan: Plan) -> dict[str, Any]:
    """The layer on a streamed body's read(), which every chunk of a GetObject Body goes through.

    cos_doctor's layer is put on a stand-in StreamingBody by the hook's own patch function, the
    reference is a bare wrapt FunctionWrapper that only calls through. Hot loop, paired.
    """
    import wrapt

    from cos_doctor._hook import botocore as _boto_hook

    def stand_in() -> type[_StreamingBody]:
        """A class of its own, with its own copy of the no-op read's code."""
        return type("StreamingBody", (_StreamingBody,), {"read": code_copy(_StreamingBody.read)})

    doctor, bare_wrapt = stand_in(), stand_in()
    _boto_hook._patch_body_readers(doctor)

    def passthrough(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        del instance
        return wrapped(*args, **kwargs)

    wrapt.wrap_function_wrapper(bare_wrapt, "read", passthrough)
    layers = {"plain": stand_in(), "cos_doctor": doctor, "bare_wrapt": bare_wrapt}

    def call(body: _StreamingBody) -> Callable[[], object]:
        return lambda: body.read(1024)

    out = _layers_compared(layers, call, plan)
    out["read_1kib_us"] = _streamed_read_cost(plan)
    over = out["over_bare_wrapt"]["added_us"]
    added = out["cos_doctor"]["added_us"]
    read = out["read_1kib_us"]["median"]
    verdict = mark(over, TARGET_LAYER_OVER_WRAPT_US)
    print(
        f"  botocore: cos_doctor's layer on StreamingBody.read minus a bare wrapt "
        f"FunctionWrapper: {over:+.2f} µs (target ≤ {TARGET_LAYER_OVER_WRAPT_US} µs) {verdict}; "
        f"the layer adds {added:+.2f} µs to a 1 KiB read of {read:.2f} µs",
    )
    return out


def _streamed_read_cost(plan: Plan) -> dict[str, float]:
    """What one 1 KiB read() of botocore's own StreamingBody over urllib3 costs, for scale.

    The body is in memory (no socket), so this is the least a read costs; botocore's method is
    called unwrapped, whatever layer the process put on it.
    """
    import io

    from botocore.response import StreamingBody
    from urllib3.response import HTTPResponse

    read = StreamingBody.__dict__["read"]
    read = getattr(read, "__wrapped__", read)
    size = 2 * 1024 * plan.layer_calls
    data = b"x" * size
    state: dict[str, Any] = {}

    def enter() -> None:
        raw = HTTPResponse(body=io.BytesIO(data), preload_content=False)
        state["body"] = StreamingBody(raw, size)

    def run() -> object:
        return read(state["body"], 1024)

    return summary(
        interleave([Arm("read", run, enter)], plan.layer_rounds, plan.layer_calls)["read"]
    )


def bench_sdk_logging(plan: Plan, unhooked: Any, hooked: Any) -> dict[str, Any]:
    """head_object with the SDK's own INFO / DEBUG logs on: cos_doctor's filter redacts them.

    The filter is attached to the SDK's loggers while cos_doctor is installed; the arm without
    cos_doctor detaches it before each of its calls.
    """
    from cos_doctor._hook import install as _hook

    log_filter = _hook._sdk_log_filter()
    out: dict[str, Any] = {}
    try:
        for level in (logging.INFO, logging.DEBUG):
            quiet_sdk_logs(level)
            without = Arm(
                "without", lambda: unhooked.head_object(Bucket=BUCKET, Key=KEY), log_filter.detach
            )
            with_ = Arm(
                "with", lambda: hooked.head_object(Bucket=BUCKET, Key=KEY), log_filter.attach
            )
            results = alternate([without, with_], plan.logging_rounds, plan.logging_calls)
            name = logging.getLevelName(level)
            out[name] = compare(results, "without", "with")
            out[name]["calls_per_round"] = plan.logging_calls
            print(f"  head_object, SDK logging at {name}: {added_line(out[name], None)}")
    finally:
        quiet_sdk_logs()
        log_filter.attach()
    return out


def _layers_compared(
    layers: dict[str, Callable[[], Any]], call: Callable[[Any], Callable[[], object]], plan: Plan
) -> dict[str, Any]:
    """Each layer's call interleaved, each compared with the plain function.

    And cos_doctor's layer against a bare wrapt pass-through, paired: the issue's budget.
    """
    arms = [Arm(name, call(layer())) for name, layer in layers.items()]
    results = interleave(arms, plan.layer_rounds, plan.layer_calls)
    out: dict[str, Any] = {
        name: compare(results, "plain", name) for name in layers if name != "plain"
    }
    out["calls_per_round"] = plan.layer_calls
    out["over_bare_wrapt"] = compare(results, "bare_wrapt", "cos_doctor")
    return out
