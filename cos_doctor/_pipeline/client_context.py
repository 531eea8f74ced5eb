"""The context of a ``CosClientError``: a request that got no usable reply, or never left.

The SDK turns every ``requests`` exception into ``CosClientError(str(e))`` inside its retry loop
(the original stays reachable as ``__context__``), and raises ``CosClientError`` for its own
argument checks. What failed is read from the exception classes along the cause chain first,
then from the text (urllib3 / requests / OS wording, English and Chinese), so a message pasted
from a log is classified the same way as a live exception.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cos_doctor._pipeline.context import RequestContext, merge
from cos_doctor._pipeline.sources import ExceptionSeen

if TYPE_CHECKING:
    from cos_doctor._pipeline.sources import Hints, RequestSent

__all__ = [
    "CLIENT_KINDS",
    "classify",
    "context_from_client_text",
    "exception_seen",
    "looks_like_client_error",
]


# (kind, exception class names, text pattern), most specific first: a TLS error through a
# proxy is a proxy problem first; a refused connection to a proxy is a proxy problem too.
_KINDS: tuple[tuple[str, frozenset[str], re.Pattern[str]], ...] = (
    (
        "proxy",
        frozenset({"ProxyError", "ProxySchemeUnknown", "ProxySchemeUnsupported"}),
        re.compile(
            r"ProxyError|Unable to connect to proxy|Cannot connect to proxy|Tunnel connection "
            r"failed|Proxy Authentication Required|ProxySchemeUnknown|代理",
            re.IGNORECASE,
        ),
    ),
    (
        "tls",
        frozenset({"SSLError", "SSLCertVerificationError", "SSLZeroReturnError", "SSLEOFError"}),
        re.compile(
            r"SSLError|CERTIFICATE_VERIFY_FAILED|certificate verify failed|\[SSL[:\]]|"
            r"WRONG_VERSION_NUMBER|wrong version number|doesn't match|TLSV1_ALERT|证书|"
            r"EOF occurred in violation of protocol|"
            # Node.js (request / axios / the JS SDKs): the OpenSSL reason, or its code.
            r"certificate has expired|CERT_HAS_EXPIRED|certificate is not yet valid|"
            r"unable to (?:verify the first|get local issuer) certificate|"
            r"self[- ]signed certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|"
            # Java / Android, Go, and PHP's cURL (60: peer certificate, 35: handshake).
            r"SSLHandshakeException|PKIX path building failed|CertPathValidatorException|"
            r"Trust anchor for certification path|x509: |cURL error (?:35|60)\b|"
            r"SSL certificate problem",
            re.IGNORECASE,
        ),
    ),
    (
        "dns",
        frozenset({"NameResolutionError", "gaierror"}),
        re.compile(
            r"NameResolutionError|Failed to resolve|Name or service not known|nodename nor "
            r"servname|getaddrinfo failed|Temporary failure in name resolution|No address "
            r"associated with hostname|Errno -[235]\b|Errno 11001|Errno 11002|Errno 11004|"
            r"域名解析|无法解析|未知的名称或服务|"
            # Java (its message is the bare host), Node.js, Go, cURL, and tools that only say DNS.
            r"UnknownHostException|(?m:Exception: [\w.-]+\.myqcloud\.com\s*$)|ENOTFOUND|"
            r"EAI_AGAIN|no such host|Could(?: not|n't) resolve(?: host)?:|cURL error 6\b|"
            r"\bDNS (?:error|failure|lookup failed|resolution failed)",
            re.IGNORECASE,
        ),
    ),
    (
        "connect-timeout",
        frozenset({"ConnectTimeout", "ConnectTimeoutError"}),
        re.compile(
            r"ConnectTimeout|connect timeout=|Connection to \S+ timed out|WinError 10060|"
            r"连接尝试失败|connect timed out|connect ETIMEDOUT|Connection timed out after \d+|"
            r"Failed to establish a new connection: \[Errno (?:110|60)\]",
            re.IGNORECASE,
        ),
    ),
    (
        "read-timeout",
        frozenset({"ReadTimeout", "ReadTimeoutError"}),
        re.compile(r"ReadTimeout|Read timed out|read timeout=", re.IGNORECASE),
    ),
    (
        "body-interrupted",
        frozenset({"ChunkedEncodingError", "IncompleteRead", "InvalidChunkLength"}),
        re.compile(
            r"ChunkedEncodingError|IncompleteRead|InvalidChunkLength|Response ended prematurely|"
            r"download failed with incomplete file",
            re.IGNORECASE,
        ),
    ),
    (
        "connection-refused",
        frozenset({"ConnectionRefusedError"}),
        re.compile(
            r"Connection refused|Errno 111\b|Errno 61\b|WinError 10061|actively refused|"
            r"ECONNREFUSED|拒绝连接|积极拒绝",
            re.IGNORECASE,
        ),
    ),
    (
        "connection-reset",
        frozenset({"ConnectionResetError", "RemoteDisconnected", "BrokenPipeError"}),
        re.compile(
            r"Connection reset|Errno 104\b|Errno 54\b|WinError 10054|forcibly closed|"
            r"RemoteDisconnected|Connection aborted|ECONNRESET|Broken pipe|Errno 32\b|"
            r"closed connection without response|连接被重置|被对方重置|被对端重置|强迫关闭|"
            r"WinError 10053|中止了一个已建立的连接",
            re.IGNORECASE,
        ),
    ),
    # The SDK's own checks, where the message alone does not say how to fix it.
    (
        "parts-failed",
        frozenset(),
        re.compile(r"some (?:upload_part|upload_part_copy|download_part) fail", re.IGNORECASE),
    ),
    (
        "credentials-missing",
        frozenset(),
        re.compile(r"SecretId and SecretKey is Required", re.IGNORECASE),
    ),
    (
        "bucket-name-invalid",
        frozenset(),
        re.compile(r"bucket format is illegal|bucket is not string", re.IGNORECASE),
    ),
    (
        "region-invalid",
        frozenset(),
        re.compile(r"region format is illegal|region is not string", re.IGNORECASE),
    ),
    (
        "not-utf8",
        frozenset(),
        re.compile(r"can not be decoded in utf8|can not encoded in utf8", re.IGNORECASE),
    ),
    (
        "header-value-type",
        # Not by type: requests raises InvalidHeader for a malformed reply header too.
        frozenset(),
        re.compile(r"Header part \(.*\) from .* must be of type str or bytes", re.IGNORECASE),
    ),
)
#: Every kind a client failure can be classified as; "unclassified" when none fits.
CLIENT_KINDS = (*(kind for kind, _, _ in _KINDS), "unclassified")
_HOST_IN_TEXT = re.compile(
    r"host='(?P<pool>[^']+)'|Failed to resolve '(?P<resolve>[^']+)'|"
    r"Connection to (?P<timeout>[^\s]+) timed out|lookup (?P<go>[\w.-]+)(?: on |: no such host)|"
    r"ENOTFOUND (?P<node>[\w.-]+)|resolve(?: host)?: '?(?P<curl>[\w.-]+)|"
    r"UnknownHostException: (?P<java>[\w.-]+)|Exception: (?P<bare>[\w.-]+\.myqcloud\.com)\s*$",
    re.MULTILINE,
)
_PORT_IN_TEXT = re.compile(r"port=(\d+)")


def classify(types: tuple[str, ...], text: str) -> str:
    """Return the kind of client failure from exception class names, then from text."""
    present = set(types)
    for kind, names, _ in _KINDS:
        if names & present:
            return kind
    for kind, _, pattern in _KINDS:
        if pattern.search(text):
            return kind
    return "unclassified"


def exception_seen(error: BaseException, text: str, sent: RequestSent | None) -> ExceptionSeen:
    """Read a ``CosClientError`` whose message is ``text``: its cause chain's classes, its kind."""
    causes = _cause_chain(error)
    types = tuple(type(cause).__name__ for cause in causes)
    failure = classify(types, "\n".join([text, *map(str, causes[1:])]))
    # The URL names what the client connected to (the IP when IP= is configured); the Host
    # header, read as the context's host, names the COS endpoint the request was for.
    host = urlsplit(sent.url).hostname if sent is not None and sent.url else None
    return ExceptionSeen(
        failure=failure,
        text=text,
        types=types,
        host=host or _host_in_text(text),
        timeout=_timeout_in_text(text),
    )


