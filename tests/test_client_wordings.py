"""Client failures pasted as users meet them: every wording urllib3 1.26 / 2.x and Python 3.9-3.13 give.

Each text is what ``str(e)`` of the SDK's ``CosClientError`` holds (the ``requests`` exception's
``str``), built from the format strings of its source, quoted in the comment beside it:
urllib3 1.26.20 and 2.x (``git show 1.26.20:src/urllib3/…`` in urllib3/urllib3), CPython's
``Modules/socketmodule.c`` (``set_gaierror``: ``gai_strerror()`` on POSIX, "getaddrinfo failed"
on Windows, which has none) and ``http.client`` (``_tunnel``), and OpenSSL's reason strings as
``ssl`` prints them (``[SSL: REASON] reason (_ssl.c:N)``; OpenSSL 1.1 in the 3.9 builds, 3.x
later). ``diagnose()`` and ``cos-doctor explain`` must give each the same rule.
"""

from __future__ import annotations

import io
import json
import sys

import pytest

import cos_doctor
from cos_doctor._knowledge.catalogue import catalogue
from cos_doctor.cli import main

HOST = "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com"
POOL = f"HTTPSConnectionPool(host='{HOST}', port=443): Max retries exceeded with url: /a.txt"
OLD_CONN = "<urllib3.connection.HTTPSConnection object at 0x7f3b2c1d9e50>"  # 1.26 and 2.0-2.2
NEW_CONN = f"HTTPSConnection(host='{HOST}', port=443)"  # later 2.x reprs


def _new_connection(reason: str, conn: str = OLD_CONN) -> str:
    # As connection.py words it (both majors): "Failed to establish a new connection: " + the OSError.
    return f"{POOL} (Caused by NewConnectionError('{conn}: Failed to establish a new connection: {reason}'))"


def _resolve(reason: str, conn: str = OLD_CONN) -> str:
    # 2.x exceptions.py NameResolutionError: f"Failed to resolve '{host}' ({reason})"
    return (
        f"{POOL} (Caused by NameResolutionError(\"{conn}: Failed to resolve '{HOST}' ({reason})\"))"
    )


def _ssl(reason: str, kind: str = "SSLCertVerificationError", number: int = 1) -> str:
    return f"{POOL} (Caused by SSLError({kind}({number}, '{reason}')))"


