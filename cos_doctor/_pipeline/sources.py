"""What each source says about a failed request: one frozen record per source, read once.

* :class:`CallArguments`: the SDK methods on the stack (the operation, ``Bucket=``, ``Key=``);
* :class:`ClientConfig`: the client's ``CosConfig``: its settings, and the secrets it holds;
* :class:`RequestSent`: ``send_request``'s URL, headers, query, attempts and timeout;
* :class:`ReplyReceived`: status, the parsed error body, the reply's headers;
* :class:`ExceptionSeen`: for a ``CosClientError``, the kind of failure and what its text says;
* :class:`Hints`: what a ``diagnose()`` caller says about a body the SDK never saw.

They are plain values: ``cos_doctor._sdk.live`` fills them from a live failure (the SDK's frames,
its exception and its client), the readers from text. None of them decides anything:
``cos_doctor._pipeline.context.merge`` combines the records, with the precedence written there,
once.
"""

from __future__ import annotations

import json
from dataclasses import field
from typing import TYPE_CHECKING, Any

from cos_doctor._pipeline.ci_reply import ci_error
from cos_doctor._record import frozen

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "CallArguments",
    "ClientConfig",
    "ClientSettings",
    "ExceptionSeen",
    "Hints",
    "ReplyReceived",
    "RequestSent",
    "SecretsSeen",
    "printable",
    "read_reply",
    "text_or_none",
]

# Each element COS sends, and the field of the SDK's digest that says it too (if any).
_XML_ELEMENTS = (
    ("Code", "code"),
    ("Message", "message"),
    ("Resource", "resource"),
    ("RequestId", "request_id"),
    ("TraceId", "trace_id"),
    ("ServerTime", None),
    ("StringToSign", None),
    ("FormatString", None),
)
_XML_TAGS = tuple((name, f"<{name}>", f"</{name}>", said) for name, said in _XML_ELEMENTS)
# Longer server strings are cut: a message is for reading, and every later step is linear in
# its length. 4 KiB keeps any real COS message whole.
MAX_FIELD = 4096
# An element's opening tag is looked for this far into a body (a COS error body is far
# shorter), its closing tag anywhere: no size of body cuts an element in two.
_XML_HEAD = 64 * 1024
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


@frozen
class CallArguments:
    """The SDK client methods on the stack, outermost first, and the arguments they were given."""

    chain: tuple[str, ...] = ()
    key: str | None = None  # Key= of the innermost method that had one
    bucket: str | None = None  # Bucket= of the outermost method that had one
    first_url: str | None = None  # the innermost caller's URL, before any domain switch


@frozen
class ClientSettings:
    """The client's configuration that shapes where a request goes and how (no secrets).

    ``proxies`` holds the configured proxy URLs with any user:password removed.
    """

    region: str | None = None
    endpoint: str | None = None
    domain: str | None = None
    ip: str | None = None
    scheme: str | None = None
    verify_ssl: Any = None
    proxies: tuple[tuple[str, str], ...] = ()
    timeout: float | None = None
    retry: int | None = None
    auto_switch_domain: bool | None = None


@frozen
class SecretsSeen:
    """The secrets the client was configured with, read with the stack: for evidence and sealing.

    Never rendered, logged or pickled with a diagnosis: detectors compare them with what was
    sent, and the redactor removes them from everything cos_doctor writes.
    """

    secret_id: str | None = None
    secret_key: str | None = None
    token: str | None = None
    proxy_credentials: tuple[str, ...] = ()  # user:password of the configured proxy URLs

    def __repr__(self) -> str:
        return "SecretsSeen(…)"


@frozen
class ClientConfig:
    """The client's configuration: settings to show, secrets to compare and seal."""

    settings: ClientSettings
    secrets: SecretsSeen = field(default_factory=SecretsSeen, repr=False)


@frozen
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


@frozen
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


@frozen
class ExceptionSeen:
    """A ``CosClientError``: the kind of failure, its text, and what the text names."""

    failure: str
    text: str
    types: tuple[str, ...] = ()
    host: str | None = None  # the host the client tried (the URL's, or the text's)
    timeout: float | None = None  # a "read timeout=N" in the text


