"""The SDK's own checks: every literal message it raises has a rule, and the hook reaches them."""

from __future__ import annotations

import ast
import importlib
import io
import pathlib
import sys
import types
from typing import TYPE_CHECKING, Any

import pytest
import qcloud_cos
from qcloud_cos import CosConfig
from qcloud_cos.cos_exception import CosClientError
from structlog.testing import capture_logs

import cos_doctor

if TYPE_CHECKING:
    from collections.abc import Callable

    from qcloud_cos import CosS3Client

    from tests.replies import ReplyServer

_SDK_ROOT = pathlib.Path(qcloud_cos.__file__).parent
# A stand-in for each value the SDK formats into a message (a parameter name, a CRC).
_SAMPLE = "1234567890"


def _sample_message(node: ast.expr) -> str | None:
    """The message a raise site's first argument makes, formatted parts filled with a sample."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _sample_message(node.left), _sample_message(node.right)
        return None if left is None and right is None else (left or _SAMPLE) + (right or _SAMPLE)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
        and isinstance(node.func.value.value, str)
    ):
        return node.func.value.value.format(*[_SAMPLE] * len(node.args))
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else _SAMPLE for part in node.values
        )
    return None  # a variable: str(e) of a requests exception, diagnosed as a network failure


def _raise_sites() -> dict[str, list[str]]:
    """Every literal CosClientError message of the installed SDK, with where it is raised."""
    sites: dict[str, list[str]] = {}
    for path in sorted(_SDK_ROOT.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            function = node.exc.func
            name = function.id if isinstance(function, ast.Name) else None
            if name != "CosClientError" or not node.exc.args:
                continue
            message = _sample_message(node.exc.args[0])
            if message is not None:
                sites.setdefault(message, []).append(f"{path.name}:{node.lineno}")
    return sites


SITES = _raise_sites()
MESSAGES = sorted(SITES)


def test_the_enumeration_finds_the_sdks_raise_sites() -> None:
    """The installed SDK's raise sites are found (45 messages in 1.9.39, 47 in 1.9.44)."""
    assert len(MESSAGES) >= 45
    assert "Scheme can be only set to http/https" in SITES
    assert any(message.startswith("No Parameter Named 1234567890") for message in MESSAGES)


@pytest.mark.parametrize("message", MESSAGES, ids=MESSAGES)
def test_every_raise_site_message_has_a_specific_rule(message: str) -> None:
    """Each literal message the installed SDK raises is explained by a specific rule."""
    diagnosis = cos_doctor.diagnose(CosClientError(message))
    rule = next(rule for rule in _catalogue().rules if rule.id == diagnosis.rule_id)
    assert not rule.generic, f"{message!r} ({SITES[message]}) has no specific rule"
    assert rule.source  # every fact keeps a source a reviewer can open


def _catalogue() -> Any:
    from cos_doctor._knowledge.catalogue import catalogue

    return catalogue()


# ---------------------------------------------------------------------------------------------
# Through the hook: the real SDK refuses, cos_doctor diagnoses once

_GOOD = {"Region": "ap-guangzhou", "SecretId": "AKIDexample", "SecretKey": "secret-example"}


def _config(**changes: Any) -> Callable[[Any], object]:
    return lambda _client: CosConfig(**{**_GOOD, **changes})