WORDINGS: list[tuple[str, str, str]] = [
    # --- name resolution: socket.gaierror, in NewConnectionError (1.26) or NameResolutionError (2.x)
    (
        "1.26-linux-noname",
        _new_connection("[Errno -2] Name or service not known"),
        "client-dns-failure",
    ),
    (
        "1.26-linux-again",
        _new_connection("[Errno -3] Temporary failure in name resolution"),
        "client-dns-failure",
    ),
    (
        "1.26-macos-noname",
        _new_connection("[Errno 8] nodename nor servname provided, or not known"),
        "client-dns-failure",
    ),
    ("1.26-windows", _new_connection("[Errno 11001] getaddrinfo failed"), "client-dns-failure"),
    ("2.x-linux-noname", _resolve("[Errno -2] Name or service not known"), "client-dns-failure"),
    (
        "2.x-linux-again",
        _resolve("[Errno -3] Temporary failure in name resolution", NEW_CONN),
        "client-dns-failure",
    ),
    (
        "2.x-macos-noname",
        _resolve("[Errno 8] nodename nor servname provided, or not known"),
        "client-dns-failure",
    ),
    ("2.x-windows", _resolve("[Errno 11001] getaddrinfo failed", NEW_CONN), "client-dns-failure"),
    # --- connect vs read timeout: connection.py ConnectTimeoutError(self, f"Connection to {self.host}
    # timed out. (connect timeout={self.timeout})"); connectionpool.py ReadTimeoutError(self, url,
    # f"Read timed out. (read timeout={timeout_value})"); response.py "Read timed out." mid-body.
    (
        "1.26-connect-timeout",
        f"{POOL} (Caused by ConnectTimeoutError({OLD_CONN}, 'Connection to {HOST} timed out. (connect timeout=30)'))",
        "client-connect-timeout",
    ),
    (
        "2.x-connect-timeout",
        f"{POOL} (Caused by ConnectTimeoutError({NEW_CONN}, 'Connection to {HOST} timed out. (connect timeout=30)'))",
        "client-connect-timeout",
    ),
    (
        "linux-connect-errno-110",
        _new_connection("[Errno 110] Connection timed out"),
        "client-connect-timeout",
    ),
    (
        "read-timeout",
        f"HTTPSConnectionPool(host='{HOST}', port=443): Read timed out. (read timeout=30)",
        "client-read-timeout",
    ),
    (
        "read-timeout-mid-body",
        f"HTTPSConnectionPool(host='{HOST}', port=443): Read timed out.",
        "client-read-timeout",
    ),
    # --- refused: ECONNREFUSED (Linux 111, macOS 61, Windows WSAECONNREFUSED 10061)
    (
        "linux-refused",
        _new_connection("[Errno 111] Connection refused"),
        "client-connection-refused",
    ),
    (
        "macos-refused",
        _new_connection("[Errno 61] Connection refused"),
        "client-connection-refused",
    ),
    (
        "windows-refused",
        _new_connection(
            "[WinError 10061] No connection could be made because the target machine actively refused it"
        ),
        "client-connection-refused",
    ),
    (
        "requests-prefix-refused",  # the line: explain answered "no COS error found"
        "requests.exceptions.ConnectionError: "
        + _new_connection("[Errno 111] Connection refused", NEW_CONN),
        "client-connection-refused",
    ),
    (
        "sdk-prefix-refused",
        "qcloud_cos.cos_exception.CosClientError: "
        + _new_connection("[Errno 111] Connection refused"),
        "client-connection-refused",
    ),
    # --- reset / disconnected / broken pipe: connectionpool.py ProtocolError("Connection aborted.", e)
    (
        "linux-reset",
        "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))",
        "client-connection-reset",
    ),
    (
        "macos-reset",
        "('Connection aborted.', ConnectionResetError(54, 'Connection reset by peer'))",
        "client-connection-reset",
    ),
    (
        "windows-reset",
        (
            "('Connection aborted.', ConnectionResetError(10054, 'An existing connection was forcibly "
            "closed by the remote host', None, 10054, None))"
        ),
        "client-connection-reset",
    ),
    (
        "remote-disconnected",
        "('Connection aborted.', RemoteDisconnected('Remote end closed connection without response'))",
        "client-connection-reset",
    ),
    (
        "broken-pipe",
        "('Connection aborted.', BrokenPipeError(32, 'Broken pipe'))",
        "client-connection-reset",
    ),
    # --- a body cut short, as response.py words it: "Connection broken: " + the error's repr; the
    # reprs of IncompleteRead and InvalidChunkLength (exceptions.py); "Response ended prematurely".
    (
        "incomplete-read",
        (
            "('Connection broken: IncompleteRead(18 bytes read, 82 more expected)', "
            "IncompleteRead(18 bytes read, 82 more expected))"
        ),
        "client-body-interrupted",
    ),
    (
        "invalid-chunk-length",
        (
            "(\"Connection broken: InvalidChunkLength(got length b'', 0 bytes read)\", "
            "InvalidChunkLength(got length b'', 0 bytes read))"
        ),
        "client-body-interrupted",
    ),
    (
        "reset-mid-body",
        (
            "(\"Connection broken: ConnectionResetError(104, 'Connection reset by peer')\", "
            "ConnectionResetError(104, 'Connection reset by peer'))"
        ),
        "client-body-interrupted",
    ),
    ("ended-prematurely", "Response ended prematurely", "client-body-interrupted"),
    # --- proxies: 1.26 connectionpool.py ProxyError("Cannot connect to proxy.", e); 2.x
    # connection.py ProxyError("Unable to connect to proxy…", err); http.client._tunnel (1.26) and
    # 2.x connection.py: f"Tunnel connection failed: {code} {message.strip()}"
    (
        "1.26-proxy-407",
        (
            f"{POOL} (Caused by ProxyError('Cannot connect to proxy.', OSError('Tunnel connection failed: "
            "407 Proxy Authentication Required')))"
        ),
        "client-proxy-auth",
    ),
    (
        "2.x-proxy-407",
        (
            f"{POOL} (Caused by ProxyError('Unable to connect to proxy', OSError('Tunnel connection failed: "
            "407 Proxy Authentication Required')))"
        ),
        "client-proxy-auth",
    ),
    (
        "2.x-proxy-502",
        (
            f"{POOL} (Caused by ProxyError('Unable to connect to proxy', OSError('Tunnel connection failed: "
            "502 Bad Gateway')))"
        ),
        "client-proxy-failure",
    ),
    (
        "1.26-proxy-refused",
        (
            "HTTPConnectionPool(host='127.0.0.1', port=3128): Max retries exceeded with url: "
            f"http://{HOST}/a.txt (Caused by ProxyError('Cannot connect to proxy.', "
            "NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f3b2c1d9e50>: "
            "Failed to establish a new connection: [Errno 111] Connection refused')))"
        ),
        "client-proxy-failure",
    ),
    (
        "proxy-no-scheme",  # exceptions.py ProxySchemeUnknown, both majors
        "Proxy URL had no scheme, should start with http:// or https://",
        "client-proxy-scheme",
    ),
    (
        "proxy-unsupported-scheme",  # the same, for ftp:// (requests raises it as InvalidURL)
        "Proxy URL had unsupported scheme ftp, should use http:// or https://",
        "client-proxy-scheme",
    ),
    (
        "requests-invalid-proxy-url",  # requests adapters.py InvalidProxyURL (localhost:3128)
        "Please check proxy URL. It is malformed and could be missing the host.",
        "client-proxy-scheme",
    ),
    (
        "1.26-https-url-plain-proxy",
        (
            f"{POOL} (Caused by ProxyError('Your proxy appears to only use HTTP and not HTTPS, try changing "
            "your proxy URL to be HTTP. See: https://urllib3.readthedocs.io/en/1.26.x/advanced-usage.html"
            "#https-proxy-error-http-proxy', SSLError(SSLError(1, '[SSL: WRONG_VERSION_NUMBER] wrong "
            "version number (_ssl.c:1131)'))))"
        ),
        "client-proxy-scheme",
    ),
    (
        "2.x-https-url-plain-proxy",
        (
            f"{POOL} (Caused by ProxyError('Unable to connect to proxy. Your proxy appears to only use HTTP "
            "and not HTTPS, try changing your proxy URL to be HTTP. See: https://urllib3.readthedocs.io/en/"
            "latest/advanced-usage.html#https-proxy-error-http-proxy', SSLError(SSLError(1, '[SSL: "
            "WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)'))))"
        ),
        "client-proxy-scheme",
    ),
    ("1.26-check-hostname", "check_hostname requires server_hostname", "client-proxy-scheme"),
    (
        "requests-socks-missing",  # requests adapters.py InvalidSchema, socks5:// without PySocks
        "Missing dependencies for SOCKS support.",
        "client-proxy-scheme",
    ),
    # --- TLS: OpenSSL 1.1 (Python 3.9 builds) and 3.x spellings
    (
        "3.9-self-signed",
        _ssl(
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self signed certificate (_ssl.c:1129)"
        ),
        "client-tls-untrusted",
    ),
    (
        "3.12-self-signed",
        _ssl(
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)"
        ),
        "client-tls-untrusted",
    ),
    (
        "self-signed-in-chain",
        _ssl(
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in "
            "certificate chain (_ssl.c:1000)"
        ),
        "client-tls-untrusted",
    ),
    (
        "local-issuer",
        _ssl(
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer "
            "certificate (_ssl.c:1129)"
        ),
        "client-tls-untrusted",
    ),
    (
        "expired",
        _ssl(
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1129)"
        ),
        "client-tls-expired",
    ),
    (
        "hostname-mismatch",
        (
            f'{POOL} (Caused by SSLError(SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] '
            f"certificate verify failed: Hostname mismatch, certificate is not valid for '{HOST}'. "
            '(_ssl.c:1006)")))'
        ),
        "client-tls-hostname",
    ),
    (
        "ip-mismatch",
        (
            "HTTPSConnectionPool(host='10.0.0.5', port=443): Max retries exceeded with url: /a.txt (Caused "
            'by SSLError(SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify '
            "failed: IP address mismatch, certificate is not valid for '10.0.0.5'. (_ssl.c:1006)\")))"
        ),
        "client-tls-hostname",
    ),
    (
        "doesnt-match",  # urllib3 1.26 util/ssl_match_hostname.py CertificateError
        (
            f"{POOL} (Caused by SSLError(CertificateError(\"hostname '{HOST}' doesn't match "
            "'*.example.com'\")))"
        ),
        "client-tls-hostname",
    ),
    (
        "wrong-version-number",
        _ssl("[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1129)", "SSLError"),
        "client-tls-plain-port",
    ),
    (
        "openssl-3.2-record-layer",  # urllib3 2.x connection.py _wrap_proxy_error reads it the same
        _ssl("[SSL: RECORD_LAYER_FAILURE] record layer failure (_ssl.c:1000)", "SSLError"),
        "client-tls-plain-port",
    ),
    (
        "3.9-eof",
        _ssl("EOF occurred in violation of protocol (_ssl.c:1129)", "SSLEOFError", 8),
        "client-tls-failure",
    ),
    (
        "3.10-eof",
        _ssl(
            "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol (_ssl.c:1006)",
            "SSLEOFError",
            8,
        ),
        "client-tls-failure",
    ),
    (
        "3.9-zero-return",  # Python 3.9, the peer closing during the handshake
        _ssl("TLS/SSL connection has been closed (EOF) (_ssl.c:1129)", "SSLZeroReturnError", 6),
        "client-tls-failure",
    ),
    # --- too many open files: EMFILE from socket()
    (
        "emfile-socket",
        _new_connection("[Errno 24] Too many open files"),
        "client-too-many-open-files",
    ),
    (
        "emfile-file",
        "[Errno 24] Too many open files: '/data/upload/a.bin'",
        "client-too-many-open-files",
    ),
    # --- boto3 / botocore's own exceptions, as a traceback's last line shows them (their fmt
    # strings in botocore/exceptions.py). EndpointConnectionError ("Could not connect to the
    # endpoint URL") names no cause (DNS, refused, unreachable alike): the generic rule is right.
    (
        "botocore-connect-timeout",
        f'botocore.exceptions.ConnectTimeoutError: Connect timeout on endpoint URL: "https://{HOST}/a.txt"',
        "client-connect-timeout",
    ),
    (
        "botocore-read-timeout",
        f'botocore.exceptions.ReadTimeoutError: Read timeout on endpoint URL: "https://{HOST}/a.txt"',
        "client-read-timeout",
    ),
    (
        "botocore-proxy",
        'botocore.exceptions.ProxyConnectionError: Failed to connect to proxy URL: "http://127.0.0.1:3128"',
        "client-proxy-failure",
    ),
    (
        "botocore-closed",
        (
            "botocore.exceptions.ConnectionClosedError: Connection was closed before we received a "
            f'valid response from endpoint URL: "https://{HOST}/a.txt".'
        ),
        "client-connection-reset",
    ),
    # A streamed body (get_object's Body) that broke while read, as botocore words it.
    (
        "botocore-incomplete-read",
        "botocore.exceptions.IncompleteReadError: 2048 read, but total bytes expected is 4096.",
        "client-body-interrupted",
    ),
    (
        "botocore-incomplete-read-no-class",
        "1024 read, but total bytes expected is 1048576",
        "client-body-interrupted",
    ),
    (
        "botocore-response-streaming",
        (
            "ResponseStreamingError: An error occurred while reading from response stream: "
            "('Connection broken: IncompleteRead(2048 bytes read, 2048 more expected)', "
            "IncompleteRead(2048 bytes read, 2048 more expected))"
        ),
        "client-body-interrupted",
    ),
    (
        "botocore-response-streaming-reset",
        "An error occurred while reading from response stream: [Errno 104] Connection reset by peer",
        "client-body-interrupted",
    ),
    (
        "botocore-ssl-self-signed",
        (
            f"botocore.exceptions.SSLError: SSL validation failed for https://{HOST}/a.txt "
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self signed certificate "
            "in certificate chain (_ssl.c:1129)"
        ),
        "client-tls-untrusted",
    ),
]

