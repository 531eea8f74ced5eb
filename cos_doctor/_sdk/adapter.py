"""The one place that knows the SDK's private names: attributes, locals and method names.

cos_doctor reads the state of ``qcloud_cos`` that the SDK never promised to keep: attributes of
``CosConfig`` (``_region``, ``_proxies``…), locals of ``CosS3Client.send_request`` (``url``,
``res``, the loop index ``j``…) and of the helpers that run parts in a thread pool. All of
those names are spelled here and nowhere else, so an SDK release that renames one breaks one
module (and its contract test, ``tests/test_sdk_contract.py``), not the product.

SDK frames are recognised by their code objects, collected from the SDK's classes when they are
patched, not by module name: a tracer's or the user's own wrapper between two SDK frames does
not hide them, and a reloaded SDK module registers its new code objects on re-patch.
"""

from __future__ import annotations

import sys
import threading
import types
import weakref
from itertools import repeat
from typing import TYPE_CHECKING, Any

from cos_doctor._record import frozen
from cos_doctor._redact import strip_userinfo, userinfo

if TYPE_CHECKING:
    from types import CodeType, FrameType

    from cos_doctor._pipeline.sources import ClientSettings

__all__ = [
    "CHECK_ERROR_CLASS",
    "CHECK_ERROR_INIT",
    "CHECK_ERROR_MODULE",
    "CLIENT_CLASS",
    "CLIENT_MODULE",
    "ERROR_REPLY_METHODS",
    "HELPER_METHODS",
    "POOL_MODULE",
    "SDK_LOGGERS",
    "SEND_REQUEST",
    "checked_argument",
    "client_error_message",
    "client_settings",
    "config_state",
    "configured_secret",
    "ensure_registered",
    "is_client_method",
    "is_event_stream",
    "is_pool_worker",
    "is_sdk_frame",
    "is_send_request",
    "is_service_error",
    "logs_failed_attempt",
    "proxy_credentials",
    "register_sdk_code",
    "reply_in_frame",
    "request_body",
    "service_error_state",
    "stack_role",
    "stream_reply",
]

#: The SDK module and class cos_doctor patches.
CLIENT_MODULE = "qcloud_cos.cos_client"
CLIENT_CLASS = "CosS3Client"
POOL_MODULE = "qcloud_cos.cos_threadpool"
#: Every SDK logger that can carry a secret: the signers and the client.
SDK_LOGGERS = ("qcloud_cos.cos_auth", "qcloud_cos.cos_client")
#: Every request goes through this method; it raises for 4xx/5xx replies and network errors.
SEND_REQUEST = "send_request"
#: Helpers that run many requests (parts in a SimpleThreadPool) and raise one summary error.
HELPER_METHODS = ("upload_file", "upload_file_from_buffer", "download_file", "copy")
#: Methods that raise CosServiceError themselves for an <Error> inside a 200 reply.
ERROR_REPLY_METHODS = ("copy_object", "complete_multipart_upload")
#: Methods that return per-key errors as data (a 200 reply listing what failed).
BATCH_METHODS = ("delete_objects",)
# delete_objects' result: {"Deleted": [...], "Error": [{"Key", "Code", "Message"}, ...]}
_BATCH_ERRORS = "Error"
_BATCH_DONE = "Deleted"


def batch_errors(result: Any) -> list[dict[str, str]]:
    """The per-key errors a batch call returned (empty when none, or not a batch result)."""
    if not isinstance(result, dict):
        return []
    errors = result.get(_BATCH_ERRORS)
    if isinstance(errors, dict):  # one error: the SDK's format_dict makes it a list, older not
        errors = [errors]
    return [item for item in errors or () if isinstance(item, dict)]


def batch_total(result: Any) -> int | None:
    """How many keys the batch reported on (deleted plus failed; quiet mode lists no deletions)."""
    if not isinstance(result, dict):
        return None
    done = result.get(_BATCH_DONE) or []
    return len(done if isinstance(done, list) else [done]) + len(batch_errors(result))


