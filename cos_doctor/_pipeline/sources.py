"""What each source says about a failed request: one frozen record per source, read once.

* :class:`CallArguments`: the SDK methods on the stack (the operation, ``Bucket=``, ``Key=``);
* :class:`ClientConfig`: the client's ``CosConfig`` (via ``cos_doctor._sdk.adapter``);
* :class:`RequestSent`: ``send_request``'s URL, headers, query, attempts and timeout;
* :class:`ReplyReceived`: status, the parsed error body, the reply's headers;
* :class:`ExceptionSeen`: for a ``CosClientError``, the kind of failure and what its text says;
* :class:`Hints`: what a ``diagnose()`` caller says about a body the SDK never saw.

None of these readers decides anything: ``cos_doctor._pipeline.context.merge`` combines the records,
with the precedence written there, once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import unescape
from typing import TYPE_CHECKING, Any

from cos_doctor._sdk import adapter as _sdk

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import FrameType, TracebackType

__all__ = [
    "CallArguments",
    "ClientConfig",
    "ExceptionSeen",
    "Hints",
    "ReplyReceived",
    "RequestSent",
    "read_frames",
    "read_reply",
    "text_or_none",
    "traceback_frames",
]

_XML_ELEMENTS = (
    "Code",
    "Message",
    "Resource",
    "RequestId",
    "TraceId",
    "ServerTime",
    "StringToSign",
    "FormatString",
)
# Longer server strings are cut: a message is for reading, and every later step is linear in
# its length. 4 KiB keeps any real COS message whole.
MAX_FIELD = 4096
_JSON_KEYS = {
    "code": "code",
    "message": "message",
    "request_id": "request_id",
    "requestid": "request_id",
    "trace_id": "trace_id",
    "traceid": "trace_id",
    "resource": "resource",
}
_ABSENT = ("", "Unknown", None)


@dataclass(frozen=True)
class CallArguments:
    """The SDK client methods on the stack, outermost first, and the arguments they were given."""

    chain: tuple[str, ...] = ()
    key: str | None = None  # Key= of the innermost method that had one
    bucket: str | None = None  # Bucket= of the outermost method that had one
    first_url: str | None = None  # the innermost caller's URL, before any domain switch


@dataclass(frozen=True)
class ClientConfig:
    """The client's configuration, and the live CosConfig for the secret checks (never shown)."""

    settings: _sdk.ClientSettings
    config: Any = field(default=None, repr=False)


@dataclass(frozen=True)
class RequestSent:
    """What ``send_request`` sent (or was about to send when the network failed)."""

    method: str | None = None
    url: str | None = None
    bucket: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    attempts: int | None = None
    retry_log: tuple[str, ...] = ()
    timeout: float | None = None


@dataclass(frozen=True)
class ReplyReceived:
    """The reply: status, the error fields (body first, then headers), and the raw body."""

    status: int | None = None
    code: str | None = None
    message: str | None = None
    resource: str | None = None
    request_id: str | None = None
    trace_id: str | None = None
    server_time: str | None = None
    string_to_sign: str | None = None
    format_string: str | None = None
    body: str = ""
    body_format: str = "none"  # xml | json | text | none
    headers: Mapping[str, str] = field(default_factory=dict)
    live: bool = False


@dataclass(frozen=True)
class ExceptionSeen:
    """A ``CosClientError``: the kind of failure, its text, and what the text names."""

    failure: str
    text: str
    types: tuple[str, ...] = ()
    host: str | None = None  # the host the client tried (the URL's, or the text's)
    timeout: float | None = None  # a "read timeout=N" in the text


@dataclass(frozen=True)
class Hints:
    """What the caller of ``diagnose()`` knows that the error does not say."""

    http_method: str | None = None
    operation: str | None = None
    url: str | None = None
    request_headers: Mapping[str, str] | None = None
    post_object: bool | None = None
    infer_post_object: bool = False  # a raw body: guess POST Object from method and path


# ---------------------------------------------------------------------------------------------
# The reply


