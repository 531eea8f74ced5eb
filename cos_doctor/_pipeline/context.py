"""What the failed request was: everything cos_doctor can learn without asking the network.

Each source says what it knows in a frozen record (``_pipeline.sources``): the SDK methods
on the stack and their arguments, the client's configuration, the request ``send_request``
sent, the reply, the client-side exception, and the hints a ``diagnose()`` caller gives.
:func:`merge` combines them once; the precedence between sources is written there and
nowhere else. Nothing here runs on the success path.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import field
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from cos_doctor._lazy import Lazy
from cos_doctor._pipeline.sources import (
    CallArguments,
    ClientConfig,
    ClientSettings,
    ExceptionSeen,
    Hints,
    ReplyReceived,
    RequestSent,
    SecretsSeen,
    read_reply,
)
from cos_doctor._record import frozen
from cos_doctor._signing import Authorization, parse_authorization

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cos_doctor._pipeline.botocore_seen import BotocoreSeen

__all__ = ["RequestContext", "context_from_body", "merge"]

#: Operation names that mean a browser POST Object form upload (the SDK has no such call).
POST_OBJECT_OPERATIONS = frozenset({"post_object", "PostObject"})
_HOST_REGION = re.compile(r"\.cos\.([a-z0-9-]+)\.(?:myqcloud\.com|tencentcos\.cn)$")


@frozen
class RequestContext:
    """The failing request and its reply, as far as they could be observed.

    Built once, by :func:`merge`, from the frozen source records of ``_pipeline.sources``.
    Fields are None when unknown; never guessed. ``secrets`` holds what the client was
    configured with: it is read by evidence detectors and never rendered or logged.
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
    response_headers: Mapping[str, str] = field(default_factory=dict)
    http_method: str | None = None
    url: str | None = None
    host: str | None = None
    path: str | None = None
    query: Mapping[str, str] = field(default_factory=dict)
    request_headers: Mapping[str, str] = field(default_factory=dict)
    operation: str | None = None
    api_method: str | None = None
    sdk_call_chain: tuple[str, ...] = ()
    bucket: str | None = None
    key: str | None = None
    region: str | None = None
    post_object: bool = False
    # The POST Object form the server issued (diagnose(form=...)), as (name, value) pairs in
    # order. It holds q-signature and maybe a token: read by detectors, never rendered.
    post_form: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    secrets: SecretsSeen = field(default_factory=SecretsSeen, repr=False)
    observed_at: float = field(default_factory=time.time)
    # True when the reply was received just now (an SDK exception), so the local clock at
    # observed_at can be compared with the server's; False for bodies pasted from elsewhere.
    live: bool = False
    # What only a failure without a (usable) reply tells: see _pipeline/client_context.py.
    client_failure: str | None = None  # the kind of client-side failure (dns, tls, proxy…)
    exception_types: tuple[str, ...] = ()  # class names along the exception's cause chain
    settings: ClientSettings | None = None  # the client's configuration (no secrets)
    attempts: int | None = None  # requests the SDK sent for this call, retries included
    retry_log: tuple[str, ...] = ()  # the SDK's own line per failed attempt
    timeout: float | None = None  # the timeout the SDK passed to requests, in seconds
    primary_host: str | None = None  # the host first asked, when the SDK switched domains
    fills: Mapping[str, str] = field(default_factory=dict)  # extra placeholder values
    botocore: BotocoreSeen | None = None  # the call came through botocore (boto3), not the SDK

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

    @Lazy
    def signed(self) -> Authorization | None:
        """The parsed Authorization (or presigned q-* parameters); None when unsigned."""
        return parse_authorization(self.authorization or "")

    @Lazy
    def server_clock(self) -> float | None:
        """COS's clock when it answered (Unix seconds): ServerTime, else the Date header."""
        for text in (self.server_time, self.response_headers.get("date")):
            moment = _parse_time(text)
            if moment is not None:
                return moment
        return None

    @Lazy
    def secret_id_sent(self) -> str | None:
        """The SecretId (``q-ak``) the request was signed with; mask it before showing it.

        A POST Object form upload is signed in its fields, not in a header: there it is the
        form's ``q-ak``.
        """
        for pair in (self.authorization or "").split("&"):
            name, _, value = pair.partition("=")
            if name.strip() == "q-ak":
                return value or None
        return next((value for name, value in self.post_form if name.lower() == "q-ak"), None)

    def configured(self, name: str) -> str | None:
        """The client's configured ``secret_id``, ``secret_key`` or ``token`` (never shown)."""
        value: str | None = getattr(self.secrets, name)
        return value

    @property
    def token_sent(self) -> bool:
        """Whether a temporary-credential session token travelled with the request."""
        name = "x-cos-security-token"
        return name in self.request_headers or name in self.query


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
    reply = read_reply(
        status=http_status,
        body=text,
        headers={name.lower(): value for name, value in (headers or {}).items()},
    )
    hints = Hints(
        http_method=http_method,
        operation=operation,
        url=url,
        request_headers=request_headers,
        post_object=post_object,
        infer_post_object=True,
    )
    return merge(reply=reply, hints=hints)


