"""The context of a ``CosClientError``: a request that got no usable reply, or never left.

The SDK turns every ``requests`` exception into ``CosClientError(str(e))`` inside its retry loop
(the original stays reachable as ``__context__``), and raises ``CosClientError`` for its own
argument checks. What failed is read from the exception classes along the cause chain first,
then from the text (urllib3 / requests / OS wording, English and Chinese), so a message pasted
from a log is classified the same way as a live exception.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Callable
from urllib.parse import urlsplit

from cos_doctor._normalize import fold_case
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


# What a kind's text says: phrases, any case, looked for with ``in`` on the lowercased text;
# and (phrase, test) pairs where a phrase cannot say it all, the test run only on text that
# holds its phrase. Fourteen case-insensitive patterns, each scanning the whole text, cost
# 800 ms per MB; this costs a few.
_Test = Callable[[str], object]


def _header_part_line(folded: str) -> bool:
    """Whether one line says "header part (…) from … must be of type str or bytes".

    requests' wording for a header value that is neither str nor bytes. Looked for with
    ``str.find``, line by line: the pattern with two ``.*`` was cubic on a repeated opener.
    """
    opener, middle, closer = "header part (", ") from ", " must be of type str or bytes"
    start = folded.find(opener)
    while start >= 0:
        end = folded.find("\n", start)
        end = len(folded) if end < 0 else end
        between = folded.find(middle, start + len(opener), end)
        if between >= 0 and folded.find(closer, between + len(middle), end) >= 0:
            return True
        start = folded.find(opener, end)
    return False


# The SDK's other literal CosClientError messages (qcloud_cos 1.9.39 to the newest), folded:
# each is the whole message, so a line is compared whole (after a "CosClientError: " prefix),
# never searched for, and a log line that merely mentions one is not taken for it.
_SDK_CHECK_MESSAGES = frozenset(
    {
        "scheme can be only set to http/https",
        "key is required not empty",
        "path is required not empty",
        "region is required!",
        "secret_id and secret_key cannot contain spaces at the beginning and end",
        "copystatus must be copy or replaced",
        "encodingtype must be url",
        "versioning status must be set to enabled or suspended!",
        "policy must be a json format string or json format dict",
        "body must have attr read",
        "switch must be enabled or disabled",
        "invalid timestamp",
        "starttime must be less than endtime",
        "playlistname must be end with .m3u8",
        "seek unsupported to calculate md5!",
        "unsupported body type to calculate md5!",
        "invalid parameter, part is required!",
        "invalid parameter, partnumber is required!",
        "invalid parameter, etag is required!",
        "region or endpoint is required not empty!",
        "region is required not empty!",
        "host is required not empty!",
        "url is required not empty!",
        "bucket is required not empty",
        "appid is not string",
        "getobject key is invalid",
        "key is not string",
        "copysource need parameter bucket",
        "copysource need parameter key",
        "the object size you upload can not be larger than 5gb in put_object or upload_part",
        "key:range is wrong format, except first-last",
        "cipher is not initialized",
        "offset is not align to encrypt block",
        "public_key or private_key is not allowed to be none !!!",
    },
)
# Messages the SDK formats: their fixed start.
_SDK_CHECK_STARTS = ("no parameter named ", "crc of client: ")
_SDK_ERROR_PREFIX = "cosclienterror:"


def _sdk_check_line(folded: str) -> bool:
    """Whether a line of ``folded`` is one of the SDK's own check messages, whole."""
    # Every line stripped and compared in C first: a pasted log has thousands of lines, and a
    # loop over them in Python cost a fifth of diagnose() on 1 MB. Only a text that holds the
    # SDK's prefix or a formatted message's start can hold a line the set does not decide.
    lines = set(map(str.strip, folded.splitlines()))
    if not lines.isdisjoint(_SDK_CHECK_MESSAGES):
        return True
    if _SDK_ERROR_PREFIX not in folded and not any(start in folded for start in _SDK_CHECK_STARTS):
        return False
    for line in lines:
        prefix = line.find(_SDK_ERROR_PREFIX)
        text = line[prefix + len(_SDK_ERROR_PREFIX) :].strip() if prefix >= 0 else line
        if text in _SDK_CHECK_MESSAGES or text.startswith(_SDK_CHECK_STARTS):
            return True
    return False