#: get_object's body: the methods that read it whole (to a file), once per object or part.
#: Not ``read`` or the iterators: a layer there would run once per chunk of the user's stream.
STREAM_MODULE = "qcloud_cos.streambody"
STREAM_CLASS = "StreamBody"
STREAM_METHODS = ("get_stream_to_file", "pget_stream_to_file")
_STREAM_REPLY = "_rt"  # the requests reply a StreamBody (or an EventStream) reads from
#: select_object_content's Payload: the SDK raises a CosServiceError from ``next_event`` for
#: an error message inside the stream (the reply itself was a 200), as the user iterates it.
SELECT_MODULE = "qcloud_cos.select_event_stream"
SELECT_CLASS = "EventStream"
SELECT_METHOD = "next_event"
SELECT_OPERATION = "select_object_content"

# Locals of send_request (SDK 1.9.x): what was asked, what came back, where the loop stopped.
_SEND_LOCALS = ("self", "method", "url", "bucket", "timeout", "kwargs", "res", "j")
_REPLY_LOCAL = "rt"  # what copy_object / complete_multipart_upload got from send_request
_RETRY_LOG = "exception_logbuf"  # one "url:…, retry_time:…, exception:…" line per failed try
# Locals of the helpers: the pool whose parts failed, the upload left behind, the part count.
_POOL_LOCAL = "pool"
_UPLOAD_ID_LOCALS = ("uploadid", "upload_id")
_PART_COUNT_LOCALS = ("parts_num",)
_DOWNLOAD_PARTS_LOCAL = "parts_need_to_download"

_lock = threading.Lock()
_send_request_codes: set[CodeType] = set()
_client_codes: set[CodeType] = set()
_worker_codes: set[CodeType] = set()
_registered: weakref.WeakSet[type] = weakref.WeakSet()
# A code object hashes by its contents, its tuples of constants and names rehashed on every
# lookup (about 1.5 µs for send_request's): what each one is, is kept by identity, for the
# current registration only. The entry holds the code object, so its id is never reused.
_SEND_REQUEST, _CLIENT_METHOD, _POOL_WORKER = 1, 2, 4
_code_kinds: dict[int, tuple[CodeType, int, int]] = {}
_CODE_KINDS_KEPT = 4096
_generation = 0


def ensure_registered() -> None:
    """Register the imported SDK's code objects if nobody has (diagnose() without install())."""
    module = sys.modules.get(CLIENT_MODULE)
    client_class = getattr(module, CLIENT_CLASS, None)
    if client_class is not None and client_class not in _registered:
        register_sdk_code(module)


def register_sdk_code(client_module: Any) -> None:
    """Remember the code objects of the SDK's client and pool classes (again after a reload)."""
    client_class = getattr(client_module, CLIENT_CLASS)
    codes = set(_function_codes(client_class))
    send = _unwrapped(client_class.__dict__.get(SEND_REQUEST))
    pool_module = getattr(client_module, "SimpleThreadPool", None)
    workers: set[CodeType] = set()
    pool_home = getattr(pool_module, "__module__", None)
    pool_source = sys.modules.get(pool_home or POOL_MODULE)
    worker_class = getattr(pool_source, "WorkerThread", None)
    if worker_class is not None:
        workers.update(_function_codes(worker_class))
    downloader = sys.modules.get("qcloud_cos.resumable_downloader")
    downloader_class = getattr(downloader, "ResumableDownLoader", None)
    if downloader_class is not None:
        codes.update(_function_codes(downloader_class))
    global _generation  # noqa: PLW0603 - answers about code objects before this are stale
    with _lock:
        if send is not None:
            _send_request_codes.add(send.__code__)
        _client_codes.update(codes)
        _worker_codes.update(workers)
        _registered.add(client_class)
        _generation += 1


def _code_kind(code: CodeType) -> int:
    """Which of the SDK's code objects ``code`` is (equal to): a set of the bits above."""
    entry = _code_kinds.get(id(code))
    if entry is not None and entry[0] is code and entry[2] == _generation:
        return entry[1]
    generation = _generation  # read first: a registration meanwhile makes this answer stale
    kind = (
        (_SEND_REQUEST if code in _send_request_codes else 0)
        | (_CLIENT_METHOD if code in _client_codes else 0)
        | (_POOL_WORKER if code in _worker_codes else 0)
    )
    if len(_code_kinds) >= _CODE_KINDS_KEPT:
        _code_kinds.clear()
    _code_kinds[id(code)] = (code, kind, generation)
    return kind