def read_reply(
    *,
    status: int | None,
    digest: Any = None,
    body: str = "",
    headers: Mapping[str, str] | None = None,
    live: bool = False,
) -> ReplyReceived:
    """Parse the SDK's digest, the raw body and the reply's headers into one record.

    The SDK's parsed digest wins over our parse of the same body; the x-cos-* headers only
    fill what neither said. A digest that is the reply's headers (a bodiless HEAD error)
    counts as headers when ``headers`` is not given. Anything else (a JSON array, number or
    string the SDK parsed from the body) is no digest: the body is read instead, and an
    honest generic rule answers rather than no diagnosis at all.
    """
    fields: dict[str, str | None] = {}
    digest_headers: dict[str, str] = {}
    if hasattr(digest, "items"):
        items = {str(name).lower(): value for name, value in dict(digest).items()}
        if "code" in items or "message" in items:
            fields = {
                "code": text_or_none(items.get("code")),
                "message": text_or_none(items.get("message")),
                "resource": text_or_none(items.get("resource")),
                "request_id": text_or_none(items.get("requestid") or items.get("request_id")),
                "trace_id": text_or_none(items.get("traceid") or items.get("trace_id")),
            }
        else:
            digest_headers = {name: str(value) for name, value in items.items()}
    parsed = _parse_body(body)
    reply_headers = dict(headers) if headers is not None else digest_headers

    def pick(name: str) -> str | None:
        return fields.get(name) or parsed.get(name)

    return ReplyReceived(
        status=status,
        code=pick("code") or text_or_none(reply_headers.get("x-cos-error-code")),
        message=pick("message"),
        resource=pick("resource"),
        request_id=pick("request_id") or text_or_none(reply_headers.get("x-cos-request-id")),
        trace_id=pick("trace_id") or text_or_none(reply_headers.get("x-cos-trace-id")),
        server_time=parsed.get("server_time"),
        string_to_sign=parsed.get("string_to_sign"),
        format_string=parsed.get("format_string"),
        body=body,
        body_format=parsed.get("format") or "none",
        headers=reply_headers,
        live=live,
    )


def _parse_body(text: str) -> dict[str, Any]:
    """Parse an error body leniently: COS XML, JSON, or plain text; never raise."""
    stripped = text.strip()
    if not stripped:
        return {}
    values = _xml_elements(stripped) if "<" in stripped else {}
    if values:
        return {
            "format": "xml",
            "code": text_or_none(values.get("Code")),
            "message": text_or_none(values.get("Message")),
            "resource": text_or_none(values.get("Resource")),
            "request_id": text_or_none(values.get("RequestId")),
            "trace_id": text_or_none(values.get("TraceId")),
            "server_time": text_or_none(values.get("ServerTime")),
            # Kept verbatim: these end in "\n" and are compared byte for byte with our own.
            "string_to_sign": values.get("StringToSign"),
            "format_string": values.get("FormatString"),
        }
    if stripped.startswith("{"):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            known = {_JSON_KEYS.get(str(name).lower()): value for name, value in parsed.items()}
            return {
                "format": "json",
                **{name: text_or_none(known.get(name)) for name in _JSON_KEYS.values()},
            }
    return {"format": "text", "message": stripped[:MAX_FIELD].splitlines()[0]}


def _xml_elements(text: str) -> dict[str, str]:
    """The first ``<Name>…</Name>`` of each element COS sends; tolerant of broken XML.

    Two ``str.find`` calls per element name keep this linear in the body's size whatever
    the body holds (a regex with a back-reference goes quadratic on unclosed tags).
    """
    values = {}
    for name in _XML_ELEMENTS:
        start = text.find(f"<{name}>")
        if start < 0:
            continue
        start += len(name) + 2
        end = text.find(f"</{name}>", start)
        if end >= 0:
            values[name] = unescape(text[start : min(end, start + MAX_FIELD)])
    return values


# ---------------------------------------------------------------------------------------------
# The stack


def traceback_frames(
    traceback: TracebackType | None,
    caller: FrameType | None,
) -> list[FrameType]:
    """Return the frames of the failing call, outermost first, from the caller down."""
    inner: list[FrameType] = []
    while traceback is not None:
        inner.append(traceback.tb_frame)
        traceback = traceback.tb_next
    outer: list[FrameType] = []
    frame = caller if caller is not None else (inner[0].f_back if inner else None)
    while frame is not None and len(outer) < 32:
        outer.append(frame)
        frame = frame.f_back
    outer.reverse()
    known = {id(frame) for frame in inner}
    return [frame for frame in outer if id(frame) not in known] + inner


@dataclass(frozen=True)
class StackSources:
    """Everything the SDK's frames tell, plus the reply object send_request held."""

    call: CallArguments
    config: ClientConfig | None = None
    sent: RequestSent | None = None
    response: Any = None