# Words of a failed connection: a text holding one is a network failure, not a local file's.
_CONNECTION_WORDS = ("connection", "connectionpool", "max retries exceeded", "socket", "proxy")


def _local_file(folded: str) -> bool:
    """Whether an OS error's text is about a local file (it names no connection)."""
    return not any(word in folded for word in _CONNECTION_WORDS)


# (kind, exception class names, phrases, tests), most specific first: a TLS error through a
# proxy is a proxy problem first; a refused connection to a proxy is a proxy problem too.
_KINDS: tuple[tuple[str, frozenset[str], tuple[str, ...], tuple[tuple[str, _Test], ...]], ...] = (
    (
        "proxy",
        frozenset({"ProxyError", "ProxySchemeUnknown", "ProxySchemeUnsupported"}),
        (
            "proxyerror",
            "unable to connect to proxy",
            "cannot connect to proxy",
            "tunnel connection failed",
            "proxy authentication required",
            "proxyschemeunknown",
            "代理",
            # Node.js request's tunnel-agent: the CONNECT through the proxy failed.
            "tunneling socket could not be established",
            # botocore's ProxyConnectionError (its fmt, botocore/exceptions.py).
            "failed to connect to proxy url",
        ),
        (),
    ),
    (
        "tls",
        frozenset({"SSLError", "SSLCertVerificationError", "SSLZeroReturnError", "SSLEOFError"}),
        (
            "sslerror",
            "certificate_verify_failed",
            "certificate verify failed",
            "[ssl:",
            "[ssl]",
            "wrong_version_number",
            "wrong version number",
            "doesn't match",
            "tlsv1_alert",
            "证书",
            "eof occurred in violation of protocol",
            # Node.js (request / axios / the JS SDKs): the OpenSSL reason, or its code.
            "certificate has expired",
            "cert_has_expired",
            "certificate is not yet valid",
            "unable to verify the first certificate",
            "unable to get local issuer certificate",
            "self-signed certificate",
            "self signed certificate",
            "unable_to_verify_leaf_signature",
            # Java / Android, Go, and PHP's cURL (60: peer certificate, 35: handshake).
            "sslhandshakeexception",
            "pkix path building failed",
            "certpathvalidatorexception",
            "trust anchor for certification path",
            "x509: ",
            "ssl certificate problem",
        ),
        (("curl error ", re.compile(r"curl error (?:35|60)\b").search),),
    ),
    (
        "dns",
        frozenset({"NameResolutionError", "gaierror"}),
        (
            "nameresolutionerror",
            "failed to resolve",
            "name or service not known",
            "nodename nor servname",
            "getaddrinfo failed",
            "temporary failure in name resolution",
            "no address associated with hostname",
            "errno 11001",
            "errno 11002",
            "errno 11004",
            "域名解析",
            "无法解析",
            "未知的名称或服务",
            # Java (its message is the bare host), Node.js, Go, cURL, and tools that only say DNS.
            "unknownhostexception",
            "enotfound",
            "eai_again",
            "no such host",
            "could not resolve:",
            "could not resolve host:",
            "couldn't resolve:",
            "couldn't resolve host:",
            # iOS / macOS NSURLErrorCannotFindHost, English and Chinese.
            "nsurlerrordomain code=-1003",
            "a server with the specified hostname could not be found",
            "未能找到使用指定主机名的服务器",
        ),
        (
            ("errno -", re.compile(r"errno -[235]\b").search),
            ("myqcloud.com", re.compile(r"(?m:exception: [\w.-]+\.myqcloud\.com\s*$)").search),
            ("curl error 6", re.compile(r"curl error 6\b").search),
            ("dns ", re.compile(r"\bdns (?:error|failure|lookup failed|resolution failed)").search),
        ),
    ),
    (
        "connect-timeout",
        frozenset({"ConnectTimeout", "ConnectTimeoutError"}),
        (
            "connecttimeout",
            "connect timeout=",
            "winerror 10060",
            "连接尝试失败",
            "connect timed out",
            "connect etimedout",
            "failed to establish a new connection: [errno 110]",
            "failed to establish a new connection: [errno 60]",
        ),
        (
            ("connection to ", re.compile(r"connection to \S+ timed out").search),
            ("connection timed out after ", re.compile(r"connection timed out after \d").search),
        ),
    ),
    (
        "read-timeout",
        frozenset({"ReadTimeout", "ReadTimeoutError"}),
        # POCO's (cos-cpp-sdk-v5) "TimeoutException:Timeout": a socket wait that ran out.
        ("readtimeout", "read timed out", "read timeout=", "timeoutexception:timeout"),
        (),
    ),
    (
        "body-interrupted",
        # botocore's IncompleteReadError: fewer bytes than Content-Length (a streamed body).
        frozenset(
            {"ChunkedEncodingError", "IncompleteRead", "InvalidChunkLength", "IncompleteReadError"}
        ),
        (
            "chunkedencodingerror",
            "incompleteread",
            # urllib3 says it only while reading a reply's body (response.py, both majors).
            "connection broken:",
            "invalidchunklength",
            "response ended prematurely",
            "download failed with incomplete file",
            # botocore's fmt of IncompleteReadError and ResponseStreamingError (exceptions.py).
            "read, but total bytes expected is",
            "error occurred while reading from response stream",
        ),
        (),
    ),
    (
        "connection-refused",
        frozenset({"ConnectionRefusedError"}),
        (
            "connection refused",
            "winerror 10061",
            "actively refused",
            "econnrefused",
            "拒绝连接",
            "积极拒绝",
        ),
        (("errno ", re.compile(r"errno (?:111|61)\b").search),),
    ),
    (
        "connection-reset",
        frozenset({"ConnectionResetError", "RemoteDisconnected", "BrokenPipeError"}),
        (
            "connection reset",
            "winerror 10054",
            "forcibly closed",
            "remotedisconnected",
            "connection aborted",
            "econnreset",
            "broken pipe",
            "closed connection without response",
            # botocore's ConnectionClosedError (its fmt): the connection closed before any reply.
            "connection was closed before we received a valid response",
            "连接被重置",
            "被对方重置",
            "被对端重置",
            "强迫关闭",
            "winerror 10053",
            "中止了一个已建立的连接",
        ),
        (("errno ", re.compile(r"errno (?:104|54|32)\b").search),),
    ),
    # The SDK's own checks, where the message alone does not say how to fix it.
    (
        "parts-failed",
        frozenset(),
        ("some upload_part fail", "some upload_part_copy fail", "some download_part fail"),
        (),
    ),
    ("credentials-missing", frozenset(), ("secretid and secretkey is required",), ()),
    (
        "bucket-name-invalid",
        frozenset(),
        ("bucket format is illegal", "bucket is not string"),
        (),
    ),
    ("region-invalid", frozenset(), ("region format is illegal", "region is not string"), ()),
    ("not-utf8", frozenset(), ("can not be decoded in utf8", "can not encoded in utf8"), ()),
    (
        "header-value-type",
        # Not by type: requests raises InvalidHeader for a malformed reply header too.
        frozenset(),
        (),
        ((" must be of type str or bytes", _header_part_line),),
    ),
    # send_request's retry loop stops for a body it cannot rewind, then reads its reply variable
    # ``res``, never assigned: the SDK's UnboundLocalError after a network failure.
    (
        "body-not-rewindable",
        frozenset(),
        (
            "local variable 'res' referenced before assignment",
            "cannot access local variable 'res'",
        ),
        (),
    ),
    # A local file inside upload_file / download_file. Read from the wording, not the class,
    # and only where the text names no connection: a socket can be denied permission too.
    (
        "file-missing",
        frozenset(),
        (),
        (
            ("no such file or directory", _local_file),
            ("the system cannot find the file specified", _local_file),
            ("the system cannot find the path specified", _local_file),
        ),
    ),
    ("file-is-directory", frozenset(), (), (("is a directory", _local_file),)),
    (
        "file-permission",
        frozenset(),
        (),
        (("permission denied", _local_file), ("access is denied", _local_file)),
    ),
    ("file-read-only", frozenset(), (), (("read-only file system", _local_file),)),
    # The SDK's other checks: every message names its own rule (knowledge/sdk_checks.toml).
    ("sdk-check", frozenset(), (), (("", _sdk_check_line),)),
)
# (kind, the kinds it narrows, phrases): a cause the text says more precisely than the exception
# classes do; "unclassified" where the text alone names it. Looked for only after the kind is
# known, so a failure whose kind has no narrower (a refused connection) pays nothing for them.
_NARROWER: tuple[tuple[str, frozenset[str], tuple[str, ...]], ...] = (
    (
        "too-many-open-files",
        frozenset({"unclassified"}),
        ("too many open files", "[errno 24]", "winerror 10024", "emfile"),
    ),
    (
        "proxy-scheme",
        frozenset({"proxy", "tls", "unclassified"}),
        (
            "proxy url had no scheme",
            "proxy url had unsupported scheme",
            "please check proxy url",
            "missing dependencies for socks support",
            "your proxy appears to only use http",
            "check_hostname requires server_hostname",
        ),
    ),
    (
        "proxy-auth",
        frozenset({"proxy"}),
        ("407 proxy authentication required", "tunnel connection failed: 407"),
    ),
    (
        "tls-plain-port",
        frozenset({"tls", "unclassified"}),
        ("wrong_version_number", "wrong version number", "record layer failure"),
    ),
    (
        "tls-expired",
        frozenset({"tls"}),
        (
            "certificate has expired",
            "cert_has_expired",
            "certificate is not yet valid",
            "certificate has expired or is not yet valid",
        ),
    ),
    (
        "tls-hostname",
        frozenset({"tls", "unclassified"}),
        ("hostname mismatch", "doesn't match", "ip address mismatch", "not valid for '"),
    ),
    (
        "tls-untrusted",
        frozenset({"tls"}),
        (
            "self-signed certificate",
            "self signed certificate",
            "unable to get local issuer certificate",
            "unable to verify the first certificate",
            "unable_to_verify_leaf_signature",
            "pkix path building failed",
            "trust anchor for certification path",
            "x509: certificate signed by unknown authority",
        ),
    ),
)
_NARROWERS_OF = {
    kind: tuple((narrower, phrases) for narrower, within, phrases in _NARROWER if kind in within)
    for kind in {kind for _, within, _ in _NARROWER for kind in within}
}
#: Every kind a client failure can be classified as; "unclassified" when none fits.
CLIENT_KINDS = (
    *(kind for kind, _, _, _ in _KINDS),
    *(kind for kind, _, _ in _NARROWER),
    "unclassified",
)
_HOST_IN_TEXT = re.compile(
    r"host='(?P<pool>[^']+)'|Failed to resolve '(?P<resolve>[^']+)'|"
    r"Connection to (?P<timeout>[^\s]+) timed out|lookup (?P<go>[\w.-]+)(?: on |: no such host)|"
    r"ENOTFOUND (?P<node>[\w.-]+)|resolve(?: host)?: '?(?P<curl>[\w.-]+)|"
    r"UnknownHostException: (?P<java>[\w.-]+)|Exception: (?P<bare>[\w.-]+\.myqcloud\.com)\s*$",
    re.MULTILINE,
)
_PORT_IN_TEXT = re.compile(r"port=(\d+)")
_TIMEOUT_IN_TEXT = re.compile(r"(?:connect|read) timeout=([0-9.]+)")
#: Text read for a client failure: a pasted log is cut here as the paste readers cut it.
MAX_TEXT = 64 * 1024