def _function_codes(cls: type) -> list[CodeType]:
    found = []
    for attribute in vars(cls).values():
        function = _unwrapped(attribute)
        if function is not None:
            found.append(function.__code__)
    return found


def _unwrapped(attribute: Any) -> types.FunctionType | None:
    """The plain function under any wrappers (wrapt proxies forward ``__wrapped__``)."""
    for _ in range(16):
        if type(attribute) is types.FunctionType:
            return attribute
        attribute = getattr(attribute, "__wrapped__", None)
        if attribute is None:
            return None
    return None


def is_send_request(frame: FrameType) -> bool:
    """Whether ``frame`` runs the SDK's own ``send_request`` (not a wrapper or an override)."""
    return bool(_code_kind(frame.f_code) & _SEND_REQUEST)


# send_request logs each failed attempt at DEBUG, in these words, before it retries.
_FAILED_ATTEMPT_LOG = "recv exception"


def logs_failed_attempt(message: object) -> bool:
    """Whether an SDK log message is ``send_request``'s record of a failed attempt."""
    return isinstance(message, str) and message.startswith(_FAILED_ATTEMPT_LOG)


def client_sending(frame: FrameType | None) -> Any:
    """The client whose ``send_request`` runs at ``frame`` or further down the stack, if any."""
    while frame is not None:
        if _code_kind(frame.f_code) & _SEND_REQUEST:
            return frame.f_locals.get("self")
        frame = frame.f_back
    return None


#: What :func:`stack_role` says of a frame.
OTHER_FRAME, SEND_REQUEST_FRAME, CLIENT_METHOD_FRAME = 0, 1, 2


def stack_role(frame: FrameType) -> int:
    """Whether ``frame`` runs the SDK's own ``send_request``, another client method, or neither."""
    code = frame.f_code
    entry = _code_kinds.get(id(code))  # _code_kind's answer when known: this runs per frame
    if entry is not None and entry[0] is code and entry[2] == _generation:
        kind = entry[1]
    else:
        kind = _code_kind(code)
    if kind & _SEND_REQUEST:
        return SEND_REQUEST_FRAME
    return CLIENT_METHOD_FRAME if kind & _CLIENT_METHOD else OTHER_FRAME


def is_client_method(frame: FrameType) -> bool:
    """Whether ``frame`` runs a method of the SDK's client (or its resumable downloader)."""
    return bool(_code_kind(frame.f_code) & _CLIENT_METHOD)


def is_pool_worker(frame: FrameType) -> bool:
    """Whether ``frame`` runs the SDK's thread-pool worker loop."""
    return bool(_code_kind(frame.f_code) & _POOL_WORKER)


# ---------------------------------------------------------------------------------------------
# send_request's locals


@frozen
class SendRequestLocals:
    """What ``send_request`` held when it raised or returned (None when not there)."""

    client: Any
    method: str | None
    url: str | None
    bucket: str | None
    timeout: Any
    headers: Any
    response: Any
    attempt_index: int | None
    retry_log: tuple[str, ...]
    params: Any = None


def send_request_locals(frame: FrameType) -> SendRequestLocals:
    """Read ``send_request``'s locals from its live frame."""
    local = frame.f_locals
    kwargs = local.get("kwargs") or {}
    log = local.get(_RETRY_LOG) or ()
    index = local.get("j")
    return SendRequestLocals(
        client=local.get("self"),
        method=_str_or_none(local.get("method")),
        url=_str_or_none(local.get("url")),
        bucket=_str_or_none(local.get("bucket")),
        timeout=local.get("timeout"),
        headers=kwargs.get("headers") if isinstance(kwargs, dict) else None,
        response=local.get("res"),
        attempt_index=index if isinstance(index, int) else None,
        retry_log=tuple(map(str, log)),
        params=kwargs.get("params") if isinstance(kwargs, dict) else None,
    )


def request_body(frame: FrameType) -> Any:
    """The body ``send_request`` was given to send (its ``data=``), if any."""
    kwargs = frame.f_locals.get("kwargs")
    return kwargs.get("data") if isinstance(kwargs, dict) else None


