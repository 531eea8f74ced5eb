"""The SDK adapter's contract: every private name cos_doctor/_sdk/adapter.py reads exists in this SDK.

Run by .ci/run against the newest SDK and the oldest one pyproject.toml declares.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest
from qcloud_cos import CosConfig, CosS3Client, cos_client, cos_threadpool

from cos_doctor._sdk import adapter as _sdk

SEND_REQUEST_LOCALS = (
    "self",
    "method",
    "url",
    "bucket",
    "timeout",
    "kwargs",
    "res",
    "j",
    "exception_logbuf",
)
CONFIG_ATTRIBUTES = (
    "_region",
    "_endpoint",
    "_domain",
    "_ip",
    "_scheme",
    "_verify_ssl",
    "_proxies",
    "_timeout",
    "_secret_id",
    "_secret_key",
    "_token",
)


def _locals(function: object) -> tuple[str, ...]:
    code = _sdk._unwrapped(function).__code__  # type: ignore[union-attr]
    return code.co_varnames + code.co_cellvars


def test_send_request_has_the_locals_the_adapter_reads() -> None:
    """send_request still names its URL, reply, loop index and retry log as the adapter expects."""
    assert set(SEND_REQUEST_LOCALS) <= set(_locals(CosS3Client.__dict__[_sdk.SEND_REQUEST]))


def test_cos_config_has_the_attributes_the_adapter_reads() -> None:
    """CosConfig keeps the private attributes client_settings() reads."""
    config = CosConfig(Region="ap-guangzhou", SecretId="AKIDexample", SecretKey="example")
    missing = [name for name in CONFIG_ATTRIBUTES if not hasattr(config, name)]
    assert missing == []
    client = CosS3Client(config)
    assert _sdk.client_config(client) is config
    assert _sdk.client_retry(client) is not None


@pytest.mark.parametrize("name", [*_sdk.HELPER_METHODS, *_sdk.ERROR_REPLY_METHODS])
def test_every_patched_method_exists(name: str) -> None:
    """The methods install() patches are defined on CosS3Client itself."""
    assert name in vars(CosS3Client)


@pytest.mark.parametrize(
    ("method", "names"),
    [
        ("upload_file", ("pool", "uploadid", "parts_num")),
        ("upload_file_from_buffer", ("pool", "uploadid", "part_num")),
        ("copy", ("pool", "uploadid", "parts_num")),
        ("copy_object", ("rt",)),
        ("complete_multipart_upload", ("rt",)),
    ],
)
def test_helpers_have_the_locals_the_adapter_reads(method: str, names: tuple[str, ...]) -> None:
    """The helpers keep their pool, upload id and part count (and the raisers their reply) in locals."""
    assert set(names) <= set(_locals(vars(CosS3Client)[method]))


def test_the_thread_pool_worker_keeps_its_queue() -> None:
    """WorkerThread runs tasks from _task_queue, which keys the collected part failures."""
    worker = cos_threadpool.WorkerThread(cos_threadpool.Queue())
    assert hasattr(worker, "_task_queue")
    assert cos_client.SimpleThreadPool is cos_threadpool.SimpleThreadPool


def test_stream_body_has_the_methods_and_reply_the_adapter_reads() -> None:
    """StreamBody keeps its whole-body readers and its requests reply in _rt."""
    from qcloud_cos import streambody

    for name in _sdk.STREAM_METHODS:
        assert name in vars(streambody.StreamBody), name
    import requests

    reply = requests.Response()
    reply.headers["Content-Length"] = "0"
    reply.request = requests.Request("GET", "http://127.0.0.1/a.txt").prepare()
    assert _sdk.stream_reply(streambody.StreamBody(reply)) is reply


def test_the_select_event_stream_has_the_method_and_reply_the_adapter_reads() -> None:
    """select_object_content's EventStream raises from next_event and keeps its requests reply in _rt."""
    import importlib

    import requests

    stream_class = getattr(importlib.import_module(_sdk.SELECT_MODULE), _sdk.SELECT_CLASS)
    assert _sdk.SELECT_METHOD in vars(stream_class)
    assert _sdk.SELECT_OPERATION in vars(CosS3Client)
    reply = requests.Response()
    reply.request = requests.Request(
        "POST", "http://127.0.0.1/a.csv?select&select-type=2"
    ).prepare()
    stream = stream_class(reply)
    assert _sdk.is_event_stream(stream)
    assert _sdk.stream_reply(stream) is reply