# Each exception class name a kind is known by, with the kind's place in _KINDS: of the kinds
# a cause chain's classes name, the one listed first (the most specific) wins.
_KIND_OF_CLASS = {
    name: (place, kind)
    for place, (kind, names, _, _) in reversed(list(enumerate(_KINDS)))
    for name in names
}


def classify(types: tuple[str, ...], text: str) -> str:
    """Return the kind of client failure from exception class names, then from text.

    The text then narrows it to a cause where it says more (a 407 from the proxy, an expired
    certificate, too many open files) than the class does.
    """
    return _classified(types, lambda: text)


def _classified(types: tuple[str, ...], read_text: Callable[[], str]) -> str:
    """:func:`classify`, reading the text only when the classes leave the kind open."""
    known = [_KIND_OF_CLASS[name] for name in types if name in _KIND_OF_CLASS]
    kind = min(known)[1] if known else None
    folded = None
    if kind is None:
        folded = fold_case(read_text()[:MAX_TEXT])
        kind = _kind_in_text(folded)
    narrowers = _NARROWERS_OF.get(kind, ())
    if narrowers:
        folded = fold_case(read_text()[:MAX_TEXT]) if folded is None else folded
        for narrower, phrases in narrowers:
            if any(phrase in folded for phrase in phrases):
                return narrower
    return kind