def reply_in_frame(frame: FrameType) -> Any:
    """The reply a client method got back from send_request (its ``rt`` local), if any."""
    reply = frame.f_locals.get(_REPLY_LOCAL)
    return reply if hasattr(reply, "status_code") and hasattr(reply, "request") else None


def stream_reply(stream: Any) -> Any:
    """The ``requests`` reply a ``StreamBody`` reads from (None for anything else)."""
    reply = getattr(stream, _STREAM_REPLY, None)
    return reply if hasattr(reply, "request") else None


def is_event_stream(value: Any) -> bool:
    """Whether ``value`` is select_object_content's ``EventStream``."""
    stream_class = getattr(sys.modules.get(SELECT_MODULE), SELECT_CLASS, None)
    return stream_class is not None and isinstance(value, stream_class)


def client_config(client: Any) -> Any:
    """The ``CosConfig`` of a client (None for anything else)."""
    return getattr(client, "_conf", None)


def client_retry(client: Any) -> int | None:
    """How many times the client retries a failed request (``CosS3Client(retry=…)``)."""
    value = getattr(client, "_retry", None)
    return value if isinstance(value, int) else None


def is_client(value: Any) -> bool:
    """Whether ``value`` looks like a ``CosS3Client`` (it has a config)."""
    return hasattr(value, "_conf")


# ---------------------------------------------------------------------------------------------
# The SDK's exceptions: CosServiceError keeps the reply in private attributes


@frozen
class ServiceErrorState:
    """What a ``CosServiceError`` kept of the reply: status, parsed digest and raw body."""

    status: Any = None
    digest: Any = None  # the parsed error dict, or the reply's headers when it had no body
    body: str = ""


def is_service_error(error: object) -> bool:
    """Whether ``error`` carries a COS reply (a CosServiceError), not a client-side failure."""
    return isinstance(error, BaseException) and hasattr(error, "_status_code")


def service_error_state(error: Any) -> ServiceErrorState:
    """Read a ``CosServiceError``'s ``_status_code``, ``_digest_msg`` and ``_origin_msg``."""
    body = getattr(error, "_origin_msg", "")
    if isinstance(body, bytes):  # an <Error> inside a 200 reply: the SDK passes the bytes
        body = body.decode("utf-8", "replace")
    return ServiceErrorState(
        status=getattr(error, "_status_code", None),
        digest=getattr(error, "_digest_msg", None),
        body=body if isinstance(body, str) else "",
    )


def client_error_message(error: Any) -> str | None:
    """A ``CosClientError``'s message as the SDK stored it (``_message``), if it is text."""
    message = getattr(error, "_message", None)
    return message if isinstance(message, str) else None


# ---------------------------------------------------------------------------------------------
# CosConfig


def client_settings(config: Any, client: Any = None) -> ClientSettings:
    """Read ``CosConfig``'s private attributes into a :class:`ClientSettings`."""
    from cos_doctor._pipeline.sources import ClientSettings  # deferred: failures only

    if config is None:
        return ClientSettings(retry=client_retry(client))
    proxies = getattr(config, "_proxies", None)
    timeout = getattr(config, "_timeout", None)
    return ClientSettings(
        region=_str_or_none(getattr(config, "_region", None)),
        endpoint=_str_or_none(getattr(config, "_endpoint", None)),
        domain=_str_or_none(getattr(config, "_domain", None)),
        ip=_str_or_none(getattr(config, "_ip", None)),
        scheme=_str_or_none(getattr(config, "_scheme", None)),
        verify_ssl=getattr(config, "_verify_ssl", None),
        proxies=_proxy_items(proxies),
        timeout=timeout if isinstance(timeout, (int, float)) else None,
        retry=client_retry(client),
        auto_switch_domain=_bool_or_none(getattr(config, "_auto_switch_domain_on_retry", None)),
    )


# What client_settings() and configured_secret() read: the same values give the same records.
_CONFIG_READ = (
    "_region",
    "_endpoint",
    "_domain",
    "_ip",
    "_scheme",
    "_verify_ssl",
    "_timeout",
    "_auto_switch_domain_on_retry",
    "_secret_id",
    "_secret_key",
    "_token",
)


