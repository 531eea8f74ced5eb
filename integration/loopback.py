"""Loopback servers that fail the way networks do: silence, resets, self-signed TLS, scripted COS.

Every server binds 127.0.0.1 on a free port, serves from a daemon thread, and stops when its
``with`` block ends; nothing waits longer than the client's own timeout.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import struct
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def silent_server() -> Iterator[int]:
    """Accept connections and never answer: the client's read timeout fires."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set() and len(held) < 64:
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in held:
            connection.close()
        listener.close()


@contextmanager
def full_backlog_server() -> Iterator[int]:
    """A listener that never accepts, its backlog already full: new connections get no answer
    to their SYN (Linux drops it), so the client's connect timeout fires."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port: int = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.settimeout(0)
        filler.connect_ex(("127.0.0.1", port))  # EINPROGRESS or 0: either way, queued
        fillers.append(filler)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


# The extensions `openssl req -x509` adds by default: Python 3.13's VERIFY_X509_STRICT (which
# urllib3 sets there) refuses a certificate without them before it looks at the dates.
_CA_CONFIG = """[ca]
default_ca = signer
[signer]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = anyone
unique_subject = no
copy_extensions = copy
x509_extensions = ca_itself
[ca_itself]
basicConstraints = critical,CA:true
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[anyone]
commonName = supplied
"""


def _openssl(*arguments: str, directory: Path) -> None:
    subprocess.run(
        ["openssl", *arguments], cwd=directory, check=True, capture_output=True, timeout=60
    )


def certificate(directory: Path, name: str, *, expired: bool = False) -> tuple[Path, Path]:
    """A self-signed certificate and its key for ``name`` (an IP address or a DNS name).

    ``expired``: valid for one day in January 2020, issued with ``openssl ca`` because
    ``openssl req`` refuses a date in the past.
    """
    cert, key = directory / "cert.pem", directory / "key.pem"
    alt = f"IP:{name}" if name.replace(".", "").isdigit() else f"DNS:{name}"
    common = ["-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", str(key)]
    if not expired:
        _openssl(
            "req",
            "-x509",
            "-days",
            "1",
            *common,
            "-addext",
            f"subjectAltName={alt}",
            "-out",
            str(cert),
            directory=directory,
        )
        return cert, key
    (directory / "ca.cnf").write_text(_CA_CONFIG, encoding="ascii")
    (directory / "index.txt").write_text("", encoding="ascii")
    (directory / "serial").write_text("01\n", encoding="ascii")
    _openssl(
        "req",
        "-new",
        *common,
        "-addext",
        f"subjectAltName={alt}",
        "-out",
        "req.csr",
        directory=directory,
    )
    _openssl(
        "ca",
        "-batch",
        "-config",
        "ca.cnf",
        "-selfsign",
        "-keyfile",
        str(key),
        "-in",
        "req.csr",
        "-startdate",
        "20200101000000Z",
        "-enddate",
        "20200102000000Z",
        "-out",
        str(cert),
        directory=directory,
    )
    return cert, key


@contextmanager
def tls_server(cert: Path, key: Path) -> Iterator[int]:
    """Complete TLS handshakes with ``cert``, then close: the client's verification is the test."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def handshake(connection: socket.socket) -> None:
        try:
            with context.wrap_socket(connection, server_side=True):
                pass
        except (ssl.SSLError, OSError):
            connection.close()  # the client refused our certificate: the point

    with _accepting(handshake) as port:
        yield port


@contextmanager
def self_signed_tls_server(directory: Path) -> Iterator[int]:
    """Complete TLS handshakes with a certificate generated now and trusted by nobody."""
    with tls_server(*certificate(directory, "127.0.0.1")) as port:
        yield port


