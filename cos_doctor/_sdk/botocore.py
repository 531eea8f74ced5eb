"""The one place that knows botocore's private names, and reads a failed botocore call.

cos_doctor patches ``botocore.client.BaseClient._make_api_call`` (every boto3 / botocore
call funnels through it and raises ``ClientError`` for an error reply, after botocore's own
retries). On failure only, it reads the client (``meta``, the request signer's credentials and
signature version) and the locals of the ``_make_api_call`` frame in the traceback
(``request_dict``: the URL and headers sent; ``http``: the reply, its raw body;
``api_params``: ``Bucket``/``Key``). It also patches the readers of
``botocore.response.StreamingBody`` (a GetObject's ``Body``, read after the call returned);
when one fails it reads the body's urllib3 response (``_raw_stream``: its headers, its pool's
scheme, host and port, the path in ``_request_url``). Those names are spelled here and nowhere
else; contract tests pin them against the installed botocore and urllib3
(``tests/test_botocore_hook.py``, ``integration/test_boto3_client_failures.py``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote, urlsplit

from cos_doctor._redact import strip_userinfo

if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import FrameType, TracebackType

    from cos_doctor._pipeline.botocore_seen import BotocoreSeen
    from cos_doctor._pipeline.context import RequestContext
    from cos_doctor._pipeline.sources import SecretsSeen

__all__ = [
    "API_CALL",
    "CLIENT_CLASS",
    "CLIENT_MODULE",
    "COS_DOMAINS",
    "STREAM_CLASS",
    "STREAM_MODULE",
    "STREAM_READERS",
    "StreamReply",
    "client_error_class",
    "client_failure_classes",
    "context_from_client_error",
    "context_from_client_failure",
    "context_from_stream_failure",
    "is_botocore_failure",
    "is_cos_endpoint",
    "is_cos_failure",
    "is_cos_stream",
    "read_by_transfer_manager",
    "stream_failure_classes",
    "stream_reply",
    "streaming_body_class",
]

#: The module, class and method cos_doctor patches.
CLIENT_MODULE = "botocore.client"
CLIENT_CLASS = "BaseClient"
API_CALL = "_make_api_call"
#: The streamed reply body (a GetObject's ``Body``) and the readers of it cos_doctor wraps: every
#: other reader (``iter_chunks``, ``iter_lines``, iteration) calls ``read``.
STREAM_MODULE = "botocore.response"
STREAM_CLASS = "StreamingBody"
STREAM_READERS = ("read", "readinto")
#: botocore's exceptions of a request that got no reply, and of a streamed body that broke.
_EXCEPTIONS_MODULE = "botocore.exceptions"
_CLIENT_FAILURES = ("HTTPClientError", "ConnectionError")
_STREAM_FAILURES = ("HTTPClientError", "IncompleteReadError")
#: boto3's transfer manager (``download_file``…): it retries a part whose body breaks itself.
_TRANSFER_PACKAGE = "s3transfer"
#: What a COS bucket name ``<name>-<APPID>`` is made of (path-style URLs start with it).
_BUCKET_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
#: COS's own domains: a request to a host under one of them is COS's.
COS_DOMAINS = ("myqcloud.com", "tencentcos.cn")
# Integrity headers botocore adds (1.36+: a CRC32 checksum in a header or an aws-chunked trailer).
_CHECKSUM_HEADERS = ("x-amz-checksum-", "x-amz-trailer", "x-amz-sdk-checksum-algorithm")
_CHUNKED = "aws-chunked"


def client_error_class() -> type[BaseException]:
    """Return botocore's ``ClientError`` (imported by then: botocore is what is patched)."""
    from botocore.exceptions import ClientError

    error_class: type[BaseException] = ClientError
    return error_class