# (what the user calls, the rule, a text the diagnosis's title must hold)
THROUGH_THE_SDK: list[tuple[str, Callable[[Any], object], str, str]] = [
    ("scheme", _config(Scheme="ftp"), "client-scheme-invalid", "'ftp'"),
    ("no-region", _config(Region=None), "client-region-endpoint-missing", "None"),
    ("region-chars", _config(Region="ap guangzhou"), "client-region-invalid", "'ap guangzhou'"),
    (
        "region-type",
        _config(Region=["ap-guangzhou"]),
        "client-region-not-string",
        "['ap-guangzhou']",
    ),
    ("secret-space", _config(SecretId=" AKIDexample"), "client-secret-whitespace", "space"),
    ("no-secret", _config(SecretKey=""), "client-credentials-missing", "SecretKey"),
    (
        "key-root",
        lambda c: c.get_object(Bucket="examplebucket-1250000000", Key="/"),
        "client-key-resolves-to-root",
        "'/'",
    ),
    (
        "key-dotdot",
        lambda c: c.get_object(Bucket="examplebucket-1250000000", Key="a/.."),
        "client-key-resolves-to-root",
        "'a/..'",
    ),
    (
        "key-empty",
        lambda c: c.head_object(Bucket="examplebucket-1250000000", Key=""),
        "client-key-empty",
        "''",
    ),
    ("bucket-empty", lambda c: c.head_bucket(Bucket=""), "client-bucket-empty", "empty"),
    (
        "bucket-chars",
        lambda c: c.head_bucket(Bucket="example bucket"),
        "client-bucket-name-invalid",
        "'example bucket'",
    ),
    (
        "bucket-type",
        lambda c: c.head_bucket(Bucket=1250000000),
        "client-bucket-not-string",
        "1250000000",
    ),
    (
        "versioning",
        lambda c: c.put_bucket_versioning(Bucket="examplebucket-1250000000", Status="On"),
        "client-versioning-status-invalid",
        "'On'",
    ),
    (
        "encoding-type",
        lambda c: c.list_objects(Bucket="examplebucket-1250000000", EncodingType="xml"),
        "client-encoding-type-invalid",
        "'xml'",
    ),
    (
        "copy-status",
        lambda c: c.copy_object(
            Bucket="examplebucket-1250000000",
            Key="b.txt",
            CopySource={
                "Bucket": "examplebucket-1250000000",
                "Key": "a.txt",
                "Region": "ap-guangzhou",
            },
            CopyStatus="Replace",
        ),
        "client-copy-status-invalid",
        "'Replace'",
    ),
    (
        "copy-source",
        lambda c: c.copy_object(
            Bucket="examplebucket-1250000000", Key="b.txt", CopySource={"bucket": "x", "Key": "a"}
        ),
        "client-copy-source-incomplete",
        "{Key, bucket}",
    ),
    (
        "policy-type",
        lambda c: c.put_bucket_policy(Bucket="examplebucket-1250000000", Policy=[1]),
        "client-policy-type-invalid",
        "list",
    ),
    (
        "unknown-kwarg",
        lambda c: c.put_object(
            Bucket="examplebucket-1250000000", Key="a.txt", Body=b"x", ContentTyp="text/plain"
        ),
        "client-unknown-parameter",
        "ContentTyp",
    ),
    (
        "not-utf8",
        lambda c: c.head_object(Bucket="examplebucket-1250000000", Key=b"\xff\xfe"),
        "client-not-utf8",
        "UTF-8",
    ),
    (
        "buffer-body",
        lambda c: c.upload_file_from_buffer(
            Bucket="examplebucket-1250000000", Key="a.txt", Body=b"x"
        ),
        "client-body-not-readable",
        "bytes",
    ),
    (
        "md5-type",
        lambda c: c.put_object(
            Bucket="examplebucket-1250000000", Key="a.txt", Body=iter([b"x"]), EnableMD5=True
        ),
        "client-body-type-md5",
        "list_iterator",
    ),
    (
        "multipart-list",
        lambda c: c.complete_multipart_upload(
            Bucket="examplebucket-1250000000",
            Key="a.txt",
            UploadId="1",
            MultipartUpload={"Part": [{"PartNumber": 1}]},
        ),
        "client-multipart-list-invalid",
        "Part",
    ),
]


@pytest.mark.parametrize(
    ("call", "rule_id", "shown"),
    [case[1:] for case in THROUGH_THE_SDK],
    ids=[case[0] for case in THROUGH_THE_SDK],
)
def test_the_hook_diagnoses_the_sdks_own_check_once(
    client: CosS3Client,
    installed: None,
    call: Callable[[Any], object],
    rule_id: str,
    shown: str,
) -> None:
    """A check the real SDK fails raises CosDiagnosedClientError naming the value, with one event."""
    with capture_logs() as events, pytest.raises(cos_doctor.CosDiagnosedClientError) as raised:
        call(client)
    diagnosis = raised.value.diagnosis
    assert diagnosis is not None
    assert (diagnosis.rule_id, len(events)) == (rule_id, 1)
    assert events[0]["cos_doctor.rule_id"] == rule_id
    assert shown in diagnosis.title
    assert raised.value.args[0] == raised.value._message
    assert raised.value.__traceback__ is not None
    assert raised.value.__traceback__.tb_frame.f_globals["__name__"] != "cos_doctor._hook.install"


def test_a_secret_the_sdk_refuses_is_never_shown(installed: None) -> None:
    """SecretKey with a trailing space is refused; the diagnosis and event never hold the key."""
    secret = "TOPSECRETkeyvalue123 "
    with capture_logs() as events, pytest.raises(cos_doctor.CosDiagnosedClientError) as raised:
        CosConfig(Region="ap-guangzhou", SecretId="AKIDexample", SecretKey=secret)
    diagnosis = raised.value.diagnosis
    assert diagnosis is not None
    assert "TOPSECRET" not in diagnosis.render()
    assert "TOPSECRET" not in repr(events)