@contextmanager
def raw_server(reply: bytes | None) -> Iterator[int]:
    """Read each request's head, write ``reply`` as it is and close; None: close after one read.

    For what no well-behaved server sends: a bad chunk length, a body shorter than its
    Content-Length, a close before reading the request.
    """

    def answer(connection: socket.socket) -> None:
        with connection:
            connection.settimeout(2)
            with contextlib.suppress(OSError):  # a client that went away: the next one
                if reply is None:  # one read, so that a close is a FIN, not an RST
                    connection.recv(65536)
                    return
                head = b""
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    chunk = connection.recv(4096)
                    if not chunk:
                        break
                    head += chunk
                connection.sendall(reply)

    with _accepting(answer) as port:
        yield port


@contextmanager
def _accepting(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    """A listener on 127.0.0.1 whose thread hands each connection to ``handle``; yields its port.

    Bounded: 64 accepts, each waiting 0.2 s at most, and stopped when the block ends.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        for _ in range(64):
            if stop.is_set():
                return
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            handle(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


@contextmanager
def refusing_proxy(status: int, reason: str) -> Iterator[int]:
    """An HTTP proxy that answers every request, CONNECT included, with ``status`` and closes."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _refuse(self) -> None:
            self.send_response(status, reason)
            if status == 407:  # Proxy Authentication Required
                self.send_header("Proxy-Authenticate", 'Basic realm="loopback"')
            self.send_header("Content-Type", "text/html")
            body = f"<html><body><h1>{status} {reason}</h1></body></html>".encode()
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True

        do_CONNECT = do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _refuse  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    with _serving(Handler) as port:
        yield port


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    """A threading HTTP server on 127.0.0.1 running ``handler``; yields its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    # shutdown() waits up to one poll interval (0.5 s by default) for serve_forever to notice.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)


def reset(connection: socket.socket) -> None:
    """Close ``connection`` with a TCP RST instead of a FIN."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


# (status, body), or (status, body, headers) to replace COS's usual headers; None: reset.
Script = Callable[
    [BaseHTTPRequestHandler, bytes],
    "tuple[int, bytes] | tuple[int, bytes, dict[str, str]] | None",
]


@contextmanager
def scripted_cos(script: Script) -> Iterator[int]:
    """An HTTP server whose every reply is ``script(handler, body)``; None resets the connection."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            outcome = script(self, body)
            if outcome is None:
                reset(self.connection)
                self.close_connection = True
                return
            status, payload = outcome[0], outcome[1]
            headers = (
                outcome[2]
                if len(outcome) > 2
                else {  # type: ignore[misc]
                    "Server": "tencent-cos",
                    "x-cos-request-id": "NjU1ZjA0YjNfbG9vcGJhY2s=",
                    "Content-Type": "application/xml",
                }
            )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if "Content-Length" in headers:  # a HEAD: the object's length, no body
                self.end_headers()
                return
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle  # noqa: N815 - http.server names

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    with _serving(Handler) as port:
        yield port


@contextmanager
def truncating_cos(size: int, *, cos_headers: bool = True) -> Iterator[int]:
    """An object of ``size`` bytes whose every GET promises the full length, sends half, and
    closes: HEAD is answered whole, so download_file plans its parts normally.

    ``cos_headers=False``: the same server without COS's reply headers (another S3 store).
    """

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _headers(self, status: int, length: int) -> None:
            self.send_response(status)
            if cos_headers:
                self.send_header("Server", "tencent-cos")
                self.send_header("x-cos-request-id", "NjU1ZjA0YjNfdHJ1bmNhdGVk")
            self.send_header("ETag", '"0123456789abcdef0123456789abcdef"')
            self.send_header("Last-Modified", "Wed, 25 Nov 2026 08:00:00 GMT")
            self.send_header("Content-Length", str(length))
            self.end_headers()

        def do_HEAD(self) -> None:
            self._headers(200, size)

        def do_GET(self) -> None:
            wanted = re.search(r"bytes=(\d+)-(\d+)", self.headers.get("Range") or "")
            length = int(wanted.group(2)) - int(wanted.group(1)) + 1 if wanted else size
            self._headers(206 if wanted else 200, length)
            self.wfile.write(b"x" * (length // 2))
            self.wfile.flush()
            self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    with _serving(Handler) as port:
        yield port