def client_failure_classes() -> tuple[type[BaseException], ...]:
    """The botocore exceptions of a request that got no reply (httpsession.py wraps urllib3's).

    ``HTTPClientError`` covers reset / closed, read timeouts and a reply body that broke while
    botocore read it; ``ConnectionError``: DNS, refused, connect timeouts, TLS and proxies. A
    streamed body breaking later (``IncompleteReadError``…) is read outside the call.
    """
    return _exception_classes(_CLIENT_FAILURES)


def streaming_body_class() -> type:
    """The ``StreamingBody`` class of botocore (imported by ``botocore.client`` already)."""
    import importlib

    body_class: type = getattr(importlib.import_module(STREAM_MODULE), STREAM_CLASS)
    return body_class


def stream_failure_classes() -> tuple[type[BaseException], ...]:
    """What a streamed body's read raises when the reply breaks.

    ``ResponseStreamingError`` and ``ReadTimeoutError`` (both ``HTTPClientError``s), and
    ``IncompleteReadError`` (fewer bytes than the Content-Length, found after the last read).
    """
    return _exception_classes(_STREAM_FAILURES)


def _exception_classes(names: tuple[str, ...]) -> tuple[type[BaseException], ...]:
    import importlib

    exceptions = importlib.import_module(_EXCEPTIONS_MODULE)
    return tuple(getattr(exceptions, name) for name in names)


def is_botocore_failure(error: object) -> bool:
    """Whether ``error`` is one of botocore's failure classes above (botocore is not imported).

    diagnose() asks it of anything it is handed: by the classes' module and names, so a process
    that never imported botocore does not import it to answer no.
    """
    names = {*_CLIENT_FAILURES, *_STREAM_FAILURES}
    return isinstance(error, BaseException) and any(
        kind.__module__ == _EXCEPTIONS_MODULE and kind.__name__ in names
        for kind in type(error).__mro__
    )


def read_by_transfer_manager(frame: FrameType | None) -> bool:
    """Whether s3transfer (boto3's ``download_file``…) is on the stack.

    It retries a download whose body breaks, up to ``TransferConfig(num_download_attempts=…)``
    times, and reports when it gives up.
    """
    for _ in range(256):
        if frame is None:
            return False
        name = frame.f_globals.get("__name__", "")
        if name == _TRANSFER_PACKAGE or name.startswith(f"{_TRANSFER_PACKAGE}."):
            return True
        frame = frame.f_back
    return False


class StreamReply(NamedTuple):
    """What a streamed body's urllib3 response kept of its reply: headers, and the URL."""

    headers: dict[str, str]
    url: str | None


def is_cos_stream(reply: StreamReply, custom_domains: Iterable[str]) -> bool:
    """Whether a streamed body is COS's: its reply's headers, else its host's domain."""
    if _answered_by_cos(reply.headers):
        return True
    host = urlsplit(reply.url).hostname if reply.url else None
    return is_cos_host(host, (*COS_DOMAINS, *custom_domains))


def stream_reply(body: Any) -> StreamReply:
    """The reply headers of a streamed body and the URL it came from, as urllib3 kept them.

    urllib3 2 keeps the request's path (or, through a proxy, the whole URL) in
    ``_request_url``; urllib3 1.26 under botocore keeps none: the URL is then the host's root.
    """
    raw = getattr(body, "_raw_stream", None)
    headers = _text_headers(getattr(raw, "headers", None))
    path = _str_or_none(getattr(raw, "_request_url", None)) or "/"
    if "://" in path:
        return StreamReply(headers, path)
    pool = getattr(raw, "_pool", None)  # the connection pool: scheme, host and port
    host = getattr(pool, "host", None)
    if not isinstance(host, str) or not host:
        return StreamReply(headers, None)
    scheme = getattr(pool, "scheme", None)
    scheme = scheme if scheme in {"http", "https"} else "https"
    port = getattr(pool, "port", None)
    default = {"http": 80, "https": 443}[scheme]
    shown = f":{port}" if isinstance(port, int) and port != default else ""
    return StreamReply(headers, f"{scheme}://{host}{shown}/{path.lstrip('/')}")