CLIENT_EXAMPLES = [
    (f"{rule.id}-{number}", example.message, rule.id)
    for rule in catalogue().rules
    for number, example in enumerate(rule.examples)
    if example.client not in {None, "batch-errors", "unclassified"} and example.message
]


def _explained(
    text: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str | None]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    code = main(["explain", "-", "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)["rule_id"] if code == 0 else None


@pytest.mark.parametrize(
    ("text", "rule_id"), [w[1:] for w in WORDINGS], ids=[w[0] for w in WORDINGS]
)
def test_each_wording_is_diagnosed_as_its_cause(text: str, rule_id: str) -> None:
    """diagnose() gives each urllib3 / Python / OS wording of a client failure its specific rule."""
    assert cos_doctor.diagnose(text).rule_id == rule_id


@pytest.mark.parametrize(
    ("text", "rule_id"),
    [w[1:] for w in WORDINGS + CLIENT_EXAMPLES],
    ids=[w[0] for w in WORDINGS + CLIENT_EXAMPLES],
)
def test_explain_reads_every_client_text_diagnose_reads(
    text: str, rule_id: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cos-doctor explain -` gives the same rule as diagnose() for the same pasted text, exit 0."""
    assert _explained(text, monkeypatch, capsys) == (0, cos_doctor.diagnose(text).rule_id)
    assert cos_doctor.diagnose(text).rule_id == rule_id