def _kind_in_text(folded: str) -> str:
    present: dict[str, bool] = {}  # each shared word looked for once

    def holds(phrase: str) -> bool:
        gate = _GATE_OF.get(phrase)
        if gate is not None:
            found = present.get(gate)
            if found is None:
                found = present[gate] = gate in folded
            if not found:
                return False
        return phrase in folded

    for kind, _, phrases, tests in _KINDS:
        if any(holds(phrase) for phrase in phrases) or any(
            holds(phrase) and test(folded) for phrase, test in tests
        ):
            return kind
    return "unclassified"


def _gates() -> dict[str, str]:
    """Phrase -> a word in it that several phrases share ("connection", "certificate"…).

    Every look for a phrase is a pass over up to 64 KiB of text: a text without the word holds
    none of its phrases, so one pass for the word rules them all out. A word only one or two
    phrases hold would cost a pass of its own for little: those phrases are looked for as they are.
    """
    phrases = [p for _, _, said, tests in _KINDS for p in (*said, *(t for t, _ in tests))]
    longest = {p: max(re.findall("[a-z]+", p), key=len, default="") for p in phrases}
    holding = Counter(longest.values())
    return {p: word for p, word in longest.items() if word and holding[word] >= _SHARED}


_SHARED = 3
_GATE_OF = _gates()