def is_cos_endpoint(client: Any, custom_domains: Iterable[str]) -> bool:
    """Whether the client's endpoint is a COS (or configured) domain: no reply to ask."""
    host = urlsplit(str(getattr(getattr(client, "meta", None), "endpoint_url", "") or "")).hostname
    return is_cos_host(host, (*COS_DOMAINS, *custom_domains))


def is_cos_failure(error: Any, client: Any, custom_domains: Iterable[str]) -> bool:
    """Whether COS answered: its own reply headers, or a COS (or configured) endpoint domain."""
    return _answered_by_cos(_reply_headers(error)) or is_cos_endpoint(client, custom_domains)


def _answered_by_cos(headers: dict[str, str]) -> bool:
    """COS's own reply headers (lowercased names): its request ID, or its Server name."""
    return "x-cos-request-id" in headers or headers.get("server", "").lower() == "tencent-cos"


def is_cos_host(host: str | None, domains: Iterable[str]) -> bool:
    """Whether ``host`` is one of ``domains`` or under one of them."""
    if not host:
        return False
    host = host.lower().rstrip(".")
    return any(host == domain or host.endswith(f".{domain}") for domain in domains)


def _reply_headers(error: Any) -> dict[str, str]:
    response = getattr(error, "response", None)
    metadata = response.get("ResponseMetadata", {}) if isinstance(response, dict) else {}
    headers = metadata.get("HTTPHeaders", {}) if isinstance(metadata, dict) else {}
    return {str(name).lower(): str(value) for name, value in dict(headers).items()}


class _CallSeen(NamedTuple):
    """What both readers take from a failed call: its frame's locals and its client."""

    client: Any  # None when neither the hook nor the call's frame holds it
    request: dict[str, Any]  # request_dict: the URL, method and headers before signing
    url: str | None
    method: str | None
    bucket: str | None
    key: str | None
    meta: Any
    config: Any
    secrets: SecretsSeen
    copy_source: tuple[str, str] | None

    def seen(self, **more: Any) -> BotocoreSeen:
        """The BotocoreSeen fields every failure has, and ``more``."""
        from cos_doctor._pipeline.botocore_seen import BotocoreSeen

        client = self.client
        credentials = _credentials(client)
        region_name = getattr(self.meta, "region_name", None)
        return BotocoreSeen(
            version=_botocore_version(),
            endpoint_url=getattr(self.meta, "endpoint_url", None),
            addressing_style=_addressing_style(self.url, self.bucket),
            addressing_style_configured=_configured_addressing(self.config),
            signature_version=_signature_version(client, self.config),
            region=region_name if isinstance(region_name, str) else None,
            credential_provider=_text(getattr(credentials, "method", None)),
            credential_kind=_credential_kind(client, self.secrets),
            access_key_id=self.secrets.secret_id,
            copy_source=self.copy_source,
            **more,
        )


def _call_seen(found: dict[str, Any], client: Any) -> _CallSeen:
    """Read the ``_make_api_call`` frame's locals (``found``) and the client.

    ``client`` is the hook's; diagnose() has none and reads the frame's ``self``, the client
    whose method raised, while the exception's traceback still holds that frame.
    """
    if client is None:
        client = found.get("self")
    request = _mapping(found.get("request_dict"))
    params = _mapping(found.get("api_params"))
    meta = getattr(client, "meta", None)
    return _CallSeen(
        client=client,
        request=request,
        url=_str_or_none(request.get("url")),
        method=_str_or_none(request.get("method")),
        bucket=_str_or_none(params.get("Bucket")),
        key=_str_or_none(params.get("Key")),
        meta=meta,
        config=getattr(meta, "config", None),
        secrets=_secrets(_credentials(client)),
        copy_source=_copy_source(params.get("CopySource")),
    )