@pytest.mark.parametrize("name", _sdk.BATCH_METHODS)
def test_batch_methods_exist(name: str) -> None:
    """The batch calls whose per-key errors are data are defined on CosS3Client."""
    assert name in vars(CosS3Client)


def test_the_sdk_exceptions_keep_the_state_the_adapter_reads() -> None:
    """CosServiceError keeps status, digest and body where service_error_state() reads them; CosClientError its message."""
    from qcloud_cos.cos_exception import CosClientError, CosServiceError

    body = "<Error><Code>NoSuchKey</Code><Message>m</Message><Resource>b/k</Resource><RequestId>r</RequestId></Error>"
    state = _sdk.service_error_state(CosServiceError("GET", body, 404))
    assert _sdk.is_service_error(CosServiceError("GET", body, 404))
    assert (state.status, state.digest["code"], state.body) == (404, "NoSuchKey", body)
    client_error = CosClientError("Read timed out.")
    assert not _sdk.is_service_error(client_error)
    assert _sdk.client_error_message(client_error) == "Read timed out."


@pytest.mark.parametrize("name", _sdk.SDK_LOGGERS)
def test_the_sdk_logs_through_the_loggers_the_filter_guards(name: str) -> None:
    """Each SDK module whose logger the secret filter guards logs through a logger of that name."""
    import importlib
    import logging

    module = importlib.import_module(name)
    assert isinstance(module.logger, logging.Logger)
    assert module.logger.name == name


_FAILURE_LEVELS = {"warning", "warn", "error", "exception", "critical"}


def _blocks(node: ast.AST) -> list[list[ast.stmt]]:
    """The statement lists directly inside ``node`` (bodies, else, finally, handlers' bodies)."""
    blocks = [
        getattr(node, name)
        for name in ("body", "orelse", "finalbody")
        if isinstance(getattr(node, name, None), list)
    ]
    blocks += [handler.body for handler in getattr(node, "handlers", [])]
    return [block for block in blocks if block and isinstance(block[0], ast.stmt)]


def _unraised_failure_records(node: ast.AST, enclosing_raise: bool) -> list[str]:
    """Failure-level logger calls not followed by a raise in their block or an enclosing one."""
    found = []
    for block in _blocks(node):
        for index, statement in enumerate(block):
            raised = enclosing_raise or any(
                isinstance(later, ast.Raise) for later in block[index + 1 :]
            )
            call = statement.value if isinstance(statement, ast.Expr) else None
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name)
                and call.func.value.id == "logger"
                and call.func.attr in _FAILURE_LEVELS
                and not raised
            ):
                found.append(ast.unparse(statement))
            # A loop's next statement is its next iteration, not what follows it.
            inner = raised and not isinstance(statement, (ast.For, ast.While))
            found += _unraised_failure_records(statement, inner)
    return found


def test_send_request_raises_after_every_failure_record_it_logs() -> None:
    """Each WARNING-or-higher record send_request logs is followed by a raise.

    cos_doctor holds such a record until its wrapper decides what to log (one record per
    failure); a record logged on a path that returns would wait for the next failure.
    """
    function = inspect.unwrap(CosS3Client.send_request)
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    assert any(isinstance(node, ast.Raise) for node in ast.walk(tree))  # the reader reads
    assert _unraised_failure_records(tree.body[0], enclosing_raise=False) == []
