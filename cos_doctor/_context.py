"""What the failed request was: everything cos_doctor can learn without asking the network.

Sources, in order of trust: the SDK's ``send_request`` frame (kept alive by the exception's
traceback: the client config, the URL, the ``requests`` response and the prepared request),
the calling SDK method's frame (``Key=`` and the method name), the error body and headers,
and hints the caller passes to ``diagnose()`` for errors that never went through the SDK.
Nothing here runs on the success path.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from html import unescape
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from cos_doctor import _sdk
from cos_doctor._signing import Authorization, parse_authorization

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import FrameType, TracebackType

__all__ = ["RequestContext", "context_from_body", "context_from_error"]

#: Operation names that mean a browser POST Object form upload (the SDK has no such call).
POST_OBJECT_OPERATIONS = frozenset({"post_object", "PostObject"})
_HOST_REGION = re.compile(r"\.cos\.([a-z0-9-]+)\.(?:myqcloud\.com|tencentcos\.cn)$")
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
_MAX_FIELD = 4096
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


@dataclass
class RequestContext:
    """The failing request and its reply, as far as they could be observed.

    Fields are None when unknown; never guessed. ``client_config`` is the SDK's CosConfig and
    may hold secrets: it is read by evidence detectors and never rendered or logged.
    """

    http_status: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    resource: str | None = None
    request_id: str | None = None
    trace_id: str | None = None
    server_time: str | None = None
    string_to_sign: str | None = None
    format_string: str | None = None
    body: str = ""
    body_format: str = "none"  # xml | json | text | none
    response_headers: dict[str, str] = field(default_factory=dict)
    http_method: str | None = None
    url: str | None = None
    host: str | None = None
    path: str | None = None
    query: dict[str, str] = field(default_factory=dict)
    request_headers: dict[str, str] = field(default_factory=dict)
    operation: str | None = None
    api_method: str | None = None
    sdk_call_chain: tuple[str, ...] = ()
    bucket: str | None = None
    key: str | None = None
    region: str | None = None
    post_object: bool = False
    client_config: Any = field(default=None, repr=False)
    observed_at: float = field(default_factory=time.time)
    # True when the reply was received just now (an SDK exception), so the local clock at
    # observed_at can be compared with the server's; False for bodies pasted from elsewhere.
    live: bool = False
    # What only a failure without a (usable) reply tells: see cos_doctor/_client_context.py.
    client_failure: str | None = None  # the kind of client-side failure (dns, tls, proxy…)
    exception_text: str | None = None  # the SDK's CosClientError message, as raised
    exception_types: tuple[str, ...] = ()  # class names along the exception's cause chain
    settings: _sdk.ClientSettings | None = None  # the client's configuration (no secrets)
    attempts: int | None = None  # requests the SDK sent for this call, retries included
    retry_log: tuple[str, ...] = ()  # the SDK's own line per failed attempt
    timeout: float | None = None  # the timeout the SDK passed to requests, in seconds
    primary_host: str | None = None  # the host first asked, when the SDK switched domains
    fills: dict[str, str] = field(default_factory=dict)  # extra placeholder values

    @property
    def endpoint(self) -> str | None:
        """The COS host the request was meant for (the Host header, not a proxy's IP)."""
        return self.host

    @property
    def authorization(self) -> str | None:
        """The Authorization header or the presigned URL's q-* parameters, as sent."""
        header = self.request_headers.get("authorization")
        if header is not None:
            return header
        if "q-ak" in self.query:
            signed = [f"{name}={value}" for name, value in self.query.items()]
            return "&".join(pair for pair in signed if pair.startswith("q-"))
        return None

    @functools.cached_property
    def signed(self) -> Authorization | None:
        """The parsed Authorization (or presigned q-* parameters); None when unsigned."""
        return parse_authorization(self.authorization or "")

    @functools.cached_property
    def server_clock(self) -> float | None:
        """COS's clock when it answered (Unix seconds): ServerTime, else the Date header."""
        for text in (self.server_time, self.response_headers.get("date")):
            moment = _parse_time(text)
            if moment is not None:
                return moment
        return None

    @functools.cached_property
    def secret_id_sent(self) -> str | None:
        """The SecretId (``q-ak``) the request was signed with; mask it before showing it."""
        for pair in (self.authorization or "").split("&"):
            name, _, value = pair.partition("=")
            if name.strip() == "q-ak":
                return value or None
        return None

    def configured(self, name: str) -> str | None:
        """The client's configured ``secret_id`` or ``secret_key`` (never to be shown)."""
        return _sdk.configured_secret(self.client_config, name)

    @property
    def token_sent(self) -> bool:
        """Whether a temporary-credential session token travelled with the request."""
        name = "x-cos-security-token"
        return name in self.request_headers or name in self.query


def context_from_error(error: Any, *, caller: FrameType | None = None) -> RequestContext:
    """Build the context of an SDK ``CosServiceError`` from its own state and traceback.

    ``caller`` is the frame that called ``send_request`` when cos_doctor's hook is on the
    stack; without it the traceback alone is used (enough for errors diagnosed later).
    """
    frames = traceback_frames(error.__traceback__, caller)
    if not hasattr(error, "_status_code"):  # a CosClientError: no reply, or none usable
        from cos_doctor._client_context import context_from_client_error

        return context_from_client_error(error, frames)
    context = RequestContext(
        http_status=_int_or_none(getattr(error, "_status_code", None)),
        live=True,
    )
    _apply_digest(context, getattr(error, "_digest_msg", None))
    origin = getattr(error, "_origin_msg", "")
    if isinstance(origin, bytes):  # an <Error> inside a 200 reply: the SDK passes the bytes
        origin = origin.decode("utf-8", "replace")
    if isinstance(origin, str) and origin:
        _apply_body(context, origin)
    apply_sdk_frames(context, frames)
    _apply_resource(context)
    return context


def context_from_body(  # noqa: PLR0913 - keyword-only hints, each optional
    body: str | bytes,
    *,
    http_status: int | None = None,
    http_method: str | None = None,
    operation: str | None = None,
    url: str | None = None,
    headers: Mapping[str, str] | None = None,
    request_headers: Mapping[str, str] | None = None,
    post_object: bool | None = None,
) -> RequestContext:
    """Build a context from a raw error reply (a presigned URL's, a browser upload's, a log's)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    context = RequestContext(
        http_status=http_status,
        http_method=http_method.upper() if http_method else None,
        operation=operation,
    )
    _apply_body(context, text)
    context.response_headers = {name.lower(): value for name, value in (headers or {}).items()}
    context.request_headers = {
        name.lower(): value for name, value in (request_headers or {}).items()
    }
    context.host = context.request_headers.get("host")
    _apply_response_headers(context)
    if url:
        _apply_url(context, url)
    _apply_resource(context)
    if post_object is None:
        post_object = operation in POST_OBJECT_OPERATIONS or _looks_like_post_object(context)
    context.post_object = post_object
    return context


def _apply_digest(context: RequestContext, digest: Any) -> None:
    """Read the SDK's parsed error: a dict for XML/JSON bodies, the headers for HEAD errors.

    Anything else (a JSON array, number or string the SDK parsed from the body) is no
    digest: the body itself is read instead, and an honest generic rule answers.
    """
    if not hasattr(digest, "items"):
        return
    items = {str(name).lower(): value for name, value in dict(digest).items()}
    if "code" in items or "message" in items:
        context.error_code = _text_or_none(items.get("code"))
        context.error_message = _text_or_none(items.get("message"))
        context.resource = _text_or_none(items.get("resource"))
        context.request_id = _text_or_none(items.get("requestid") or items.get("request_id"))
        context.trace_id = _text_or_none(items.get("traceid") or items.get("trace_id"))
    else:  # no body: the SDK handed over the response headers instead
        context.response_headers = {name: str(value) for name, value in items.items()}
        _apply_response_headers(context)


def _apply_body(context: RequestContext, text: str) -> None:
    """Parse an error body leniently: COS XML, JSON, or plain text; never raise."""
    context.body = text
    stripped = text.strip()
    if not stripped:
        return
    values = _xml_elements(stripped) if "<" in stripped else {}
    if values:
        context.body_format = "xml"
        context.error_code = context.error_code or _text_or_none(values.get("Code"))
        context.error_message = context.error_message or _text_or_none(values.get("Message"))
        context.resource = context.resource or _text_or_none(values.get("Resource"))
        context.request_id = context.request_id or _text_or_none(values.get("RequestId"))
        context.trace_id = context.trace_id or _text_or_none(values.get("TraceId"))
        context.server_time = _text_or_none(values.get("ServerTime"))
        # Kept verbatim: these end in "\n" and are compared byte for byte with our own.
        context.string_to_sign = values.get("StringToSign")
        context.format_string = values.get("FormatString")
        return
    if stripped.startswith("{"):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            context.body_format = "json"
            fields = {_JSON_KEYS.get(str(name).lower()): value for name, value in parsed.items()}
            context.error_code = context.error_code or _text_or_none(fields.get("code"))
            context.error_message = context.error_message or _text_or_none(fields.get("message"))
            context.request_id = context.request_id or _text_or_none(fields.get("request_id"))
            context.trace_id = context.trace_id or _text_or_none(fields.get("trace_id"))
            context.resource = context.resource or _text_or_none(fields.get("resource"))
            return
    context.body_format = "text"
    context.error_message = context.error_message or stripped[:_MAX_FIELD].splitlines()[0]


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
            values[name] = unescape(text[start : min(end, start + _MAX_FIELD)])
    return values


def _apply_response_headers(context: RequestContext) -> None:
    headers = context.response_headers
    context.request_id = context.request_id or _text_or_none(headers.get("x-cos-request-id"))
    context.trace_id = context.trace_id or _text_or_none(headers.get("x-cos-trace-id"))
    context.error_code = context.error_code or _text_or_none(headers.get("x-cos-error-code"))


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


def apply_sdk_frames(context: RequestContext, frames: list[FrameType]) -> None:
    """Read the SDK's own locals: send_request's config/URL/response, the caller's Key=.

    SDK frames are recognised by their code objects (``cos_doctor._sdk``), so wrappers and
    tracers in between (a user's ``send_request`` override, another instrumentation) are
    stepped over instead of hiding the SDK method that called them.
    """
    _sdk.ensure_registered()
    chain: list[str] = []
    key_argument: str | None = None
    first_url: str | None = None
    sent = False
    for frame in frames:
        if _sdk.is_send_request(frame):
            _apply_send_request_locals(context, _sdk.send_request_locals(frame))
            sent = True
            break
        if not _sdk.is_client_method(frame) or not _sdk.is_client(frame.f_locals.get("self")):
            continue  # wrappers, user code, SDK plumbing (thread pools): not a client method
        local = frame.f_locals
        chain.append(frame.f_code.co_name)
        candidate = local.get("Key")
        if isinstance(candidate, str):
            key_argument = candidate
        if context.bucket is None and isinstance(local.get("Bucket"), str):
            context.bucket = local["Bucket"]
        url = local.get("url")
        if isinstance(url, str):
            first_url = url  # the innermost caller's URL: before any domain switch
    if not sent and frames:
        _apply_reply_in_frame(context, frames)
    context.sdk_call_chain = tuple(chain)
    _apply_domain_switch(context, first_url)
    public = [name for name in chain if not name.startswith("_")]
    if public:
        context.operation = context.operation or public[0]
        context.api_method = public[-1]
    if key_argument is not None:
        context.key = key_argument.lstrip("/") or context.key


def _apply_domain_switch(context: RequestContext, first_url: str | None) -> None:
    """AutoSwitchDomainOnRetry: the caller's URL names the primary host send_request left."""
    if not (first_url and context.url and context.settings):
        return
    if not context.settings.auto_switch_domain:
        return
    first_host = urlsplit(first_url).hostname
    if first_host and first_host != urlsplit(context.url).hostname:
        context.primary_host = first_host


def _apply_reply_in_frame(context: RequestContext, frames: list[FrameType]) -> None:
    """An SDK method raised after send_request returned (an <Error> in a 200 reply)."""
    for frame in reversed(frames):
        if _sdk.is_client_method(frame):
            response = _sdk.reply_in_frame(frame)
            if response is not None:
                client = frame.f_locals.get("self")
                _apply_send_request_locals(
                    context,
                    _sdk.SendRequestLocals(
                        client=client,
                        method=_text_or_none(getattr(response.request, "method", None)),
                        url=None,
                        bucket=_text_or_none(frame.f_locals.get("Bucket")),
                        timeout=None,
                        headers=None,
                        response=response,
                        attempt_index=None,
                        retry_log=(),
                    ),
                )
            return


def _apply_send_request_locals(context: RequestContext, local: _sdk.SendRequestLocals) -> None:
    config = _sdk.client_config(local.client)
    context.client_config = config
    context.settings = _sdk.client_settings(config, local.client)
    context.http_method = local.method
    context.bucket = local.bucket
    context.region = context.settings.region
    if local.attempt_index is not None:
        context.attempts = local.attempt_index + 1
    context.retry_log = local.retry_log
    if isinstance(local.timeout, (int, float)):
        context.timeout = float(local.timeout)
    response = local.response
    prepared = getattr(response, "request", None)
    url = getattr(prepared, "url", None) or local.url
    if isinstance(url, str):
        _apply_url(context, url)
    if not context.query and isinstance(local.params, dict):  # no reply: the query as passed
        context.query = {str(name): str(value) for name, value in local.params.items()}
    headers = getattr(prepared, "headers", None)
    if headers is None:
        headers = local.headers or {}
    context.request_headers = {name: _text(value) for name, value in _lowered(headers)}
    host = context.request_headers.get("host")
    if host:
        context.host = host
        context.region = context.region or _region_of(host)
    response_headers = getattr(response, "headers", None)
    if response_headers is not None:
        context.response_headers = {name: str(value) for name, value in _lowered(response_headers)}
        _apply_response_headers(context)


def _lowered(headers: Any) -> Any:
    """(lowercased name, value) pairs; requests' CaseInsensitiveDict keeps them ready."""
    lower_items = getattr(headers, "lower_items", None)
    if lower_items is not None:
        return lower_items()
    return ((str(name).lower(), value) for name, value in headers.items())


def _apply_resource(context: RequestContext) -> None:
    """Fill what is still unknown from the error's Resource: "<host><path>", as COS sends it."""
    resource = context.resource
    if not resource or ".cos." not in resource:
        return
    if context.host and context.bucket and context.region:
        return  # the request itself named them; the Resource would only repeat it
    if "://" not in resource:
        resource = f"http://{resource}"
    url = context.url
    _apply_url(context, resource)
    context.url = url


def _apply_url(context: RequestContext, url: str) -> None:
    parts = urlsplit(url)
    context.url = url
    context.host = context.host or parts.netloc or None
    context.path = context.path or unquote(parts.path) or "/"
    context.query = context.query or dict(parse_qsl(parts.query, keep_blank_values=True))
    context.key = context.key or (context.path.lstrip("/") or None)
    if parts.hostname:
        context.region = context.region or _region_of(parts.hostname)
        if context.bucket is None and ".cos." in parts.hostname:
            context.bucket = parts.hostname.split(".cos.", 1)[0]


def _looks_like_post_object(context: RequestContext) -> bool:
    """A browser form upload is a POST to the bucket root with no sub-resource."""
    return context.http_method == "POST" and context.path in (None, "/") and not context.query


def _region_of(host: str) -> str | None:
    found = _HOST_REGION.search(host.split(":", maxsplit=1)[0])
    return found.group(1) if found else None


def _text(value: Any) -> str:
    """Header values may be bytes: the SDK encodes them before handing them to requests."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _text_or_none(value: Any) -> str | None:
    if isinstance(value, str):
        value = value.strip()
    if value in _ABSENT:
        return None
    return str(value)[:_MAX_FIELD]


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _parse_time(text: str | None) -> float | None:
    """Unix seconds from epoch digits, an RFC 1123 date or ISO 8601; None if none of them."""
    if not text:
        return None
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        return parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError):
        pass
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.timestamp()