def _copy_source(value: Any) -> tuple[str, str] | None:
    """(bucket, key) of a copy's CopySource: a dict, or the "<bucket>/<quoted key>" text.

    botocore turns the dict into the quoted text before the call's frame holds it
    (handlers.py handle_copy_source_param), with "?versionId=…" after the key.
    """
    if isinstance(value, dict):
        bucket, key = value.get("Bucket"), value.get("Key")
    elif isinstance(value, str):
        text, _, _ = value.lstrip("/").partition("?versionId=")
        bucket, _, key = unquote(text).partition("/")
    else:
        return None
    if isinstance(bucket, str) and isinstance(key, str) and bucket and key:
        return bucket, key
    return None


def _message(error: Any) -> str:
    """The message botocore made: its args[0] (str() of the diagnosed copy adds the fix)."""
    args = getattr(error, "args", ())
    return args[0] if args and isinstance(args[0], str) else str(error)


def _credentials(client: Any) -> Any:
    return getattr(getattr(client, "_request_signer", None), "_credentials", None)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def context_from_client_error(error: Any, client: Any) -> RequestContext:
    """The pipeline's context of a ``ClientError`` a botocore client raised."""
    import dataclasses

    from cos_doctor._pipeline.context import merge
    from cos_doctor._pipeline.sources import (
        CallArguments,
        ClientConfig,
        ClientSettings,
        Hints,
        RequestSent,
        read_reply,
    )

    response = error.response if isinstance(getattr(error, "response", None), dict) else {}
    metadata = response.get("ResponseMetadata") or {}
    frame = _api_call_frame(error.__traceback__)
    found = frame.f_locals if frame is not None else {}
    call = _call_seen(found, client)
    reply_body = getattr(found.get("http"), "content", b"")
    body = reply_body.decode("utf-8", "replace") if isinstance(reply_body, bytes) else ""
    status = metadata.get("HTTPStatusCode")
    reply = read_reply(
        status=status if isinstance(status, int) else None,
        digest=None if body else response.get("Error"),
        body=body,
        headers=_reply_headers(error),
        live=True,
    )
    # Headers as botocore had them before signing: the signature and any header a before-sign
    # handler added are not among them, so they feed botocore's own evidence only.
    sent_headers = _text_headers(call.request.get("headers"))
    attempts = metadata.get("RetryAttempts")
    operation = _method_name(getattr(error, "operation_name", None))
    # COS takes its region from the endpoint's host, never from region_name (COS's guide to
    # S3-compatible tools: Region "Default"/"Auto"): the context reads it from the URL.
    settings = ClientSettings(
        endpoint=getattr(call.meta, "endpoint_url", None),
        retry=_retry_limit(call.config),
    )
    context = merge(
        reply=reply,
        call=CallArguments(
            chain=(operation,) if operation else (), key=call.key, bucket=call.bucket
        ),
        config=ClientConfig(settings=settings, secrets=call.secrets),
        sent=RequestSent(
            method=call.method,
            url=call.url,
            bucket=call.bucket,  # no headers: those seen are unsigned (see above); retries: below
        ),
        hints=Hints(operation=operation),
        live=True,
    )
    seen = call.seen(
        request_checksum_calculation=_text(
            getattr(call.config, "request_checksum_calculation", None)
        ),
        response_checksum_validation=_text(
            getattr(call.config, "response_checksum_validation", None)
        ),
        checksum_headers=_checksum_headers(sent_headers),
        retry_attempts=attempts if isinstance(attempts, int) else None,
        max_attempts_reached=_flag(metadata.get("MaxAttemptsReached")),
    )
    # The key is Key= alone (a path-style path starts with the bucket); a path-style request
    # to COS's own domain names the virtual-hosted host the fix steps should use.
    fills = dict(context.fills)
    host = urlsplit(call.url).hostname if call.url else None
    if seen.addressing_style == "path" and call.bucket and is_cos_host(host, COS_DOMAINS):
        fills["endpoint"] = f"{call.bucket}.{host}"
    return dataclasses.replace(context, botocore=seen, key=call.key, fills=fills)