def merge(  # noqa: PLR0913 - one keyword per source
    *,
    reply: ReplyReceived | None = None,
    call: CallArguments | None = None,
    config: ClientConfig | None = None,
    sent: RequestSent | None = None,
    exception: ExceptionSeen | None = None,
    hints: Hints | None = None,
    live: bool = False,
) -> RequestContext:
    """Combine the sources into one context. The precedence, field by field, is here only.

    * What the caller of ``diagnose()`` states (``hints``) wins: they know what they sent.
    * The request: ``send_request``'s prepared request, else the hints' URL and headers.
    * Host: the Host header (it names the COS endpoint even when ``IP=`` sends the request
      elsewhere), else the URL's, else the error's Resource, else the exception text's.
    * Bucket: ``send_request``'s argument, else the URL's host, else the calling method's
      ``Bucket=``, else the Resource. Key: the calling method's ``Key=``, else the path.
    * Region: the client's configuration, else the host names it.
    * Error fields: the reply (its body over its headers); a client failure's text only when
      there was no reply.
    """
    reply = reply or _NO_REPLY
    call = call or _NO_CALL
    hints = hints or _NO_HINTS
    settings = config.settings if config is not None else None
    url = (sent.url if sent is not None else None) or hints.url
    request_headers = dict(sent.headers) if sent is not None else _lowered(hints.request_headers)
    address = urlsplit(url) if url else None
    resource = _resource_address(reply.resource)
    path = _path(address) or _path(resource)
    query = _query(address) or (dict(sent.params) if sent is not None else {}) or _query(resource)
    host = (
        request_headers.get("host")
        or (address.netloc if address else None)
        or (resource.netloc if resource else None)
        or (exception.host if exception is not None else None)
    )
    url_host = address.hostname if address else None
    public = [name for name in call.chain if not name.startswith("_")]
    operation = hints.operation or (public[0] if public else None)
    http_method = hints.http_method.upper() if hints.http_method else None
    http_method = http_method or (sent.method if sent is not None else None)
    key = call.key.lstrip("/") if call.key else None
    post_object = hints.post_object
    if post_object is None:
        post_object = operation in POST_OBJECT_OPERATIONS or (
            hints.infer_post_object and http_method == "POST" and path in (None, "/") and not query
        )
    message = reply.message
    if message is None and exception is not None and exception.text.strip():
        message = exception.text.strip()[:4096].splitlines()[0]
    return RequestContext(
        http_status=reply.status,
        error_code=reply.code,
        error_message=message,
        resource=reply.resource,
        request_id=reply.request_id,
        trace_id=reply.trace_id,
        server_time=reply.server_time,
        string_to_sign=reply.string_to_sign,
        format_string=reply.format_string,
        body=reply.body,
        body_format=reply.body_format,
        response_headers=dict(reply.headers),
        http_method=http_method,
        url=url,
        host=host,
        path=path,
        query=query,
        request_headers=request_headers,
        operation=operation,
        api_method=public[-1] if public else None,
        sdk_call_chain=call.chain,
        bucket=(sent.bucket if sent is not None else None)
        or _bucket_of(url_host)
        or call.bucket
        or _bucket_of(resource.hostname if resource else None),
        key=key or (path.lstrip("/") or None if path else None),
        region=(settings.region if settings is not None else None)
        or _region_of(url_host)
        or _region_of(host)
        or _region_of(resource.hostname if resource else None),
        post_object=bool(post_object),
        secrets=config.secrets if config is not None else _NO_SECRETS,
        live=live or reply.live,
        client_failure=exception.failure if exception is not None else None,
        exception_types=exception.types if exception is not None else (),
        settings=settings,
        attempts=sent.attempts if sent is not None else None,
        retry_log=sent.retry_log if sent is not None else (),
        timeout=(sent.timeout if sent is not None else None)
        or (exception.timeout if exception is not None else None),
        primary_host=_primary_host(settings, call.first_url, url_host),
        fills={"host": exception.host} if exception is not None and exception.host else {},
    )


# What a source that is not there says: nothing. Built once; frozen, they are shared safely.
_NO_REPLY = ReplyReceived()
_NO_CALL = CallArguments()
_NO_HINTS = Hints()
_NO_SECRETS = SecretsSeen()


def _lowered(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {name.lower(): value for name, value in (headers or {}).items()}


def _resource_address(resource: str | None) -> SplitResult | None:
    """The error's Resource, "<host><path>" as COS sends it, when it names a COS host."""
    if not resource or ".cos." not in resource:
        return None
    return urlsplit(resource if "://" in resource else f"http://{resource}")


def _path(address: SplitResult | None) -> str | None:
    return (unquote(address.path) or "/") if address is not None else None


def _query(address: SplitResult | None) -> dict[str, str]:
    if address is None or not address.query:
        return {}
    return dict(parse_qsl(address.query, keep_blank_values=True))


def _bucket_of(hostname: str | None) -> str | None:
    if hostname and ".cos." in hostname:
        return hostname.split(".cos.", 1)[0]
    return None


def _primary_host(
    settings: ClientSettings | None,
    first_url: str | None,
    url_host: str | None,
) -> str | None:
    """AutoSwitchDomainOnRetry: the host the caller's URL named, when send_request left it."""
    if settings is None or not settings.auto_switch_domain or not first_url or not url_host:
        return None
    first_host = urlsplit(first_url).hostname
    return first_host if first_host and first_host != url_host else None


def _region_of(host: str | None) -> str | None:
    if not host:
        return None
    found = _HOST_REGION.search(host.split(":", maxsplit=1)[0])
    return found.group(1) if found else None


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