def exception_seen(error: BaseException, text: str, sent: RequestSent | None) -> ExceptionSeen:
    """Read a ``CosClientError`` whose message is ``text``: its cause chain's classes, its kind."""
    causes = _cause_chain(error)
    types = tuple(type(cause).__name__ for cause in causes)
    # The causes' texts are read only if their classes leave the kind open (a refused
    # connection's do not): str() of urllib3's errors is most of the cost of reading them.
    failure = _classified(types, lambda: "\n".join([text, *map(str, causes[1:])]))
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
    stripped = text.lstrip()[:MAX_TEXT].rstrip()  # classify() reads no further: copy no more
    if not stripped or stripped.startswith(("<", "{")):
        return False
    return classify((), stripped) != "unclassified"


def _host_in_text(text: str) -> str | None:
    found = _HOST_IN_TEXT.search(text)
    if found is None:
        return None
    return next(value for value in found.groups() if value).split(":")[0]


def _timeout_in_text(text: str) -> float | None:
    if "timeout=" not in text:  # most texts name none: a substring test is a tenth of the search
        return None
    found = _TIMEOUT_IN_TEXT.search(text)
    return float(found.group(1)) if found is not None else None


def _cause_chain(error: BaseException) -> list[BaseException]:
    """The exception, what caused it, and the exceptions urllib3 nests in args and .reason."""
    found: list[BaseException] = []
    seen: set[int] = set()  # ids of what is in found (alive while there): identity, not ==
    # Breadth first: the list is read in order while it grows; only exceptions are queued.
    pending: list[BaseException] = [error]
    for current in pending:
        if len(found) >= 16:
            break
        if id(current) in seen:
            continue
        found.append(current)
        seen.add(id(current))
        reason = getattr(current, "reason", None)
        for link in (current.__cause__, current.__context__, reason, *current.args):
            if isinstance(link, BaseException):
                pending.append(link)  # noqa: PERF401 - a comprehension is a call per exception
    return found