def context_from_client_failure(error: Any, client: Any) -> RequestContext:
    """The pipeline's context of botocore's exception for a request that got no reply.

    Classified as the COS SDK's ``CosClientError`` is: by the classes and words along the
    chain, where urllib3's exception (botocore raises its own while handling it, so it is the
    ``__context__``, also kept as ``kwargs['error']``) says what failed. No ClientSettings:
    the SDK's facts about them are worded for CosConfig, which a boto3 user does not have.
    """
    import dataclasses

    from cos_doctor._pipeline.client_context import exception_seen
    from cos_doctor._pipeline.context import merge
    from cos_doctor._pipeline.sources import (
        CallArguments,
        ClientConfig,
        ClientSettings,
        Hints,
        RequestSent,
    )

    frame = _api_call_frame(error.__traceback__)
    found = frame.f_locals if frame is not None else {}
    call = _call_seen(found, client)
    sent = RequestSent(method=call.method, url=call.url, bucket=call.bucket)
    operation = _method_name(found.get("operation_name"))
    context = merge(
        call=CallArguments(
            chain=(operation,) if operation else (), key=call.key, bucket=call.bucket
        ),
        config=ClientConfig(settings=ClientSettings(), secrets=call.secrets),
        sent=sent,
        exception=exception_seen(error, _message(error), sent),
        hints=Hints(operation=operation),
        live=True,
    )
    seen = call.seen(
        # botocore reads a reply's body inside the call, unless the operation streams it; a
        # streamed body's failure handed to diagnose() has no call frame: when it was read is
        # not known then.
        body_read="in-call"
        if context.client_failure == "body-interrupted" and frame is not None
        else None,
        connect_timeout=_seconds(getattr(call.config, "connect_timeout", None)),
        read_timeout=_seconds(getattr(call.config, "read_timeout", None)),
        proxies=tuple(
            f"{scheme}={strip_userinfo(str(url))}"
            for scheme, url in _mapping(getattr(call.config, "proxies", None)).items()
        ),
    )
    return dataclasses.replace(context, settings=None, botocore=seen, key=call.key)


def context_from_stream_failure(error: Any, reply: StreamReply) -> RequestContext:
    """The pipeline's context of a streamed body (a GetObject's) that broke while read.

    The call had returned: no client, no call arguments, only the reply's headers and the URL
    urllib3 kept; the bucket and key come from that URL (a path-style one read here, the rest
    by ``merge``). Classified as a client failure is, by
    the exception's chain (urllib3's ProtocolError, http.client's IncompleteRead…).
    """
    import dataclasses

    from cos_doctor._pipeline.botocore_seen import BotocoreSeen
    from cos_doctor._pipeline.client_context import exception_seen
    from cos_doctor._pipeline.context import merge
    from cos_doctor._pipeline.sources import CallArguments, Hints, RequestSent, read_reply

    headers, url = reply
    bucket, key = _path_style_address(url)
    sent = RequestSent(url=url, bucket=bucket)
    context = merge(
        reply=read_reply(status=None, headers=headers),
        call=CallArguments(bucket=bucket, key=key),
        sent=sent,
        exception=exception_seen(error, _message(error), sent),
        hints=Hints(),
        live=True,
    )
    seen = BotocoreSeen(version=_botocore_version(), body_read="after-call")
    return dataclasses.replace(context, settings=None, botocore=seen)


def _path_style_address(url: str | None) -> tuple[str | None, str | None]:
    """The bucket and key of a path-style URL, ``/<bucket>/<key>``; (None, None) otherwise.

    Only a first segment that reads as a COS bucket name (``<name>-<APPID>``) counts. A
    virtual-hosted URL, and the path as the key, are read by ``merge`` as for every request.
    """
    path = unquote(urlsplit(url).path).lstrip("/") if url else ""
    first, _, rest = path.partition("/")
    if _is_bucket_name(first):
        return first, rest or None
    return None, None