def read_frames(frames: list[FrameType]) -> StackSources:
    """Read the SDK's own frames, recognised by code object (``cos_doctor._sdk.adapter``).

    Wrappers and tracers in between (a user's ``send_request`` override, another
    instrumentation) are stepped over instead of hiding the SDK method that called them.
    """
    _sdk.ensure_registered()
    chain: list[str] = []
    key: str | None = None
    bucket: str | None = None
    first_url: str | None = None
    local: _sdk.SendRequestLocals | None = None
    for frame in frames:
        if _sdk.is_send_request(frame):
            local = _sdk.send_request_locals(frame)
            break
        if not _sdk.is_client_method(frame) or not _sdk.is_client(frame.f_locals.get("self")):
            continue  # wrappers, user code, SDK plumbing (thread pools): not a client method
        arguments = frame.f_locals
        chain.append(frame.f_code.co_name)
        if isinstance(arguments.get("Key"), str):
            key = arguments["Key"]
        if bucket is None and isinstance(arguments.get("Bucket"), str):
            bucket = arguments["Bucket"]
        if isinstance(arguments.get("url"), str):
            first_url = arguments["url"]
    if local is None and frames:
        local = _reply_in_frame(frames)
    call = CallArguments(chain=tuple(chain), key=key, bucket=bucket, first_url=first_url)
    if local is None:
        return StackSources(call=call)
    config = _sdk.client_config(local.client)
    return StackSources(
        call=call,
        config=ClientConfig(settings=_sdk.client_settings(config, local.client), config=config),
        sent=_request_sent(local),
        response=local.response,
    )


def _reply_in_frame(frames: list[FrameType]) -> _sdk.SendRequestLocals | None:
    """An SDK method raised after send_request returned (an <Error> in a 200 reply)."""
    for frame in reversed(frames):
        if not _sdk.is_client_method(frame):
            continue
        response = _sdk.reply_in_frame(frame)
        if response is None:
            return None
        return _sdk.SendRequestLocals(
            client=frame.f_locals.get("self"),
            method=text_or_none(getattr(response.request, "method", None)),
            url=None,
            bucket=text_or_none(frame.f_locals.get("Bucket")),
            timeout=None,
            headers=None,
            response=response,
            attempt_index=None,
            retry_log=(),
        )
    return None


def _request_sent(local: _sdk.SendRequestLocals) -> RequestSent:
    prepared = getattr(local.response, "request", None)
    url = getattr(prepared, "url", None) or local.url
    headers = getattr(prepared, "headers", None)
    if headers is None:
        headers = local.headers or {}
    params = local.params if isinstance(local.params, dict) else {}
    timeout = local.timeout
    return RequestSent(
        method=local.method,
        url=url if isinstance(url, str) else None,
        bucket=local.bucket,
        headers={name: _text(value) for name, value in lowered(headers)},
        params={str(name): str(value) for name, value in params.items()},
        attempts=local.attempt_index + 1 if local.attempt_index is not None else None,
        retry_log=local.retry_log,
        timeout=float(timeout) if isinstance(timeout, (int, float)) else None,
    )


def sent_by(response: Any) -> RequestSent | None:
    """The request behind a ``requests`` reply (for a body read after send_request returned)."""
    prepared = getattr(response, "request", None)
    if prepared is None:
        return None
    url = getattr(prepared, "url", None)
    return RequestSent(
        method=text_or_none(getattr(prepared, "method", None)),
        url=url if isinstance(url, str) else None,
        headers={name: _text(value) for name, value in lowered(prepared.headers or {})},
    )


def response_headers(response: Any) -> dict[str, str] | None:
    """The headers of the ``requests`` reply send_request held, lowercased; None if none."""
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    return {name: str(value) for name, value in lowered(headers)}


def lowered(headers: Any) -> Any:
    """(lowercased name, value) pairs; requests' CaseInsensitiveDict keeps them ready."""
    lower_items = getattr(headers, "lower_items", None)
    if lower_items is not None:
        return lower_items()
    return ((str(name).lower(), value) for name, value in headers.items())


def _text(value: Any) -> str:
    """Header values may be bytes: the SDK encodes them before handing them to requests."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def text_or_none(value: Any) -> str | None:
    """A stripped string, or None for the SDK's placeholders ("", "Unknown")."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        value = value.strip()
    if value in _ABSENT:
        return None
    return str(value)[:MAX_FIELD]