def config_state(config: Any, client: Any) -> tuple[Any, ...] | None:
    """Everything the client's records are read from, as one hashable value; None if it is not.

    A ``CredentialInstance`` (refreshed keys) is read through, as :func:`configured_secret` does.
    """
    if config is None:
        return None
    proxies = getattr(config, "_proxies", None)
    state = (
        # map() reads them in C: a generator here resumes once per attribute, per failure
        *map(getattr, repeat(config), _CONFIG_READ, repeat(None)),
        tuple(proxies.items()) if isinstance(proxies, dict) else proxies,
        client_retry(client),
        *(
            (configured_secret(config, name) for name in ("secret_id", "secret_key", "token"))
            if getattr(config, "_credential_inst", None) is not None
            else ()
        ),
    )
    try:
        hash(state)
    except TypeError:
        return None
    return state


def configured_secret(config: Any, name: str) -> str | None:
    """The configured ``secret_id`` or ``secret_key`` (read by evidence; never shown)."""
    if config is None:
        return None
    value = getattr(config, f"_{name}", None)
    if not value:  # a CredentialInstance refreshes keys instead of fixing them
        value = getattr(getattr(config, "_credential_inst", None), name, None)
    return str(value) if value else None


def _proxy_items(proxies: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(proxies, dict):
        return ()
    return tuple(sorted((str(scheme), strip_userinfo(str(url))) for scheme, url in proxies.items()))


def proxy_credentials(config: Any) -> tuple[str, ...]:
    """The ``user:password`` parts of the configured proxy URLs (secrets to redact, never shown)."""
    proxies = getattr(config, "_proxies", None) if config is not None else None
    if not isinstance(proxies, dict):
        return ()
    return tuple(found for url in proxies.values() if (found := userinfo(str(url))))


# ---------------------------------------------------------------------------------------------
# The helpers' locals


@frozen
class HelperLocals:
    """What a many-request helper held when it gave up."""

    pool_queue: Any = None
    upload_id: str | None = None
    part_count: int | None = None


def helper_locals(frames: list[FrameType]) -> HelperLocals:
    """Find the thread pool, upload id and part count in the frames of a failed helper."""
    queue = None
    upload_id = None
    count = None
    for frame in frames:
        local = frame.f_locals
        pool = local.get(_POOL_LOCAL)
        if pool is not None and hasattr(pool, "_queue"):
            queue = pool._queue  # noqa: SLF001 - the SDK pool's queue keys the part failures
        for name in _UPLOAD_ID_LOCALS:
            if isinstance(local.get(name), str):
                upload_id = local[name]
        for name in _PART_COUNT_LOCALS:
            if isinstance(local.get(name), int):
                count = local[name]
        parts = local.get(_DOWNLOAD_PARTS_LOCAL)
        if isinstance(parts, list):
            count = len(parts)
        if frame.f_code.co_name == "upload_file_from_buffer" and isinstance(
            local.get("part_num"),
            int,
        ):
            count = local["part_num"] - 1  # the loop counted one past the last part
    return HelperLocals(pool_queue=queue, upload_id=upload_id, part_count=count)


def worker_queue(frame: FrameType) -> Any:
    """The task queue of the SDK pool worker running in ``frame``."""
    worker = frame.f_locals.get("self")
    return getattr(worker, "_task_queue", None)


def _str_or_none(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value if isinstance(value, str) and value else None


def _bool_or_none(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


# ---------------------------------------------------------------------------------------------
# The SDK's own checks: the CosClientError it raises for an argument or setting it refuses

#: The SDK's CosClientError, whose construction cos_doctor patches: it runs only when the SDK
#: refuses something (or a request failed), never on a successful call.
CHECK_ERROR_MODULE = "qcloud_cos.cos_exception"
CHECK_ERROR_CLASS = "CosClientError"
CHECK_ERROR_INIT = "__init__"
_SDK_PACKAGE = "qcloud_cos"

# What a check function holds when it raises: (local, argument as the user passes it, word in
# the message that says this local is the one refused ("" for any), how to show the value).
# Secrets are never read: CosConfig.__init__, convert_secret_value, to_unicode and to_bytes
# (which also convert SecretId / SecretKey / Token) show no value.
_SHOW_VALUE, _SHOW_TYPE, _SHOW_KEYS, _SHOW_SIZE = "value", "type", "keys", "size"
_CHECKED: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "format_region": (("region", "Region", "", _SHOW_VALUE),),
    "format_endpoint": (("region", "Region", "", _SHOW_VALUE),),
    "format_bucket": (
        ("appid", "Appid", "appid", _SHOW_TYPE),
        ("bucket", "Bucket", "", _SHOW_VALUE),
    ),
    "format_path": (("path", "Key", "", _SHOW_VALUE),),
    # path_simplify_check rebinds ``path`` to the merged path: the Key is read from its caller.
    "path_simplify_check": (("^Key", "Key", "", _SHOW_VALUE),),
    "uri": (("path", "Key", "", _SHOW_VALUE),),
    "cos_vectors_uri": (("path", "path", "path", _SHOW_VALUE),),
    "get_content_md5": (("body", "Body", "", _SHOW_TYPE),),
    "check_object_content_length": (("content_len", "Body", "", _SHOW_SIZE),),
    "get_copy_source_info": (("CopySource", "CopySource", "", _SHOW_KEYS),),
    "dict_to_xml": (("data", "MultipartUpload", "", _SHOW_KEYS),),
    "copy_object": (("CopyStatus", "CopyStatus", "copystatus", _SHOW_VALUE),),
    "put_bucket_versioning": (("Status", "Status", "", _SHOW_VALUE),),
    "put_bucket_policy": (("Policy", "Policy", "", _SHOW_TYPE),),
    "put_vector_bucket_policy": (("Policy", "Policy", "", _SHOW_TYPE),),
    "upload_file_from_buffer": (("Body", "Body", "read", _SHOW_TYPE),),
    "put_live_channel_switch": (("Switch", "Switch", "", _SHOW_VALUE),),
    "get_vod_playlist": (
        ("StartTime", "StartTime", "", _SHOW_VALUE),
        ("EndTime", "EndTime", "", _SHOW_VALUE),
    ),
    "post_vod_playlist": (
        ("PlaylistName", "PlaylistName", "playlistname", _SHOW_VALUE),
        ("StartTime", "StartTime", "", _SHOW_VALUE),
        ("EndTime", "EndTime", "", _SHOW_VALUE),
    ),
    "__init__": (("Scheme", "Scheme", "scheme", _SHOW_VALUE),),  # CosConfig's: Scheme only
}
# Methods whose EncodingType must be "url" (list_objects, list_objects_versions, …).
_ENCODING_TYPE = ("EncodingType", "EncodingType", "encodingtype", _SHOW_VALUE)
_SHOWN_LENGTH = 120


def is_sdk_frame(frame: FrameType | None) -> bool:
    """Whether ``frame`` runs the SDK's own code (a module of the ``qcloud_cos`` package)."""
    if frame is None:
        return False
    name = frame.f_globals.get("__name__")
    return isinstance(name, str) and name.split(".", 1)[0] == _SDK_PACKAGE


def checked_argument(frame: FrameType, message: str) -> tuple[str, str | None] | None:
    """The argument an SDK check refused at ``frame``, and its value shown (None: not shown).

    None when the frame is not a known check (the message alone then says what failed).
    """
    local = frame.f_locals
    candidates = _CHECKED.get(frame.f_code.co_name, ())
    if "EncodingType" in local:
        candidates = (*candidates, _ENCODING_TYPE)
    folded = message.lower()
    for name, argument, word, how in candidates:
        if word and word not in folded:
            continue
        held, local_name = local, name
        if name.startswith("^"):  # a local of the caller's frame
            local_name = name[1:]
            held = frame.f_back.f_locals if frame.f_back is not None else {}
        if local_name in held:
            return argument, _shown(held[local_name], how)
    return None


def _shown(value: Any, how: str) -> str:
    if how == _SHOW_TYPE:
        return type(value).__name__
    if how == _SHOW_KEYS:
        keys = sorted(str(key) for key in value) if isinstance(value, dict) else None
        return type(value).__name__ if keys is None else "{" + ", ".join(keys) + "}"
    if how == _SHOW_SIZE:
        return f"{value} bytes" if isinstance(value, int) else repr(value)
    text = repr(value)
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 1] + "…"