def _is_bucket_name(text: str) -> bool:
    """Whether ``text`` reads as a COS bucket name: ``<name>-<APPID>``, lowercase."""
    name, _, appid = text.rpartition("-")
    return (
        bool(name)
        and appid.isascii()
        and appid.isdigit()
        and len(appid) >= 6
        and set(name) <= _BUCKET_NAME_CHARACTERS
    )


def _api_call_frame(traceback: TracebackType | None) -> FrameType | None:
    """The innermost ``BaseClient._make_api_call`` frame (a tracer's layers may sit above it)."""
    found = None
    for _ in range(256):
        if traceback is None:
            break
        frame = traceback.tb_frame
        if frame.f_code.co_name == API_CALL and frame.f_globals.get("__name__") == CLIENT_MODULE:
            found = frame
        traceback = traceback.tb_next
    return found


def _text_headers(headers: Any) -> dict[str, str]:
    if not hasattr(headers, "items"):
        return {}
    return {
        str(name).lower(): value.decode("latin-1") if isinstance(value, bytes) else str(value)
        for name, value in headers.items()
    }


def _checksum_headers(headers: dict[str, str]) -> tuple[str, ...]:
    names = [name for name in headers if name.startswith(_CHECKSUM_HEADERS)]
    if _CHUNKED in headers.get("content-encoding", ""):
        names.append(f"content-encoding: {_CHUNKED}")
    return tuple(sorted(names))


def _addressing_style(url: str | None, bucket: str | None) -> str | None:
    """Return virtual when the bucket is in the host name, path when it leads the path."""
    if not url or not bucket:
        return None
    address = urlsplit(url)
    if (address.hostname or "").startswith(f"{bucket.lower()}."):
        return "virtual"
    if address.path == f"/{bucket}" or address.path.startswith(f"/{bucket}/"):
        return "path"
    return None


def _configured_addressing(config: Any) -> str | None:
    """The client's s3 addressing_style setting; botocore's own default when unset is auto."""
    if config is None:
        return None
    style = _mapping(getattr(config, "s3", None)).get("addressing_style")
    return style if isinstance(style, str) and style else "auto"


def _signature_version(client: Any, config: Any) -> str | None:
    signer = getattr(client, "_request_signer", None)
    return _text(getattr(signer, "_signature_version", None)) or _text(
        getattr(config, "signature_version", None)
    )


def _credential_kind(client: Any, secrets: SecretsSeen) -> str | None:
    """Return anonymous when botocore signs nothing (no keys, or signature_version=UNSIGNED).

    None without a client to ask: that the call was unsigned is then not known.
    """
    if client is None:
        return None
    signer = getattr(client, "_request_signer", None)
    version = getattr(signer, "_signature_version", None)
    if secrets.secret_id is None or not isinstance(version, str):
        return "anonymous"
    return "temporary" if secrets.token else "permanent"


def _retry_limit(config: Any) -> int | None:
    retries = getattr(config, "retries", None)
    limit = retries.get("max_attempts") if isinstance(retries, dict) else None
    return limit if isinstance(limit, int) else None


def _secrets(credentials: Any) -> SecretsSeen:
    """The keys, read from the object's own fields: a refreshable credential is never refreshed."""
    from cos_doctor._pipeline.sources import SecretsSeen

    fields = vars(credentials) if hasattr(credentials, "__dict__") else {}

    def read(name: str) -> str | None:
        value = fields.get(name, fields.get(f"_{name}"))
        return value if isinstance(value, str) and value else None

    return SecretsSeen(
        secret_id=read("access_key"), secret_key=read("secret_key"), token=read("token")
    )


def _method_name(operation: Any) -> str | None:
    """boto3's method name of an operation: ``GetObject`` -> ``get_object``."""
    if not isinstance(operation, str):
        return None
    from botocore import xform_name

    return str(xform_name(operation))


def _botocore_version() -> str | None:
    module = sys.modules.get("botocore")
    return _text(getattr(module, "__version__", None))


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _seconds(value: Any) -> float | None:
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if is_number else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None