def test_without_install_the_sdk_raises_its_own_error() -> None:
    """Before install() (and after uninstall()) a refused argument is the SDK's plain error."""
    for _ in range(2):
        with pytest.raises(CosClientError) as raised:
            CosConfig(**{**_GOOD, "Scheme": "ftp"})
        assert type(raised.value) is CosClientError
        cos_doctor.install()
        cos_doctor.uninstall()


def test_uninstall_restores_the_error_class_exactly() -> None:
    """install() wraps CosClientError.__init__ once; uninstall() puts back the same function."""
    original = CosClientError.__dict__["__init__"]
    cos_doctor.install()
    cos_doctor.install()
    wrapped = CosClientError.__dict__["__init__"]
    assert wrapped is not original
    assert wrapped.__wrapped__ is original
    cos_doctor.uninstall()
    assert CosClientError.__dict__["__init__"] is original


def test_an_error_made_outside_the_sdk_is_left_alone(installed: None) -> None:
    """A CosClientError the application makes itself is neither diagnosed nor logged."""
    with capture_logs() as events:
        error = CosClientError("Scheme can be only set to http/https")
    assert type(error) is CosClientError
    assert events == []


def test_a_network_failure_is_still_diagnosed_once_by_send_request(
    installed: None,
) -> None:
    """send_request's CosClientError(str(e)) is left to its wrapper: one event, network rule."""
    import socket

    from tests.conftest import make_client

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused = make_client(port)
    with capture_logs() as events, pytest.raises(cos_doctor.CosDiagnosedClientError) as raised:
        refused.head_object(Bucket="examplebucket-1250000000", Key="a.txt")
    assert raised.value.diagnosis is not None
    assert raised.value.diagnosis.rule_id == "client-connection-refused"
    assert len([event for event in events if event.get("cos_doctor.rule_id")]) == 1


def test_a_helper_call_reports_its_refused_argument_once(
    client: CosS3Client,
    installed: None,
) -> None:
    """upload_file with an empty Bucket: one diagnosis (the check's), one event, not two."""
    with capture_logs() as events, pytest.raises(cos_doctor.CosDiagnosedClientError) as raised:
        client.upload_file(Bucket="", Key="a.txt", LocalFilePath=__file__)
    assert raised.value.diagnosis is not None
    assert raised.value.diagnosis.rule_id == "client-bucket-empty"
    assert len(events) == 1


def test_an_unseekable_body_is_named(client: CosS3Client, installed: None) -> None:
    """A body whose seek() fails cannot carry Content-MD5: the rule says to pass a seekable one."""

    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.sent = False

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            if self.sent:
                return 0
            buffer[:1] = b"x"
            self.sent = True
            return 1

        def tell(self) -> int:
            return 0

        def __len__(self) -> int:  # the SDK sizes a body without fileno() by len()
            return 1

        def seek(self, offset: int, whence: int = 0) -> int:
            raise io.UnsupportedOperation(f"seek({offset}, {whence})")

    with pytest.raises(cos_doctor.CosDiagnosedClientError) as raised:
        client.put_object(
            Bucket="examplebucket-1250000000", Key="a.txt", Body=Pipe(), EnableMD5=True
        )
    assert raised.value.diagnosis is not None
    assert raised.value.diagnosis.rule_id == "client-body-unseekable-md5"
    assert "Pipe" in raised.value.diagnosis.title


# ---------------------------------------------------------------------------------------------
# The patch's composition guarantees hold for the check layer too