@frozen
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

    The SDK's parsed digest wins over our parse of the same body; the x-cos-* headers (and a
    Cloud Infinite reply's X-ErrNo / x-ci-request-id) only fill what neither said. A digest
    that is the reply's headers (a bodiless HEAD error) counts as headers when ``headers`` is
    not given. Anything else (a JSON array, number or
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
    parsed = _parse_body(body, fields)
    reply_headers = dict(headers) if headers is not None else digest_headers

    ci = ci_error(reply_headers)  # a Cloud Infinite reply: its X-ErrNo header is its Code
    return ReplyReceived(
        status=status,
        code=fields.get("code")
        or parsed.get("code")
        or text_or_none(reply_headers.get("x-cos-error-code"))
        or ci.code,
        message=fields.get("message") or parsed.get("message"),
        resource=fields.get("resource") or parsed.get("resource"),
        request_id=fields.get("request_id")
        or parsed.get("request_id")
        or text_or_none(reply_headers.get("x-cos-request-id"))
        or ci.request_id,
        trace_id=fields.get("trace_id")
        or parsed.get("trace_id")
        or text_or_none(reply_headers.get("x-cos-trace-id")),
        server_time=parsed.get("server_time"),
        string_to_sign=parsed.get("string_to_sign"),
        format_string=parsed.get("format_string"),
        body=body,
        body_format=parsed.get("format") or "none",
        headers=reply_headers,
        live=live,
    )


def _parse_body(text: str, said: Mapping[str, str | None]) -> dict[str, Any]:
    """Parse an error body leniently: COS XML, JSON, or plain text; never raise.

    ``said``: what the SDK's digest says (its fields win), so need not be read from XML.
    """
    stripped = text.strip()
    if not stripped:
        return {}
    values = _xml_elements(stripped, said) if "<" in stripped else {}
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
        except (ValueError, RecursionError):  # RecursionError: nested too deep to read
            parsed = None
        if isinstance(parsed, dict):
            known = {_JSON_KEYS.get(str(name).lower()): value for name, value in parsed.items()}
            return {
                "format": "json",
                **{name: text_or_none(known.get(name)) for name in _JSON_KEYS.values()},
            }
    return {"format": "text", "message": stripped[:MAX_FIELD].splitlines()[0]}


def _xml_elements(text: str, said: Mapping[str, str | None]) -> dict[str, str]:
    """The first ``<Name>…</Name>`` of each element COS sends; tolerant of broken XML.

    Two ``str.find`` calls per element name keep this linear in the body's size whatever
    the body holds (a regex with a back-reference goes quadratic on unclosed tags). Opening
    tags count in the first 64 KiB only, closing tags anywhere. An element the digest ``said``
    is skipped once one element is found (the body is XML then): its value would go unread.
    """
    values: dict[str, str] = {}
    for name, opening, closing, field_said in _XML_TAGS:
        if values and field_said is not None and said.get(field_said):
            continue
        start = text.find(opening, 0, _XML_HEAD + len(opening))
        if start < 0:
            continue
        start += len(opening)
        end = text.find(closing, start)
        if end >= 0:
            value = text[start : min(end, start + MAX_FIELD)]
            values[name] = _unescape(value) if "&" in value else value  # as unescape() would
    return values


def _unescape(text: str) -> str:
    # html and its entity table (~1 ms) load only for a body that escapes something.
    from html import unescape

    return unescape(text)


def text_or_none(value: Any) -> str | None:
    """A stripped string, or None for the SDK's placeholders ("", "Unknown")."""
    if type(value) is str:  # nearly always: the rest of this is for foreign values
        value = value.strip()
        return value[:MAX_FIELD] if value and value != "Unknown" else None
    if value is None:  # an element or digest field that is not there
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        value = value.strip()
    if value in _ABSENT:
        return None
    text = printable(value)
    return text[:MAX_FIELD] if text is not None else None


def printable(value: Any) -> str | None:
    """``str(value)``, or None for a container nested too deep to print (foreign data)."""
    if isinstance(value, str):
        return value
    try:
        return str(value)
    except RecursionError:
        return None