def context_from_client_text(text: str, hints: Hints | None = None) -> RequestContext:
    """Build a context from a client error's message pasted from a log; nothing guessed."""
    seen = ExceptionSeen(
        failure=classify((), text),
        text=text,
        host=_host_in_text(text),
        timeout=_timeout_in_text(text),
    )
    return merge(exception=seen, hints=hints)


def looks_like_client_error(text: str) -> bool:
    """Whether pasted ``text`` is a client-side failure message (not a COS error body)."""
    stripped = text.strip()
    if not stripped or stripped.startswith(("<", "{")):
        return False
    return classify((), stripped) != "unclassified"


def _host_in_text(text: str) -> str | None:
    found = _HOST_IN_TEXT.search(text)
    if found is None:
        return None
    return next(value for value in found.groups() if value).split(":")[0]


def _timeout_in_text(text: str) -> float | None:
    found = re.search(r"(?:connect|read) timeout=([0-9.]+)", text)
    return float(found.group(1)) if found is not None else None


def _cause_chain(error: BaseException) -> list[BaseException]:
    """The exception, what caused it, and the exceptions urllib3 nests in args and .reason."""
    found: list[BaseException] = []
    pending: list[Any] = [error]
    while pending and len(found) < 16:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or any(current is seen for seen in found):
            continue
        found.append(current)
        pending.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
    return found