def test_a_foreign_wrapper_on_top_survives_uninstall_and_ours_passes_through() -> None:
    """Another wrapt layer over ours stays after uninstall(); ours then diagnoses nothing."""
    import wrapt

    original = CosClientError.__dict__["__init__"]
    calls: list[str] = []

    def foreign(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        calls.append("foreign")
        return wrapped(*args, **kwargs)

    cos_doctor.install()
    wrapt.wrap_function_wrapper(CosClientError, "__init__", foreign)
    try:
        with pytest.raises(cos_doctor.CosDiagnosedClientError):
            CosConfig(**{**_GOOD, "Scheme": "ftp"})  # both layers run, ours diagnoses
        cos_doctor.uninstall()
        assert CosClientError.__dict__["__init__"]._self_wrapper is foreign
        with pytest.raises(CosClientError) as raised:
            CosConfig(**{**_GOOD, "Scheme": "ftp"})
        assert type(raised.value) is CosClientError
        assert calls == ["foreign", "foreign"]
    finally:
        cos_doctor.uninstall()
        CosClientError.__init__ = original  # type: ignore[method-assign]


def test_checks_failing_in_many_threads_are_each_diagnosed_once(
    installed: None,
) -> None:
    """Eight threads refused at once: each gets its own diagnosis naming its own value."""
    import threading

    cos_doctor.install(storm_window=0)  # each failure its own event, none collapsed

    found: dict[int, str] = {}

    def refuse(number: int) -> None:
        try:
            CosConfig(**{**_GOOD, "Scheme": f"scheme{number}"})
        except cos_doctor.CosDiagnosedClientError as error:
            diagnosis = error.diagnosis
            found[number] = diagnosis.title if diagnosis is not None else ""

    with capture_logs() as events:
        threads = [threading.Thread(target=refuse, args=(number,)) for number in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert sorted(found) == list(range(8))
    assert all(f"'scheme{number}'" in title for number, title in found.items())
    assert len(events) == 8


def test_install_before_the_sdk_is_imported_reaches_its_checks() -> None:
    """install() before `import qcloud_cos`: CosConfig's own check is diagnosed after the import."""
    import subprocess
    import sys
    import textwrap

    script = """
        import sys
        import cos_doctor
        assert "qcloud_cos" not in sys.modules
        cos_doctor.install()
        from qcloud_cos import CosConfig
        try:
            CosConfig(Region="ap-guangzhou", SecretId="a", SecretKey="b", Scheme="ftp")
        except cos_doctor.CosDiagnosedClientError as error:
            print(error.diagnosis.rule_id)
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == "client-scheme-invalid"


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="POSIX fork only")
def test_a_forked_child_diagnoses_checks(installed: None) -> None:
    """In a child forked after install(), a refused argument is diagnosed there too."""
    import os
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads alive
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            CosConfig(**{**_GOOD, "Scheme": "ftp"})
        except cos_doctor.CosDiagnosedClientError as error:
            code = 0 if error.diagnosis is not None else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_successful_call_never_runs_the_check_layer(
    client: CosS3Client,
    replies: ReplyServer,
    installed: None,
) -> None:
    """A successful call makes no CosClientError, so the check layer adds nothing to it."""
    import wrapt

    from tests.replies import Reply

    original = CosClientError.__dict__["__init__"]
    made: list[str] = []

    def count(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        made.append("made")
        return wrapped(*args, **kwargs)

    wrapt.wrap_function_wrapper(CosClientError, "__init__", count)
    try:
        replies.reply = Reply(200, b"", {"ETag": '"d41d8cd98f00b204e9800998ecf8427e"'})
        client.head_object(Bucket="examplebucket-1250000000", Key="a.txt")
        client.put_object(Bucket="examplebucket-1250000000", Key="a.txt", Body=b"x")
        assert made == []
        with pytest.raises(CosClientError):
            client.head_object(Bucket="", Key="a.txt")
        assert made == ["made"]  # the counter sees a construction: it would have seen one
    finally:
        CosClientError.__init__ = original  # type: ignore[method-assign]


def _sdk_function_codes() -> dict[str, list[types.CodeType]]:
    """Every function and method of every module of the installed SDK, by name."""
    for path in sorted(_SDK_ROOT.glob("*.py")):
        importlib.import_module(
            "qcloud_cos" if path.stem == "__init__" else f"qcloud_cos.{path.stem}"
        )
    functions: dict[str, list[types.CodeType]] = {}
    for module in list(sys.modules.values()):
        if not getattr(module, "__name__", "").startswith("qcloud_cos"):
            continue
        for value in vars(module).values():
            for member in vars(value).values() if isinstance(value, type) else [value]:
                code = getattr(getattr(member, "__wrapped__", member), "__code__", None)
                if isinstance(code, types.CodeType):
                    functions.setdefault(code.co_name, []).append(code)
    return functions


def test_every_check_function_the_adapter_reads_exists_with_its_local() -> None:
    """Each check function named in _sdk/adapter.py that the installed SDK has holds its local.

    (A function newer SDKs added, such as cos_vectors_uri, is absent from older ones.)
    """
    from cos_doctor._sdk import adapter

    functions = _sdk_function_codes()
    checked = adapter._CHECKED
    missing = [
        f"{name}.{local}"
        for name, candidates in checked.items()
        for local, _argument, _word, _how in candidates
        if not local.startswith("^")  # read from the caller: the hook tests cover it
        and functions.get(name)
        and not any(local in code.co_varnames for code in functions[name])
    ]
    assert missing == []
    assert len([name for name in checked if name in functions]) >= len(checked) - 1
